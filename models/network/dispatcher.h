#pragma once
// Where a request goes: a site chosen by the routing policy among those
// serving its deployment, nearest first, and there the replica with the least
// estimated wait (a load index per site and deployment, kept current as
// replicas report load changes). A conversation stays on the replica that
// holds its prefix while the extra wait there costs less than recomputing
// the prefix (session affinity); with routing.prefix_affinity, so does any
// request on the replica that last served its shared head. Not thread-safe;
// one per replication.
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "models/fleet/fleet.h"
#include "models/network/router.h"
#include "models/serving/load_index.h"
#include "models/workload/population.h"
#include "models/world/prepared.h"

namespace capstan::network {

inline constexpr std::uint32_t kNoReplica = UINT32_MAX;

struct Dispatch {
  std::uint32_t replica = 0;
  double rtt_ms = 0.0;          // origin to the chosen site and back
  std::int32_t cached_tokens = 0;  // prefix the replica is expected to hold
  // The latency_budget router's verdict: the chosen site's round trip and
  // estimate fit the budget (always true under the other policies).
  bool within_budget = true;
};

class Dispatcher {
 public:
  Dispatcher(const world::Prepared& prepared, const fleet::Fleet& fleet);

  // The replica for `interaction` of deployment `deployment`; kNoReplica when
  // no replica of it is up anywhere the origin reaches.
  Dispatch route(const workload::Interaction& interaction, std::size_t deployment);
  // A replica's load changed: refresh its place in the index.
  void load_changed(std::uint32_t replica);

 private:
  double wait_estimate_s(std::uint32_t replica) const;
  // The replica at `site` for the interaction, its wait and the tokens of
  // its prompt cached there.
  std::uint32_t pick_replica(std::size_t site, std::size_t deployment, const workload::Interaction& in, double& wait_s,
                             std::int32_t& cached) const;
  // Key of the replica that last served this head at (site, deployment).
  std::uint64_t affinity_key(const workload::Interaction& in, std::size_t site, std::size_t deployment) const;

  const world::Prepared& p_;
  const fleet::Fleet& fleet_;
  // Per (site, deployment), the least-loaded replica; and where each replica sits in it.
  std::vector<std::unique_ptr<serving::LoadIndex>> load_index_;
  std::vector<std::pair<serving::LoadIndex*, std::size_t>> index_slot_;
  std::vector<Candidate> candidates_;
  std::vector<std::uint32_t> candidate_replica_;
  std::vector<std::int32_t> candidate_cached_;
  std::unordered_map<std::uint64_t, std::uint32_t> affinity_;  // prefix_affinity: head -> last replica
};

}  // namespace capstan::network
