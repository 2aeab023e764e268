// The planner's sequential test: its stated error rate, measured, and its
// power on the candidates it is for.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "models/plan/plan.h"

namespace plan = capstan::plan;

namespace {
// How often the test's bound lies past `threshold` for k normal replication
// figures about `mean` with standard deviation `sd`.
double firing_rate(int k, double mean, double sd, double threshold, double alpha, int trials, std::mt19937_64& rng) {
  std::normal_distribution<double> noise(mean, sd);
  int fired = 0;
  std::vector<double> values(static_cast<std::size_t>(k));
  for (int t = 0; t < trials; ++t) {
    for (double& v : values) v = noise(rng);
    if (plan::lower_bound(values, alpha) > threshold) ++fired;
  }
  return static_cast<double>(fired) / trials;
}
}  // namespace

TEST_CASE("sequential test: a candidate whose mean meets the threshold is stopped at most alpha of the time",
          "[plan][sequential]") {
  std::mt19937_64 rng(20261207);
  const double alpha = plan::kSequentialAlpha;
  const int trials = 400000;
  // At the boundary (mean exactly at the threshold) the rate is alpha; the
  // binomial standard error of a rate alpha over `trials` sets the margin.
  const double se = std::sqrt(alpha * (1 - alpha) / trials);
  for (int k : {2, 3, 5, 10}) {
    const double at_boundary = firing_rate(k, 200.0, 15.0, 200.0, alpha, trials, rng);
    INFO("k = " << k << ", rate " << at_boundary);
    CHECK(std::abs(at_boundary - alpha) < 4 * se);
    // Comfortably inside the threshold: hardly ever.
    CHECK(firing_rate(k, 180.0, 15.0, 200.0, alpha, trials / 10, rng) < alpha);
  }
  // The upper bound mirrors it (attainment targets).
  std::normal_distribution<double> noise(0.99, 0.004);
  int fired = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> v = {noise(rng), noise(rng), noise(rng)};
    if (plan::upper_bound(v, alpha) < 0.99) ++fired;
  }
  CHECK(std::abs(static_cast<double>(fired) / trials - alpha) < 4 * se);
}

TEST_CASE("sequential test: a candidate the full run would accept is almost never stopped", "[plan][sequential]") {
  // n = 10 replications, looks after 2, 4, 6 and 8 (two cores), a mean just
  // inside what the full run accepts (95% upper end at the threshold for a
  // typical spread): the chance that any look stops it.
  std::mt19937_64 rng(99);
  const double sd = 15.0, threshold = 200.0;
  const double mean = threshold - 2.262 * sd / std::sqrt(10.0);  // t(0.975, 9)
  std::normal_distribution<double> noise(mean, sd);
  int stopped = 0;
  const int trials = 200000;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> values;
    for (int k = 1; k <= 8; ++k) {
      values.push_back(noise(rng));
      if (k % 2 == 0 && plan::lower_bound(values, plan::kSequentialAlpha) > threshold) {
        ++stopped;
        break;
      }
    }
  }
  // Measured: 0.24% (binomial standard error 0.011% over 200,000 trials); the
  // claim docs/plan.md makes is at most 0.3%.
  CHECK(static_cast<double>(stopped) / trials < 0.003);
}

TEST_CASE("sequential test: a grossly overloaded candidate is stopped after a few replications", "[plan][sequential]") {
  std::mt19937_64 rng(7);
  // Percentiles of 30 s against 200 ms, replications within 2% of each other
  // (an overloaded fleet's queue is long in every replication): stopped at k = 2.
  CHECK(firing_rate(2, 30000.0, 600.0, 200.0, plan::kSequentialAlpha, 10000, rng) > 0.95);
  // Twice the threshold with 10% spread: rarely at k = 2 (Student's t with
  // one degree of freedom is wide), mostly at k = 3, always by k = 5.
  CHECK(firing_rate(2, 400.0, 40.0, 200.0, plan::kSequentialAlpha, 10000, rng) < 0.5);
  CHECK(firing_rate(3, 400.0, 40.0, 200.0, plan::kSequentialAlpha, 10000, rng) > 0.7);
  CHECK(firing_rate(5, 400.0, 40.0, 200.0, plan::kSequentialAlpha, 10000, rng) > 0.99);
}
