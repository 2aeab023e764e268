#pragma once
// A light world for the fleet tests: one metro, one class of Llama-3.2-1B
// chat on L4s (a test may change the GPU), one site with one pool "gpu" of 4
// GPUs, whose nodes start in milliseconds unless a test gives them a cold start.
#include <string>

#include <nlohmann/json.hpp>

namespace capstan::testing {

inline nlohmann::json one_pool_world(const std::string& site, const std::string& cloud) {
  nlohmann::json doc = nlohmann::json::parse(R"({
    "name": "fleet",
    "simulation": {"duration_h": 1, "seed": 3, "replications": 1},
    "workload": {
      "peak_users": 200,
      "diurnal": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],
      "session": {"duration_min": {"dist": "exponential", "mean": 30}},
      "origins": [{"name": "metro", "share": 1, "utc_offset_h": 0, "last_mile_rtt_ms": 10}]
    },
    "classes": [
      {"name": "chat", "rate_per_user_hour": 20,
       "prompt_tokens": {"dist": "lognormal", "mean": 200, "cv": 0.5, "min_value": 4, "max_value": 1000},
       "output_tokens": {"dist": "lognormal", "mean": 80, "cv": 0.4, "min_value": 2, "max_value": 300},
       "deployment": "npc",
       "slo": {"metric": "ttft", "threshold_ms": 500, "percentile": 95}}
    ],
    "deployments": [{"name": "npc", "model": "llama-3.2-1b", "gpu": "l4", "max_running_seqs": 32}],
    "sites": [{"region": "us-east", "pools": [
      {"name": "gpu", "deployment": "npc", "gpus": 4,
       "cold_start": {"boot_s": 0, "weight_load_gb_per_s": 100000, "engine_start_s": 0}}]}]
  })");
  doc["sites"][0]["name"] = site;
  doc["sites"][0]["cloud"] = cloud;
  doc["network"] = {{"links", {{{"a", "metro"}, {"b", site}, {"rtt_ms", 4}}}}};
  return doc;
}

}  // namespace capstan::testing
