// capstan_bench_day: one simulated day of scenarios/consumer_world.json (one
// replication, one thread): simulated requests per wall-second and peak
// memory: once with a fixed fleet (every pool's autoscale, interruptions
// and replacement removed) and once with the fleet changing as the scenario
// has it (autoscaled dialogue pools), its spot pools interrupted at 2 per
// node-hour so that reclaims happen all day. For the baseline, the peak hour runs in both serving modes: the
// batch-change mode and the step-by-step reference (one event per
// iteration, as iteration-level simulators step).
//   capstan_bench_day [scenario.json] [--hours H] [--json]
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/support.h"
#include "models/api/api.h"

namespace {

using capstan::bench::Figures;
using capstan::bench::peak_rss_mib;

// Spot reclaims all day, replaced after a minute.
const std::vector<std::string> kStressedSpot = {
    R"(sites.cloud-us-east.pools.content-spot.interruptions={"model": "poisson", "per_node_hour": 2})",
    R"(sites.cloud-eu-west.pools.content-spot.interruptions={"model": "poisson", "per_node_hour": 2})",
    R"(sites.cloud-us-east.pools.content-spot.replacement={"delay_s": 60})",
    R"(sites.cloud-eu-west.pools.content-spot.replacement={"delay_s": 60})",
};

// The scenario with every pool fixed at its written size.
std::string fixed_fleet(const std::string& path) {
  std::ifstream in(path);
  nlohmann::json doc = nlohmann::json::parse(in);
  for (auto& site : doc["sites"]) {
    for (auto& pool : site["pools"]) {
      for (const char* key : {"autoscale", "interruptions", "replacement"}) pool.erase(key);
    }
  }
  return doc.dump();
}

// `scenario` is a path, or JSON text when it starts with '{'.
Figures run(const std::string& scenario, double hours, double start_hour, bool step,
            const std::vector<std::string>& extra = {}) {
  capstan::api::RunRequest request;
  (scenario.front() == '{' ? request.scenario_text : request.scenario_path) = scenario;
  request.replications = 1;
  request.threads = 1;
  request.overrides = {"simulation.duration_h=" + std::to_string(hours), "simulation.warmup_h=0",
                       "simulation.start_hour_utc=" + std::to_string(start_hour),
                       std::string("simulation.step_by_step=") + (step ? "true" : "false")};
  request.overrides.insert(request.overrides.end(), extra.begin(), extra.end());
  return capstan::bench::timed_run(request);
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = CAPSTAN_SOURCE_DIR "/scenarios/consumer_world.json";
  double hours = 24.0;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) {
      json = true;
    } else if (!std::strcmp(argv[i], "--hours") && i + 1 < argc) {
      hours = std::stod(argv[++i]);
    } else {
      path = argv[i];
    }
  }
  // Day first, so peak memory is the day's (the hour runs are smaller).
  const std::string fixed = fixed_fleet(path);
  const Figures day = run(fixed, hours, 0.0, false);
  const double day_rss_mib = peak_rss_mib();
  const Figures changing = run(path, hours, 0.0, false, kStressedSpot);
  const Figures fast = run(fixed, 1.0, 1.0, false);
  const Figures step = run(fixed, 1.0, 1.0, true);
  if (json) {
    nlohmann::json j = {
        {"day", {{"hours", hours}, {"requests", day.requests}, {"events", day.events}, {"wall_s", day.wall_s},
                 {"requests_per_s", day.per_s()}, {"peak_rss_mib", day_rss_mib}}},
        {"day_changing_fleet", {{"requests", changing.requests}, {"events", changing.events},
                                {"wall_s", changing.wall_s}, {"requests_per_s", changing.per_s()},
                                {"speed_vs_fixed", changing.per_s() / day.per_s()}}},
        {"peak_hour", {{"requests", fast.requests},
                       {"batch_change_wall_s", fast.wall_s}, {"step_by_step_wall_s", step.wall_s},
                       {"batch_change_events", fast.events}, {"step_by_step_events", step.events},
                       {"speedup", step.wall_s / fast.wall_s}}}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("consumer_world with a fixed fleet, %.0f simulated hours, 1 replication, 1 thread\n", hours);
  capstan::bench::print_counts(day);
  std::printf("  requests per wall-second%14.0f\n", day.per_s());
  std::printf("  peak resident memory    %14.1f MiB\n", day_rss_mib);
  std::printf("as written (autoscaled dialogue pools), spot reclaimed at 2 per node-hour\n");
  std::printf("  requests simulated      %14.0f\n", changing.requests);
  std::printf("  events                  %14.0f\n", changing.events);
  std::printf("  requests per wall-second%14.0f   (%.2f x the fixed fleet's)\n\n", changing.per_s(),
              changing.per_s() / day.per_s());
  std::printf("peak hour (%.0f requests)   batch-change   step-by-step   ratio\n", fast.requests);
  std::printf("  wall time (s)          %12.2f   %12.2f   %5.2f\n", fast.wall_s, step.wall_s, step.wall_s / fast.wall_s);
  std::printf("  events                 %12.0f   %12.0f   %5.2f\n", fast.events, step.events, step.events / fast.events);
  return 0;
}
