#pragma once
// The concurrent-user curve of one origin and the session arrival rate that
// keeps users on it.
//
// users(t) = peak_users * share * diurnal(local hour), with the 24 hourly
// fractions joined linearly. If sessions last D on average, holding users on
// the curve takes arrivals at rate users'(t) + users(t) / E[D] (the
// M/G/infinity balance; exact for exponential sessions, and close whenever the
// curve changes slowly against E[D]).
#include <cstddef>

#include "models/scenario/scenario.h"

namespace capstan::workload {

class UserCurve {
 public:
  UserCurve(const scenario::Workload& workload, std::size_t origin, double start_hour_utc);

  double users(double t_s) const;            // expected concurrent users at t (seconds into the run)
  double arrivals_per_s(double t_s) const;   // session arrival rate at t
  double max_arrivals_per_s() const { return max_rate_; }

 private:
  double local_hour(double t_s) const;
  const scenario::Workload* workload_;
  double peak_ = 0.0;
  double start_local_hour_ = 0.0;
  double mean_session_s_ = 0.0;
  double max_rate_ = 0.0;
};

}  // namespace capstan::workload
