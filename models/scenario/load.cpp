#include "models/scenario/load.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "models/scenario/parse.h"
#include "models/input/read_file.h"
#include "models/scenario/sha256.h"

namespace capstan::scenario {

using nlohmann::json;
namespace js = capstan::input;

namespace {

constexpr std::uintmax_t kMaxFileBytes = 16u << 20;
constexpr std::size_t kMaxDepth = 64;

// Rejects documents nested deeper than kMaxDepth before anything recurses
// over them (copying and dumping a json value recurse).
// A value placed at `pointer`, `depth` levels down, is checked as part of
// the whole document, and its errors name the place in the document.
void check_depth(const json& doc, const std::string& source, const std::string& pointer = "", std::size_t depth = 0) {
  struct Frame {
    const json* value;
    std::string pointer;
    std::size_t depth;
  };
  std::vector<Frame> stack{{&doc, pointer, depth}};
  while (!stack.empty()) {
    Frame f = std::move(stack.back());
    stack.pop_back();
    if (!f.value->is_structured()) continue;
    if (f.depth >= kMaxDepth) {
      throw ScenarioError(source, f.pointer, "values nested at most 64 levels deep", "deeper nesting");
    }
    if (f.value->is_object()) {
      for (const auto& item : f.value->items()) stack.push_back({&item.value(), js::child(f.pointer, item.key()), f.depth + 1});
    } else {
      for (std::size_t i = 0; i < f.value->size(); ++i) stack.push_back({&(*f.value)[i], js::child(f.pointer, i), f.depth + 1});
    }
  }
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '\\' && i + 1 < path.size() && path[i + 1] == '.') {
      out.back() += '.';
      ++i;
    } else if (path[i] == '.') {
      out.emplace_back();
    } else {
      out.back() += path[i];
    }
  }
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

void apply_override(json& doc, const Override& ov, const std::string& source) {
  const std::string origin = " (from --set " + ov.path + "=" + ov.value + ")";
  const std::vector<std::string> segments = split_path(ov.path);
  json value;
  try {
    value = js::parse_strict(ov.value);
  } catch (const js::FieldError& e) {
    std::string where;
    for (const std::string& seg : segments) where = js::child(where, seg);
    throw ScenarioError(source, where + e.pointer, e.expected, e.found + origin);
  } catch (const json::parse_error&) {
    value = ov.value;
    try {
      (void)value.dump();  // throws on invalid UTF-8
    } catch (const json::exception&) {
      throw ScenarioError(source, "", "a UTF-8 override value", "invalid UTF-8" + origin);
    }
  } catch (const json::exception&) {  // out_of_range.406: a number that overflows a double, e.g. 1e999
    std::string where;
    for (const std::string& seg : segments) where = js::child(where, seg);
    throw ScenarioError(source, where, "a number a double can hold", "\"" + ov.value + "\"" + origin);
  }
  {
    std::string where;
    for (const std::string& seg : segments) where = js::child(where, seg);
    try {
      check_depth(value, source, where, segments.size());
    } catch (const ScenarioError& e) {  // the error names the field set, not a place inside its value
      throw ScenarioError(source, where, e.expected() + " in the document", e.found() + origin);
    }
  }
  json* at = &doc;
  json* parent = nullptr;
  std::string pointer;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& seg = segments[i];
    if (seg.empty()) throw ScenarioError(source, pointer, "a key path without empty segments", "\"" + ov.path + "\"" );
    parent = at;
    if (at->is_object()) {
      pointer = js::child(pointer, seg);
      // A missing key is added: the validation that follows rejects it if the
      // schema does not know it, with a suggestion.
      at = &(*at)[seg];
      if (at->is_null() && i + 1 < segments.size()) *at = json::object();
    } else if (at->is_array()) {
      json* found = nullptr;
      if (all_digits(seg) && std::stoul(seg) < at->size()) {
        found = &(*at)[std::stoul(seg)];
      } else {
        for (auto& element : *at) {
          if (element.is_object() && element.contains("name") && element["name"] == seg) {
            found = &element;
            break;
          }
        }
      }
      if (!found) {
        std::vector<std::string> names;
        for (const auto& element : *at) {
          if (element.is_object() && element.contains("name") && element["name"].is_string()) {
            names.push_back(element["name"].get<std::string>());
          }
        }
        throw ScenarioError(source, js::child(pointer, seg),
                            "an existing element (an index below " + std::to_string(at->size()) +
                                " or the name of an element)",
                            js::quoted_with_suggestion(seg, names) + origin);
      }
      pointer = js::child(pointer, seg);
      at = found;
    } else {
      throw ScenarioError(source, pointer, "an object or an array to hold \"" + seg + "\"", js::describe(*at) + origin);
    }
  }
  // null removes a field of an object: it takes its default again.
  if (value.is_null() && parent && parent->is_object()) {
    parent->erase(segments.back());
    return;
  }
  *at = std::move(value);
}

Scenario load_document(json doc, const std::string& source, const std::string& base_dir,
                       const std::vector<Override>& overrides) {
  for (const Override& ov : overrides) apply_override(doc, ov, source);
  Scenario s;
  {
    // Every error the document has, in one pass (json_reader.h): reported
    // together, the first as the error's own fields, the rest in more().
    js::ErrorCollector errors;
    try {
      s = detail::parse_document(doc, base_dir);
    } catch (const js::FieldError& e) {
      if (errors.count() == 0) errors.add(e);  // an error outside every part
    } catch (const std::exception&) {
      // After an error, a stand-in value may upset a later read: the errors
      // found so far are the report. Before any, the failure is the report.
      if (errors.empty()) throw;
    }
    if (!errors.empty()) {
      const auto& list = errors.errors();
      std::vector<Issue> more;
      for (std::size_t i = 1; i < list.size(); ++i) more.push_back({list[i].pointer, list[i].expected, list[i].found});
      throw ScenarioError(source, list[0].pointer, list[0].expected, list[0].found, std::move(more),
                          errors.count() - list.size());
    }
  }
  s.source_path = base_dir.empty() ? "" : source;
  s.canonical_json = doc.dump(-1, ' ', false, json::error_handler_t::replace);
  // The traces a scenario names are part of it: their bytes' hashes join the
  // document's (a scenario without traces hashes its document alone). Their
  // paths are not: the same trace named from another directory (the Python
  // API names it by its absolute path) hashes alike.
  // (Without traces the blanked copy is the document itself.)
  json unnamed = doc;
  for (auto& c : unnamed["classes"]) {
    if (c.contains("trace")) c["trace"]["file"] = "";
  }
  for (auto& site : unnamed["sites"]) {
    for (auto& pool : site["pools"]) {
      if (pool.contains("interruptions") && pool["interruptions"].contains("file")) pool["interruptions"]["file"] = "";
    }
  }
  std::string hashed = unnamed.dump(-1, ' ', false, json::error_handler_t::replace);
  for (const auto& c : s.classes) {
    if (c.trace.enabled) hashed += "\nrequest trace " + c.trace.sha256;
  }
  for (const auto& site : s.sites) {
    for (const auto& pool : site.pools) {
      if (!pool.interruptions.trace_sha256.empty()) hashed += "\nspot trace " + pool.interruptions.trace_sha256;
    }
  }
  s.sha256 = sha256_hex(hashed);
  return s;
}

Scenario load_text_in(const std::string& text, const std::string& source, const std::string& base_dir,
                      const std::vector<Override>& overrides) {
  if (std::all_of(text.begin(), text.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
    throw ScenarioError(source, "", "a JSON object", "an empty file");
  }
  json doc = input::parse_file_text<ScenarioError>(text, source);
  check_depth(doc, source);
  if (!doc.is_object()) throw ScenarioError(source, "", "a JSON object", js::describe(doc));
  return load_document(std::move(doc), source, base_dir, overrides);
}

}  // namespace

Override parse_override(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ScenarioError("--set", "", "key.path=value", js::describe(json(text)));
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

Scenario load_file(const std::string& path, const std::vector<Override>& overrides) {
  namespace fs = std::filesystem;
  const std::string text = input::read_file_or_throw<ScenarioError>(path, kMaxFileBytes);
  std::string base_dir = fs::path(path).parent_path().string();
  if (base_dir.empty()) base_dir = ".";
  return load_text_in(text, path, base_dir, overrides);
}

Scenario load_text(const std::string& text, const std::string& source, const std::vector<Override>& overrides) {
  return load_text_in(text, source, "", overrides);
}

Scenario load_json(const json& doc, const std::string& source, const std::vector<Override>& overrides) {
  check_depth(doc, source);
  if (!doc.is_object()) throw ScenarioError(source, "", "a JSON object", js::describe(doc));
  return load_document(doc, source, "", overrides);
}

}  // namespace capstan::scenario
