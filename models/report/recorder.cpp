#include "models/report/recorder.h"

#include <algorithm>
#include <limits>
#include <string>

namespace capstan::report {

namespace {
using scenario::Slo;

// A figure with nothing to measure: null in report.json, empty in CSV.
constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

// The q-quantile in ms, or missing when the histogram is empty.
double empty_or_ms(const sim::Histogram& h, double q) { return h.count() ? 1000.0 * h.quantile(q) : kMissing; }

double slo_metric_s(Slo::Metric m, double ttft_s, double tpot_s, double e2e_s) {
  switch (m) {
    case Slo::Metric::kTtft: return ttft_s;
    case Slo::Metric::kTpot: return tpot_s;
    case Slo::Metric::kE2e: return e2e_s;
  }
  return e2e_s;
}

const char* metric_name(Slo::Metric m) {
  return m == Slo::Metric::kTtft ? "ttft" : m == Slo::Metric::kTpot ? "tpot" : "e2e";
}
}  // namespace

Recorder::Recorder(const scenario::Scenario& scenario, sim::TimeSeries& series)
    : s_(scenario), series_(series), stats_(scenario.classes.size()) {
  for (std::size_t c = 0; c < s_.classes.size(); ++c) {
    stats_[c].requests_column = series.add_column("requests_" + s_.classes[c].name, sim::TimeSeries::Kind::kSum);
    stats_[c].interval_metric_s.assign(series.intervals(), sim::Histogram(0.01, 1e-5, 1e5));
    stats_[c].routed_by_origin.assign(s_.workload.origins.size(), 0);
    stats_[c].spilled_by_origin.assign(s_.workload.origins.size(), 0);
  }
  for (std::size_t c = 0; c < s_.classes.size(); ++c) {
    const auto& cls = s_.classes[c];
    stats_[c].slo_column = series_.add_column(std::string("p") + std::to_string(static_cast<int>(cls.slo.percentile)) +
                                                  "_" + metric_name(cls.slo.metric) + "_ms_" + cls.name,
                                              sim::TimeSeries::Kind::kSampleMean);
  }
}

void Recorder::request_sent(std::uint32_t cls, sim::Time at, std::int32_t prompt_tokens) {
  ++stats_[cls].requests;
  stats_[cls].prompt_tokens_sum += prompt_tokens;
  stats_[cls].prompt_tokens_max = std::max(stats_[cls].prompt_tokens_max, prompt_tokens);
  series_.record(stats_[cls].requests_column, at, 1.0);
}

void Recorder::answered(const Answer& a) {
  const auto& c = s_.classes[a.cls];
  auto& st = stats_[a.cls];
  ++st.completed;
  st.ttft_s.record(a.ttft_s);
  if (a.output_tokens > 1) st.tpot_s.record(a.tpot_s);
  st.e2e_s.record(a.e2e_s);
  st.network_ms_sum += a.network_ms;
  st.input_tokens += a.input_tokens;
  st.output_tokens += a.output_tokens;
  const double metric_s = slo_metric_s(c.slo.metric, a.ttft_s, a.tpot_s, a.e2e_s);
  if (metric_s * 1000.0 <= c.slo.threshold_ms) ++st.slo_met;
  const auto interval = static_cast<std::size_t>(a.sent / series_.interval());
  if (interval < st.interval_metric_s.size()) st.interval_metric_s[interval].record(metric_s);
}

void Recorder::dropped(std::uint32_t cls, serving::DropReason reason) {
  ++stats_[cls].dropped;
  ++stats_[cls].dropped_by_reason[static_cast<std::size_t>(reason)];
}

void Recorder::overflowed(std::uint32_t cls, serving::OverflowReason reason) {
  ++stats_[cls].overflowed_by_reason[static_cast<std::size_t>(reason)];
}

void Recorder::lost(std::uint32_t cls) { ++stats_[cls].lost; }

void Recorder::routed(std::uint32_t cls, std::uint32_t origin, bool spilled, std::int32_t prompt_tokens) {
  auto& st = stats_[cls];
  ++st.routed_by_origin[origin];
  if (spilled) ++st.spilled_by_origin[origin];
  st.routed_prompt_tokens += prompt_tokens;
}

void Recorder::prefix_found(std::uint32_t cls, std::int32_t cached_tokens) {
  auto& st = stats_[cls];
  st.prefix_cached_tokens += cached_tokens;
  if (cached_tokens > 0) ++st.prefix_hits;
}

void Recorder::cache_lookup(std::uint32_t cls, bool hit, std::int32_t tokens) {
  auto& st = stats_[cls];
  ++st.cache_lookups;
  if (hit) {
    ++st.cache_hits;
    st.cache_tokens_saved += tokens;
  }
}

void Recorder::close_series() {
  for (std::size_t i = 0; i < series_.intervals(); ++i) {
    const sim::Time from = static_cast<sim::Time>(i) * series_.interval();
    for (std::size_t c = 0; c < stats_.size(); ++c) {
      const auto& h = stats_[c].interval_metric_s[i];
      if (h.count() > 0) {
        series_.record(stats_[c].slo_column, from, 1000.0 * h.quantile(s_.classes[c].slo.percentile / 100.0));
      }
    }
  }
}

double Recorder::completed() const {
  double n = 0.0;
  for (const auto& st : stats_) n += static_cast<double>(st.completed);
  return n;
}

std::pair<double, double> Recorder::token_totals() const {
  double input = 0.0, output = 0.0;
  for (const auto& st : stats_) {
    input += st.input_tokens;
    output += st.output_tokens;
  }
  return {input, output};
}

double Recorder::tokens() const {
  const auto [input, output] = token_totals();
  return input + output;
}

void Recorder::add_class_figures(world::Figures& f) const {
  for (std::size_t c = 0; c < stats_.size(); ++c) {
    const auto& cls = s_.classes[c];
    const auto& st = stats_[c];
    const std::string base = world::pointer("/classes", cls.name);
    f.add(base + "/requests", static_cast<double>(st.requests));
    f.add(base + "/completed", static_cast<double>(st.completed));
    f.add(base + "/dropped", static_cast<double>(st.dropped));
    for (int k = 0; k < serving::kDropReasons; ++k) {
      f.add(base + "/dropped_by_reason/" + serving::drop_reason_name(static_cast<serving::DropReason>(k)),
            static_cast<double>(st.dropped_by_reason[static_cast<std::size_t>(k)]));
    }
    f.add(base + "/lost", static_cast<double>(st.lost));
    const std::pair<const char*, const sim::Histogram*> metrics[] = {
        {"ttft", &st.ttft_s}, {"tpot", &st.tpot_s}, {"e2e", &st.e2e_s}};
    for (const auto& [name, h] : metrics) {
      // A class that completed nothing (or a metric no request had) has no
      // latency: its figures are missing (null in report.json), never 0.
      const std::string m = base + "/latency_ms/" + name;
      f.add(m + "/mean", h->count() ? 1000.0 * h->mean() : kMissing);
      f.add(m + "/p50", empty_or_ms(*h, 0.50));
      f.add(m + "/p90", empty_or_ms(*h, 0.90));
      f.add(m + "/p95", empty_or_ms(*h, 0.95));
      f.add(m + "/p99", empty_or_ms(*h, 0.99));
    }
    f.add(base + "/prompt_tokens_mean", st.requests ? st.prompt_tokens_sum / static_cast<double>(st.requests) : 0.0);
    f.add(base + "/prompt_tokens_max", static_cast<double>(st.prompt_tokens_max));
    if (cls.response_cache.enabled) {
      f.add(base + "/cache_hits", static_cast<double>(st.cache_hits));
      f.add(base + "/cache_hit_ratio",
            st.cache_lookups ? static_cast<double>(st.cache_hits) / static_cast<double>(st.cache_lookups) : 0.0);
      f.add(base + "/cache_tokens_saved", st.cache_tokens_saved);
    }
    if (!cls.overflow.empty()) {
      std::uint64_t overflowed = 0;
      for (int k = 0; k < serving::kOverflowReasons; ++k) {
        const auto n = st.overflowed_by_reason[static_cast<std::size_t>(k)];
        overflowed += n;
        f.add(base + "/overflow_by_reason/" + serving::overflow_reason_name(static_cast<serving::OverflowReason>(k)),
              static_cast<double>(n));
      }
      f.add(base + "/overflowed", static_cast<double>(overflowed));
      f.add(base + "/overflow_share",
            st.requests ? static_cast<double>(overflowed) / static_cast<double>(st.requests) : 0.0);
      f.add(base + "/overflow_cost_usd", st.overflow_usd);
    }
    // Requests served away from their nearest site, in all and per origin.
    std::uint64_t routed = 0, spilled = 0;
    for (std::size_t o = 0; o < st.routed_by_origin.size(); ++o) {
      routed += st.routed_by_origin[o];
      spilled += st.spilled_by_origin[o];
    }
    if (!s_.deployment(cls.deployment).hosted) {
      f.add(base + "/spilled", static_cast<double>(spilled));
      f.add(base + "/spill_share", routed ? static_cast<double>(spilled) / static_cast<double>(routed) : 0.0);
      for (std::size_t o = 0; o < st.routed_by_origin.size(); ++o) {
        const std::string at = base + world::pointer("/by_origin", s_.workload.origins[o].name);
        const auto n = st.routed_by_origin[o];
        f.add(at + "/routed", static_cast<double>(n));
        f.add(at + "/spill_share", n ? static_cast<double>(st.spilled_by_origin[o]) / static_cast<double>(n) : 0.0);
      }
    }
    f.add(base + "/network_ms_mean", st.completed ? st.network_ms_sum / static_cast<double>(st.completed) : kMissing);
    const double answered = static_cast<double>(st.completed + st.dropped + st.lost);
    f.add(base + "/slo/attainment", answered > 0 ? static_cast<double>(st.slo_met) / answered : 1.0);
    const sim::Histogram& mh = cls.slo.metric == Slo::Metric::kTtft   ? st.ttft_s
                               : cls.slo.metric == Slo::Metric::kTpot ? st.tpot_s
                                                                      : st.e2e_s;
    const double q_ms = empty_or_ms(mh, cls.slo.percentile / 100.0);
    f.add(base + "/slo/percentile_ms", q_ms);
    // Met: every request answered in time. A drop or a loss misses, and a
    // missing percentile (nothing completed) cannot meet a threshold; a class
    // with no request in the window has nothing to miss.
    const bool met = answered == 0 || (st.dropped == 0 && st.lost == 0 && q_ms <= cls.slo.threshold_ms);
    f.add(base + "/slo/met", met ? 1.0 : 0.0);
    // Share of intervals (with traffic, after the warm-up) in which the SLO held.
    double intervals = 0.0, held = 0.0;
    for (const auto& h : st.interval_metric_s) {
      if (h.count() == 0) continue;
      intervals += 1.0;
      if (1000.0 * h.quantile(cls.slo.percentile / 100.0) <= cls.slo.threshold_ms) held += 1.0;
    }
    f.add(base + "/slo/intervals_met_share", intervals > 0 ? held / intervals : 1.0);
  }
}

void Recorder::add_deployment_figures(world::Figures& f) const {
  for (const auto& dep : s_.deployments) {
    if (dep.hosted) continue;
    double routed = 0.0, hits = 0.0, prompt = 0.0, cached = 0.0;
    for (std::size_t c = 0; c < stats_.size(); ++c) {
      if (s_.classes[c].deployment != dep.name) continue;
      const auto& st = stats_[c];
      for (auto n : st.routed_by_origin) routed += static_cast<double>(n);
      hits += static_cast<double>(st.prefix_hits);
      prompt += st.routed_prompt_tokens;
      cached += st.prefix_cached_tokens;
    }
    const std::string base = world::pointer("/deployments", dep.name);
    f.add(base + "/prefix_cache_hit_ratio", routed > 0 ? hits / routed : 0.0);
    f.add(base + "/prefix_cache_token_share", prompt > 0 ? cached / prompt : 0.0);
  }
}

void Recorder::add_user_figures(world::Figures& f, double user_hours, double window_h) const {
  const auto [input, output] = token_totals();
  f.add("/users/user_hours", user_hours);
  f.add("/users/mean_concurrent", window_h > 0 ? user_hours / window_h : 0.0);
  f.add("/tokens/input_per_user_hour", user_hours > 0 ? input / user_hours : 0.0);
  f.add("/tokens/output_per_user_hour", user_hours > 0 ? output / user_hours : 0.0);
}

}  // namespace capstan::report
