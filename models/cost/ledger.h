#pragma once
// The cost ledger: what a replication spends, by category, over the
// measured window (after the warm-up), and the cost per time-series interval
// over the whole run. GPUs are billed by the second as rates that hold
// between changes (nodes requested, gone); hosted-API tokens, egress and
// human review are charged per answer. Not thread-safe; one per replication.
#include <array>
#include <cstddef>

#include "models/scenario/scenario.h"
#include "models/world/figures.h"
#include "sim/time.h"
#include "sim/timeseries.h"

namespace capstan::cost {

enum class Category : std::size_t {
  kGpuOnDemand, kGpuSpot, kGpuReserved1y, kGpuReserved3y, kGpuOwned, kHostedApi, kNetworkEgress, kHumanModeration
};
inline constexpr std::size_t kCategories = 8;
// The category a node of this basis is billed under.
Category gpu_category(catalog::Basis basis);
// The key of each category under /cost/breakdown_usd.
const char* category_name(Category c);

class Ledger {
 public:
  // Adds the "cost_usd" column to `series`.
  Ledger(const scenario::Scenario& scenario, sim::TimeSeries& series, sim::Time warmup, sim::Time horizon);

  // What one answer cost beyond the fleet: hosted tokens or egress, and human
  // review of escalated items. Charged only when `counted` (sent after the
  // warm-up). Returns the hosted-API tokens' part, in USD.
  double charge_answer(sim::Time sent, bool counted, const scenario::InteractionClass& cls,
                     const scenario::Deployment& deployment, std::int32_t input_tokens, std::int32_t output_tokens,
                     bool hosted);
  // A billing rate changes by `delta_usd_per_hour` at `at` (not before the last change).
  void add_rate(Category category, sim::Time at, double delta_usd_per_hour);
  // Bills the rates up to the horizon; call once, at the end of the run.
  void close();

  // USD over the measured window, by category (after close()).
  const std::array<double, kCategories>& totals() const { return totals_; }
  // The /cost section: total, KPIs and the breakdown.
  void add_figures(world::Figures& f, double user_hours, double interactions, double tokens) const;

 private:
  void bill_until(sim::Time at);

  const scenario::Cost& cost_;
  sim::TimeSeries& series_;
  std::size_t column_;
  sim::Time warmup_;
  sim::Time horizon_;
  sim::Time billed_to_ = 0;                 // rates are billed up to here
  std::array<double, kCategories> rates_{};  // USD per hour, now
  std::array<double, kCategories> totals_{}; // USD over the measured window
};

}  // namespace capstan::cost
