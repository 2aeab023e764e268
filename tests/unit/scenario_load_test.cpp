// Loading valid scenarios: values, defaults, overrides and the scenario hash.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "models/scenario/load.h"

using namespace capstan::scenario;

namespace {

const std::string kDir = CAPSTAN_SOURCE_DIR;
const std::string kMinimal = kDir + "/tests/data/minimal.json";

}  // namespace

TEST_CASE("a minimal scenario loads with its values and the documented defaults", "[scenario]") {
  const Scenario s = load_file(kMinimal);
  CHECK(s.name == "minimal");
  CHECK(s.description.empty());
  CHECK(s.source_path == kMinimal);
  CHECK(s.sha256.size() == 64);
  // simulation defaults
  CHECK(s.simulation.duration_h == 1.0);
  CHECK(s.simulation.warmup_h == 0.0);
  CHECK(s.simulation.seed == 1);
  CHECK(s.simulation.replications == 1);
  CHECK(s.simulation.interval_s == 60.0);
  CHECK(s.simulation.max_queue_s == 30.0);
  CHECK_FALSE(s.simulation.step_by_step);
  // workload
  CHECK(s.workload.peak_users == 1000.0);
  REQUIRE(s.workload.diurnal.size() == 24);
  REQUIRE(s.workload.origins.size() == 1);
  CHECK(s.workload.origins[0].last_mile_rtt_ms == 20.0);
  CHECK(s.workload.origins[0].utc_offset_h == 0.0);
  CHECK(s.workload.session_minutes.kind == Distribution::Kind::kWeibull);
  CHECK(s.workload.session_minutes.shape == 0.5);
  CHECK(s.workload.session_minutes.scale == 20.0);
  CHECK(s.workload.session_minutes.expected() == Approx(40.0));  // 20 * Gamma(3)
  // class
  REQUIRE(s.classes.size() == 1);
  const InteractionClass& c = s.classes[0];
  CHECK(c.rate_per_user_hour == 10.0);
  CHECK(c.prompt_tokens.kind == Distribution::Kind::kConstant);
  CHECK(c.prompt_tokens.expected() == 50.0);
  CHECK(c.output_tokens.expected() == 100.0);
  CHECK_FALSE(c.history.enabled);
  CHECK(c.slo.metric == Slo::Metric::kTtft);
  CHECK(c.slo.percentile == 95.0);
  CHECK(c.priority == 0);
  // deployment resolved against the catalog
  const Deployment& d = s.deployment("chat");
  CHECK_FALSE(d.hosted);
  CHECK(d.model == "llama-3-8b");
  CHECK(d.llm.layers == 32);
  CHECK(d.gpu_spec.name == "h100");
  CHECK(d.tensor_parallel == 1);
  CHECK(d.max_running_seqs == 256);
  CHECK(d.max_batch_tokens == 2048);
  CHECK(d.block_size_tokens == 16);
  CHECK(d.gpu_memory_utilization == 0.9);
  CHECK(d.max_model_len_tokens == 8192);
  CHECK(d.prefix_caching);
  CHECK_THROWS_AS(s.deployment("nope"), std::out_of_range);
  // sites, pools, links, routing, cost
  REQUIRE(s.sites.size() == 1);
  CHECK(s.sites[0].kind == Site::Kind::kCloud);
  REQUIRE(s.sites[0].pools.size() == 1);
  CHECK(s.sites[0].pools[0].gpu == "h100");  // defaults to the deployment's GPU
  CHECK_FALSE(s.sites[0].pools[0].spot);
  REQUIRE(s.links.size() == 1);
  CHECK(s.routing.policy == Routing::Policy::kNearest);
  CHECK(s.routing.max_spill_sites == 2);
  CHECK(s.cost.egress_usd_per_gb == 0.09);
  CHECK(s.cost.reviewer_usd_per_hour == 15.0);
}

TEST_CASE("the reference scenarios load", "[scenario]") {
  for (const char* name : {"consumer_world", "training_sim", "design_review"}) {
    INFO(name);
    const Scenario s = load_file(kDir + "/scenarios/" + name + ".json");
    CHECK(s.name == name);
    CHECK_FALSE(s.description.empty());
    CHECK(s.simulation.replications >= 1);
  }
  const Scenario world = load_file(kDir + "/scenarios/consumer_world.json");
  CHECK(world.workload.peak_users == 100000.0);
  CHECK(world.classes.size() == 4);
}

TEST_CASE("a $comment may sit in any object and changes neither the scenario nor its hash", "[scenario]") {
  std::ifstream in(std::string(CAPSTAN_SOURCE_DIR) + "/tests/data/minimal.json");
  const nlohmann::json plain = nlohmann::json::parse(in);
  nlohmann::json commented = plain;
  commented["$comment"] = "a starting point";
  commented["workload"]["$comment"] = "peak users are concurrent";
  commented["classes"][0]["slo"]["$comment"] = "p95 by default";
  commented["sites"][0]["pools"][0]["$comment"] = "size it with capstan plan";
  const auto a = load_json(plain, "plain.json");
  const auto b = load_json(commented, "commented.json");
  CHECK(a.sha256 == b.sha256);
  CHECK(a.canonical_json == b.canonical_json);
  CHECK(b.canonical_json.find("$comment") == std::string::npos);
  nlohmann::json bad = plain;
  bad["workload"]["$comment"] = 5;
  try {
    load_json(bad, "bad.json");
    FAIL("a comment that is not a string was accepted");
  } catch (const ScenarioError& e) {
    CHECK(e.pointer() == "/workload/$comment");
  }
}
