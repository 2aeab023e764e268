// `capstan run` and `capstan validate`: a scenario file in; a report out.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/dask.h"
#include "cli/progress.h"
#include "models/api/api.h"
#include "models/input/write_files.h"
#include "models/input_error.h"
#include "models/scenario/load.h"

namespace capstan::cli {

namespace {
struct RunOptions {
  std::string scenario;
  std::string out_dir = "out";
  std::vector<std::string> overrides;
  std::optional<std::uint64_t> seed;
  std::optional<int> replications;
  int threads = 0;
  std::string max_memory;
  bool html = true;
  std::string requests_csv;
  std::string dask;  // a scheduler's address: the replications run there
};

int run_scenario(const RunOptions& o) {
  api::RunRequest request;
  request.scenario_path = o.scenario;
  request.overrides = o.overrides;
  request.seed = o.seed;
  request.replications = o.replications;
  request.threads = o.threads;
  if (!o.max_memory.empty()) request.max_memory_bytes = parse_memory(o.max_memory);
  Progress progress("replications");
  if (progress.enabled()) request.progress = [&progress](int done, int total) { progress.update(done, total); };
  request.log_requests = !o.requests_csv.empty();
  // All the work happens before anything is written: a failed run leaves no half-report. The output paths are
  // checked first, so that a bad one costs no simulation.
  const std::filesystem::path dir(o.out_dir);
  std::vector<std::filesystem::path> targets = {dir / "timeseries.csv", dir / "report.json"};
  if (!o.requests_csv.empty()) targets.emplace_back(o.requests_csv);
  if (o.html) targets.push_back(dir / "report.html");
  input::check_targets(targets);
  const api::RunOutput out = o.dask.empty() ? api::run(request) : run_on_dask(o.dask, {request}).front();
  progress.finish();
  input::make_output_dir(o.out_dir);
  std::vector<std::pair<std::filesystem::path, std::string>> files = {{dir / "timeseries.csv", out.timeseries_csv},
                                                                      {dir / "report.json", out.report_json}};
  if (!o.requests_csv.empty()) files.emplace_back(o.requests_csv, out.requests_csv);
  input::write_files(files);
  std::cout << out.summary << "\nwrote " << (std::filesystem::path(o.out_dir) / "report.json").string() << " and "
            << (std::filesystem::path(o.out_dir) / "timeseries.csv").string() << "\n"
            << std::flush;
  if (o.html) {
    run_python_plots("capstan.report_html",
                     {"run", (dir / "report.json").string(), (dir / "timeseries.csv").string(), "-o",
                      (dir / "report.html").string()},
                     "report.json", "report.html");
  }
  return 0;
}
}  // namespace

void print_error(const std::string& what) {
  std::size_t start = 0;
  while (true) {
    const std::size_t end = what.find('\n', start);
    // Each line valid UTF-8 without control characters, whatever a message from the system holds.
    std::cerr << "capstan: " << one_line(what.substr(start, end == std::string::npos ? end : end - start)) << "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

int guarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const InputError& e) {  // the scenario, or a profile it names
    print_error(e.what());
    return 2;
  } catch (const std::exception& e) {
    print_error(e.what());
    return 1;
  }
}

void add_run(CLI::App& app, int& exit_code) {
  static RunOptions o;
  auto* cmd = app.add_subcommand("run", "Simulate a scenario and write report.json and timeseries.csv");
  cmd->add_option("scenario", o.scenario, "Scenario file (JSON)")->required();
  cmd->add_option("-o,--out", o.out_dir, "Output directory")->capture_default_str();
  cmd->add_option("--set", o.overrides, "Override a field: key.path=value (repeatable)")
      ->allow_extra_args(false);  // one key=value an occurrence: the positionals after it stay positionals
  cmd->add_option("--seed", o.seed, "Master seed (default: the scenario's)")->check(seed_check());
  cmd->add_option("--replications", o.replications, "Independent replications (default: the scenario's)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--threads", o.threads, "Threads for replications (0: all cores)")->check(CLI::Range(0, 1024));
  cmd->add_flag("!--no-html", o.html, "Write report.json and timeseries.csv only, no report.html");
  cmd->add_option("--requests-csv", o.requests_csv,
                  "Also write one row per request sent after the warm-up (times, tokens, cached prefix, outcome) here");
  cmd->add_option("--max-memory", o.max_memory,
                  "Refuse a run whose estimated peak memory is over this (e.g. 16G; default: half the machine's)")
      ->check(memory_check());
  cmd->add_option("--dask", o.dask,
                  "Run each replication as a task on this Dask scheduler (tcp://host:8786); same results as locally");
  cmd->callback([&exit_code] { exit_code = guarded([] { return run_scenario(o); }); });
}

void add_validate(CLI::App& app, int& exit_code) {
  static std::string path;
  static std::vector<std::string> overrides;
  static std::string max_memory;
  auto* cmd = app.add_subcommand("validate", "Check a scenario without running it");
  cmd->add_option("scenario", path, "Scenario file (JSON)")->required();
  cmd->add_option("--set", overrides, "Override a field: key.path=value (repeatable)")
      ->allow_extra_args(false);  // one key=value an occurrence: the positionals after it stay positionals
  cmd->add_option("--max-memory", max_memory,
                  "Refuse a scenario whose run would need more memory than this (default: half the machine's)")
      ->check(memory_check());
  cmd->callback([&exit_code] {
    exit_code = guarded([] {
      api::RunRequest request;
      request.scenario_path = path;
      request.overrides = overrides;
      if (!max_memory.empty()) request.max_memory_bytes = parse_memory(max_memory);
      api::validate(request);
      std::cout << path << ": valid\n";
      return 0;
    });
  });
}

}  // namespace capstan::cli
