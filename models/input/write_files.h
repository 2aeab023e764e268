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

// Checks every target first (check_targets): a directory where a file is to
// go is refused before anything is written.
void write_files(const std::vector<std::pair<std::filesystem::path, std::string>>& files);

// Output paths are the user's input: these throw InputError (exit status 2),
// naming the path in one line, before a command does its work or writes a file.
// `dir` is a directory, or can be made: its first existing ancestor is one.
void check_output_dir(const std::filesystem::path& dir);
// Each path is absent or a regular file (to be replaced), and its directory can be made.
void check_targets(const std::vector<std::filesystem::path>& paths);
// create_directories, its failure an InputError naming `dir`.
void make_output_dir(const std::filesystem::path& dir);

}  // namespace capstan::input
