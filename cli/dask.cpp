#include "cli/dask.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace capstan::cli {

namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("the Dask jobs left no result at " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A private directory for the jobs and their results, removed on the way out.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/capstan-dask-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot make a directory for the Dask jobs in " + pattern);
    path = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

std::vector<api::RunOutput> run_on_dask(const std::string& address, const std::vector<api::RunRequest>& runs) {
  if (runs.empty()) return {};
  nlohmann::json list = nlohmann::json::array();
  for (const api::RunRequest& r : runs) {
    api::validate(r);  // an invalid scenario is refused (exit status 2) before anything is sent
    nlohmann::json j = {{"overrides", r.overrides}, {"seed", nullptr}, {"replications", nullptr},
                        {"log_requests", r.log_requests}};
    if (!r.scenario_path.empty()) {
      // The client resolves the file's relative paths (traces, profiles) as a local run does.
      j["path"] = std::filesystem::absolute(r.scenario_path).string();
    } else {
      j["text"] = r.scenario_text;
      j["source"] = r.source_name;
    }
    if (r.seed) j["seed"] = *r.seed;
    if (r.replications) j["replications"] = *r.replications;
    list.push_back(std::move(j));
  }
  TempDir dir;
  {
    std::ofstream out(dir.path / "jobs.json", std::ios::binary);
    out << list.dump();
    if (!out) throw std::runtime_error("cannot write the Dask jobs to " + dir.path.string());
  }
  const int status = run_python_module("capstan.dask_jobs", {address, dir.path.string()}, "capstan, distributed");
  if (status < 0)
    throw std::runtime_error("--dask needs a Python with the capstan package and dask.distributed importable "
                             "(set CAPSTAN_PYTHON, or PYTHONPATH to <build>/python; Debian: python3-distributed)");
  if (status != 0) {
    std::ifstream why(dir.path / "error");
    std::string reason;
    std::getline(why, reason);
    throw std::runtime_error(reason.empty() ? "the runs sent to the Dask cluster at " + address + " did not come back"
                                            : reason);
  }
  std::vector<api::RunOutput> outputs;
  outputs.reserve(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto j = nlohmann::json::parse(read_all(dir.path / ("result-" + std::to_string(i) + ".json")));
    api::RunOutput out;
    out.report_json = j.at("report_json").get<std::string>();
    out.timeseries_csv = j.at("timeseries_csv").get<std::string>();
    out.summary = j.at("summary").get<std::string>();
    out.requests_csv = j.at("requests_csv").get<std::string>();
    outputs.push_back(std::move(out));
  }
  return outputs;
}

}  // namespace capstan::cli
