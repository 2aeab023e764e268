#pragma once
// Replays a class's request trace: each row is one request at its time from
// the first row (scaled by time_scale, the first row at start_s), with the
// row's prompt and output tokens and the head it shares with other rows
// (prefix_id, prefix_tokens), from an origin drawn by the origins' shares (the class's own
// stream). With loop the trace starts again one mean gap after its last row.
// A row over its deployment's max_model_len is marked too long, to be
// refused as a server would. Not thread-safe; one per trace class and
// replication.
#include <cstdint>
#include <vector>

#include "models/scenario/scenario.h"
#include "models/workload/population.h"
#include "models/workload/sample.h"
#include "sim/rng.h"
#include "sim/simulator.h"

namespace capstan::workload {

class TraceReplay final : public sim::Target {
 public:
  TraceReplay(sim::Simulator& sim, const scenario::Scenario& scenario, std::uint32_t cls, std::uint64_t seed,
              int replication, sim::Time horizon, InteractionSink& sink);

  void start();  // schedules the first row
  void handle(sim::Simulator& sim, std::uint32_t kind, std::uint64_t data) override;

 private:
  void schedule_next();

  sim::Simulator& sim_;
  const scenario::Scenario& s_;
  const scenario::RequestTrace& trace_;
  std::uint32_t cls_;
  sim::Time horizon_;
  InteractionSink& sink_;
  std::uint32_t target_;
  OriginDraw origins_;
  std::int64_t window_tokens_;
  std::size_t next_ = 0;                   // the row to send next
  double pass_start_ns_ = 0.0;             // run time of this pass's first row
};

}  // namespace capstan::workload
