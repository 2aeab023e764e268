#pragma once
// Closed forms of classic queues, the references the simulator is validated
// against. Rates per second, times in seconds.
//   M/M/c: Erlang C (Kleinrock, Queueing Systems vol. 1, sec. 3.5).
//   M/G/1: Pollaczek-Khinchine mean wait (ibid., sec. 5.6).
//   LRU cache under independent requests: Che's approximation (Che, Tung and
//   Wang, IEEE JSAC 2002; its accuracy: Fricker, Robert and Roberts, ITC 2012).
#include <vector>

namespace capstan::queueing {

struct MmcFigures {
  double utilisation = 0.0;     // rho = lambda / (c mu)
  double probability_wait = 0.0;// Erlang C
  double mean_wait_s = 0.0;     // Wq
  double mean_sojourn_s = 0.0;  // W = Wq + 1/mu
  double mean_in_system = 0.0;  // L = lambda W
};

// Requires lambda < c mu. Computed with the Erlang B recursion, which stays
// accurate for hundreds of servers.
MmcFigures mmc(double arrival_rate_per_s, double mean_service_s, int servers);

// Mean wait in M/G/1 given the service time's mean and second moment.
double mg1_mean_wait_s(double arrival_rate_per_s, double mean_service_s, double service_second_moment_s2);

// Hit ratio of an LRU cache of `capacity` entries when each request is item i
// with probability popularity[i] (summing to 1), independently: the
// characteristic time t_C solves sum_i (1 - exp(-p_i t_C)) = C, and the hit
// ratio is sum_i p_i (1 - exp(-p_i t_C)). Requires capacity < items.
double che_lru_hit_ratio(const std::vector<double>& popularity, double capacity);

}  // namespace capstan::queueing
