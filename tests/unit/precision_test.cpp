// Serving precision: what a deployment's weights, activations and KV cache
// precisions change in the model, what the roofline then prices, and the
// pairs of precision and GPU a real system refuses.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "models/calibration/calibrated.h"
#include "models/calibration/roofline.h"
#include "models/catalog/catalog.h"
#include "models/scenario/load.h"
#include "tests/support/specs.h"

namespace cal = capstan::calibration;
using capstan::catalog::Catalog;
using capstan::catalog::LlmSpec;
using capstan::scenario::ScenarioError;
using nlohmann::json;

namespace {

json minimal_with(const std::string& gpu, const json& precision) {
  std::ifstream in(std::string(CAPSTAN_SOURCE_DIR) + "/tests/data/minimal.json");
  json doc = json::parse(in);
  doc["deployments"][0]["gpu"] = gpu;
  if (!precision.is_null()) doc["deployments"][0]["precision"] = precision;
  return doc;
}

const LlmSpec& served(const capstan::scenario::Scenario& s) { return s.deployments.at(0).llm; }

std::string pointer_of(const json& doc) {
  try {
    capstan::scenario::load_json(doc, "p.json");
  } catch (const ScenarioError& e) {
    return e.pointer();
  }
  return "(accepted)";
}

cal::RooflineModel roofline(const LlmSpec& m, const char* gpu) {
  return cal::RooflineModel(m, *Catalog::builtin().gpu(gpu), *Catalog::builtin().engine("vllm"), 1);
}

}  // namespace

TEST_CASE("precision: a deployment's precisions set its weight, activation and KV bytes", "[precision]") {
  const auto bf16 = capstan::scenario::load_json(minimal_with("h100", nullptr), "p.json");
  CHECK(served(bf16).bytes_per_param == 2.0);
  CHECK(served(bf16).kv_bytes == 2.0);
  CHECK(served(bf16).gemm_precision == "bf16");
  const auto fp8 = capstan::scenario::load_json(
      minimal_with("h100", {{"weights", "fp8"}, {"activations", "fp8"}, {"kv_cache", "fp8"}}), "p.json");
  CHECK(served(fp8).bytes_per_param == 1.0);
  CHECK(served(fp8).kv_bytes == 1.0);
  CHECK(served(fp8).activation_bytes == 2.0);  // GEMM outputs and element-wise work stay 16-bit
  CHECK(served(fp8).gemm_precision == "fp8");
  CHECK(served(fp8).kv_bytes_per_token() == served(bf16).kv_bytes_per_token() / 2.0);
  CHECK(served(fp8).weight_bytes() == served(bf16).weight_bytes() / 2.0);
  // 4-bit weights carry their scales: GPTQ/AWQ's fp16 per 128, MX's 8 bits per 32, NVFP4's 8 bits per 16.
  for (const auto& [weights, bytes] : std::vector<std::pair<std::string, double>>{
           {"int4", 0.5 + 2.0 / 128}, {"mxfp4", 0.5 + 1.0 / 32}, {"nvfp4", 0.5 + 1.0 / 16}}) {
    const auto s = capstan::scenario::load_json(minimal_with("a100-80gb", {{"weights", weights}}), "p.json");
    CHECK(served(s).bytes_per_param == bytes);
    CHECK(served(s).gemm_precision == "bf16");  // dequantised into bf16 GEMMs on an A100
  }
  // The FP8 KV cache alone, on a GPU without FP8 math (stored in 8 bits, computed in 16).
  const auto kv = capstan::scenario::load_json(minimal_with("a100-80gb", {{"kv_cache", "fp8"}}), "p.json");
  CHECK(served(kv).kv_bytes == 1.0);
  CHECK(served(kv).bytes_per_param == 2.0);
}

TEST_CASE("precision: pairs of precision and GPU no engine runs are refused at their pointer", "[precision]") {
  const std::string at = "/deployments/0/precision/activations";
  CHECK(pointer_of(minimal_with("a100-80gb", {{"weights", "fp8"}, {"activations", "fp8"}})) == at);  // Ampere: no FP8
  CHECK(pointer_of(minimal_with("a10g", {{"weights", "fp8"}, {"activations", "fp8"}})) == at);
  CHECK(pointer_of(minimal_with("h100", {{"activations", "fp8"}})) == at);                        // bf16 weights
  CHECK(pointer_of(minimal_with("h100", {{"weights", "nvfp4"}, {"activations", "fp4"}})) == at);  // no FP4 before Blackwell
  CHECK(pointer_of(minimal_with("h100", {{"weights", "fp8"}, {"activations", "fp4"}})) == at);
  CHECK(pointer_of(minimal_with("l40s", {{"weights", "fp8"}, {"activations", "fp8"}})) == "(accepted)");  // Ada has FP8
  // Blackwell runs FP4 GEMMs, datacenter and RTX alike; AMD's CDNA3 runs FP8 but no FP4.
  CHECK(pointer_of(minimal_with("b200", {{"weights", "nvfp4"}, {"activations", "fp4"}})) == "(accepted)");
  CHECK(pointer_of(minimal_with("rtx-pro-6000", {{"weights", "mxfp4"}, {"activations", "fp4"}})) == "(accepted)");
  CHECK(pointer_of(minimal_with("mi300x", {{"weights", "fp8"}, {"activations", "fp8"}})) == "(accepted)");
  CHECK(pointer_of(minimal_with("mi325x", {{"weights", "mxfp4"}, {"activations", "fp4"}})) == at);
  CHECK(pointer_of(minimal_with("h100", {{"weights", "fp6"}})) == "/deployments/0/precision/weights");
  CHECK(pointer_of(minimal_with("h100", {{"kv_cache", "int4"}})) == "/deployments/0/precision/kv_cache");
  CHECK(pointer_of(minimal_with("h100", {{"weight", "fp8"}})) == "/deployments/0/precision/weight");
}

TEST_CASE("precision: FP8 halves what a decode step reads and a large GEMM's time on Hopper", "[precision]") {
  LlmSpec m = *Catalog::builtin().llm("llama-3.1-8b");
  LlmSpec q = m;
  q.bytes_per_param = 1.0;
  q.gemm_precision = "fp8";
  q.kv_bytes = 1.0;
  const auto r16 = roofline(m, "h100"), r8 = roofline(q, "h100");
  const double floor = Catalog::builtin().gpu("h100")->kernels.gemm_floor_us * 1e-6;
  // One row: the weights' bytes decide (the rows' bytes are 16-bit in both).
  for (auto op : {cal::Operator::kQkvGemm, cal::Operator::kGateUpGemm, cal::Operator::kDownGemm}) {
    const double ratio = (r8.gemm_seconds(op, 1) - floor) / (r16.gemm_seconds(op, 1) - floor);
    CHECK(ratio == Approx(0.5).epsilon(0.01));
    // 8,192 rows: the tensor cores decide, FP8's peak is twice bf16's on an H100.
    CHECK((r8.gemm_seconds(op, 8192) - floor) / (r16.gemm_seconds(op, 8192) - floor) == Approx(0.5).epsilon(0.05));
  }
  // Decode attention streams half the KV bytes.
  CHECK(r8.decode_attention_cost(8).per_context_token_s == Approx(r16.decode_attention_cost(8).per_context_token_s / 2));
  // The roofline refuses math a GPU's tensor cores lack (the scenario refuses it first, above).
  CHECK_THROWS_AS(roofline(q, "a100-80gb"), std::invalid_argument);
  // A calibrated profile times bf16 kernels: an FP8 deployment runs on the roofline.
  cal::Profile p;
  p.model = m;
  p.tensor_parallel = 1;
  try {
    cal::CalibratedModel(p, "p.json", q, 1, *Catalog::builtin().gpu("h100"));
    FAIL("expected a ProfileError");
  } catch (const cal::ProfileError& e) {
    CHECK(e.pointer().rfind("/model", 0) == 0);
  }
}
