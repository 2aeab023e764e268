#pragma once
// The fleet of one replication: a replica per node of every pool, built from
// the prepared scenario, with its busy time tracked into the series, and the
// per-site figures of the report. Not thread-safe; one per replication.
#include <cstdint>
#include <memory>
#include <vector>

#include "models/cost/ledger.h"
#include "models/serving/replica.h"
#include "models/world/figures.h"
#include "models/world/prepared.h"
#include "sim/simulator.h"
#include "sim/timeseries.h"

namespace capstan::fleet {

class Fleet {
 public:
  // Adds the "busy_gpus" column to `series`.
  Fleet(sim::Simulator& sim, serving::RequestPool& requests, serving::ReplicaObserver& observer,
        const world::Prepared& prepared, sim::TimeSeries& series);

  std::size_t size() const { return replicas_.size(); }
  serving::Replica& replica(std::uint32_t id) { return *replicas_[id]; }
  const serving::Replica& replica(std::uint32_t id) const { return *replicas_[id]; }

  // The fleet is billed from the start of the run.
  void start(cost::Ledger& ledger);
  void reset_statistics(sim::Time now);
  // Closes open spans at the end of the run.
  void close(sim::Time horizon);
  // The /sites section.
  void add_site_figures(world::Figures& f, sim::Time now) const;

 private:
  const world::Prepared& p_;
  std::vector<std::unique_ptr<serving::Replica>> replicas_;
};

}  // namespace capstan::fleet
