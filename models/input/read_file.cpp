#include "models/input/read_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace capstan::input {

std::optional<FileProblem> read_file(const std::string& path, std::uintmax_t max_bytes, std::string& text) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return FileProblem{"a readable file", "no such file"};
  if (fs::is_directory(status)) return FileProblem{"a readable file", "a directory"};
  if (!fs::is_regular_file(status)) return FileProblem{"a readable file", "not a regular file"};
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return FileProblem{"a readable file", ec.message()};
  if (size > max_bytes) {
    return FileProblem{"a file of at most " + std::to_string(max_bytes >> 20) + " MiB", std::to_string(size) + " bytes"};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return FileProblem{"a readable file", std::strerror(errno)};
  text.assign(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) return FileProblem{"a readable file", "a read error"};
  return std::nullopt;
}

}  // namespace capstan::input
