#pragma once
// What every replication of a scenario shares, computed once: the topology's
// round trips, the replicas to build and their KV capacity, each
// deployment's service-time model and the routing tables. Immutable after
// construction; replications on many threads read it at once.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/calibration/service_time_model.h"
#include "models/network/topology.h"
#include "models/scenario/scenario.h"
#include "sim/time.h"

namespace capstan::world {

// A node slot: the replica a node of a pool runs while it is up.
struct ReplicaSpec {
  std::size_t site = 0;
  std::size_t pool = 0;        // within the site
  std::size_t deployment = 0;
  int gpus = 1;                // tensor-parallel degree
  bool spot = false;
};

struct DeploymentModel {
  std::shared_ptr<const calibration::ServiceTimeModel> service_time;
  std::int64_t kv_capacity_tokens = 0;   // per replica
  double prefill_s_per_token = 0.0;      // at a full token budget: the router's wait estimate
  double decode_step_s = 0.0;            // a half-full batch's decode step
  sim::Time front_end_request = 0;       // the engine's API server before the engine sees a request
  sim::Time front_end_stream = 0;        // from the engine emitting a token to the client reading it
  double mean_output_tokens = 0.0;       // over the classes it serves
};

struct Prepared {
  explicit Prepared(scenario::Scenario validated);

  scenario::Scenario scenario;
  network::Topology topology;
  std::vector<DeploymentModel> deployments;               // by scenario deployment index
  std::vector<ReplicaSpec> replicas;                       // node slots, pool by pool
  std::vector<std::vector<std::uint32_t>> site_replicas;  // [site][deployment] flattened below
  // Sites serving deployment d that origin o reaches, nearest first: [o][d].
  std::vector<std::vector<std::vector<std::size_t>>> routes;
  std::vector<std::size_t> class_deployment;              // class index -> deployment index
  static constexpr std::size_t kNoOverflow = SIZE_MAX;
  std::vector<std::size_t> class_overflow;                // class index -> hosted deployment, or kNoOverflow
  std::vector<int> class_priority_level;                  // dense levels, 0 first
  // Per class with a response cache: the Zipf popularity CDF of its prompts
  // (entry i: the probability of prompts 0..i); empty otherwise.
  std::vector<std::vector<double>> prompt_popularity_cdf;
  int priority_levels = 1;
  // The fleet at the start: what it costs an hour by basis (committed pools at their largest size).
  double fleet_usd_per_hour[catalog::kBases] = {};
  int fleet_gpus = 0;                                     // at the start
  int fleet_replicas = 0;
  int fleet_nodes = 0;

  // Replicas of deployment d at site s.
  const std::vector<std::uint32_t>& replicas_at(std::size_t site, std::size_t deployment) const {
    return site_replicas[site * scenario.deployments.size() + deployment];
  }
  std::string service_time_kinds() const;    // e.g. "roofline"
  std::string service_time_sources() const;  // provenance, one per deployment
};

}  // namespace capstan::world
