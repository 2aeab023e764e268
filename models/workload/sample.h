#pragma once
// Drawing from a scenario Distribution with Boost.Random, so the draws are
// the same with every standard library.
#include <cstdint>
#include <vector>

#include "models/scenario/scenario.h"
#include "sim/rng.h"

namespace capstan::workload {

// One draw, clamped to [min_value, max_value] when those are set.
double sample(const scenario::Distribution& d, sim::RandomStream& rng);

// A draw of the time left in a quantity already under way at a random
// instant: the equilibrium (residual-life) distribution, with density
// (1 - F(x)) / E[X]. Used to start a run with sessions already in progress.
double sample_residual(const scenario::Distribution& d, sim::RandomStream& rng);

// The time already spent and the time left in a quantity under way at a
// random instant, drawn together: a length-biased total split at a uniform
// point (Cox, Renewal Theory, ch. 5), so each has the equilibrium
// distribution and they sum to one length. Exponential: two independent draws.
struct AgeAndResidual {
  double age = 0.0;
  double residual = 0.0;
};
AgeAndResidual sample_age_and_residual(const scenario::Distribution& d, sim::RandomStream& rng);

// A positive whole number of tokens from the distribution (at least 1).
int sample_tokens(const scenario::Distribution& d, sim::RandomStream& rng);

// Origins drawn by the workload's shares, from a stream of their own (a
// trace's or an open-loop load's requests, which no user in session sends).
class OriginDraw {
 public:
  OriginDraw(const scenario::Workload& workload, sim::RandomStream stream);
  std::uint32_t next();

 private:
  sim::RandomStream rng_;
  std::vector<double> cumulative_;  // cumulative shares, last = 1
};

}  // namespace capstan::workload
