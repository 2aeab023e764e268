#include "models/queueing/station.h"

namespace capstan::queueing {

Station::Station(sim::Simulator& sim, const StationConfig& config, std::uint64_t seed, int replication)
    : sim_(sim),
      config_(config),
      id_(sim.add_target(this)),
      arrivals_(seed, static_cast<std::uint64_t>(replication), "station/arrivals"),
      service_(seed, static_cast<std::uint64_t>(replication), "station/service"),
      in_service_(static_cast<std::size_t>(config.servers), 0) {
  for (int s = config.servers - 1; s >= 0; --s) free_servers_.push_back(s);
}

void Station::start() { sim_.schedule_in(sim::from_seconds(arrivals_.exponential(1.0 / config_.arrival_rate_per_s)), id_, kArrival); }

double Station::draw_service() {
  return config_.service == StationConfig::Service::kDeterministic ? config_.mean_service_s
                                                                    : service_.exponential(config_.mean_service_s);
}

void Station::begin_service(sim::Time arrived) {
  const int server = free_servers_.back();
  free_servers_.pop_back();
  in_service_[static_cast<std::size_t>(server)] = arrived;
  const sim::Time now = sim_.now();
  if (arrived >= stats_since_) {
    wait_s_.record(sim::to_seconds(now - arrived));
    if (now > arrived) ++waited_;
    ++served_;
  }
  sim_.schedule_in(sim::from_seconds(draw_service()), id_, kDeparture, static_cast<std::uint64_t>(server));
}

void Station::handle(sim::Simulator& sim, std::uint32_t kind, std::uint64_t data) {
  const sim::Time now = sim.now();
  if (kind == kArrival) {
    in_system_.add(now, 1.0);
    if (free_servers_.empty()) {
      queue_.push_back(now);
    } else {
      begin_service(now);
    }
    sim.schedule_in(sim::from_seconds(arrivals_.exponential(1.0 / config_.arrival_rate_per_s)), id_, kArrival);
    return;
  }
  const auto server = static_cast<int>(data);
  const sim::Time arrived = in_service_[static_cast<std::size_t>(server)];
  in_system_.add(now, -1.0);
  if (arrived >= stats_since_) {
    sojourn_sum_s_ += sim::to_seconds(now - arrived);
    ++completed_;
  }
  free_servers_.push_back(server);
  if (!queue_.empty()) {
    const sim::Time next = queue_.front();
    queue_.pop_front();
    begin_service(next);
  }
}

void Station::reset_statistics(sim::Time now) {
  in_system_.reset(now);
  wait_s_.reset();
  sojourn_sum_s_ = 0.0;
  waited_ = completed_ = served_ = 0;
  stats_since_ = now;
}

StationFigures Station::figures(sim::Time now) const {
  StationFigures f;
  f.completed = completed_;
  f.mean_wait_s = wait_s_.mean();
  f.wait_p95_s = wait_s_.quantile(0.95);
  f.probability_wait = served_ ? static_cast<double>(waited_) / static_cast<double>(served_) : 0.0;
  f.mean_sojourn_s = completed_ ? sojourn_sum_s_ / static_cast<double>(completed_) : 0.0;
  f.mean_in_system = in_system_.mean(now);
  const double span = sim::to_seconds(now - stats_since_);
  f.throughput_per_s = span > 0 ? static_cast<double>(completed_) / span : 0.0;
  return f;
}

StationFigures simulate_station(const StationConfig& config, std::uint64_t seed, int replication, sim::Time warmup,
                                sim::Time horizon) {
  sim::Simulator sim;
  Station station(sim, config, seed, replication);
  station.start();
  if (warmup > 0) sim.at_time(warmup, [&station](sim::Simulator& s) { station.reset_statistics(s.now()); });
  sim.run_until(horizon);
  return station.figures(sim.now());
}

}  // namespace capstan::queueing
