// Calibration end to end without a GPU: the shape grid, synthetic timings
// from known per-operator costs through build_profile and CalibratedModel,
// and a profile built from a roofline's own costs reproducing the roofline.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "models/calibration/calibrate.h"
#include "models/calibration/calibrated.h"
#include "models/calibration/cuda/measure.h"
#include "models/calibration/embedded_profiles.h"
#include "models/calibration/factory.h"
#include "models/catalog/catalog.h"
#include "tests/support/specs.h"
#include "models/calibration/gpu_probe.h"
#include "models/calibration/roofline.h"

namespace cal = capstan::calibration;
using capstan::catalog::GpuSpec;
using capstan::catalog::LlmSpec;

namespace {

using capstan::testing::h100_like;
using capstan::testing::llama3_8b_like;

// Known per-operator costs, plausible for an H100.
std::map<cal::Operator, cal::LinearCost> truth_costs() {
  std::map<cal::Operator, cal::LinearCost> t;
  for (cal::Operator op : cal::fitted_operators()) t[op] = {5e-6, 0.0, 1.0 / 2.7e12};
  for (cal::Operator op : {cal::Operator::kQkvGemm, cal::Operator::kOGemm, cal::Operator::kGateUpGemm,
                           cal::Operator::kDownGemm, cal::Operator::kLmHeadGemm})
    t[op] = {6e-6, 1.0 / 720e12, 1.0 / 2.6e12};
  t[cal::Operator::kDecodeAttention] = {8e-6, 0.0, 1.0 / 2.4e12};
  t[cal::Operator::kPrefillAttention] = {10e-6, 1.0 / 450e12, 1.0 / 2.0e12};
  t[cal::Operator::kRope] = {3e-6, 0.0, 1.0 / 2.2e12};
  return t;
}

// Timings for every planned shape from the true costs, times (1 + noise).
cal::MeasureResult synthetic_measure(const LlmSpec& llm, int tp, const cal::MeasureRequest& req, double noise,
                                     std::uint64_t seed) {
  cal::MeasureResult r;
  r.device.name = "Synthetic GPU";
  r.device.compute_capability = 90;
  r.device.sm_count = 132;
  r.harness.repeats = 25;
  r.ceilings.launch_floor_us = 4.0;
  for (const auto& s : req.shapes) r.timings.push_back({s.op, "synthetic", s.shape, 1.0, {}});
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0.0, 1.0);
  const auto truth = truth_costs();
  for (cal::Operator op : cal::fitted_operators()) {
    const auto samples = cal::samples_for(op, r.timings, llm, tp);
    const std::string name = op == cal::Operator::kEmbedding ? "copy" : std::string(cal::operator_name(op));
    std::size_t i = 0;
    for (auto& t : r.timings) {
      if (t.op != name) continue;
      const auto& s = samples.at(i++);
      t.median_us = truth.at(op).seconds(s.flops, s.bytes) * 1e6 * (1.0 + noise * n01(rng));
    }
  }
  r.seconds = 42.0;
  return r;
}

// The iteration cost that the true per-operator costs give.
cal::IterationCost truth_iteration(const LlmSpec& llm, int tp, std::int64_t decode,
                                   std::span<const cal::PrefillChunk> chunks, double overhead_s) {
  const auto truth = truth_costs();
  cal::IterationCost c;
  for (const auto& w : cal::iteration_work(llm, tp, decode, chunks)) {
    if (w.count <= 0.0 || w.op == cal::Operator::kAllReduce) continue;
    const auto& k = truth.at(w.op);
    c.fixed_s += w.count * k.seconds(w.flops, w.bytes);
    c.per_context_token_s += w.count * (k.s_per_flop * w.flops_per_context_token + k.s_per_byte * w.bytes_per_context_token);
  }
  c.fixed_s += overhead_s;
  return c;
}

}  // namespace

TEST_CASE("calibration: the grid covers every operator at the model's shapes", "[calibration]") {
  const LlmSpec m = llama3_8b_like();
  const cal::MeasureRequest req = cal::plan_calibration(m, 1);
  std::map<std::string, int> count;
  std::int64_t max_gemm_rows = 0, max_batch = 0, max_context = 0;
  for (const auto& s : req.shapes) {
    ++count[s.op];
    if (s.op == "gate_up_gemm") {
      CHECK(s.shape.at("n") == 2 * 14336);
      CHECK(s.shape.at("k") == 4096);
      max_gemm_rows = std::max(max_gemm_rows, s.shape.at("m"));
    }
    if (s.op == "qkv_gemm") CHECK(s.shape.at("n") == (32 + 2 * 8) * 128);
    if (s.op == "decode_attention") {
      max_batch = std::max(max_batch, s.shape.at("batch"));
      max_context = std::max(max_context, s.shape.at("context"));
      // One layer's KV cache within the 8 GiB budget (4 KiB per token here).
      CHECK(s.shape.at("batch") * s.shape.at("context") * 4096.0 <= 8.0 * (1 << 30));
    }
  }
  CHECK(max_gemm_rows == 16384);
  CHECK(max_batch == 512);
  CHECK(max_context == 32768);
  for (const char* op : {"qkv_gemm", "o_gemm", "gate_up_gemm", "down_gemm", "lm_head_gemm", "decode_attention",
                         "prefill_attention", "add_rmsnorm", "rope", "silu_gate", "kv_append", "copy"})
    CHECK(count[op] >= 8);
  CHECK(req.dims.heads == 32);
  CHECK(req.dims.kv_heads == 8);
  const auto tp2 = cal::kernel_dims(m, 2);
  CHECK(tp2.heads == 16);
  CHECK(tp2.kv_heads == 4);
  CHECK(tp2.intermediate == 7168);
  LlmSpec odd = m;
  odd.head_dim = 96;
  CHECK_THROWS_AS(cal::kernel_dims(odd, 1), std::invalid_argument);
  CHECK_THROWS_AS(cal::kernel_dims(m, 3), std::invalid_argument);  // 32 heads over 3 GPUs
}

TEST_CASE("calibration: synthetic timings are fitted back within 1%", "[calibration]") {
  const LlmSpec m = llama3_8b_like();
  const cal::MeasureRequest req = cal::plan_calibration(m, 1);
  const cal::MeasureResult meas = synthetic_measure(m, 1, req, 0.003, 77);
  const cal::Profile p = cal::build_profile(m, 1, meas, {"h100-like", "2026-01-01T00:00:00Z", "test", 0.0});
  const auto truth = truth_costs();
  // Element-wise costs are identifiable on their own: coefficients within 1%.
  for (cal::Operator op : {cal::Operator::kAddRmsNorm, cal::Operator::kRope, cal::Operator::kSiluGate,
                           cal::Operator::kKvAppend, cal::Operator::kEmbedding}) {
    INFO(cal::operator_name(op));
    CHECK(p.fits.at(op).cost.c0_s == Approx(truth.at(op).c0_s).epsilon(0.01));
    CHECK(p.fits.at(op).cost.s_per_byte == Approx(truth.at(op).s_per_byte).epsilon(0.01));
  }
  // Held-out shapes are predicted within the noise.
  CHECK(p.held_out.count > 50);
  CHECK(p.held_out.median_rel_error < 0.01);
  CHECK(p.held_out.p95_rel_error < 0.02);
  // Whole iterations, on and off the measured grid, within 1% of the truth.
  const cal::CalibratedModel model(p, "synthetic.json", m, 1, h100_like());
  // build_profile records the default engine's host time per iteration.
  const auto& builtin = capstan::catalog::Catalog::builtin();
  const double overhead = builtin.engine(builtin.default_engine())->iteration_ms * 1e-3;
  const std::vector<cal::PrefillChunk> mixed{{300, 1200}, {77, 0}};
  for (std::int64_t decode : {1, 5, 48, 100, 333, 512}) {
    INFO("decode " << decode);
    const cal::IterationCost got = model.iteration(decode, {});
    const cal::IterationCost want = truth_iteration(m, 1, decode, {}, overhead);
    CHECK(got.fixed_s == Approx(want.fixed_s).epsilon(0.01));
    CHECK(got.per_context_token_s == Approx(want.per_context_token_s).epsilon(0.01));
    const cal::IterationCost got_mixed = model.iteration(decode, mixed);
    CHECK(got_mixed.fixed_s == Approx(truth_iteration(m, 1, decode, mixed, overhead).fixed_s).epsilon(0.01));
  }
}

TEST_CASE("calibration: a profile of a roofline's own costs reproduces the roofline", "[calibration]") {
  for (int tp : {1, 2}) {
    INFO("tp " << tp);
    const LlmSpec m = llama3_8b_like();
    GpuSpec gpu = h100_like();
    // A calibrated fit is linear in FLOPs and bytes per launch; without the
    // per-sequence term, the roofline's decode attention is too.
    gpu.kernels.decode_per_sequence_us = 0.0;
    const cal::RooflineModel roof(m, gpu, capstan::testing::summing_engine(), tp);
    const capstan::catalog::KernelFigures& k = roof.kernels();
    const double hbm = gpu.hbm_tb_per_s * 1e12;
    cal::Profile p;
    p.gpu = "h100-like";
    p.device.name = "Roofline";
    p.model = m;
    p.tensor_parallel = tp;
    p.iteration_overhead_ms = roof.engine().iteration_ms;
    p.ceilings.launch_floor_us = k.launch_floor_us;
    const double floor = k.launch_floor_us * 1e-6;
    for (cal::Operator op : {cal::Operator::kRope, cal::Operator::kSiluGate, cal::Operator::kKvAppend,
                             cal::Operator::kEmbedding}) {
      p.fits[op].cost = {floor, 0.0, 1.0 / (hbm * k.elementwise_bandwidth_share)};
    }
    // The roofline prices add+RMSNorm as two launches and five passes over operators.h's four.
    p.fits[cal::Operator::kAddRmsNorm].cost = {2.0 * floor, 0.0, 1.25 / (hbm * k.elementwise_bandwidth_share)};
    p.fits[cal::Operator::kDecodeAttention].cost = {k.decode_floor_us * 1e-6, 0.0, 1.0 / (hbm * k.decode_bandwidth_share)};
    // Memory bound for the short chunk used below (checked against the
    // roofline): one query tile per head streams K and V at that occupancy.
    const double kv_occupancy =
        std::min(1.0, cal::WorkFormulas{m, tp}.heads() / (k.prefill_kv_saturating_tiles_per_sm * gpu.sm_count));
    const double prefill_s_per_byte = 1.0 / (hbm * k.prefill_kv_bandwidth_share * kv_occupancy);
    p.fits[cal::Operator::kPrefillAttention].cost = {k.prefill_floor_us * 1e-6, 0.0, prefill_s_per_byte};
    const std::vector<double> grid{1, 2, 16, 17, 32, 33, 48, 49, 64, 512, 4096, 16384};
    for (cal::Operator op : {cal::Operator::kQkvGemm, cal::Operator::kOGemm, cal::Operator::kGateUpGemm,
                             cal::Operator::kDownGemm, cal::Operator::kLmHeadGemm}) {
      // The roofline's GEMM times measured on a grid holding every row count used below.
      p.fits[op].cost = {floor, 0.0, 1.0 / hbm};  // never used: every row count is on the grid
      for (double rows : grid) {
        p.fits[op].table.x.push_back(rows);
        p.fits[op].table.y.push_back(roof.gemm_seconds(op, rows));
      }
    }
    const cal::CalibratedModel cm(p, "roofline.json", m, tp, gpu, 0.0,
                                  roof.engine().per_sequence_us);
    const std::vector<cal::PrefillChunk> chunk{{16, 64}};
    const cal::IterationWork w = cal::iteration_work(m, tp, 0, chunk);
    const auto& pa = w[static_cast<std::size_t>(cal::Operator::kPrefillAttention)];
    REQUIRE(roof.prefill_attention_seconds(chunk) ==
            Approx(k.prefill_floor_us * 1e-6 + pa.bytes * prefill_s_per_byte).epsilon(1e-12));
    for (std::int64_t decode : {1, 16, 32, 48}) {
      INFO("decode " << decode);
      const auto a = cm.iteration(decode, {});
      const auto b = roof.iteration(decode, {});
      CHECK(a.fixed_s == Approx(b.fixed_s).epsilon(1e-9));
      CHECK(a.per_context_token_s == Approx(b.per_context_token_s).epsilon(1e-9));
      CHECK(a.seconds(4096 * decode) == Approx(b.seconds(4096 * decode)).epsilon(1e-9));
      CHECK(cm.iteration(decode, chunk).fixed_s == Approx(roof.iteration(decode, chunk).fixed_s).epsilon(1e-9));
    }
    // At 4096 tokens the GEMMs are compute bound, and the table still agrees.
    const std::vector<cal::PrefillChunk> big{{4096, 0}};
    CHECK(roof.breakdown(0, big)[static_cast<std::size_t>(cal::Operator::kGateUpGemm)].fixed_s ==
          Approx(m.layers * p.fits.at(cal::Operator::kGateUpGemm).table.at(4096.0)).epsilon(1e-12));
    CHECK(cm.provenance().find("roofline.json") != std::string::npos);
    CHECK(cm.kind() == "calibrated");
  }
}

TEST_CASE("calibration: a profile of another model or tp is refused", "[calibration]") {
  const LlmSpec m = llama3_8b_like();
  const cal::MeasureRequest req = cal::plan_calibration(m, 1, {.quick = true});
  const cal::Profile p = cal::build_profile(m, 1, synthetic_measure(m, 1, req, 0.0, 1), {"h100-like", "", "test", 0.0});
  LlmSpec other = m;
  other.hidden = 8192;
  try {
    cal::CalibratedModel(p, "p.json", other, 1, h100_like());
    FAIL("expected a ProfileError");
  } catch (const cal::ProfileError& e) {
    CHECK(e.pointer() == "/model/hidden");
    CHECK(e.file() == "p.json");
    CHECK(e.found() == "4096");
  }
  try {
    cal::CalibratedModel(p, "p.json", m, 2, h100_like());
    FAIL("expected a ProfileError");
  } catch (const cal::ProfileError& e) {
    CHECK(e.pointer() == "/tensor_parallel");
  }
}

TEST_CASE("calibration: bundled profiles parse and name their GPU", "[calibration]") {
  for (const auto& e : cal::embedded_profiles()) {
    INFO(e.name);
    const cal::Profile p = cal::parse_profile(e.text, e.name);
    CHECK_FALSE(p.gpu.empty());
    CHECK(p.ceilings.copy_gb_per_s > 0.0);
  }
}

TEST_CASE("calibration: measure() without a GPU says so", "[calibration]") {
  if (cal::probe_gpu().available) {
    SUCCEED("a GPU is here; `capstan calibrate` exercises measure()");
    return;
  }
  const LlmSpec m = llama3_8b_like();
  try {
    cal::measure(cal::plan_calibration(m, 1, {.quick = true}));
    FAIL("expected NoGpuError");
  } catch (const cal::NoGpuError& e) {
    CHECK(std::string(e.what()).find("no CUDA-capable GPU") != std::string::npos);
  }
}
