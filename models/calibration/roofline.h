#pragma once
// RooflineModel: a ServiceTimeModel priced from a GPU's datasheet peaks and
// the share of them real kernels reach. Used when no calibration profile of
// the (model, GPU) pair is at hand.
//
// Each operator of operators.h costs, per launch,
//
//     launch_floor + max(flops / (peak_flops * eff_flops), bytes / (peak_bw * eff_bw))
//
// and the iteration is the sum over operators plus a fixed per-iteration
// overhead. All-reduces (tp > 1) send their ring traffic over the
// interconnect instead of HBM.
//
// Decode attention is the one operator whose work grows with the decode
// context; to keep the iteration affine in it (service_time_model.h) the max
// is taken separately on the per-context-token rates and on the
// per-sequence part:
//
//     fixed  = launch_floor + (Q and output bytes of the sequences) / eff_bw
//     per_token = max(4*heads*head_dim / eff_flops, 2*kv_heads*head_dim*bytes / eff_bw)
//
// which is exact whenever the kernel is memory bound on both parts, as decode
// attention over a KV cache is for every model with grouped-query or
// multi-head attention (about 4 FLOPs per byte against a ridge of hundreds),
// and errs by at most the smaller term otherwise.
//
// Immutable after construction; safe to share between threads.
#include <array>
#include <string>

#include "models/calibration/efficiency.h"
#include "models/calibration/operators.h"
#include "models/calibration/service_time_model.h"
#include "models/catalog/specs.h"

namespace capstan::calibration {

class RooflineModel final : public ServiceTimeModel {
 public:
  // Throws std::invalid_argument for tp < 1, a model with non-positive
  // dimensions, a GPU without positive peaks, negative overhead or
  // efficiencies outside (0, 1.5].
  RooflineModel(catalog::LlmSpec llm, catalog::GpuSpec gpu, int tensor_parallel,
                double iteration_overhead_ms = kDefaultIterationOverheadMs, RooflineEfficiency efficiency = {});

  IterationCost iteration(std::int64_t decode_seqs, std::span<const PrefillChunk> prefills) const override;
  std::string kind() const override { return "roofline"; }
  std::string provenance() const override;

  // The iteration's cost by operator (without the per-iteration overhead),
  // indexed by static_cast<int>(Operator). Sums to iteration() minus overhead.
  std::array<IterationCost, kOperatorCount> breakdown(std::int64_t decode_seqs,
                                                      std::span<const PrefillChunk> prefills) const;

  // Seconds of one launch of an operator doing this work (no context part).
  double operator_seconds(Operator op, double flops, double bytes) const;

  const catalog::LlmSpec& llm() const { return llm_; }
  const catalog::GpuSpec& gpu() const { return gpu_; }
  int tensor_parallel() const { return tp_; }
  double iteration_overhead_s() const { return overhead_s_; }
  const RooflineEfficiency& efficiency() const { return eff_; }
  // Effective rates the model prices with.
  double gemm_flops_per_s() const { return gemm_flops_per_s_; }
  double attention_flops_per_s() const { return attention_flops_per_s_; }
  double hbm_bytes_per_s() const { return hbm_bytes_per_s_; }
  double interconnect_bytes_per_s() const { return link_bytes_per_s_; }
  double launch_floor_s() const { return floor_s_; }

 private:
  catalog::LlmSpec llm_;
  catalog::GpuSpec gpu_;
  int tp_;
  double overhead_s_;
  RooflineEfficiency eff_;
  double gemm_flops_per_s_, attention_flops_per_s_, hbm_bytes_per_s_, link_bytes_per_s_, floor_s_;
};

// Throws std::invalid_argument naming the first dimension that is not positive.
void validate_llm_dims(const catalog::LlmSpec& llm);

}  // namespace capstan::calibration
