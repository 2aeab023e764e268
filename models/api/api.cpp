#include "models/api/api.h"

#include <atomic>
#include <mutex>

#include "models/api/load_scenario.h"
#include "models/report/report.h"
#include "models/scenario/load.h"
#include "models/world/memory.h"
#include "models/world/prepared.h"
#include "models/world/world.h"
#include "sim/replication.h"

namespace capstan::api {

scenario::Scenario load_scenario(const RunRequest& request) {
  std::vector<scenario::Override> overrides;
  overrides.reserve(request.overrides.size());
  const std::string& source = request.scenario_path.empty() ? request.source_name : request.scenario_path;
  for (const auto& text : request.overrides) {
    try {
      overrides.push_back(scenario::parse_override(text));
    } catch (const scenario::ScenarioError& e) {
      throw scenario::ScenarioError(source, e.pointer(), e.expected(), e.found());
    }
  }
  return request.scenario_path.empty() ? scenario::load_text(request.scenario_text, request.source_name, overrides)
                                       : scenario::load_file(request.scenario_path, overrides);
}

std::string validate(const RunRequest& request) {
  const scenario::Scenario s = load_scenario(request);
  world::Prepared prepared(s);  // builds the service-time models and routes: their errors surface here
  world::check_memory(prepared, request.replications.value_or(s.simulation.replications), request.threads,
                      request.max_memory_bytes.value_or(world::default_memory_budget_bytes()));
  return s.canonical_json;
}

RunOutput run(const RunRequest& request) {
  scenario::Scenario s = load_scenario(request);
  if (request.seed) s.simulation.seed = *request.seed;
  if (request.replications) s.simulation.replications = *request.replications;
  const std::uint64_t seed = s.simulation.seed;
  const int replications = s.simulation.replications;
  const world::Prepared prepared(std::move(s));
  world::check_memory(prepared, replications, request.threads,
                      request.max_memory_bytes.value_or(world::default_memory_budget_bytes()));
  std::atomic<int> done{0};
  std::mutex progress_mutex;
  report::SeriesMerger series(replications);
  const auto runs = sim::run_replications<world::ReplicationResult>(replications, request.threads, [&](int r) {
    auto result = world::simulate(prepared, seed, r, request.log_requests);
    series.add(r, std::move(result.timeseries));
    result.timeseries = sim::TimeSeries(sim::kMinute, sim::kMinute);  // merged: not kept
    if (request.progress) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      request.progress(++done, replications);
    }
    return result;
  });
  const nlohmann::json report = report::build(prepared, runs, seed);
  RunOutput out;
  out.report_json = report.dump(2);
  out.timeseries_csv = report::timeseries_csv(series.merged());
  out.summary = report::summary_table(report);
  if (request.log_requests) {
    out.requests_csv = world::request_log_header();
    for (const auto& run : runs) out.requests_csv += run.requests_csv;
  }
  const auto& first = runs.front().figures.values;
  out.replication_figures.reserve(first.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    std::vector<double> values;
    values.reserve(runs.size());
    for (const auto& run : runs) values.push_back(run.figures.values[i].second);
    out.replication_figures.emplace_back(first[i].first, std::move(values));
  }
  return out;
}

}  // namespace capstan::api
