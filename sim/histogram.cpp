#include "sim/histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace capstan::sim {

Histogram::Histogram(double relative_error, double min_value, double max_value)
    : relative_error_(relative_error),
      gamma_((1.0 + relative_error) / (1.0 - relative_error)),
      inv_log_gamma_(1.0 / std::log(gamma_)),
      min_value_(min_value) {
  if (!(relative_error > 0 && relative_error < 1) || !(min_value > 0) || !(max_value > min_value)) {
    throw std::invalid_argument("Histogram: bad parameters");
  }
  offset_ = static_cast<int>(std::ceil(std::log(min_value) * inv_log_gamma_));
  const int top = static_cast<int>(std::ceil(std::log(max_value) * inv_log_gamma_));
  buckets_.assign(static_cast<std::size_t>(top - offset_ + 1), 0);
}

int Histogram::index_of(double value) const {
  if (value <= min_value_) return 0;
  const int i = static_cast<int>(std::ceil(std::log(value) * inv_log_gamma_)) - offset_;
  return std::min(i, static_cast<int>(buckets_.size()) - 1);
}

double Histogram::value_of(int index) const {
  return 2.0 * std::pow(gamma_, index + offset_) / (gamma_ + 1.0);
}

void Histogram::record(double value, std::uint64_t count) {
  if (count == 0) return;
  if (count_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  count_ += count;
  sum_ += value * static_cast<double>(count);
  if (!(value > 0)) {
    non_positive_ += count;
    return;
  }
  buckets_[static_cast<std::size_t>(index_of(value))] += count;
}

void Histogram::merge(const Histogram& other) {
  if (other.buckets_.size() != buckets_.size() || other.gamma_ != gamma_ || other.offset_ != offset_) {
    throw std::invalid_argument("Histogram::merge: histograms with different parameters");
  }
  if (other.count_ == 0) return;
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  non_positive_ += other.non_positive_;
  count_ += other.count_;
  sum_ += other.sum_;
}

void Histogram::reset() {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  non_positive_ = count_ = 0;
  sum_ = min_ = max_ = 0.0;
}

double Histogram::quantile(double q) const {
  if (count_ == 0) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = static_cast<std::uint64_t>(std::floor(q * static_cast<double>(count_ - 1)));
  if (rank < non_positive_) return 0.0;
  std::uint64_t seen = non_positive_;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen > rank) {
      // The extremes are known exactly; keep estimates inside them.
      return std::clamp(value_of(static_cast<int>(i)), min_, max_);
    }
  }
  return max_;
}

double Histogram::fraction_at_or_below(double threshold) const {
  if (count_ == 0) return 1.0;
  if (!(threshold > 0)) return static_cast<double>(non_positive_) / static_cast<double>(count_);
  const int last = index_of(threshold);
  std::uint64_t n = non_positive_;
  for (int i = 0; i <= last; ++i) n += buckets_[static_cast<std::size_t>(i)];
  return static_cast<double>(n) / static_cast<double>(count_);
}

}  // namespace capstan::sim
