#pragma once
// RooflineModel: a ServiceTimeModel priced from a GPU's datasheet peaks and
// the catalog's kernel figures for that GPU (catalog::KernelFigures: what
// share of the peaks real serving kernels reach, and the fixed costs the
// peaks do not show). Used when no calibration profile of the (model, GPU)
// pair is at hand. docs/accuracy.md compares it with public measurements.
//
// Per kernel launch, on one GPU under tensor parallelism:
//
//   GEMM (M rows, N columns, K deep)
//     t = floor + (t_c^p + t_m^p)^(1/p)
//     t_c = min over tiles (tm, tn): ceil(ceil(M/tm) * ceil(N/tn) / SMs) * 2 tm tn K / (peak_per_SM * share)
//     t_m = (weights + activations) / (hbm * bandwidth_share)
//   i.e. whole waves of output tiles (a GEMM of 129 rows pays for 192 or
//   256), and a smooth bend instead of a corner between the two bounds.
//
//   Element-wise: launch_floor + bytes / (hbm * elementwise_share), with the
//   bytes the unfused kernels move: the residual add and the RMSNorm are two
//   launches, five passes over the hidden state.
//
//   Prefill attention, all of an iteration's chunks in one launch:
//     t = floor + max(flops / (peak * flops_share * min(1, tiles / (saturating_tiles_per_sm * SMs))),
//                     bytes / (hbm * kv_bandwidth_share * min(1, tiles / (kv_saturating_tiles_per_sm * SMs))))
//   with tiles = heads * sum over chunks of ceil(chunk / tile_rows): a short
//   chunk has too few query tiles to keep every SM busy, and one after a
//   long prefix is bound by streaming that prefix's K and V through them.
//
//   Decode attention: decode_floor + per_sequence * seqs + bytes / (hbm * decode_share),
//   the KV bytes growing with the decode context.
//
//   All-reduce (tp > 1): launch_floor + ring bytes / (link * interconnect_share).
//
// The iteration is the sum over operators plus the serving framework's
// per-iteration time, iteration_ms + per_sequence_us * (sequences in the
// batch). Decode attention is the only part that grows with the decode
// context, linearly, so the iteration stays affine in it
// (service_time_model.h); its per-token rate is the larger of its compute
// and memory rates, exact for every model with grouped-query or multi-head
// attention (about 4 FLOPs per KV byte against a ridge of hundreds).
//
// Immutable after construction; safe to share between threads.
#include <array>
#include <span>
#include <string>

#include "models/calibration/operators.h"
#include "models/calibration/service_time_model.h"
#include "models/catalog/specs.h"

namespace capstan::calibration {

class RooflineModel final : public ServiceTimeModel {
 public:
  // `iteration_overhead_ms` replaces the catalog's framework iteration_ms
  // when positive. Throws std::invalid_argument for tp < 1, a model with
  // non-positive dimensions, a GPU without positive peaks or SM count,
  // kernel figures out of range, or a negative overhead.
  RooflineModel(catalog::LlmSpec llm, catalog::GpuSpec gpu, int tensor_parallel, double iteration_overhead_ms = 0.0);

  IterationCost iteration(std::int64_t decode_seqs, std::span<const PrefillChunk> prefills) const override;
  std::string kind() const override { return "roofline"; }
  std::string provenance() const override;

  // The iteration's cost by operator (without the framework overhead),
  // indexed by static_cast<int>(Operator). Sums to iteration() minus overhead().
  std::array<IterationCost, kOperatorCount> breakdown(std::int64_t decode_seqs,
                                                      std::span<const PrefillChunk> prefills) const;

  // Seconds of one launch of each kind of kernel.
  double gemm_seconds(Operator op, double rows) const;
  double elementwise_seconds(double bytes) const;
  double all_reduce_seconds(double wire_bytes) const;
  double prefill_attention_seconds(std::span<const PrefillChunk> prefills) const;
  // One launch over `seqs` sequences, context excluded, and its rate per context token.
  IterationCost decode_attention_cost(double seqs) const;
  // The framework's per-iteration seconds for a batch of this many sequences.
  double overhead_seconds(double sequences) const;

  const catalog::LlmSpec& llm() const { return llm_; }
  const catalog::GpuSpec& gpu() const { return gpu_; }
  const catalog::KernelFigures& kernels() const { return gpu_.kernels; }
  int tensor_parallel() const { return tp_; }

 private:
  catalog::LlmSpec llm_;
  catalog::GpuSpec gpu_;
  int tp_;
  double overhead_s_, per_sequence_s_;
  double peak_flops_, hbm_bytes_per_s_;
};

// Throws std::invalid_argument naming the first dimension that is not positive.
void validate_llm_dims(const catalog::LlmSpec& llm);
// Throws std::invalid_argument naming the first kernel figure out of range.
void validate_kernel_figures(const catalog::GpuSpec& gpu);

}  // namespace capstan::calibration
