// `capstan regress`: re-run each baseline's scenario and tell which forecasts
// drifted. Exit 0 when none did, 1 on drift, 2 on bad input.
#include <algorithm>
#include <iostream>

#include "cli/commands.h"
#include "models/input_error.h"
#include "models/regress/regress.h"

namespace capstan::cli {

namespace {

struct RegressOptions {
  std::vector<std::string> baselines;
  std::vector<std::string> overrides;
  std::optional<std::uint64_t> seed;
  std::optional<double> level;
  std::string format = "table";
  bool update = false;
  int threads = 0;
};

int regress_baselines(const RegressOptions& o) {
  const std::vector<std::string> paths = o.baselines.empty() ? regress::find_baselines("scenarios") : o.baselines;
  if (paths.empty()) {
    std::cerr << "capstan: no baselines: name baseline files, or run where scenarios/ holds *.baseline.json\n";
    return 2;
  }
  regress::Options options;
  options.overrides = o.overrides;
  options.seed = o.seed;
  options.level = o.level;
  options.threads = o.threads;
  // Read every baseline first: bad input stops the check before anything runs.
  std::vector<regress::Baseline> baselines;
  for (const auto& path : paths) baselines.push_back(regress::read_baseline(path));
  if (o.update) {
    for (const auto& b : baselines) {
      const regress::Baseline made = regress::update(b, options);
      regress::write_baseline(made);
      std::cout << "updated " << made.path << ": " << made.figures.size() << " figures, " << *made.replications
                << " replications, seed " << *made.seed << "\n";
    }
    return 0;
  }
  std::vector<regress::Comparison> results;
  for (const auto& b : baselines) results.push_back(regress::compare(b, options));
  if (o.format == "json") {
    std::cout << regress::to_json(results).dump(2) << "\n";
  } else if (o.format == "markdown") {
    std::cout << regress::format_markdown(results);
  } else {
    std::cout << regress::format_table(results);
  }
  const bool drift = std::any_of(results.begin(), results.end(), [](const auto& c) { return c.drifted; });
  return drift ? 1 : 0;
}

}  // namespace

void add_regress(CLI::App& app, int& exit_code) {
  static RegressOptions o;
  auto* cmd = app.add_subcommand(
      "regress", "Re-run baselines' scenarios and report forecasts that drifted (exit 1 on drift, 2 on bad input)");
  cmd->add_option("baselines", o.baselines, "Baseline files (default: every *.baseline.json under scenarios/)");
  cmd->add_flag("--update", o.update, "Rewrite the baselines from a new run (with its manifest)");
  cmd->add_option("--format", o.format, "Output: table, json or markdown (a pull-request comment)")
      ->check(CLI::IsMember({"table", "json", "markdown"}))
      ->capture_default_str();
  cmd->add_option("--set", o.overrides, "Override a field for the re-run: key.path=value (repeatable)")
      ->allow_extra_args(false);  // one key=value an occurrence: the positionals after it stay positionals
  cmd->add_option("--seed", o.seed, "Re-run with this seed instead of the baseline's (compared with Welch's t)")->check(seed_check());
  cmd->add_option("--level", o.level, "Significance level, family-wise per baseline (default: the baseline's)")
      ->check(CLI::Range(1e-9, 0.5));
  cmd->add_option("--threads", o.threads, "Threads for replications (0: all cores)")->check(CLI::Range(0, 1024));
  cmd->callback([&exit_code] { exit_code = guarded([] { return regress_baselines(o); }); });
}

}  // namespace capstan::cli
