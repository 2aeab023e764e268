// libFuzzer target: a scenario that validates is run for a short, clamped
// time (one replication of at most 36 simulated seconds, at most 200 users),
// so that a fuzzed scenario exercises the engine, the replicas and the report
// without the run's length growing with the input. A valid scenario must run
// to a report; an input error is fine; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "models/api/api.h"
#include "models/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  capstan::api::RunRequest request;
  request.scenario_text.assign(reinterpret_cast<const char*>(data), size);
  request.source_name = "fuzz.json";
  std::string canonical;
  try {
    canonical = capstan::api::validate(request);
  } catch (const capstan::InputError&) {
    return 0;
  }
  const nlohmann::json doc = nlohmann::json::parse(canonical);
  // A fleet of up to a million GPUs is valid, and its memory is the subject of
  // validation's own checks; the short run takes fleets of up to 64.
  double gpus = 0.0;
  for (const auto& site : doc["sites"]) {
    for (const auto& pool : site["pools"]) gpus += pool["gpus"].get<double>();
  }
  if (gpus > 64.0) return 0;
  const double users = doc["workload"]["peak_users"].get<double>();
  request.overrides = {"simulation.duration_h=0.01", "simulation.warmup_h=0", "simulation.interval_s=60",
                       "workload.peak_users=" + std::to_string(users < 200.0 ? users : 200.0)};
  request.replications = 1;
  request.threads = 1;
  try {
    const capstan::api::RunOutput out = capstan::api::run(request);
    if (out.report_json.empty()) std::abort();
  } catch (const capstan::InputError&) {
    // the clamped overrides can make a valid scenario invalid (a warm-up longer than the run): fine
  }
  return 0;
}
