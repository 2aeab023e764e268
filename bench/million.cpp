// capstan_bench_million: a day of a world ten times consumer_world: a
// million users at the evening peak, every pool ten times its written size
// (autoscaled pools' bounds too), every feature consumer_world uses active.
// One replication on one thread: simulated requests per wall-second and
// peak resident memory (which must stay under 2 GiB), beside the baseline
// of consumer_world itself (100,000 users) over the same hours.
//   capstan_bench_million [--hours H] [--json]
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/support.h"
#include "models/api/api.h"

namespace {

using capstan::bench::Figures;
using capstan::bench::peak_rss_mib;

Figures run(const std::string& text, double hours) {
  capstan::api::RunRequest request;
  request.scenario_text = text;
  request.source_name = "consumer_world";
  request.replications = 1;
  request.threads = 1;
  request.overrides = {"simulation.duration_h=" + std::to_string(hours), "simulation.warmup_h=0"};
  return capstan::bench::timed_run(request);
}

}  // namespace

int main(int argc, char** argv) {
  double hours = 24.0;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) {
      json = true;
    } else if (!std::strcmp(argv[i], "--hours") && i + 1 < argc) {
      hours = std::stod(argv[++i]);
    }
  }
  std::ifstream in(CAPSTAN_SOURCE_DIR "/scenarios/consumer_world.json");
  nlohmann::json doc = nlohmann::json::parse(in);
  // consumer_world's trace paths are relative to scenarios/: made absolute for a text scenario.
  for (auto& site : doc["sites"]) {
    for (auto& pool : site["pools"]) {
      if (pool.contains("interruptions") && pool["interruptions"].contains("file"))
        pool["interruptions"]["file"] = CAPSTAN_SOURCE_DIR "/scenarios/" + pool["interruptions"]["file"].get<std::string>();
    }
  }
  const std::string base_text = doc.dump();
  nlohmann::json big = doc;
  big["workload"]["peak_users"] = doc["workload"]["peak_users"].get<double>() * 10;
  for (auto& site : big["sites"]) {
    for (auto& pool : site["pools"]) {
      pool["gpus"] = pool["gpus"].get<int>() * 10;
      if (pool.contains("autoscale")) {
        for (const char* key : {"min_gpus", "max_gpus"}) {
          if (pool["autoscale"].contains(key)) pool["autoscale"][key] = pool["autoscale"][key].get<int>() * 10;
        }
      }
    }
  }
  // The million first, so that peak memory is its own.
  const Figures million = run(big.dump(), hours);
  const double million_rss = peak_rss_mib();
  const Figures baseline = run(base_text, hours);
  if (json) {
    const nlohmann::json j = {
        {"hours", hours},
        {"million", {{"requests", million.requests}, {"events", million.events}, {"wall_s", million.wall_s},
                     {"requests_per_s", million.per_s()}, {"peak_rss_mib", million_rss}}},
        {"consumer_world", {{"requests", baseline.requests}, {"wall_s", baseline.wall_s},
                            {"requests_per_s", baseline.per_s()}}}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("a million users (consumer_world x10, pools x10), %g simulated hours, 1 replication, 1 thread\n", hours);
  capstan::bench::print_counts(million);
  std::printf("  requests per wall-second%14.0f   (%.2f x consumer_world's)\n", million.per_s(),
              million.per_s() / baseline.per_s());
  std::printf("  peak resident memory    %14.1f MiB  (limit 2048)\n", million_rss);
  std::printf("baseline: consumer_world (100,000 users), the same hours\n");
  std::printf("  requests simulated      %14.0f\n", baseline.requests);
  std::printf("  requests per wall-second%14.0f\n", baseline.per_s());
  return 0;
}
