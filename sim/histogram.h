#pragma once
// A log-bucketed histogram of positive values (latencies in seconds, token
// counts) whose quantiles carry a bounded relative error e.
//
// Bucket i holds values in (g^(i-1), g^i] with g = 1 + e. A quantile is
// interpolated within its bucket, geometrically by its rank among the
// bucket's values (the values spread evenly in log scale, between the
// recorded minimum and maximum where those fall inside it). The estimate
// and the true value both lie in the bucket, so the estimate is within a
// relative error g - 1 = e of the truth (DDSketch reports the bucket's
// midpoint instead, within e/2 with buckets twice as narrow; interpolating
// lets a quantile move smoothly as the ranks shift within one bucket, so
// replications whose quantiles share a bucket still differ and their
// confidence interval keeps its width). With e = 0.005 the error bound is
// 0.5%, inside the 1% the report promises. Values at or below `min_value`
// share the lowest bucket; values above the top of the range share the
// highest. Zero and negative values are counted apart and reported as 0.
// Only the buckets between the lowest and the highest used are stored.
//
// Merging adds counts, so a merge of histograms equals the histogram of all
// values, whatever the order of the merge. Not thread-safe.
#include <cstdint>
#include <vector>

namespace capstan::sim {

class Histogram {
 public:
  explicit Histogram(double relative_error = 0.005, double min_value = 1e-9, double max_value = 1e9);

  void record(double value, std::uint64_t count = 1);
  void merge(const Histogram& other);  // both must share their parameters
  void reset();

  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  double min() const { return count_ ? min_ : 0.0; }
  double max() const { return count_ ? max_ : 0.0; }
  // The value at rank floor(q * (count - 1)) of the sorted values, within the
  // relative error; 0 when empty (or when that rank holds a value <= 0). q in [0, 1].
  double quantile(double q) const;
  // Fraction of recorded values <= threshold (to bucket resolution).
  double fraction_at_or_below(double threshold) const;
  double relative_error() const { return relative_error_; }

 private:
  int index_of(double value) const;
  double upper_bound_of(int index) const;  // g^index of the bucket's top
  void cover(int index);                   // grows the stored window to hold bucket `index`

  double relative_error_;
  double gamma_;
  double log_gamma_;
  double inv_log_gamma_;
  double min_value_;
  int offset_;  // bucket index of min_value
  int top_;     // the highest bucket, relative to offset_
  int first_ = 0;                        // bucket held by buckets_[0]
  std::vector<std::uint64_t> buckets_;  // buckets first_ .. first_ + size - 1
  std::uint64_t non_positive_ = 0;
  std::uint64_t count_ = 0;
  double sum_ = 0.0;
  double min_ = 0.0;
  double max_ = 0.0;
};

}  // namespace capstan::sim
