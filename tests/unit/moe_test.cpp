// Mixture of experts: the parameters a catalog model holds and runs per
// token against its publisher's figures, the expected number of experts a
// batch activates against counting random routings, and what the roofline
// prices for the experts' GEMMs.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/calibration/calibrated.h"
#include "models/calibration/roofline.h"
#include "models/catalog/catalog.h"
#include "models/scenario/load.h"
#include "tests/support/specs.h"

namespace cal = capstan::calibration;
using capstan::catalog::Catalog;
using capstan::catalog::LlmSpec;
using capstan::testing::h100_like;
using capstan::testing::summing_engine;

namespace {

const LlmSpec& model(const char* name) { return *Catalog::builtin().llm(name); }

}  // namespace

TEST_CASE("moe: the catalog's experts hold and run the parameters their publishers give", "[moe]") {
  // Mistral AI: 46.7B parameters, 12.9B used per token, rounded: within half
  // a unit of the last figure.
  const LlmSpec& mixtral = model("mixtral-8x7b");
  CHECK(std::abs(mixtral.parameters() / 1e9 - 46.7) <= 0.05);
  CHECK(std::abs(mixtral.active_parameters() / 1e9 - 12.9) <= 0.05);
  // Qwen's model card: 30.5B in all, 29.9B without the embeddings, 3.3B
  // activated, cut (not rounded) to one decimal: within [x, x + 0.1).
  const LlmSpec& qwen = model("qwen3-30b-a3b");
  const double embeddings = 2.0 * qwen.vocab * static_cast<double>(qwen.hidden);
  auto cut_to = [](double billions, double published) { return billions >= published && billions < published + 0.1; };
  CHECK(cut_to(qwen.parameters() / 1e9, 30.5));
  CHECK(cut_to((qwen.parameters() - embeddings) / 1e9, 29.9));
  CHECK(cut_to(qwen.active_parameters() / 1e9, 3.3));
  // OpenAI's gpt-oss model card: 117B and 21B, 5.1B and 3.6B active (the
  // input embedding, a lookup, not counted as active), rounded to the unit
  // and the tenth.
  const LlmSpec& oss = model("gpt-oss-120b");
  const LlmSpec& oss20 = model("gpt-oss-20b");
  const double lookup = static_cast<double>(oss.vocab) * oss.hidden;
  CHECK(std::abs(oss.parameters() / 1e9 - 117) <= 0.5);
  CHECK(std::abs(oss20.parameters() / 1e9 - 21) <= 0.5);
  CHECK(std::abs((oss.active_parameters() - lookup) / 1e9 - 5.1) <= 0.05);
  CHECK(std::abs((oss20.active_parameters() - lookup) / 1e9 - 3.6) <= 0.05);
  // Meta's Llama 4 Scout: 17B active parameters.
  CHECK(std::abs(model("llama-4-scout-17b-16e").active_parameters() / 1e9 - 17) <= 0.5);
  // A dense model runs every parameter it holds.
  const LlmSpec& dense = model("llama-3-8b");
  CHECK(dense.active_parameters() == dense.parameters());
  CHECK(dense.expected_active_experts(100) == 0.0);
}

TEST_CASE("moe: the experts a batch activates match counting random routings", "[moe]") {
  // Each token picks k distinct experts of E uniformly; the closed form
  // E (1 - (1 - k/E)^T) against the mean of 20,000 routed batches, within
  // five standard errors of that mean.
  std::mt19937_64 rng(20261207);
  for (const auto& [e, k] : std::vector<std::pair<int, int>>{{8, 2}, {128, 8}, {16, 1}}) {
    LlmSpec m = model("mixtral-8x7b");
    m.experts = e;
    m.experts_per_token = k;
    for (int tokens : {1, 3, 16, 64, 512}) {
      INFO(e << " experts, " << k << " per token, " << tokens << " tokens");
      const int batches = 20000;
      double sum = 0.0, sum_sq = 0.0;
      std::vector<int> experts(static_cast<std::size_t>(e));
      for (int i = 0; i < e; ++i) experts[static_cast<std::size_t>(i)] = i;
      std::vector<char> used(static_cast<std::size_t>(e));
      for (int b = 0; b < batches; ++b) {
        std::fill(used.begin(), used.end(), 0);
        for (int t = 0; t < tokens; ++t) {
          // A partial Fisher-Yates shuffle: k distinct experts, uniformly, from whatever order the last left.
          for (int i = 0; i < k; ++i) {
            std::uniform_int_distribution<int> pick(i, e - 1);
            std::swap(experts[static_cast<std::size_t>(i)], experts[static_cast<std::size_t>(pick(rng))]);
            used[static_cast<std::size_t>(experts[static_cast<std::size_t>(i)])] = 1;
          }
        }
        double distinct = 0.0;
        for (char u : used) distinct += u;
        sum += distinct;
        sum_sq += distinct * distinct;
      }
      const double mean = sum / batches;
      const double se = std::sqrt(std::max(0.0, sum_sq / batches - mean * mean) / batches);
      const double expected = m.expected_active_experts(tokens);
      CHECK(std::abs(mean - expected) <= 5.0 * se + 1e-6);  // se is 0 where every batch uses every expert
    }
  }
  // Its ends: one token activates k experts; a large batch, all of them.
  LlmSpec m = model("qwen3-30b-a3b");
  CHECK(m.expected_active_experts(1) == Approx(8.0).epsilon(1e-12));
  CHECK(m.expected_active_experts(4096) == Approx(128.0).epsilon(1e-9));
}

TEST_CASE("moe: a decode step reads the weights of the experts its batch activates", "[moe]") {
  const LlmSpec& m = model("mixtral-8x7b");
  const cal::RooflineModel r(m, h100_like(), summing_engine(), 1);
  const cal::WorkFormulas f{m, 1};
  const double expert_weights = 3.0 * m.hidden * m.expert_intermediate * m.bytes_per_param;
  // One token: two experts' weights (gate, up and down), and rows in and out.
  const double one = f.expert_gemm_bytes(cal::Operator::kExpertGateUpGemm, 1) +
                     f.expert_gemm_bytes(cal::Operator::kExpertDownGemm, 1);
  CHECK(one == Approx(2.0 * expert_weights + 2.0 * (m.hidden + 2.0 * m.expert_intermediate + m.expert_intermediate +
                                                     m.hidden) * m.bytes_per_param));
  // The roofline prices it at about the memory bound: two experts at one
  // token, nearly all eight at 32 tokens (7.9 expected), so 32 tokens cost
  // nearly four times what one does, not 32 times.
  const double t1 = r.expert_gemm_seconds(cal::Operator::kExpertGateUpGemm, 1) +
                    r.expert_gemm_seconds(cal::Operator::kExpertDownGemm, 1);
  const double t32 = r.expert_gemm_seconds(cal::Operator::kExpertGateUpGemm, 32) +
                     r.expert_gemm_seconds(cal::Operator::kExpertDownGemm, 32);
  const double floor = 2.0 * h100_like().kernels.gemm_floor_us * 1e-6;
  CHECK((t32 - floor) / (t1 - floor) == Approx(m.expected_active_experts(32) / 2.0).epsilon(0.05));
  // Memoised and direct agree: whole token counts come from the memo.
  CHECK(r.expert_gemm_seconds(cal::Operator::kExpertGateUpGemm, 32) ==
        r.expert_gemm_seconds(cal::Operator::kExpertGateUpGemm, 32));
  // At a large batch the experts' GEMMs are compute-bound: their FLOPs are
  // those of the tokens' k rows through one expert each.
  const double tokens = 8192;
  CHECK(f.expert_gemm_flops(cal::Operator::kExpertGateUpGemm, tokens) ==
        Approx(2.0 * tokens * 2 * m.hidden * 2.0 * m.expert_intermediate));
  const auto parts = r.breakdown(0, std::vector<cal::PrefillChunk>{{8192, 0}});
  const double experts = parts[static_cast<std::size_t>(cal::Operator::kExpertGateUpGemm)].fixed_s +
                         parts[static_cast<std::size_t>(cal::Operator::kExpertDownGemm)].fixed_s;
  const double flops = m.layers * (f.expert_gemm_flops(cal::Operator::kExpertGateUpGemm, tokens) +
                                   f.expert_gemm_flops(cal::Operator::kExpertDownGemm, tokens));
  const double peak = h100_like().bf16_tflops * 1e12 * h100_like().kernels.gemm_flops_share;
  CHECK(experts >= flops / peak);
  CHECK(experts <= 1.25 * flops / peak);
}

TEST_CASE("moe: the iteration runs the router, the permutation and no dense MLP without a shared expert", "[moe]") {
  const LlmSpec& m = model("qwen3-30b-a3b");
  const cal::IterationWork w = cal::iteration_work(m, 1, 16, {});
  auto at = [&w](cal::Operator op) { return w[static_cast<std::size_t>(op)]; };
  CHECK(at(cal::Operator::kGateUpGemm).count == 0.0);
  CHECK(at(cal::Operator::kDownGemm).count == 0.0);
  CHECK(at(cal::Operator::kRouterGemm).count == m.layers);
  CHECK(at(cal::Operator::kExpertGateUpGemm).count == m.layers);
  CHECK(at(cal::Operator::kMoePermute).count == 2.0 * m.layers);
  // The SiLU-gate runs over each token's eight expert rows.
  CHECK(at(cal::Operator::kSiluGate).count == m.layers);
  CHECK(at(cal::Operator::kSiluGate).bytes == Approx(3.0 * 16 * 8 * m.expert_intermediate * m.bytes_per_param));
  // A dense model runs none of the experts' operators.
  const cal::IterationWork d = cal::iteration_work(model("llama-3-8b"), 1, 16, {});
  for (int i = 0; i < cal::kOperatorCount; ++i) {
    if (cal::is_moe(static_cast<cal::Operator>(i))) CHECK(d[static_cast<std::size_t>(i)].count == 0.0);
  }
  // Tensor parallelism splits each expert's inner dimension.
  CHECK(cal::gemm_shape(cal::Operator::kExpertGateUpGemm, m, 4).n == 2 * m.expert_intermediate / 4);
  CHECK(cal::gemm_shape(cal::Operator::kExpertDownGemm, m, 4).k == m.expert_intermediate / 4);
  CHECK(cal::gemm_shape(cal::Operator::kRouterGemm, m, 4).n == m.experts);
}

TEST_CASE("moe: a calibrated profile of a dense model refuses a mixture of experts", "[moe]") {
  const LlmSpec m = capstan::testing::llama3_8b_like();
  LlmSpec moe = m;
  moe.experts = 8;
  moe.experts_per_token = 2;
  moe.expert_intermediate = m.intermediate;
  cal::Profile p;
  p.model = m;
  p.tensor_parallel = 1;
  try {
    cal::CalibratedModel(p, "p.json", moe, 1, h100_like());
    FAIL("expected a ProfileError");
  } catch (const cal::ProfileError& e) {
    CHECK(e.pointer() == "/model/experts");
  }
}

TEST_CASE("moe: expert parallelism holds whole experts on each GPU with the same work and bytes", "[moe]") {
  LlmSpec tp = model("qwen3-30b-a3b");
  LlmSpec ep = tp;
  ep.expert_parallel = true;
  const int gpus = 8;
  const cal::WorkFormulas ft{tp, gpus}, fe{ep, gpus};
  // Full-width experts on each GPU; a slice of every one under plain tensor parallelism.
  CHECK(cal::gemm_shape(cal::Operator::kExpertGateUpGemm, ep, gpus).n == 2 * ep.expert_intermediate);
  CHECK(cal::gemm_shape(cal::Operator::kExpertDownGemm, ep, gpus).k == ep.expert_intermediate);
  for (double tokens : {1.0, 16.0, 512.0}) {
    for (auto op : {cal::Operator::kExpertGateUpGemm, cal::Operator::kExpertDownGemm}) {
      INFO(tokens << " tokens");
      // A GPU's FLOPs and weight bytes are the same either way: its eighth of the rows through whole
      // experts, or every row through an eighth of each expert.
      CHECK(fe.expert_gemm_flops(op, tokens) == Approx(ft.expert_gemm_flops(op, tokens)));
      const cal::GemmShape se = cal::gemm_shape(op, ep, gpus), st = cal::gemm_shape(op, tp, gpus);
      CHECK(fe.expert_gemm_groups(tokens) * se.k * se.n == Approx(ft.expert_gemm_groups(tokens) * st.k * st.n));
    }
    CHECK(fe.expert_gemm_groups(tokens) == Approx(ep.expected_active_experts(tokens) / gpus));
    CHECK(fe.expert_gemm_rows(tokens) == Approx(tokens * ep.experts_per_token / gpus));
  }
  // The roofline prices both; the whole experts' GEMMs fill tiles better at a large batch.
  const cal::RooflineModel rt(tp, h100_like(), summing_engine(), gpus), re(ep, h100_like(), summing_engine(), gpus);
  CHECK(re.expert_gemm_seconds(cal::Operator::kExpertGateUpGemm, 4096) <=
        rt.expert_gemm_seconds(cal::Operator::kExpertGateUpGemm, 4096));
  CHECK(re.expert_gemm_seconds(cal::Operator::kExpertGateUpGemm, 1) > 0.0);
}

TEST_CASE("moe: expert parallelism is a mixture of experts' choice, over a degree its experts divide", "[moe]") {
  std::ifstream in(std::string(CAPSTAN_SOURCE_DIR) + "/tests/data/minimal.json");
  const nlohmann::json minimal = nlohmann::json::parse(in);
  auto load = [&](const char* model, int tp) {
    nlohmann::json doc = minimal;
    doc["deployments"][0].update({{"model", model}, {"tensor_parallel", tp}, {"expert_parallel", true}});
    doc["sites"][0]["pools"][0]["gpus"] = tp;
    return capstan::scenario::load_json(doc, "ep.json");
  };
  CHECK(load("mixtral-8x7b", 2).deployments[0].llm.expert_parallel);
  auto pointer = [&](const char* model, int tp) {
    try {
      load(model, tp);
    } catch (const capstan::scenario::ScenarioError& e) {
      return e.pointer();
    }
    return std::string("(accepted)");
  };
  // Data-parallel attention needs the experts shared over the GPUs.
  nlohmann::json dp = minimal;
  dp["deployments"][0].update({{"model", "mixtral-8x7b"}, {"tensor_parallel", 2}, {"data_parallel_attention", true}});
  dp["sites"][0]["pools"][0]["gpus"] = 2;
  try {
    capstan::scenario::load_json(dp, "dp.json");
    FAIL("expected a ScenarioError");
  } catch (const capstan::scenario::ScenarioError& e) {
    CHECK(e.pointer() == "/deployments/0/data_parallel_attention");
  }
  dp["deployments"][0]["expert_parallel"] = true;
  CHECK(capstan::scenario::load_json(dp, "dp.json").deployments[0].llm.data_parallel_attention);
  CHECK(pointer("llama-3-8b", 1) == "/deployments/0/expert_parallel");     // dense
  CHECK(pointer("mixtral-8x7b", 16) == "/deployments/0/expert_parallel");  // 8 experts over 16 GPUs
}

TEST_CASE("moe: dense layers among expert layers run their own MLP and no experts", "[moe]") {
  // Half of Mixtral's layers made dense (14,336 wide): the experts' work
  // halves, and the dense GEMMs price as the dense model's in those layers.
  LlmSpec half = model("mixtral-8x7b");
  half.dense_layers = 16;
  half.dense_intermediate = 14336;
  LlmSpec dense = model("llama-3-8b");
  const cal::RooflineModel mixed(half, h100_like(), summing_engine(), 1);
  const cal::RooflineModel all_experts(model("mixtral-8x7b"), h100_like(), summing_engine(), 1);
  const cal::RooflineModel llama(dense, h100_like(), summing_engine(), 1);
  for (std::int64_t seqs : {1, 32, 256}) {
    const auto a = mixed.breakdown(seqs, {});
    const auto b = all_experts.breakdown(seqs, {});
    const auto d = llama.breakdown(seqs, {});
    auto at = [](const auto& parts, cal::Operator op) { return parts[static_cast<std::size_t>(op)].fixed_s; };
    for (cal::Operator op : {cal::Operator::kExpertGateUpGemm, cal::Operator::kExpertDownGemm,
                             cal::Operator::kRouterGemm}) {
      CHECK(at(a, op) == Approx(at(b, op) / 2.0));
    }
    // No shared expert: the gate/up and down GEMMs are the dense layers' alone, as Llama-3-8B's (same width) in half the layers.
    for (cal::Operator op : {cal::Operator::kGateUpGemm, cal::Operator::kDownGemm}) {
      CHECK(at(a, op) == Approx(at(d, op) / 2.0));
    }
  }
  // Its parameters: half the experts' weights traded for half the dense MLPs'.
  const LlmSpec& full = model("mixtral-8x7b");
  const double expert = 3.0 * full.hidden * static_cast<double>(full.expert_intermediate);
  CHECK(half.parameters() ==
        Approx(full.parameters() - 16 * (8 * expert + full.hidden * 8.0) + 16 * 3.0 * full.hidden * 14336.0));
}
