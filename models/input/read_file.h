#pragma once
// Reading a file that untrusted input names (a scenario, a trace, a profile,
// a baseline): a regular file only (not a directory, a FIFO or a device such
// as /dev/zero), at most a size limit, read whole. The caller's error type
// (ScenarioError, ProfileError, InputError) carries the file's name.
#include <cstdint>
#include <optional>
#include <string>

namespace capstan::input {

struct FileProblem {
  std::string expected, found;
};

// Reads `path` into `text`, or says what was wrong with it.
std::optional<FileProblem> read_file(const std::string& path, std::uintmax_t max_bytes, std::string& text);

// The file's bytes; throws Error(path, "", expected, found) when it cannot be read.
template <typename Error>
std::string read_file_or_throw(const std::string& path, std::uintmax_t max_bytes) {
  std::string text;
  if (const auto problem = read_file(path, max_bytes, text)) throw Error(path, "", problem->expected, problem->found);
  return text;
}

}  // namespace capstan::input
