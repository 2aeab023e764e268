#pragma once
// Untrusted input at fault: a scenario file, a calibration profile. The
// message names the file, the JSON pointer of the offending field, what was
// expected and what was found; front ends report it and exit with status 2.
#include <stdexcept>
#include <string>

namespace capstan {

class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::string pointer, std::string expected, std::string found)
      : std::runtime_error(file + ": " + (pointer.empty() ? "" : pointer + ": ") + "expected " + expected +
                           ", found " + found),
        file_(std::move(file)),
        pointer_(std::move(pointer)),
        expected_(std::move(expected)),
        found_(std::move(found)) {}
  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }  // "" when the whole file is at fault
  const std::string& expected() const { return expected_; }
  const std::string& found() const { return found_; }

 private:
  std::string file_, pointer_, expected_, found_;
};

}  // namespace capstan
