#include "models/workload/diurnal.h"

#include <algorithm>
#include <cmath>

namespace capstan::workload {

UserCurve::UserCurve(const scenario::Workload& workload, std::size_t origin, double start_hour_utc)
    : workload_(&workload),
      peak_(workload.peak_users * workload.origins[origin].share),
      start_local_hour_(start_hour_utc + workload.origins[origin].utc_offset_h),
      mean_session_s_(60.0 * workload.session_minutes.expected()) {
  // The rate bound: each hour's segment is linear, so its rate peaks at an end.
  const auto& d = workload.diurnal;
  for (std::size_t h = 0; h < d.size(); ++h) {
    const double slope_per_s = peak_ * (d[(h + 1) % d.size()] - d[h]) / 3600.0;
    const double level = peak_ * std::max(d[h], d[(h + 1) % d.size()]);
    max_rate_ = std::max(max_rate_, std::max(0.0, slope_per_s) + level / mean_session_s_);
  }
}

double UserCurve::local_hour(double t_s) const {
  const double h = std::fmod(start_local_hour_ + t_s / 3600.0, 24.0);
  return h < 0 ? h + 24.0 : h;
}

double UserCurve::users(double t_s) const {
  const auto& d = workload_->diurnal;
  const double h = local_hour(t_s);
  const auto i = static_cast<std::size_t>(h) % d.size();
  const double f = h - std::floor(h);
  return peak_ * (d[i] + (d[(i + 1) % d.size()] - d[i]) * f);
}

double UserCurve::arrivals_per_s(double t_s) const {
  const auto& d = workload_->diurnal;
  const auto i = static_cast<std::size_t>(local_hour(t_s)) % d.size();
  const double slope_per_s = peak_ * (d[(i + 1) % d.size()] - d[i]) / 3600.0;
  return std::max(0.0, slope_per_s + users(t_s) / mean_session_s_);
}

}  // namespace capstan::workload
