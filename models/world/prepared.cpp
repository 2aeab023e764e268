#include "models/world/prepared.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "models/calibration/factory.h"
#include "models/input/json_reader.h"
#include "models/scenario/load.h"

namespace capstan::world {

namespace {
constexpr double kBytesPerGib = 1024.0 * 1024.0 * 1024.0;
constexpr double kMaxIterationS = 3600.0;

std::int64_t kv_capacity_tokens(const scenario::Deployment& d) {
  const double usable = d.tensor_parallel * d.gpu_spec.memory_gib * kBytesPerGib * d.gpu_memory_utilization;
  // Sliding-window layers hold at most their window of each running sequence.
  // KV heads fewer than GPUs, or a latent cache, are held on several GPUs at once.
  const double copies = d.llm.kv_copies(d.tensor_parallel);
  const double windows = d.max_running_seqs * d.llm.kv_window_bytes_per_sequence(d.max_model_len_tokens) * copies;
  const double free_bytes = usable - d.llm.replica_weight_bytes(d.tensor_parallel) - windows;
  // Bounded before the conversion: a tiny KV footprint must not overflow the count.
  const double blocks =
      std::clamp(std::floor(free_bytes / (d.llm.kv_bytes_per_token() * copies) / d.block_size_tokens), 0.0, 1e12);
  return static_cast<std::int64_t>(blocks) * d.block_size_tokens;
}
}  // namespace

Prepared::Prepared(scenario::Scenario validated) : scenario(std::move(validated)), topology(scenario) {
  const std::size_t n_dep = scenario.deployments.size();
  const std::size_t n_site = scenario.sites.size();
  deployments.resize(n_dep);
  for (std::size_t d = 0; d < n_dep; ++d) {
    const auto& dep = scenario.deployments[d];
    if (dep.hosted) continue;
    auto& m = deployments[d];
    m.service_time = calibration::make_service_time_model(dep.llm, dep.gpu_spec, dep.engine, dep.tensor_parallel,
                                                          dep.iteration_overhead_ms, dep.profile_path);
    m.kv_capacity_tokens = kv_capacity_tokens(dep);
    m.front_end_request = sim::from_ms(dep.engine.request_ms);
    m.front_end_stream = sim::from_ms(dep.engine.stream_us * 1e-3);
    const std::string source = scenario.source_path.empty() ? "<scenario>" : scenario.source_path;
    if (m.kv_capacity_tokens <= 0) {  // validation's check_fits refuses this first
      throw scenario::ScenarioError(source, "/deployments/" + std::to_string(d), "room for a KV cache",
                                    dep.llm.name + " leaves none");
    }
    // The slowest iteration the replica can run: a full batch at full context
    // beside a full prefill chunk. Its time must stay far inside the replica's
    // fixed-point clock (2^47 ns per block), so a GPU too slow for the model is
    // refused here, at its field, not by an overflow mid-run.
    {
      const std::int64_t seqs = std::max(1, dep.max_running_seqs);
      const calibration::PrefillChunk chunk{dep.max_batch_tokens, std::max<std::int64_t>(0, dep.max_model_len_tokens - dep.max_batch_tokens)};
      const double worst_s = m.service_time->iteration(seqs, {&chunk, 1}).seconds(seqs * std::int64_t{dep.max_model_len_tokens});
      if (!(worst_s <= kMaxIterationS)) {
        throw scenario::ScenarioError(source, "/deployments/" + std::to_string(d) + "/gpu",
                                      "a GPU on which one iteration of a full batch takes at most an hour",
                                      input::format_number(worst_s) + " s for " + dep.model + " on " + dep.gpu);
      }
    }
    const calibration::PrefillChunk full{dep.max_batch_tokens, 0};
    m.prefill_s_per_token = m.service_time->iteration(0, {&full, 1}).fixed_s / dep.max_batch_tokens;
    const std::int64_t half = std::max(1, dep.max_running_seqs / 2);
    m.decode_step_s = m.service_time->iteration(half, {}).seconds(half * 1024);
  }

  // Dense priority levels: the distinct class priorities, ascending.
  std::set<int> priorities;
  for (const auto& c : scenario.classes) priorities.insert(c.priority);
  priority_levels = static_cast<int>(priorities.size());
  std::vector<double> output_sum(n_dep, 0.0), output_weight(n_dep, 0.0);
  for (const auto& c : scenario.classes) {
    std::size_t d = 0;
    while (scenario.deployments[d].name != c.deployment) ++d;
    class_deployment.push_back(d);
    std::size_t overflow = kNoOverflow;
    for (std::size_t o = 0; o < n_dep && !c.overflow.empty(); ++o) {
      if (scenario.deployments[o].name == c.overflow) overflow = o;
    }
    class_overflow.push_back(overflow);
    class_priority_level.push_back(static_cast<int>(std::distance(priorities.begin(), priorities.find(c.priority))));
    // Weighted by requests per hour: a user's rate, or a trace's.
    const double weight =
        c.trace.enabled     ? c.trace.requests_per_s() * 3600.0 / std::max(1.0, scenario.workload.peak_users)
        : c.arrivals.enabled ? c.arrivals.peak_rate_per_s() * 3600.0 / std::max(1.0, scenario.workload.peak_users)
                             : c.rate_per_user_hour;
    output_sum[d] += weight * (c.trace.enabled ? c.trace.mean_output_tokens() : c.output_tokens.expected());
    output_weight[d] += weight;
  }
  for (const auto& c : scenario.classes) {
    auto& cdf = prompt_popularity_cdf.emplace_back();
    if (!c.response_cache.enabled) continue;
    cdf.resize(static_cast<std::size_t>(c.response_cache.distinct_prompts));
    double sum = 0.0;
    for (std::size_t i = 0; i < cdf.size(); ++i) cdf[i] = sum += std::pow(static_cast<double>(i + 1), -c.response_cache.zipf_s);
    for (double& x : cdf) x /= sum;
    cdf.back() = 1.0;
  }
  for (std::size_t d = 0; d < n_dep; ++d) {
    deployments[d].mean_output_tokens = output_weight[d] > 0 ? output_sum[d] / output_weight[d] : 1.0;
  }

  site_replicas.assign(n_site * n_dep, {});
  for (std::size_t s = 0; s < n_site; ++s) {
    const auto& site = scenario.sites[s];
    for (std::size_t p = 0; p < site.pools.size(); ++p) {
      const auto& pool = site.pools[p];
      std::size_t d = 0;
      while (scenario.deployments[d].name != pool.deployment) ++d;
      const auto& dep = scenario.deployments[d];
      const int start_nodes = pool.gpus / pool.gpus_per_node;
      fleet_usd_per_hour[static_cast<int>(pool.basis)] +=
          (pool.committed() ? pool.most_nodes() : start_nodes) * pool.usd_per_node_hour;
      fleet_gpus += pool.gpus;
      fleet_nodes += start_nodes;
      fleet_replicas += start_nodes * pool.replicas_per_node;
      // A slot per replica of each node the pool can hold at once, a node's
      // replicas consecutive; the fleet decides which nodes are up.
      for (int r = 0; r < pool.node_slots() * pool.replicas_per_node; ++r) {
        site_replicas[s * n_dep + d].push_back(static_cast<std::uint32_t>(replicas.size()));
        replicas.push_back(ReplicaSpec{s, p, d, dep.tensor_parallel, pool.spot});
      }
    }
  }

  routes.assign(scenario.workload.origins.size(), std::vector<std::vector<std::size_t>>(n_dep));
  for (std::size_t o = 0; o < routes.size(); ++o) {
    for (std::size_t s : topology.sites_by_rtt(o)) {
      for (std::size_t d = 0; d < n_dep; ++d) {
        if (!replicas_at(s, d).empty()) routes[o][d].push_back(s);
      }
    }
  }
  // Every self-hosted deployment a class uses must be reachable from every origin.
  for (std::size_t c = 0; c < scenario.classes.size(); ++c) {
    const std::size_t d = class_deployment[c];
    if (scenario.deployments[d].hosted) continue;
    for (std::size_t o = 0; o < routes.size(); ++o) {
      if (routes[o][d].empty()) {
        throw std::runtime_error("origin " + scenario.workload.origins[o].name + " reaches no site serving " +
                                 scenario.deployments[d].name);
      }
    }
  }
}

std::string Prepared::service_time_kinds() const {
  std::set<std::string> kinds;
  for (const auto& d : deployments) {
    if (d.service_time) kinds.insert(d.service_time->kind());
  }
  std::string out;
  for (const auto& k : kinds) out += (out.empty() ? "" : "+") + k;
  return out.empty() ? "none" : out;
}

std::string Prepared::service_time_sources() const {
  std::string out;
  for (std::size_t d = 0; d < deployments.size(); ++d) {
    if (!deployments[d].service_time) continue;
    out += (out.empty() ? "" : "; ") + scenario.deployments[d].name + ": " + deployments[d].service_time->provenance();
  }
  return out;
}

}  // namespace capstan::world
