// Named random streams: uniformity, independence and stability under change.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/math/distributions/chi_squared.hpp>
#include <catch2/catch.hpp>

#include "sim/rng.h"

namespace sim = capstan::sim;

namespace {

std::vector<double> draws(sim::RandomStream& s, std::size_t n) {
  std::vector<double> out(n);
  for (auto& x : out) x = s.uniform();
  return out;
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace

TEST_CASE("uniform draws pass a chi-square test", "[rng]") {
  constexpr int kBins = 100;
  constexpr int kDraws = 1'000'000;
  sim::RandomStream s(2024, 0, "chi-square");
  std::vector<double> counts(kBins, 0.0);
  for (int i = 0; i < kDraws; ++i) {
    const double u = s.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    counts[static_cast<std::size_t>(u * kBins)] += 1.0;
  }
  const double expected = static_cast<double>(kDraws) / kBins;
  double chi2 = 0;
  for (double c : counts) chi2 += (c - expected) * (c - expected) / expected;
  const boost::math::chi_squared dist(kBins - 1);
  INFO("chi-square " << chi2);
  CHECK(chi2 < boost::math::quantile(dist, 0.999));
  // Too good a fit would be as suspicious as too bad a one.
  CHECK(chi2 > boost::math::quantile(dist, 0.001));
}

TEST_CASE("exponential draws have the requested mean", "[rng]") {
  constexpr int kDraws = 100'000;
  const double mean = 2.5;
  sim::RandomStream s(2024, 0, "service");
  double sum = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double x = s.exponential(mean);
    REQUIRE(x >= 0.0);
    sum += x;
  }
  // The sample mean's standard deviation is mean / sqrt(n).
  CHECK(std::abs(sum / kDraws - mean) < 4 * mean / std::sqrt(double(kDraws)));
}

TEST_CASE("streams with different names or replications are uncorrelated", "[rng]") {
  constexpr std::size_t n = 100'000;
  const double bound = 4.0 / std::sqrt(static_cast<double>(n));  // r has sd ~ 1/sqrt(n)
  sim::RandomStream a(7, 0, "arrivals/tokyo");
  sim::RandomStream b(7, 0, "arrivals/osaka");
  sim::RandomStream a1(7, 1, "arrivals/tokyo");
  sim::RandomStream a_other_seed(8, 0, "arrivals/tokyo");
  const auto xa = draws(a, n);
  const auto xb = draws(b, n);
  const auto xa1 = draws(a1, n);
  const auto xs = draws(a_other_seed, n);
  CHECK(std::abs(pearson(xa, xb)) < bound);
  CHECK(std::abs(pearson(xa, xa1)) < bound);
  CHECK(std::abs(pearson(xa, xs)) < bound);
  // Lagged by one: a stream seeded next to another must not be its shifted copy.
  const std::vector<double> xa_head(xa.begin(), xa.end() - 1), xb_tail(xb.begin() + 1, xb.end());
  CHECK(std::abs(pearson(xa_head, xb_tail)) < bound);
}

TEST_CASE("the same (seed, replication, name) gives the same sequence", "[rng]") {
  sim::RandomStream a(42, 3, "class/dialogue/prompt");
  sim::RandomStream b(42, 3, "class/dialogue/prompt");
  CHECK(draws(a, 10'000) == draws(b, 10'000));
  CHECK(sim::stream_seed(42, 3, "x") == sim::stream_seed(42, 3, "x"));
}

TEST_CASE("different replications, seeds or names give different sequences", "[rng]") {
  sim::RandomStream base(42, 0, "arrivals");
  const auto x = draws(base, 100);
  struct Key {
    std::uint64_t seed, rep;
    std::string name;
  };
  const std::vector<Key> others = {
      {42, 1, "arrivals"}, {42, 2, "arrivals"}, {43, 0, "arrivals"}, {42, 0, "arrivals2"}, {42, 0, "Arrivals"}};
  for (const auto& [seed, rep, name] : others) {
    sim::RandomStream other(seed, rep, name);
    const auto y = draws(other, 100);
    int same = 0;
    for (std::size_t i = 0; i < x.size(); ++i) same += x[i] == y[i];
    INFO(seed << " " << rep << " " << name);
    CHECK(same == 0);
  }
  // Seed and replication must not be interchangeable.
  CHECK(sim::stream_seed(1, 2, "s") != sim::stream_seed(2, 1, "s"));
}

TEST_CASE("adding streams leaves an existing stream's draws unchanged", "[rng]") {
  // The stream alone, as in a scenario before a new entity was added...
  sim::RandomStream alone(99, 4, "workload/arrivals");
  const auto expected = draws(alone, 1'000);

  // ...and among new streams, created before and after it and drawn from
  // between its draws, as a scenario variant with more entities would.
  sim::RandomStream before(99, 4, "policy/autoscaler");
  sim::RandomStream again(99, 4, "workload/arrivals");
  sim::RandomStream after(99, 4, "fleet/interruptions");
  std::vector<double> got;
  for (int i = 0; i < 1'000; ++i) {
    before.uniform();
    got.push_back(again.uniform());
    after.exponential(3.0);
    after.uniform();
  }
  CHECK(got == expected);
}
