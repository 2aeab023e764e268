#pragma once
// Typed, range-checked reading of untrusted JSON objects with JSON-pointer
// error locations: the one reader below the scenario loader, the catalog and
// the calibration profiles.
//
// Every read either returns a value that satisfies its constraint or throws
// FieldError{pointer, expected, found}; the caller adds the file name (and
// turns it into its InputError: ScenarioError, ProfileError).
//
// Two forms of the same reader:
//   Object       reads a mutable document; reading a missing optional field
//                writes its default into the document, so that the document
//                ends up canonical (every field present). The scenario loader
//                and the catalog use it.
//   ConstObject  reads a const document and never writes; a missing optional
//                field reads as its default. Calibration profiles use it.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace capstan::input {

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
// `Json` is nlohmann::json (defaults are written into the document) or
// const nlohmann::json (read-only); use the aliases Object and ConstObject.
template <typename Json>
class BasicObject {
 public:
  static constexpr bool kWritesDefaults = !std::is_const_v<Json>;

  BasicObject(Json& value, std::string pointer, std::vector<std::string> keys);

  const std::string& pointer() const { return pointer_; }
  std::string ptr(std::string_view key) const { return child(pointer_, key); }
  bool has(const std::string& key) const { return value_->contains(key); }
  Json& raw(const std::string& key) const;  // required, any type
  // Any type, present (the caller filled it in when absent): the schema records it as optional.
  Json& raw_optional(const std::string& key) const;
  Json& json() const { return *value_; }

  double number(const std::string& key, Range range, std::optional<double> fallback = std::nullopt) const;
  std::int64_t integer(const std::string& key, std::int64_t lo, std::int64_t hi,
                       std::optional<std::int64_t> fallback = std::nullopt) const;
  std::uint64_t uint64(const std::string& key, std::optional<std::uint64_t> fallback = std::nullopt) const;
  bool boolean(const std::string& key, std::optional<bool> fallback = std::nullopt) const;
  // A string of 0..max_length bytes.
  std::string string(const std::string& key, std::optional<std::string> fallback = std::nullopt,
                     std::size_t max_length = 4096) const;
  // A name: a letter, then letters, digits, '-' or '_'; at most 64 characters.
  std::string name(const std::string& key) const;
  // One of `options`; returns its index.
  std::size_t choice(const std::string& key, const std::vector<std::string>& options,
                     std::optional<std::string> fallback = std::nullopt) const;
  // An array of min_items..max_items (an absent optional array reads as []).
  Json& array(const std::string& key, std::size_t min_items, std::size_t max_items, bool required) const;
  // A nested object (an absent optional object reads as {}).
  BasicObject object(const std::string& key, std::vector<std::string> keys, bool required) const;

 private:
  // The field, or nullptr when it is absent and optional; fails when absent and required.
  Json* slot(const std::string& key, bool required, const std::string& expected) const;
  // Records the default of an absent optional field in the document (Object
  // only; ConstObject leaves the document as it is).
  void fill(const std::string& key, nlohmann::json fallback) const;
  Json* value_;
  std::string pointer_;
};

using Object = BasicObject<nlohmann::json>;
using ConstObject = BasicObject<const nlohmann::json>;

extern template class BasicObject<nlohmann::json>;
extern template class BasicObject<const nlohmann::json>;

// Parses untrusted JSON text. A syntax error throws nlohmann's parse_error
// as json::parse does; a NUL byte anywhere, or a key an object repeats (which
// json::parse takes silently, the last one winning), fails with its pointer.
nlohmann::json parse_strict(const std::string& text);
// "a syntax error at line L, column C: <what the parser expected>", without
// the bytes it last read (the file may not be JSON at all, nor meant to be shown).
std::string syntax_error(const nlohmann::json::parse_error& e);

// For the active SchemaRecorder (schema_recorder.h), if any: the object at
// `pointer` holds named entries (a catalog section), not known keys.
void record_map(const std::string& pointer);

// Free-standing checks on a value at `pointer`.
double number_at(const nlohmann::json& value, const std::string& pointer, Range range);
std::string name_at(const nlohmann::json& value, const std::string& pointer);
bool is_name(std::string_view s);

}  // namespace capstan::input
