// RooflineModel against closed forms written out here from the catalog's
// kernel figures: GEMMs pay for whole waves of output tiles and bend smoothly
// between the memory and compute bounds, decode attention is affine in its
// context with a floor and a per-sequence cost, prefill attention loses rate
// when a chunk has too few query tiles, the framework's time grows with the
// batch, and tensor parallelism halves GEMM traffic and adds all-reduces.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "models/calibration/factory.h"
#include "models/calibration/roofline.h"
#include "tests/support/specs.h"

namespace cal = capstan::calibration;
using capstan::catalog::GpuSpec;
using capstan::catalog::KernelFigures;
using capstan::catalog::LlmSpec;

namespace {

using capstan::testing::h100_like;
using capstan::testing::llama3_8b_like;

constexpr double kPeak = 989e12, kHbm = 3.35e12;

std::size_t at(cal::Operator op) { return static_cast<std::size_t>(op); }

// The GEMM of the model's roofline, written out again: whole waves of the
// best tile, blended with weight streaming by a p-norm.
double gemm_closed_form(const KernelFigures& k, double m, double n, double depth, double bytes) {
  double compute = 1e300;
  for (const auto& [tm, tn] : k.gemm_tiles) {
    const double waves = std::ceil(std::ceil(m / tm) * std::ceil(n / tn) / 132.0);
    compute = std::min(compute, waves * 2.0 * tm * tn * depth / (kPeak * k.gemm_flops_share / 132.0));
  }
  const double memory = bytes / (kHbm * k.gemm_bandwidth_share);
  const double p = k.gemm_transition_exponent;
  return k.gemm_floor_us * 1e-6 + std::pow(std::pow(compute, p) + std::pow(memory, p), 1.0 / p);
}

}  // namespace

TEST_CASE("roofline: GEMMs pay for whole waves of tiles", "[roofline]") {
  const LlmSpec m = llama3_8b_like();
  const cal::RooflineModel r(m, h100_like(), 1);
  const KernelFigures& k = r.kernels();
  // The O projection: K = N = 4096.
  for (double rows : {1.0, 64.0, 129.0, 1000.0, 4096.0, 4097.0, 16384.0}) {
    INFO("rows " << rows);
    const double bytes = (4096.0 * 4096.0 + 2.0 * rows * 4096.0) * 2.0;
    CHECK(r.gemm_seconds(cal::Operator::kOGemm, rows) ==
          Approx(gemm_closed_form(k, rows, 4096.0, 4096.0, bytes)).epsilon(1e-12));
  }
  // 8448 rows in 64 x 64 tiles over 4096 columns are 64 whole waves on 132
  // SMs; one row more needs a 65th (every other tile shape needs more), a
  // jump of about 1.5% for 0.012% more work.
  const double full = r.gemm_seconds(cal::Operator::kOGemm, 8448.0);
  const double one_more = r.gemm_seconds(cal::Operator::kOGemm, 8449.0);
  CHECK(one_more / full > 1.01);
  // Never faster than the unquantised bounds, never slower than their sum.
  for (double rows : {1.0, 16.0, 200.0, 700.0, 3000.0, 9000.0}) {
    INFO("rows " << rows);
    const double flops = 2.0 * rows * 4096.0 * 4096.0;
    const double bytes = (4096.0 * 4096.0 + 2.0 * rows * 4096.0) * 2.0;
    const double tc = flops / (kPeak * k.gemm_flops_share), tm = bytes / (kHbm * k.gemm_bandwidth_share);
    const double t = r.gemm_seconds(cal::Operator::kOGemm, rows) - k.gemm_floor_us * 1e-6;
    CHECK(t >= std::max(tc, tm) * (1.0 - 1e-12));
    CHECK(t <= 2.0 * std::max(tc, tm) * 1.5);
  }
}

TEST_CASE("roofline: batch-1 decode is weight streaming plus floors and the framework", "[roofline]") {
  const LlmSpec m = llama3_8b_like();
  const cal::RooflineModel r(m, h100_like(), 1);
  const KernelFigures& k = r.kernels();
  const auto b = r.breakdown(1, {});
  // At one row every GEMM is within 3% of streaming its weights (one wave of
  // tiles' compute adds a little through the bend).
  for (cal::Operator op : {cal::Operator::kQkvGemm, cal::Operator::kOGemm, cal::Operator::kGateUpGemm,
                           cal::Operator::kDownGemm, cal::Operator::kLmHeadGemm}) {
    INFO(cal::operator_name(op));
    const cal::GemmShape s = cal::gemm_shape(op, m, 1);
    const double weights = double(s.k) * double(s.n) * 2.0;
    const double count = op == cal::Operator::kLmHeadGemm ? 1.0 : m.layers;
    CHECK(b[at(op)].fixed_s / count - k.gemm_floor_us * 1e-6 ==
          Approx(weights / (kHbm * k.gemm_bandwidth_share)).epsilon(0.03));
  }
  // Element-wise: the launch floor and the bytes at the element-wise share;
  // the residual add and the RMSNorm are two launches, five passes of the
  // hidden state.
  CHECK(b[at(cal::Operator::kAddRmsNorm)].fixed_s ==
        Approx((2.0 * m.layers + 1.0) *
               (2.0 * k.launch_floor_us * 1e-6 + 5.0 * m.hidden * 2.0 / (kHbm * k.elementwise_bandwidth_share)))
            .epsilon(1e-12));
  // The framework: its iteration time plus one sequence.
  const cal::IterationCost c = r.iteration(1, {});
  double kernels = 0.0;
  for (const auto& part : b) kernels += part.fixed_s;
  CHECK(c.fixed_s - kernels ==
        Approx(k.framework_iteration_ms * 1e-3 + k.framework_per_sequence_us * 1e-6).epsilon(1e-12));
}

TEST_CASE("roofline: decode attention is affine in its context", "[roofline]") {
  const LlmSpec m = llama3_8b_like();
  const cal::RooflineModel r(m, h100_like(), 1);
  const KernelFigures& k = r.kernels();
  const double bw = kHbm * k.decode_bandwidth_share;
  for (std::int64_t seqs : {1, 8, 64}) {
    INFO("seqs " << seqs);
    const auto d = r.breakdown(seqs, {})[at(cal::Operator::kDecodeAttention)];
    // K and V of 8 KV heads of 128 per cached token, per layer.
    CHECK(d.per_context_token_s == Approx(m.layers * 2.0 * 8 * 128 * 2.0 / bw).epsilon(1e-12));
    // The floor, the per-sequence cost and each sequence's Q and output.
    const double q_and_out = 2.0 * 32 * 128 * 2.0 * seqs;
    CHECK(d.fixed_s == Approx(m.layers * ((k.decode_floor_us + k.decode_per_sequence_us * seqs) * 1e-6 +
                                          q_and_out / bw))
                           .epsilon(1e-12));
  }
  const cal::IterationCost c = r.iteration(8, {});
  const std::int64_t ctx = 8 * 3000;
  CHECK(c.seconds(2 * ctx) - c.seconds(ctx) == Approx(c.per_context_token_s * ctx).epsilon(1e-9));
  // No context dependence without decode sequences.
  const std::vector<cal::PrefillChunk> chunks{{512, 0}};
  CHECK(r.iteration(0, chunks).per_context_token_s == 0.0);
}

TEST_CASE("roofline: prefill attention by occupancy and by the prefix's KV", "[roofline]") {
  const LlmSpec m = llama3_8b_like();
  const cal::RooflineModel r(m, h100_like(), 1);
  const KernelFigures& k = r.kernels();
  const double full_tiles = k.prefill_saturating_tiles_per_sm * 132.0;
  const double full_kv_tiles = k.prefill_kv_saturating_tiles_per_sm * 132.0;
  auto closed_form = [&](double chunk, double prefix, double chunks) {
    const double flops = chunks * 4.0 * 32 * 128 * chunk * (prefix + chunk / 2.0);
    const double bytes = chunks * (2.0 * 8 * 128 * 2.0 * (prefix + chunk) + 2.0 * 32 * 128 * 2.0 * chunk);
    const double tiles = 32.0 * chunks * std::ceil(chunk / k.prefill_tile_rows);
    const double rate = kPeak * k.prefill_flops_share * std::min(1.0, tiles / full_tiles);
    const double stream = kHbm * k.prefill_kv_bandwidth_share * std::min(1.0, tiles / full_kv_tiles);
    return k.prefill_floor_us * 1e-6 + std::max(flops / rate, bytes / stream);
  };
  // A long chunk fills the GPU: compute bound at the full rate.
  const std::vector<cal::PrefillChunk> long_chunk{{8192, 0}};
  CHECK(r.prefill_attention_seconds(long_chunk) == Approx(closed_form(8192, 0, 1)).epsilon(1e-12));
  // 16 tokens after 16384: one tile per head, a fraction of the rate, and
  // the prefix's KV to stream.
  const std::vector<cal::PrefillChunk> short_after_long{{16, 16384}};
  CHECK(r.prefill_attention_seconds(short_after_long) == Approx(closed_form(16, 16384, 1)).epsilon(1e-12));
  // Eight short chunks in one launch fill more SMs than one: less than eight times one.
  const std::vector<cal::PrefillChunk> one{{128, 0}};
  const std::vector<cal::PrefillChunk> eight(8, cal::PrefillChunk{128, 0});
  CHECK(r.prefill_attention_seconds(eight) == Approx(closed_form(128, 0, 8)).epsilon(1e-12));
  CHECK(r.prefill_attention_seconds(eight) < 8.0 * r.prefill_attention_seconds(one));
  // Per layer, in the iteration.
  CHECK(r.breakdown(0, long_chunk)[at(cal::Operator::kPrefillAttention)].fixed_s ==
        Approx(m.layers * closed_form(8192, 0, 1)).epsilon(1e-12));
  // The LM head runs one row for the chunk, not 8192.
  CHECK(r.breakdown(0, long_chunk)[at(cal::Operator::kLmHeadGemm)].fixed_s ==
        Approx(r.gemm_seconds(cal::Operator::kLmHeadGemm, 1.0)).epsilon(1e-12));
}

TEST_CASE("roofline: tensor parallelism halves GEMM traffic and adds all-reduces", "[roofline]") {
  const LlmSpec m = llama3_8b_like();
  const cal::RooflineModel r1(m, h100_like(), 1);
  const cal::RooflineModel r2(m, h100_like(), 2);
  const KernelFigures& k = r1.kernels();
  // Weights dominate at one token: the streaming part halves within 1%.
  const double floor = k.gemm_floor_us * 1e-6;
  CHECK(r2.gemm_seconds(cal::Operator::kGateUpGemm, 1.0) - floor ==
        Approx((r1.gemm_seconds(cal::Operator::kGateUpGemm, 1.0) - floor) / 2.0).epsilon(0.01));
  CHECK(r1.breakdown(1, {})[at(cal::Operator::kAllReduce)].fixed_s == 0.0);
  // Two ring all-reduces of one token's hidden state per layer: 2(tp-1)/tp = 1.
  const double one = k.launch_floor_us * 1e-6 + 1.0 * m.hidden * 2.0 / (450e9 * k.interconnect_share);
  CHECK(r2.breakdown(1, {})[at(cal::Operator::kAllReduce)].fixed_s == Approx(2.0 * m.layers * one).epsilon(1e-12));
  // Per-token KV traffic halves too (8 KV heads split over 2 GPUs).
  CHECK(r2.iteration(4, {}).per_context_token_s == Approx(r1.iteration(4, {}).per_context_token_s / 2.0));
}

TEST_CASE("roofline: the framework's time grows with the batch", "[roofline]") {
  const cal::RooflineModel r(llama3_8b_like(), h100_like(), 1);
  const KernelFigures& k = r.kernels();
  CHECK(r.overhead_seconds(0) == Approx(k.framework_iteration_ms * 1e-3));
  CHECK(r.overhead_seconds(32) - r.overhead_seconds(0) == Approx(32 * k.framework_per_sequence_us * 1e-6));
  // A scenario's iteration_overhead_ms replaces the iteration part only.
  const cal::RooflineModel slow(llama3_8b_like(), h100_like(), 1, 5.0);
  CHECK(slow.overhead_seconds(32) - r.overhead_seconds(32) == Approx(5.0e-3 - k.framework_iteration_ms * 1e-3));
}

TEST_CASE("roofline: a classifier's head has num_labels columns", "[roofline]") {
  LlmSpec m = llama3_8b_like();
  m.classifier = true;
  m.num_labels = 4;
  const cal::RooflineModel r(m, h100_like(), 1);
  const cal::RooflineModel lm(llama3_8b_like(), h100_like(), 1);
  // 4096 x 4 weights, one tile: a small fraction of a 128256-column LM head.
  const double head = r.breakdown(16, {})[at(cal::Operator::kLmHeadGemm)].fixed_s;
  CHECK(head < 0.05 * lm.breakdown(16, {})[at(cal::Operator::kLmHeadGemm)].fixed_s);
  CHECK(head == Approx(r.gemm_seconds(cal::Operator::kLmHeadGemm, 16.0)));
}

TEST_CASE("roofline: iteration cost grows with every part of the batch", "[roofline]") {
  const cal::RooflineModel r(llama3_8b_like(), h100_like(), 1);
  const std::vector<cal::PrefillChunk> small{{256, 0}}, large{{256, 4096}}, two{{256, 0}, {256, 0}};
  CHECK(r.iteration(0, {}).fixed_s == 0.0);
  CHECK(r.iteration(64, {}).fixed_s > r.iteration(1, {}).fixed_s);
  CHECK(r.iteration(0, large).fixed_s > r.iteration(0, small).fixed_s);
  CHECK(r.iteration(0, two).fixed_s > r.iteration(0, small).fixed_s);
  CHECK(r.iteration(8, small).fixed_s > r.iteration(8, {}).fixed_s);
}

TEST_CASE("roofline: invalid inputs are rejected", "[roofline]") {
  CHECK_THROWS_AS(cal::RooflineModel(llama3_8b_like(), h100_like(), 0), std::invalid_argument);
  LlmSpec bad = llama3_8b_like();
  bad.kv_heads = 0;
  CHECK_THROWS_AS(cal::RooflineModel(bad, h100_like(), 1), std::invalid_argument);
  GpuSpec no_peak = h100_like();
  no_peak.hbm_tb_per_s = 0.0;
  CHECK_THROWS_AS(cal::RooflineModel(llama3_8b_like(), no_peak, 1), std::invalid_argument);
  GpuSpec no_sms = h100_like();
  no_sms.sm_count = 0;
  CHECK_THROWS_AS(cal::RooflineModel(llama3_8b_like(), no_sms, 1), std::invalid_argument);
  GpuSpec bad_share = h100_like();
  bad_share.kernels.decode_bandwidth_share = 0.0;
  CHECK_THROWS_AS(cal::RooflineModel(llama3_8b_like(), bad_share, 1), std::invalid_argument);
  GpuSpec no_tiles = h100_like();
  no_tiles.kernels.gemm_tiles.clear();
  CHECK_THROWS_AS(cal::RooflineModel(llama3_8b_like(), no_tiles, 1), std::invalid_argument);
  CHECK_THROWS_AS(cal::RooflineModel(llama3_8b_like(), h100_like(), 1, -1.0), std::invalid_argument);
  const cal::RooflineModel r(llama3_8b_like(), h100_like(), 1);
  CHECK_THROWS_AS(r.iteration(-1, {}), std::invalid_argument);
  const std::vector<cal::PrefillChunk> neg{{-5, 0}};
  CHECK_THROWS_AS(r.iteration(0, neg), std::invalid_argument);
}

TEST_CASE("factory: without a profile the roofline of the catalog's kernel figures", "[roofline]") {
  const auto m = cal::make_service_time_model(llama3_8b_like(), h100_like(), 1, 0.0, "");
  CHECK(m->kind() == "roofline");
  CHECK(m->provenance().find("kernel figures") != std::string::npos);
  const auto slow = cal::make_service_time_model(llama3_8b_like(), h100_like(), 1, 5.0, "");
  CHECK(slow->iteration(1, {}).fixed_s - m->iteration(1, {}).fixed_s ==
        Approx(5.0e-3 - h100_like().kernels.framework_iteration_ms * 1e-3));
}
