// Invalid scenarios: each gets one ScenarioError naming the file, the JSON
// pointer of the offending field, what was expected and what was found.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "models/scenario/load.h"

using namespace capstan::scenario;
using nlohmann::json;
using Catch::Matchers::Contains;

namespace {

const std::string kDir = CAPSTAN_SOURCE_DIR;
const std::string kMinimal = kDir + "/tests/data/minimal.json";

json minimal() {
  std::ifstream in(kMinimal);
  return json::parse(in);
}

// The error a load raises; fails the test when it raises none.
template <typename Load>
ScenarioError error_of(Load load) {
  try {
    load();
  } catch (const ScenarioError& e) {
    return e;
  }
  FAIL("no ScenarioError");
  throw std::logic_error("unreachable");
}

ScenarioError with_overrides(std::vector<Override> overrides) {
  return error_of([&] { load_file(kMinimal, overrides); });
}

ScenarioError with_doc(const json& doc) {
  return error_of([&] { load_json(doc, "doc.json"); });
}

}  // namespace

TEST_CASE("the message reads file: pointer: expected ..., found ...", "[scenario][errors]") {
  const ScenarioError e = with_overrides({{"classes.0.slo.threshold_ms", "-5"}});
  CHECK(e.file() == kMinimal);
  CHECK(e.pointer() == "/classes/0/slo/threshold_ms");
  CHECK(e.expected() == "a number in (0, 10000000]");
  CHECK(e.found() == "-5");
  CHECK(std::string(e.what()) == kMinimal + ": /classes/0/slo/threshold_ms: expected a number in (0, 10000000], found -5");
}

TEST_CASE("wrong type", "[scenario][errors]") {
  const ScenarioError e = with_overrides({{"workload.peak_users", "many"}});
  CHECK(e.pointer() == "/workload/peak_users");
  CHECK_THAT(e.expected(), Contains("a number"));
  CHECK(e.found() == "\"many\"");
  CHECK(with_overrides({{"simulation.step_by_step", "1"}}).pointer() == "/simulation/step_by_step");
  CHECK(with_overrides({{"workload.origins", "{}"}}).pointer() == "/workload/origins");
  CHECK(with_overrides({{"simulation.replications", "2.5"}}).pointer() == "/simulation/replications");
  CHECK(with_overrides({{"name", "2fast"}}).pointer() == "/name");  // names start with a letter
}

TEST_CASE("out-of-range and absurd values", "[scenario][errors]") {
  CHECK(with_overrides({{"simulation.duration_h", "9000"}}).pointer() == "/simulation/duration_h");  // > 1 year
  CHECK(with_overrides({{"workload.peak_users", "2e9"}}).pointer() == "/workload/peak_users");
  CHECK(with_overrides({{"simulation.replications", "10001"}}).pointer() == "/simulation/replications");
  CHECK(with_overrides({{"simulation.warmup_h", "1"}}).pointer() == "/simulation/warmup_h");  // not below duration
  CHECK(with_overrides({{"simulation.interval_s", "1"}, {"simulation.duration_h", "8760"}}).pointer() ==
        "/simulation/interval_s");  // 31 million intervals
  // A week at one-second intervals: 604,800 intervals, each with a latency
  // histogram per class, would exhaust memory; a day at a minute is fine.
  const ScenarioError cells = with_overrides({{"simulation.interval_s", "1"}, {"simulation.duration_h", "168"}});
  CHECK(cells.pointer() == "/simulation/interval_s");
  CHECK_THAT(cells.expected(), Contains("time-series cells"));
  CHECK_NOTHROW(load_file(kMinimal, {{"simulation.interval_s", "60"}, {"simulation.duration_h", "24"}}));
  CHECK(with_overrides({{"classes.0.slo.percentile", "100"}}).pointer() == "/classes/0/slo/percentile");
  CHECK(with_overrides({{"simulation.seed", "-1"}}).pointer() == "/simulation/seed");
  CHECK(with_overrides({{"deployments.0.gpu_memory_utilization", "1.5"}}).pointer() ==
        "/deployments/0/gpu_memory_utilization");
}

TEST_CASE("NaN and infinity are rejected wherever a number is read", "[scenario][errors]") {
  json doc = minimal();
  doc["workload"]["peak_users"] = std::numeric_limits<double>::quiet_NaN();
  ScenarioError e = with_doc(doc);
  CHECK(e.pointer() == "/workload/peak_users");
  CHECK(e.found() == "NaN");
  doc = minimal();
  doc["network"]["links"][0]["rtt_ms"] = std::numeric_limits<double>::infinity();
  e = with_doc(doc);
  CHECK(e.pointer() == "/network/links/0/rtt_ms");
  CHECK(e.found() == "inf");
  // 1e400 overflows a double: an error either at parse time or at the field.
  std::string text = minimal().dump();
  text.replace(text.find("\"peak_users\":1000"), 17, "\"peak_users\":1e400");
  CHECK_THROWS_AS(load_text(text, "big.json"), ScenarioError);
}

TEST_CASE("unknown keys are rejected with the nearest known name", "[scenario][errors]") {
  ScenarioError e = with_overrides({{"workload.peak_user", "5"}});
  CHECK(e.pointer() == "/workload/peak_user");
  CHECK(e.expected() == "a known key");
  CHECK_THAT(e.found(), Catch::Matchers::StartsWith("\"peak_user\" (did you mean \"peak_users\"? known: "));
  e = with_overrides({{"simulaton", "{}"}});
  CHECK(e.pointer() == "/simulaton");
  CHECK_THAT(e.found(), Contains("did you mean \"simulation\"?"));
  // Deep inside arrays too, and a key nothing resembles lists the known ones.
  e = with_overrides({{"sites.0.pools.0.zzzzzzzz", "1"}});
  CHECK(e.pointer() == "/sites/0/pools/0/zzzzzzzz");
  CHECK_THAT(e.found(), Contains("known: name, deployment, gpu, gpus, instance, capacity"));
  // A parameter of another distribution kind is unknown for this kind.
  e = with_overrides({{"classes.0.prompt_tokens.mean", "5"}});
  CHECK(e.pointer() == "/classes/0/prompt_tokens/mean");
  CHECK_THAT(e.expected(), Contains("constant"));
}

TEST_CASE("unknown GPU, model, region, deployment and node names suggest the nearest", "[scenario][errors]") {
  ScenarioError e = with_overrides({{"deployments.chat.gpu", "h10"}});
  CHECK(e.pointer() == "/deployments/0/gpu");
  // The nearest name, then every known one.
  CHECK(e.found() == "\"h10\" (did you mean \"h100\"? known: a100-40gb, a100-80gb, a10g, b200, h100, h200, l4, l40s, mi300x, mi325x, rtx-pro-6000)");
  e = with_overrides({{"deployments.chat.model", "llama3-8b"}});
  CHECK(e.pointer() == "/deployments/0/model");
  CHECK_THAT(e.found(), Catch::Matchers::StartsWith("\"llama3-8b\" (did you mean \"llama-3-8b\"? known: "));
  e = with_overrides({{"sites.cloud.region", "us-eats"}});
  CHECK(e.pointer() == "/sites/0/region");
  CHECK_THAT(e.found(), Contains("did you mean \"us-east\"?"));
  e = with_overrides({{"classes.dialogue.deployment", "caht"}});
  CHECK(e.pointer() == "/classes/0/deployment");
  CHECK_THAT(e.found(), Contains("did you mean \"chat\"?"));
  e = with_overrides({{"network.links.0.b", "clod"}});
  CHECK(e.pointer() == "/network/links/0/b");
  CHECK_THAT(e.found(), Contains("did you mean \"cloud\"?"));
  e = with_overrides({{"sites.0.pools.0.deployment", "chatt"}});
  CHECK(e.pointer() == "/sites/0/pools/0/deployment");
  e = with_overrides({{"deployments.chat.gpu", "h100-sxm"}});  // a longer spelling of a known name
  CHECK_THAT(e.found(), Catch::Matchers::StartsWith("\"h100-sxm\" (did you mean \"h100\"?"));
  e = with_overrides({{"deployments.chat.engine", R"({"name": "vlm"})"}});
  CHECK(e.pointer() == "/deployments/0/engine/name");
  CHECK_THAT(e.found(), Contains("did you mean \"vllm\"?"));
  e = with_overrides({{"deployments.chat.engine", R"({"name": "vllm", "version": "0.4.0"})"}});
  CHECK(e.pointer() == "/deployments/0/engine/version");
  CHECK_THAT(e.expected(), Contains("the version the catalog's vllm entry describes"));
  e = with_overrides({{"deployments.chat.engine", R"({"request_ms": -1})"}});
  CHECK(e.pointer() == "/deployments/0/engine/request_ms");
  e = with_overrides({{"deployments.chat.engine", R"({"eager": true})"}});
  CHECK(e.pointer() == "/deployments/0/engine/eager");
  CHECK_THAT(e.found(), Contains("enforce_eager"));
  // A misspelt element name in an override suggests the nearest element.
  e = with_overrides({{"classes.dialog.priority", "1"}});
  CHECK(e.pointer() == "/classes/dialog");
  CHECK_THAT(e.found(), Contains("did you mean \"dialogue\"?"));
  // Catalog names are case-insensitive.
  CHECK(load_file(kMinimal, {{"deployments.chat.gpu", "H100"}}).deployments[0].gpu == "h100");
}

TEST_CASE("missing required fields", "[scenario][errors]") {
  json doc = minimal();
  doc["workload"].erase("peak_users");
  ScenarioError e = with_doc(doc);
  CHECK(e.pointer() == "/workload/peak_users");
  CHECK_THAT(e.found(), Contains("required"));
  doc = minimal();
  doc.erase("classes");
  CHECK(with_doc(doc).pointer() == "/classes");
  doc = minimal();
  doc["classes"][0].erase("slo");
  CHECK(with_doc(doc).pointer() == "/classes/0/slo");
  doc = minimal();
  doc["classes"][0]["prompt_tokens"].erase("value");
  CHECK(with_doc(doc).pointer() == "/classes/0/prompt_tokens/value");
  doc = minimal();
  doc.erase("name");
  CHECK(with_doc(doc).pointer() == "/name");
}

TEST_CASE("duplicate names", "[scenario][errors]") {
  json doc = minimal();
  doc["classes"].push_back(doc["classes"][0]);
  ScenarioError e = with_doc(doc);
  CHECK(e.pointer() == "/classes/1/name");
  CHECK_THAT(e.found(), Contains("/classes/0/name"));
  doc = minimal();
  doc["deployments"].push_back(doc["deployments"][0]);
  CHECK(with_doc(doc).pointer() == "/deployments/1/name");
  doc = minimal();
  doc["sites"][0]["pools"].push_back(doc["sites"][0]["pools"][0]);
  CHECK(with_doc(doc).pointer() == "/sites/0/pools/1/name");
  // Origins and sites share one namespace: they are nodes of one graph.
  e = with_overrides({{"sites.0.name", "metro"}});
  CHECK(e.pointer() == "/sites/0/name");
  doc = minimal();
  doc["network"]["links"].push_back({{"a", "cloud"}, {"b", "metro"}, {"rtt_ms", 3}});
  CHECK(with_doc(doc).pointer() == "/network/links/1");
}

TEST_CASE("an origin that reaches no site is rejected at that origin", "[scenario][errors]") {
  ScenarioError e = with_overrides({{"network.links", "[]"}});
  CHECK(e.pointer() == "/workload/origins/0");
  CHECK_THAT(e.found(), Contains("metro"));
  // A second origin linked only to a site without pools.
  json doc = minimal();
  doc["workload"]["origins"][0]["share"] = 0.5;
  doc["workload"]["origins"].push_back({{"name", "far"}, {"share", 0.5}});
  doc["sites"].push_back({{"name", "empty"}, {"region", "us-west"}});
  doc["network"]["links"].push_back({{"a", "far"}, {"b", "empty"}, {"rtt_ms", 5}});
  e = with_doc(doc);
  CHECK(e.pointer() == "/workload/origins/1");
  // Linking the empty site onward to the served one makes it a transit hop.
  doc["network"]["links"].push_back({{"a", "empty"}, {"b", "cloud"}, {"rtt_ms", 5}});
  CHECK_NOTHROW(load_json(doc, "doc.json"));
}

TEST_CASE("a model too large for its GPUs is rejected at the deployment", "[scenario][errors]") {
  const ScenarioError e = with_overrides({{"deployments.chat.model", "llama-3-70b"}, {"deployments.chat.gpu", "l4"}});
  CHECK(e.pointer() == "/deployments/0");
  CHECK_THAT(e.found(), Contains("GiB"));
  CHECK_THAT(e.found(), Contains("llama-3-70b"));
  // Tensor parallelism over 4 H100s fits it.
  const Scenario s = load_file(kMinimal, {{"deployments.chat.model", "llama-3-70b"},
                                          {"deployments.chat.tensor_parallel", "4"},
                                          {"sites.cloud.pools.main.gpus", "8"}});
  CHECK(s.deployments[0].tensor_parallel == 4);
  // ...and a shorter max_model_len_tokens cannot rescue 70B on one H100 (131 GiB of weights).
  CHECK(with_overrides({{"deployments.chat.model", "llama-3-70b"}, {"deployments.chat.max_model_len_tokens", "16"}})
            .pointer() == "/deployments/0");
}

TEST_CASE("pools must match their deployment", "[scenario][errors]") {
  ScenarioError e = with_overrides({{"sites.cloud.pools.main.gpu", "l4"}});
  CHECK(e.pointer() == "/sites/0/pools/0/gpu");
  CHECK_THAT(e.expected(), Contains("h100"));
  e = with_overrides({{"deployments.chat.tensor_parallel", "2"}, {"sites.cloud.pools.main.gpus", "3"}});
  CHECK(e.pointer() == "/sites/0/pools/0/gpus");
  CHECK_THAT(e.expected(), Contains("multiple of tensor_parallel (2)"));
  e = with_overrides({{"deployments.chat.tensor_parallel", "3"}});
  CHECK(e.pointer() == "/deployments/0/tensor_parallel");
  // A class's self-hosted deployment needs a pool somewhere.
  json doc = minimal();
  doc["deployments"].push_back({{"name", "spare"}, {"model", "llama-3.2-1b"}, {"gpu", "l4"}, {"max_model_len_tokens", 4096}});
  CHECK_NOTHROW(load_json(doc, "doc.json"));  // a deployment no class uses is fine
  doc["classes"][0]["deployment"] = "spare";
  CHECK(with_doc(doc).pointer() == "/classes/0/deployment");
}

TEST_CASE("shares and the diurnal curve", "[scenario][errors]") {
  ScenarioError e = with_overrides({{"workload.origins.0.share", "0.9"}});
  CHECK(e.pointer() == "/workload/origins");
  CHECK_THAT(e.found(), Contains("0.9"));
  CHECK(with_overrides({{"workload.diurnal", "[1, 1]"}}).pointer() == "/workload/diurnal");
  CHECK(with_overrides({{"workload.diurnal.5", "1.5"}}).pointer() == "/workload/diurnal/5");
  CHECK(with_overrides({{"workload.diurnal", std::string("[") + "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]"}})
            .pointer() == "/workload/diurnal");
  // Shares within 1e-6 of 1 pass.
  json doc = minimal();
  doc["workload"]["origins"][0]["share"] = 0.5;
  doc["workload"]["origins"].push_back({{"name", "b"}, {"share", 0.5000004}});
  doc["network"]["links"].push_back({{"a", "b"}, {"b", "cloud"}, {"rtt_ms", 5}});
  CHECK_NOTHROW(load_json(doc, "doc.json"));
}

TEST_CASE("distributions", "[scenario][errors]") {
  CHECK(with_overrides({{"classes.0.prompt_tokens", R"({"dist": "gamma", "mean": 3})"}}).pointer() ==
        "/classes/0/prompt_tokens/dist");
  CHECK(with_overrides({{"classes.0.prompt_tokens", R"({"dist": "uniform", "min": 5, "max": 2})"}}).pointer() ==
        "/classes/0/prompt_tokens/max");
  CHECK(with_overrides({{"classes.0.prompt_tokens", R"({"dist": "constant", "value": 5, "min_value": 9, "max_value": 3})"}})
            .pointer() == "/classes/0/prompt_tokens/max_value");
  CHECK(with_overrides({{"classes.0.prompt_tokens", R"({"dist": "weibull", "shape": 0, "scale": 3})"}}).pointer() ==
        "/classes/0/prompt_tokens/shape");
}

TEST_CASE("empty, non-JSON and unreadable files", "[scenario][errors]") {
  ScenarioError e = error_of([] { load_text("  \n", "empty.json"); });
  CHECK(e.file() == "empty.json");
  CHECK(e.pointer().empty());
  CHECK(e.found() == "an empty file");
  CHECK(std::string(e.what()) == "empty.json: expected a JSON object, found an empty file");

  e = error_of([] { load_text("{\n  \"name\": ,\n}", "broken.json"); });
  CHECK(e.pointer().empty());
  CHECK(e.expected() == "valid JSON");
  CHECK_THAT(e.found(), Contains("line 2, column"));

  e = error_of([] { load_text("[1, 2]", "array.json"); });
  CHECK(e.expected() == "a JSON object");

  e = error_of([] { load_file("/nonexistent/scenario.json"); });
  CHECK(e.file() == "/nonexistent/scenario.json");
  CHECK(e.pointer().empty());
  CHECK(e.expected() == "a readable file");
  CHECK(e.found() == "no such file");
  e = error_of([] { load_file(kDir + "/tests/data"); });
  CHECK(e.found() == "a directory");
  e = error_of([] { load_file("/dev/zero"); });  // would never end if read
  CHECK(e.found() == "not a regular file");
}

TEST_CASE("hostile nesting neither crashes nor recurses without bound", "[scenario][errors]") {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  ScenarioError e = error_of([&] { load_text("{\"name\": " + deep + "}", "deep.json"); });
  CHECK_THAT(e.expected(), Contains("nested at most 64"));
  e = error_of([&] { load_file(kMinimal, {{"description", deep}}); });
  CHECK_THAT(e.expected(), Contains("nested at most 64"));
}

TEST_CASE("the bad fixtures each fail at their pointer", "[scenario][errors]") {
  // tests/data/bad/README.md describes each; the CLI test checks exit status 2 on them.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty.json", ""},
      {"not_json.json", ""},
      {"wrong_type.json", "/workload/peak_users"},
      {"out_of_range.json", "/classes/0/slo/threshold_ms"},
      {"unknown_key.json", "/workload/peak_user"},
      {"unknown_gpu.json", "/deployments/0/gpu"},
      {"unknown_model.json", "/deployments/0/model"},
      {"missing_field.json", "/classes/0/deployment"},
      {"duplicate_name.json", "/classes/1/name"},
      {"unreachable_origin.json", "/workload/origins/1"},
      {"model_too_large.json", "/deployments/0"},
      {"shares.json", "/workload/origins"},
      {"diurnal.json", "/workload/diurnal"},
  };
  for (const auto& item : cases) {
    const std::string& file = item.first;  // not a structured binding: the lambda below captures it
    const std::string& pointer = item.second;
    INFO(file);
    const ScenarioError e = error_of([&] { load_file(kDir + "/tests/data/bad/" + file); });
    CHECK(e.pointer() == pointer);
  }
}

TEST_CASE("pool lifecycle fields are checked where they stand", "[scenario][errors][fleet]") {
  const std::string pool = "sites.cloud.pools.main.";
  // Spot fields on an on-demand pool.
  auto e = with_overrides({{pool + "notice_s", "30"}});
  CHECK(e.pointer() == "/sites/0/pools/0/notice_s");
  CHECK_THAT(e.expected(), Contains("on_demand"));
  // A poisson model needs exactly one of a rate and a bucket.
  e = with_overrides({{pool + "capacity", "spot"}, {pool + "interruptions", R"({"model": "poisson"})"}});
  CHECK(e.pointer() == "/sites/0/pools/0/interruptions");
  CHECK(e.found() == "neither");
  e = with_overrides({{pool + "capacity", "spot"},
                      {pool + "interruptions", R"({"model": "poisson", "aws_bucket": "12%"})"}});
  CHECK(e.pointer() == "/sites/0/pools/0/interruptions/aws_bucket");
  // A field of another model.
  e = with_overrides({{pool + "capacity", "spot"},
                      {pool + "interruptions", R"({"model": "poisson", "per_node_hour": 1, "late_h": 2})"}});
  CHECK(e.pointer() == "/sites/0/pools/0/interruptions/late_h");
  // A bathtub whose CDF would pass 1.
  e = with_overrides({{pool + "capacity", "spot"},
                      {pool + "interruptions", R"({"model": "bathtub", "scale": 0.9, "early_h": 1, "late_h": 1})"}});
  CHECK(e.pointer() == "/sites/0/pools/0/interruptions/scale");
  // A missing trace file is named as the file at fault.
  e = with_overrides({{pool + "capacity", "spot"},
                      {pool + "interruptions", R"({"model": "trace", "file": "no-such-trace.json"})"}});
  CHECK_THAT(e.file(), Contains("no-such-trace.json"));
  // Autoscale bounds must hold the starting size, and a schedule has 24 hours.
  e = with_overrides({{pool + "autoscale", R"({"min_gpus": 8, "max_gpus": 16, "metric": "gpu_busy", "target": 0.7})"}});
  CHECK(e.pointer() == "/sites/0/pools/0/autoscale/min_gpus");
  e = with_overrides({{pool + "autoscale", R"({"schedule": [1, 2, 3]})"}});
  CHECK(e.pointer() == "/sites/0/pools/0/autoscale/schedule");
  e = with_overrides({{pool + "autoscale", R"({"min_gpus": 1, "max_gpus": 4, "metric": "gpu_busy", "target": 1.5})"}});
  CHECK(e.pointer() == "/sites/0/pools/0/autoscale/target");
  // An unknown cloud suggests the nearest.
  e = with_overrides({{"sites.cloud.cloud", "gpc"}});
  CHECK(e.pointer() == "/sites/0/cloud");
  CHECK_THAT(e.found(), Contains("gcp"));
}

TEST_CASE("a trace file is untrusted input with its own pointer", "[scenario][errors][fleet]") {
  const std::string path = "bad_trace_test.json";
  {
    std::ofstream out(path);
    out << R"({"metadata": {"gap_seconds": 300}, "data": [3, -1]})";
  }
  const auto e = with_overrides({{"sites.cloud.pools.main.capacity", "spot"},
                                 {"sites.cloud.pools.main.interruptions",
                                  R"({"model": "trace", "file": ")" + std::filesystem::absolute(path).string() + "\"}"}});
  CHECK_THAT(e.file(), Contains("bad_trace_test.json"));
  CHECK(e.pointer() == "/data/1");
  std::remove(path.c_str());
}

TEST_CASE("prompts and outputs that cannot fit the model's window are refused", "[scenario][errors][context]") {
  // A 9,000-token persona on an 8,192-token window.
  auto e = with_overrides({{"classes.dialogue.history", R"({"persona_tokens": 9000})"}});
  CHECK(e.pointer() == "/classes/0/history/persona_tokens");
  CHECK_THAT(e.expected(), Contains("max_model_len_tokens (8192)"));
  // 9,000 persona + the constant 50-token turn + 1 token (an exponential output has no bound to check).
  CHECK(e.found() == "9051 tokens");
  // 3,000-token prompts on a 2,048-token window.
  e = with_overrides({{"classes.dialogue.prompt_tokens", R"({"dist": "constant", "value": 3000})"},
                      {"deployments.chat.max_model_len_tokens", "2048"}});
  CHECK(e.pointer() == "/classes/0/prompt_tokens");
  // An output that can reach past the window.
  e = with_overrides({{"classes.dialogue.output_tokens", R"({"dist": "uniform", "min": 10, "max": 3000})"},
                      {"deployments.chat.max_model_len_tokens", "2048"}});
  CHECK(e.pointer() == "/classes/0/output_tokens");
  // A window beyond the model's context (Llama-3-8B: 8,192 tokens).
  e = with_overrides({{"deployments.chat.max_model_len_tokens", "16384"}});
  CHECK(e.pointer() == "/deployments/0/max_model_len_tokens");
  CHECK_THAT(e.expected(), Contains("8192"));
}

TEST_CASE("a response cache is checked field by field", "[scenario][errors][cache]") {
  auto e = with_overrides({{"classes.dialogue.response_cache", R"({"distinct_prompts": 0, "capacity_entries": 5})"}});
  CHECK(e.pointer() == "/classes/0/response_cache/distinct_prompts");
  e = with_overrides({{"classes.dialogue.response_cache", R"({"distinct_prompts": 2000000, "capacity_entries": 5})"}});
  CHECK(e.pointer() == "/classes/0/response_cache/distinct_prompts");
  e = with_overrides({{"classes.dialogue.response_cache", R"({"distinct_prompts": 100, "capacity_entries": 5, "ttl": 3})"}});
  CHECK(e.pointer() == "/classes/0/response_cache/ttl");
  CHECK_THAT(e.found(), Contains("ttl_s"));
  e = with_overrides({{"classes.dialogue.response_cache", R"({"distinct_prompts": 100})"}});
  CHECK(e.pointer() == "/classes/0/response_cache/capacity_entries");
}

TEST_CASE("a review queue is checked field by field", "[scenario][errors][review]") {
  auto e = with_overrides({{"classes.dialogue.review", R"({"reviewers": 2})"}});
  CHECK(e.pointer() == "/classes/0/review");  // no escalation_share
  e = with_overrides({{"classes.dialogue.escalation_share", "0.1"}, {"classes.dialogue.review", R"({"reviewers": [1, 2, 3]})"}});
  CHECK(e.pointer() == "/classes/0/review/reviewers");
  e = with_overrides({{"classes.dialogue.escalation_share", "0.1"}, {"classes.dialogue.review", R"({"reviewers": 2.5})"}});
  CHECK(e.pointer() == "/classes/0/review/reviewers");
  e = with_overrides({{"classes.dialogue.escalation_share", "0.1"},
                      {"classes.dialogue.review", R"({"reviewers": 2, "items_per_hour": 0})"}});
  CHECK(e.pointer() == "/classes/0/review/items_per_hour");
  e = with_overrides({{"classes.dialogue.escalation_share", "0.1"}, {"classes.dialogue.review", R"({"staff": 2})"}});
  CHECK(e.pointer() == "/classes/0/review/staff");
}

namespace {
// minimal.json with a hosted API beside the self-hosted deployment.
json with_api(json hosted) {
  json doc = minimal();
  json base = {{"input_usd_per_mtok", 0.2}, {"output_usd_per_mtok", 0.6}, {"ttft_ms", 300}, {"tpot_ms", 10}};
  if (hosted.is_object()) base.update(hosted);
  doc["deployments"].push_back({{"name", "api"}, {"hosted", base}});
  return doc;
}
}  // namespace

TEST_CASE("a hosted API's latency, region and rate limit are checked where they stand", "[scenario][errors][hosted]") {
  auto e = with_doc(with_api({{"ttft_ms", "fast"}}));
  CHECK(e.pointer() == "/deployments/1/hosted/ttft_ms");
  CHECK(e.expected() == "a number of ms or a distribution object");
  e = with_doc(with_api({{"ttft_ms", {{"dist", "lognormal"}, {"mean", 400}}}}));
  CHECK(e.pointer() == "/deployments/1/hosted/ttft_ms/cv");
  e = with_doc(with_api({{"tpot_ms", {{"dist", "exponential"}, {"mean", 90000}}}}));
  CHECK(e.pointer() == "/deployments/1/hosted/tpot_ms");
  CHECK_THAT(e.expected(), Contains("mean <= 60000"));
  e = with_doc(with_api({{"rate_limit", json::object()}}));
  CHECK(e.pointer() == "/deployments/1/hosted/rate_limit");
  CHECK(e.expected() == "requests_per_minute or tokens_per_minute above 0");
  e = with_doc(with_api({{"rate_limit", {{"requests_per_minute", 60}, {"max_retries", 50}}}}));
  CHECK(e.pointer() == "/deployments/1/hosted/rate_limit/max_retries");
  e = with_doc(with_api({{"rate_limit", {{"requests_per_minute", 60}, {"backoff_s", 0}}}}));
  CHECK(e.pointer() == "/deployments/1/hosted/rate_limit/backoff_s");
  e = with_doc(with_api({{"rate_limit", {{"rpm", 60}}}}));
  CHECK(e.pointer() == "/deployments/1/hosted/rate_limit/rpm");

  // A link may name the API's region; a misspelt node is still an error.
  json doc = with_api({{"region", "api-east"}});
  doc["network"]["links"].push_back({{"a", "metro"}, {"b", "api-eats"}, {"rtt_ms", 30}});
  e = with_doc(doc);
  CHECK(e.pointer() == "/network/links/1/b");
  CHECK_THAT(e.found(), Contains("api-east"));
  // The region must be reachable from every origin calling it.
  doc = with_api({{"region", "api-east"}});
  doc["classes"][0]["deployment"] = "api";
  e = with_doc(doc);
  CHECK(e.pointer() == "/deployments/1/hosted/region");
  CHECK_THAT(e.found(), Contains("metro"));
  doc["network"]["links"].push_back({{"a", "cloud"}, {"b", "api-east"}, {"rtt_ms", 30}});
  CHECK_NOTHROW(load_json(doc, "doc.json"));
}

TEST_CASE("an overflow names a hosted deployment of a self-hosted class", "[scenario][errors][hosted]") {
  json doc = with_api({});
  doc["classes"][0]["overflow"] = "chat";
  auto e = with_doc(doc);
  CHECK(e.pointer() == "/classes/0/overflow");
  CHECK(e.expected() == "the name of a hosted deployment");
  doc["classes"][0]["overflow"] = "apj";
  e = with_doc(doc);
  CHECK_THAT(e.found(), Contains("did you mean \"api\""));
  doc["classes"][0]["overflow"] = "api";
  doc["classes"][0]["overflow_queue_limit"] = -1;
  e = with_doc(doc);
  CHECK(e.pointer() == "/classes/0/overflow_queue_limit");
  doc["classes"][0].erase("overflow");
  doc["classes"][0]["overflow_queue_limit"] = 8;
  e = with_doc(doc);
  CHECK(e.pointer() == "/classes/0/overflow_queue_limit");
  CHECK(e.found() == "no overflow");
  doc = with_api({});
  doc["classes"][0]["deployment"] = "api";
  doc["classes"][0]["overflow"] = "api";
  e = with_doc(doc);
  CHECK(e.pointer() == "/classes/0/overflow");
  CHECK_THAT(e.expected(), Contains("self-hosted"));
}

namespace {
// minimal.json whose class replays a trace of `text` (written to a temporary file).
ScenarioError with_trace_text(const std::string& text, const std::string& name, json extra = json::object()) {
  const auto path = std::filesystem::temp_directory_path() / ("capstan_trace_" + name + ".csv");
  std::ofstream(path) << text;
  json doc = minimal();
  auto& c = doc["classes"][0];
  for (const char* drawn : {"rate_per_user_hour", "prompt_tokens", "output_tokens"}) c.erase(drawn);
  c["trace"] = {{"file", path.string()}};
  c["trace"].update(extra);
  auto e = with_doc(doc);
  std::filesystem::remove(path);
  return e;
}
}  // namespace

TEST_CASE("a request trace is untrusted input, with its file and line", "[scenario][errors][trace]") {
  const std::string header = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  auto e = with_trace_text("", "empty");
  CHECK(e.pointer() == "line 1");
  e = with_trace_text("time,prompt,output\n1,2,3\n", "header");
  CHECK(e.file().find("capstan_trace_header.csv") != std::string::npos);
  CHECK(e.pointer() == "line 1");
  CHECK(e.found() == "a header without TIMESTAMP");
  e = with_trace_text(header, "no_rows");
  CHECK(e.expected() == "at least one row after the header");
  e = with_trace_text(header + "2023-11-16 18:15:46.6805900,10,5\n2023-11-16 18:15:47,10\n", "fields");
  CHECK(e.pointer() == "line 3");
  CHECK(e.found() == "2");
  e = with_trace_text(header + "2023-13-16 18:15:46,10,5\n", "month");
  CHECK(e.pointer() == "line 2");
  CHECK(e.found() == "\"2023-13-16 18:15:46\"");
  e = with_trace_text(header + "2023-11-16 18:15:46,10,5\n2023-11-16 18:15:45,10,5\n", "order");
  CHECK(e.pointer() == "line 3");
  CHECK_THAT(e.expected(), Contains("in order"));
  e = with_trace_text(header + "\n2023-11-16 18:15:46,-10,5\n", "negative");
  CHECK(e.pointer() == "line 3");  // blank lines count
  CHECK_THAT(e.expected(), Contains("prompt tokens"));
  e = with_trace_text(header + "2023-11-16 18:15:46,10,5.5\n", "fraction");
  CHECK_THAT(e.expected(), Contains("output tokens"));
  e = with_trace_text(header + "2023-11-16 18:15:46,10,5\n", "loop_once", {{"loop", true}});
  CHECK(e.pointer() == "/classes/0/trace/loop");  // one instant: a loop would never advance
  e = with_trace_text(header + "2023-11-16 18:15:46,10,5\n", "scale", {{"time_scale", 0}});
  CHECK(e.pointer() == "/classes/0/trace/time_scale");
  // Looping a trace of a few microseconds for an hour would replay billions of rows.
  e = with_trace_text("timestamp_s,prompt_tokens,output_tokens\n0,10,5\n0.000001,10,5\n", "dense",
                      {{"loop", true}});
  CHECK(e.pointer() == "/classes/0/trace/time_scale");

  json doc = minimal();
  doc["classes"][0]["trace"] = {{"file", "/nonexistent/trace.csv"}};
  e = with_doc(doc);
  CHECK(e.pointer() == "/classes/0/rate_per_user_hour");  // a trace replaces the drawn requests
  for (const char* drawn : {"rate_per_user_hour", "prompt_tokens", "output_tokens"}) doc["classes"][0].erase(drawn);
  e = with_doc(doc);
  CHECK(e.file() == "/nonexistent/trace.csv");
  CHECK(e.found() == "no such file");
  doc["classes"][0]["trace"] = {{"file", "/dev/zero"}};
  e = with_doc(doc);
  CHECK(e.found() == "not a regular file");
}

TEST_CASE("every error of a document is reported in one pass, in the order read", "[scenario][errors]") {
  json doc = minimal();
  doc["simulation"] = {{"duration_h", -1}, {"replicatons", 3}};
  doc["workload"]["peak_users"] = "many";
  doc["classes"][0]["slo"]["threshold_ms"] = -5;
  // An object's unknown keys come first, then its fields in turn.
  // A second deployment whose GPU is unknown, and a class and a pool of it: only the deployment is reported.
  doc["deployments"].push_back({{"name", "broken"}, {"model", "llama-3-8b"}, {"gpu", "h10"}});
  json served = doc["classes"][0];
  served["name"] = "served";
  served["deployment"] = "broken";
  served["slo"]["threshold_ms"] = -7;  // follows the broken deployment: skipped with its class
  doc["classes"].push_back(served);
  doc["sites"][0]["pools"].push_back({{"name", "more"}, {"deployment", "broken"}, {"gpus", -1}});
  // A check relating fields ends its item only: the second pool still reports its own error.
  doc["sites"][0]["pools"].push_back({{"name", "main"}, {"deployment", "chat"}, {"gpus", 2}});
  doc["sites"][0]["pools"].push_back({{"name", "third"}, {"deployment", "chat"}, {"gpus", 2.5}});
  doc["network"]["links"][0]["rtt_ms"] = -1;
  doc["routing"] = {{"policy", "fastest"}};

  const ScenarioError e = with_doc(doc);
  std::vector<std::string> pointers{e.pointer()};
  for (const auto& i : e.more()) pointers.push_back(i.pointer);
  CHECK(pointers == std::vector<std::string>{"/simulation/replicatons", "/simulation/duration_h", "/workload/peak_users",
                                             "/deployments/1/gpu", "/classes/0/slo/threshold_ms",
                                             "/sites/0/pools/2/name", "/sites/0/pools/3/gpus",
                                             "/network/links/0/rtt_ms", "/routing/policy"});
  // One line per error, each a whole message.
  const std::string what = e.what();
  CHECK(static_cast<std::size_t>(std::count(what.begin(), what.end(), '\n')) == pointers.size() - 1);
  CHECK_THAT(what, Contains("doc.json: /routing/policy: expected one of"));
  CHECK_THAT(what, Contains("doc.json: /sites/0/pools/2/name: expected a name not used before"));
}

TEST_CASE("the checks across a document wait until its items read without error", "[scenario][errors]") {
  // The origin reaches no site only because the site is in error: that error alone is reported.
  json doc = minimal();
  doc["sites"][0]["region"] = "mars";
  const ScenarioError e = with_doc(doc);
  CHECK(e.pointer() == "/sites/0/region");
  CHECK(e.more().empty());
}

TEST_CASE("more than a hundred errors are counted, not listed", "[scenario][errors]") {
  json doc = minimal();
  for (int i = 0; i < 150; ++i) doc["workload"]["x" + std::to_string(i)] = i;
  const ScenarioError e = with_doc(doc);
  CHECK(e.more().size() == 99);
  CHECK_THAT(std::string(e.what()), Contains("doc.json: and 50 more error(s) not listed"));
}
