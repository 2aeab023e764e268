#include "models/input/schema_recorder.h"

#include "models/input/json_reader.h"

#include <algorithm>
#include <cctype>

namespace capstan::input {

namespace {

thread_local SchemaRecorder* g_active = nullptr;

std::vector<std::string> segments(const std::string& pointer) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < pointer.size()) {
    const std::size_t next = pointer.find('/', i + 1);
    std::string s = pointer.substr(i + 1, next == std::string::npos ? std::string::npos : next - i - 1);
    // Unescape RFC 6901: "~1" is "/", "~0" is "~".
    std::string u;
    for (std::size_t k = 0; k < s.size(); ++k) {
      if (s[k] == '~' && k + 1 < s.size()) {
        u += s[k + 1] == '1' ? '/' : '~';
        ++k;
      } else {
        u += s[k];
      }
    }
    out.push_back(u);
    if (next == std::string::npos) break;
    i = next;
  }
  return out;
}

// `into` admits every value `other` admits: the lower of the lower bounds, the higher of the upper.
void widen(nlohmann::json& into, const nlohmann::json& other) {
  auto bound = [](const nlohmann::json& s, const char* closed, const char* open, bool lower) {
    if (s.contains(closed)) return std::pair<double, bool>{s[closed].get<double>(), false};
    if (s.contains(open)) return std::pair<double, bool>{s[open].get<double>(), true};
    return std::pair<double, bool>{lower ? -1e308 : 1e308, false};
  };
  for (bool lower : {true, false}) {
    const char* closed = lower ? "minimum" : "maximum";
    const char* open = lower ? "exclusiveMinimum" : "exclusiveMaximum";
    const auto a = bound(into, closed, open, lower), b = bound(other, closed, open, lower);
    const bool b_wider = lower ? (b.first < a.first || (b.first == a.first && !b.second)) : (b.first > a.first || (b.first == a.first && !b.second));
    if (!b_wider) continue;
    into.erase(closed);
    into.erase(open);
    if (b.first > -1e308 && b.first < 1e308) into[b.second ? open : closed] = b.first;
  }
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

SchemaRecorder::SchemaRecorder() : previous_(g_active) { g_active = this; }
SchemaRecorder::~SchemaRecorder() { g_active = previous_; }
SchemaRecorder* SchemaRecorder::active() { return g_active; }

SchemaRecorder::Pause::Pause() : paused_(g_active) { g_active = nullptr; }
SchemaRecorder::Pause::~Pause() { g_active = paused_; }

std::string SchemaRecorder::pattern(const std::string& pointer) const {
  std::string out;
  for (const std::string& s : segments(pointer)) {
    auto it = nodes_.find(out);
    // Names never begin with a digit, so a numeric segment is an array index.
    if (all_digits(s)) {
      out += "/*";
    } else if (it != nodes_.end() && it->second.is_map) {
      out += "/{}";
    } else {
      out += "/" + s;
    }
  }
  return out;
}

void SchemaRecorder::object(const std::string& pointer, const std::vector<std::string>& keys) {
  Node& n = nodes_[pattern(pointer)];
  n.is_object = true;
  n.keys.insert(keys.begin(), keys.end());
  ++n.visits;
}

void SchemaRecorder::map(const std::string& pointer) { nodes_[pattern(pointer)].is_map = true; }

void SchemaRecorder::array(const std::string& pointer, std::size_t min_items, std::size_t max_items) {
  Node& n = nodes_[pattern(pointer)];
  if (!n.is_array) {
    n.min_items = min_items;
    n.max_items = max_items;
  }
  n.is_array = true;
}

void SchemaRecorder::field(const std::string& pointer, nlohmann::json schema, bool required) {
  const std::string p = pattern(pointer);
  Node& n = nodes_[p];
  if (n.leaf.is_null() || (n.leaf.empty() && !schema.empty())) {
    n.leaf = std::move(schema);  // the first reading, or the first that says what the value is
  } else if (n.leaf.contains("type") && schema.contains("type") && n.leaf["type"] == schema["type"] &&
             (schema["type"] == "number" || schema["type"] == "integer")) {
    // Two ranges for one field (a target whose range depends on the metric): the wider.
    widen(n.leaf, schema);
  } else if (n.leaf.contains("enum") && schema.contains("enum")) {
    // Two readings of one choice: every option either allows.
    for (const auto& v : schema["enum"]) {
      if (std::find(n.leaf["enum"].begin(), n.leaf["enum"].end(), v) == n.leaf["enum"].end()) {
        n.leaf["enum"].push_back(v);
      }
    }
  }
  const std::size_t slash = p.find_last_of('/');
  if (slash == std::string::npos) return;
  const std::string key = p.substr(slash + 1);
  if (required && key != "*" && key != "{}") ++nodes_[p.substr(0, slash)].required[key];
}

nlohmann::json SchemaRecorder::build(const std::string& p) const {
  auto it = nodes_.find(p);
  if (it == nodes_.end()) return nlohmann::json::object();
  const Node& n = it->second;
  // A field read either as a plain value or as an object (a number or a
  // distribution): one of the two.
  const bool either = !n.leaf.is_null() && n.leaf.contains("type") && (n.is_object || n.is_array);
  nlohmann::json s = n.leaf.is_null() || either ? nlohmann::json::object() : n.leaf;
  if (n.is_object) {
    s["type"] = "object";
    nlohmann::json props = nlohmann::json::object();
    for (const std::string& key : n.keys) props[key] = build(p + "/" + key);
    // Any object may hold a comment (json_reader.h).
    props[kCommentKey] = {{"type", "string"}, {"maxLength", kMaxCommentChars}};
    s["properties"] = props;
    s["additionalProperties"] = false;
    nlohmann::json required = nlohmann::json::array();
    for (const auto& [key, count] : n.required) {
      if (count >= n.visits && n.keys.count(key)) required.push_back(key);  // required on every reading
    }
    if (!required.empty()) s["required"] = required;
  }
  if (n.is_map) {
    s["type"] = "object";
    s["additionalProperties"] = build(p + "/{}");
  }
  if (n.is_array) {
    s["type"] = "array";
    s["minItems"] = n.min_items;
    s["maxItems"] = n.max_items;
    if (nodes_.count(p + "/*")) s["items"] = build(p + "/*");
  }
  if (either) {
    nlohmann::json value = n.leaf;
    nlohmann::json out = {{"anyOf", nlohmann::json::array({value, s})}};
    if (value.contains("default")) out["default"] = value["default"];
    return out;
  }
  return s;
}

nlohmann::json SchemaRecorder::schema() const {
  nlohmann::json s = build("");
  s["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  return s;
}

}  // namespace capstan::input
