// The shared reader of untrusted JSON: the canonicalising form (Object)
// writes defaults into the document, the read-only form (ConstObject) reads
// the same values and raises the same errors without writing.
#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "models/input/json_reader.h"

namespace in = capstan::input;
using nlohmann::json;

namespace {

const std::vector<std::string> kKeys = {"rate", "count", "seed", "on", "label", "mode", "items", "inner"};

// Reads every kind of field with a default from an object of `Reader` form.
template <typename Reader>
json read_all(Reader o) {
  json out;
  out["rate"] = o.number("rate", in::positive(10.0), 2.5);
  out["count"] = o.integer("count", 0, 100, 7);
  out["seed"] = o.uint64("seed", 1);
  out["on"] = o.boolean("on", true);
  out["label"] = o.string("label", "none");
  out["mode"] = o.choice("mode", {"fast", "slow"}, "slow");
  out["items"] = o.array("items", 0, 4, false).size();
  out["inner"] = o.object("inner", {"x"}, false).number("x", in::non_negative(1.0), 0.5);
  return out;
}

template <typename Reader, typename Doc>
std::string error_of(Doc& doc) {
  try {
    read_all(Reader(doc, "/at", kKeys));
  } catch (const in::FieldError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("reader: Object writes defaults, ConstObject only reads them", "[input]") {
  const json expected = {{"rate", 2.5}, {"count", 7}, {"seed", 1}, {"on", true}, {"label", "none"},
                         {"mode", 1},   {"items", 0}, {"inner", 0.5}};
  json writable = json::object();
  CHECK(read_all(in::Object(writable, "", kKeys)) == expected);
  CHECK(writable == json{{"rate", 2.5},   {"count", 7},       {"seed", 1},
                         {"on", true},    {"label", "none"},  {"mode", "slow"},
                         {"items", json::array()}, {"inner", {{"x", 0.5}}}});

  const json read_only = json::object();
  CHECK(read_all(in::ConstObject(read_only, "", kKeys)) == expected);
  CHECK(read_only == json::object());

  const json given = {{"rate", 1}, {"count", 3}, {"mode", "fast"}, {"items", {1, 2}}, {"inner", {{"x", 1}}}};
  const json read = read_all(in::ConstObject(given, "", kKeys));
  CHECK(read["rate"] == 1.0);
  CHECK(read["count"] == 3);
  CHECK(read["mode"] == 0);
  CHECK(read["items"] == 2);
  CHECK(read["inner"] == 1.0);
}

TEST_CASE("reader: both forms fail alike", "[input]") {
  for (const json& bad : {json{{"rate", 0}}, json{{"count", "7"}}, json{{"mode", "slo"}}, json{{"modes", "slow"}},
                          json{{"items", {1, 2, 3, 4, 5}}}, json{{"inner", {{"y", 1}}}}, json(3)}) {
    INFO(bad.dump());
    json writable = bad;
    const json read_only = bad;
    const std::string message = error_of<in::ConstObject>(read_only);
    CHECK(message != "no error");
    CHECK(error_of<in::Object>(writable) == message);
  }
  json doc = {{"modes", "slow"}};
  CHECK(error_of<in::ConstObject>(std::as_const(doc)) ==
        "/at/modes: expected a known key, found \"modes\" (did you mean \"mode\"? known: rate, count, seed, on, label, "
        "mode, items, inner)");
}

TEST_CASE("reader: a required field names what it expected", "[input]") {
  const json doc = json::object();
  const in::ConstObject o(doc, "/top", {"n"});
  try {
    o.integer("n", 1, 9);
    FAIL("no error");
  } catch (const in::FieldError& e) {
    CHECK(e.pointer == "/top/n");
    CHECK(e.expected == "an integer in [1, 9]");
    CHECK(e.found == "no value (the field is required)");
  }
}
