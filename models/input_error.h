#pragma once
// Untrusted input at fault: a scenario file, a calibration profile. The
// message names the file, the JSON pointer of the offending field, what was
// expected and what was found; front ends report it and exit with status 2.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace capstan {

// `s` as one line of valid UTF-8: control characters escaped (\n, \r, \t,
// \u0000), each byte of an invalid UTF-8 sequence replaced by U+FFFD.
inline std::string one_line(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = b[i];
    if (c < 0x20 || c == 0x7f) {
      if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else out += std::string("\\u00") + hex[c >> 4] + hex[c & 15];
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // The length a lead byte announces, and the range its second byte must fall in (no overlongs, no surrogates).
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c == 0xe0) { len = 3; lo = 0xa0; }
    else if (c == 0xed) { len = 3; hi = 0x9f; }
    else if (c >= 0xe1 && c <= 0xef) len = 3;
    else if (c == 0xf0) { len = 4; lo = 0x90; }
    else if (c == 0xf4) { len = 4; hi = 0x8f; }
    else if (c >= 0xf1 && c <= 0xf3) len = 4;
    bool ok = len > 0 && i + len <= n && b[i + 1] >= lo && b[i + 1] <= hi;
    for (std::size_t k = 2; ok && k < len; ++k) ok = b[i + k] >= 0x80 && b[i + k] <= 0xbf;
    if (!ok) {
      out += "\xef\xbf\xbd";
      ++i;
      continue;
    }
    out.append(s, i, len);
    i += len;
  }
  return out;
}

// One error of a document: where, what was expected, what was found.
struct Issue {
  std::string pointer, expected, found;
};

class InputError : public std::runtime_error {
 public:
  // `more`: further errors of the same file, found in the same pass; `unlisted`
  // counts those past the ones listed. what() holds one line per error.
  InputError(std::string file, std::string pointer, std::string expected, std::string found,
             std::vector<Issue> more = {}, std::size_t unlisted = 0)
      : std::runtime_error(message(file, pointer, expected, found, more, unlisted)),
        file_(std::move(file)),
        pointer_(std::move(pointer)),
        expected_(std::move(expected)),
        found_(std::move(found)),
        more_(std::move(more)) {}
  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }  // "" when the whole file is at fault
  const std::string& expected() const { return expected_; }
  const std::string& found() const { return found_; }
  const std::vector<Issue>& more() const { return more_; }  // the other errors, in the order read
  // Whether what() is one line of text per error (no NUL, no empty line): what the fuzz targets hold it to.
  bool lines_well_formed() const {
    const std::string m = what();
    if (m.empty() || m.find('\0') != std::string::npos || m.find("\n\n") != std::string::npos || m.back() == '\n') return false;
    const auto lines = static_cast<std::size_t>(std::count(m.begin(), m.end(), '\n')) + 1;
    return lines == 1 + more_.size() || lines == 2 + more_.size();  // the last may count the unlisted
  }

 private:
  static std::string line(const std::string& file, const std::string& pointer, const std::string& expected,
                          const std::string& found) {
    return one_line(file + ": " + (pointer.empty() ? "" : pointer + ": ") + "expected " + expected + ", found " + found);
  }
  static std::string message(const std::string& file, const std::string& pointer, const std::string& expected,
                             const std::string& found, const std::vector<Issue>& more, std::size_t unlisted) {
    std::string m = line(file, pointer, expected, found);
    for (const Issue& i : more) m += "\n" + line(file, i.pointer, i.expected, i.found);
    if (unlisted > 0) m += "\n" + one_line(file + ": and " + std::to_string(unlisted) + " more error(s) not listed");
    return m;
  }
  std::string file_, pointer_, expected_, found_;
  std::vector<Issue> more_;
};

}  // namespace capstan
