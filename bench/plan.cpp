// capstan_bench_plan: `capstan plan scenarios/consumer_world.json` as the
// command line runs it (default space, at least 3 replications per candidate,
// every core), timed: the search's wall time and simulations, beside the
// baseline of one candidate, the written fleet run with the same
// replications on the same cores, so that the plan's time reads as a number
// of candidate runs.
//   capstan_bench_plan [scenario.json] [--json]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "models/api/api.h"
#include "models/api/load_scenario.h"
#include "models/plan/plan.h"
#include "sim/replication.h"

int main(int argc, char** argv) {
  std::string path = CAPSTAN_SOURCE_DIR "/scenarios/consumer_world.json";
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) {
      json = true;
    } else {
      path = argv[i];
    }
  }
  using clock = std::chrono::steady_clock;
  capstan::api::RunRequest base;
  base.scenario_path = path;
  const auto written = capstan::api::load_scenario(base);
  base.replications = std::max(3, written.simulation.replications);
  base.seed = written.simulation.seed;

  // The baseline: one candidate (the written fleet), as the planner runs it.
  capstan::api::RunRequest one = base;
  const int cores = capstan::sim::default_threads();
  if (*one.replications > cores && *one.replications <= 2 * cores) one.threads = *one.replications;
  const auto t0 = clock::now();
  capstan::api::run(one);
  const double candidate_s = std::chrono::duration<double>(clock::now() - t0).count();

  const auto t1 = clock::now();
  const capstan::plan::Space space = capstan::plan::default_space(base);
  capstan::plan::ScenarioEvaluator evaluator(base, space);
  const capstan::plan::Result result = capstan::plan::search(space, evaluator);
  const double plan_s = std::chrono::duration<double>(clock::now() - t1).count();

  if (json) {
    const nlohmann::json j = {{"cores", cores},
                              {"replications", *base.replications},
                              {"plan_wall_s", plan_s},
                              {"simulations", result.simulations},
                              {"feasible", result.feasible},
                              {"cost_per_user_hour", result.chosen.cost_per_user_hour},
                              {"candidate_wall_s", candidate_s},
                              {"plan_in_candidate_runs", plan_s / candidate_s}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("capstan plan %s, %d replications per candidate, %d cores\n", path.c_str(), *base.replications, cores);
  std::printf("  plan wall time          %10.1f s   (%s, %.5f USD per user-hour)\n", plan_s,
              result.feasible ? "feasible" : "infeasible", result.chosen.cost_per_user_hour);
  std::printf("  simulations             %10d\n", result.simulations);
  std::printf("baseline: one candidate (the written fleet) on the same cores\n");
  std::printf("  wall time               %10.1f s\n", candidate_s);
  std::printf("  plan / candidate        %10.2f   (%.2f per simulation)\n", plan_s / candidate_s,
              plan_s / candidate_s / std::max(1, result.simulations));
  return 0;
}
