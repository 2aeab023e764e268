#pragma once
// Per-interval time series: each named column accumulates within fixed
// intervals of simulated time (one minute in reports). Sums, means of
// samples and time-weighted means are all kept as sums plus a divisor.
// Merging replications adds them cell by cell. Sums and time means then read
// as totals over the replications (divide by replications() for a mean per
// replication); sample means read as the mean of all pooled samples, already
// a mean. Not thread-safe.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.h"

namespace capstan::sim {

class TimeSeries {
 public:
  enum class Kind { kSum, kSampleMean, kTimeMean };

  TimeSeries(Time interval, Time horizon);

  // Returns the column's index; columns are added before recording.
  std::size_t add_column(std::string name, Kind kind);
  // kSum and kSampleMean: adds `value` to the interval holding `at`.
  void record(std::size_t column, Time at, double value);
  // kTimeMean: the level `value` held over [from, to).
  void record_span(std::size_t column, Time from, Time to, double value);

  std::size_t intervals() const { return intervals_; }
  Time interval() const { return interval_; }
  const std::vector<std::string>& columns() const { return names_; }
  Kind kind(std::size_t column) const { return kinds_[column]; }
  // The column's figure for interval i (sum, or mean; NaN for a sample mean
  // with no sample in the interval: missing, never 0).
  // A time mean is over the interval's length, cut at the horizon for the last one.
  double value(std::size_t column, std::size_t i) const;

  // Adds another replication's series, cell by cell (same shape required).
  void merge(const TimeSeries& other);
  // How many replications this series holds: 1, plus those merged in.
  int replications() const { return replications_; }
  // The whole series as bytes and back, every value bit for bit (a
  // replication run in another process comes back this way). read() throws
  // std::runtime_error on bytes write() did not make, and consumes what it reads.
  void write(std::string& out) const;
  static TimeSeries read(std::string_view& in);

 private:
  std::size_t cell(std::size_t column, std::size_t i) const { return column * intervals_ + i; }
  Time interval_;
  Time horizon_;
  std::size_t intervals_;
  int replications_ = 1;
  std::vector<std::string> names_;
  std::vector<Kind> kinds_;
  std::vector<double> sums_;
  std::vector<double> weights_;
};

}  // namespace capstan::sim
