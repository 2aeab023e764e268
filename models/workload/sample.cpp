#include "models/workload/sample.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/gamma_distribution.hpp>
#include <boost/random/lognormal_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <boost/random/weibull_distribution.hpp>

namespace capstan::workload {

namespace {
using Kind = scenario::Distribution::Kind;

// Parameters (mu, sigma) of the underlying normal of a lognormal with the given mean and cv.
void lognormal_params(double mean, double cv, double& mu, double& sigma) {
  const double s2 = std::log1p(cv * cv);
  sigma = std::sqrt(s2);
  mu = std::log(mean) - s2 / 2.0;
}

double clamp(const scenario::Distribution& d, double x) {
  if (d.max_value > 0) x = std::min(x, d.max_value);
  return std::max(x, d.min_value);
}
}  // namespace

double sample(const scenario::Distribution& d, sim::RandomStream& rng) {
  auto& e = rng.engine();
  double x = 0.0;
  switch (d.kind) {
    case Kind::kConstant:
      x = d.value;
      break;
    case Kind::kExponential:
      x = boost::random::exponential_distribution<double>(1.0 / d.mean)(e);
      break;
    case Kind::kUniform:
      // Boost's sampler redraws while a draw is not below max, which never
      // ends when min == max: that uniform is the constant.
      x = d.max > d.min ? boost::random::uniform_real_distribution<double>(d.min, d.max)(e) : d.min;
      break;
    case Kind::kLognormal: {
      double mu, sigma;
      lognormal_params(d.mean, d.cv, mu, sigma);
      x = boost::random::lognormal_distribution<double>(mu, sigma)(e);
      break;
    }
    case Kind::kWeibull:
      x = boost::random::weibull_distribution<double>(d.shape, d.scale)(e);
      break;
  }
  return clamp(d, x);
}

AgeAndResidual sample_age_and_residual(const scenario::Distribution& d, sim::RandomStream& rng) {
  // A length-biased draw split at U uniform on (0, 1). Each family's
  // length-biased form is closed: see Cox, Renewal Theory, ch. 5.
  auto& e = rng.engine();
  const double u = rng.uniform();
  double biased = 0.0;
  switch (d.kind) {
    case Kind::kConstant:
      biased = d.value;
      break;
    case Kind::kExponential: {  // memoryless: age and residual are independent exponentials
      const double residual = boost::random::exponential_distribution<double>(1.0 / d.mean)(e);
      const double age = boost::random::exponential_distribution<double>(1.0 / d.mean)(e);
      return {clamp(d, age), clamp(d, residual)};
    }
    case Kind::kUniform:  // density proportional to x on [a, b]
      biased = std::sqrt(d.min * d.min + rng.uniform() * (d.max * d.max - d.min * d.min));
      break;
    case Kind::kLognormal: {  // length-biasing shifts mu by sigma^2
      double mu, sigma;
      lognormal_params(d.mean, d.cv, mu, sigma);
      biased = boost::random::lognormal_distribution<double>(mu + sigma * sigma, sigma)(e);
      break;
    }
    case Kind::kWeibull: {  // (X/scale)^shape is Gamma(1 + 1/shape) under length-biasing
      const double g = boost::random::gamma_distribution<double>(1.0 + 1.0 / d.shape, 1.0)(e);
      biased = d.scale * std::pow(g, 1.0 / d.shape);
      break;
    }
  }
  return {clamp(d, (1.0 - u) * biased), clamp(d, u * biased)};
}

double sample_residual(const scenario::Distribution& d, sim::RandomStream& rng) {
  return sample_age_and_residual(d, rng).residual;
}

int sample_tokens(const scenario::Distribution& d, sim::RandomStream& rng) {
  const double x = std::round(sample(d, rng));
  return static_cast<int>(std::clamp(x, 1.0, 1e7));
}

OriginDraw::OriginDraw(const scenario::Workload& workload, sim::RandomStream stream) : rng_(std::move(stream)) {
  double cumulative = 0.0;
  for (const auto& o : workload.origins) cumulative_.push_back(cumulative += o.share);
  cumulative_.back() = 1.0;
}

std::uint32_t OriginDraw::next() {
  const double u = rng_.uniform();
  std::uint32_t origin = 0;
  while (u >= cumulative_[origin]) ++origin;
  return origin;
}

}  // namespace capstan::workload
