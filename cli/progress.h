#pragma once
// A progress line on stderr for the long commands (run, sweep, plan): a bar,
// the work done of the whole, the time spent and an estimate of the time
// left from the pace so far. Nothing is printed when stderr is not a
// terminal, so logs and pipes get only the command's own output. Safe to
// update from several threads (replications finish on worker threads).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace capstan::cli {

// "42 s", "3 min 05 s", "1 h 02 min".
inline std::string format_duration(double seconds) {
  const long s = static_cast<long>(std::max(0.0, seconds) + 0.5);
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%ld s", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%ld min %02ld s", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld h %02ld min", s / 3600, (s % 3600) / 60);
  }
  return buf;
}

class Progress {
 public:
  // `unit` names what is counted ("replications", "simulations").
  explicit Progress(std::string unit, bool enabled = isatty(STDERR_FILENO) != 0)
      : unit_(std::move(unit)), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() { finish(); }

  bool enabled() const { return enabled_; }

  // `done` of `total` (total <= 0: not known, so neither bar nor time left),
  // and an optional detail ("point 3 of 8").
  void update(long done, long total, const std::string& detail = "") {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    const double spent = std::chrono::duration<double>(now - start_).count();
    const bool last = total > 0 && done >= total;
    // At most ten redraws a second, and always the last.
    if (shown_ && !last && now - drawn_ < std::chrono::milliseconds(100)) return;
    drawn_ = now;
    std::string line;
    if (total > 0) {
      constexpr int kWidth = 24;
      const int filled = static_cast<int>(kWidth * std::min(1.0, static_cast<double>(done) / total));
      line = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] " + std::to_string(done) +
             " of " + std::to_string(total) + " " + unit_;
    } else {
      line = std::to_string(done) + " " + unit_;
    }
    if (!detail.empty()) line += ", " + detail;
    line += ", " + format_duration(spent);
    if (total > 0 && done > 0 && !last) {
      line += ", about " + format_duration(spent * static_cast<double>(total - done) / done) + " left";
    }
    // Pad over a longer previous line, then return to the line's start.
    const std::size_t width = line.size();
    if (width < width_) line += std::string(width_ - width, ' ');
    width_ = width;
    std::fprintf(stderr, "\rcapstan: %s", line.c_str());
    std::fflush(stderr);
    shown_ = true;
  }

  // Ends the line (once), so that what follows starts on a fresh one.
  void finish() {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (shown_) std::fprintf(stderr, "\n");
    shown_ = false;
  }

 private:
  std::string unit_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, drawn_{};
  std::mutex mutex_;
  bool shown_ = false;
  std::size_t width_ = 0;
};

}  // namespace capstan::cli
