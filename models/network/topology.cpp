#include "models/network/topology.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>

namespace capstan::network {
namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                                    boost::property<boost::edge_weight_t, double>>;

std::vector<std::string> site_names_of(const scenario::Scenario& s) {
  std::vector<std::string> names;
  for (const auto& site : s.sites) names.push_back(site.name);
  return names;
}

}  // namespace

Topology::Topology(const scenario::Scenario& scenario)
    : Topology(scenario.workload.origins, site_names_of(scenario), scenario.links, scenario.deployments) {}

Topology::Topology(const std::vector<scenario::Origin>& origins, const std::vector<std::string>& site_names,
                   const std::vector<scenario::Link>& links, const std::vector<scenario::Deployment>& deployments)
    : origin_count_(origins.size()), site_count_(site_names.size()), deployment_count_(deployments.size()) {
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < origins.size(); ++i) index.emplace(origins[i].name, i);
  for (std::size_t i = 0; i < site_names.size(); ++i) index.emplace(site_names[i], origin_count_ + i);
  std::size_t nodes = origin_count_ + site_count_;
  for (const auto& d : deployments) {
    if (d.hosted && !d.region.empty() && index.emplace(d.region, nodes).second) ++nodes;
  }

  Graph graph(nodes);
  for (const auto& link : links) {
    auto a = index.find(link.a);
    auto b = index.find(link.b);
    if (a == index.end() || b == index.end()) {
      throw std::invalid_argument("topology: link " + link.a + " - " + link.b + " names an unknown node");
    }
    if (!std::isfinite(link.rtt_ms) || link.rtt_ms < 0) {
      throw std::invalid_argument("topology: link " + link.a + " - " + link.b + " has an invalid rtt_ms");
    }
    boost::add_edge(a->second, b->second, link.rtt_ms, graph);
  }

  const double infinity = std::numeric_limits<double>::infinity();
  rtt_ms_.assign(origin_count_ * site_count_, infinity);
  hosted_rtt_ms_.assign(origin_count_ * deployment_count_, 0.0);
  by_rtt_.resize(origin_count_);
  std::vector<double> distance(boost::num_vertices(graph));
  for (std::size_t o = 0; o < origin_count_; ++o) {
    std::fill(distance.begin(), distance.end(), infinity);
    boost::dijkstra_shortest_paths(graph, o, boost::distance_map(distance.data()).distance_inf(infinity));
    for (std::size_t s = 0; s < site_count_; ++s) {
      const double path = distance[origin_count_ + s];
      if (path < infinity) rtt_ms_[o * site_count_ + s] = origins[o].last_mile_rtt_ms + path;
    }
    for (std::size_t d = 0; d < deployment_count_; ++d) {
      if (!deployments[d].hosted) continue;
      const double path = deployments[d].region.empty() ? 0.0 : distance[index.at(deployments[d].region)];
      hosted_rtt_ms_[o * deployment_count_ + d] = path < infinity ? origins[o].last_mile_rtt_ms + path : infinity;
    }
    auto& order = by_rtt_[o];
    for (std::size_t s = 0; s < site_count_; ++s) {
      if (reachable(o, s)) order.push_back(s);
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t x, std::size_t y) { return rtt_ms(o, x) < rtt_ms(o, y); });
  }
}

bool Topology::reachable(std::size_t origin, std::size_t site) const {
  return rtt_ms(origin, site) < std::numeric_limits<double>::infinity();
}

}  // namespace capstan::network
