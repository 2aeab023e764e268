#include "models/input/json_reader.h"

#include "models/input/schema_recorder.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

namespace capstan::input {

FieldError::FieldError(std::string pointer_, std::string expected_, std::string found_)
    : std::runtime_error(pointer_ + ": expected " + expected_ + ", found " + found_),
      pointer(std::move(pointer_)), expected(std::move(expected_)), found(std::move(found_)) {}

void fail(const std::string& pointer, const std::string& expected, const std::string& found) {
  throw FieldError(pointer, expected, found);
}

namespace {
thread_local ErrorCollector* g_collector = nullptr;
}  // namespace

ErrorCollector::ErrorCollector() : previous_(g_collector) { g_collector = this; }
ErrorCollector::~ErrorCollector() { g_collector = previous_; }
ErrorCollector* ErrorCollector::active() { return g_collector; }
ErrorCollector::Pause::Pause() : paused_(g_collector) { g_collector = nullptr; }
ErrorCollector::Pause::~Pause() { g_collector = paused_; }

void ErrorCollector::add(const FieldError& e) {
  ++count_;
  if (errors_.size() < kMaxErrors) errors_.push_back(e);
}

bool ErrorCollector::is_broken(const std::string& name) const {
  return std::find(broken_.begin(), broken_.end(), name) != broken_.end();
}

namespace {

// Runs a field's read; while errors are collected, a failed read is recorded
// and `stand_in` gives the value it reads as.
template <typename Body, typename StandIn>
auto recovering(Body&& body, StandIn&& stand_in) -> decltype(body()) {
  ErrorCollector* c = ErrorCollector::active();
  if (!c) return body();
  try {
    return body();
  } catch (const FieldError& e) {
    if (!e.follows) c->add(e);
    return stand_in();
  }
}

// An error found while an object is opened: thrown, or recorded while errors are collected (the object reads on).
void fail_or_record(ErrorCollector* c, const std::string& pointer, const std::string& expected, const std::string& found) {
  if (!c) fail(pointer, expected, found);
  c->add(FieldError(pointer, expected, found));
}

// A number that satisfies `range`: the default, else a closed bound, 1, or the middle.
double stand_in_number(const Range& range, std::optional<double> fallback) {
  if (fallback && range.contains(*fallback)) return *fallback;
  for (double x : {range.lo, 1.0, range.hi}) {
    if (std::isfinite(x) && range.contains(x)) return x;
  }
  return range.lo + (range.hi - range.lo) / 2;
}

}  // namespace

std::string format_number(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  std::ostringstream out;
  if (x == std::floor(x) && std::fabs(x) < 1e15) {
    out << static_cast<long long>(x);
  } else {
    out.precision(10);
    out << x;
  }
  return out.str();
}

namespace {

constexpr std::size_t kShownChars = 60;

std::string cut(std::string_view s) {
  if (s.size() <= kShownChars) return std::string(s);
  std::size_t end = kShownChars;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xc0) == 0x80) --end;  // never inside a UTF-8 character
  return std::string(s.substr(0, end)) + "...";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Levenshtein distance; inputs are cut short first, so cost stays bounded.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string quote(std::string_view s) { return nlohmann::json(cut(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace

std::string describe(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: return value.empty() ? "an empty object" : "an object";
    case nlohmann::json::value_t::array:
      return value.empty() ? "an empty array" : "an array of " + std::to_string(value.size());
    case nlohmann::json::value_t::string: return quote(value.get_ref<const std::string&>());
    case nlohmann::json::value_t::number_float: return format_number(value.get<double>());
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::discarded: return "nothing";
    default: return value.dump();
  }
}

std::string nearest(std::string_view name, const std::vector<std::string>& candidates) {
  const std::string key = lower(name.substr(0, 64));
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const std::string& candidate : candidates) {
    const std::string other = lower(std::string_view(candidate).substr(0, 64));
    std::size_t d = edit_distance(key, other);
    // One name containing the other ("h100-sxm" and "h100") is a near miss however long the rest.
    if (std::min(key.size(), other.size()) >= 2 &&
        (key.find(other) != std::string::npos || other.find(key) != std::string::npos)) {
      d = std::min<std::size_t>(d, 1);
    }
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  const std::size_t limit = std::max<std::size_t>(2, key.size() / 3);
  return best_distance <= limit ? best : std::string();
}

std::string quoted_with_suggestion(std::string_view name, const std::vector<std::string>& candidates) {
  const std::string guess = nearest(name, candidates);
  const std::string mean = guess.empty() ? "" : "did you mean " + quote(guess) + "?";
  if (candidates.empty() || candidates.size() > 40) return quote(name) + (mean.empty() ? "" : " (" + mean + ")");
  std::string known;
  for (const std::string& c : candidates) known += (known.empty() ? "" : ", ") + c;
  return quote(name) + " (" + (mean.empty() ? "" : mean + " ") + "known: " + known + ")";
}

std::string child(const std::string& pointer, std::string_view key) {
  std::string out = pointer + "/";
  for (char c : key.substr(0, 200)) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string child(const std::string& pointer, std::size_t index) { return pointer + "/" + std::to_string(index); }

bool Range::contains(double x) const {
  if (!std::isfinite(x)) return false;
  if (lo_open ? !(x > lo) : !(x >= lo)) return false;
  if (hi_open ? !(x < hi) : !(x <= hi)) return false;
  return true;
}

std::string Range::describe(const char* what) const {
  return std::string(what) + " in " + (lo_open ? "(" : "[") + format_number(lo) + ", " + format_number(hi) +
         (hi_open ? ")" : "]");
}

bool is_name(std::string_view s) {
  if (s.empty() || s.size() > 64 || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

namespace {

nlohmann::json number_schema(const Range& range) {
  nlohmann::json s = {{"type", "number"}};
  s[range.lo_open ? "exclusiveMinimum" : "minimum"] = range.lo;
  s[range.hi_open ? "exclusiveMaximum" : "maximum"] = range.hi;
  return s;
}

const char* const kNamePattern = "^[A-Za-z][A-Za-z0-9_-]{0,63}$";

// Records a field for the active schema recorder, if any.
void record(const std::string& pointer, nlohmann::json schema, bool required) {
  if (SchemaRecorder* r = SchemaRecorder::active()) r->field(pointer, std::move(schema), required);
}

template <typename T>
nlohmann::json with_default(nlohmann::json schema, const std::optional<T>& fallback) {
  if (fallback) schema["default"] = *fallback;
  return schema;
}

}  // namespace

void record_map(const std::string& pointer) {
  if (SchemaRecorder* r = SchemaRecorder::active()) r->map(pointer);
}

double number_at(const nlohmann::json& value, const std::string& pointer, Range range) {
  record(pointer, number_schema(range), false);
  const std::string expected = range.describe("a number");
  if (!value.is_number()) fail(pointer, expected, describe(value));
  const double x = value.get<double>();
  if (!range.contains(x)) fail(pointer, expected, describe(value));
  return x;
}

std::string name_at(const nlohmann::json& value, const std::string& pointer) {
  record(pointer, {{"type", "string"}, {"pattern", kNamePattern}}, false);
  static const char* kExpected = "a name (a letter, then letters, digits, '-' or '_'; at most 64 characters)";
  if (!value.is_string() || !is_name(value.get_ref<const std::string&>())) fail(pointer, kExpected, describe(value));
  return value.get<std::string>();
}

namespace {

// What an absent optional array or object reads as in a read-only document.
const nlohmann::json& empty_array() {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  return kEmpty;
}
const nlohmann::json& empty_object() {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  return kEmpty;
}

}  // namespace

template <typename Json>
BasicObject<Json>::BasicObject(Json& value, std::string pointer, std::vector<std::string> keys)
    : value_(&value), pointer_(std::move(pointer)) {
  ErrorCollector* c = ErrorCollector::active();
  if (!value.is_object()) {
    fail_or_record(c, pointer_, "an object", describe(value));
    // Read on as an empty object (the document is not used after an error).
    if constexpr (kWritesDefaults) {
      value = nlohmann::json::object();
    } else {
      value_ = &empty_object();
    }
  }
  if (SchemaRecorder* r = SchemaRecorder::active()) r->object(pointer_, keys);
  std::vector<std::string> unknown;
  bool comment = false;
  for (const auto& item : value_->items()) {
    if (item.key() == kCommentKey) {
      const nlohmann::json& v = item.value();
      if (!v.is_string() || v.get_ref<const std::string&>().size() > kMaxCommentChars) {
        const std::string expected = "a comment: a string of at most " + std::to_string(kMaxCommentChars) + " characters";
        fail_or_record(c, child(pointer_, kCommentKey), expected, describe(v));
      }
      comment = true;
      continue;
    }
    if (std::find(keys.begin(), keys.end(), item.key()) == keys.end()) {
      fail_or_record(c, child(pointer_, item.key()), "a known key", quoted_with_suggestion(item.key(), keys));
      unknown.push_back(item.key());
      const std::string meant = nearest(item.key(), keys);
      if (!meant.empty()) misspelled_.push_back(meant);
    }
  }
  if constexpr (kWritesDefaults) {
    for (const auto& key : unknown) value_->erase(key);
    if (comment) value_->erase(kCommentKey);
  }
}

template <typename Json>
Json* BasicObject<Json>::slot(const std::string& key, bool required, const std::string& expected) const {
  auto it = value_->find(key);
  if (it != value_->end()) return &*it;
  if (required) {
    FieldError e(ptr(key), expected, "no value (the field is required)");
    e.follows = std::find(misspelled_.begin(), misspelled_.end(), key) != misspelled_.end();
    throw e;
  }
  return nullptr;
}

template <typename Json>
void BasicObject<Json>::fill(const std::string& key, nlohmann::json fallback) const {
  if constexpr (kWritesDefaults) (*value_)[key] = std::move(fallback);
}

template <typename Json>
Json& BasicObject<Json>::raw(const std::string& key) const {
  record(ptr(key), nlohmann::json::object(), true);
  return raw_slot(key);
}

template <typename Json>
Json& BasicObject<Json>::raw_optional(const std::string& key) const {
  record(ptr(key), nlohmann::json::object(), false);
  return raw_slot(key);
}

template <typename Json>
Json& BasicObject<Json>::raw_slot(const std::string& key) const {
  return recovering([&]() -> Json& { return *slot(key, true, "a value"); }, [&]() -> Json& {
    static const nlohmann::json kNull;
    if constexpr (kWritesDefaults) {
      return (*value_)[key] = nullptr;  // read on as null: the caller's check of its type ends the part
    } else {
      return kNull;
    }
  });
}

template <typename Json>
double BasicObject<Json>::number(const std::string& key, Range range, std::optional<double> fallback) const {
  return recovering([&] { return number_strict(key, range, fallback); },
                    [&] { return stand_in_number(range, fallback); });
}

template <typename Json>
double BasicObject<Json>::number_strict(const std::string& key, Range range, std::optional<double> fallback) const {
  record(ptr(key), with_default(number_schema(range), fallback), !fallback);
  Json* p = slot(key, !fallback, range.describe("a number"));
  if (!p) {
    fill(key, *fallback);
    return *fallback;
  }
  const double x = number_at(*p, ptr(key), range);
  // The canonical form holds the number as read: 60 and 60.0 (and a default
  // left out) are one scenario, with one hash.
  if constexpr (kWritesDefaults) *p = x;
  return x;
}

template <typename Json>
std::int64_t BasicObject<Json>::integer(const std::string& key, std::int64_t lo, std::int64_t hi,
                                        std::optional<std::int64_t> fallback) const {
  return recovering([&] { return integer_strict(key, lo, hi, fallback); },
                    [&] { return fallback && *fallback >= lo && *fallback <= hi ? *fallback : lo; });
}

template <typename Json>
std::int64_t BasicObject<Json>::integer_strict(const std::string& key, std::int64_t lo, std::int64_t hi,
                                               std::optional<std::int64_t> fallback) const {
  const std::string expected = "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  record(ptr(key), with_default(nlohmann::json{{"type", "integer"}, {"minimum", lo}, {"maximum", hi}}, fallback),
         !fallback);
  Json* p = slot(key, !fallback, expected);
  if (!p) {
    fill(key, *fallback);
    return *fallback;
  }
  const nlohmann::json& v = *p;
  if (!v.is_number()) fail(ptr(key), expected, describe(v));
  if (v.is_number_integer()) {  // signed or unsigned
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
      fail(ptr(key), expected, describe(v));
    }
    const std::int64_t x = v.get<std::int64_t>();
    if (x < lo || x > hi) fail(ptr(key), expected, describe(v));
    return x;
  }
  const double x = v.get<double>();
  if (!std::isfinite(x) || x != std::floor(x) || x < static_cast<double>(lo) || x > static_cast<double>(hi)) {
    fail(ptr(key), expected, describe(v));
  }
  if constexpr (kWritesDefaults) *p = static_cast<std::int64_t>(x);  // canonical: 4.0 reads and hashes as 4
  return static_cast<std::int64_t>(x);
}

template <typename Json>
std::uint64_t BasicObject<Json>::uint64(const std::string& key, std::optional<std::uint64_t> fallback) const {
  return recovering([&] { return uint64_strict(key, fallback); }, [&] { return fallback.value_or(0); });
}

template <typename Json>
std::uint64_t BasicObject<Json>::uint64_strict(const std::string& key, std::optional<std::uint64_t> fallback) const {
  const std::string expected = "an integer in [0, 18446744073709551615]";
  record(ptr(key),
         with_default(nlohmann::json{{"type", "integer"}, {"minimum", 0}, {"maximum", 18446744073709551615ULL}},
                      fallback),
         !fallback);
  Json* p = slot(key, !fallback, expected);
  if (!p) {
    fill(key, *fallback);
    return *fallback;
  }
  const nlohmann::json& v = *p;
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    if (v.get<std::int64_t>() < 0) fail(ptr(key), expected, describe(v));
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  }
  if (v.is_number_float()) {
    const double x = v.get<double>();
    if (std::isfinite(x) && x >= 0 && x == std::floor(x) && x < 9007199254740992.0) {
      if constexpr (kWritesDefaults) *p = static_cast<std::uint64_t>(x);  // canonical: 1.0 hashes as 1
      return static_cast<std::uint64_t>(x);
    }
  }
  fail(ptr(key), expected, describe(v));
}

template <typename Json>
bool BasicObject<Json>::boolean(const std::string& key, std::optional<bool> fallback) const {
  return recovering([&] { return boolean_strict(key, fallback); }, [&] { return fallback.value_or(false); });
}

template <typename Json>
bool BasicObject<Json>::boolean_strict(const std::string& key, std::optional<bool> fallback) const {
  record(ptr(key), with_default(nlohmann::json{{"type", "boolean"}}, fallback), !fallback);
  const Json* p = slot(key, !fallback, "true or false");
  if (!p) {
    fill(key, *fallback);
    return *fallback;
  }
  const nlohmann::json& v = *p;
  if (!v.is_boolean()) fail(ptr(key), "true or false", describe(v));
  return v.get<bool>();
}

template <typename Json>
std::string BasicObject<Json>::string(const std::string& key, std::optional<std::string> fallback,
                                      std::size_t max_length) const {
  return recovering([&] { return string_strict(key, fallback, max_length); },
                    [&] { return fallback.value_or(std::string()); });
}

template <typename Json>
std::string BasicObject<Json>::string_strict(const std::string& key, std::optional<std::string> fallback,
                                             std::size_t max_length) const {
  const std::string expected = "a string of at most " + std::to_string(max_length) + " characters";
  record(ptr(key), with_default(nlohmann::json{{"type", "string"}, {"maxLength", max_length}}, fallback), !fallback);
  const Json* p = slot(key, !fallback, expected);
  if (!p) {
    fill(key, *fallback);
    return *fallback;
  }
  const nlohmann::json& v = *p;
  if (!v.is_string() || v.get_ref<const std::string&>().size() > max_length) fail(ptr(key), expected, describe(v));
  return v.get<std::string>();
}

template <typename Json>
std::string BasicObject<Json>::name(const std::string& key) const {
  record(ptr(key), {{"type", "string"}, {"pattern", kNamePattern}}, true);
  // A bad name reads as written where it is a string, so that what refers to it still finds it.
  return recovering([&] { return name_at(*slot(key, true, "a name (a letter, then letters, digits, '-' or '_')"), ptr(key)); },
                    [&] {
                      auto it = value_->find(key);
                      return it != value_->end() && it->is_string() ? it->template get<std::string>() : std::string();
                    });
}

template <typename Json>
std::size_t BasicObject<Json>::choice(const std::string& key, const std::vector<std::string>& options,
                                      std::optional<std::string> fallback) const {
  return recovering([&] { return choice_strict(key, options, fallback); }, [&] {
    const auto it = fallback ? std::find(options.begin(), options.end(), *fallback) : options.end();
    return it == options.end() ? std::size_t{0} : static_cast<std::size_t>(it - options.begin());
  });
}

template <typename Json>
std::size_t BasicObject<Json>::choice_strict(const std::string& key, const std::vector<std::string>& options,
                                             std::optional<std::string> fallback) const {
  std::string expected = "one of";
  for (std::size_t i = 0; i < options.size(); ++i) expected += (i ? ", \"" : " \"") + options[i] + "\"";
  record(ptr(key), with_default(nlohmann::json{{"enum", options}}, fallback), !fallback);
  const Json* p = slot(key, !fallback, expected);
  const nlohmann::json fallback_value = fallback ? nlohmann::json(*fallback) : nlohmann::json();
  if (!p) fill(key, fallback_value);
  const nlohmann::json& v = p ? *p : fallback_value;
  if (!v.is_string()) fail(ptr(key), expected, describe(v));
  const auto& s = v.get_ref<const std::string&>();
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (s == options[i]) return i;
  }
  fail(ptr(key), expected, quoted_with_suggestion(s, options));
}

template <typename Json>
Json& BasicObject<Json>::array(const std::string& key, std::size_t min_items, std::size_t max_items,
                               bool required) const {
  return recovering([&]() -> Json& { return array_strict(key, min_items, max_items, required); }, [&]() -> Json& {
    if constexpr (kWritesDefaults) {
      return (*value_)[key] = nlohmann::json::array();  // read on as empty
    } else {
      return empty_array();
    }
  });
}

template <typename Json>
Json& BasicObject<Json>::array_strict(const std::string& key, std::size_t min_items, std::size_t max_items,
                                      bool required) const {
  const std::string expected = "an array of " + std::to_string(min_items) + " to " + std::to_string(max_items) + " items";
  if (SchemaRecorder* r = SchemaRecorder::active()) {
    r->array(ptr(key), min_items, max_items);
    r->field(ptr(key), nlohmann::json::object(), required);
  }
  Json* p = slot(key, required, expected);
  if (!p) {
    if constexpr (kWritesDefaults) {
      p = &((*value_)[key] = nlohmann::json::array());
    } else {
      p = &empty_array();
    }
  }
  if (!p->is_array() || p->size() < min_items || p->size() > max_items) fail(ptr(key), expected, describe(*p));
  return *p;
}

template <typename Json>
BasicObject<Json> BasicObject<Json>::object(const std::string& key, std::vector<std::string> keys,
                                            bool required) const {
  record(ptr(key), nlohmann::json::object(), required);
  Json* p = recovering([&] { return slot(key, required, "an object"); }, [] { return static_cast<Json*>(nullptr); });
  if (!p) {
    if constexpr (kWritesDefaults) {
      p = &((*value_)[key] = nlohmann::json::object());
    } else {
      p = &empty_object();
    }
  }
  return BasicObject(*p, ptr(key), std::move(keys));
}

template class BasicObject<nlohmann::json>;
template class BasicObject<const nlohmann::json>;

namespace {

// Builds the document as json::parse does, and stops at the first key that
// an object repeats, remembering where.
class StrictSax {
 public:
  explicit StrictSax(nlohmann::json& doc) : dom_(doc, true) {}
  using json = nlohmann::json;
  bool null() { return scalar() && dom_.null(); }
  bool boolean(bool v) { return scalar() && dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return scalar() && dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return scalar() && dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& text) { return scalar() && dom_.number_float(v, text); }
  bool string(json::string_t& v) { return scalar() && dom_.string(v); }
  bool binary(json::binary_t& v) { return scalar() && dom_.binary(v); }
  bool start_object(std::size_t n) {
    frames_.push_back({true, {}, {}, 0});
    return dom_.start_object(n);
  }
  bool key(json::string_t& k) {
    Frame& f = frames_.back();
    if (!f.keys.insert(k).second) {
      // The pointer is built only now: built per value, a deep document would cost its depth squared.
      std::string pointer;
      for (std::size_t i = 0; i + 1 < frames_.size(); ++i) {
        pointer = frames_[i].object ? child(pointer, frames_[i].key) : child(pointer, frames_[i].index);
      }
      duplicate_ = child(pointer, k);
      duplicate_key_ = k;
      return false;
    }
    f.key = k;
    return dom_.key(k);
  }
  bool end_object() { return close() && dom_.end_object(); }
  bool start_array(std::size_t n) {
    frames_.push_back({false, {}, {}, 0});
    return dom_.start_array(n);
  }
  bool end_array() { return close() && dom_.end_array(); }
  // A template, so that the parser's own exception type (parse_error,
  // out_of_range) is thrown, not its base.
  template <typename Exception>
  bool parse_error(std::size_t position, const std::string& last_token, const Exception& e) {
    return dom_.parse_error(position, last_token, e);
  }
  const std::string& duplicate() const { return duplicate_; }
  const std::string& duplicate_key() const { return duplicate_key_; }

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;  // an object's keys so far
    std::string key;             // an object's current key
    std::size_t index;           // an array's current element
  };
  bool scalar() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
    return true;
  }
  bool close() {
    frames_.pop_back();
    return scalar();
  }
  nlohmann::detail::json_sax_dom_parser<nlohmann::json> dom_;
  std::vector<Frame> frames_;
  std::string duplicate_, duplicate_key_;
};

}  // namespace

std::string syntax_error(const nlohmann::json::parse_error& e) {
  // nlohmann's message: "[json.exception.parse_error.101] parse error at line L, column C: syntax error
  // while parsing value - invalid literal; last read: '...'".
  std::string what = e.what();
  const std::string marker = "parse error ";
  const auto at = what.find(marker);
  if (at != std::string::npos) what = what.substr(at + marker.size());
  const auto read = what.find("; last read");
  if (read != std::string::npos) what.erase(read);
  return "a syntax error " + what;
}

nlohmann::json parse_strict(const std::string& text) {
  const auto nul = text.find('\0');
  if (nul != std::string::npos) {
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n');
    fail("", "text with no NUL byte", "a NUL byte at line " + std::to_string(line));
  }
  nlohmann::json doc;
  StrictSax sax(doc);
  const bool ok = nlohmann::json::sax_parse(text, &sax);
  if (!ok && !sax.duplicate().empty()) fail(sax.duplicate(), "each key once in an object", quote(sax.duplicate_key()) + " a second time");
  return doc;
}

}  // namespace capstan::input
