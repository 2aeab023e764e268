#pragma once
// The narrow facade every front end uses: the CLI, the Python bindings and
// the regression check. Only standard types cross it; reports travel as JSON
// text so that every front end reads the same value.
//
// Thread-safety: every function may be called from any thread; a run uses
// its own threads (`threads`, 0 = all cores) and shares nothing between calls.
// Errors: a bad scenario throws scenario::ScenarioError (see load.h); other
// failures throw std::runtime_error.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace capstan::api {

struct RunRequest {
  std::string scenario_path;               // read this file, or...
  std::string scenario_text;               // ...this JSON text when the path is empty
  std::string source_name = "<scenario>";  // names scenario_text in errors
  std::vector<std::string> overrides;      // "key.path=value"
  std::optional<std::uint64_t> seed;
  std::optional<int> replications;
  int threads = 0;
  // A run whose estimated peak memory is over this is refused (a
  // ScenarioError); unset: half the machine's memory (world/memory.h).
  std::optional<double> max_memory_bytes;
  // Called after each finished replication with (done, total); may be empty.
  std::function<void(int, int)> progress;
  // Keep a row per request (RunOutput::requests_csv).
  bool log_requests = false;
};

struct RunOutput {
  std::string report_json;     // report.json, schema_version 1
  std::string timeseries_csv;  // timeseries.csv
  std::string summary;         // the table the CLI prints
  std::string requests_csv;    // with log_requests: one row per request sent after the warm-up that ended, every replication
  // Every figure of report.json by its JSON pointer, with its value in each
  // replication (the report holds their mean and interval).
  std::vector<std::pair<std::string, std::vector<double>>> replication_figures;
};

// Validates and returns the scenario after overrides as canonical JSON text.
std::string validate(const RunRequest& request);
RunOutput run(const RunRequest& request);

// The same run split for other processes (Dask workers): each replication
// of the request, as bytes, and the run's output merged from them, in
// replication order. merge_replications(request, {run_replication(request, r)
// for r in 0..n-1}) equals run(request), bit for bit; replication r is the
// same in a run of any length, so the first k of n merge into the run of k.
// The bytes are checked against the scenario and seed, and must come in
// replication order; std::runtime_error on bytes that do not belong.
std::string run_replication(const RunRequest& request, int replication);
RunOutput merge_replications(const RunRequest& request, const std::vector<std::string>& replications);

}  // namespace capstan::api
