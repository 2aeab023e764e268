// SchemaRecorder: the schema the readers' checks define, folded over array
// items and map entries, required only where every reading required it.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "models/input/json_reader.h"
#include "models/input/schema_recorder.h"

namespace js = capstan::input;
using nlohmann::json;

namespace {

// A tiny format: {"items": [{"kind": "a"|"b", "size": n (required for "a"), "cap": 0..1 or 0..100}],
// "named": {"<entry>": {"x": bool}}}.
void read(json doc) {
  js::Object top(doc, "", {"items", "named"});
  json& items = top.array("items", 1, 10, true);
  for (std::size_t i = 0; i < items.size(); ++i) {
    js::Object o(items[i], js::child("/items", i), {"kind", "size", "cap"});
    const std::size_t kind = o.choice("kind", {"a", "b"});
    if (kind == 0) o.integer("size", 1, 9);
    o.number("cap", kind == 0 ? js::Range{0.0, 1.0} : js::Range{0.0, 100.0, true, false}, 0.5);
  }
  json& named = top.raw("named");
  js::record_map("/named");
  for (auto& entry : named.items()) js::Object(entry.value(), "/named/" + entry.key(), {"x"}).boolean("x", false);
}

}  // namespace

TEST_CASE("schema recorder: folds items and entries, widens ranges, requires what every reading required",
          "[input]") {
  js::SchemaRecorder recorder;
  read(json::parse(R"({"items": [{"kind": "a", "size": 3}, {"kind": "b", "cap": 50}], "named": {"p": {}, "q": {"x": true}}})"));
  const json s = recorder.schema();
  CHECK(s["$schema"] == "https://json-schema.org/draft/2020-12/schema");
  CHECK(s["additionalProperties"] == false);
  CHECK(s["required"] == json::array({"items", "named"}));
  const json& item = s["properties"]["items"]["items"];
  CHECK(s["properties"]["items"]["minItems"] == 1);
  CHECK(item["properties"]["kind"]["enum"] == json::array({"a", "b"}));
  CHECK(item["properties"]["size"]["maximum"] == 9);
  // "size" was required for one reading of the item, not the other; "kind" for both.
  CHECK(item["required"] == json::array({"kind"}));
  // Two ranges for "cap": the wider, [0, 100].
  CHECK(item["properties"]["cap"]["minimum"] == 0.0);
  CHECK(item["properties"]["cap"]["maximum"] == 100.0);
  CHECK(item["properties"]["cap"]["default"] == 0.5);
  // A map's entries are one schema under additionalProperties.
  const json& named = s["properties"]["named"];
  CHECK(named["additionalProperties"]["properties"]["x"]["type"] == "boolean");
  CHECK_FALSE(named.contains("properties"));
  {
    const js::SchemaRecorder::Pause pause;  // another document: not recorded
    read(json::parse(R"({"items": [{"kind": "a", "size": 1}], "named": {"r": {"x": false}}})"));
  }
  CHECK(recorder.schema() == s);
}

TEST_CASE("schema recorder: nothing is recorded without one", "[input]") {
  CHECK(js::SchemaRecorder::active() == nullptr);
  read(json::parse(R"({"items": [{"kind": "b"}], "named": {}})"));  // reads as before, records nowhere
  {
    js::SchemaRecorder outer;
    CHECK(js::SchemaRecorder::active() == &outer);
  }
  CHECK(js::SchemaRecorder::active() == nullptr);
}
