// The fleet lifecycle against closed forms and hand computations: Poisson
// interruption counts, the binomial law of ready nodes under interruptions
// and exponential replacement, billing, the autoscaler's and the schedule's
// timing, a replayed availability trace, and conservation under chaos.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/scenario/load.h"
#include "models/world/prepared.h"
#include "models/world/world.h"
#include "sim/estimate.h"
#include "sim/replication.h"
#include "tests/support/figures.h"
#include "tests/support/one_pool_world.h"

using namespace capstan;
using nlohmann::json;

namespace {

using testing::figure;

// A light world on one pool of Llama-3.2-1B on L4s at a generic site "edge".
json fleet_world(double hours, int gpus) {
  json doc = testing::one_pool_world("edge", "generic");
  doc["simulation"]["duration_h"] = hours;
  doc["sites"][0]["pools"][0]["gpus"] = gpus;
  return doc;
}

json& pool(json& doc) { return doc["sites"][0]["pools"][0]; }

void make_spot(json& doc, json interruptions, double notice_s, json delay_s) {
  pool(doc)["capacity"] = "spot";
  pool(doc)["interruptions"] = std::move(interruptions);
  pool(doc)["notice_s"] = notice_s;
  pool(doc)["replacement"] = {{"delay_s", std::move(delay_s)}};
}

std::vector<world::ReplicationResult> run(const json& doc, int replications, std::uint64_t seed = 5) {
  const world::Prepared prepared(scenario::load_json(doc, "fleet.json"));
  return sim::run_replications<world::ReplicationResult>(
      replications, 0, [&](int r) { return world::simulate(prepared, seed, r); });
}

std::size_t column(const sim::TimeSeries& ts, const std::string& name) {
  for (std::size_t c = 0; c < ts.columns().size(); ++c) {
    if (ts.columns()[c] == name) return c;
  }
  FAIL("no column " << name);
  return 0;
}

}  // namespace

TEST_CASE("Poisson interruptions come at their rate per node-hour", "[fleet][validation]") {
  const double rate = 2.0;  // per node-hour
  json doc = fleet_world(5.0, 10);
  make_spot(doc, {{"model", "poisson"}, {"per_node_hour", rate}}, 0.0, 0.0);
  std::vector<double> per_node_hour;
  for (const auto& r : run(doc, 12)) {
    // Replacement is immediate and boots take milliseconds: node-hours are the GPU-hours billed.
    per_node_hour.push_back(figure(r, "/pools/edge~1gpu/interruptions") / figure(r, "/pools/edge~1gpu/gpu_hours"));
    // The time series marks each one in its interval: with no warm-up, the same count.
    const std::size_t c = column(r.timeseries, "interruptions:edge/gpu");
    double marked = 0.0;
    for (std::size_t i = 0; i < r.timeseries.intervals(); ++i) marked += r.timeseries.value(c, i);
    CHECK(marked == figure(r, "/pools/edge~1gpu/interruptions"));
  }
  const auto e = sim::estimate(per_node_hour, 0.999);
  INFO("interruptions per node-hour " << e.mean << " +- " << e.half_width);
  CHECK(std::abs(e.mean - rate) <= e.half_width);
  CHECK(sim::estimate(per_node_hour).half_width < 0.1 * rate);
}

TEST_CASE("an AWS frequency bucket reads as its monthly share", "[fleet][validation]") {
  // "10-15%": 12.5% of nodes interrupted in a 730-hour month.
  json doc = fleet_world(0.1, 2);
  make_spot(doc, {{"model", "poisson"}, {"aws_bucket", "10-15%"}}, 0.0, 0.0);
  const auto s = scenario::load_json(doc, "fleet.json");
  CHECK(s.sites[0].pools[0].interruptions.per_node_hour == Approx(-std::log(1 - 0.125) / 730).epsilon(1e-12));
}

TEST_CASE("ready nodes under interruptions and exponential replacement are binomial", "[fleet][validation]") {
  // Each of N nodes alternates up Exp(r) and down Exp(m) independently, so the
  // number up is Binomial(N, m / (r + m)) in the stationary regime.
  const int n = 6;
  const double r = 1.0, m = 2.0, p = m / (r + m);
  json doc = fleet_world(11.0, n);
  doc["simulation"]["interval_s"] = 10;
  make_spot(doc, {{"model", "poisson"}, {"per_node_hour", r}}, 0.0,
            {{"dist", "exponential"}, {"mean", 3600.0 / m}});
  const auto runs = run(doc, 16);
  std::vector<std::vector<double>> share(n + 1);
  for (const auto& res : runs) {
    const auto& ts = res.timeseries;
    const std::size_t c = column(ts, "ready_gpus:edge/gpu");
    std::vector<double> time_at(n + 1, 0.0);
    double total = 0.0;
    for (std::size_t i = 360; i < ts.intervals(); ++i) {  // the first hour is the transient from all-up
      const double v = ts.value(c, i);
      const auto k = static_cast<std::size_t>(std::llround(v));
      if (std::abs(v - static_cast<double>(k)) > 1e-9) continue;  // a change inside the interval
      time_at[k] += 1.0;
      total += 1.0;
    }
    for (int k = 0; k <= n; ++k) share[k].push_back(time_at[k] / total);
  }
  double chi2 = 0.0;
  for (int k = 0; k <= n; ++k) {
    const double pk = std::exp(std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1)) * std::pow(p, k) *
                      std::pow(1 - p, n - k);
    const auto e = sim::estimate(share[k], 0.999);
    INFO("k=" << k << ": time share " << e.mean << " +- " << e.half_width << ", binomial " << pk);
    // Seven intervals at once: each at 99.9%, Bonferroni over 7 keeps the family under 1%.
    CHECK(std::abs(e.mean - pk) <= e.half_width);
    chi2 += runs.size() * (e.mean - pk) * (e.mean - pk) / pk;
  }
  INFO("chi-square-like distance " << chi2);
  CHECK(chi2 < 1.0);  // against shares that are far from binomial (e.g. all up) it is in the tens
}

TEST_CASE("a spot pool that is never interrupted serves exactly as on demand", "[fleet][validation]") {
  json on_demand = fleet_world(0.5, 3);
  json spot = on_demand;
  make_spot(spot, {{"model", "poisson"}, {"per_node_hour", 0.0}}, 120.0, 60.0);
  const auto a = run(on_demand, 2), b = run(spot, 2);
  for (std::size_t k = 0; k < a.size(); ++k) {
    std::size_t compared = 0;
    for (const auto& [pointer, value] : a[k].figures.values) {
      if (pointer.rfind("/classes/", 0) != 0) continue;
      INFO(pointer);
      CHECK(figure(b[k], pointer) == value);  // bit for bit
      ++compared;
    }
    CHECK(compared > 20);
    CHECK(figure(b[k], "/cost/breakdown_usd/gpu_on_demand") == 0.0);
    CHECK(figure(b[k], "/cost/breakdown_usd/gpu_spot") > 0.0);
  }
}

TEST_CASE("GPU-hours billed equal the integral of nodes in billable states", "[fleet][validation]") {
  // Interruptions with a notice and cold starts: nodes are billed while
  // provisioning, loading, ready and draining. The ledger integrates billing
  // rates; the pool sums each node's span: the two must agree.
  json doc = fleet_world(2.0, 4);
  doc["simulation"]["warmup_h"] = 0.25;
  make_spot(doc, {{"model", "poisson"}, {"per_node_hour", 3.0}}, 120.0, {{"dist", "exponential"}, {"mean", 300}});
  pool(doc)["cold_start"] = {{"boot_s", 90}, {"weight_load_gb_per_s", 2}, {"engine_start_s", 20}};
  const world::Prepared prepared(scenario::load_json(doc, "fleet.json"));
  const double spot_usd_per_gpu_hour =
      prepared.scenario.deployments[0].gpu_spec.price_in(prepared.scenario.sites[0].region).spot_usd_per_hour;
  for (const auto& r : run(doc, 3)) {
    const double gpu_hours = figure(r, "/pools/edge~1gpu/gpu_hours");
    CHECK(figure(r, "/pools/edge~1gpu/interruptions") > 0);
    CHECK(figure(r, "/pools/edge~1gpu/cold_starts") > 0);
    CHECK(figure(r, "/cost/breakdown_usd/gpu_spot") == Approx(gpu_hours * spot_usd_per_gpu_hour).epsilon(1e-9));
    // Cold starts and notices cost money: more is billed than is ready.
    CHECK(gpu_hours > figure(r, "/pools/edge~1gpu/ready_gpus_mean") * 1.75 + 1e-6);
  }
}

TEST_CASE("a chaos of interruptions leaves no request unaccounted", "[fleet][validation]") {
  // Nodes are reclaimed every few minutes with a short notice, replacements
  // are slow, and load is heavy: requests migrate, some find no replica and
  // are lost or dropped. simulate() throws if any request is unaccounted.
  json doc = fleet_world(1.0, 3);
  doc["workload"]["peak_users"] = 1500;
  make_spot(doc, {{"model", "poisson"}, {"per_node_hour", 12.0}, {"reclaim_nodes", 2}}, 5.0,
            {{"dist", "exponential"}, {"mean", 400}});
  double migrated = 0, lost = 0, interrupted = 0, no_capacity = 0;
  for (const auto& r : run(doc, 4)) {
    CHECK(r.arrived == r.completed + r.dropped + r.lost + r.in_flight);
    migrated += figure(r, "/pools/edge~1gpu/requests_migrated");
    lost += figure(r, "/classes/chat/lost");
    interrupted += figure(r, "/classes/chat/dropped_by_reason/interrupted");
    no_capacity += figure(r, "/classes/chat/dropped_by_reason/no_capacity");
  }
  CHECK(migrated > 0);
  CHECK(lost + interrupted > 0);
  CHECK(no_capacity > 0);
}

TEST_CASE("a schedule's step is ready after boot and load", "[fleet][validation]") {
  // At 01:00 the schedule asks for 3 GPUs instead of 1: the two new nodes
  // boot (60 s) and load 2.47 GB at 2 GB/s plus 30 s of engine start.
  json doc = fleet_world(1.1, 1);
  doc["simulation"]["interval_s"] = 1;
  std::vector<int> schedule(24, 1);
  schedule[1] = 3;
  pool(doc)["autoscale"] = {{"schedule", schedule}};
  pool(doc)["cold_start"] = {{"boot_s", 60}, {"weight_load_gb_per_s", 2}, {"engine_start_s", 30}};
  const world::Prepared prepared(scenario::load_json(doc, "fleet.json"));
  const double load_s = prepared.scenario.deployments[0].llm.weight_bytes() / 2e9 + 30;
  const double ready_s = 3600 + 60 + load_s;
  const auto res = world::simulate(prepared, 1, 0);
  const std::size_t c = column(res.timeseries, "ready_gpus:edge/gpu");
  const auto second = static_cast<std::size_t>(ready_s);
  CHECK(res.timeseries.value(c, 3599) == 1.0);
  CHECK(res.timeseries.value(c, second - 1) == 1.0);
  CHECK(res.timeseries.value(c, second) == Approx(1.0 + 2.0 * (second + 1 - ready_s)).epsilon(1e-6));
  CHECK(res.timeseries.value(c, second + 1) == 3.0);
  CHECK(figure(res, "/pools/edge~1gpu/cold_starts") == 2.0);
}

TEST_CASE("the autoscaler answers a step of load after a period, a boot and a load", "[fleet][validation]") {
  // Heavy load on one node from the start: the first evaluation (at 15 s)
  // sees a queue far above its target and asks for the maximum at once.
  json doc = fleet_world(0.1, 1);
  doc["workload"]["peak_users"] = 3000;
  doc["deployments"][0]["max_running_seqs"] = 4;
  doc["simulation"]["interval_s"] = 1;
  pool(doc)["autoscale"] = {{"min_gpus", 1}, {"max_gpus", 4}, {"metric", "queue_per_replica"}, {"target", 2}};
  pool(doc)["cold_start"] = {{"boot_s", 45}, {"weight_load_gb_per_s", 4}, {"engine_start_s", 10}};
  const world::Prepared prepared(scenario::load_json(doc, "fleet.json"));
  const double ready_s = 15 + 45 + prepared.scenario.deployments[0].llm.weight_bytes() / 4e9 + 10;
  const auto res = world::simulate(prepared, 1, 0);
  const std::size_t c = column(res.timeseries, "ready_gpus:edge/gpu");
  const auto second = static_cast<std::size_t>(ready_s);
  CHECK(res.timeseries.value(c, second - 1) == 1.0);
  CHECK(res.timeseries.value(c, second + 1) == 4.0);
  CHECK(figure(res, "/pools/edge~1gpu/cold_starts") == 3.0);
}

TEST_CASE("a trace of spot availability is followed exactly", "[fleet][validation]") {
  // Ticks of 10 minutes; the pool wants 4 nodes and gets what the trace allows.
  const std::string path = "fleet_trace_test.json";
  {
    std::ofstream out(path);
    out << R"({"metadata": {"gap_seconds": 600}, "data": [4, 2, 5, 0, 3]})";
  }
  json doc = fleet_world(1.0, 4);
  make_spot(doc, {{"model", "trace"}, {"file", path}}, 0.0, 0.0);
  const auto res = run(doc, 1).front();
  const std::size_t c = column(res.timeseries, "ready_gpus:edge/gpu");
  const double expected[] = {4, 2, 4, 0, 3, 3};  // the last value holds after the trace ends
  for (int tick = 0; tick < 6; ++tick) {
    for (int minute : {1, 5, 9}) {
      INFO("tick " << tick << " minute " << minute);
      CHECK(res.timeseries.value(c, static_cast<std::size_t>(tick * 10 + minute)) == expected[tick]);
    }
  }
  CHECK(figure(res, "/pools/edge~1gpu/interruptions") == 2 + 4 + 0);  // 4->2, 4->0 (the 5 allows only the 4 wanted)
  std::remove(path.c_str());
}

TEST_CASE("on-demand fallback covers a spot shortfall and leaves when spot is back", "[fleet][validation]") {
  // The pool wants 4 spot nodes. From 10 min the trace allows 1 until 40 min.
  // Two minutes into the shortfall 3 on-demand nodes start; when spot is back
  // the 3 spot replacements are ready at once and the fallback nodes drain.
  const std::string path = "fleet_fallback_trace_test.json";
  {
    std::ofstream out(path);
    out << R"({"metadata": {"gap_seconds": 600}, "data": [4, 1, 1, 1, 4]})";
  }
  json doc = fleet_world(1.0, 4);
  make_spot(doc, {{"model", "trace"}, {"file", path}}, 0.0, 0.0);
  pool(doc)["replacement"]["fallback"] = "on_demand";
  pool(doc)["replacement"]["fallback_after_s"] = 120;
  const auto res = run(doc, 1).front();
  std::remove(path.c_str());
  const std::size_t c = column(res.timeseries, "ready_gpus:edge/gpu");
  CHECK(res.timeseries.value(c, 5) == 4.0);
  CHECK(res.timeseries.value(c, 11) == 1.0);  // 11-12 min: spot short, fallback not yet started
  CHECK(res.timeseries.value(c, 13) == 4.0);  // 1 spot + 3 fallback
  CHECK(res.timeseries.value(c, 39) == 4.0);
  CHECK(res.timeseries.value(c, 45) == 4.0);  // 4 spot again
  // The fallback nodes ran from 12 min to about 40 min (plus their drain).
  const double fallback_h = figure(res, "/pools/edge~1gpu/fallback_gpu_hours");
  CHECK(fallback_h >= 3 * 28.0 / 60);
  CHECK(fallback_h < 3 * 28.0 / 60 + 3 * 2.0 / 60);
  CHECK(figure(res, "/cost/breakdown_usd/gpu_on_demand") > 0);
  CHECK(figure(res, "/pools/edge~1gpu/cold_starts") == 3 + 3);
}
