#pragma once
// Simulated time: a signed count of nanoseconds. Integer time is exact, never
// drifts, and makes a run bit-for-bit repeatable; 2^63 ns is 292 years.
#include <cmath>
#include <cstdint>

namespace capstan::sim {

using Time = std::int64_t;

inline constexpr Time kNanosecond = 1;
inline constexpr Time kMicrosecond = 1'000;
inline constexpr Time kMillisecond = 1'000'000;
inline constexpr Time kSecond = 1'000'000'000;
inline constexpr Time kMinute = 60 * kSecond;
inline constexpr Time kHour = 60 * kMinute;
inline constexpr Time kForever = INT64_MAX;

// The longest span a conversion yields, 10^9 s (about 32 years): a sampled
// duration beyond it (a heavy-tailed session) is cut to it, so that adding
// spans to any instant of a run cannot overflow.
inline constexpr double kMaxSpanSeconds = 1e9;

// x within +-lim; NaN reads 0.
inline double saturate(double x, double lim) {
  if (!(x == x)) return 0.0;
  return x < -lim ? -lim : x > lim ? lim : x;
}

// Rounds to the nearest nanosecond, within +-kMaxSpanSeconds.
inline Time from_seconds(double seconds) { return static_cast<Time>(std::llround(saturate(seconds, kMaxSpanSeconds) * 1e9)); }
inline Time from_ms(double ms) { return static_cast<Time>(std::llround(saturate(ms, kMaxSpanSeconds * 1e3) * 1e6)); }
inline constexpr double to_seconds(Time t) { return static_cast<double>(t) * 1e-9; }
inline constexpr double to_ms(Time t) { return static_cast<double>(t) * 1e-6; }

}  // namespace capstan::sim
