#pragma once
// A FIFO station with c identical servers fed by a Poisson stream: the
// M/M/c, M/D/c and M/G/c systems that validate the engine against queueing
// theory, and the engine demo. Records waiting time, time in system and the
// number in system (time-weighted), all cut at the warm-up.
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "sim/gauge.h"
#include "sim/histogram.h"
#include "sim/rng.h"
#include "sim/simulator.h"

namespace capstan::queueing {

struct StationConfig {
  int servers = 1;
  double arrival_rate_per_s = 1.0;
  enum class Service { kExponential, kDeterministic } service = Service::kExponential;
  double mean_service_s = 0.5;
};

struct StationFigures {
  double mean_wait_s = 0.0;
  double mean_sojourn_s = 0.0;
  double mean_in_system = 0.0;     // time-weighted
  double probability_wait = 0.0;   // share of customers who waited
  double throughput_per_s = 0.0;   // completions per second after warm-up
  double wait_p95_s = 0.0;
  std::uint64_t completed = 0;
};

class Station final : public sim::Target {
 public:
  Station(sim::Simulator& sim, const StationConfig& config, std::uint64_t seed, int replication);
  void start();
  void reset_statistics(sim::Time now);
  StationFigures figures(sim::Time now) const;
  void handle(sim::Simulator& sim, std::uint32_t kind, std::uint64_t data) override;

 private:
  enum Kind : std::uint32_t { kArrival, kDeparture };
  double draw_service();
  void begin_service(sim::Time arrived);

  sim::Simulator& sim_;
  StationConfig config_;
  std::uint32_t id_;
  sim::RandomStream arrivals_;
  sim::RandomStream service_;
  std::deque<sim::Time> queue_;      // arrival times of waiting customers
  std::vector<sim::Time> in_service_;// arrival time per busy server (slot index = data)
  std::vector<int> free_servers_;
  sim::TimeWeightedGauge in_system_;
  sim::Histogram wait_s_;
  double sojourn_sum_s_ = 0.0;
  std::uint64_t waited_ = 0;
  std::uint64_t completed_ = 0;
  std::uint64_t served_ = 0;  // customers whose service began since the reset
  sim::Time stats_since_ = 0;
};

// Builds a station, runs it for `horizon` with `warmup` cut, and returns its figures.
StationFigures simulate_station(const StationConfig& config, std::uint64_t seed, int replication,
                                sim::Time warmup, sim::Time horizon);

}  // namespace capstan::queueing
