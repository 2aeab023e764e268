// The engine against queueing theory: M/M/1, M/M/c and M/D/1 stations,
// compared with closed forms through confidence intervals over independent
// replications.
//
// Each check is two-sided in what it demands:
//   - the closed form lies inside the 99.9% Student-t interval of the
//     replications (a correct simulator fails this about once in a thousand
//     checks; the seed is fixed, so a pass stays a pass);
//   - the 95% half-width is below kMaxRelativeHalfWidth of the value, so the
//     interval is narrow enough that a biased simulator would miss.
// Horizons were chosen from the relaxation times of the queues (about
// 1 / (mu (1 - sqrt(rho))^2), 18 s for M/M/1 at rho = 0.8) so that the
// precision target holds; the warm-up is many relaxation times long.
#include <cstdint>
#include <functional>
#include <vector>

#include <catch2/catch.hpp>

#include "models/queueing/closed_form.h"
#include "models/queueing/station.h"
#include "sim/estimate.h"
#include "sim/replication.h"

namespace sim = capstan::sim;
namespace q = capstan::queueing;

namespace {

constexpr std::uint64_t kSeed = 20240611;
constexpr int kReplications = 20;
constexpr double kMaxRelativeHalfWidth = 0.03;
constexpr double kRho = 0.8;

std::vector<q::StationFigures> replicate(const q::StationConfig& config, sim::Time warmup, sim::Time horizon,
                                         int replications = kReplications, int threads = 0,
                                         std::uint64_t seed = kSeed) {
  return sim::run_replications<q::StationFigures>(replications, threads, [&](int r) {
    return q::simulate_station(config, seed, r, warmup, horizon);
  });
}

std::vector<double> column(const std::vector<q::StationFigures>& figures,
                           const std::function<double(const q::StationFigures&)>& pick) {
  std::vector<double> out;
  out.reserve(figures.size());
  for (const auto& f : figures) out.push_back(pick(f));
  return out;
}

// The closed form inside the 99.9% interval, and a 95% interval narrow enough to matter.
void check_matches(const char* what, const std::vector<double>& samples, double expected) {
  const sim::Estimate wide = sim::estimate(samples, 0.999);
  const sim::Estimate e95 = sim::estimate(samples, 0.95);
  INFO(what << ": closed form " << expected << ", simulated " << wide.mean << " [" << wide.low << ", " << wide.high
            << "] at 99.9%, 95% half-width " << e95.half_width / expected * 100 << "%");
  CHECK(wide.low <= expected);
  CHECK(expected <= wide.high);
  CHECK(e95.half_width < kMaxRelativeHalfWidth * expected);
}

// Little's law L = X W, with X and W measured, not taken from the inputs. L
// and X W differ by edge effects of order 1 / horizon, far inside the
// interval of L, which is the precision the test resolves L to.
void check_little(const std::vector<q::StationFigures>& figures) {
  const auto in_system = column(figures, [](const auto& f) { return f.mean_in_system; });
  const auto product = column(figures, [](const auto& f) { return f.throughput_per_s * f.mean_sojourn_s; });
  const sim::Estimate l = sim::estimate(in_system, 0.999);
  const double little = sim::estimate(product).mean;
  INFO("Little: L = " << l.mean << " [" << l.low << ", " << l.high << "], X W = " << little);
  CHECK(l.low <= little);
  CHECK(little <= l.high);
}

void check_station(const q::StationConfig& config, sim::Time warmup, sim::Time horizon, double expected_wait_s,
                   double expected_in_system, double expected_probability_wait) {
  const auto figures = replicate(config, warmup, horizon);
  check_matches("mean wait", column(figures, [](const auto& f) { return f.mean_wait_s; }), expected_wait_s);
  check_matches("mean in system", column(figures, [](const auto& f) { return f.mean_in_system; }),
                expected_in_system);
  if (expected_probability_wait > 0) {
    check_matches("probability of waiting", column(figures, [](const auto& f) { return f.probability_wait; }),
                  expected_probability_wait);
  }
  // Completions per second must match the offered rate: nothing lost or invented.
  check_matches("throughput", column(figures, [](const auto& f) { return f.throughput_per_s; }),
                config.arrival_rate_per_s);
  check_little(figures);
}

q::StationConfig mm(int servers) {
  q::StationConfig c;
  c.servers = servers;
  c.mean_service_s = 1.0;
  c.arrival_rate_per_s = kRho * servers / c.mean_service_s;
  c.service = q::StationConfig::Service::kExponential;
  return c;
}

}  // namespace

TEST_CASE("M/M/1 matches the closed form", "[validation][queueing]") {
  const auto config = mm(1);
  // rho / (mu - lambda) and rho / (1 - rho), written out rather than taken
  // from mmc(), so Erlang C is checked too.
  const double wait_s = kRho / (1.0 - kRho);
  const double in_system = kRho / (1.0 - kRho);
  check_station(config, 1'000 * sim::kSecond, 200'000 * sim::kSecond, wait_s, in_system, kRho);
  const auto cf = q::mmc(config.arrival_rate_per_s, config.mean_service_s, 1);
  CHECK(cf.mean_wait_s == Approx(wait_s));
  CHECK(cf.mean_in_system == Approx(in_system));
}

TEST_CASE("M/M/c matches Erlang C", "[validation][queueing]") {
  // Larger stations relax faster and move more customers per second, so
  // shorter horizons reach the precision target; at c = 32 few customers
  // wait, and the mean wait needs the longer run to stay well inside it.
  struct Case {
    int servers;
    sim::Time horizon;
  };
  const Case which = GENERATE(Case{2, 100'000 * sim::kSecond}, Case{8, 50'000 * sim::kSecond},
                              Case{32, 40'000 * sim::kSecond});
  INFO("c = " << which.servers);
  const auto config = mm(which.servers);
  const auto cf = q::mmc(config.arrival_rate_per_s, config.mean_service_s, which.servers);
  check_station(config, 1'000 * sim::kSecond, which.horizon, cf.mean_wait_s, cf.mean_in_system,
                cf.probability_wait);
}

TEST_CASE("M/D/1 matches Pollaczek-Khinchine", "[validation][queueing]") {
  q::StationConfig config;
  config.servers = 1;
  config.mean_service_s = 1.0;
  config.arrival_rate_per_s = kRho;
  config.service = q::StationConfig::Service::kDeterministic;
  const double s = config.mean_service_s;
  const double wait_s = q::mg1_mean_wait_s(config.arrival_rate_per_s, s, s * s);
  CHECK(wait_s == Approx(kRho * s / (2 * (1 - kRho))));  // half the M/M/1 wait
  // M/G/1 has no closed form for P(wait) beyond rho itself: an arrival waits
  // iff the server is busy (PASTA).
  check_station(config, 1'000 * sim::kSecond, 100'000 * sim::kSecond, wait_s,
                config.arrival_rate_per_s * (wait_s + s), kRho);
}

TEST_CASE("replication results do not depend on the thread count", "[validation][queueing]") {
  const auto config = mm(2);
  const sim::Time warmup = 100 * sim::kSecond, horizon = 5'000 * sim::kSecond;
  const int reps = 9;  // not a multiple of the thread counts
  const auto one = replicate(config, warmup, horizon, reps, 1);
  const auto same = [](const q::StationFigures& a, const q::StationFigures& b) {
    return a.mean_wait_s == b.mean_wait_s && a.mean_sojourn_s == b.mean_sojourn_s &&
           a.mean_in_system == b.mean_in_system && a.probability_wait == b.probability_wait &&
           a.throughput_per_s == b.throughput_per_s && a.wait_p95_s == b.wait_p95_s && a.completed == b.completed;
  };
  for (int threads : {2, 8}) {
    const auto many = replicate(config, warmup, horizon, reps, threads);
    REQUIRE(many.size() == one.size());
    for (std::size_t r = 0; r < one.size(); ++r) {
      INFO(threads << " threads, replication " << r);
      CHECK(same(one[r], many[r]));
    }
    const auto waits_one = column(one, [](const auto& f) { return f.mean_wait_s; });
    const auto waits_many = column(many, [](const auto& f) { return f.mean_wait_s; });
    CHECK(sim::estimate(waits_one).mean == sim::estimate(waits_many).mean);
    CHECK(sim::estimate(waits_one).half_width == sim::estimate(waits_many).half_width);
  }
  // The comparison can fail: replications and seeds do change the figures.
  CHECK_FALSE(same(one[0], one[1]));
  CHECK_FALSE(same(one[0], replicate(config, warmup, horizon, 1, 1, kSeed + 1)[0]));
}
