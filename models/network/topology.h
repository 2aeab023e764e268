#pragma once
// The network between user origins (metros) and sites (edge and cloud
// regions): an undirected Boost.Graph whose edge weights are round-trip times.
// Shortest paths are computed once, at construction (Dijkstra from each
// origin), so every lookup afterwards is O(1).
//
// The round trip from an origin to a site is the origin's last-mile RTT plus
// the shortest path's RTT through the links; any node (origin or site) may be
// a transit hop. A hosted API's region is a node too, when its deployment
// names one: links reach it like any other. Immutable after construction; safe to share between threads.
#include <cstddef>
#include <string>
#include <vector>

#include "models/scenario/scenario.h"

namespace capstan::network {

class Topology {
 public:
  // Nodes are the origins, the sites, then hosted APIs' regions not named
  // before, as in the scenario. Throws
  // std::invalid_argument if a link names an unknown node or has a negative or
  // non-finite RTT (the scenario loader reports those first, with pointers).
  explicit Topology(const scenario::Scenario& scenario);
  Topology(const std::vector<scenario::Origin>& origins, const std::vector<std::string>& site_names,
           const std::vector<scenario::Link>& links, const std::vector<scenario::Deployment>& deployments = {});

  std::size_t origin_count() const { return origin_count_; }
  std::size_t site_count() const { return site_count_; }

  // Round trip in ms, last mile included; +infinity when no path exists.
  double rtt_ms(std::size_t origin, std::size_t site) const { return rtt_ms_[origin * site_count_ + site]; }
  bool reachable(std::size_t origin, std::size_t site) const;
  // Round trip in ms from an origin to hosted deployment d: through the
  // links to its region, or the last mile alone when it names none;
  // +infinity when no path exists. 0 for a self-hosted deployment.
  double hosted_rtt_ms(std::size_t origin, std::size_t d) const { return hosted_rtt_ms_[origin * deployment_count_ + d]; }
  // The reachable sites of an origin, nearest first (ties by site index).
  const std::vector<std::size_t>& sites_by_rtt(std::size_t origin) const { return by_rtt_[origin]; }

 private:
  std::size_t origin_count_ = 0;
  std::size_t site_count_ = 0;
  std::size_t deployment_count_ = 0;
  std::vector<double> rtt_ms_;                    // origin-major matrix
  std::vector<double> hosted_rtt_ms_;             // origin-major, by deployment
  std::vector<std::vector<std::size_t>> by_rtt_;  // per origin
};

}  // namespace capstan::network
