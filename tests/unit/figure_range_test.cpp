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
