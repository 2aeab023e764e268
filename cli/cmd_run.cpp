// `capstan run` and `capstan validate`: a scenario file in; a report out.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "models/api/api.h"
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
};

// Writes `text` to dir/name through a temporary file and a rename, so a
// reader never sees half a file.
void write_atomically(const std::filesystem::path& dir, const std::string& name, const std::string& text) {
  const auto tmp = dir / (name + ".tmp");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f.flush()) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, dir / name);
}

int run_scenario(const RunOptions& o) {
  api::RunRequest request;
  request.scenario_path = o.scenario;
  request.overrides = o.overrides;
  request.seed = o.seed;
  request.replications = o.replications;
  request.threads = o.threads;
  if (isatty(STDERR_FILENO)) {
    request.progress = [](int done, int total) {
      std::fprintf(stderr, "\rcapstan: replication %d of %d done", done, total);
      if (done == total) std::fprintf(stderr, "\n");
    };
  }
  // All the work happens before anything is written: a failed run leaves no half-report.
  const api::RunOutput out = api::run(request);
  std::filesystem::create_directories(o.out_dir);
  write_atomically(o.out_dir, "timeseries.csv", out.timeseries_csv);
  write_atomically(o.out_dir, "report.json", out.report_json);
  std::cout << out.summary << "\nwrote " << (std::filesystem::path(o.out_dir) / "report.json").string() << " and "
            << (std::filesystem::path(o.out_dir) / "timeseries.csv").string() << "\n";
  return 0;
}
}  // namespace

int guarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const InputError& e) {  // the scenario, or a profile it names
    std::cerr << "capstan: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "capstan: " << e.what() << "\n";
    return 1;
  }
}

void add_run(CLI::App& app, int& exit_code) {
  static RunOptions o;
  auto* cmd = app.add_subcommand("run", "Simulate a scenario and write report.json and timeseries.csv");
  cmd->add_option("scenario", o.scenario, "Scenario file (JSON)")->required();
  cmd->add_option("-o,--out", o.out_dir, "Output directory")->capture_default_str();
  cmd->add_option("--set", o.overrides, "Override a field: key.path=value (repeatable)");
  cmd->add_option("--seed", o.seed, "Master seed (default: the scenario's)")->check(seed_check());
  cmd->add_option("--replications", o.replications, "Independent replications (default: the scenario's)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--threads", o.threads, "Threads for replications (0: all cores)")->check(CLI::Range(0, 1024));
  cmd->callback([&exit_code] { exit_code = guarded([] { return run_scenario(o); }); });
}

void add_validate(CLI::App& app, int& exit_code) {
  static std::string path;
  static std::vector<std::string> overrides;
  auto* cmd = app.add_subcommand("validate", "Check a scenario without running it");
  cmd->add_option("scenario", path, "Scenario file (JSON)")->required();
  cmd->add_option("--set", overrides, "Override a field: key.path=value (repeatable)");
  cmd->callback([&exit_code] {
    exit_code = guarded([] {
      api::RunRequest request;
      request.scenario_path = path;
      request.overrides = overrides;
      api::validate(request);
      std::cout << path << ": valid\n";
      return 0;
    });
  });
}

}  // namespace capstan::cli
