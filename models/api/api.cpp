#include "models/api/api.h"

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include "models/api/load_scenario.h"
#include "models/report/report.h"
#include "models/scenario/load.h"
#include "models/world/memory.h"
#include "models/world/prepared.h"
#include "models/world/world.h"
#include "sim/bytes.h"
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

namespace {

// The scenario as the run will simulate it, with its seed and replication count.
struct Planned {
  std::uint64_t seed;
  int replications;
  world::Prepared prepared;
};

Planned plan_run(const RunRequest& request, int threads_for_memory, int replications_for_memory) {
  scenario::Scenario s = load_scenario(request);
  if (request.seed) s.simulation.seed = *request.seed;
  if (request.replications) s.simulation.replications = *request.replications;
  const std::uint64_t seed = s.simulation.seed;
  const int replications = s.simulation.replications;
  Planned p{seed, replications, world::Prepared(std::move(s))};
  world::check_memory(p.prepared, replications_for_memory > 0 ? replications_for_memory : replications,
                      threads_for_memory, request.max_memory_bytes.value_or(world::default_memory_budget_bytes()));
  return p;
}

RunOutput finish(const RunRequest& request, const Planned& p, const std::vector<world::ReplicationResult>& runs,
                 const sim::TimeSeries& series) {
  const nlohmann::json report = report::build(p.prepared, runs, p.seed);
  RunOutput out;
  out.report_json = report.dump(2);
  out.timeseries_csv = report::timeseries_csv(series);
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

constexpr std::uint64_t kReplicationMagic = 0x6361707374616e31ULL;  // "capstan1"

// What identifies the run a replication belongs to: the canonical scenario and the seed. Not the count:
// replication r is the same in a run of any length, so the first k of a run of n merge into a run of k
// (the planner's sequential test stops a candidate so).
std::string run_identity(const Planned& p) {
  return p.prepared.scenario.canonical_json + "#seed=" + std::to_string(p.seed);
}

}  // namespace

RunOutput run(const RunRequest& request) {
  const Planned p = plan_run(request, request.threads, 0);
  std::atomic<int> done{0};
  std::mutex progress_mutex;
  report::SeriesMerger series(p.replications);
  const auto runs = sim::run_replications<world::ReplicationResult>(p.replications, request.threads, [&](int r) {
    auto result = world::simulate(p.prepared, p.seed, r, request.log_requests);
    series.add(r, std::move(result.timeseries));
    result.timeseries = sim::TimeSeries(sim::kMinute, sim::kMinute);  // merged: not kept
    if (request.progress) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      request.progress(++done, p.replications);
    }
    return result;
  });
  return finish(request, p, runs, series.merged());
}

std::string run_replication(const RunRequest& request, int replication) {
  const Planned p = plan_run(request, 1, 1);
  if (replication < 0 || replication >= p.replications)
    throw std::out_of_range("replication " + std::to_string(replication) + " of a run of " +
                            std::to_string(p.replications));
  const world::ReplicationResult r = world::simulate(p.prepared, p.seed, replication, request.log_requests);
  namespace b = sim::bytes;
  std::string out;
  b::put(out, kReplicationMagic);
  b::put_string(out, run_identity(p));
  b::put(out, static_cast<std::int64_t>(replication));
  world::write_result(r, out);
  return out;
}

RunOutput merge_replications(const RunRequest& request, const std::vector<std::string>& replications) {
  const Planned p = plan_run(request, 1, 1);
  if (replications.size() != static_cast<std::size_t>(p.replications))
    throw std::runtime_error("merging " + std::to_string(replications.size()) + " replications of a run of " +
                             std::to_string(p.replications));
  const std::string identity = run_identity(p);
  namespace b = sim::bytes;
  std::vector<world::ReplicationResult> runs(replications.size());
  report::SeriesMerger series(p.replications);
  for (std::size_t i = 0; i < replications.size(); ++i) {
    std::string_view in = replications[i];
    if (b::take<std::uint64_t>(in) != kReplicationMagic) throw std::runtime_error("not a capstan replication's bytes");
    if (b::take_string(in) != identity) throw std::runtime_error("a replication of another run (scenario or seed)");
    if (b::take<std::int64_t>(in) != static_cast<std::int64_t>(i))
      throw std::runtime_error("replication " + std::to_string(i) + " is out of order");
    runs[i] = world::read_result(in);
    series.add(static_cast<int>(i), std::move(runs[i].timeseries));
    runs[i].timeseries = sim::TimeSeries(sim::kMinute, sim::kMinute);  // merged: not kept
    if (!in.empty()) throw std::runtime_error("replication bytes run past their end");
  }
  return finish(request, p, runs, series.merged());
}

}  // namespace capstan::api
