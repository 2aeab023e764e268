// RooflineModel against closed forms written out here from the catalog's
// kernel figures: GEMMs pay for whole waves of output tiles and bend smoothly
// between the memory and compute bounds, decode attention is affine in its
// context with a floor and a per-sequence cost, prefill attention loses rate
// when a chunk has too few query tiles, the framework's time grows with the
// batch, and tensor parallelism halves GEMM traffic and adds all-reduces.
#include <limits>
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
using capstan::testing::summing_engine;

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
  const cal::RooflineModel r(m, h100_like(), summing_engine(), 1);
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
  const cal::RooflineModel r(m, h100_like(), summing_engine(), 1);
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
        Approx(summing_engine().iteration_ms * 1e-3 + summing_engine().per_sequence_us * 1e-6).epsilon(1e-12));
}

TEST_CASE("roofline: decode attention is affine in its context", "[roofline]") {
  const LlmSpec m = llama3_8b_like();
  const cal::RooflineModel r(m, h100_like(), summing_engine(), 1);
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
  const cal::RooflineModel r(m, h100_like(), summing_engine(), 1);
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
  const cal::RooflineModel r1(m, h100_like(), summing_engine(), 1);
  const cal::RooflineModel r2(m, h100_like(), summing_engine(), 2);
  const KernelFigures& k = r1.kernels();
  // Weights dominate at one token: the streaming part halves within 1%.
  const double floor = k.gemm_floor_us * 1e-6;
  CHECK(r2.gemm_seconds(cal::Operator::kGateUpGemm, 1.0) - floor ==
        Approx((r1.gemm_seconds(cal::Operator::kGateUpGemm, 1.0) - floor) / 2.0).epsilon(0.01));
  CHECK(r1.breakdown(1, {})[at(cal::Operator::kAllReduce)].fixed_s == 0.0);
  // Two ring all-reduces of one token's hidden state per layer: 2(tp-1)/tp = 1.
  const double one = k.all_reduce_floor_us * 1e-6 + 1.0 * m.hidden * 2.0 / (450e9 * k.interconnect_share);
  CHECK(r2.breakdown(1, {})[at(cal::Operator::kAllReduce)].fixed_s == Approx(2.0 * m.layers * one).epsilon(1e-12));
  // Per-token KV traffic halves too (8 KV heads split over 2 GPUs).
  CHECK(r2.iteration(4, {}).per_context_token_s == Approx(r1.iteration(4, {}).per_context_token_s / 2.0));
}

TEST_CASE("roofline: an all-reduce runs the engine's kernel up to a large message, NCCL's ring past it", "[roofline]") {
  KernelFigures k = h100_like().kernels;
  k.all_reduce_floor_us = 5.0;
  k.interconnect_share = 0.5;
  k.interconnect_large_share = 0.8;
  k.all_reduce_large_message_bytes = 8.0 * 1024 * 1024;
  const double link = 450e9;
  CHECK(cal::all_reduce_seconds(k, 450.0, 1, 1e6) == 0.0);
  // Four GPUs: ring bytes 1.5 x the message; 8 MiB is 12 MiB on the ring.
  const double large_wire = 1.5 * 8.0 * 1024 * 1024;
  CHECK(cal::all_reduce_seconds(k, 450.0, 4, 1e6) == Approx(5e-6 + 1e6 / (link * 0.5)).epsilon(1e-12));
  CHECK(cal::all_reduce_seconds(k, 450.0, 4, large_wire) == Approx(5e-6 + large_wire / (link * 0.5)).epsilon(1e-12));
  CHECK(cal::all_reduce_seconds(k, 450.0, 4, 3.0 * large_wire) ==
        Approx(5e-6 + large_wire / (link * 0.5) + 2.0 * large_wire / (link * 0.8)).epsilon(1e-12));
  // Continuous at the switch, and never cheaper for more bytes.
  double last = 0.0;
  for (double w = 0.0; w <= 4.0 * large_wire; w += large_wire / 64.0) {
    const double t = cal::all_reduce_seconds(k, 450.0, 4, w);
    CHECK(t >= last);
    last = t;
  }
  CHECK(cal::all_reduce_seconds(k, 450.0, 4, large_wire * (1 + 1e-9)) ==
        Approx(cal::all_reduce_seconds(k, 450.0, 4, large_wire)).epsilon(1e-6));
  // The switch is by message, not ring, bytes: at eight GPUs the same 8 MiB is 14 MiB on the ring.
  const double wire8 = 1.75 * 8.0 * 1024 * 1024;
  CHECK(cal::all_reduce_seconds(k, 450.0, 8, wire8) == Approx(5e-6 + wire8 / (link * 0.5)).epsilon(1e-12));
  // Without a large message, one share at every size.
  k.all_reduce_large_message_bytes = std::numeric_limits<double>::infinity();
  CHECK(cal::all_reduce_seconds(k, 450.0, 4, 3.0 * large_wire) ==
        Approx(5e-6 + 3.0 * large_wire / (link * 0.5)).epsilon(1e-12));
}

TEST_CASE("roofline: the framework's time grows with the batch", "[roofline]") {
  const cal::RooflineModel r(llama3_8b_like(), h100_like(), summing_engine(), 1);
  CHECK(r.overhead_seconds(0) == Approx(summing_engine().iteration_ms * 1e-3));
  CHECK(r.overhead_seconds(32) - r.overhead_seconds(0) == Approx(32 * summing_engine().per_sequence_us * 1e-6));
  // A scenario's iteration_overhead_ms replaces the iteration part only.
  const cal::RooflineModel slow(llama3_8b_like(), h100_like(), summing_engine(), 1, 5.0);
  CHECK(slow.overhead_seconds(32) - r.overhead_seconds(32) == Approx(5.0e-3 - summing_engine().iteration_ms * 1e-3));
}

TEST_CASE("roofline: a classifier's head has num_labels columns", "[roofline]") {
  LlmSpec m = llama3_8b_like();
  m.classifier = true;
  m.num_labels = 4;
  const cal::RooflineModel r(m, h100_like(), summing_engine(), 1);
  const cal::RooflineModel lm(llama3_8b_like(), h100_like(), summing_engine(), 1);
  // 4096 x 4 weights, one tile: a small fraction of a 128256-column LM head.
  const double head = r.breakdown(16, {})[at(cal::Operator::kLmHeadGemm)].fixed_s;
  CHECK(head < 0.05 * lm.breakdown(16, {})[at(cal::Operator::kLmHeadGemm)].fixed_s);
  CHECK(head == Approx(r.gemm_seconds(cal::Operator::kLmHeadGemm, 16.0)));
}

TEST_CASE("roofline: iteration cost grows with every part of the batch", "[roofline]") {
  const cal::RooflineModel r(llama3_8b_like(), h100_like(), summing_engine(), 1);
  const std::vector<cal::PrefillChunk> small{{256, 0}}, large{{256, 4096}}, two{{256, 0}, {256, 0}};
  CHECK(r.iteration(0, {}).fixed_s == 0.0);
  CHECK(r.iteration(64, {}).fixed_s > r.iteration(1, {}).fixed_s);
  CHECK(r.iteration(0, large).fixed_s > r.iteration(0, small).fixed_s);
  CHECK(r.iteration(0, two).fixed_s > r.iteration(0, small).fixed_s);
  CHECK(r.iteration(8, small).fixed_s > r.iteration(8, {}).fixed_s);
}

TEST_CASE("roofline: invalid inputs are rejected", "[roofline]") {
  CHECK_THROWS_AS(cal::RooflineModel(llama3_8b_like(), h100_like(), summing_engine(), 0), std::invalid_argument);
  LlmSpec bad = llama3_8b_like();
  bad.kv_heads = 0;
  CHECK_THROWS_AS(cal::RooflineModel(bad, h100_like(), summing_engine(), 1), std::invalid_argument);
  GpuSpec no_peak = h100_like();
  no_peak.hbm_tb_per_s = 0.0;
  CHECK_THROWS_AS(cal::RooflineModel(llama3_8b_like(), no_peak, summing_engine(), 1), std::invalid_argument);
  GpuSpec no_sms = h100_like();
  no_sms.sm_count = 0;
  CHECK_THROWS_AS(cal::RooflineModel(llama3_8b_like(), no_sms, summing_engine(), 1), std::invalid_argument);
  GpuSpec bad_share = h100_like();
  bad_share.kernels.decode_bandwidth_share = 0.0;
  CHECK_THROWS_AS(cal::RooflineModel(llama3_8b_like(), bad_share, summing_engine(), 1), std::invalid_argument);
  GpuSpec no_tiles = h100_like();
  no_tiles.kernels.gemm_tiles.clear();
  CHECK_THROWS_AS(cal::RooflineModel(llama3_8b_like(), no_tiles, summing_engine(), 1), std::invalid_argument);
  CHECK_THROWS_AS(cal::RooflineModel(llama3_8b_like(), h100_like(), summing_engine(), 1, -1.0), std::invalid_argument);
  const cal::RooflineModel r(llama3_8b_like(), h100_like(), summing_engine(), 1);
  CHECK_THROWS_AS(r.iteration(-1, {}), std::invalid_argument);
  const std::vector<cal::PrefillChunk> neg{{-5, 0}};
  CHECK_THROWS_AS(r.iteration(0, neg), std::invalid_argument);
}

TEST_CASE("factory: without a profile the roofline of the catalog's kernel figures", "[roofline]") {
  const auto m = cal::make_service_time_model(llama3_8b_like(), h100_like(), summing_engine(), 1, 0.0, "");
  CHECK(m->kind() == "roofline");
  CHECK(m->provenance().find("kernel figures") != std::string::npos);
  const auto slow = cal::make_service_time_model(llama3_8b_like(), h100_like(), summing_engine(), 1, 5.0, "");
  CHECK(slow->iteration(1, {}).fixed_s - m->iteration(1, {}).fixed_s ==
        Approx(5.0e-3 - summing_engine().iteration_ms * 1e-3));
}

// The engine's terms, each against its closed form.

TEST_CASE("engine: fusions set the element-wise launches and passes", "[roofline][engine]") {
  const LlmSpec m = llama3_8b_like();
  auto fused = summing_engine();
  fused.fused_add_rms_norm = true;
  auto unfused = fused;
  unfused.fused_add_rms_norm = false;
  unfused.fused_silu_mul = false;
  const cal::RooflineModel a(m, h100_like(), fused, 1), b(m, h100_like(), unfused, 1);
  const cal::IterationWork w = cal::iteration_work(m, 1, 8, {});
  const auto& norm = w[static_cast<std::size_t>(cal::Operator::kAddRmsNorm)];
  const auto& silu = w[static_cast<std::size_t>(cal::Operator::kSiluGate)];
  const auto pa = a.breakdown(8, {}), pb = b.breakdown(8, {});
  const auto at = [](const auto& parts, cal::Operator op) { return parts[static_cast<std::size_t>(op)].fixed_s; };
  // Fused: one launch of operators.h's four passes; unfused: two launches of five.
  CHECK(at(pa, cal::Operator::kAddRmsNorm) == Approx(norm.count * a.elementwise_seconds(norm.bytes)).epsilon(1e-12));
  CHECK(at(pb, cal::Operator::kAddRmsNorm) ==
        Approx(norm.count * (b.elementwise_seconds(0.75 * norm.bytes) + b.elementwise_seconds(0.5 * norm.bytes)))
            .epsilon(1e-12));
  // SiLU-and-mul: one launch of three passes, or SiLU (two) then the product (three).
  CHECK(at(pa, cal::Operator::kSiluGate) == Approx(silu.count * a.elementwise_seconds(silu.bytes)).epsilon(1e-12));
  CHECK(at(pb, cal::Operator::kSiluGate) ==
        Approx(silu.count * (b.elementwise_seconds(silu.bytes * 2.0 / 3.0) + b.elementwise_seconds(silu.bytes)))
            .epsilon(1e-12));
  // Launches: per layer two norms, four GEMMs, RoPE, SiLU, KV append and
  // decode attention; then the final norm, the embedding and the LM head.
  CHECK(a.launches(8, {}) == 10.0 * m.layers + 3.0);
  CHECK(b.launches(8, {}) == 13.0 * m.layers + 4.0);
  // RoPE and the KV write inside attention: their launches go, their bytes stay.
  auto inside = fused;
  inside.rope_in_attention = true;
  const cal::RooflineModel c(m, h100_like(), inside, 1);
  CHECK(c.launches(8, {}) == 8.0 * m.layers + 3.0);
  const auto& rope = w[static_cast<std::size_t>(cal::Operator::kRope)];
  const double floor_s = h100_like().kernels.launch_floor_us * 1e-6;
  CHECK(at(c.breakdown(8, {}), cal::Operator::kRope) ==
        Approx(rope.count * (c.elementwise_seconds(rope.bytes) - floor_s)).epsilon(1e-12));
}

TEST_CASE("engine: launches outside a graph show only past the GPU's time", "[roofline][engine]") {
  const LlmSpec m = llama3_8b_like();
  auto graphs = summing_engine();
  graphs.launch_us = 40.0;
  graphs.cuda_graph_max_tokens = 512;
  graphs.cuda_graph_mixed = false;
  auto eager = graphs;
  eager.cuda_graph_max_tokens = 0;
  const cal::RooflineModel g(m, h100_like(), graphs, 1), e(m, h100_like(), eager, 1);
  auto gpu_s = [](const cal::RooflineModel& r, std::int64_t seqs, std::span<const cal::PrefillChunk> chunks) {
    double s = 0.0;
    for (const auto& c : r.breakdown(seqs, chunks)) s += c.fixed_s;
    return s;
  };
  for (std::int64_t seqs : {1, 64, 512, 513}) {
    INFO("decode batch " << seqs);
    const double sched = g.overhead_seconds(static_cast<double>(seqs));
    const double gpu = gpu_s(g, seqs, {});
    const double launches = g.launches(seqs, {}) * 40e-6;
    // Eager: max(GPU, launches) then scheduling; a graph replays up to 512 tokens.
    CHECK(e.iteration(seqs, {}).fixed_s == Approx(std::max(gpu, launches) + sched).epsilon(1e-12));
    const double with_graph = seqs <= 512 ? gpu : std::max(gpu, launches);
    CHECK(g.iteration(seqs, {}).fixed_s == Approx(with_graph + sched).epsilon(1e-12));
    CHECK(g.replays_graph(seqs, {}) == (seqs <= 512));
  }
  // Batch 1 of an 8B model is launch-bound in eager mode (323 launches of 40 us
  // against about 7 ms of kernels), not with graphs.
  CHECK(e.iteration(1, {}).fixed_s > g.iteration(1, {}).fixed_s * 1.5);
  // Decode-only graphs: a prefill chunk runs eagerly, however small.
  const std::vector<cal::PrefillChunk> chunk{{16, 0}};
  CHECK_FALSE(g.replays_graph(1, chunk));
  graphs.cuda_graph_mixed = true;
  CHECK(cal::RooflineModel(m, h100_like(), graphs, 1).replays_graph(1, chunk));
  // The context term is the GPU's alone.
  CHECK(e.iteration(64, {}).per_context_token_s == g.iteration(64, {}).per_context_token_s);
}

TEST_CASE("engine: overlapped scheduling hides behind the GPU", "[roofline][engine]") {
  const LlmSpec m = llama3_8b_like();
  auto serial = summing_engine();
  auto overlap = serial;
  overlap.overlap = true;
  const cal::RooflineModel s(m, h100_like(), serial, 1), o(m, h100_like(), overlap, 1);
  // Host time below the GPU's: gone. Above it: only the excess shows.
  const double sched = s.overhead_seconds(8);
  CHECK(s.iteration(8, {}).fixed_s - o.iteration(8, {}).fixed_s == Approx(sched).epsilon(1e-9));
  const cal::RooflineModel slow(m, h100_like(), overlap, 1, 50.0);  // 50 ms of scheduling an iteration
  CHECK(slow.iteration(8, {}).fixed_s == Approx(slow.overhead_seconds(8)).epsilon(1e-12));
}

TEST_CASE("engine: FlashAttention-3 where the engine runs it and the GPU has its figures", "[roofline][engine]") {
  const LlmSpec m = llama3_8b_like();
  GpuSpec hopper = h100_like();
  hopper.architecture = "hopper";
  hopper.kernels.has_fa3 = true;
  hopper.kernels.fa3_flops_share = 2.0 * hopper.kernels.prefill_flops_share;
  hopper.kernels.fa3_floor_us = hopper.kernels.prefill_floor_us;
  auto e = summing_engine();
  e.attention = {{"hopper", "fa3"}};
  const cal::RooflineModel fa3(m, hopper, e, 1);
  CHECK(fa3.attention_kernel() == "fa3");
  GpuSpec ampere = hopper;
  ampere.architecture = "ampere";
  const cal::RooflineModel fa2(m, ampere, e, 1);
  CHECK(fa2.attention_kernel() == "fa2");
  GpuSpec without = hopper;
  without.kernels.has_fa3 = false;
  CHECK(cal::RooflineModel(m, without, e, 1).attention_kernel() == "fa2");
  // A long compute-bound chunk runs at twice the rate, less the floor.
  const std::vector<cal::PrefillChunk> chunk{{8192, 0}};
  const double floor_s = hopper.kernels.prefill_floor_us * 1e-6;
  CHECK(fa3.prefill_attention_seconds(chunk) - floor_s ==
        Approx((fa2.prefill_attention_seconds(chunk) - floor_s) / 2.0).epsilon(1e-9));
}

TEST_CASE("engine: the catalog's engines are complete and sourced", "[roofline][engine][catalog]") {
  const auto& c = capstan::catalog::Catalog::builtin();
  REQUIRE(c.engine(c.default_engine()) != nullptr);
  for (const char* name : {"vllm", "sglang", "tensorrt-llm"}) {
    INFO(name);
    const auto* e = c.engine(name);
    REQUIRE(e != nullptr);
    CHECK(!e->version.empty());
    CHECK(e->cuda_graph_max_tokens > 0);
    for (const char* group : {"kernels", "cuda_graphs", "host", "frontend"}) {
      INFO(group);
      CHECK(e->sources.at(group).size() > 40);
    }
    // Every engine runs FA3 on Hopper, and the Hopper GPUs carry its figures.
    CHECK(e->attention_on("hopper") == "fa3");
    CHECK(cal::RooflineModel(llama3_8b_like(), *c.gpu("h100"), *e, 1).attention_kernel() == "fa3");
    CHECK(cal::RooflineModel(llama3_8b_like(), *c.gpu("a100-80gb"), *e, 1).attention_kernel() == "fa2");
  }
}
