#include "models/cost/ledger.h"

#include <algorithm>
#include <stdexcept>

namespace capstan::cost {

const char* category_name(Category c) {
  switch (c) {
    case Category::kGpuOnDemand: return "gpu_on_demand";
    case Category::kGpuSpot: return "gpu_spot";
    case Category::kGpuReserved1y: return "gpu_reserved_1y";
    case Category::kGpuReserved3y: return "gpu_reserved_3y";
    case Category::kGpuOwned: return "gpu_owned";
    case Category::kHostedApi: return "hosted_api";
    case Category::kNetworkEgress: return "network_egress";
    case Category::kHumanModeration: return "human_moderation";
  }
  return "unknown";
}

Category gpu_category(catalog::Basis basis) {
  switch (basis) {
    case catalog::Basis::kOnDemand: return Category::kGpuOnDemand;
    case catalog::Basis::kSpot: return Category::kGpuSpot;
    case catalog::Basis::kReserved1y: return Category::kGpuReserved1y;
    case catalog::Basis::kReserved3y: return Category::kGpuReserved3y;
    case catalog::Basis::kOwned: return Category::kGpuOwned;
  }
  return Category::kGpuOnDemand;
}

Ledger::Ledger(const scenario::Scenario& scenario, sim::TimeSeries& series, sim::Time warmup, sim::Time horizon)
    : cost_(scenario.cost),
      series_(series),
      column_(series.add_column("cost_usd", sim::TimeSeries::Kind::kSum)),
      warmup_(warmup),
      horizon_(horizon) {}

double Ledger::charge_answer(sim::Time sent, bool counted, const scenario::InteractionClass& cls,
                             const scenario::Deployment& dep, std::int32_t input, std::int32_t output, bool hosted) {
  if (!counted) return 0.0;
  double usd = 0.0;
  double api_usd = 0.0;
  auto charge = [&](Category c, double x) {
    totals_[static_cast<std::size_t>(c)] += x;
    usd += x;
  };
  if (hosted) {
    api_usd = (input * dep.input_usd_per_mtok + output * dep.output_usd_per_mtok) / 1e6;
    charge(Category::kHostedApi, api_usd);
  } else {
    charge(Category::kNetworkEgress, (input + output) * cost_.bytes_per_token / 1e9 * cost_.egress_usd_per_gb);
  }
  if (cls.escalation_share > 0 && !cls.review.enabled) {  // a review queue bills staffed hours instead
    charge(Category::kHumanModeration,
           cls.escalation_share * cost_.reviewer_usd_per_hour / cost_.reviewer_items_per_hour);
  }
  series_.record(column_, sent, usd);
  return api_usd;
}

void Ledger::add_rate(Category category, sim::Time at, double delta_usd_per_hour) {
  if (at < billed_to_) throw std::logic_error("capstan: a billing rate changed in the past");
  bill_until(at);
  rates_[static_cast<std::size_t>(category)] += delta_usd_per_hour;
}

void Ledger::close() { bill_until(horizon_); }

void Ledger::bill_until(sim::Time at) {
  at = std::min(at, horizon_);
  if (at <= billed_to_) return;
  double level = 0.0;
  for (double r : rates_) level += r;
  if (level != 0.0) {
    // Each interval the span covers gets the rate times the part it holds.
    const sim::Time interval = series_.interval();
    for (sim::Time from = billed_to_; from < at;) {
      const sim::Time to = std::min(at, (from / interval + 1) * interval);
      series_.record(column_, from, level * sim::to_seconds(to - from) / 3600.0);
      from = to;
    }
  }
  const sim::Time from = std::max(billed_to_, warmup_);
  if (at > from) {
    for (std::size_t c = 0; c < kCategories; ++c) {
      if (rates_[c] != 0.0) totals_[c] += rates_[c] * (sim::to_seconds(at - from) / 3600.0);
    }
  }
  billed_to_ = at;
}

void Ledger::add_figures(world::Figures& f, double user_hours, double interactions, double tokens) const {
  double total = 0.0;
  for (double t : totals_) total += t;
  f.add("/cost/total_usd", total);
  f.add("/cost/per_user_hour_usd", user_hours > 0 ? total / user_hours : 0.0);
  f.add("/cost/per_interaction_usd", interactions > 0 ? total / interactions : 0.0);
  f.add("/cost/per_million_tokens_usd", tokens > 0 ? total / tokens * 1e6 : 0.0);
  for (std::size_t c = 0; c < kCategories; ++c) {
    f.add(std::string("/cost/breakdown_usd/") + category_name(static_cast<Category>(c)), totals_[c]);
  }
}

}  // namespace capstan::cost
