#include "models/calibration/roofline.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace capstan::calibration {

void validate_llm_dims(const catalog::LlmSpec& llm) {
  auto positive = [&llm](const char* field, double v) {
    if (!(v > 0.0)) {
      std::ostringstream m;
      m << "model '" << llm.name << "': " << field << " must be positive, found " << v;
      throw std::invalid_argument(m.str());
    }
  };
  positive("layers", llm.layers);
  positive("hidden", llm.hidden);
  positive("heads", llm.heads);
  positive("kv_heads", llm.kv_heads);
  positive("head_dim", llm.head_dim);
  positive("intermediate", llm.intermediate);
  positive("bytes_per_param", llm.bytes_per_param);
  if (llm.classifier) {
    positive("num_labels", llm.num_labels);
  } else {
    positive("vocab", llm.vocab);
  }
}

RooflineModel::RooflineModel(catalog::LlmSpec llm, catalog::GpuSpec gpu, int tensor_parallel,
                             double iteration_overhead_ms, RooflineEfficiency efficiency)
    : llm_(std::move(llm)), gpu_(std::move(gpu)), tp_(tensor_parallel), overhead_s_(iteration_overhead_ms * 1e-3),
      eff_(std::move(efficiency)) {
  if (tp_ < 1) throw std::invalid_argument("tensor_parallel must be >= 1");
  validate_llm_dims(llm_);
  if (!(gpu_.bf16_tflops > 0.0) || !(gpu_.hbm_tb_per_s > 0.0))
    throw std::invalid_argument("GPU '" + gpu_.name + "': bf16_tflops and hbm_tb_per_s must be positive");
  if (tp_ > 1 && !(gpu_.interconnect_gb_per_s > 0.0))
    throw std::invalid_argument("GPU '" + gpu_.name + "': tensor parallelism needs interconnect_gb_per_s > 0");
  if (!(overhead_s_ >= 0.0)) throw std::invalid_argument("iteration overhead must be >= 0");
  for (double e : {eff_.gemm_flops, eff_.attention_flops, eff_.bandwidth, eff_.interconnect}) {
    if (!(e > 0.0 && e <= 1.5)) throw std::invalid_argument("roofline efficiencies must lie in (0, 1.5]");
  }
  if (!(eff_.launch_floor_us >= 0.0)) throw std::invalid_argument("launch floor must be >= 0");
  gemm_flops_per_s_ = gpu_.bf16_tflops * 1e12 * eff_.gemm_flops;
  attention_flops_per_s_ = gpu_.bf16_tflops * 1e12 * eff_.attention_flops;
  hbm_bytes_per_s_ = gpu_.hbm_tb_per_s * 1e12 * eff_.bandwidth;
  link_bytes_per_s_ = std::max(gpu_.interconnect_gb_per_s, 1e-9) * 1e9 * eff_.interconnect;
  floor_s_ = eff_.launch_floor_us * 1e-6;
}

double RooflineModel::operator_seconds(Operator op, double flops, double bytes) const {
  if (op == Operator::kAllReduce) return floor_s_ + bytes / link_bytes_per_s_;
  const double rate = (op == Operator::kPrefillAttention || op == Operator::kDecodeAttention)
                          ? attention_flops_per_s_
                          : gemm_flops_per_s_;
  return floor_s_ + std::max(flops / rate, bytes / hbm_bytes_per_s_);
}

std::array<IterationCost, kOperatorCount> RooflineModel::breakdown(std::int64_t decode_seqs,
                                                                   std::span<const PrefillChunk> prefills) const {
  const IterationWork work = iteration_work(llm_, tp_, decode_seqs, prefills);
  std::array<IterationCost, kOperatorCount> out{};
  for (const OperatorWork& w : work) {
    if (w.count <= 0.0) continue;
    IterationCost& c = out[static_cast<std::size_t>(w.op)];
    c.fixed_s = w.count * operator_seconds(w.op, w.flops, w.bytes);
    if (w.op == Operator::kDecodeAttention) {
      c.per_context_token_s = w.count * std::max(w.flops_per_context_token / attention_flops_per_s_,
                                                 w.bytes_per_context_token / hbm_bytes_per_s_);
    }
  }
  return out;
}

IterationCost RooflineModel::iteration(std::int64_t decode_seqs, std::span<const PrefillChunk> prefills) const {
  IterationCost total;
  if (decode_seqs == 0 && prefills.empty()) return total;  // nothing runs, nothing to pay
  for (const IterationCost& c : breakdown(decode_seqs, prefills)) {
    total.fixed_s += c.fixed_s;
    total.per_context_token_s += c.per_context_token_s;
  }
  total.fixed_s += overhead_s_;
  return total;
}

std::string RooflineModel::provenance() const {
  std::ostringstream s;
  s << "roofline of " << gpu_.name << " (" << gpu_.bf16_tflops << " TFLOP/s, " << gpu_.hbm_tb_per_s
    << " TB/s) with efficiencies from " << eff_.source;
  return s.str();
}

}  // namespace capstan::calibration
