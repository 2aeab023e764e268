#pragma once
// Sends a class's open-loop load (scenario::Arrivals): stages of a constant
// rate from the run's start, Poisson or evenly spaced, each request from an
// origin drawn by the origins' shares and with its tokens drawn as the
// population draws them. A Poisson stage's gaps are exponential at its rate;
// a gap that crosses into the next stage is drawn again from the boundary at
// the new rate (memorylessness makes that exact). Not thread-safe; one per
// class and replication.
#include <cstdint>
#include <vector>

#include "models/scenario/scenario.h"
#include "models/workload/population.h"
#include "models/workload/sample.h"
#include "sim/rng.h"
#include "sim/simulator.h"

namespace capstan::workload {

class OpenLoop final : public sim::Target {
 public:
  OpenLoop(sim::Simulator& sim, const scenario::Scenario& scenario, std::uint32_t cls, std::uint64_t seed,
           int replication, sim::Time horizon, Population& population, InteractionSink& sink);

  void start();  // schedules the first arrival
  void handle(sim::Simulator& sim, std::uint32_t kind, std::uint64_t data) override;

 private:
  // Schedules the next arrival, if any stage has one left.
  void schedule_next();

  sim::Simulator& sim_;
  const scenario::Arrivals& arrivals_;
  std::uint32_t cls_;
  sim::Time horizon_;
  Population& population_;
  InteractionSink& sink_;
  std::uint32_t target_;
  sim::RandomStream gap_rng_;
  OriginDraw origins_;
  std::vector<double> stage_end_s_;        // cumulative
  std::size_t stage_ = 0;                  // the stage the next arrival falls in
  std::int64_t index_ = 0;                 // constant gaps: the next arrival's index in its stage
  double last_s_ = 0.0;                    // Poisson: the last arrival, or the stage's start
};

}  // namespace capstan::workload
