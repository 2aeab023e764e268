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
  // While errors are collected: an error that follows from one already
  // reported (a required field missing because its key was misspelled, and
  // reported as unknown): not reported again.
  bool follows = false;
};

[[noreturn]] void fail(const std::string& pointer, const std::string& expected, const std::string& found);

// Collects the errors of one document so that it is reported in one pass.
// While one is active on this thread, a field that fails its read is
// recorded and reads as a stand-in value that satisfies its constraint (its
// default, else a bound of its range, an empty string, an empty array or
// object), so reading goes on; an object's unknown keys are recorded and
// skipped. An error that a check throws (fail()) still ends the read: the
// reader calls part() around each independent part of the document (a
// section, one item of a list) so that it ends that part only. The caller
// reports errors() when the read is done, and uses nothing it read.
class ErrorCollector {
 public:
  static constexpr std::size_t kMaxErrors = 100;  // more are counted, not kept
  ErrorCollector();
  ~ErrorCollector();
  ErrorCollector(const ErrorCollector&) = delete;
  ErrorCollector& operator=(const ErrorCollector&) = delete;

  static ErrorCollector* active();  // on this thread, or nullptr

  // While one lives, errors throw as without a collector: for the other
  // documents a scenario names (a trace, a profile), whose pointers are their
  // own (schema_recorder.h's OwnDocument pauses this and the recorder together).
  class Pause {
   public:
    Pause();
    ~Pause();
    Pause(const Pause&) = delete;
    Pause& operator=(const Pause&) = delete;

   private:
    ErrorCollector* paused_;
  };

  void add(const FieldError& e);
  const std::vector<FieldError>& errors() const { return errors_; }
  std::size_t count() const { return count_; }  // all recorded, kept or not
  bool empty() const { return count_ == 0; }

  // Names of items that failed (a deployment, a site, an origin): the parts
  // that refer to them are skipped, since their errors would follow from it.
  void broken(const std::string& name) { broken_.push_back(name); }
  bool is_broken(const std::string& name) const;

 private:
  std::vector<FieldError> errors_;
  std::size_t count_ = 0;
  std::vector<std::string> broken_;
  ErrorCollector* previous_;
};

// Runs one independent part of a document. Without a collector it just runs
// `body` (an error propagates). With one, an error the part throws is
// recorded, unless the part had already recorded one (then it may follow from
// that one's stand-in value), and the part ends there. Returns whether the
// part ran to its end (its fields may have read as stand-ins): an item that
// did is in the result, named as written.
template <typename F>
bool part(F&& body) {
  ErrorCollector* c = ErrorCollector::active();
  if (!c) {
    body();
    return true;
  }
  const std::size_t before = c->count();
  try {
    body();
  } catch (const FieldError& e) {
    if (c->count() == before && !e.follows) c->add(e);
    return false;
  }
  return true;
}

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

// Any object of a document may hold a "$comment" (as JSON Schema spells one):
// a string of at most kMaxCommentChars, not part of the value. An Object
// removes it from the document, so a comment never changes a canonical form
// or a hash.
inline constexpr const char* kCommentKey = "$comment";
inline constexpr std::size_t kMaxCommentChars = 20000;

// One JSON object under validation. Construction checks that `value` is an
// object holding only `keys` (an unknown key fails with a suggestion) and
// perhaps a "$comment".
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
  // The reads without recovery (the public reads recover while errors are collected).
  double number_strict(const std::string& key, Range range, std::optional<double> fallback) const;
  std::int64_t integer_strict(const std::string& key, std::int64_t lo, std::int64_t hi,
                              std::optional<std::int64_t> fallback) const;
  std::uint64_t uint64_strict(const std::string& key, std::optional<std::uint64_t> fallback) const;
  bool boolean_strict(const std::string& key, std::optional<bool> fallback) const;
  std::string string_strict(const std::string& key, std::optional<std::string> fallback, std::size_t max_length) const;
  std::size_t choice_strict(const std::string& key, const std::vector<std::string>& options,
                            std::optional<std::string> fallback) const;
  Json& array_strict(const std::string& key, std::size_t min_items, std::size_t max_items, bool required) const;
  Json& raw_slot(const std::string& key) const;
  // The field, or nullptr when it is absent and optional; fails when absent and required.
  Json* slot(const std::string& key, bool required, const std::string& expected) const;
  // Records the default of an absent optional field in the document (Object
  // only; ConstObject leaves the document as it is).
  void fill(const std::string& key, nlohmann::json fallback) const;
  Json* value_;
  std::string pointer_;
  std::vector<std::string> misspelled_;  // known keys an unknown key was the nearest to
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

// parse_strict for a file's text, its failures as the caller's input error
// Error(file, pointer, expected, found): a NUL byte or a repeated key at its
// pointer, a syntax error at its line and column, a number that overflows a
// double as the parser says.
template <typename Error>
nlohmann::json parse_file_text(const std::string& text, const std::string& file) {
  try {
    return parse_strict(text);
  } catch (const FieldError& e) {
    throw Error(file, e.pointer, e.expected, e.found);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(file, "", "valid JSON", syntax_error(e));
  } catch (const nlohmann::json::exception& e) {  // e.g. out_of_range.406: a number overflows a double
    const std::string what = e.what();
    const auto at = what.find("] ");
    throw Error(file, "", "valid JSON", at == std::string::npos ? what : what.substr(at + 2));
  }
}

// For the active SchemaRecorder (schema_recorder.h), if any: the object at
// `pointer` holds named entries (a catalog section), not known keys.
void record_map(const std::string& pointer);

// Free-standing checks on a value at `pointer`.
double number_at(const nlohmann::json& value, const std::string& pointer, Range range);
std::string name_at(const nlohmann::json& value, const std::string& pointer);
bool is_name(std::string_view s);

}  // namespace capstan::input
