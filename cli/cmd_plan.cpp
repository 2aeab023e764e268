// `capstan plan`: the cheapest fleet that meets every SLO (exit 0), or why
// none in the space does (exit 1). Writes plan.json, plan.txt, frontier.csv
// (and its plot) and, with --k8s, Kubernetes manifests.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/dask.h"
#include "cli/progress.h"
#include "models/api/load_scenario.h"
#include "models/input/write_files.h"
#include "models/input_error.h"
#include "models/plan/plan.h"

namespace capstan::cli {

namespace {

struct PlanOptions {
  std::string scenario;
  std::string space;
  std::string out_dir = "out/plan";
  std::string k8s_dir;
  std::string cloud;  // the manifests' cloud, for every site ("": each site's own)
  std::vector<std::string> overrides;
  std::optional<std::uint64_t> seed;
  std::optional<int> replications;
  std::optional<double> attainment;
  int threads = 0;
  std::string dask;  // a scheduler's address: the candidates' replications run there
};

int run_plan(const PlanOptions& o) {
  api::RunRequest base;
  base.scenario_path = o.scenario;
  base.overrides = o.overrides;
  base.threads = o.threads;
  const scenario::Scenario written = api::load_scenario(base);
  // Intervals need replications: at least three.
  base.replications = o.replications.value_or(std::max(3, written.simulation.replications));
  base.seed = o.seed.value_or(written.simulation.seed);
  plan::Space space = o.space.empty() ? plan::default_space(base) : plan::read_space(o.space, base);
  if (o.attainment) space.attainment = o.attainment;
  if (space.pools.empty()) throw std::runtime_error("nothing to plan: the scenario has no pool without an hourly schedule");

  // The output paths before the search: a bad one costs no simulation.
  {
    const std::filesystem::path dir(o.out_dir);
    input::check_targets({dir / "plan.txt", dir / "frontier.csv", dir / "plan.json", dir / "report.html"});
    if (!o.k8s_dir.empty()) input::check_output_dir(o.k8s_dir);
  }
  // The manifests' cloud must sell the written fleet's machines: a bad --cloud costs no simulation either.
  if (!o.cloud.empty()) {
    if (o.k8s_dir.empty()) throw capstan::InputError("--cloud", "", "--k8s DIR beside it (--cloud names the manifests' cloud)", "no --k8s");
    plan::kubernetes_manifests(written, {o.cloud});
  }
  plan::ScenarioEvaluator::Runner runner;
  if (!o.dask.empty()) {
    runner = [&o, &base](const std::vector<std::vector<std::string>>& batch) {
      std::vector<api::RunRequest> runs;
      for (const auto& extra : batch) {
        api::RunRequest r = base;
        r.overrides.insert(r.overrides.end(), extra.begin(), extra.end());
        runs.push_back(std::move(r));
      }
      std::vector<std::string> reports;
      for (auto& out : run_on_dask(o.dask, runs)) reports.push_back(std::move(out.report_json));
      return reports;
    };
  }
  plan::ScenarioEvaluator evaluator(base, space, runner);
  // A search does not know ahead how many fleets it will simulate: a count, no time left.
  Progress progress("candidate fleets simulated");
  const plan::Result result = plan::search(space, evaluator, [&progress](int n) { progress.update(n, 0); });
  progress.finish();

  input::make_output_dir(o.out_dir);
  const std::filesystem::path dir(o.out_dir);
  const plan::Written w = plan::render(result, evaluator, base, !o.k8s_dir.empty(), {o.cloud});
  std::vector<std::pair<std::filesystem::path, std::string>> files = {{dir / "plan.txt", w.summary},
                                                                       {dir / "frontier.csv", w.frontier_csv}};
  if (result.feasible) {
    files.emplace_back(dir / "plan.json", w.plan_json);
    if (!o.k8s_dir.empty()) {
      input::make_output_dir(o.k8s_dir);
      for (const auto& [name, text] : w.manifests) files.emplace_back(std::filesystem::path(o.k8s_dir) / name, text);
    }
  }
  input::write_files(files);
  std::cout << w.summary;
  if (result.feasible) {
    std::cout << "wrote " << (dir / "plan.json").string() << " (capstan run reproduces it), plan.txt and frontier.csv\n";
    if (!o.k8s_dir.empty()) {
      std::cout << "wrote " << w.manifests.size() << " Kubernetes manifest" << (w.manifests.size() == 1 ? "" : "s")
                << " to " << o.k8s_dir << "\n";
    }
  } else {
    // A plan.json left by an earlier run would stand beside this answer as if it were its plan.
    std::error_code ec;
    std::filesystem::remove(dir / "plan.json", ec);
    std::cout << "wrote " << (dir / "plan.txt").string() << " and frontier.csv; no plan.json\n";
  }
  std::cout << std::flush;
  run_python_plots("capstan.plan_plots", {(dir / "frontier.csv").string(), dir.string()}, "frontier.csv");
  std::vector<std::string> html = {"plan", (dir / "plan.txt").string(), (dir / "frontier.csv").string(), "-o",
                                   (dir / "report.html").string()};
  if (result.feasible) html.insert(html.end(), {"--plan", (dir / "plan.json").string()});
  run_python_plots("capstan.report_html", html, "plan.txt", "report.html");
  return result.feasible ? 0 : 1;
}

}  // namespace

void add_plan(CLI::App& app, int& exit_code) {
  static PlanOptions o;
  auto* cmd = app.add_subcommand("plan", "Find the cheapest fleet that meets every SLO (exit 1 when none in the space does)");
  cmd->add_option("scenario", o.scenario, "Scenario file (JSON)")->required();
  cmd->add_option("--space", o.space, "Search space (JSON): pool size ranges, an attainment target");
  cmd->add_option("-o,--out", o.out_dir, "Output directory")->capture_default_str();
  cmd->add_option("--k8s", o.k8s_dir, "Also write Kubernetes manifests for the plan to this directory");
  cmd->add_option("--cloud", o.cloud,
                  "The manifests' cloud for every site, instead of each site's own: its cheapest machine that fits")
      ->check(CLI::IsMember({"aws", "gcp", "azure", "generic"}));
  cmd->add_option("--set", o.overrides, "Override a field: key.path=value (repeatable)")
      ->allow_extra_args(false);  // one key=value an occurrence: the positionals after it stay positionals
  cmd->add_option("--seed", o.seed, "Master seed, the same for every candidate (default: the scenario's)")->check(seed_check());
  cmd->add_option("--replications", o.replications, "Replications per candidate (default: the scenario's, at least 3)")
      ->check(CLI::Range(2, 10000));
  cmd->add_option("--attainment", o.attainment,
                  "Constraint: the lower end of every class's SLO attainment interval at least this (default: the "
                  "upper end of its percentile's interval within the threshold)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--threads", o.threads, "Threads for replications (0: all cores)")->check(CLI::Range(0, 1024));
  cmd->add_option("--dask", o.dask,
                  "Run every replication of every candidate as a task on this Dask scheduler (tcp://host:8786)");
  cmd->callback([&exit_code] { exit_code = guarded([] { return run_plan(o); }); });
}

}  // namespace capstan::cli
