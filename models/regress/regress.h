#pragma once
// Forecast regression: a baseline file records what a scenario forecast
// (cost KPIs, each ledger category, each class's SLO attainment and latency
// percentiles) replication by replication; a check re-runs the scenario as
// the baseline was made and tells, figure by figure, whether it moved.
//
// A figure drifts when its change is statistically significant and larger
// than its practical tolerance (relative, by kind of figure or per figure).
// Significance: a paired t test on the replications' differences when the
// re-run uses the baseline's seed and replication count (common random
// numbers pair replication k with replication k), Welch's t test on the two
// sets of replications otherwise; Holm's step-down correction over the
// figures of one baseline keeps its false-alarm rate at the level. A figure
// every replication gives exactly (sd 0 on both sides) is significant as
// soon as it differs, and its tolerance alone decides. docs/ci.md explains
// the choices.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace capstan::regress {

enum class Kind { kCost, kLatency, kAttainment };
const char* kind_name(Kind k);
// Whether report.json's figure at `pointer` is one a baseline guards, and its kind.
std::optional<Kind> guarded(const std::string& pointer);

struct Tolerance {
  double cost = 0.02;        // relative
  double latency = 0.05;
  double attainment = 0.02;
  std::map<std::string, double> by_figure;  // JSON pointer -> relative tolerance
  double of(const std::string& pointer, Kind kind) const;
};

struct BaselineFigure {
  double mean = 0.0;
  double ci_low = 0.0, ci_high = 0.0;
  std::vector<double> replications;
};

struct Baseline {
  std::string path;                   // of the baseline file
  std::string scenario;               // as written: relative to the baseline file's directory
  std::optional<std::uint64_t> seed;  // absent: the scenario's
  std::optional<int> replications;    // absent: the scenario's
  std::vector<std::string> overrides;
  double level = 0.01;                // significance level of the check (family-wise, per baseline)
  Tolerance tolerance;
  nlohmann::json manifest;            // of the run that made it; null before the first --update
  std::vector<std::pair<std::string, BaselineFigure>> figures;  // in report order

  std::string scenario_path() const;  // resolved
};

// Every *.baseline.json under `dir` (recursively), in path order; none when
// `dir` is not a directory.
std::vector<std::string> find_baselines(const std::string& dir);

// Reads a baseline file: untrusted input, errors as input::InputError with
// the file and the JSON pointer. A file with no figures yet is valid (for --update).
Baseline read_baseline(const std::string& path);
std::string baseline_json(const Baseline& b);  // the file's text
// Writes baseline_json(b) to b.path through a temporary file and a rename.
void write_baseline(const Baseline& b);

struct Options {
  std::vector<std::string> overrides;  // --set: applied on top of the baseline's
  std::optional<std::uint64_t> seed;   // re-run with this seed instead of the baseline's
  std::optional<double> level;         // instead of the baseline's
  int threads = 0;
};

struct Row {
  std::string figure;  // JSON pointer
  Kind kind = Kind::kCost;
  double baseline = 0.0, now = 0.0;
  double baseline_low = 0.0, baseline_high = 0.0, now_low = 0.0, now_high = 0.0;
  double change = 0.0;     // relative; +-inf from 0
  double p_value = 1.0;
  bool significant = false;  // after Holm's correction
  double tolerance = 0.0;
  std::string verdict;     // "ok", "within tolerance", "drift", "missing", "new"
};

struct Comparison {
  std::string baseline_path;
  std::string scenario;             // its name
  std::string cause;                // "none", "model", "scenario"
  std::string explanation;          // one sentence on what changed
  std::string test;                 // "paired t" or "Welch t"
  double level = 0.0;
  std::vector<Row> rows;
  bool drifted = false;
};

// Re-runs the baseline's scenario and compares. Throws input::InputError on
// bad input (the scenario, --set), std::runtime_error when the baseline has
// no figures.
Comparison compare(const Baseline& baseline, const Options& options);
// Re-measures: the same baseline with the manifest and figures of a new run.
// The options' overrides join the baseline's own (they are recorded in it).
Baseline update(Baseline baseline, const Options& options);

std::string format_table(const std::vector<Comparison>& comparisons);
std::string format_markdown(const std::vector<Comparison>& comparisons);
nlohmann::json to_json(const std::vector<Comparison>& comparisons);

// The p-value of a two-sided test that two sets of replications share their
// mean: paired (equal sizes, replication k with k) or Welch's.
double paired_p_value(const std::vector<double>& before, const std::vector<double>& after);
double welch_p_value(const std::vector<double>& before, const std::vector<double>& after);
// Holm's step-down: which of `p_values` are significant at family-wise `level`.
std::vector<bool> holm(const std::vector<double>& p_values, double level);

}  // namespace capstan::regress
