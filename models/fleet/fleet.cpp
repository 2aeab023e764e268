#include "models/fleet/fleet.h"

#include <algorithm>
#include <cassert>
#include <queue>
#include <cmath>

#include "models/workload/sample.h"

namespace capstan::fleet {

namespace {
// The schedule's GPUs at `t_s` seconds into the run: local hour of the schedule's offset.
int scheduled_gpus(const scenario::Autoscale& as, double start_hour_utc, double t_s) {
  const double hours = start_hour_utc + as.utc_offset_h + t_s / 3600.0;
  return as.schedule_gpus[static_cast<std::size_t>(std::fmod(std::floor(hours + 1e-9) + 48.0, 24.0))];
}

// A node's age at preemption under the bathtub CDF
// F(t) = scale * (1 - exp(-t / early) + exp((t - life) / late)), t < life;
// the mass left at `life` is preempted then.
double bathtub_age_h(const scenario::Interruptions& in, double u) {
  const auto F = [&](double t) {
    return in.scale * (1.0 - std::exp(-t / in.early_h) + std::exp((t - in.max_lifetime_h) / in.late_h));
  };
  if (u >= F(in.max_lifetime_h)) return in.max_lifetime_h;
  if (u <= F(0.0)) return 0.0;
  double lo = 0.0, hi = in.max_lifetime_h;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (F(mid) < u ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}
}  // namespace

Fleet::Fleet(sim::Simulator& sim, serving::RequestPool& requests, serving::ReplicaObserver& observer,
             const world::Prepared& prepared, sim::TimeSeries& series, std::uint64_t seed, int replication)
    : sim_(sim),
      p_(prepared),
      series_(series),
      target_(sim.add_target(this)),
      warmup_(sim::from_seconds(prepared.scenario.simulation.warmup_h * 3600.0)),
      horizon_(sim::from_seconds(prepared.scenario.simulation.duration_h * 3600.0)) {
  const auto& s = prepared.scenario;
  const std::size_t busy_column = series.add_column("busy_gpus", sim::TimeSeries::Kind::kTimeMean);
  const auto rep = static_cast<std::uint64_t>(replication);
  for (std::size_t site = 0; site < s.sites.size(); ++site) {
    for (std::size_t i = 0; i < s.sites[site].pools.size(); ++i) {
      const auto& spec = s.sites[site].pools[i];
      Pool p;
      p.site = site;
      p.index = i;
      p.spec = &spec;
      p.key = s.sites[site].name + "/" + spec.name;
      while (s.deployments[p.deployment].name != spec.deployment) ++p.deployment;
      const auto& dep = s.deployments[p.deployment];
      p.gpus_per_node = spec.gpus_per_node;
      p.replicas_per_node = spec.replicas_per_node;
      p.tensor_parallel = dep.tensor_parallel;
      p.usd_per_node_hour = spec.usd_per_node_hour;
      p.on_demand_usd_per_node_hour = spec.on_demand_usd_per_node_hour;
      p.category = cost::gpu_category(spec.basis);
      p.boot = sim::from_seconds(spec.cold_start.boot_s);
      p.load = sim::from_seconds(dep.llm.weight_bytes() / (spec.cold_start.weight_load_gb_per_s * 1e9) +
                                 spec.cold_start.engine_start_s);
      p.notice = sim::from_seconds(spec.notice_s);
      p.fallback_after = sim::from_seconds(spec.replacement.fallback_after_s);
      p.interrupt_rng = sim::RandomStream(seed, rep, "pool/" + p.key + "/interruptions");
      p.replace_rng = sim::RandomStream(seed, rep, "pool/" + p.key + "/replacement");
      p.ready_column = series.add_column("ready_gpus:" + p.key, sim::TimeSeries::Kind::kTimeMean);
      p.cold_start_column = series.add_column("cold_starts:" + p.key, sim::TimeSeries::Kind::kSum);
      p.interruption_column = series.add_column("interruptions:" + p.key, sim::TimeSeries::Kind::kSum);
      pools_.push_back(std::move(p));
    }
  }
  memos_.resize(p_.deployments.size());
  for (std::uint32_t id = 0; id < p_.replicas.size(); ++id) {
    const auto& spec = p_.replicas[id];
    auto& memo = memos_[spec.deployment];
    if (!memo) memo = std::make_unique<serving::IterationMemo>(p_.deployments[spec.deployment].service_time);
    const auto& dep = s.deployments[spec.deployment];
    serving::ReplicaConfig cfg;
    cfg.id = id;
    cfg.max_running_seqs = dep.max_running_seqs;
    cfg.max_batch_tokens = dep.max_batch_tokens;
    cfg.block_size_tokens = dep.block_size_tokens;
    cfg.kv_capacity_tokens = p_.deployments[spec.deployment].kv_capacity_tokens;
    cfg.priority_levels = p_.priority_levels;
    cfg.max_queue = sim::from_seconds(s.simulation.max_queue_s);
    cfg.step_by_step = s.simulation.step_by_step;
    cfg.prefix_caching = dep.prefix_caching;
    replicas_.push_back(std::make_unique<serving::Replica>(sim, requests, observer, cfg,
                                                           p_.deployments[spec.deployment].service_time, memo.get()));
    replicas_.back()->track_busy(&series, busy_column, spec.gpus);
    std::size_t pool = 0;
    while (pools_[pool].site != spec.site || pools_[pool].index != spec.pool) ++pool;
    Pool& p = pools_[pool];
    // A node's replicas are consecutive: every replicas_per_node-th of the pool starts a node.
    if (p.replicas.size() % static_cast<std::size_t>(p.replicas_per_node) == 0) {
      const auto node = static_cast<std::uint32_t>(nodes_.size());
      nodes_.push_back(Node{});
      nodes_.back().first = id;
      slot_pool_.push_back(static_cast<std::uint32_t>(pool));
      p.slots.push_back(node);
      p.down.insert(node);
    }
    replica_node_.push_back(p.slots.back());
    p.replicas.push_back(id);
  }
  for (auto& p : pools_) p.busy_mark.assign(p.replicas.size(), 0.0);
}

// A reserved or owned pool pays for its nodes up front (start()); its fallback nodes, and every other node, by the second.
double Fleet::price(const Pool& p, const Node& n) const {
  if (n.fallback) return p.on_demand_usd_per_node_hour;
  return p.spec->committed() ? 0.0 : p.usd_per_node_hour;
}

cost::Category Fleet::category(const Pool& p, const Node& n) const {
  return n.fallback ? cost::Category::kGpuOnDemand : p.category;
}

bool Fleet::node_idle(const Pool& p, const Node& n) const {
  for (int r = 0; r < p.replicas_per_node; ++r) {
    if (!replicas_[n.first + static_cast<std::uint32_t>(r)]->idle()) return false;
  }
  return true;
}

void Fleet::set_accepting(const Pool& p, const Node& n, bool accepting) {
  for (int r = 0; r < p.replicas_per_node; ++r) replicas_[n.first + static_cast<std::uint32_t>(r)]->set_accepting(accepting);
}

int Fleet::count(const Pool& p, bool spot, bool fallback, bool ready_only) const {
  // Kept as nodes change state (set_state): a pool of 100,000 nodes is not scanned on every event.
  const int n = ready_only ? p.ready_nodes[spot][fallback] : p.up_nodes[spot][fallback];
#ifndef NDEBUG
  int scanned = 0;
  for (std::uint32_t slot : p.slots) {
    const Node& node = nodes_[slot];
    if (node.spot != spot || node.fallback != fallback) continue;
    if (ready_only ? node.state == State::kReady : up(node.state)) ++scanned;
  }
  assert(scanned == n);
#endif
  return n;
}

void Fleet::set_state(Pool& p, Node& n, State s) {
  if (up(n.state)) --p.up_nodes[n.spot][n.fallback];
  if (n.state == State::kReady) --p.ready_nodes[n.spot][n.fallback];
  n.state = s;
  if (up(s)) ++p.up_nodes[n.spot][n.fallback];
  if (s == State::kReady) ++p.ready_nodes[n.spot][n.fallback];
}

void Fleet::start(cost::Ledger& ledger, Relocator& relocator) {
  ledger_ = &ledger;
  relocator_ = &relocator;
  const auto& sim_cfg = p_.scenario.simulation;
  for (std::size_t i = 0; i < pools_.size(); ++i) {
    Pool& p = pools_[i];
    const auto& as = p.spec->autoscale;
    const int gpus = as.schedule_gpus.empty() ? p.spec->gpus : scheduled_gpus(as, sim_cfg.start_hour_utc, 0.0);
    p.target = gpus / p.gpus_per_node;
    // Reserved and owned nodes are paid for whether up or not: the pool's largest size, the whole run.
    if (p.spec->committed()) ledger.add_rate(p.category, 0, p.spec->most_nodes() * p.usd_per_node_hour);
    const auto& in = p.spec->interruptions;
    if (in.model == scenario::Interruptions::Model::kTrace) p.available = in.available.front();
    const int spot_now = p.spec->spot && p.available >= 0 ? std::min(p.target, p.available) : p.target;
    for (int n = 0; n < spot_now; ++n) start_node(i, p.spec->spot, false, true);
    for (std::uint32_t slot : p.slots) {
      if (nodes_[slot].state == State::kDown) set_accepting(p, nodes_[slot], false);
    }
    if (spot_now < p.target) reconcile(i);
    if (in.model == scenario::Interruptions::Model::kTrace) {
      sim_.schedule_at(sim::from_seconds(in.gap_s), target_, kTick, i);
    }
    if (as.enabled && as.schedule_gpus.empty()) {
      p.recommendations.emplace_back(0, p.target);  // as the HPA seeds its history with the current size
      sim_.schedule_at(sim::from_seconds(as.period_s), target_, kScale, i);
    } else if (!as.schedule_gpus.empty()) {
      const double hours = sim_cfg.start_hour_utc + as.utc_offset_h;
      const double to_next_h = std::ceil(hours + 1e-9) - hours;
      sim_.schedule_at(sim::from_seconds(to_next_h * 3600.0), target_, kHour, i);
    }
  }
}

bool Fleet::start_node(std::size_t pool, bool spot, bool fallback, bool ready_now) {
  Pool& p = pools_[pool];
  if (p.down.empty()) return false;
  const std::uint32_t slot = *p.down.begin();  // the first free slot, in O(log n) for pools of 100,000 nodes
  p.down.erase(p.down.begin());
  Node& n = nodes_[slot];
  const sim::Time now = sim_.now();
  const std::uint32_t first = n.first;
  n = Node{};
  n.first = first;
  n.spot = spot;
  n.fallback = fallback;
  n.billed_since = now;
  ledger_->add_rate(category(p, n), now, price(p, n));
  if (ready_now) {
    set_state(p, n, State::kReady);
    set_ready(p, slot, true);
  } else {
    set_state(p, n, State::kProvisioning);
    if (now >= warmup_) ++p.cold_starts;
    series_.record(p.cold_start_column, now, 1.0);
    n.step = sim_.schedule_at(now + p.boot, target_, kStep, slot);
  }
  if (spot) schedule_reclaim(slot);
  return true;
}

void Fleet::schedule_reclaim(std::uint32_t slot) {
  Pool& p = pools_[slot_pool_[slot]];
  const auto& in = p.spec->interruptions;
  double after_h = -1.0;
  if (in.model == scenario::Interruptions::Model::kPoisson && in.per_node_hour > 0) {
    after_h = p.interrupt_rng.exponential(in.reclaim_nodes / in.per_node_hour);
  } else if (in.model == scenario::Interruptions::Model::kBathtub) {
    after_h = bathtub_age_h(in, p.interrupt_rng.uniform());
  }
  if (after_h < 0) return;
  const sim::Time at = sim_.now() + sim::from_seconds(after_h * 3600.0);
  if (at < horizon_) nodes_[slot].reclaim = sim_.schedule_at(at, target_, kReclaim, slot);
}

void Fleet::handle(sim::Simulator&, std::uint32_t kind, std::uint64_t data) {
  const auto index = static_cast<std::uint32_t>(data);
  switch (kind) {
    case kStep: step(index); break;
    case kReclaim: reclaim(index); break;
    case kGone: gone(index); break;
    case kDrained:
      if (nodes_[index].state == State::kDraining && node_idle(pools_[slot_pool_[index]], nodes_[index])) gone(index);
      break;
    case kReplace:
      --pools_[index].pending_replacements;
      reconcile(index);
      break;
    case kFallback: reconcile(index); break;
    case kTick: trace_tick(index); break;
    case kScale: evaluate(index); break;
    case kHour: hour(index); break;
  }
}

void Fleet::step(std::uint32_t slot) {
  Node& n = nodes_[slot];
  Pool& p = pools_[slot_pool_[slot]];
  if (n.state == State::kProvisioning) {
    set_state(p, n, State::kLoading);
    n.step = sim_.schedule_at(sim_.now() + p.load, target_, kStep, slot);
    return;
  }
  set_state(p, n, State::kReady);
  set_ready(p, slot, true);
  reconcile(slot_pool_[slot]);  // a spot node ready may relieve a fallback node
}

void Fleet::set_ready(Pool& p, std::uint32_t slot, bool ready) {
  const sim::Time now = sim_.now();
  const double level = p.ready_gpus.level();
  if (now > p.ready_since) series_.record_span(p.ready_column, p.ready_since, now, level);
  p.ready_since = now;
  p.ready_gpus.set(now, level + (ready ? 1 : -1) * p.gpus_per_node);
  if (ready) p.serving_nodes.add(now, 1.0);
  set_accepting(p, nodes_[slot], ready);
}

void Fleet::reclaim(std::uint32_t slot) {
  Pool& p = pools_[slot_pool_[slot]];
  drain(slot, true);
  // A correlated reclaim takes others of the pool's spot nodes with it.
  int taken = 1;
  for (std::uint32_t other : p.slots) {
    if (taken >= p.spec->interruptions.reclaim_nodes) break;
    const Node& n = nodes_[other];
    if (!n.spot || !up(n.state)) continue;
    drain(other, true);
    ++taken;
  }
}

void Fleet::drain(std::uint32_t slot, bool reclaimed) {
  Node& n = nodes_[slot];
  Pool& p = pools_[slot_pool_[slot]];
  const sim::Time now = sim_.now();
  sim_.cancel(n.reclaim);
  if (reclaimed) {
    if (now >= warmup_) ++p.interruptions;
    series_.record(p.interruption_column, now, 1.0);
    ++p.pending_replacements;
    const double delay_s = workload::sample(p.spec->replacement.delay_s, p.replace_rng);
    sim_.schedule_at(now + sim::from_seconds(delay_s), target_, kReplace, slot_pool_[slot]);
  }
  if (n.state != State::kReady) {  // not serving yet: nothing to drain
    gone(slot);
    return;
  }
  set_ready(p, slot, false);
  set_state(p, n, State::kDraining);
  n.reclaimed = reclaimed;
  // The queue goes elsewhere at once; what runs may finish before the node goes.
  moving_.clear();
  for (int r = 0; r < p.replicas_per_node; ++r) replicas_[n.first + static_cast<std::uint32_t>(r)]->take_waiting(moving_);
  for (std::uint32_t id : moving_) relocator_->relocate(id, now);
  if (reclaimed) {
    n.gone = sim_.schedule_at(now + p.notice, target_, kGone, slot);
  } else {
    schedule_drained(slot);
  }
}

void Fleet::schedule_drained(std::uint32_t slot) {
  if (node_idle(pools_[slot_pool_[slot]], nodes_[slot])) sim_.schedule_at(sim_.now(), target_, kDrained, slot);
}

void Fleet::gone(std::uint32_t slot) {
  Node& n = nodes_[slot];
  if (n.state == State::kDown) return;
  Pool& p = pools_[slot_pool_[slot]];
  const sim::Time now = sim_.now();
  sim_.cancel(n.step);
  sim_.cancel(n.reclaim);
  sim_.cancel(n.gone);
  if (n.state == State::kReady) set_ready(p, slot, false);
  const bool was_serving = n.state == State::kReady || n.state == State::kDraining;
  set_state(p, n, State::kDown);
  p.down.insert(slot);
  if (was_serving) {
    p.serving_nodes.add(now, -1.0);
    moving_.clear();
    for (int r = 0; r < p.replicas_per_node; ++r) replicas_[n.first + static_cast<std::uint32_t>(r)]->evict(moving_);
    for (std::uint32_t id : moving_) relocator_->relocate(id, now);
  }
  set_accepting(p, n, false);
  bill_stop(p, n, now);
  if (p.releasing == 0) reconcile(slot_pool_[slot]);  // release() reconciles once, after its last node
}

void Fleet::bill_stop(Pool& p, const Node& n, sim::Time at) {
  ledger_->add_rate(category(p, n), at, -price(p, n));
  if (p.spec->committed() && !n.fallback) return;  // billed whole, at close()
  const sim::Time from = std::max(n.billed_since, warmup_), to = std::min(at, horizon_);
  if (to > from) {
    const double hours = sim::to_seconds(to - from) / 3600.0;
    p.usd[static_cast<std::size_t>(category(p, n))] += price(p, n) * hours;
    const double gpu_h = p.gpus_per_node * hours;
    p.gpu_hours += gpu_h;
    if (n.fallback) p.fallback_gpu_hours += gpu_h;
  }
}

void Fleet::count_move(std::uint32_t replica, Move move) {
  Pool& p = pools_[slot_pool_[replica_node_[replica]]];
  ++(move == Move::kMigrated ? p.migrated : move == Move::kLost ? p.lost : p.dropped);
}

void Fleet::release(std::size_t pool, int nodes, bool spot, bool fallback) {
  Pool& p = pools_[pool];
  ++p.releasing;
  // Nodes not serving yet go first (at once), in slot order; then the least-loaded ready ones drain.
  for (State state : {State::kProvisioning, State::kLoading}) {
    std::vector<std::uint32_t> picks;
    for (std::uint32_t slot : p.slots) {
      if (static_cast<int>(picks.size()) == nodes) break;
      const Node& n = nodes_[slot];
      if (n.state == state && n.spot == spot && n.fallback == fallback) picks.push_back(slot);
    }
    for (std::uint32_t slot : picks) gone(slot);
    nodes -= static_cast<int>(picks.size());
  }
  if (nodes > 0) {
    // The least loaded (running + waiting) first, the first in slot order among equals. A draining node's queue
    // moves to other replicas at once, so loads only grow while this runs: a heap whose stale entries are pushed
    // back with their load now finds each pick exactly, in O(n log n) rather than a scan per node.
    auto load = [&](std::uint32_t slot) {
      int sum = 0;
      for (int r = 0; r < p.replicas_per_node; ++r) {
        const auto& replica = *replicas_[nodes_[slot].first + static_cast<std::uint32_t>(r)];
        sum += replica.running() + static_cast<int>(replica.waiting());
      }
      return sum;
    };
    using Entry = std::pair<int, std::uint32_t>;  // (load, slot): slots ascend with the pool's order
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
    for (std::uint32_t slot : p.slots) {
      const Node& n = nodes_[slot];
      if (n.state == State::kReady && n.spot == spot && n.fallback == fallback) heap.emplace(load(slot), slot);
    }
    while (nodes > 0 && !heap.empty()) {
      const auto [was, slot] = heap.top();
      heap.pop();
      const int now = load(slot);
      if (now != was) {
        heap.emplace(now, slot);
        continue;
      }
      --nodes;
      drain(slot, false);
    }
  }
  --p.releasing;
}

void Fleet::reconcile(std::size_t pool) {
  Pool& p = pools_[pool];
  if (!p.spec->spot) {
    const int diff = p.target - count(p, false, false, false);
    for (int i = 0; i < diff; ++i) {
      if (!start_node(pool, false, false, false)) break;
    }
    if (diff < 0) release(pool, -diff, false, false);
    return;
  }
  const sim::Time now = sim_.now();
  const int up_spot = count(p, true, false, false);
  if (up_spot > p.target) release(pool, up_spot - p.target, true, false);
  const int need = std::max(0, p.target - p.pending_replacements - std::min(up_spot, p.target));
  const int room = p.available < 0 ? need : std::max(0, p.available - std::min(up_spot, p.target));
  int started = 0;
  while (started < std::min(need, room) && start_node(pool, true, false, false)) ++started;
  const bool short_now = started < need;
  if (short_now && p.short_since < 0) {
    p.short_since = now;
    if (p.spec->replacement.fallback_on_demand) sim_.schedule_at(now + p.fallback_after, target_, kFallback, pool);
  } else if (!short_now) {
    p.short_since = -1;
  }
  if (!p.spec->replacement.fallback_on_demand) return;
  // SkyServe-style fallback: on-demand nodes cover the spot shortfall once
  // spot has been unobtainable for fallback_after_s, and leave as spot nodes
  // become ready again.
  const bool engaged = p.short_since >= 0 && now - p.short_since >= p.fallback_after;
  const int deficit = std::max(0, p.target - count(p, true, false, true));
  const int up_fallback = count(p, false, true, false);
  const int want = engaged ? deficit : std::min(up_fallback, deficit);
  for (int i = up_fallback; i < want; ++i) {
    if (!start_node(pool, false, true, false)) break;
  }
  if (up_fallback > want) release(pool, up_fallback - want, false, true);
}

void Fleet::trace_tick(std::size_t pool) {
  Pool& p = pools_[pool];
  const auto& in = p.spec->interruptions;
  const auto tick = static_cast<std::size_t>(std::llround(sim::to_seconds(sim_.now()) / in.gap_s));
  p.available = in.available[std::min(tick, in.available.size() - 1)];
  // Nodes above what the trace allows are reclaimed: those not serving yet first.
  int excess = count(p, true, false, false) - p.available;
  for (State state : {State::kProvisioning, State::kLoading, State::kReady}) {
    for (auto it = p.slots.rbegin(); it != p.slots.rend() && excess > 0; ++it) {
      const Node& n = nodes_[*it];
      if (n.state != state || !n.spot) continue;
      drain(*it, true);
      --excess;
    }
  }
  reconcile(pool);
  const sim::Time next = sim_.now() + sim::from_seconds(in.gap_s);
  if (next < horizon_ && tick + 1 < in.available.size()) sim_.schedule_at(next, target_, kTick, pool);
}

void Fleet::evaluate(std::size_t pool) {
  Pool& p = pools_[pool];
  const auto& as = p.spec->autoscale;
  const sim::Time now = sim_.now();
  // Total usage over the ready replicas; not-ready ones count as using nothing (as the HPA does).
  double usage = 0.0;
  for (std::size_t k = 0; k < p.replicas.size(); ++k) {
    const std::uint32_t id = p.replicas[k];
    const auto& r = *replicas_[id];
    const double busy_now = r.busy().integral(now);
    const double busy_s = busy_now - p.busy_mark[k];
    p.busy_mark[k] = busy_now;
    if (nodes_[replica_node_[id]].state != State::kReady) continue;
    switch (as.metric) {
      case scenario::Autoscale::Metric::kQueuePerReplica: usage += static_cast<double>(r.waiting()); break;
      case scenario::Autoscale::Metric::kBatchOccupancy:
        usage += static_cast<double>(r.running()) / r.config().max_running_seqs;
        break;
      case scenario::Autoscale::Metric::kKvOccupancy: usage += r.kv_used_share(); break;
      case scenario::Autoscale::Metric::kGpuBusy: usage += std::min(1.0, busy_s / as.period_s); break;
    }
  }
  // The HPA's arithmetic counts replicas (pods); nodes follow, as a node autoscaler provisions them.
  const int per_node = p.replicas_per_node;
  const int current = std::max(p.target, 1) * per_node;
  int desired = p.target;
  const int min_nodes = as.min_gpus / p.gpus_per_node, max_nodes = as.max_gpus / p.gpus_per_node;
  if (std::abs(usage / (as.target * current) - 1.0) > as.tolerance) {
    // Clamped before it becomes an int: a tiny target (1e-12) asks for more nodes than an int holds.
    const double wanted = std::ceil(std::ceil(usage / as.target - 1e-9) / per_node - 1e-9);
    desired = wanted >= max_nodes ? max_nodes : static_cast<int>(std::max(wanted, 0.0));
  }
  desired = std::clamp(desired, min_nodes, max_nodes);
  // Scale up at once; scale down to the highest recommendation of the stabilisation window.
  const sim::Time window = sim::from_seconds(as.scale_down_delay_s);
  p.recommendations.emplace_back(now, desired);
  while (!p.recommendations.empty() && p.recommendations.front().first < now - window) p.recommendations.pop_front();
  int next = desired;
  if (desired < p.target) {
    int highest = desired;
    for (const auto& [at, n] : p.recommendations) highest = std::max(highest, n);
    next = std::min(p.target, highest);
  }
  if (next != p.target) {
    p.target = next;
    reconcile(pool);
  }
  const sim::Time at = now + sim::from_seconds(as.period_s);
  if (at < horizon_) sim_.schedule_at(at, target_, kScale, pool);
}

void Fleet::hour(std::size_t pool) {
  Pool& p = pools_[pool];
  const auto& as = p.spec->autoscale;
  p.target = scheduled_gpus(as, p_.scenario.simulation.start_hour_utc, sim::to_seconds(sim_.now())) / p.gpus_per_node;
  reconcile(pool);
  const sim::Time at = sim_.now() + sim::kHour;
  if (at < horizon_) sim_.schedule_at(at, target_, kHour, pool);
}

void Fleet::reset_statistics(sim::Time now) {
  for (auto& r : replicas_) r->reset_statistics(now);
  for (auto& p : pools_) {
    p.ready_gpus.reset(now);
    p.serving_nodes.reset(now);
    for (double& mark : p.busy_mark) mark = 0.0;
  }
}

void Fleet::close(sim::Time horizon) {
  for (auto& r : replicas_) r->flush_busy(horizon);
  for (auto& p : pools_) {
    if (horizon > p.ready_since) series_.record_span(p.ready_column, p.ready_since, horizon, p.ready_gpus.level());
    p.ready_since = horizon;
    if (p.spec->committed() && horizon > warmup_) {
      const double hours = sim::to_seconds(horizon - warmup_) / 3600.0;
      p.gpu_hours += p.spec->most_nodes() * p.gpus_per_node * hours;
      p.usd[static_cast<std::size_t>(p.category)] += p.spec->most_nodes() * p.usd_per_node_hour * hours;
    }
    for (std::uint32_t slot : p.slots) {
      const Node& n = nodes_[slot];
      if (n.state == State::kDown || (p.spec->committed() && !n.fallback)) continue;
      const sim::Time from = std::max(n.billed_since, warmup_);
      if (horizon > from) {
        const double hours = sim::to_seconds(horizon - from) / 3600.0;
        p.usd[static_cast<std::size_t>(category(p, n))] += price(p, n) * hours;
        const double gpu_h = p.gpus_per_node * hours;
        p.gpu_hours += gpu_h;
        if (n.fallback) p.fallback_gpu_hours += gpu_h;
      }
    }
  }
}

std::vector<std::array<double, cost::kCategories>> Fleet::pool_usd() const {
  std::vector<std::array<double, cost::kCategories>> out;
  for (const Pool& p : pools_) {
    std::array<double, cost::kCategories> usd{};
    std::copy(std::begin(p.usd), std::end(p.usd), usd.begin());
    out.push_back(usd);
  }
  return out;
}

void Fleet::add_site_figures(world::Figures& f, sim::Time now) const {
  const auto& s = p_.scenario;
  for (std::size_t site = 0; site < s.sites.size(); ++site) {
    double busy = 0.0, kv = 0.0, queue = 0.0, occupancy = 0.0, gpu_s = 0.0, node_s = 0.0, preemptions = 0.0,
           iterations = 0.0, blocks = 0.0;
    const double span_s = sim::to_seconds(now - std::min(now, warmup_));
    for (const Pool& p : pools_) {
      if (p.site != site) continue;
      node_s += p.replicas_per_node * p.serving_nodes.integral(now);  // replica-seconds
      gpu_s += p.gpus_per_node * p.serving_nodes.integral(now);
      for (std::uint32_t r : p.replicas) {
        const auto& rep = *replicas_[r];
        busy += p.tensor_parallel * rep.busy().integral(now);
        kv += rep.kv_occupancy().integral(now);
        occupancy += rep.batch_occupancy().integral(now);
        queue += rep.queue_length().mean(now);
        preemptions += static_cast<double>(rep.preemptions());
        iterations += static_cast<double>(rep.iterations());
        blocks += static_cast<double>(rep.blocks_planned());
      }
    }
    const std::string base = world::pointer("/sites", s.sites[site].name);
    f.add(base + "/gpu_utilization", gpu_s > 0 ? busy / gpu_s : 0.0);
    f.add(base + "/kv_occupancy", node_s > 0 ? kv / node_s : 0.0);
    f.add(base + "/batch_occupancy", node_s > 0 ? occupancy / node_s : 0.0);
    f.add(base + "/queue_length_mean", queue);
    f.add(base + "/preemptions", preemptions);
    f.add(base + "/replicas", span_s > 0 ? node_s / span_s : 0.0);
    // Whole run: iterations the GPUs ran, and the events the replicas needed for them.
    f.add(base + "/iterations", iterations);
    f.add(base + "/batch_changes", blocks);
  }
}

void Fleet::add_pool_figures(world::Figures& f, sim::Time now) const {
  const double span_s = sim::to_seconds(now - std::min(now, warmup_));
  for (const Pool& p : pools_) {
    double busy = 0.0, kv = 0.0, occupancy = 0.0;
    for (std::uint32_t r : p.replicas) {
      const auto& rep = *replicas_[r];
      busy += p.tensor_parallel * rep.busy().integral(now);
      kv += rep.kv_occupancy().integral(now);
      occupancy += rep.batch_occupancy().integral(now);
    }
    const double node_s = p.serving_nodes.integral(now);
    const double replica_s = p.replicas_per_node * node_s;
    const std::string base = world::pointer("/pools", p.key);
    f.add(base + "/gpu_hours", p.gpu_hours);
    double usd = 0.0;
    for (double x : p.usd) usd += x;
    f.add(base + "/cost_usd", usd);
    f.add(base + "/ready_gpus_mean", span_s > 0 ? p.ready_gpus.integral(now) / span_s : p.ready_gpus.level());
    f.add(base + "/interruptions", static_cast<double>(p.interruptions));
    f.add(base + "/cold_starts", static_cast<double>(p.cold_starts));
    f.add(base + "/requests_migrated", static_cast<double>(p.migrated));
    f.add(base + "/requests_lost", static_cast<double>(p.lost));
    f.add(base + "/requests_dropped", static_cast<double>(p.dropped));
    f.add(base + "/fallback_gpu_hours", p.fallback_gpu_hours);
    f.add(base + "/gpu_utilization", node_s > 0 ? busy / (p.gpus_per_node * node_s) : 0.0);
    f.add(base + "/batch_occupancy", replica_s > 0 ? occupancy / replica_s : 0.0);
    f.add(base + "/kv_occupancy", replica_s > 0 ? kv / replica_s : 0.0);
  }
}

}  // namespace capstan::fleet
