#include "models/fleet/fleet.h"

namespace capstan::fleet {

Fleet::Fleet(sim::Simulator& sim, serving::RequestPool& requests, serving::ReplicaObserver& observer,
             const world::Prepared& prepared, sim::TimeSeries& series)
    : p_(prepared) {
  const auto& s = prepared.scenario;
  const std::size_t busy_column = series.add_column("busy_gpus", sim::TimeSeries::Kind::kTimeMean);
  for (const auto& spec : p_.replicas) {
    const auto& dep = s.deployments[spec.deployment];
    serving::ReplicaConfig cfg;
    cfg.id = static_cast<std::uint32_t>(replicas_.size());
    cfg.max_running_seqs = dep.max_running_seqs;
    cfg.max_batch_tokens = dep.max_batch_tokens;
    cfg.block_size_tokens = dep.block_size_tokens;
    cfg.kv_capacity_tokens = p_.deployments[spec.deployment].kv_capacity_tokens;
    cfg.priority_levels = p_.priority_levels;
    cfg.max_queue = sim::from_seconds(s.simulation.max_queue_s);
    cfg.step_by_step = s.simulation.step_by_step;
    replicas_.push_back(std::make_unique<serving::Replica>(sim, requests, observer, cfg,
                                                           p_.deployments[spec.deployment].service_time));
    replicas_.back()->track_busy(&series, busy_column, spec.gpus);
  }
}

void Fleet::start(cost::Ledger& ledger) {
  ledger.add_rate(cost::Category::kGpuOnDemand, 0, p_.gpu_usd_per_hour_on_demand);
  ledger.add_rate(cost::Category::kGpuSpot, 0, p_.gpu_usd_per_hour_spot);
}

void Fleet::reset_statistics(sim::Time now) {
  for (auto& r : replicas_) r->reset_statistics(now);
}

void Fleet::close(sim::Time horizon) {
  for (auto& r : replicas_) r->flush_busy(horizon);
}

void Fleet::add_site_figures(world::Figures& f, sim::Time now) const {
  const auto& s = p_.scenario;
  for (std::size_t site = 0; site < s.sites.size(); ++site) {
    double busy = 0.0, kv = 0.0, queue = 0.0, occupancy = 0.0, gpus = 0.0, n = 0.0, preemptions = 0.0,
           iterations = 0.0, blocks = 0.0;
    for (std::size_t r = 0; r < replicas_.size(); ++r) {
      if (p_.replicas[r].site != site) continue;
      const double g = p_.replicas[r].gpus;
      busy += g * replicas_[r]->busy().mean(now);
      kv += replicas_[r]->kv_occupancy().mean(now);
      occupancy += replicas_[r]->batch_occupancy().mean(now);
      queue += replicas_[r]->queue_length().mean(now);
      preemptions += static_cast<double>(replicas_[r]->preemptions());
      iterations += static_cast<double>(replicas_[r]->iterations());
      blocks += static_cast<double>(replicas_[r]->blocks_planned());
      gpus += g;
      n += 1.0;
    }
    const std::string base = world::pointer("/sites", s.sites[site].name);
    f.add(base + "/gpu_utilization", gpus > 0 ? busy / gpus : 0.0);
    f.add(base + "/kv_occupancy", n > 0 ? kv / n : 0.0);
    f.add(base + "/batch_occupancy", n > 0 ? occupancy / n : 0.0);
    f.add(base + "/queue_length_mean", queue);
    f.add(base + "/preemptions", preemptions);
    f.add(base + "/replicas", n);
    // Whole run: iterations the GPUs ran, and the events the replicas needed for them.
    f.add(base + "/iterations", iterations);
    f.add(base + "/batch_changes", blocks);
  }
}

}  // namespace capstan::fleet
