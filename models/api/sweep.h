#pragma once
// Sweeps: a scenario run at every point of a grid of overrides, one row of
// figures per point. The figures a row keeps are defined once, here, for the
// command line (`capstan sweep`, sweep.csv) and the Python package
// (capstan.sweep, which runs points locally or as Dask tasks).
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/api/api.h"

namespace capstan::api {

// The figures a sweep keeps from one report.json, as (column, value) in
// column order: seed and replications; the cost (without its breakdown),
// tokens, users and requests sections as "<section>.<figure>"; per class
// "<class>.<figure>" (requests, completed, dropped, lost, latency
// percentiles as ttft_p50_ms..., network_ms_mean, prompt tokens, SLO
// attainment, percentile and threshold); per site and per pool their
// utilisation and lifecycle figures. With replications, each figure X has
// X_ci95_low and X_ci95_high beside it.
std::vector<std::pair<std::string, nlohmann::json>> sweep_figures(const nlohmann::json& report);

struct SweepAxis {
  std::string key;                  // an override path, "workload.peak_users"
  std::vector<std::string> values;  // each parsed as --set parses a value
};

struct SweepRequest {
  RunRequest base;                  // scenario, overrides at every point, seed, replications, threads
  std::vector<SweepAxis> grid;      // points: the cartesian product, the first axis varying slowest
  // Called after each replication: (points done, points, replications done in this point, replications).
  std::function<void(int, int, int, int)> progress;
  // When set, runs every point's request at once (elsewhere: a Dask cluster)
  // and returns each point's report.json text in order; progress is then not called.
  std::function<std::vector<std::string>(const std::vector<RunRequest>&)> runner;
};

struct SweepOutput {
  std::string csv;   // sweep.csv: the keys, then the figures; one row per point
  int points = 0;
  // The same, not yet written out: the columns in order, and each point's
  // cells by column (as sweep.csv holds them; a column a point lacks is absent).
  std::vector<std::string> columns;
  std::vector<std::map<std::string, std::string>> rows;
};

// Validates every point before running any; every point runs with the same
// seed (common random numbers). Throws as run() does.
SweepOutput sweep(const SweepRequest& request);

}  // namespace capstan::api
