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

// Rounds to the nearest nanosecond; callers pass finite, non-negative spans.
inline Time from_seconds(double seconds) { return static_cast<Time>(std::llround(seconds * 1e9)); }
inline Time from_ms(double ms) { return static_cast<Time>(std::llround(ms * 1e6)); }
inline constexpr double to_seconds(Time t) { return static_cast<double>(t) * 1e-9; }
inline constexpr double to_ms(Time t) { return static_cast<double>(t) * 1e-6; }

}  // namespace capstan::sim
