#include "sim/estimate.h"

#include <cmath>

#include <boost/math/distributions/students_t.hpp>

namespace capstan::sim {

double student_t_critical(int samples, double level) {
  if (samples < 2) return 0.0;
  boost::math::students_t dist(samples - 1);
  return boost::math::quantile(dist, 0.5 + level / 2.0);
}

Estimate estimate(std::span<const double> samples, double level) {
  Estimate e;
  e.n = static_cast<int>(samples.size());
  if (e.n == 0) return e;
  // Accumulated in index order so the result does not depend on who ran what.
  double sum = 0.0;
  for (double x : samples) sum += x;
  e.mean = sum / e.n;
  if (e.n > 1) {
    double ss = 0.0;
    for (double x : samples) ss += (x - e.mean) * (x - e.mean);
    e.stddev = std::sqrt(ss / (e.n - 1));
    e.half_width = student_t_critical(e.n, level) * e.stddev / std::sqrt(static_cast<double>(e.n));
  }
  e.low = e.mean - e.half_width;
  e.high = e.mean + e.half_width;
  return e;
}

}  // namespace capstan::sim
