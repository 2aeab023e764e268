#pragma once
// Typed, range-checked reading of untrusted JSON objects with JSON-pointer
// error locations. Used by the scenario loader and the catalog.
//
// Every read either returns a value that satisfies its constraint or throws
// FieldError{pointer, expected, found}; the caller adds the file name.
// Reading a missing optional field writes its default into the document, so
// that the document ends up canonical (every field present).
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace capstan::scenario::fields {

class FieldError : public std::runtime_error {
 public:
  FieldError(std::string pointer, std::string expected, std::string found);
  std::string pointer, expected, found;
};

[[noreturn]] void fail(const std::string& pointer, const std::string& expected, const std::string& found);

// How a value reads in an error: numbers and short strings verbatim, long
// strings cut, containers by kind ("an object", "an array of 3").
std::string describe(const nlohmann::json& value);
// `name` quoted, with the nearest candidate by edit distance when one is close:
// "\"peak_user\" (did you mean \"peak_users\"?)".
std::string quoted_with_suggestion(std::string_view name, const std::vector<std::string>& candidates);
// The closest candidate (case-insensitive Levenshtein) or "" when none is close.
std::string nearest(std::string_view name, const std::vector<std::string>& candidates);
// Appends one reference token, escaped per RFC 6901.
std::string child(const std::string& pointer, std::string_view key);
std::string child(const std::string& pointer, std::size_t index);
std::string format_number(double x);

// A closed or open interval for numbers.
struct Range {
  double lo;
  double hi;
  bool lo_open = false;
  bool hi_open = false;
  bool contains(double x) const;
  std::string describe(const char* what) const;  // "a number in (0, 1]"
};
inline Range positive(double hi) { return {0.0, hi, true, false}; }
inline Range non_negative(double hi) { return {0.0, hi, false, false}; }

// One JSON object under validation. Construction checks that `value` is an
// object holding only `keys` (an unknown key fails with a suggestion).
class Object {
 public:
  Object(nlohmann::json& value, std::string pointer, std::vector<std::string> keys);

  const std::string& pointer() const { return pointer_; }
  std::string ptr(std::string_view key) const { return child(pointer_, key); }
  bool has(const std::string& key) const { return value_->contains(key); }
  nlohmann::json& raw(const std::string& key);  // required, any type
  nlohmann::json& json() { return *value_; }

  double number(const std::string& key, Range range, std::optional<double> fallback = std::nullopt);
  std::int64_t integer(const std::string& key, std::int64_t lo, std::int64_t hi,
                       std::optional<std::int64_t> fallback = std::nullopt);
  std::uint64_t uint64(const std::string& key, std::optional<std::uint64_t> fallback = std::nullopt);
  bool boolean(const std::string& key, std::optional<bool> fallback = std::nullopt);
  // A string of 0..max_length bytes.
  std::string string(const std::string& key, std::optional<std::string> fallback = std::nullopt,
                     std::size_t max_length = 4096);
  // A name: a letter, then letters, digits, '-' or '_'; at most 64 characters.
  std::string name(const std::string& key);
  // One of `options`; returns its index.
  std::size_t choice(const std::string& key, const std::vector<std::string>& options,
                     std::optional<std::string> fallback = std::nullopt);
  // An array of at most max_items (an absent optional array reads as []).
  nlohmann::json& array(const std::string& key, std::size_t min_items, std::size_t max_items, bool required);
  // A nested object (an absent optional object reads as {}).
  Object object(const std::string& key, std::vector<std::string> keys, bool required);

 private:
  // The field, or nullptr when it is absent and optional; fails when absent and required.
  nlohmann::json* slot(const std::string& key, bool required, const std::string& expected);
  nlohmann::json* value_;
  std::string pointer_;
};

// Free-standing checks on a value at `pointer`.
double number_at(const nlohmann::json& value, const std::string& pointer, Range range);
std::string name_at(const nlohmann::json& value, const std::string& pointer);
bool is_name(std::string_view s);

}  // namespace capstan::scenario::fields
