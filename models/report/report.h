#pragma once
// The report: replications merged into one value that the CLI, the Python
// bindings and the regression check all read. Every figure is the mean over
// replications; with more than one, its Student-t 95% interval sits beside it
// as "<name>_ci95": [low, high].
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/world/prepared.h"
#include "models/world/world.h"

namespace capstan::report {

inline constexpr int kSchemaVersion = 1;

nlohmann::json build(const world::Prepared& prepared, const std::vector<world::ReplicationResult>& runs,
                     std::uint64_t seed);
// One row per interval: the mean over the replications `merged` holds
// (TimeSeries::merge, in replication order).
std::string timeseries_csv(const sim::TimeSeries& merged);

// Merges replications' time series as they finish, in replication order
// (so the sums are the same bit for bit whatever the thread count), and
// frees each once merged: a run keeps one series, plus those that finished
// ahead of a slower one, not one per replication.
class SeriesMerger {
 public:
  explicit SeriesMerger(int replications) : pending_(static_cast<std::size_t>(replications)) {}
  void add(int replication, sim::TimeSeries series);  // thread-safe
  const sim::TimeSeries& merged() const { return *merged_; }  // once every replication is added

 private:
  std::mutex mutex_;
  std::vector<std::optional<sim::TimeSeries>> pending_;
  std::optional<sim::TimeSeries> merged_;
  std::size_t next_ = 0;
};
// The short table `capstan run` prints.
std::string summary_table(const nlohmann::json& report);

}  // namespace capstan::report
