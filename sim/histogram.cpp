#include "sim/histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace capstan::sim {

Histogram::Histogram(double relative_error, double min_value, double max_value)
    : relative_error_(relative_error),
      gamma_(1.0 + relative_error),
      log_gamma_(std::log1p(relative_error)),
      inv_log_gamma_(1.0 / std::log1p(relative_error)),
      min_value_(min_value) {
  if (!(relative_error > 0 && relative_error < 1) || !(min_value > 0) || !(max_value > min_value)) {
    throw std::invalid_argument("Histogram: bad parameters");
  }
  offset_ = static_cast<int>(std::ceil(std::log(min_value) * inv_log_gamma_));
  top_ = static_cast<int>(std::ceil(std::log(max_value) * inv_log_gamma_)) - offset_;
}

int Histogram::index_of(double value) const {
  if (value <= min_value_) return 0;
  const int i = static_cast<int>(std::ceil(std::log(value) * inv_log_gamma_)) - offset_;
  return std::clamp(i, 0, top_);
}

double Histogram::upper_bound_of(int index) const { return std::exp((index + offset_) * log_gamma_); }

void Histogram::cover(int index) {
  if (buckets_.empty()) {
    first_ = index;
    buckets_.assign(1, 0);
  } else if (index < first_) {
    buckets_.insert(buckets_.begin(), static_cast<std::size_t>(first_ - index), 0);
    first_ = index;
  } else if (index >= first_ + static_cast<int>(buckets_.size())) {
    buckets_.resize(static_cast<std::size_t>(index - first_ + 1), 0);
  }
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
  const int i = index_of(value);
  cover(i);
  buckets_[static_cast<std::size_t>(i - first_)] += count;
}

void Histogram::merge(const Histogram& other) {
  if (other.top_ != top_ || other.gamma_ != gamma_ || other.offset_ != offset_) {
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
  if (!other.buckets_.empty()) {
    cover(other.first_);
    cover(other.first_ + static_cast<int>(other.buckets_.size()) - 1);
    for (std::size_t i = 0; i < other.buckets_.size(); ++i) {
      buckets_[static_cast<std::size_t>(other.first_ - first_) + i] += other.buckets_[i];
    }
  }
  non_positive_ += other.non_positive_;
  count_ += other.count_;
  sum_ += other.sum_;
}

void Histogram::reset() {
  buckets_.clear();
  first_ = 0;
  non_positive_ = count_ = 0;
  sum_ = min_ = max_ = 0.0;
}

double Histogram::quantile(double q) const {
  if (count_ == 0) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = static_cast<std::uint64_t>(std::floor(q * static_cast<double>(count_ - 1)));
  if (rank < non_positive_) return 0.0;
  // The extremes are known exactly.
  if (rank == count_ - 1) return max_;
  if (rank == non_positive_ && min_ > 0) return min_;
  std::uint64_t seen = non_positive_;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    const std::uint64_t n = buckets_[i];
    if (seen + n <= rank) {
      seen += n;
      continue;
    }
    // The bucket's span, narrowed to the recorded extremes (known exactly).
    const int index = first_ + static_cast<int>(i);
    const double top = upper_bound_of(index);
    // The end buckets also hold the values beyond the range: their extremes bound them.
    const double hi = index == top_ ? max_ : std::min(top, max_);
    const double bottom = index > 0 ? top / gamma_ : min_ > 0 ? min_ : std::min(min_value_, top);
    const double lo = std::clamp(bottom, min_, hi);
    if (!(lo > 0)) return hi;  // the lowest bucket, below min_value
    const double position = (static_cast<double>(rank - seen) + 0.5) / static_cast<double>(n);
    return lo * std::pow(hi / lo, position);
  }
  return max_;
}

double Histogram::fraction_at_or_below(double threshold) const {
  if (count_ == 0) return 1.0;
  if (!(threshold > 0)) return static_cast<double>(non_positive_) / static_cast<double>(count_);
  const int last = index_of(threshold);
  std::uint64_t n = non_positive_;
  for (int i = first_; i <= last && i < first_ + static_cast<int>(buckets_.size()); ++i) {
    n += buckets_[static_cast<std::size_t>(i - first_)];
  }
  return static_cast<double>(n) / static_cast<double>(count_);
}

}  // namespace capstan::sim
