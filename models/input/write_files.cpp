#include "models/input/write_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "models/input_error.h"

namespace capstan::input {

namespace {

std::string reason(int error) { return std::generic_category().message(error); }

// Writes `text` to `path` (created or truncated) and flushes it to the disk;
// returns the errno of the first failure, 0 on success. `opened`: the file
// was made (and so is ours to remove).
int write_one(const std::filesystem::path& path, const std::string& text, bool& opened) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  opened = fd >= 0;
  if (fd < 0) return errno;
  const char* p = text.data();
  std::size_t left = text.size();
  int error = 0;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (error == 0 && ::fsync(fd) != 0 && errno != EINVAL) error = errno;  // EINVAL: a file system without fsync
  if (::close(fd) != 0 && error == 0) error = errno;
  return error;
}

}  // namespace

void check_output_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::path at = dir.empty() ? std::filesystem::path(".") : dir;
  // The path itself, or its first ancestor that exists, must be a directory.
  while (!std::filesystem::exists(at, ec)) {
    if (!at.has_parent_path() || at.parent_path() == at) return;  // relative to the working directory
    at = at.parent_path();
  }
  if (!std::filesystem::is_directory(at, ec)) {
    throw InputError(dir.string(), "", "an output directory capstan can make",
                     "\"" + at.string() + "\" in its way, which is not a directory");
  }
}

void check_targets(const std::vector<std::filesystem::path>& paths) {
  for (const auto& path : paths) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
      throw InputError(path.string(), "", "a path for an output file (absent, or a file to replace)",
                       std::filesystem::is_directory(status) ? "a directory" : "something that is not a regular file");
    }
    check_output_dir(path.parent_path());
  }
}

void make_output_dir(const std::filesystem::path& dir) {
  check_output_dir(dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError(dir.string(), "", "an output directory capstan can make", ec.message());
}

void write_files(const std::vector<std::pair<std::filesystem::path, std::string>>& files) {
  std::vector<std::filesystem::path> targets;
  for (const auto& f : files) targets.push_back(f.first);
  check_targets(targets);
  std::vector<std::filesystem::path> temporaries;
  auto discard = [&] {
    std::error_code ignored;
    for (const auto& t : temporaries) {
      if (!t.empty()) std::filesystem::remove(t, ignored);
    }
  };
  for (const auto& [path, text] : files) {
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    bool opened = false;
    const int error = write_one(tmp, text, opened);
    if (opened) temporaries.push_back(tmp);
    if (error) {
      discard();
      throw std::runtime_error("cannot write " + path.string() + ": " + reason(error) + "; nothing written");
    }
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    std::filesystem::rename(temporaries[i], files[i].first, ec);
    if (!ec) temporaries[i].clear();
    if (ec) {
      discard();
      throw std::runtime_error("cannot write " + files[i].first.string() + ": " + ec.message() +
                               (i == 0 ? "; nothing written" : "; the files before it were written"));
    }
  }
}

}  // namespace capstan::input
