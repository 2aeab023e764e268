// Overrides (--set key.path=value) and the scenario hash.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "models/scenario/load.h"

using namespace capstan::scenario;
using nlohmann::json;

namespace {

const std::string kMinimal = std::string(CAPSTAN_SOURCE_DIR) + "/tests/data/minimal.json";

json minimal() {
  std::ifstream in(kMinimal);
  return json::parse(in);
}

}  // namespace

TEST_CASE("parse_override splits at the first '='", "[scenario][override]") {
  const Override o = parse_override("a.b=c=d");
  CHECK(o.path == "a.b");
  CHECK(o.value == "c=d");
  CHECK(parse_override("name=").value.empty());
  CHECK_THROWS_AS(parse_override("no-equals"), ScenarioError);
  CHECK_THROWS_AS(parse_override("=5"), ScenarioError);
}

TEST_CASE("overrides address array elements by index or by name", "[scenario][override]") {
  const Scenario by_index = load_file(kMinimal, {parse_override("classes.0.rate_per_user_hour=30")});
  const Scenario by_name = load_file(kMinimal, {parse_override("classes.dialogue.rate_per_user_hour=30")});
  CHECK(by_index.classes[0].rate_per_user_hour == 30.0);
  CHECK(by_name.classes[0].rate_per_user_hour == 30.0);
  CHECK(by_index.sha256 == by_name.sha256);

  const Scenario s = load_file(kMinimal, {parse_override("workload.peak_users=50000"),
                                          parse_override("sites.cloud.pools.0.gpus=4"),
                                          parse_override("description=a plain string, not JSON"),
                                          parse_override("simulation.replications=7"),  // absent in the file
                                          parse_override("routing.policy=least_loaded")});
  CHECK(s.workload.peak_users == 50000.0);
  CHECK(s.sites[0].pools[0].gpus == 4);
  CHECK(s.description == "a plain string, not JSON");
  CHECK(s.simulation.replications == 7);
  CHECK(s.routing.policy == Routing::Policy::kLeastLoaded);
  // A JSON value replaces a whole subtree.
  const Scenario t = load_file(kMinimal, {parse_override(R"(classes.0.output_tokens={"dist":"uniform","min":10,"max":30})")});
  CHECK(t.classes[0].output_tokens.kind == Distribution::Kind::kUniform);
  CHECK(t.classes[0].output_tokens.expected() == 20.0);
}

TEST_CASE("an override naming a missing path is an error with its pointer", "[scenario][override]") {
  auto pointer_of = [](const std::string& text) {
    try {
      load_file(kMinimal, {parse_override(text)});
    } catch (const ScenarioError& e) {
      return e.pointer();
    }
    return std::string("no error");
  };
  CHECK(pointer_of("classes.nosuch.rate_per_user_hour=3") == "/classes/nosuch");
  CHECK(pointer_of("classes.4.rate_per_user_hour=3") == "/classes/4");
  CHECK(pointer_of("name.first=x") == "/name");                    // a string holds no fields
  CHECK(pointer_of("workload.peak_userz=3") == "/workload/peak_userz");  // unknown key, with a suggestion
  CHECK(pointer_of("workload..peak_users=3") == "/workload");
}

TEST_CASE("the scenario hash covers content, not layout", "[scenario][override]") {
  const Scenario base = load_file(kMinimal);
  CHECK(base.sha256 == load_file(kMinimal).sha256);
  CHECK(base.sha256 != load_file(kMinimal, {parse_override("workload.peak_users=1001")}).sha256);
  // Key order and whitespace do not matter: the hash is of canonical JSON.
  const json doc = minimal();
  std::string reordered = "{";
  std::vector<std::string> keys;
  for (const auto& item : doc.items()) keys.push_back(item.key());
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
    reordered += (it == keys.rbegin() ? "" : ",\n   ") + json(*it).dump() + ": " + doc[*it].dump(2);
  }
  reordered += "}";
  CHECK(load_text(reordered, "reordered.json").sha256 == base.sha256);
  // Writing a default out explicitly is the same scenario.
  CHECK(load_file(kMinimal, {parse_override("simulation.seed=1")}).sha256 == base.sha256);
  CHECK(load_file(kMinimal, {parse_override("simulation.seed=2")}).sha256 != base.sha256);
  // A default written as an integer, as a float or left out is the same scenario; so is an integer
  // field written as a whole float.
  for (const char* spelt : {"60", "60.0", "6e1"}) {
    json written = minimal();
    written["simulation"]["interval_s"] = json::parse(spelt);
    CHECK(load_json(written, "w.json").sha256 == base.sha256);
  }
  json seed = minimal();
  seed["simulation"]["seed"] = 1.0;
  CHECK(load_json(seed, "w.json").sha256 == base.sha256);
  json users = minimal();
  users["workload"]["peak_users"] = users["workload"]["peak_users"].get<double>() + 0.5;
  CHECK(load_json(users, "w.json").sha256 != base.sha256);
}

TEST_CASE("hosted deployments need no sites", "[scenario]") {
  json doc = minimal();
  doc["deployments"] = json::array({{{"name", "chat"},
                                     {"hosted",
                                      {{"input_usd_per_mtok", 0.15},
                                       {"output_usd_per_mtok", 0.6},
                                       {"ttft_ms", 400},
                                       {"tpot_ms", 15}}}}});
  doc.erase("sites");
  doc.erase("network");
  const Scenario s = load_json(doc, "hosted.json");
  const Deployment& d = s.deployment("chat");
  CHECK(d.hosted);
  CHECK(d.output_usd_per_mtok == 0.6);
  CHECK(d.api_ttft_ms.value == 400.0);
  CHECK(s.source_path.empty());
  // A pool cannot serve a hosted deployment.
  doc["sites"] = json::array({{{"name", "x"}, {"region", "us-east"}, {"pools", {{{"name", "p"}, {"deployment", "chat"}, {"gpus", 1}}}}}});
  CHECK_THROWS_AS(load_json(doc, "hosted.json"), ScenarioError);
}

TEST_CASE("a classifier emits one token", "[scenario]") {
  json doc = minimal();
  doc["deployments"].push_back({{"name", "mod"}, {"model", "toxic-bert"}, {"gpu", "l4"}});
  doc["sites"][0]["pools"].push_back({{"name", "mod"}, {"deployment", "mod"}, {"gpus", 1}});
  json moderation = {{"name", "moderation"},
                     {"rate_per_user_hour", 30},
                     {"prompt_tokens", {{"dist", "constant"}, {"value", 60}}},
                     {"deployment", "mod"},
                     {"escalation_share", 0.02},
                     {"slo", {{"metric", "e2e"}, {"threshold_ms", 500}}}};
  doc["classes"].push_back(moderation);
  const Scenario s = load_json(doc, "doc.json");
  CHECK(s.classes[1].output_tokens.expected() == 1.0);
  CHECK(s.classes[1].escalation_share == 0.02);
  doc["classes"][1]["output_tokens"] = {{"dist", "constant"}, {"value", 20}};
  try {
    load_json(doc, "doc.json");
    FAIL("accepted 20 output tokens from a classifier");
  } catch (const ScenarioError& e) {
    CHECK(e.pointer() == "/classes/1/output_tokens");
  }
}

TEST_CASE("distribution means", "[scenario]") {
  Distribution d;
  d.kind = Distribution::Kind::kUniform;
  d.min = 10;
  d.max = 30;
  CHECK(d.expected() == 20.0);
  d.kind = Distribution::Kind::kWeibull;
  d.shape = 1.0;
  d.scale = 7.0;
  CHECK(d.expected() == Approx(7.0));  // shape 1 is exponential
  d.shape = 2.0;
  CHECK(d.expected() == Approx(7.0 * 0.886226925));  // Gamma(1.5) = sqrt(pi)/2
  d.kind = Distribution::Kind::kLognormal;
  d.mean = 12;
  d.cv = 0.5;
  CHECK(d.expected() == 12.0);
}
