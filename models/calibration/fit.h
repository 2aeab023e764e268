#pragma once
// Turning measured kernel times into per-operator cost functions.
//
// Each operator's time is fitted on roofline features,
//
//     t = c0 + c1 * flops + c2 * bytes,     c0, c1, c2 >= 0,
//
// by non-negative least squares on relative error (every residual divided by
// the measured time, so 5 us kernels count as much as 5 ms ones). With three
// unknowns the exact NNLS solution is found by trying every set of free
// coefficients and keeping the best feasible one.
//
// GEMMs also keep their measured times along the row (token) dimension and
// interpolate piecewise-linearly inside the measured range, which captures
// wave quantisation and tile effects no straight line has; outside it the
// linear cost is used. Decode attention stays on the linear cost alone so
// that the iteration time remains affine in the decode context.
//
// Held-out error: every `hold_out_every`-th measured shape (interior points
// for tables) is left out, the operator is refitted on the rest, and the
// left-out shapes are predicted; the returned fit is then refitted on all.
#include <cstddef>
#include <span>
#include <vector>

namespace capstan::calibration {

struct Sample {
  double rows = 0.0;  // GEMM M (tokens); used by the interpolation table
  double flops = 0.0;
  double bytes = 0.0;
  double seconds = 0.0;
};

struct LinearCost {
  double c0_s = 0.0;
  double s_per_flop = 0.0;
  double s_per_byte = 0.0;
  double seconds(double flops, double bytes) const { return c0_s + s_per_flop * flops + s_per_byte * bytes; }
};

// Which features a fit may use (an element-wise kernel has no FLOP term).
struct FitTerms {
  bool flops = true;
  bool bytes = true;
};

// Throws std::invalid_argument without samples or with a non-positive time.
LinearCost fit_linear_cost(std::span<const Sample> samples, FitTerms terms = {});

// y(x) through the points, linear between them; x strictly increasing.
struct PiecewiseLinear {
  std::vector<double> x;
  std::vector<double> y;
  bool empty() const { return x.empty(); }
  bool contains(double at) const { return !x.empty() && at >= x.front() && at <= x.back(); }
  double at(double v) const;  // precondition: contains(v)
  // From samples: sorted by rows, duplicate rows averaged.
  static PiecewiseLinear from_samples(std::span<const Sample> samples);
};

struct OperatorFit {
  LinearCost cost;
  PiecewiseLinear table;  // empty unless the operator interpolates
  double seconds(double rows, double flops, double bytes) const {
    return table.contains(rows) ? table.at(rows) : cost.seconds(flops, bytes);
  }
};

struct ErrorSummary {
  double median_rel_error = 0.0;
  double p95_rel_error = 0.0;
  std::size_t count = 0;
};
// Median and 95th percentile (nearest rank) of the given relative errors.
ErrorSummary summarize_errors(std::vector<double> rel_errors);

struct FitResult {
  OperatorFit fit;
  ErrorSummary held_out;
  std::vector<double> held_out_rel_errors;  // for pooling across operators
};

// Fits one operator. `interpolate` keeps a table along rows (GEMMs).
FitResult fit_operator(std::span<const Sample> samples, FitTerms terms, bool interpolate, int hold_out_every = 4);

}  // namespace capstan::calibration
