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

// Rounds to the nearest nanosecond, within +-kMaxSpanSeconds; NaN reads 0.
inline Time from_seconds(double seconds) {
  if (!(seconds == seconds)) return 0;
  const double s = seconds < -kMaxSpanSeconds ? -kMaxSpanSeconds : seconds > kMaxSpanSeconds ? kMaxSpanSeconds : seconds;
  return static_cast<Time>(std::llround(s * 1e9));
}
inline Time from_ms(double ms) {
  if (!(ms == ms)) return 0;
  const double lim = kMaxSpanSeconds * 1e3;
  return static_cast<Time>(std::llround((ms < -lim ? -lim : ms > lim ? lim : ms) * 1e6));
}
inline constexpr double to_seconds(Time t) { return static_cast<double>(t) * 1e-9; }
inline constexpr double to_ms(Time t) { return static_cast<double>(t) * 1e-6; }

}  // namespace capstan::sim
