#include "models/calibration/calibrate.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "models/catalog/catalog.h"

namespace capstan::calibration {

namespace {

std::int64_t get(const Shape& s, const char* key) {
  auto it = s.find(key);
  if (it == s.end()) throw std::runtime_error(std::string("timing shape lacks '") + key + "'");
  return it->second;
}

std::vector<std::int64_t> up_to(const std::vector<std::int64_t>& values, std::int64_t max) {
  std::vector<std::int64_t> out;
  for (std::int64_t v : values)
    if (v <= max) out.push_back(v);
  return out;
}

}  // namespace

KernelDims kernel_dims(const catalog::LlmSpec& llm, int tp) {
  if (tp < 1) throw std::invalid_argument("tensor_parallel must be >= 1");
  if (llm.heads % tp != 0)
    throw std::invalid_argument("model '" + llm.name + "': " + std::to_string(llm.heads) +
                                " attention heads do not split over tp=" + std::to_string(tp));
  KernelDims d;
  d.hidden = llm.hidden;
  d.heads = llm.heads / tp;
  d.kv_heads = std::max(1, llm.kv_heads / tp);
  d.head_dim = llm.head_dim;
  d.intermediate = llm.intermediate / tp;
  if (d.head_dim != 64 && d.head_dim != 128)
    throw std::invalid_argument("model '" + llm.name + "': the attention kernels support head_dim 64 or 128, not " +
                                std::to_string(d.head_dim));
  if (d.heads % d.kv_heads != 0 || d.heads / d.kv_heads > 8)
    throw std::invalid_argument("model '" + llm.name + "': the attention kernels support 1 to 8 query heads per KV head");
  if (d.hidden % 8 != 0 || d.intermediate % 8 != 0)
    throw std::invalid_argument("model '" + llm.name + "': hidden and intermediate/tp must be multiples of 8");
  return d;
}

MeasureRequest plan_calibration(const catalog::LlmSpec& llm, int tp, const GridOptions& o) {
  MeasureRequest r;
  r.dims = kernel_dims(llm, tp);
  auto add = [&r](const std::string& op, Shape s) { r.shapes.push_back({op, std::move(s)}); };

  // GEMMs along rows: dense at small M where tiles and waves change the most.
  const std::vector<std::int64_t> rows_full = {1,    2,    4,    8,    16,   24,   32,   48,    64,    96,    128,   192,  256,
                                               384,  512,  768,  1024, 1536, 2048, 3072, 4096,  6144,  8192, 12288, 16384};
  const std::vector<std::int64_t> rows_quick = {1, 16, 64, 256, 1024, 4096};
  const auto& rows = o.quick ? rows_quick : rows_full;
  for (Operator op : {Operator::kQkvGemm, Operator::kOGemm, Operator::kGateUpGemm, Operator::kDownGemm,
                      Operator::kLmHeadGemm}) {
    const GemmShape g = gemm_shape(op, llm, tp);
    const std::int64_t max_rows = op == Operator::kLmHeadGemm ? o.max_lm_head_rows : o.max_gemm_tokens;
    for (std::int64_t m : up_to(rows, max_rows)) add(std::string(operator_name(op)), {{"m", m}, {"n", g.n}, {"k", g.k}});
  }

  // Decode attention: batch x context per sequence, within the KV budget.
  const WorkFormulas f{llm, tp};
  const double kv_bytes_per_token = f.decode_bytes(0.0, 1.0);
  const double budget_tokens = o.kv_budget_gib * 1024.0 * 1024.0 * 1024.0 / kv_bytes_per_token;
  const std::vector<std::int64_t> batches =
      o.quick ? std::vector<std::int64_t>{1, 8, 64} : std::vector<std::int64_t>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  const std::vector<std::int64_t> contexts =
      o.quick ? std::vector<std::int64_t>{128, 1024, 4096}
              : std::vector<std::int64_t>{128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768};
  for (std::int64_t b : up_to(batches, o.max_decode_batch)) {
    for (std::int64_t c : up_to(contexts, o.max_context_tokens)) {
      if (static_cast<double>(b * c) <= budget_tokens) add("decode_attention", {{"batch", b}, {"context", c}});
    }
  }

  // Prefill attention: chunk x prefix (one sequence).
  const std::vector<std::int64_t> chunks =
      o.quick ? std::vector<std::int64_t>{16, 256, 1024} : std::vector<std::int64_t>{16, 64, 256, 512, 1024, 2048, 4096, 8192};
  const std::vector<std::int64_t> prefixes =
      o.quick ? std::vector<std::int64_t>{0, 1024} : std::vector<std::int64_t>{0, 512, 2048, 8192, 16384};
  for (std::int64_t c : chunks) {
    for (std::int64_t p : prefixes) {
      if (c + p <= o.max_context_tokens && static_cast<double>(c + p) <= budget_tokens)
        add("prefill_attention", {{"chunk", c}, {"prefix", p}});
    }
  }

  // Element-wise kernels and the copy that stands for the embedding gather.
  std::vector<std::int64_t> tokens;
  for (std::int64_t t = 1; t <= o.max_gemm_tokens; t *= o.quick ? 8 : 2) tokens.push_back(t);
  for (const char* op : {"add_rmsnorm", "rope", "silu_gate", "kv_append"}) {
    for (std::int64_t t : tokens) add(op, {{"tokens", t}});
  }
  const std::int64_t row_bytes = static_cast<std::int64_t>(llm.hidden * llm.bytes_per_param);
  for (std::int64_t t : tokens) add("copy", {{"bytes", t * row_bytes}});
  return r;
}

std::vector<Sample> samples_for(Operator op, const std::vector<RawTiming>& timings, const catalog::LlmSpec& llm,
                                int tp) {
  const WorkFormulas f{llm, tp};
  const std::string name = op == Operator::kEmbedding ? "copy" : std::string(operator_name(op));
  std::vector<Sample> out;
  for (const RawTiming& t : timings) {
    if (t.op != name) continue;
    Sample s;
    s.seconds = t.median_us * 1e-6;
    if (is_gemm(op)) {
      const double m = static_cast<double>(get(t.shape, "m")), n = static_cast<double>(get(t.shape, "n")),
                   k = static_cast<double>(get(t.shape, "k"));
      s.rows = m;
      s.flops = 2.0 * m * n * k;
      s.bytes = (k * n + m * k + m * n) * llm.bytes_per_param;
    } else if (op == Operator::kDecodeAttention) {
      const double b = static_cast<double>(get(t.shape, "batch")), c = static_cast<double>(get(t.shape, "context"));
      s.rows = b;
      s.flops = f.decode_flops(b * c);
      s.bytes = f.decode_bytes(b, b * c);
    } else if (op == Operator::kPrefillAttention) {
      const double c = static_cast<double>(get(t.shape, "chunk")), p = static_cast<double>(get(t.shape, "prefix"));
      s.rows = c;
      s.flops = f.prefill_flops(c, p);
      s.bytes = f.prefill_bytes(c, p);
    } else if (op == Operator::kEmbedding) {
      const double bytes = static_cast<double>(get(t.shape, "bytes"));
      s.rows = bytes;
      s.bytes = 2.0 * bytes;  // read and written, as elementwise_bytes(kEmbedding) counts
    } else {
      const double tokens = static_cast<double>(get(t.shape, "tokens"));
      s.rows = tokens;
      s.bytes = f.elementwise_bytes(op, tokens);
    }
    out.push_back(s);
  }
  return out;
}

Profile build_profile(const catalog::LlmSpec& llm, int tp, const MeasureResult& measured, const ProfileMeta& meta) {
  Profile p;
  p.created_utc = meta.created_utc.empty() ? utc_now_iso8601() : meta.created_utc;
  p.capstan_version = meta.capstan_version;
  p.device = measured.device;
  p.gpu = meta.gpu;
  p.model = llm;
  p.tensor_parallel = tp;
  p.harness = measured.harness;
  p.checks = measured.checks;
  p.ceilings = measured.ceilings;
  // Not measured by the kernels: given, else the default engine's host
  // time per iteration (engines.json).
  const catalog::Catalog& builtin = catalog::Catalog::builtin();
  const double catalog_ms = builtin.engine(builtin.default_engine())->iteration_ms;
  p.iteration_overhead_ms = meta.iteration_overhead_ms > 0.0 ? meta.iteration_overhead_ms : catalog_ms;
  p.iteration_overhead_source =
      meta.iteration_overhead_ms > 0.0
          ? "given to capstan calibrate (--iteration-overhead-ms)"
          : "not measured by the kernels: the default engine's host iteration_ms (engines.json)";
  p.timings = measured.timings;
  std::vector<double> pooled;
  for (Operator op : fitted_operators()) {
    const std::vector<Sample> samples = samples_for(op, measured.timings, llm, tp);
    if (samples.empty())
      throw std::runtime_error("calibration has no timings for operator '" + std::string(operator_name(op)) + "'");
    FitTerms terms;
    // Element-wise kernels do no arithmetic worth a term.
    if (!is_gemm(op) && op != Operator::kDecodeAttention && op != Operator::kPrefillAttention) terms.flops = false;
    const FitResult r = fit_operator(samples, terms, is_gemm(op));
    p.fits[op] = r.fit;
    p.held_out_by_operator[op] = r.held_out;
    pooled.insert(pooled.end(), r.held_out_rel_errors.begin(), r.held_out_rel_errors.end());
  }
  p.held_out = summarize_errors(pooled);
  p.calibration_seconds = measured.seconds;
  return p;
}

std::string utc_now_iso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace capstan::calibration
