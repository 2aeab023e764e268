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

const Deployment& Scenario::deployment(const std::string& deployment_name) const {
  for (const Deployment& d : deployments) {
    if (d.name == deployment_name) return d;
  }
  throw std::out_of_range("scenario " + name + " has no deployment named " + deployment_name);
}

}  // namespace capstan::scenario

namespace capstan::scenario {

int Pool::node_slots(int tensor_parallel) const {
  int most = std::max(gpus, autoscale.max_gpus);
  for (int g : autoscale.schedule_gpus) most = std::max(most, g);
  const int nodes = most / tensor_parallel;
  return spot || autoscale.enabled ? 2 * nodes : nodes;
}

}  // namespace capstan::scenario
