#include "models/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "capstan/version.h"
#include "models/world/figures.h"
#include "sim/estimate.h"

namespace capstan::report {

namespace {
using nlohmann::json;

const char* metric_name(scenario::Slo::Metric m) {
  using M = scenario::Slo::Metric;
  return m == M::kTtft ? "ttft" : m == M::kTpot ? "tpot" : "e2e";
}

// Doubles print in full, but a NaN or infinity (never expected) must not break the JSON.
double finite(double x) { return std::isfinite(x) ? x : 0.0; }

// A time in a table cell: "12.3ms", or "-" where the figure is missing (null).
std::string ms_cell(const json& v) {
  if (!v.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%7.1fms", v.get<double>());
  return buf;
}
}  // namespace

json build(const world::Prepared& prepared, const std::vector<world::ReplicationResult>& runs, std::uint64_t seed) {
  const auto& s = prepared.scenario;
  json r;
  r["schema_version"] = kSchemaVersion;
  r["manifest"] = {
      {"capstan_version", kVersion},
      {"scenario", s.name},
      {"scenario_sha256", s.sha256},
      {"seed", seed},
      {"replications", runs.size()},
      {"duration_h", s.simulation.duration_h},
      {"warmup_h", s.simulation.warmup_h},
      {"service_time_model", prepared.service_time_kinds()},
      {"service_time_profiles", prepared.service_time_sources()},
      {"mode", s.simulation.step_by_step ? "step_by_step" : "event_per_batch_change"},
  };
  for (const auto& c : s.classes) {
    r["classes"][c.name]["slo"] = {{"metric", metric_name(c.slo.metric)},
                                   {"threshold_ms", c.slo.threshold_ms},
                                   {"percentile", c.slo.percentile}};
    r["classes"][c.name]["deployment"] = c.deployment;
  }
  for (const auto& site : s.sites) {
    for (const auto& pool : site.pools) {
      json& p = r["pools"][site.name + "/" + pool.name];
      p["capacity"] = catalog::basis_name(pool.basis);
      p["instance"] = pool.instance.empty() ? json(nullptr) : json(pool.instance_spec.api_name);
      if (!pool.instance_note.empty()) p["instance_note"] = pool.instance_note;
      p["gpus_per_node"] = pool.gpus_per_node;
      p["replicas_per_node"] = pool.replicas_per_node;
      p["usd_per_node_hour"] = pool.usd_per_node_hour;
    }
  }
  r["fleet"] = {{"gpus", prepared.fleet_gpus}, {"replicas", prepared.fleet_replicas}, {"nodes", prepared.fleet_nodes}};
  for (int b = 0; b < catalog::kBases; ++b) {
    r["fleet"][std::string(catalog::basis_name(static_cast<catalog::Basis>(b))) + "_usd_per_hour"] =
        prepared.fleet_usd_per_hour[b];
  }
  // Figures come in the same order from every replication.
  // A figure missing from a replication (a latency where nothing completed)
  // is estimated over the replications that have it, and is null where none has.
  const auto& first = runs.front().figures.values;
  std::vector<double> samples;
  samples.reserve(runs.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    samples.clear();
    for (const auto& run : runs) {
      const double x = run.figures.values[i].second;
      if (!std::isnan(x)) samples.push_back(x);
    }
    const json::json_pointer ptr(first[i].first);
    if (samples.empty()) {
      r[ptr] = nullptr;
      if (runs.size() > 1) r[ptr.parent_pointer()][ptr.back() + "_ci95"] = json::array({nullptr, nullptr});
      continue;
    }
    const sim::Estimate e = sim::estimate(samples);
    r[ptr] = finite(e.mean);
    if (runs.size() > 1) {
      // A t interval of a share near 1 or a count near 0 can pass its range: clipped to it.
      const world::FigureRange range = world::figure_range(first[i].first);
      r[ptr.parent_pointer()][ptr.back() + "_ci95"] =
          json::array({finite(range.clip(e.low)), finite(range.clip(e.high))});
    }
  }
  double arrived = 0, completed = 0, dropped = 0, lost = 0, in_flight = 0, events = 0, sessions = 0;
  for (const auto& run : runs) {
    arrived += static_cast<double>(run.arrived);
    completed += static_cast<double>(run.completed);
    dropped += static_cast<double>(run.dropped);
    lost += static_cast<double>(run.lost);
    in_flight += static_cast<double>(run.in_flight);
    events += static_cast<double>(run.events);
    sessions += static_cast<double>(run.sessions);
  }
  const double n = static_cast<double>(runs.size());
  // Whole run, warm-up included: arrived = completed + dropped + lost + in_flight holds in each replication.
  r["requests"] = {{"arrived", arrived / n},     {"completed", completed / n}, {"dropped", dropped / n},
                   {"lost", lost / n},           {"in_flight", in_flight / n}, {"sessions", sessions / n},
                   {"events", events / n}};
  return r;
}

void SeriesMerger::add(int replication, sim::TimeSeries series) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_[static_cast<std::size_t>(replication)] = std::move(series);
  for (; next_ < pending_.size() && pending_[next_]; ++next_) {
    if (merged_) {
      merged_->merge(*pending_[next_]);
    } else {
      merged_ = std::move(*pending_[next_]);
    }
    pending_[next_].reset();
  }
}

std::string timeseries_csv(const sim::TimeSeries& merged) {
  const double n = static_cast<double>(merged.replications());
  const double interval_h = sim::to_seconds(merged.interval()) / 3600.0;
  std::ostringstream out;
  out << "minute";
  for (const auto& name : merged.columns()) out << ',' << (name == "cost_usd" ? "cost_usd_per_hour" : name);
  out << '\n';
  char buf[64];
  for (std::size_t i = 0; i < merged.intervals(); ++i) {
    std::snprintf(buf, sizeof buf, "%.6g", sim::to_seconds(static_cast<sim::Time>(i) * merged.interval()) / 60.0);
    out << buf;
    for (std::size_t c = 0; c < merged.columns().size(); ++c) {
      double v = merged.value(c, i);
      if (merged.kind(c) != sim::TimeSeries::Kind::kSampleMean) v /= n;  // sums over replications
      if (merged.columns()[c] == "cost_usd") v /= interval_h;
      out << ',';
      if (std::isnan(v)) continue;  // missing (a percentile of a minute with no request): an empty field
      std::snprintf(buf, sizeof buf, "%.6g", v);
      out << buf;
    }
    out << '\n';
  }
  return out.str();
}

std::string summary_table(const json& r) {
  std::ostringstream out;
  char line[512];
  const auto& m = r["manifest"];
  std::snprintf(line, sizeof line, "%s: %.3g h simulated (%.3g h warm-up), %d replication(s), seed %llu, service times: %s\n\n",
                m["scenario"].get<std::string>().c_str(), m["duration_h"].get<double>(), m["warmup_h"].get<double>(),
                m["replications"].get<int>(), static_cast<unsigned long long>(m["seed"].get<std::uint64_t>()),
                m["service_time_model"].get<std::string>().c_str());
  out << line;
  // Name columns as wide as their longest name, so long names keep the columns in line.
  auto width = [](const json& section, int least) {
    int w = least;
    for (const auto& item : section.items()) w = std::max(w, static_cast<int>(item.key().size()));
    return std::min(w, 120);
  };
  const int cw = width(r["classes"], 14);
  std::snprintf(line, sizeof line, "%-*s %10s %8s %9s %9s %9s %9s  %-24s %8s\n", cw, "class", "requests", "dropped",
                "ttft p50", "ttft p95", "e2e p95", "net mean", "SLO", "attained");
  out << line;
  for (const auto& [name, c] : r["classes"].items()) {
    const auto& slo = c["slo"];
    char target[64];
    std::snprintf(target, sizeof target, "%s p%g <= %g ms", slo["metric"].get<std::string>().c_str(),
                  slo["percentile"].get<double>(), slo["threshold_ms"].get<double>());
    std::snprintf(line, sizeof line, "%-*s %10.0f %8.0f %9s %9s %9s %9s  %-24s %7.2f%%\n", cw, name.c_str(),
                  c["requests"].get<double>(), c["dropped"].get<double>(), ms_cell(c["latency_ms"]["ttft"]["p50"]).c_str(),
                  ms_cell(c["latency_ms"]["ttft"]["p95"]).c_str(), ms_cell(c["latency_ms"]["e2e"]["p95"]).c_str(),
                  ms_cell(c["network_ms_mean"]).c_str(), target, 100.0 * slo["attainment"].get<double>());
    out << line;
  }
  out << '\n';
  // A scenario served only by hosted APIs has no sites.
  const json no_sites = json::object();
  const json& sites = r.contains("sites") ? r["sites"] : no_sites;
  const int sw = width(sites, 22);
  if (!sites.empty()) {
    std::snprintf(line, sizeof line, "%-*s %8s %9s %10s %8s %12s\n", sw, "site", "replicas", "GPU busy", "batch fill",
                  "KV occ", "queue mean");
    out << line;
  }
  for (const auto& [name, s] : sites.items()) {
    std::snprintf(line, sizeof line, "%-*s %8.0f %8.1f%% %9.1f%% %7.1f%% %12.2f\n", sw, name.c_str(),
                  s["replicas"].get<double>(), 100.0 * s["gpu_utilization"].get<double>(),
                  100.0 * s["batch_occupancy"].get<double>(), 100.0 * s["kv_occupancy"].get<double>(),
                  s["queue_length_mean"].get<double>());
    out << line;
  }
  if (!sites.empty()) {
    out << "(GPU busy: the share of time the replicas' GPUs run an iteration; batch fill: running sequences\n"
           " over max_running_seqs; KV occ: the KV cache in use. Busy with small batches is busy, not full.)\n";
  }
  if (r.contains("pools") && !r["pools"].empty()) {
    const int pw = width(r["pools"], 26);
    std::snprintf(line, sizeof line, "\n%-*s %-9s %10s %11s %13s %11s %9s %6s\n", pw, "pool", "capacity",
                  "GPU-hours", "ready GPUs", "interruptions", "cold starts", "migrated", "lost");
    out << line;
    for (const auto& [name, p] : r["pools"].items()) {
      std::snprintf(line, sizeof line, "%-*s %-9s %10.1f %11.2f %13.1f %11.1f %9.0f %6.0f\n", pw, name.c_str(),
                    p["capacity"].get<std::string>().c_str(), p["gpu_hours"].get<double>(),
                    p["ready_gpus_mean"].get<double>(), p["interruptions"].get<double>(),
                    p["cold_starts"].get<double>(), p["requests_migrated"].get<double>(),
                    p["requests_lost"].get<double>());
      out << line;
    }
  }
  const auto& cost = r["cost"];
  const auto& tok = r["tokens"];
  std::snprintf(line, sizeof line,
                "\nusers %.0f mean concurrent; tokens per user-hour %.0f in, %.0f out\n"
                "cost $%.2f total: $%.4f per user-hour, $%.6f per interaction, $%.3f per million tokens\n",
                r["users"]["mean_concurrent"].get<double>(), tok["input_per_user_hour"].get<double>(),
                tok["output_per_user_hour"].get<double>(), cost["total_usd"].get<double>(),
                cost["per_user_hour_usd"].get<double>(), cost["per_interaction_usd"].get<double>(),
                cost["per_million_tokens_usd"].get<double>());
  out << line;
  // Categories nothing was billed to are left out.
  out << "cost breakdown:";
  for (const auto& [k, v] : cost["breakdown_usd"].items()) {
    if (k.size() > 5 && k.compare(k.size() - 5, 5, "_ci95") == 0) continue;
    if (v.is_number() && v.get<double>() == 0.0) continue;
    std::snprintf(line, sizeof line, " %s $%.2f", k.c_str(), v.get<double>());
    out << line;
  }
  out << '\n';
  if (cost.contains("monthly")) {
    const auto& month = cost["monthly"];
    std::snprintf(line, sizeof line, "a month at the diurnal curve: $%.0f", month["total_usd"].get<double>());
    out << line;
    if (month.contains("per_1000_mau_usd")) {
      std::snprintf(line, sizeof line, ", $%.2f per 1,000 monthly active users", month["per_1000_mau_usd"].get<double>());
      out << line;
    }
    out << " (";
    bool first = true;
    for (const auto& [k, v] : month["breakdown_usd"].items()) {
      if (k.size() > 5 && k.compare(k.size() - 5, 5, "_ci95") == 0) continue;
      if (!v.is_number() || v.get<double>() == 0.0) continue;
      std::snprintf(line, sizeof line, "%s%s $%.0f", first ? "" : ", ", k.c_str(), v.get<double>());
      out << line;
      first = false;
    }
    out << ")\n";
  }
  return out.str();
}

}  // namespace capstan::report
