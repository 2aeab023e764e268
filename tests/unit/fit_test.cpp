// The fit recovers known coefficients from synthetic timings with noise,
// interpolates inside the measured grid, and reports held-out error.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "models/calibration/fit.h"

namespace cal = capstan::calibration;

namespace {

// GEMM-like samples over several (K, N) shapes so the fixed cost, the FLOP
// rate and the byte rate are all identifiable.
std::vector<cal::Sample> gemm_samples(const cal::LinearCost& truth, double noise, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0.0, 1.0);
  std::vector<cal::Sample> out;
  const std::vector<std::pair<double, double>> kn{{4096, 6144}, {4096, 4096}, {4096, 28672}, {14336, 4096}, {1024, 512}};
  for (const auto& [k, n] : kn) {
    for (double m : {1.0, 8.0, 32.0, 128.0, 512.0, 2048.0, 8192.0, 16384.0}) {
      cal::Sample s;
      s.rows = m;
      s.flops = 2.0 * m * k * n;
      s.bytes = (k * n + m * k + m * n) * 2.0;
      s.seconds = truth.seconds(s.flops, s.bytes) * (1.0 + noise * n01(rng));
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("fit: exact data gives the exact coefficients", "[fit]") {
  const cal::LinearCost truth{6e-6, 1.0 / 700e12, 1.0 / 2.6e12};
  const auto samples = gemm_samples(truth, 0.0, 1);
  const cal::LinearCost got = cal::fit_linear_cost(samples);
  CHECK(got.c0_s == Approx(truth.c0_s).epsilon(1e-6));
  CHECK(got.s_per_flop == Approx(truth.s_per_flop).epsilon(1e-6));
  CHECK(got.s_per_byte == Approx(truth.s_per_byte).epsilon(1e-6));
}

TEST_CASE("fit: noisy synthetic timings are recovered within 1%", "[fit]") {
  const cal::LinearCost truth{4e-6, 1.0 / 750e12, 1.0 / 2.8e12};
  for (std::uint64_t seed : {11u, 12u, 13u}) {
    const auto samples = gemm_samples(truth, 0.003, seed);  // 0.3% timing noise
    const cal::LinearCost got = cal::fit_linear_cost(samples);
    CHECK(got.c0_s == Approx(truth.c0_s).epsilon(0.01));
    CHECK(got.s_per_flop == Approx(truth.s_per_flop).epsilon(0.01));
    CHECK(got.s_per_byte == Approx(truth.s_per_byte).epsilon(0.01));
  }
}

TEST_CASE("fit: element-wise kernels use bytes only, coefficients never negative", "[fit]") {
  std::mt19937_64 rng(21);
  std::normal_distribution<double> n01(0.0, 1.0);
  std::vector<cal::Sample> samples;
  for (double tokens = 1; tokens <= 16384; tokens *= 2) {
    const double bytes = 4.0 * tokens * 4096 * 2;
    samples.push_back({tokens, 0.0, bytes, (3e-6 + bytes / 2.9e12) * (1.0 + 0.003 * n01(rng))});
  }
  const auto got = cal::fit_linear_cost(samples, {.flops = false, .bytes = true});
  CHECK(got.s_per_flop == 0.0);
  CHECK(got.c0_s == Approx(3e-6).epsilon(0.01));
  CHECK(got.s_per_byte == Approx(1.0 / 2.9e12).epsilon(0.01));
  // Times that fall with size would need a negative slope: clamped to zero,
  // the constant is refitted alone.
  std::vector<cal::Sample> falling{{1, 0, 1e6, 10e-6}, {2, 0, 2e6, 9e-6}, {3, 0, 3e6, 8e-6}};
  const auto clamped = cal::fit_linear_cost(falling, {.flops = false, .bytes = true});
  CHECK(clamped.s_per_byte == 0.0);
  CHECK(clamped.c0_s > 8e-6);
  CHECK(clamped.c0_s < 10e-6);
}

TEST_CASE("fit: piecewise-linear table interpolates inside the grid", "[fit]") {
  const std::vector<cal::Sample> s{{1, 0, 0, 10e-6}, {64, 0, 0, 10e-6}, {128, 0, 0, 20e-6}, {128, 0, 0, 22e-6}};
  const auto t = cal::PiecewiseLinear::from_samples(s);
  REQUIRE(t.x.size() == 3);
  CHECK(t.at(96) == Approx(15.5e-6));  // halfway to the averaged 21 us
  CHECK(t.at(1) == Approx(10e-6));
  CHECK(t.contains(128));
  CHECK_FALSE(t.contains(129));
  cal::OperatorFit f;
  f.table = t;
  f.cost = {1.0, 0.0, 0.0};
  CHECK(f.seconds(200, 0, 0) == 1.0);  // outside the grid: the linear cost
}

TEST_CASE("fit: held-out error is small on a staircase only the table captures", "[fit]") {
  // Wave quantisation: time steps every 128 rows; a line cannot follow it.
  std::vector<cal::Sample> samples;
  for (double m = 16; m <= 2048; m += 16) {
    const double waves = std::ceil(m / 128.0);
    samples.push_back({m, 2.0 * m * 4096 * 4096, 4096.0 * 4096 * 2, 5e-6 + waves * 20e-6});
  }
  const auto r = cal::fit_operator(samples, {}, true, 4);
  CHECK(r.held_out.count > 20);
  // Linear interpolation errs only at the step edges: most points are exact.
  CHECK(r.held_out.median_rel_error < 1e-9);
  CHECK(r.held_out.p95_rel_error < 0.5);
  const auto line = cal::fit_operator(samples, {}, false, 4);
  CHECK(line.held_out.median_rel_error > r.held_out.median_rel_error);
}

TEST_CASE("fit: held-out error of a noisy linear operator reflects the noise", "[fit]") {
  const cal::LinearCost truth{4e-6, 1.0 / 750e12, 1.0 / 2.8e12};
  const auto samples = gemm_samples(truth, 0.01, 5);
  const auto r = cal::fit_operator(samples, {}, false, 4);
  REQUIRE(r.held_out.count == samples.size() / 4);
  CHECK(r.held_out.median_rel_error < 0.02);
  CHECK(r.held_out.p95_rel_error < 0.04);
}

TEST_CASE("fit: error summaries use nearest-rank percentiles", "[fit]") {
  std::vector<double> e;
  for (int i = 1; i <= 20; ++i) e.push_back(i / 100.0);
  const auto s = cal::summarize_errors(e);
  CHECK(s.count == 20);
  CHECK(s.median_rel_error == Approx(0.105));
  CHECK(s.p95_rel_error == Approx(0.19));
  CHECK(cal::summarize_errors({}).count == 0);
  CHECK_THROWS_AS(cal::fit_linear_cost(std::vector<cal::Sample>{}), std::invalid_argument);
  CHECK_THROWS_AS(cal::fit_linear_cost(std::vector<cal::Sample>{{1, 1, 1, 0.0}}), std::invalid_argument);
}
