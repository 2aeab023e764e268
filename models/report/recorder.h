#pragma once
// Per-class statistics of one replication, turned into the report's figures:
// requests, answers and drops, latency histograms (TTFT, time per output
// token, end to end), the network share, SLO attainment per request and per
// time-series interval, and tokens. Only requests sent after the warm-up
// count. Not thread-safe; one per replication.
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "models/scenario/scenario.h"
#include "models/serving/request.h"
#include "models/world/figures.h"
#include "sim/histogram.h"
#include "sim/time.h"
#include "sim/timeseries.h"

namespace capstan::report {

struct Answer {
  std::uint32_t cls = 0;
  sim::Time sent = 0;
  double ttft_s = 0.0;
  double tpot_s = 0.0;   // 0 for a one-token answer
  double e2e_s = 0.0;
  double network_ms = 0.0;
  std::int32_t input_tokens = 0;
  std::int32_t output_tokens = 0;
};

class Recorder {
 public:
  // Adds to `series` a "requests_<class>" column per class, then a
  // "p<q>_<metric>_ms_<class>" column per class: its SLO percentile.
  Recorder(const scenario::Scenario& scenario, sim::TimeSeries& series);

  // A counted request was sent with `prompt_tokens` (persona and history included).
  void request_sent(std::uint32_t cls, sim::Time at, std::int32_t prompt_tokens);
  void answered(const Answer& a);
  void dropped(std::uint32_t cls, serving::DropReason reason);
  // A counted request went to a replica: away from its nearest site or not.
  void routed(std::uint32_t cls, std::uint32_t origin, bool spilled, std::int32_t prompt_tokens);
  // A counted request finished, having found `cached_tokens` of its prompt in
  // its replica's prefix cache when it was (last) admitted.
  void prefix_found(std::uint32_t cls, std::int32_t cached_tokens);
  // A counted request looked up its class's response cache; a hit saves `tokens` of GPU work.
  void cache_lookup(std::uint32_t cls, bool hit, std::int32_t tokens);
  // A counted request of a self-hosted class went to its overflow API.
  void overflowed(std::uint32_t cls, serving::OverflowReason reason);
  // An overflowed request was answered, for `usd` of API tokens.
  void overflow_answered(std::uint32_t cls, double usd) { stats_[cls].overflow_usd += usd; }
  // Started, then cut off by a node's end with nowhere to go.
  void lost(std::uint32_t cls);
  // Writes each interval's SLO percentile into the series; call once, at the end.
  void close_series();

  double completed() const;
  double tokens() const;  // input + output of the answers
  // The /classes section.
  void add_class_figures(world::Figures& f) const;
  // The /deployments section: prefix-cache figures of self-hosted deployments.
  void add_deployment_figures(world::Figures& f) const;
  // The /users and /tokens sections.
  void add_user_figures(world::Figures& f, double user_hours, double window_h) const;

 private:
  struct ClassStats {
    sim::Histogram ttft_s, tpot_s, e2e_s;
    double network_ms_sum = 0.0;
    std::uint64_t requests = 0, completed = 0, dropped = 0, lost = 0, slo_met = 0;
    std::array<std::uint64_t, serving::kDropReasons> dropped_by_reason{};
    double input_tokens = 0.0, output_tokens = 0.0;
    double prompt_tokens_sum = 0.0;   // over the requests sent
    std::uint64_t cache_lookups = 0, cache_hits = 0;
    std::vector<std::uint64_t> routed_by_origin, spilled_by_origin;
    std::uint64_t prefix_hits = 0;
    double routed_prompt_tokens = 0.0, prefix_cached_tokens = 0.0;
    double cache_tokens_saved = 0.0;
    std::int32_t prompt_tokens_max = 0;
    std::array<std::uint64_t, serving::kOverflowReasons> overflowed_by_reason{};
    double overflow_usd = 0.0;
    std::vector<sim::Histogram> interval_metric_s;  // the SLO metric per time-series interval
    std::size_t requests_column = 0, slo_column = 0;
  };

  std::pair<double, double> token_totals() const;  // input, output

  const scenario::Scenario& s_;
  sim::TimeSeries& series_;
  std::vector<ClassStats> stats_;
};

}  // namespace capstan::report
