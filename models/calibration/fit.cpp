#include "models/calibration/fit.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace capstan::calibration {

LinearCost fit_linear_cost(std::span<const Sample> samples, FitTerms terms) {
  if (samples.empty()) throw std::invalid_argument("fit: no samples");
  const Eigen::Index n = static_cast<Eigen::Index>(samples.size());
  // Columns: 1, flops, bytes; each row divided by the measured time so the
  // residuals are relative errors, each column scaled to unit max for conditioning.
  Eigen::MatrixXd a(n, 3);
  Eigen::VectorXd b = Eigen::VectorXd::Ones(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Sample& s = samples[static_cast<std::size_t>(i)];
    if (!(s.seconds > 0.0) || !std::isfinite(s.seconds)) throw std::invalid_argument("fit: a time is not positive");
    a(i, 0) = 1.0 / s.seconds;
    a(i, 1) = terms.flops ? s.flops / s.seconds : 0.0;
    a(i, 2) = terms.bytes ? s.bytes / s.seconds : 0.0;
  }
  Eigen::Vector3d scale;
  for (int j = 0; j < 3; ++j) {
    const double m = a.col(j).cwiseAbs().maxCoeff();
    scale(j) = m > 0.0 ? m : 1.0;
    a.col(j) /= scale(j);
  }
  // Exact NNLS for three unknowns: the best feasible least-squares solution
  // over all subsets of free coefficients (the others held at zero).
  Eigen::Vector3d best = Eigen::Vector3d::Zero();
  double best_residual = b.squaredNorm();
  for (int mask = 1; mask < 8; ++mask) {
    std::vector<int> cols;
    bool usable = true;
    for (int j = 0; j < 3; ++j) {
      if (!(mask >> j & 1)) continue;
      usable = usable && a.col(j).cwiseAbs().maxCoeff() > 0.0;  // a term the fit may not use
      cols.push_back(j);
    }
    if (!usable) continue;
    Eigen::MatrixXd sub(n, static_cast<Eigen::Index>(cols.size()));
    for (std::size_t c = 0; c < cols.size(); ++c) sub.col(static_cast<Eigen::Index>(c)) = a.col(cols[c]);
    const Eigen::VectorXd x = sub.colPivHouseholderQr().solve(b);
    if ((x.array() < 0.0).any() || !x.allFinite()) continue;
    const double r = (sub * x - b).squaredNorm();
    if (r < best_residual) {
      best_residual = r;
      best.setZero();
      for (std::size_t c = 0; c < cols.size(); ++c) best(cols[c]) = x(static_cast<Eigen::Index>(c));
    }
  }
  return {best(0) / scale(0), best(1) / scale(1), best(2) / scale(2)};
}

double PiecewiseLinear::at(double v) const {
  if (x.size() == 1) return y.front();
  auto it = std::upper_bound(x.begin(), x.end(), v);
  std::size_t hi = static_cast<std::size_t>(it - x.begin());
  if (hi >= x.size()) hi = x.size() - 1;
  const std::size_t lo = hi - 1;
  const double w = (v - x[lo]) / (x[hi] - x[lo]);
  return y[lo] + w * (y[hi] - y[lo]);
}

PiecewiseLinear PiecewiseLinear::from_samples(std::span<const Sample> samples) {
  std::map<double, std::pair<double, int>> by_rows;
  for (const Sample& s : samples) {
    auto& e = by_rows[s.rows];
    e.first += s.seconds;
    e.second += 1;
  }
  PiecewiseLinear t;
  for (const auto& [rows, sum] : by_rows) {
    t.x.push_back(rows);
    t.y.push_back(sum.first / sum.second);
  }
  return t;
}

ErrorSummary summarize_errors(std::vector<double> e) {
  ErrorSummary s;
  s.count = e.size();
  if (e.empty()) return s;
  std::sort(e.begin(), e.end());
  const std::size_t n = e.size();
  s.median_rel_error = n % 2 ? e[n / 2] : 0.5 * (e[n / 2 - 1] + e[n / 2]);
  const std::size_t rank = static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(n)));
  s.p95_rel_error = e[std::max<std::size_t>(rank, 1) - 1];
  return s;
}

namespace {

OperatorFit fit_all(std::span<const Sample> samples, FitTerms terms, bool interpolate) {
  OperatorFit f;
  f.cost = fit_linear_cost(samples, terms);
  if (interpolate) f.table = PiecewiseLinear::from_samples(samples);
  return f;
}

}  // namespace

FitResult fit_operator(std::span<const Sample> samples, FitTerms terms, bool interpolate, int hold_out_every) {
  if (samples.empty()) throw std::invalid_argument("fit: no samples");
  FitResult r;
  std::vector<Sample> sorted(samples.begin(), samples.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const Sample& a, const Sample& b) { return a.rows < b.rows; });
  const std::size_t k = static_cast<std::size_t>(std::max(2, hold_out_every));
  std::vector<Sample> train, test;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    // Tables only interpolate, so their held-out points are interior ones.
    const bool interior = i > 0 && i + 1 < sorted.size() && sorted[i].rows > sorted.front().rows &&
                          sorted[i].rows < sorted.back().rows;
    const bool hold = i % k == k / 2 && (!interpolate || interior);
    (hold ? test : train).push_back(sorted[i]);
  }
  if (train.size() >= 3 && !test.empty()) {
    const OperatorFit partial = fit_all(train, terms, interpolate);
    for (const Sample& s : test) {
      const double predicted = partial.seconds(s.rows, s.flops, s.bytes);
      r.held_out_rel_errors.push_back(std::abs(predicted - s.seconds) / s.seconds);
    }
  }
  r.held_out = summarize_errors(r.held_out_rel_errors);
  r.fit = fit_all(sorted, terms, interpolate);
  return r;
}

}  // namespace capstan::calibration
