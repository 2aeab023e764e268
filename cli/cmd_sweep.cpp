// `capstan sweep`: a scenario at every point of a grid, one row per point in
// sweep.csv, and the plots drawn by the Python package when it is importable.
#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <iomanip>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/dask.h"
#include "cli/progress.h"
#include "models/api/sweep.h"
#include "models/input/write_files.h"
#include "models/input_error.h"
#include "models/scenario/load.h"

namespace capstan::cli {

namespace {

struct SweepOptions {
  std::string scenario;
  std::vector<std::string> grid;
  std::string out_dir = "out";
  std::vector<std::string> overrides;
  std::optional<std::uint64_t> seed;
  std::optional<int> replications;
  int threads = 0;
  bool plots = true;
  std::string dask;  // a scheduler's address: the points' replications run there
};

// "key.path=v1,v2,...": the axis. Values are split at commas and each is
// read as --set reads a value (JSON, or else a string).
api::SweepAxis parse_axis(const std::string& text, const std::string& scenario) {
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    throw InputError(scenario, "", "--grid key.path=value1,value2,...", "\"" + text + "\"");
  }
  api::SweepAxis axis;
  axis.key = text.substr(0, eq);
  std::string rest = text.substr(eq + 1);
  std::size_t from = 0;
  while (true) {
    const std::size_t comma = rest.find(',', from);
    const std::string v = rest.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    if (v.empty()) throw InputError(scenario, "", "--grid values without an empty one", "\"" + text + "\"");
    axis.values.push_back(v);
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return axis;
}

void draw_plots(const std::filesystem::path& csv, const std::filesystem::path& dir, const std::vector<api::SweepAxis>& grid) {
  std::vector<std::string> args = {csv.string(), dir.string(), "--x", grid[0].key};
  if (grid.size() > 1) args.insert(args.end(), {"--by", grid[1].key});
  run_python_plots("capstan.sweep_plots", args, "sweep.csv");
}

// The points at a glance: the swept keys, each class's SLO percentile and
// attainment, the cost per user-hour (sweep.csv has every figure).
std::string points_table(const api::SweepOutput& sweep, const std::vector<api::SweepAxis>& grid) {
  if (sweep.rows.empty()) return "";
  std::vector<std::string> shown, titles;  // columns, and their titles here
  auto show = [&](const std::string& column, const std::string& title) {
    if (std::find(sweep.columns.begin(), sweep.columns.end(), column) == sweep.columns.end()) return;
    shown.push_back(column);
    titles.push_back(title);
  };
  for (const auto& axis : grid) show(axis.key, axis.key);
  for (const auto& column : sweep.columns) {
    const std::string suffix = ".slo_percentile_ms";
    if (column.size() > suffix.size() && column.compare(column.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const std::string cls = column.substr(0, column.size() - suffix.size());
      show(column, cls + " SLO ms");
      show(cls + ".slo_attainment", cls + " attained");
    }
  }
  show("cost.per_user_hour_usd", "$/user-hour");
  std::vector<std::size_t> width(shown.size());
  for (std::size_t c = 0; c < shown.size(); ++c) width[c] = std::max<std::size_t>(titles[c].size(), 8);
  std::ostringstream out;
  for (std::size_t c = 0; c < shown.size(); ++c) out << (c ? "  " : "") << std::setw(static_cast<int>(width[c])) << titles[c];
  out << '\n';
  for (const auto& row : sweep.rows) {
    for (std::size_t c = 0; c < shown.size(); ++c) {
      const auto it = row.find(shown[c]);
      std::string text = it == row.end() ? std::string() : it->second;
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (!text.empty() && end && *end == '\0' && c >= grid.size()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, titles[c].find("attained") != std::string::npos ? "%.4f"
                                       : titles[c][0] == '$'                              ? "%.5f"
                                                                                          : "%.1f",
                      v);
        text = buf;
      }
      out << (c ? "  " : "") << std::setw(static_cast<int>(width[c])) << (text.empty() ? "-" : text);
    }
    out << '\n';
  }
  return out.str();
}

int run_sweep(const SweepOptions& o) {
  api::SweepRequest request;
  request.base.scenario_path = o.scenario;
  request.base.overrides = o.overrides;
  request.base.seed = o.seed;
  request.base.replications = o.replications;
  request.base.threads = o.threads;
  for (const auto& g : o.grid) request.grid.push_back(parse_axis(g, o.scenario));
  Progress progress("replications");
  if (progress.enabled()) {
    request.progress = [&progress](int point, int points, int done, int reps) {
      progress.update(static_cast<long>(point) * reps + done, static_cast<long>(points) * reps,
                      "point " + std::to_string(point + 1) + " of " + std::to_string(points));
    };
  }
  {
    const std::filesystem::path dir(o.out_dir);
    input::check_targets({dir / "sweep.csv", dir / "report.html", dir / "cost_per_user_hour.png",
                          dir / "cost_per_user_hour.svg", dir / "slo_percentiles.png", dir / "slo_percentiles.svg"});
  }
  if (!o.dask.empty()) {
    request.runner = [&o](const std::vector<api::RunRequest>& runs) {
      std::vector<std::string> reports;
      for (auto& out : run_on_dask(o.dask, runs)) reports.push_back(std::move(out.report_json));
      return reports;
    };
  }
  const api::SweepOutput out = api::sweep(request);  // every point validated before any runs
  progress.finish();
  input::make_output_dir(o.out_dir);
  const auto csv = std::filesystem::path(o.out_dir) / "sweep.csv";
  input::write_files({{csv, out.csv}});
  std::cout << points_table(out, request.grid) << "wrote " << csv.string() << ": " << out.points
            << " point" << (out.points == 1 ? "" : "s") << " (every figure)\n"
            << std::flush;
  if (o.plots) {
    draw_plots(csv, o.out_dir, request.grid);
    std::vector<std::string> args = {"sweep", csv.string(), "--x", request.grid[0].key, "-o",
                                     (std::filesystem::path(o.out_dir) / "report.html").string()};
    if (request.grid.size() > 1) args.insert(args.end(), {"--by", request.grid[1].key});
    run_python_plots("capstan.report_html", args, "sweep.csv", "report.html");
  }
  return 0;
}

}  // namespace

void add_sweep(CLI::App& app, int& exit_code) {
  static SweepOptions o;
  auto* cmd = app.add_subcommand("sweep", "Run a scenario at every point of a grid: sweep.csv and plots");
  cmd->add_option("scenario", o.scenario, "Scenario file (JSON)")->required();
  cmd->add_option("--grid", o.grid, "An axis: key.path=value1,value2,... (repeatable; the first varies slowest)")
      ->required();
  cmd->add_option("-o,--out", o.out_dir, "Output directory")->capture_default_str();
  cmd->add_option("--set", o.overrides, "Override a field at every point: key.path=value (repeatable)")
      ->allow_extra_args(false);  // one key=value an occurrence: the positionals after it stay positionals
  cmd->add_option("--seed", o.seed, "Master seed, the same at every point (default: the scenario's)")->check(seed_check());
  cmd->add_option("--replications", o.replications, "Replications per point (default: the scenario's)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--threads", o.threads, "Threads for replications (0: all cores)")->check(CLI::Range(0, 1024));
  cmd->add_flag("!--no-plots", o.plots, "Write sweep.csv only (no plots, no report.html)");
  cmd->add_option("--dask", o.dask,
                  "Run every replication of every point as a task on this Dask scheduler (tcp://host:8786)");
  cmd->callback([&exit_code] { exit_code = guarded([] { return run_sweep(o); }); });
}

}  // namespace capstan::cli
