#pragma once
// A month of the fleet's bill, projected from one replication's measured
// window at the scenario's diurnal curve (docs/fleet.md, "A month"):
//   - a reserved or owned pool: its largest size for the whole month;
//   - a pool on an hourly schedule: its nodes hour by hour;
//   - a pool autoscaled on a metric: its window's bill per hour scaled by the
//     day's mean concurrent users over the window's, within the cost of its
//     autoscale bounds;
//   - any other pool: its window's bill per hour, all month;
//   - reviewers on a staffing schedule: their hours, all month;
//   - what follows requests (hosted-API tokens, egress, moderation charged
//     per item): the window's cost per user-hour times the month's user-hours.
// A month is 730 hours (8,760 / 12), as the clouds bill monthly estimates.
#include <array>
#include <vector>

#include "models/cost/ledger.h"
#include "models/scenario/scenario.h"
#include "models/world/figures.h"

namespace capstan::cost {

inline constexpr double kMonthHours = 730.0;

struct MonthInputs {
  double window_h = 0.0;                                  // the measured window
  double user_hours = 0.0;                                // in it
  std::array<double, kCategories> totals{};               // the ledger's, over the window
  std::vector<std::array<double, kCategories>> pool_usd;  // each pool's part, sites then pools in order
  double staffed_usd = 0.0;                               // the window's reviewers on a staffing schedule
};

// A day's user-hours at the diurnal curve: peak_users x the sum of its 24
// hourly fractions (linear between hours, so a day integrates to the sum;
// each origin's curve is the same one shifted, which does not change it).
double day_user_hours(const scenario::Scenario& s);

// What the staffed review queues cost between `from_s` and `to_s` seconds into the run.
double staffed_review_usd(const scenario::Scenario& s, double from_s, double to_s);

// /cost/monthly/total_usd, /cost/monthly/breakdown_usd/<category>,
// /cost/monthly/user_hours and, when the scenario states its monthly active
// users per peak user, /cost/monthly/per_1000_mau_usd.
void add_monthly_figures(world::Figures& f, const scenario::Scenario& s, const MonthInputs& in);

}  // namespace capstan::cost
