#include "models/api/sweep.h"

#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>

namespace capstan::api {

namespace {

using nlohmann::json;
using Row = std::vector<std::pair<std::string, json>>;

// The per-entry figures a sweep keeps, in column order.
const std::vector<std::string> kClassFigures = {
    "requests",        "completed",     "dropped",        "lost",           "ttft_p50_ms",        "ttft_p95_ms",
    "ttft_p99_ms",     "tpot_p95_ms",   "e2e_p50_ms",     "e2e_p95_ms",     "e2e_p99_ms",         "network_ms_mean",
    "prompt_tokens_mean", "prompt_tokens_max", "slo_attainment", "slo_percentile_ms", "slo_threshold_ms"};
const std::vector<std::string> kSiteFigures = {"gpu_utilization", "kv_occupancy", "queue_length_mean", "replicas",
                                               "preemptions"};
const std::vector<std::string> kPoolFigures = {"gpu_hours",         "ready_gpus_mean", "interruptions",
                                               "cold_starts",       "requests_migrated", "requests_lost",
                                               "requests_dropped",  "fallback_gpu_hours"};
const std::vector<std::string> kRunSections = {"cost", "tokens", "users", "requests"};
constexpr std::string_view kCi = "_ci95";

std::string join(const std::vector<std::string>& path, const char* sep) {
  std::string out;
  for (const auto& p : path) out += (out.empty() ? "" : sep) + p;
  return out;
}

// ("latency_ms", "ttft", "p95") -> "ttft_p95_ms"; ("slo", "attainment") -> "slo_attainment".
std::string entry_column(const std::vector<std::string>& path) {
  if (path.size() == 3 && path[0] == "latency_ms") return path[1] + "_" + path[2] + "_ms";
  return join(path, "_");
}

// One report entry flat; "X_ci95": [low, high] becomes X_ci95_low and X_ci95_high.
void flatten(const json& entry, std::vector<std::string> prefix, bool dotted, Row& out) {
  auto name = [&](std::vector<std::string> path) { return dotted ? join(path, ".") : entry_column(path); };
  for (const auto& [key, value] : entry.items()) {
    if (key.size() > kCi.size() && key.compare(key.size() - kCi.size(), kCi.size(), kCi) == 0 && value.is_array() &&
        value.size() == 2) {
      auto path = prefix;
      path.push_back(key.substr(0, key.size() - kCi.size()));
      const std::string base = name(path);
      out.emplace_back(base + "_ci95_low", value[0]);
      out.emplace_back(base + "_ci95_high", value[1]);
    } else if (value.is_object()) {
      auto path = prefix;
      path.push_back(key);
      flatten(value, path, dotted, out);
    } else {
      auto path = prefix;
      path.push_back(key);
      out.emplace_back(name(path), value);
    }
  }
}

void keep(const json& entry, const std::vector<std::string>& figures, const std::string& prefix, Row& out) {
  Row flat;
  flatten(entry, {}, false, flat);
  std::map<std::string, const json*> by_name;
  for (const auto& [k, v] : flat) by_name.emplace(k, &v);
  for (const auto& f : figures) {
    for (const std::string& column : {f, f + "_ci95_low", f + "_ci95_high"}) {
      const auto it = by_name.find(column);
      if (it != by_name.end()) out.emplace_back(prefix + "." + column, *it->second);
    }
  }
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_value(const json& v) {
  if (v.is_number()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v.get<double>());
    return buf;
  }
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_string()) return csv_field(v.get<std::string>());
  if (v.is_null()) return "";
  return csv_field(v.dump());
}

}  // namespace

std::vector<std::pair<std::string, json>> sweep_figures(const json& report) {
  Row row;
  const json& manifest = report.contains("manifest") ? report["manifest"] : json::object();
  row.emplace_back("seed", manifest.value("seed", json()));
  row.emplace_back("replications", manifest.value("replications", json()));
  for (const auto& section : kRunSections) {
    if (!report.contains(section)) continue;
    json entries = report[section];
    if (entries.is_object()) entries.erase("breakdown_usd");
    flatten(entries, {section}, true, row);
  }
  const std::pair<const char*, const std::vector<std::string>*> parts[] = {
      {"classes", &kClassFigures}, {"sites", &kSiteFigures}, {"pools", &kPoolFigures}};
  for (const auto& [section, figures] : parts) {
    if (!report.contains(section)) continue;
    for (const auto& [name, entry] : report[section].items()) keep(entry, *figures, name, row);
  }
  return row;
}

SweepOutput sweep(const SweepRequest& request) {
  if (request.grid.empty()) throw std::invalid_argument("a sweep needs at least one --grid axis");
  std::vector<std::vector<std::string>> points{{}};
  for (const auto& axis : request.grid) {
    if (axis.values.empty()) throw std::invalid_argument("--grid " + axis.key + " has no values");
    std::vector<std::vector<std::string>> next;
    for (const auto& head : points) {
      for (const auto& v : axis.values) {
        auto p = head;
        p.push_back(axis.key + "=" + v);
        next.push_back(std::move(p));
      }
    }
    points = std::move(next);
  }
  auto request_for = [&](const std::vector<std::string>& point) {
    RunRequest r = request.base;
    r.overrides.insert(r.overrides.end(), point.begin(), point.end());
    return r;
  };
  for (const auto& point : points) validate(request_for(point));  // every point before any runs

  std::vector<std::string> columns;
  std::set<std::string> seen;
  for (const auto& axis : request.grid) {
    columns.push_back(axis.key);
    seen.insert(axis.key);
  }
  std::vector<std::map<std::string, std::string>> rows;
  const int total = static_cast<int>(points.size());
  std::vector<std::string> reports;
  if (request.runner) {
    std::vector<RunRequest> all;
    for (const auto& point : points) all.push_back(request_for(point));
    reports = request.runner(all);
    if (reports.size() != all.size()) throw std::runtime_error("the sweep's runner returned the wrong number of reports");
  }
  for (int i = 0; i < total; ++i) {
    std::string report_json;
    if (request.runner) {
      report_json = std::move(reports[static_cast<std::size_t>(i)]);
    } else {
      RunRequest r = request_for(points[static_cast<std::size_t>(i)]);
      if (request.progress) r.progress = [&, i](int done, int reps) { request.progress(i, total, done, reps); };
      report_json = run(r).report_json;
    }
    std::map<std::string, std::string> row;
    for (std::size_t k = 0; k < request.grid.size(); ++k) {
      const std::string& ov = points[static_cast<std::size_t>(i)][k];
      row[request.grid[k].key] = csv_field(ov.substr(ov.find('=') + 1));
    }
    for (const auto& [column, value] : sweep_figures(json::parse(report_json))) {
      if (seen.insert(column).second) columns.push_back(column);
      row[column] = csv_value(value);
    }
    rows.push_back(std::move(row));
  }
  SweepOutput out;
  out.points = total;
  out.csv = "point";
  for (const auto& c : columns) out.csv += "," + csv_field(c);
  out.csv += "\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out.csv += std::to_string(i);
    for (const auto& c : columns) {
      const auto it = rows[i].find(c);
      out.csv += "," + (it == rows[i].end() ? std::string() : it->second);
    }
    out.csv += "\n";
  }
  out.columns = std::move(columns);
  out.rows = std::move(rows);
  return out;
}

}  // namespace capstan::api
