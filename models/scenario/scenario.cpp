#include "models/scenario/scenario.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace capstan::scenario {

double Distribution::expected() const {
  switch (kind) {
    case Kind::kConstant: return value;
    case Kind::kExponential: return mean;
    case Kind::kUniform: return 0.5 * (min + max);
    case Kind::kLognormal: return mean;
    case Kind::kWeibull: return scale * std::tgamma(1.0 + 1.0 / shape);
  }
  return 0.0;
}

double RequestTrace::period_ns() const {
  if (!rows || rows->empty()) return 0.0;
  const double span = static_cast<double>(rows->back().at_ns - rows->front().at_ns);
  const auto n = static_cast<double>(rows->size());
  return time_scale * (n > 1 ? span * n / (n - 1) : span);
}

double RequestTrace::requests_per_s() const {
  const double period = period_ns();
  return period > 0 ? static_cast<double>(rows->size()) / (period * 1e-9) : 0.0;
}

double RequestTrace::most_rows_within(double window_ns) const {
  if (!rows || rows->empty()) return 0.0;
  const auto& r = *rows;
  std::size_t most = 0;
  for (std::size_t i = 0, j = 0; j < r.size(); ++j) {  // rows i..j within the window, times non-decreasing
    while (time_scale * static_cast<double>(r[j].at_ns - r[i].at_ns) > window_ns) ++i;
    most = std::max(most, j - i + 1);
  }
  double n = static_cast<double>(most);
  // A looped trace whose pass is shorter than the window sends a pass again within it.
  const double period = period_ns();
  if (loop && period > 0 && period < window_ns) n = static_cast<double>(r.size()) * std::ceil(window_ns / period + 1.0);
  return n;
}

double RequestTrace::mean_output_tokens() const {
  if (!rows || rows->empty()) return 0.0;
  double sum = 0.0;
  for (const auto& r : *rows) sum += r.output_tokens;
  return sum / static_cast<double>(rows->size());
}

const Deployment& Scenario::deployment(const std::string& deployment_name) const {
  for (const Deployment& d : deployments) {
    if (d.name == deployment_name) return d;
  }
  throw std::out_of_range("scenario " + name + " has no deployment named " + deployment_name);
}

}  // namespace capstan::scenario

namespace capstan::scenario {

int Review::staff_at(double start_hour_utc, double t_s) const {
  if (reviewers.size() == 1) return reviewers.front();
  const double hours = start_hour_utc + utc_offset_h + t_s / 3600.0;
  return reviewers[static_cast<std::size_t>(std::fmod(std::floor(hours + 1e-9) + 48.0, 24.0))];
}

int Pool::most_nodes() const {
  int most = std::max(gpus, autoscale.max_gpus);
  for (int g : autoscale.schedule_gpus) most = std::max(most, g);
  return most / gpus_per_node;
}

int Pool::node_slots() const {
  const int nodes = most_nodes();
  return spot || autoscale.enabled ? 2 * nodes : nodes;
}

}  // namespace capstan::scenario
