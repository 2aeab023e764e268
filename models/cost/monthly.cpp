#include "models/cost/monthly.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace capstan::cost {

namespace {

constexpr double kDaysPerMonth = kMonthHours / 24.0;

}  // namespace

double day_user_hours(const scenario::Scenario& s) {
  double sum = 0.0;
  for (double x : s.workload.diurnal) sum += x;
  return s.workload.peak_users * sum;
}

double staffed_review_usd(const scenario::Scenario& s, double from_s, double to_s) {
  double usd = 0.0;
  for (const auto& c : s.classes) {
    if (!c.review.enabled) continue;
    // The staff changes on the schedule's hours: step from one hour boundary to the next.
    const double offset_s = std::fmod((s.simulation.start_hour_utc + c.review.utc_offset_h) * 3600.0 + 48.0 * 3600.0, 3600.0);
    for (double t = from_s; t < to_s;) {
      const double next = std::min(to_s, std::floor((t + offset_s) / 3600.0 + 1.0 + 1e-12) * 3600.0 - offset_s);
      const double end = next > t ? next : to_s;
      usd += c.review.staff_at(s.simulation.start_hour_utc, t) * s.cost.reviewer_usd_per_hour * (end - t) / 3600.0;
      t = end;
    }
  }
  return usd;
}

void add_monthly_figures(world::Figures& f, const scenario::Scenario& s, const MonthInputs& in) {
  std::array<double, kCategories> month{};
  const double window_h = std::max(in.window_h, 1e-12);
  const double month_user_hours = day_user_hours(s) * kDaysPerMonth;
  // The day's mean concurrent users over the window's: how much busier (or quieter) a metric autoscaler's month is.
  const double load_ratio = in.user_hours > 0.0 ? (day_user_hours(s) / 24.0) / (in.user_hours / window_h) : 1.0;
  std::size_t i = 0;
  std::array<double, kCategories> pools_window{};
  for (const auto& site : s.sites) {
    for (const auto& pool : site.pools) {
      const auto& usd = in.pool_usd[i++];
      for (std::size_t c = 0; c < kCategories; ++c) pools_window[c] += usd[c];
      const auto basis = static_cast<std::size_t>(gpu_category(pool.basis));
      const auto& a = pool.autoscale;
      if (pool.committed()) {
        month[basis] += pool.most_nodes() * pool.usd_per_node_hour * kMonthHours;
      } else if (!a.schedule_gpus.empty()) {
        double node_hours = 0.0;
        for (int g : a.schedule_gpus) node_hours += g / pool.gpus_per_node;
        month[basis] += node_hours * pool.usd_per_node_hour * kDaysPerMonth;
      } else if (a.enabled) {
        double window = 0.0;
        for (double x : usd) window += x;
        const double low = a.min_gpus / pool.gpus_per_node * pool.usd_per_node_hour * kMonthHours;
        const double high = a.max_gpus / pool.gpus_per_node * pool.on_demand_usd_per_node_hour * kMonthHours;
        const double projected = window / window_h * load_ratio * kMonthHours;
        const double scale = window > 0.0 ? std::clamp(projected, low, std::max(low, high)) / (window / window_h * kMonthHours) : 0.0;
        for (std::size_t c = 0; c < kCategories; ++c) month[c] += usd[c] / window_h * kMonthHours * scale;
      } else {
        for (std::size_t c = 0; c < kCategories; ++c) month[c] += usd[c] / window_h * kMonthHours;
      }
    }
  }
  // What follows requests: the window's cost per user-hour, over the month's user-hours.
  const double per_user_hour = in.user_hours > 0.0 ? month_user_hours / in.user_hours : 0.0;
  for (Category c : {Category::kHostedApi, Category::kNetworkEgress}) {
    month[static_cast<std::size_t>(c)] += in.totals[static_cast<std::size_t>(c)] * per_user_hour;
  }
  const auto human = static_cast<std::size_t>(Category::kHumanModeration);
  double staffed_day = 0.0;
  for (const auto& c : s.classes) {
    if (!c.review.enabled) continue;
    const auto& r = c.review.reviewers;  // one value all day, or 24 by local hour
    staffed_day += r.size() == 1 ? 24.0 * r.front() : std::accumulate(r.begin(), r.end(), 0.0);
  }
  month[human] += staffed_day * s.cost.reviewer_usd_per_hour * kDaysPerMonth +
                  std::max(0.0, in.totals[human] - in.staffed_usd) * per_user_hour;
  double total = 0.0;
  for (std::size_t c = 0; c < kCategories; ++c) {
    total += month[c];
    f.add(std::string("/cost/monthly/breakdown_usd/") + category_name(static_cast<Category>(c)), month[c]);
  }
  f.add("/cost/monthly/total_usd", total);
  f.add("/cost/monthly/user_hours", month_user_hours);
  if (s.workload.monthly_active_users_per_peak > 0.0) {
    const double mau = s.workload.monthly_active_users_per_peak * s.workload.peak_users;
    f.add("/cost/monthly/per_1000_mau_usd", total / mau * 1000.0);
  }
}

}  // namespace capstan::cost
