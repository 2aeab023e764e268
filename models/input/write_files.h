#pragma once
// Writing a command's outputs together: each file to a temporary beside it,
// flushed to disk; only when every one is written are they renamed into
// place. On a failure (a full disk, a read-only directory) the temporaries
// are removed, nothing of the new output is left beside the old, and the
// error gives the operating system's reason.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace capstan::input {

void write_files(const std::vector<std::pair<std::filesystem::path, std::string>>& files);

}  // namespace capstan::input
