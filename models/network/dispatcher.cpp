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

std::uint64_t Dispatcher::affinity_key(const workload::Interaction& in, std::size_t site, std::size_t deployment) const {
  const std::uint64_t head = in.prefix.a_key != 0 ? in.prefix.a_key : in.prefix.b_key;
  return head == 0 ? 0 : serving::mix_keys(head, site * p_.scenario.deployments.size() + deployment);
}

std::uint32_t Dispatcher::pick_replica(std::size_t site, std::size_t deployment, const workload::Interaction& in,
                                       double& wait_s, std::int32_t& cached) const {
  // Least estimated wait; among equals (idle, or decoding with nothing
  // queued) the fewest sequences running or on their way.
  const auto& index = *load_index_[site * p_.scenario.deployments.size() + deployment];
  std::uint32_t best = index.best();
  double best_wait = index.best_wait_s();
  const bool caching = p_.scenario.deployments[deployment].prefix_caching && !in.prefix.empty();
  cached = 0;
  if (caching) {
    // Where the router sent this head before (the conversation's last
    // replica, and with prefix_affinity the one that last served the head)
    // it reads what that replica's cache holds, as a router fed the engines'
    // KV-cache events does; elsewhere it expects nothing. It stays there
    // while the extra wait costs less than prefilling the head again (a
    // conversation), or whatever the wait unless more than
    // prefix_affinity_max_waiting requests wait there (affinity).
    const double s_per_token = p_.deployments[deployment].prefill_s_per_token;
    auto consider = [&](std::uint32_t r, bool bounded) {
      if (r == workload::kNoReplica || p_.replicas[r].site != site || p_.replicas[r].deployment != deployment) return;
      const auto& rep = fleet_.replica(r);
      if (!rep.accepting()) return;
      const std::int32_t there = rep.cached_tokens(in.prefix);
      if (r == best) {
        cached = std::max(cached, there);
        return;
      }
      if (bounded && rep.waiting() > static_cast<std::size_t>(p_.scenario.routing.prefix_affinity_max_waiting)) return;
      const double w = wait_estimate_s(r);
      if (bounded ? there > cached : w - best_wait < (there - cached) * s_per_token) {
        best = r;
        best_wait = w;
        cached = there;
      }
    };
    if (in.history) consider(in.history->last_replica, false);
    if (p_.scenario.routing.prefix_affinity) {
      auto it = affinity_.find(affinity_key(in, site, deployment));
      if (it != affinity_.end()) consider(it->second, true);
    }
  }
  wait_s = best_wait;
  return best;
}

Dispatch Dispatcher::route(const workload::Interaction& in, std::size_t d) {
  const auto& s = p_.scenario;
  const auto& c = s.classes[in.cls];
  // The candidate sites nearest first, each with its least-loaded replica;
  // a site with no replica up takes nothing (nearest falls over to the next).
  const auto& route = p_.routes[in.origin][d];
  const bool nearest = s.routing.policy == scenario::Routing::Policy::kNearest;
  candidates_.clear();
  candidate_replica_.clear();
  candidate_cached_.clear();
  const auto& model = p_.deployments[d];
  for (std::size_t i = 0; i < route.size() && !(nearest && !candidates_.empty()); ++i) {
    double wait_s = 0.0;
    std::int32_t cached = 0;
    const std::uint32_t r = pick_replica(route[i], d, in, wait_s, cached);
    if (wait_s == std::numeric_limits<double>::infinity()) continue;
    // What the SLO metric would read there, network aside: the queue ahead,
    // this request's own prefill (less a prefix cached there), and for
    // end-to-end its decode.
    double estimate_s = wait_s + (in.prompt_tokens - cached) * model.prefill_s_per_token;
    if (c.slo.metric == scenario::Slo::Metric::kE2e) estimate_s += (in.output_tokens - 1) * model.decode_step_s;
    if (c.slo.metric == scenario::Slo::Metric::kTpot) estimate_s = model.decode_step_s;
    candidates_.push_back({route[i], p_.topology.rtt_ms(in.origin, route[i]), estimate_s * 1000.0});
    candidate_replica_.push_back(r);
    candidate_cached_.push_back(cached);
  }
  if (candidates_.empty()) return Dispatch{kNoReplica, 0.0, 0};
  const std::size_t pick = choose_site(s.routing, candidates_, c.slo.threshold_ms);
  Dispatch out;
  out.replica = candidate_replica_[pick];
  out.rtt_ms = candidates_[pick].rtt_ms;
  out.within_budget = s.routing.policy != scenario::Routing::Policy::kLatencyBudget ||
                      candidates_[pick].rtt_ms + candidates_[pick].estimate_ms <=
                          s.routing.budget_share * c.slo.threshold_ms;
  out.cached_tokens = std::min(candidate_cached_[pick], std::max(0, in.prompt_tokens - 1));
  if (s.routing.prefix_affinity && s.deployments[d].prefix_caching) {
    const std::uint64_t key = affinity_key(in, p_.replicas[out.replica].site, d);
    if (key != 0) affinity_[key] = out.replica;
  }
  return out;
}

}  // namespace capstan::network
