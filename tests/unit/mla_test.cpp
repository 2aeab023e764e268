// Multi-head latent attention (DeepSeek V2 and V3): the parameters against
// DeepSeek's published counts, the cache a token takes, and the attention
// and projection work against their closed forms.
#include <catch2/catch.hpp>

#include <cmath>

#include "models/calibration/operators.h"
#include "models/calibration/roofline.h"
#include "models/catalog/catalog.h"
#include "tests/support/specs.h"

namespace cal = capstan::calibration;
using capstan::catalog::Catalog;
using capstan::catalog::LlmSpec;
using capstan::testing::h100_like;
using capstan::testing::summing_engine;

namespace {
const LlmSpec& v3() { return *Catalog::builtin().llm("deepseek-v3"); }
}  // namespace

TEST_CASE("mla: DeepSeek-V3 holds and runs the parameters DeepSeek gives", "[mla]") {
  // DeepSeek-V3 technical report: 671B parameters, 37B activated per token
  // (the multi-token-prediction module's 14B aside), to the unit.
  CHECK(std::abs(v3().parameters() / 1e9 - 671) <= 0.5);
  CHECK(std::abs(v3().active_parameters() / 1e9 - 37) <= 0.6);
  // Its cache: a 512-wide latent and a 64-wide RoPE key a token and layer,
  // whole on every GPU of a replica.
  CHECK(v3().kv_layer_bytes_per_token() == (512 + 64) * 2.0);
  CHECK(v3().kv_bytes_per_token() == 61 * (512 + 64) * 2.0);
  CHECK(v3().kv_copies(8) == 8.0);
  // Grouped-query attention splits its KV heads, replicating them past their count.
  const LlmSpec& llama = *Catalog::builtin().llm("llama-3-8b");
  CHECK(llama.kv_copies(8) == 1.0);
  CHECK(llama.kv_copies(16) == 2.0);
}

TEST_CASE("mla: attention reads the latent once for every head", "[mla]") {
  const LlmSpec& m = v3();
  for (int tp : {1, 8}) {
    const cal::WorkFormulas f{m, tp};
    const double heads = 128.0 / tp;
    // Absorbed decode: scores over latent and RoPE key, values over the latent.
    CHECK(f.decode_flops(1000) == Approx(2.0 * heads * (2 * 512 + 64) * 1000));
    CHECK(f.decode_bytes(0, 1000) == Approx(576 * m.kv_bytes * 1000));
    CHECK(f.decode_bytes(1, 0) == Approx(heads * (576 + 512) * m.activation_bytes));
    // Expanded prefill: 192-wide queries and keys, 128-wide values.
    CHECK(f.prefill_flops(100, 0) == Approx(2.0 * heads * (192 + 128) * 100 * 50));
    // The projections: down to the query bottleneck and the latent (2,112 wide together), up to the heads.
    const double qkv_weights = 7168.0 * (1536 + 576) + 1536.0 * heads * 192 + 512.0 * heads * 256;
    CHECK(f.gemm_flops(cal::Operator::kQkvGemm, 4) == Approx(2.0 * 4 * qkv_weights));
    CHECK(f.gemm_bytes(cal::Operator::kQkvGemm, 1) ==
          Approx(qkv_weights * m.bytes_per_param + (7168 + 2112 + 1536 + 512 + heads * (192 + 256)) *
                                                       m.activation_bytes));
    CHECK(cal::gemm_shape(cal::Operator::kOGemm, m, tp).k == static_cast<std::int64_t>(heads) * 128);
  }
  // The roofline prices the three projections as three launches.
  LlmSpec lite = v3();
  const cal::RooflineModel r(lite, h100_like(), summing_engine(), 8);
  cal::GemmShape shapes[3];
  REQUIRE(cal::mla_qkv_shapes(lite, 8, shapes) == 3);
  CHECK(r.gemm_seconds(cal::Operator::kQkvGemm, 64) > 3 * h100_like().kernels.gemm_floor_us * 1e-6);
  // Without a query bottleneck (V2-Lite) the query comes straight from the hidden state, split over the GPUs.
  lite.q_lora_rank = 0;
  REQUIRE(cal::mla_qkv_shapes(lite, 8, shapes) == 2);
  CHECK(shapes[0].n == 16 * 192 + 576);
}

TEST_CASE("mla: data-parallel attention splits the batch, not the heads, and sends tokens to their experts",
          "[mla][moe]") {
  LlmSpec tp = v3();
  tp.expert_parallel = true;
  LlmSpec dp = tp;
  dp.data_parallel_attention = true;
  const int gpus = 8;
  const double tokens = 512;
  const cal::IterationWork a = cal::iteration_work(tp, gpus, 256, {}), b = cal::iteration_work(dp, gpus, 256, {});
  auto at = [](const cal::IterationWork& w, cal::Operator op) { return w[static_cast<std::size_t>(op)]; };
  // Each GPU runs its eighth of the batch through the whole attention.
  CHECK(at(b, cal::Operator::kQkvGemm).rows == 256.0 / gpus);
  CHECK(cal::gemm_shape(cal::Operator::kOGemm, dp, gpus).k == 128 * 128);
  CHECK(cal::gemm_shape(cal::Operator::kOGemm, tp, gpus).k == 128 * 128 / gpus);
  // And reads its eighth of the batch's latent cache instead of all of it.
  CHECK(at(b, cal::Operator::kDecodeAttention).bytes_per_context_token ==
        Approx(at(a, cal::Operator::kDecodeAttention).bytes_per_context_token / gpus));
  // The experts' GEMMs see every GPU's tokens, as with tensor-parallel attention.
  CHECK(at(b, cal::Operator::kExpertGateUpGemm).flops == at(a, cal::Operator::kExpertGateUpGemm).flops);
  // No all-reduce: a dispatch and a combine per expert layer, each GPU
  // sending its tokens' 8 copies, 7 in 8 of them to other GPUs.
  CHECK(at(b, cal::Operator::kAllReduce).count == 0.0);
  CHECK(at(b, cal::Operator::kAllToAll).count == 2.0 * 58);
  const cal::WorkFormulas f{dp, gpus};
  CHECK(f.all_to_all_bytes(tokens) == Approx(tokens / 8 * 8 * 7.0 / 8 * 7168 * dp.activation_bytes));
  CHECK(at(a, cal::Operator::kAllToAll).count == 0.0);
  // Memory: every GPU holds the attention and dense weights and its own sequences' cache, once.
  const double routed = 58.0 * 256 * 3 * 7168 * 2048;
  CHECK(dp.replica_weight_bytes(gpus) == Approx((routed + (dp.parameters() - routed) * gpus) * dp.bytes_per_param));
  CHECK(dp.kv_copies(gpus) == 1.0);
  CHECK(tp.kv_copies(gpus) == gpus);
  // The roofline prices the all-to-all on the GPUs' link.
  const cal::RooflineModel r(dp, h100_like(), summing_engine(), gpus);
  const auto parts = r.breakdown(256, {});
  CHECK(parts[static_cast<std::size_t>(cal::Operator::kAllToAll)].fixed_s ==
        Approx(2.0 * 58 * r.all_to_all_seconds(f.all_to_all_bytes(256))));
  CHECK(parts[static_cast<std::size_t>(cal::Operator::kAllReduce)].fixed_s == 0.0);
}
