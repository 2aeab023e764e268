// The regression check's statistics against reference values (SciPy's
// ttest_ind with equal_var=False and ttest_rel give the p-values below), and
// Holm's step-down on a worked example.
#include <catch2/catch.hpp>

#include <vector>

#include "models/regress/regress.h"

using namespace capstan::regress;

TEST_CASE("Welch's and the paired t test match reference p-values", "[regress]") {
  // scipy.stats.ttest_ind([1,2,3,4,5], [2,4,6,8,10], equal_var=False): t = -1.8974, p = 0.107531
  CHECK(welch_p_value({1, 2, 3, 4, 5}, {2, 4, 6, 8, 10}) == Approx(0.10753119493062718).epsilon(1e-9));
  // scipy.stats.ttest_rel([1.0, 2.1, 2.9, 4.2], [1.5, 2.4, 3.6, 4.4]): t = -3.8334, p = 0.031289
  CHECK(paired_p_value({1.0, 2.1, 2.9, 4.2}, {1.5, 2.4, 3.6, 4.4}) == Approx(0.03128863637076731).epsilon(1e-9));
  // No spread: a difference is certain, none is none.
  CHECK(paired_p_value({1, 2, 3}, {2, 3, 4}) == 0.0);
  CHECK(paired_p_value({1, 2, 3}, {1, 2, 3}) == 1.0);
  CHECK(welch_p_value({5, 5, 5}, {5, 5, 5}) == 1.0);
  CHECK(welch_p_value({5, 5, 5}, {6, 6, 6}) == 0.0);
  CHECK(welch_p_value({5}, {5.5}) == 0.0);  // one replication each: any difference counts
}

TEST_CASE("Holm's step-down rejects in order while p <= level / (m - k)", "[regress]") {
  // m = 4 at 0.05: thresholds 0.0125, 0.0167, 0.025, 0.05 for the sorted p-values.
  CHECK(holm({0.01, 0.04, 0.03, 0.005}, 0.05) == std::vector<bool>{true, false, false, true});
  CHECK(holm({0.01, 0.016, 0.024, 0.049}, 0.05) == std::vector<bool>{true, true, true, true});
  CHECK(holm({0.02, 0.001}, 0.05) == std::vector<bool>{true, true});
  CHECK(holm({0.3, 0.2}, 0.05) == std::vector<bool>{false, false});
}

TEST_CASE("the guarded figures", "[regress]") {
  CHECK(guarded("/cost/total_usd") == Kind::kCost);
  CHECK(guarded("/cost/breakdown_usd/gpu_spot") == Kind::kCost);
  CHECK(guarded("/classes/dialogue/slo/attainment") == Kind::kAttainment);
  CHECK(guarded("/classes/dialogue/latency_ms/ttft/p95") == Kind::kLatency);
  CHECK(guarded("/classes/a~1b/slo/percentile_ms") == Kind::kLatency);  // an escaped name
  CHECK_FALSE(guarded("/classes/dialogue/latency_ms/ttft/mean"));
  CHECK_FALSE(guarded("/sites/edge/gpu_utilization"));
  CHECK_FALSE(guarded("/cost/breakdown_usd"));
}
