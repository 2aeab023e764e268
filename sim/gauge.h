#pragma once
// A time-weighted gauge: a level that holds between changes (queue length,
// busy GPUs, KV-cache blocks in use); its mean weighs each level by how long
// it held. Not thread-safe.
#include <algorithm>

#include "sim/time.h"

namespace capstan::sim {

class TimeWeightedGauge {
 public:
  explicit TimeWeightedGauge(Time start = 0, double level = 0.0) : since_(start), start_(start), level_(level) {}

  void set(Time now, double level) {
    accumulate(now);
    level_ = level;
    peak_ = std::max(peak_, level);
  }
  void add(Time now, double delta) { set(now, level_ + delta); }
  double level() const { return level_; }
  double peak() const { return peak_; }
  // Integral of the level over [start, now], in level-seconds.
  double integral(Time now) const { return area_ + level_ * to_seconds(now - since_); }
  double mean(Time now) const {
    const double span = to_seconds(now - start_);
    return span > 0 ? integral(now) / span : level_;
  }
  // Forgets the past (the warm-up): the mean restarts from `now` at the current level.
  void reset(Time now) {
    since_ = start_ = now;
    area_ = 0.0;
    peak_ = level_;
  }

 private:
  void accumulate(Time now) {
    area_ += level_ * to_seconds(now - since_);
    since_ = now;
  }
  Time since_;
  Time start_;
  double level_;
  double area_ = 0.0;
  double peak_ = 0.0;
};

}  // namespace capstan::sim
