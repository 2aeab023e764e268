#pragma once
// Site choice for one request. The candidates are the sites that serve the
// request's deployment and that its origin reaches, nearest first, each with
// its round trip and the estimated queueing delay of its least-loaded
// replica.
//
//   nearest         the nearest site, whatever its load;
//   latency_budget  the nearest site whose round trip plus estimate fits
//                   in budget_share of the class's SLO threshold, looking at
//                   most max_spill_sites past the nearest; when none fits, the
//                   one with the least round trip plus estimate among those seen;
//   least_loaded    the site with the least round trip plus estimate among all.
#include <cstddef>
#include <span>

#include "models/scenario/scenario.h"

namespace capstan::network {

struct Candidate {
  std::size_t site = 0;
  double rtt_ms = 0.0;
  double estimate_ms = 0.0;
};

// Index into `candidates` (which must not be empty) of the chosen site.
std::size_t choose_site(const scenario::Routing& routing, std::span<const Candidate> candidates, double slo_threshold_ms);

}  // namespace capstan::network
