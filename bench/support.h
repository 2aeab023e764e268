#pragma once
// What the benchmarks share: a timed run and the process's peak memory.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "models/api/api.h"

namespace capstan::bench {

struct Figures {
  double requests = 0.0;  // requests that arrived
  double events = 0.0;
  double wall_s = 0.0;
  double per_s() const { return requests / wall_s; }  // simulated requests per wall-second
};

// The lines every benchmark prints for a run: requests, events, wall time.
inline void print_counts(const Figures& f) {
  std::printf("  requests simulated      %14.0f\n", f.requests);
  std::printf("  events                  %14.0f\n", f.events);
  std::printf("  wall time               %14.2f s\n", f.wall_s);
}

// api::run(request), timed, with the report's request and event counts.
inline Figures timed_run(const api::RunRequest& request) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto out = api::run(request);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto report = nlohmann::json::parse(out.report_json);
  return {report["requests"]["arrived"].get<double>(), report["requests"]["events"].get<double>(), wall};
}

// The process's peak resident memory so far, in MiB.
inline double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

}  // namespace capstan::bench
