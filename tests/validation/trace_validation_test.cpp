// Request traces replayed: times from the first row (Azure timestamps read
// to the 100 ns), time_scale and looping counted row by row, rows over the
// window refused, and origins drawn by share.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "models/scenario/load.h"
#include "models/world/prepared.h"
#include "models/world/world.h"
#include "tests/support/figures.h"

using namespace capstan;
using nlohmann::json;
using testing::figure;

namespace {

const std::string kTrace = std::string(CAPSTAN_SOURCE_DIR) + "/tests/data/traces/azure_format.csv";

json trace_world(json trace) {
  json doc = json::parse(R"({
    "name": "replay",
    "simulation": {"duration_h": 0.1, "seed": 3, "replications": 1, "max_queue_s": 600},
    "workload": {
      "peak_users": 10,
      "diurnal": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],
      "origins": [{"name": "west", "share": 0.25, "last_mile_rtt_ms": 10},
                  {"name": "east", "share": 0.75, "last_mile_rtt_ms": 10}]
    },
    "classes": [{"name": "replay", "deployment": "npc", "slo": {"metric": "ttft", "threshold_ms": 1000}}],
    "deployments": [{"name": "npc", "model": "llama-3.2-1b", "gpu": "l4", "max_model_len_tokens": 2048}],
    "sites": [{"name": "edge", "region": "us-east", "pools": [{"name": "gpu", "deployment": "npc", "gpus": 4}]}],
    "network": {"links": [{"a": "west", "b": "edge", "rtt_ms": 5}, {"a": "east", "b": "edge", "rtt_ms": 5}]}
  })");
  doc["classes"][0]["trace"] = std::move(trace);
  return doc;
}

const std::string kClass = "/classes/replay";

}  // namespace

TEST_CASE("a trace's rows are the run's requests, at their times", "[trace][validation]") {
  const world::Prepared prepared(scenario::load_json(trace_world({{"file", kTrace}}), "replay.json"));
  const auto& rows = *prepared.scenario.classes[0].trace.rows;
  REQUIRE(rows.size() == 300);
  // 18:15:46.6805900 is time zero; the next row is 0.1082940 s later.
  CHECK(rows[0].at_ns == 0);
  CHECK(rows[1].at_ns == 108'294'000);
  CHECK(rows[7].output_tokens == 1);  // a row recording 0 generated tokens

  const auto r = world::simulate(prepared, 3, 0);
  CHECK(r.arrived == r.completed + r.dropped + r.lost + r.in_flight);
  CHECK(figure(r, kClass + "/requests") == 300);
  double prompt_sum = 0;
  std::int32_t prompt_max = 0;
  int too_long = 0;
  for (const auto& row : rows) {
    prompt_sum += row.prompt_tokens;
    prompt_max = std::max(prompt_max, row.prompt_tokens);
    too_long += row.prompt_tokens + row.output_tokens > 2048;
  }
  REQUIRE(too_long > 0);
  CHECK(figure(r, kClass + "/prompt_tokens_mean") == Approx(prompt_sum / 300));
  CHECK(figure(r, kClass + "/prompt_tokens_max") == prompt_max);
  CHECK(figure(r, kClass + "/dropped_by_reason/too_long") == too_long);
  CHECK(figure(r, kClass + "/completed") == 300 - too_long);

  // Each minute of the series holds the rows of that minute.
  const auto& ts = r.timeseries;
  const auto col = static_cast<std::size_t>(
      std::find(ts.columns().begin(), ts.columns().end(), "requests_replay") - ts.columns().begin());
  REQUIRE(col < ts.columns().size());
  for (std::size_t minute = 0; minute < 6; ++minute) {
    const auto n = std::count_if(rows.begin(), rows.end(), [&](const auto& row) {
      return row.at_ns / 60'000'000'000LL == static_cast<std::int64_t>(minute);
    });
    CHECK(ts.value(col, minute) == n);
  }

  // Origins by share: a binomial count within 4 standard deviations.
  const double routed = figure(r, kClass + "/by_origin/west/routed") + figure(r, kClass + "/by_origin/east/routed");
  CHECK(figure(r, kClass + "/by_origin/west/routed") ==
        Approx(0.25 * routed).margin(4 * std::sqrt(routed * 0.25 * 0.75)));
}

TEST_CASE("time_scale compresses a trace and loop replays it", "[trace][validation]") {
  const world::Prepared prepared(
      scenario::load_json(trace_world({{"file", kTrace}, {"time_scale", 0.5}, {"loop", true}}), "replay.json"));
  const auto& trace = prepared.scenario.classes[0].trace;
  const auto& rows = *trace.rows;
  // Each pass takes half the span plus half a mean gap; count the rows of
  // every pass that start within the 360 s run.
  const double span = static_cast<double>(rows.back().at_ns);
  const double period = 0.5 * (span + span / (rows.size() - 1));
  double expected = 0;
  for (int pass = 0; pass * period <= 360e9; ++pass) {
    for (const auto& row : rows) expected += pass * period + 0.5 * static_cast<double>(row.at_ns) <= 360e9;
  }
  REQUIRE(expected > 600);  // more than two passes
  const auto r = world::simulate(prepared, 3, 0);
  CHECK(figure(r, kClass + "/requests") == expected);
  CHECK(r.arrived == r.completed + r.dropped + r.lost + r.in_flight);
}

TEST_CASE("trace rows that share a prefix_id hit the prefix cache; start_s delays the replay", "[trace][prefix_cache]") {
  // Half the rows start with one of two 1200-token prompts (prefix_id 0, 1),
  // the rest share nothing: after each prompt's first row, every sharing row
  // finds its 1200 tokens (75 whole blocks of 16) on the one replica.
  const std::string file = std::string(CAPSTAN_SOURCE_DIR) + "/tests/data/traces/shared_prefix.csv";
  json doc = trace_world({{"file", file}});
  doc["sites"][0]["pools"][0]["gpus"] = 1;
  const world::Prepared prepared(scenario::load_json(doc, "shared.json"));
  const auto& rows = *prepared.scenario.classes[0].trace.rows;
  REQUIRE(rows.size() == 200);
  CHECK(rows[0].prefix_id == 0);
  CHECK(rows[2].prefix_id == 1);
  CHECK(rows[1].prefix_id == -1);
  CHECK(rows[0].prefix_tokens == 1200);
  const auto r = world::simulate(prepared, 3, 0);
  REQUIRE(figure(r, kClass + "/completed") == 200);
  // 98 of 200 requests hit (all sharing rows but each prompt's first).
  CHECK(figure(r, "/deployments/npc/prefix_cache_hit_ratio") == Approx(98.0 / 200.0));
  double prompt = 0;
  for (const auto& row : rows) prompt += row.prompt_tokens;
  CHECK(figure(r, "/deployments/npc/prefix_cache_token_share") == Approx(98.0 * 1200.0 / prompt));

  // Started 300 s into the 360 s run, the rows of its first 60 s are sent.
  doc["classes"][0]["trace"]["start_s"] = 300;
  const auto late = world::simulate(world::Prepared(scenario::load_json(doc, "late.json")), 3, 0);
  CHECK(figure(late, kClass + "/requests") == 121);  // rows at 0 to 60 s of the trace: 300 + 60 = 360
  // A prefix_id without prefix_tokens is refused at its line.
  const std::string bad = std::string(CAPSTAN_SOURCE_DIR) + "/tests/data/traces/shared_prefix_bad.csv";
  CHECK_THROWS_AS(scenario::load_json(trace_world({{"file", bad}}), "bad.json"), scenario::ScenarioError);
}
