#include "models/network/router.h"

#include <algorithm>

namespace capstan::network {

std::size_t choose_site(const scenario::Routing& routing, std::span<const Candidate> candidates,
                        double slo_threshold_ms) {
  using Policy = scenario::Routing::Policy;
  auto total = [](const Candidate& c) { return c.rtt_ms + c.estimate_ms; };
  std::size_t limit = candidates.size();
  if (routing.policy == Policy::kNearest) return 0;
  if (routing.policy == Policy::kLatencyBudget) {
    limit = std::min(limit, static_cast<std::size_t>(routing.max_spill_sites) + 1);
    const double budget_ms = routing.budget_share * slo_threshold_ms;
    for (std::size_t i = 0; i < limit; ++i) {
      if (total(candidates[i]) <= budget_ms) return i;
    }
  }
  std::size_t best = 0;
  for (std::size_t i = 1; i < limit; ++i) {
    if (total(candidates[i]) < total(candidates[best])) best = i;
  }
  return best;
}

}  // namespace capstan::network
