#include "models/world/memory.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "models/calibration/roofline.h"
#include "models/input/json_reader.h"
#include "models/scenario/load.h"
#include "models/serving/replica.h"
#include "models/serving/request.h"
#include "models/workload/population.h"
#include "sim/replication.h"

namespace capstan::world {

namespace {

// Per node slot beyond the Replica object: the fleet's node record, the load
// index's leaf and tree entries, the dispatcher's slot, the replica's lists
// and the event queue's share (measured from a run of 20,000 slots).
constexpr double kSlotOverheadBytes = 512.0;
// Per user in session beyond the Session record: the free list, the user's
// next-interaction event, the curve's bookkeeping.
constexpr double kSessionOverheadBytes = 48.0;
// A response cache's slot per distinct prompt, cached or not: its recency
// links and insertion time (serving/response_cache.h).
constexpr double kCacheSlotBytes = 2 * sizeof(std::int32_t) + sizeof(std::int64_t);
// The run's fixed part: the engine, the report, the prepared scenario.
constexpr double kBaseBytes = 16.0 * 1024 * 1024;

std::string js_count(double x) { return input::format_number(std::round(x)); }

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

}  // namespace

double default_memory_budget_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return 8.0 * 1024 * 1024 * 1024;
  return 0.5 * static_cast<double>(pages) * static_cast<double>(page);
}

MemoryEstimate estimate_memory(const Prepared& p, int replications, int threads) {
  const auto& s = p.scenario;
  MemoryEstimate e;
  e.at_once = std::max(1, std::min(replications, threads > 0 ? threads : sim::default_threads()));
  const double slots = static_cast<double>(p.replicas.size());
  e.parts.push_back({"/sites", js_count(slots) + " node slots",
                     slots * (static_cast<double>(sizeof(serving::Replica)) + kSlotOverheadBytes)});
  // Each deployment's service-time model and its memo of GEMM times.
  const double models = static_cast<double>(s.deployments.size());
  double memo = 0.0;
  for (const auto& d : s.deployments) {
    memo += calibration::RooflineModel::memo_bytes(d.llm.moe());
    if (!d.hosted) memo += static_cast<double>(serving::IterationMemo::bytes());
  }
  e.parts.push_back({"/deployments", js_count(models) + " service-time models", memo});
  // Users in session: the peak, with room for the Poisson spread and the free list.
  const double users = 1.25 * s.workload.peak_users + 100.0;
  e.parts.push_back({"/workload/peak_users", js_count(users) + " users in session",
                     users * (static_cast<double>(sizeof(workload::Session)) + kSessionOverheadBytes)});
  // Requests alive at once: at worst every request of max_queue_s at the peak
  // rate waits; an open-loop load sends no more than its stages hold (with
  // room for a Poisson count's spread).
  double alive = 1000.0;
  double trace_rows = 0.0;
  for (const auto& c : s.classes) {
    const double per_s = c.trace.enabled     ? c.trace.requests_per_s()
                         : c.arrivals.enabled ? c.arrivals.peak_rate_per_s()
                                              : c.rate_per_user_hour / 3600.0 * s.workload.peak_users;
    double waiting = per_s * (s.simulation.max_queue_s + 60.0);
    if (c.trace.enabled) {
      // A trace's rows may bunch (ten million at one instant): what arrives within the window, not the mean rate.
      waiting = c.trace.most_rows_within((s.simulation.max_queue_s + 60.0) * 1e9);
      trace_rows += static_cast<double>(c.trace.rows->size());
    }
    if (c.arrivals.enabled) {
      const double sent = c.arrivals.expected_requests();
      waiting = std::min(waiting, sent + 6.0 * std::sqrt(sent) + 100.0);
    }
    alive += waiting;
  }
  e.parts.push_back({"/simulation/max_queue_s", js_count(alive) + " requests waiting or running",
                     alive * static_cast<double>(sizeof(serving::Request) + sizeof(std::uint32_t) * 4)});
  // Replayed traces' rows, read once (counted with each replication: an estimate errs high).
  if (trace_rows > 0) {
    e.parts.push_back({"/classes", js_count(trace_rows) + " trace rows",
                       trace_rows * static_cast<double>(sizeof(scenario::TraceRow))});
  }
  // The time series: a column per class figure, per pool and the fleet's, each interval.
  const double intervals = std::ceil(s.simulation.duration_h * 3600.0 / s.simulation.interval_s);
  double pools = 0.0;
  for (const auto& site : s.sites) pools += static_cast<double>(site.pools.size());
  const double columns = 8.0 * static_cast<double>(s.classes.size()) + 4.0 * pools + 16.0;
  e.parts.push_back({"/simulation/interval_s", js_count(intervals) + " intervals x " + js_count(columns) + " columns",
                     intervals * columns * 2.0 * sizeof(double)});
  // Response caches: the popularity table per class, an LRU per site.
  double cache = 0.0;
  for (const auto& c : s.classes) {
    if (!c.response_cache.enabled) continue;
    // The popularity table, and the population's copy with its guide table.
    cache += c.response_cache.distinct_prompts * (2 * sizeof(double) + sizeof(std::uint32_t)) +
             static_cast<double>(s.sites.size()) * c.response_cache.distinct_prompts * kCacheSlotBytes;
  }
  if (cache > 0) e.parts.push_back({"/classes", "response caches", cache});
  std::stable_sort(e.parts.begin(), e.parts.end(), [](const auto& a, const auto& b) { return a.bytes > b.bytes; });
  double per_replication = 0.0;
  for (const auto& part : e.parts) per_replication += part.bytes;
  // One merged time series beside those of the replications running.
  e.bytes = kBaseBytes + e.at_once * per_replication + intervals * columns * sizeof(double);
  return e;
}

void check_memory(const Prepared& p, int replications, int threads, double budget_bytes) {
  const MemoryEstimate e = estimate_memory(p, replications, threads);
  if (e.bytes <= budget_bytes) return;
  // The whole sum: the replications' parts (the three largest named, the
  // others together), and beside them the run's base and its merged series.
  double per_replication = 0.0, rest = 0.0;
  for (std::size_t i = 0; i < e.parts.size(); ++i) {
    per_replication += e.parts[i].bytes;
    if (i >= 3) rest += e.parts[i].bytes;
  }
  const double merged = e.bytes - kBaseBytes - e.at_once * per_replication;
  std::string found = "an estimated " + gib(e.bytes) + ": " + std::to_string(e.at_once) +
                      " replication(s) at once (--threads, simulation.replications) x " + gib(per_replication) + " (";
  for (std::size_t i = 0; i < e.parts.size() && i < 3; ++i) {
    found += (i ? ", " : "") + e.parts[i].what + " " + gib(e.parts[i].bytes) + " at " + e.parts[i].pointer;
  }
  if (rest > 0.0) found += ", the rest " + gib(rest);
  found += "), plus " + gib(kBaseBytes + merged) + " for the run and its merged time series";
  const std::string source = p.scenario.source_path.empty() ? "<scenario>" : p.scenario.source_path;
  throw scenario::ScenarioError(source, e.parts.front().pointer,
                                "a run within the memory budget of " + gib(budget_bytes) +
                                    " (--max-memory; by default half the machine's memory)",
                                found);
}

}  // namespace capstan::world
