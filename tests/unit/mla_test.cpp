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
