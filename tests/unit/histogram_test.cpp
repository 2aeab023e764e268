// Statistics: histogram quantiles, gauges, time series and the t interval.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <boost/random/lognormal_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_01.hpp>
#include <catch2/catch.hpp>

#include "sim/estimate.h"
#include "sim/gauge.h"
#include "sim/histogram.h"
#include "sim/timeseries.h"

namespace sim = capstan::sim;

namespace {

std::vector<double> lognormal_samples(std::size_t n, std::uint64_t seed) {
  boost::random::mt19937_64 rng(seed);
  // Latency-like: median 0.2 s, a long right tail.
  boost::random::lognormal_distribution<double> dist(std::log(0.2), 1.0);
  std::vector<double> xs(n);
  for (auto& x : xs) x = dist(rng);
  return xs;
}

std::vector<double> pareto_samples(std::size_t n, std::uint64_t seed) {
  boost::random::mt19937_64 rng(seed);
  boost::random::uniform_01<double> u;
  // Shape 1.2: finite mean, infinite variance, so the top quantiles spread
  // over several decades.
  const double scale = 1e-3, shape = 1.2;
  std::vector<double> xs(n);
  for (auto& x : xs) x = scale * std::pow(1.0 - u(rng), -1.0 / shape);
  return xs;
}

double exact_quantile(const std::vector<double>& sorted, double q) {
  return sorted[static_cast<std::size_t>(std::floor(q * static_cast<double>(sorted.size() - 1)))];
}

void check_quantiles(const std::vector<double>& xs) {
  sim::Histogram h;
  for (double x : xs) h.record(x);
  std::vector<double> sorted = xs;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(h.count() == xs.size());
  CHECK(h.min() == sorted.front());
  CHECK(h.max() == sorted.back());
  for (double q : {0.0, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    const double exact = exact_quantile(sorted, q);
    const double rel = std::abs(h.quantile(q) - exact) / exact;
    INFO("q = " << q << ", exact " << exact << ", estimate " << h.quantile(q));
    CHECK(rel <= 0.01);                               // what the report promises
    CHECK(rel <= h.relative_error() * (1 + 1e-9));  // what the header promises
  }
}

}  // namespace

TEST_CASE("histogram quantiles are within the relative error of the exact ones", "[histogram]") {
  SECTION("lognormal") { check_quantiles(lognormal_samples(200'000, 11)); }
  SECTION("pareto") { check_quantiles(pareto_samples(200'000, 12)); }
}

TEST_CASE("fraction_at_or_below matches the empirical distribution to bucket resolution", "[histogram]") {
  const auto xs = lognormal_samples(100'000, 13);
  sim::Histogram h;
  for (double x : xs) h.record(x);
  std::vector<double> sorted = xs;
  std::sort(sorted.begin(), sorted.end());
  const auto ecdf = [&](double t) {
    return static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), t) - sorted.begin()) /
           static_cast<double>(sorted.size());
  };
  // A bucket spans a factor g = (1 + a) / (1 - a); a threshold's bucket can
  // only blur values within that factor of it.
  const double a = h.relative_error(), g = (1 + a) / (1 - a);
  for (double t : {0.01, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0}) {
    const double f = h.fraction_at_or_below(t);
    INFO("threshold " << t);
    CHECK(f >= ecdf(t / g));
    CHECK(f <= ecdf(t * g));
  }
  CHECK(h.fraction_at_or_below(1e12) == 1.0);
  CHECK(h.fraction_at_or_below(0.0) == 0.0);
}

TEST_CASE("fraction_at_or_below on integers separated by more than a bucket", "[histogram]") {
  sim::Histogram h;
  for (int i = 1; i <= 100; ++i) h.record(i);
  CHECK(h.fraction_at_or_below(50) == 0.5);
  CHECK(h.fraction_at_or_below(99) == 0.99);
  CHECK(h.fraction_at_or_below(100) == 1.0);
  CHECK(h.fraction_at_or_below(0.5) == 0.0);
  h.record(0.0);
  h.record(-3.0);  // non-positive values count below every positive threshold
  CHECK(h.fraction_at_or_below(0.0) == Approx(2.0 / 102));
  CHECK(h.quantile(0.0) == 0.0);
  CHECK(h.min() == -3.0);
}

TEST_CASE("merging histograms equals the histogram of the union", "[histogram]") {
  const auto xs = pareto_samples(60'000, 14);
  sim::Histogram whole, a, b, c;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    whole.record(xs[i]);
    (i % 3 == 0 ? a : i % 3 == 1 ? b : c).record(xs[i]);
  }
  sim::Histogram abc;
  abc.merge(a);
  abc.merge(b);
  abc.merge(c);
  sim::Histogram cba = c;
  cba.merge(b);
  cba.merge(a);
  for (const sim::Histogram* m : {&abc, &cba}) {
    CHECK(m->count() == whole.count());
    CHECK(m->min() == whole.min());
    CHECK(m->max() == whole.max());
    CHECK(m->sum() == Approx(whole.sum()).epsilon(1e-12));
    for (double q = 0.0; q <= 1.0; q += 0.01) CHECK(m->quantile(q) == whole.quantile(q));
    for (double t : {1e-3, 2e-3, 1e-2, 1.0}) CHECK(m->fraction_at_or_below(t) == whole.fraction_at_or_below(t));
  }
  sim::Histogram other_params(0.01);
  CHECK_THROWS(abc.merge(other_params));
}

TEST_CASE("an empty histogram", "[histogram]") {
  sim::Histogram h;
  CHECK(h.count() == 0);
  CHECK(h.mean() == 0.0);
  CHECK(h.min() == 0.0);
  CHECK(h.max() == 0.0);
  CHECK(h.quantile(0.5) == 0.0);
  CHECK(h.quantile(0.99) == 0.0);
  CHECK(h.fraction_at_or_below(1.0) == 1.0);  // vacuously every value meets the threshold

  sim::Histogram filled;
  filled.record(3.0);
  filled.record(5.0);
  filled.merge(h);  // merging nothing changes nothing
  CHECK(filled.count() == 2);
  CHECK(filled.min() == 3.0);
  CHECK(filled.max() == 5.0);
  h.merge(filled);  // merging into an empty one adopts the extremes
  CHECK(h.min() == 3.0);
  CHECK(h.max() == 5.0);
  CHECK(h.mean() == 4.0);

  h.reset();
  CHECK(h.count() == 0);
  CHECK(h.quantile(0.5) == 0.0);
  h.record(7.0);  // the extremes restart after a reset
  CHECK(h.min() == 7.0);
  CHECK(h.max() == 7.0);
}

TEST_CASE("time-weighted gauge", "[gauge]") {
  sim::TimeWeightedGauge g;
  g.set(1 * sim::kSecond, 2.0);
  g.set(3 * sim::kSecond, 5.0);
  // 0 for 1 s, 2 for 2 s, 5 for 1 s.
  CHECK(g.integral(4 * sim::kSecond) == Approx(9.0));
  CHECK(g.mean(4 * sim::kSecond) == Approx(9.0 / 4));
  CHECK(g.peak() == 5.0);
  g.add(4 * sim::kSecond, -4.0);
  CHECK(g.level() == 1.0);
  CHECK(g.mean(6 * sim::kSecond) == Approx(11.0 / 6));

  g.reset(6 * sim::kSecond);
  CHECK(g.mean(6 * sim::kSecond) == 1.0);  // an empty window reads the current level
  CHECK(g.peak() == 1.0);                  // the warm-up peak is forgotten
  g.set(8 * sim::kSecond, 3.0);
  CHECK(g.mean(10 * sim::kSecond) == Approx((1.0 * 2 + 3.0 * 2) / 4));
  CHECK(g.peak() == 3.0);
}

TEST_CASE("time series columns", "[timeseries]") {
  const sim::Time minute = sim::kMinute;
  sim::TimeSeries ts(minute, 150 * sim::kSecond);  // a partial last interval still counts
  REQUIRE(ts.intervals() == 3);
  const auto sum = ts.add_column("tokens", sim::TimeSeries::Kind::kSum);
  const auto mean = ts.add_column("latency_s", sim::TimeSeries::Kind::kSampleMean);
  const auto level = ts.add_column("busy_gpus", sim::TimeSeries::Kind::kTimeMean);
  CHECK(ts.columns() == std::vector<std::string>{"tokens", "latency_s", "busy_gpus"});

  ts.record(sum, 10 * sim::kSecond, 2.0);
  ts.record(sum, 59 * sim::kSecond, 3.0);
  ts.record(sum, 60 * sim::kSecond, 4.0);  // an interval is [start, end)
  ts.record(sum, 1000 * sim::kSecond, 100.0);  // past the horizon: dropped
  ts.record(sum, -1, 100.0);
  ts.record(mean, 5 * sim::kSecond, 1.0);
  ts.record(mean, 6 * sim::kSecond, 3.0);
  ts.record_span(level, 30 * sim::kSecond, 90 * sim::kSecond, 2.0);
  ts.record_span(level, 90 * sim::kSecond, 120 * sim::kSecond, 4.0);
  ts.record_span(level, 120 * sim::kSecond, 150 * sim::kSecond, 3.0);

  CHECK(ts.value(sum, 0) == 5.0);
  CHECK(ts.value(sum, 1) == 4.0);
  CHECK(ts.value(sum, 2) == 0.0);
  CHECK(ts.value(mean, 0) == 2.0);
  CHECK(std::isnan(ts.value(mean, 1)));  // no sample: missing, not 0
  CHECK(ts.value(level, 0) == Approx(1.0));        // 2 over half the minute
  CHECK(ts.value(level, 1) == Approx(1.0 + 2.0));  // 2 then 4, each half the minute
  CHECK(ts.value(level, 2) == Approx(3.0));  // the run ended at 150 s: nothing after it held 0

  CHECK_THROWS(sim::TimeSeries(0, minute));
  CHECK_THROWS(sim::TimeSeries(minute, 0));
}

TEST_CASE("merged time series add replications and pool sample means", "[timeseries]") {
  const auto make = [](double tokens, std::vector<double> latencies, double busy) {
    sim::TimeSeries ts(sim::kMinute, sim::kMinute);
    const auto sum = ts.add_column("tokens", sim::TimeSeries::Kind::kSum);
    const auto mean = ts.add_column("latency_s", sim::TimeSeries::Kind::kSampleMean);
    const auto level = ts.add_column("busy_gpus", sim::TimeSeries::Kind::kTimeMean);
    ts.record(sum, 0, tokens);
    for (double l : latencies) ts.record(mean, 0, l);
    ts.record_span(level, 0, sim::kMinute, busy);
    return ts;
  };
  sim::TimeSeries a = make(10.0, {1.0}, 2.0);
  const sim::TimeSeries b = make(30.0, {3.0, 5.0}, 6.0);
  a.merge(b);
  CHECK(a.value(0, 0) == 40.0);  // tokens over both replications
  CHECK(a.value(1, 0) == 3.0);   // latency pooled over all samples, not the mean of means 2.5
  CHECK(a.value(2, 0) == Approx(8.0));
  CHECK(a.replications() == 2);
  CHECK(a.value(2, 0) / a.replications() == Approx(4.0));  // busy GPUs per replication

  sim::TimeSeries other(sim::kMinute, 2 * sim::kMinute);
  CHECK_THROWS(a.merge(other));
}

TEST_CASE("estimate gives the Student-t interval", "[estimate]") {
  const std::vector<double> xs = {1.0, 2.0, 3.0, 4.0, 5.0};
  const double t = 2.7764451051977987;  // t_{0.975, 4}
  CHECK(sim::student_t_critical(5, 0.95) == Approx(t).epsilon(1e-12));
  const sim::Estimate e = sim::estimate(xs);
  CHECK(e.n == 5);
  CHECK(e.mean == 3.0);
  CHECK(e.stddev == Approx(std::sqrt(2.5)).epsilon(1e-14));
  const double half = t * std::sqrt(2.5) / std::sqrt(5.0);
  CHECK(e.half_width == Approx(half).epsilon(1e-12));
  CHECK(e.low == Approx(3.0 - half).epsilon(1e-12));
  CHECK(e.high == Approx(3.0 + half).epsilon(1e-12));
  // A wider level widens the interval.
  CHECK(sim::estimate(xs, 0.999).half_width > e.half_width);

  const std::vector<double> one = {4.0};
  const sim::Estimate single = sim::estimate(one);
  CHECK(single.n == 1);
  CHECK(single.mean == 4.0);
  CHECK(single.half_width == 0.0);
  CHECK(sim::estimate(std::vector<double>{}).n == 0);
}

TEST_CASE("a quantile moves within its bucket as the ranks do", "[histogram]") {
  // Two samples of one narrow law (1% wide: two or three buckets): their p95
  // usually share a bucket, yet the estimates differ as the exact ones do,
  // each within the relative error.
  boost::random::mt19937_64 rng(21);
  boost::random::uniform_01<double> u;
  std::vector<double> estimates;
  for (int sample = 0; sample < 8; ++sample) {
    sim::Histogram h;
    std::vector<double> xs(2000);
    for (auto& x : xs) x = 0.100 * (1.0 + 0.01 * u(rng));
    for (double x : xs) h.record(x);
    std::sort(xs.begin(), xs.end());
    const double exact = exact_quantile(xs, 0.95);
    CHECK(std::abs(h.quantile(0.95) - exact) / exact <= h.relative_error());
    estimates.push_back(h.quantile(0.95));
  }
  std::sort(estimates.begin(), estimates.end());
  CHECK(std::adjacent_find(estimates.begin(), estimates.end()) == estimates.end());  // all distinct

  // Equal values give that value exactly, at every quantile.
  sim::Histogram same;
  for (int i = 0; i < 100; ++i) same.record(0.0345);
  for (double q : {0.0, 0.5, 0.95, 1.0}) CHECK(same.quantile(q) == 0.0345);
  // Values beyond the range share the end buckets, bounded by the extremes.
  sim::Histogram wide(0.01, 1.0, 10.0);
  for (double x : {0.01, 0.02, 50.0, 90.0}) wide.record(x);
  CHECK(wide.quantile(0.0) == 0.01);
  CHECK(wide.quantile(1.0) == 90.0);
  CHECK(wide.quantile(0.34) > 0.01);  // rank 1: 0.02, somewhere in the lowest bucket
  CHECK(wide.quantile(0.34) < 1.0);
}
