#pragma once
// Point estimates with Student-t confidence intervals over independent
// replications.
#include <span>

namespace capstan::sim {

struct Estimate {
  double mean = 0.0;
  double stddev = 0.0;       // sample standard deviation (n - 1)
  double half_width = 0.0;   // of the confidence interval; 0 with fewer than 2 samples
  double low = 0.0;
  double high = 0.0;
  int n = 0;
};

// Two-sided Student-t quantile: t such that P(|T| <= t) = level, n - 1 dof.
double student_t_critical(int samples, double level);

// Mean and the `level` (default 95%) confidence interval of the samples.
Estimate estimate(std::span<const double> samples, double level = 0.95);

}  // namespace capstan::sim
