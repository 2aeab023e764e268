// Valid input that once hung, ran out of memory or ended in exit 1: each
// case the hardening pass found, kept so it stays fixed.
#include <catch2/catch.hpp>

#include "models/scenario/scenario.h"
#include "models/workload/sample.h"
#include "sim/rng.h"

using capstan::scenario::Distribution;

TEST_CASE("a uniform with min equal to max is that constant, not a hang", "[hostile]") {
  Distribution d;
  d.kind = Distribution::Kind::kUniform;
  d.min = d.max = 50.0;
  capstan::sim::RandomStream rng(7, 0, "tokens");
  for (int i = 0; i < 1000; ++i) {
    CHECK(capstan::workload::sample(d, rng) == 50.0);
    CHECK(capstan::workload::sample_tokens(d, rng) == 50);
    const double residual = capstan::workload::sample_residual(d, rng);
    CHECK(residual >= 0.0);
    CHECK(residual <= 50.0);
  }
}
