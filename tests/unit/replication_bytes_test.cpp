// A replication's time series crosses a process boundary (a Dask worker) as
// bytes: back bit for bit, and bytes it did not write are refused, never
// read past their end or allowed to allocate what they do not hold.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sim/bytes.h"
#include "sim/timeseries.h"

using capstan::sim::TimeSeries;

TEST_CASE("time series bytes: written and read back bit for bit", "[bytes]") {
  TimeSeries t(capstan::sim::kMinute, 90 * capstan::sim::kMinute);
  const auto a = t.add_column("requests", TimeSeries::Kind::kSum);
  const auto b = t.add_column("ttft_ms_mean:dialogue", TimeSeries::Kind::kSampleMean);
  const auto c = t.add_column("users", TimeSeries::Kind::kTimeMean);
  t.record(a, 5 * capstan::sim::kSecond, 0.1);
  t.record(b, 61 * capstan::sim::kSecond, 1.0 / 3.0);
  t.record_span(c, 0, 45 * capstan::sim::kMinute, 12345.678);
  std::string bytes;
  t.write(bytes);
  std::string_view in = bytes;
  const TimeSeries back = TimeSeries::read(in);
  CHECK(in.empty());
  REQUIRE(back.columns() == t.columns());
  REQUIRE(back.intervals() == t.intervals());
  for (std::size_t col = 0; col < t.columns().size(); ++col) {
    CHECK(back.kind(col) == t.kind(col));
    for (std::size_t i = 0; i < t.intervals(); ++i) {
      const double x = t.value(col, i), y = back.value(col, i);
      CHECK((std::isnan(x) ? std::isnan(y) : std::memcmp(&x, &y, sizeof x) == 0));
    }
  }
  // Every shorter prefix is refused.
  for (std::size_t n = 0; n < bytes.size(); n += 7) {
    std::string_view cut(bytes.data(), n);
    CHECK_THROWS_AS(TimeSeries::read(cut), std::exception);
  }
}

TEST_CASE("time series bytes: a horizon the bytes cannot hold is refused before allocating", "[bytes]") {
  std::string bytes;
  capstan::sim::bytes::put(bytes, capstan::sim::Time{1});
  capstan::sim::bytes::put(bytes, std::numeric_limits<capstan::sim::Time>::max() / 2);
  capstan::sim::bytes::put(bytes, std::uint64_t{0});
  std::string_view in = bytes;
  CHECK_THROWS_AS(TimeSeries::read(in), std::runtime_error);
}
