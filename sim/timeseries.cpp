#include "sim/timeseries.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "sim/bytes.h"

namespace capstan::sim {

using bytes::put;
using bytes::put_string;
using bytes::take;
using bytes::take_string;

namespace {
// Checked before the division, which a zero interval would make undefined.
std::size_t interval_count(Time interval, Time horizon) {
  if (interval <= 0 || horizon <= 0) throw std::invalid_argument("TimeSeries: interval and horizon must be positive");
  return static_cast<std::size_t>((horizon + interval - 1) / interval);
}
}  // namespace

TimeSeries::TimeSeries(Time interval, Time horizon)
    : interval_(interval), horizon_(horizon), intervals_(interval_count(interval, horizon)) {}

std::size_t TimeSeries::add_column(std::string name, Kind kind) {
  names_.push_back(std::move(name));
  kinds_.push_back(kind);
  sums_.resize(names_.size() * intervals_, 0.0);
  weights_.resize(names_.size() * intervals_, 0.0);
  return names_.size() - 1;
}

void TimeSeries::record(std::size_t column, Time at, double value) {
  if (at < 0) return;
  const auto i = static_cast<std::size_t>(at / interval_);
  if (i >= intervals_) return;
  sums_[cell(column, i)] += value;
  weights_[cell(column, i)] += 1.0;
}

void TimeSeries::record_span(std::size_t column, Time from, Time to, double value) {
  from = std::max<Time>(from, 0);
  while (from < to) {
    const auto i = static_cast<std::size_t>(from / interval_);
    if (i >= intervals_) return;
    const Time end = std::min<Time>(to, static_cast<Time>(i + 1) * interval_);
    const double w = to_seconds(end - from);
    sums_[cell(column, i)] += value * w;
    weights_[cell(column, i)] += w;
    from = end;
  }
}

double TimeSeries::value(std::size_t column, std::size_t i) const {
  const double s = sums_[cell(column, i)];
  switch (kinds_[column]) {
    case Kind::kSum:
      return s;
    case Kind::kSampleMean:
      // No sample: the mean is missing, not 0.
      return weights_[cell(column, i)] > 0 ? s / weights_[cell(column, i)]
                                           : std::numeric_limits<double>::quiet_NaN();
    case Kind::kTimeMean: {
      // A level is averaged over the whole interval: spans not recorded held
      // 0. The last interval ends at the horizon, where the run stopped.
      const Time start = static_cast<Time>(i) * interval_;
      const Time length = std::min(interval_, horizon_ - start);
      return s / to_seconds(length);
    }
  }
  return 0.0;
}

void TimeSeries::merge(const TimeSeries& other) {
  if (other.names_ != names_ || other.kinds_ != kinds_ || other.intervals_ != intervals_ ||
      other.interval_ != interval_ || other.horizon_ != horizon_) {
    throw std::invalid_argument("TimeSeries::merge: different shapes");
  }
  for (std::size_t k = 0; k < sums_.size(); ++k) {
    sums_[k] += other.sums_[k];
    weights_[k] += other.weights_[k];
  }
  replications_ += other.replications_;
}

void TimeSeries::write(std::string& out) const {
  put(out, interval_);
  put(out, horizon_);
  put(out, static_cast<std::uint64_t>(intervals_));
  put(out, static_cast<std::int64_t>(replications_));
  put(out, static_cast<std::uint64_t>(names_.size()));
  for (std::size_t c = 0; c < names_.size(); ++c) {
    put_string(out, names_[c]);
    put(out, static_cast<std::int64_t>(kinds_[c]));
  }
  for (double v : sums_) put(out, v);
  for (double v : weights_) put(out, v);
}

TimeSeries TimeSeries::read(std::string_view& in) {
  const Time interval = take<Time>(in), horizon = take<Time>(in);
  if (!(interval > 0) || horizon < 0) throw std::runtime_error("time series bytes: bad interval or horizon");
  // The count must come out of the bytes' own cells, before anything is allocated for them.
  if (horizon / interval > static_cast<Time>(in.size() / sizeof(double)))
    throw std::runtime_error("result bytes are truncated");
  TimeSeries t(interval, horizon);
  if (take<std::uint64_t>(in) != t.intervals_) throw std::runtime_error("time series bytes: interval count mismatch");
  t.replications_ = static_cast<int>(take<std::int64_t>(in));
  const auto columns = take<std::uint64_t>(in);
  if (columns > in.size()) throw std::runtime_error("result bytes are truncated");
  for (std::uint64_t c = 0; c < columns; ++c) {
    std::string name = take_string(in);
    const auto kind = take<std::int64_t>(in);
    if (kind < 0 || kind > static_cast<std::int64_t>(Kind::kTimeMean)) throw std::runtime_error("time series bytes: bad kind");
    t.add_column(std::move(name), static_cast<Kind>(kind));
  }
  if (in.size() < 2 * t.sums_.size() * sizeof(double)) throw std::runtime_error("result bytes are truncated");
  for (double& v : t.sums_) v = take<double>(in);
  for (double& v : t.weights_) v = take<double>(in);
  return t;
}

}  // namespace capstan::sim
