// Intervals stay inside their quantity's range: a t interval of a share
// near 1, or of a count near 0, is clipped where report.json stores it.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "models/report/report.h"
#include "models/scenario/load.h"
#include "models/world/figures.h"
#include "models/world/prepared.h"
#include "models/world/world.h"

using namespace capstan;

TEST_CASE("figures: shares lie in [0, 1], every other figure at or above 0", "[report]") {
  for (const char* share : {"/classes/chat/slo/attainment", "/pools/edge%2Fchat/gpu_utilization",
                            "/classes/chat/cache_hit_ratio", "/classes/chat/slo/met", "/review/sla_attainment",
                            "/pools/edge%2Fchat/kv_occupancy", "/classes/chat/spill_share"}) {
    CHECK(world::figure_range(share).high == 1.0);
  }
  for (const char* open : {"/classes/chat/latency_ms/ttft/p95", "/cost/total_usd", "/classes/chat/dropped",
                           "/review/wait_p95_s"}) {
    CHECK(std::isinf(world::figure_range(open).high));
    CHECK(world::figure_range(open).low == 0.0);
  }
}

TEST_CASE("report: intervals are clipped to their figure's range", "[report]") {
  const world::Prepared prepared(scenario::load_file(std::string(CAPSTAN_SOURCE_DIR) + "/tests/data/minimal.json"));
  // Two replications: an attainment of 1 and 0.99 (a t interval of about 0.995 +- 0.064),
  // a drop count of 0 and 1 (0.5 +- 6.4).
  std::vector<world::ReplicationResult> runs(2);
  runs[0].figures.add("/classes/chat/slo/attainment", 1.0);
  runs[1].figures.add("/classes/chat/slo/attainment", 0.99);
  runs[0].figures.add("/classes/chat/dropped", 0.0);
  runs[1].figures.add("/classes/chat/dropped", 1.0);
  const nlohmann::json r = report::build(prepared, runs, 1);
  const auto& a = r["classes"]["chat"]["slo"]["attainment_ci95"];
  CHECK(a[0].get<double>() < 0.99);
  CHECK(a[1].get<double>() == 1.0);
  const auto& d = r["classes"]["chat"]["dropped_ci95"];
  CHECK(d[0].get<double>() == 0.0);
  CHECK(d[1].get<double>() > 1.0);
}

TEST_CASE("report: the summary's columns stay in line under long names, and say what busy and fill mean",
          "[report]") {
  const world::Prepared prepared(scenario::load_file(std::string(CAPSTAN_SOURCE_DIR) + "/tests/data/minimal.json"));
  std::vector<world::ReplicationResult> runs(1);
  runs[0].figures.add("/cost/total_usd", 1.0);
  nlohmann::json r = report::build(prepared, runs, 1);
  r["pools"] = nlohmann::json::object();
  for (const char* pool : {"edge/a", "edge-frankfurt/dialogue-on-demand-overflow-pool"}) {
    r["pools"][pool] = {{"capacity", "on_demand"}, {"gpu_hours", 1.0}, {"ready_gpus_mean", 1.0},
                        {"interruptions", 0.0}, {"cold_starts", 0.0}, {"requests_migrated", 0.0},
                        {"requests_lost", 0.0}};
  }
  r["classes"] = nlohmann::json::object();
  r["users"] = {{"mean_concurrent", 1.0}};
  r["tokens"] = {{"input_per_user_hour", 1.0}, {"output_per_user_hour", 1.0}};
  r["cost"] = {{"total_usd", 1.0}, {"per_user_hour_usd", 1.0}, {"per_interaction_usd", 1.0},
               {"per_million_tokens_usd", 1.0}, {"breakdown_usd", nlohmann::json::object()}};
  r["sites"] = {{"edge", {{"replicas", 1.0}, {"gpu_utilization", 1.0}, {"batch_occupancy", 0.1},
                          {"kv_occupancy", 0.1}, {"queue_length_mean", 0.0}}}};
  const std::string text = report::summary_table(r);
  std::vector<std::string> lines;
  for (std::size_t at = 0, next; at < text.size(); at = next + 1) {
    next = text.find('\n', at);
    if (next == std::string::npos) next = text.size();
    lines.push_back(text.substr(at, next - at));
  }
  std::size_t header = 0;
  while (header < lines.size() && lines[header].rfind("pool ", 0) != 0) ++header;
  REQUIRE(header + 2 < lines.size());
  const std::size_t column = lines[header].find("capacity");
  CHECK(lines[header + 1].find("on_demand") == column);
  CHECK(lines[header + 2].find("on_demand") == column);
  CHECK(text.find("batch fill: running sequences") != std::string::npos);
}
