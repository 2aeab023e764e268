#include "models/network/dispatcher.h"

#include <algorithm>
#include <limits>

namespace capstan::network {

Dispatcher::Dispatcher(const world::Prepared& prepared, const fleet::Fleet& fleet) : p_(prepared), fleet_(fleet) {
  const auto& s = p_.scenario;
  index_slot_.resize(p_.replicas.size());
  for (std::size_t site = 0; site < s.sites.size(); ++site) {
    for (std::size_t d = 0; d < s.deployments.size(); ++d) {
      const auto& members = p_.replicas_at(site, d);
      load_index_.push_back(members.empty() ? nullptr : std::make_unique<serving::LoadIndex>(members));
      for (std::size_t i = 0; i < members.size(); ++i) index_slot_[members[i]] = {load_index_.back().get(), i};
    }
  }
}

double Dispatcher::wait_estimate_s(std::uint32_t replica) const {
  const auto& r = fleet_.replica(replica);
  if (!r.accepting()) return std::numeric_limits<double>::infinity();
  const auto& m = p_.deployments[p_.replicas[replica].deployment];
  double wait = static_cast<double>(r.backlog_tokens()) * m.prefill_s_per_token;
  if (r.running() >= r.config().max_running_seqs) {
    // A slot frees when some running answer ends: about one answer's decode over the slots.
    wait += m.decode_step_s * m.mean_output_tokens * static_cast<double>(r.waiting() + 1) /
            static_cast<double>(r.config().max_running_seqs);
  }
  return wait;
}

void Dispatcher::load_changed(std::uint32_t replica) {
  const auto& r = fleet_.replica(replica);
  const auto [index, position] = index_slot_[replica];
  index->update(position, wait_estimate_s(replica), r.running() + r.inbound());
}

std::uint32_t Dispatcher::pick_replica(std::size_t site, std::size_t deployment, const workload::Session* s,
                                       std::int32_t prefix, double& wait_s) const {
  // Least estimated wait; among equals (idle, or decoding with nothing
  // queued) the fewest sequences running or on their way.
  const auto& index = *load_index_[site * p_.scenario.deployments.size() + deployment];
  std::uint32_t best = index.best();
  double best_wait = index.best_wait_s();
  // Session affinity: stay where the conversation's prefix is cached while
  // the extra wait there costs less than recomputing the prefix.
  if (prefix > 0 && s->last_replica != workload::kNoReplica && s->last_replica != best &&
      p_.replicas[s->last_replica].site == site && p_.replicas[s->last_replica].deployment == deployment &&
      fleet_.replica(s->last_replica).accepting()) {
    const double w = wait_estimate_s(s->last_replica);
    if (w - best_wait < prefix * p_.deployments[deployment].prefill_s_per_token) {
      best = s->last_replica;
      best_wait = w;
    }
  }
  wait_s = best_wait;
  return best;
}

Dispatch Dispatcher::route(const workload::Interaction& in, std::size_t d) {
  const auto& s = p_.scenario;
  const auto& c = s.classes[in.cls];
  const auto& dep = s.deployments[d];
  const workload::Session* history = in.history;
  const std::int32_t prefix = in.prefix_tokens;
  // The candidate sites nearest first, each with its least-loaded replica;
  // a site with no replica up takes nothing (nearest falls over to the next).
  const auto& route = p_.routes[in.origin][d];
  const bool nearest = s.routing.policy == scenario::Routing::Policy::kNearest;
  candidates_.clear();
  candidate_replica_.clear();
  const auto& model = p_.deployments[d];
  for (std::size_t i = 0; i < route.size() && !(nearest && !candidates_.empty()); ++i) {
    double wait_s = 0.0;
    const std::uint32_t r = pick_replica(route[i], d, history, dep.prefix_caching ? prefix : 0, wait_s);
    if (wait_s == std::numeric_limits<double>::infinity()) continue;
    // What the SLO metric would read there, network aside: the queue ahead,
    // this request's own prefill (less a prefix cached there), and for
    // end-to-end its decode.
    const bool hit = dep.prefix_caching && history && history->last_replica == r;
    double estimate_s = wait_s + (in.prompt_tokens - (hit ? prefix : 0)) * model.prefill_s_per_token;
    if (c.slo.metric == scenario::Slo::Metric::kE2e) estimate_s += (in.output_tokens - 1) * model.decode_step_s;
    if (c.slo.metric == scenario::Slo::Metric::kTpot) estimate_s = model.decode_step_s;
    candidates_.push_back({route[i], p_.topology.rtt_ms(in.origin, route[i]), estimate_s * 1000.0});
    candidate_replica_.push_back(r);
  }
  if (candidates_.empty()) return Dispatch{kNoReplica, 0.0, 0};
  const std::size_t pick = choose_site(s.routing, candidates_, c.slo.threshold_ms);
  Dispatch out;
  out.replica = candidate_replica_[pick];
  out.rtt_ms = candidates_[pick].rtt_ms;
  out.within_budget = s.routing.policy != scenario::Routing::Policy::kLatencyBudget ||
                      candidates_[pick].rtt_ms + candidates_[pick].estimate_ms <=
                          s.routing.budget_share * c.slo.threshold_ms;
  const auto& rep = fleet_.replica(out.replica);
  const bool cached = dep.prefix_caching && prefix > 0 && history->last_replica == out.replica &&
                      rep.kv_alloc_clock() - history->cache_clock < history->cache_room;
  out.cached_tokens = cached ? std::min(prefix, in.prompt_tokens - 1) : 0;
  return out;
}

void Dispatcher::remember(workload::Session& session, std::uint32_t replica, std::int32_t cached_prefix) const {
  const auto& rep = fleet_.replica(replica);
  session.last_replica = replica;
  session.cache_clock = rep.kv_alloc_clock();
  session.cache_room = rep.kv_free_tokens();
  session.cached_prefix = cached_prefix;
}

}  // namespace capstan::network
