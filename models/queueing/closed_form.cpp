#include "models/queueing/closed_form.h"

#include <cmath>

#include <stdexcept>

namespace capstan::queueing {

MmcFigures mmc(double arrival_rate_per_s, double mean_service_s, int servers) {
  const double a = arrival_rate_per_s * mean_service_s;  // offered load in Erlangs
  MmcFigures f;
  f.utilisation = a / servers;
  if (!(f.utilisation < 1.0) || servers < 1) throw std::invalid_argument("mmc: unstable queue (rho >= 1)");
  double erlang_b = 1.0;
  for (int k = 1; k <= servers; ++k) erlang_b = a * erlang_b / (k + a * erlang_b);
  f.probability_wait = erlang_b / (1.0 - f.utilisation * (1.0 - erlang_b));
  f.mean_wait_s = f.probability_wait * mean_service_s / (servers - a);
  f.mean_sojourn_s = f.mean_wait_s + mean_service_s;
  f.mean_in_system = arrival_rate_per_s * f.mean_sojourn_s;
  return f;
}

double mg1_mean_wait_s(double arrival_rate_per_s, double mean_service_s, double service_second_moment_s2) {
  const double rho = arrival_rate_per_s * mean_service_s;
  if (!(rho < 1.0)) throw std::invalid_argument("mg1: unstable queue (rho >= 1)");
  return arrival_rate_per_s * service_second_moment_s2 / (2.0 * (1.0 - rho));
}

double che_lru_hit_ratio(const std::vector<double>& popularity, double capacity) {
  const auto occupancy = [&](double t) {
    double n = 0.0;
    for (double p : popularity) n += 1.0 - std::exp(-p * t);
    return n;
  };
  double lo = 0.0, hi = 1.0;
  while (occupancy(hi) < capacity) hi *= 2.0;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (occupancy(mid) < capacity ? lo : hi) = mid;
  }
  const double t = 0.5 * (lo + hi);
  double hit = 0.0;
  for (double p : popularity) hit += p * (1.0 - std::exp(-p * t));
  return hit;
}

}  // namespace capstan::queueing
