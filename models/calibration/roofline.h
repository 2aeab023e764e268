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
//   launches and bytes of the engine's kernels (catalog::EngineSpec): a fused
//   add+RMSNorm is one launch of four passes over the hidden state, unfused
//   two launches of five; a fused SiLU-and-mul one launch of three passes,
//   unfused two of five; RoPE and the KV-cache write inside the attention
//   kernel move their bytes without launches of their own.
//
//   Prefill attention, all of an iteration's chunks in one launch, with the
//   FlashAttention-3 figures where the engine runs FA3 on this GPU's
//   architecture and the GPU has them (Hopper), else FlashAttention-2's:
//     t = floor + max(flops / (peak * flops_share * min(1, tiles / (saturating_tiles_per_sm * SMs))),
//                     bytes / (hbm * kv_bandwidth_share * min(1, tiles / (kv_saturating_tiles_per_sm * SMs))))
//   with tiles = heads * sum over chunks of ceil(chunk / tile_rows): a short
//   chunk has too few query tiles to keep every SM busy, and one after a
//   long prefix is bound by streaming that prefix's K and V through them.
//
//   Decode attention: decode_floor + per_sequence * seqs + bytes / (hbm * decode_share),
//   the KV bytes growing with the decode context.
//
//   All-reduce (tp > 1): all_reduce_seconds below, the interconnect figures'
//   floor plus the ring bytes at the engines' own kernels' share of the link
//   up to a large message, at NCCL's share past it.
//
// The GPU's time is the sum over operators. The engine's host time comes on
// top: launching kernels (launch_us each, none for an iteration of at most
// cuda_graph_max_tokens tokens, which replays a CUDA graph) runs ahead of
// the GPU, so only what exceeds the GPU's fixed time shows; scheduling
// (iteration_ms + per_sequence_us * sequences) adds to it, or with overlap
// (async scheduling) shows only where it exceeds the GPU's time:
//     gpu'  = gpu + max(0, launches * launch_us - gpu)
//     t     = gpu' + (overlap ? max(0, scheduling - gpu') : scheduling)
// (gpu here is the fixed part: the decode context only lengthens the GPU's
// work, so host time hides behind at least that much). Decode attention is
// the only part that grows with the decode context, linearly, so the
// iteration stays affine in it
// (service_time_model.h); its per-token rate is the larger of its compute
// and memory rates, exact for every model with grouped-query or multi-head
// attention (about 4 FLOPs per KV byte against a ridge of hundreds).
//
// Its answers are fixed at construction (a memo of GEMM times fills as they
// are first asked, through atomics); safe to share between threads.
#include <array>
#include <atomic>
#include <memory>
#include <span>
#include <string>

#include "models/calibration/operators.h"
#include "models/calibration/service_time_model.h"
#include "models/catalog/specs.h"

namespace capstan::calibration {

// Seconds for one all-reduce of `wire_bytes` ring bytes (2 (tp-1)/tp of the
// message) over tp GPUs linked at link_gb_per_s each way, as the kernel
// figures' interconnect group prices it (catalog::KernelFigures). Zero for
// tp 1. Shared by the roofline and the calibrated profiles, which measure one
// GPU and take their all-reduces from the catalog.
double all_reduce_seconds(const catalog::KernelFigures& k, double link_gb_per_s, int tp, double wire_bytes);

class RooflineModel final : public ServiceTimeModel {
 public:
  // `iteration_overhead_ms` replaces the engine's host iteration_ms when
  // positive. Throws std::invalid_argument for tp < 1, a model with
  // non-positive dimensions, a GPU without positive peaks or SM count,
  // kernel figures out of range, or a negative overhead.
  RooflineModel(catalog::LlmSpec llm, catalog::GpuSpec gpu, catalog::EngineSpec engine, int tensor_parallel,
                double iteration_overhead_ms = 0.0);

  IterationCost iteration(std::int64_t decode_seqs, std::span<const PrefillChunk> prefills) const override;
  std::string kind() const override { return "roofline"; }
  std::string provenance() const override;

  // The GPU's cost of the iteration by operator (host time left out),
  // indexed by static_cast<int>(Operator); iteration() adds host_seconds().
  std::array<IterationCost, kOperatorCount> breakdown(std::int64_t decode_seqs,
                                                      std::span<const PrefillChunk> prefills) const;

  // Seconds of one launch of each kind of kernel.
  double gemm_seconds(Operator op, double rows) const;
  // The gate/up or down GEMM of a mixture of experts' dense layers (LlmSpec::dense_layers).
  double dense_layer_gemm_seconds(Operator op, double rows) const;
  // One grouped launch of an expert GEMM over a batch of `tokens`: the
  // experts the batch activates (expected), each with its share of the
  // tokens' experts_per_token rows, their output tiles in waves over the SMs
  // together, their weights read once.
  double expert_gemm_seconds(Operator op, double tokens) const;
  double elementwise_seconds(double bytes) const;
  double all_reduce_seconds(double wire_bytes) const;
  // One all-to-all (a mixture of experts' dispatch or combine under
  // data-parallel attention) of `bytes` sent by each GPU.
  double all_to_all_seconds(double bytes) const;
  // One prefill attention launch over the chunks in a full-attention layer,
  // or (window > 0) in one attending over its last `window` tokens.
  double prefill_attention_seconds(std::span<const PrefillChunk> prefills, double window = 0.0) const;
  // One launch over `seqs` sequences, context excluded, and its rate per context token.
  IterationCost decode_attention_cost(double seqs) const;
  // The engine's scheduling seconds per iteration for a batch of this many sequences.
  double overhead_seconds(double sequences) const;
  // Kernel launches of the iteration, and whether it replays a CUDA graph.
  double launches(std::int64_t decode_seqs, std::span<const PrefillChunk> prefills) const;
  bool replays_graph(std::int64_t decode_seqs, std::span<const PrefillChunk> prefills) const;
  // The prefill attention kernel this engine runs on this GPU: "fa2" or "fa3".
  const std::string& attention_kernel() const { return attention_; }

  const catalog::LlmSpec& llm() const { return llm_; }
  const catalog::GpuSpec& gpu() const { return gpu_; }
  const catalog::KernelFigures& kernels() const { return gpu_.kernels; }
  const catalog::EngineSpec& engine() const { return engine_; }
  int tensor_parallel() const { return tp_; }
  // The memo's size a model of this kind holds (for the memory estimate).
  static constexpr double memo_bytes(bool moe) {
    return (moe ? kMoeMemoSlots : kDenseMemoSlots) * double{kGemmMemoRows} * sizeof(double);
  }

 private:
  std::array<IterationCost, kOperatorCount> breakdown_of(const IterationWork& work,
                                                         std::span<const PrefillChunk> prefills) const;
  double launches_of(const IterationWork& work) const;

  catalog::LlmSpec llm_;
  catalog::GpuSpec gpu_;
  catalog::EngineSpec engine_;
  int tp_;
  std::string attention_;
  double prefill_flops_share_, prefill_floor_s_;
  double overhead_s_, per_sequence_s_, launch_s_;
  double peak_flops_, gemm_peak_flops_, hbm_bytes_per_s_;
  // gemm_seconds of the five GEMMs (and a mixture of experts' router and
  // grouped expert GEMMs) at whole row counts below kGemmMemoRows, filled as
  // first asked (-1: not yet); a pure function of the model, so threads that
  // race to fill a slot store the same value. Shared by copies.
  static constexpr int kGemmMemoRows = 16384;
  static constexpr int kDenseMemoSlots = 5, kMoeMemoSlots = 10;  // 8, 9: a mixture's dense layers' MLP
  std::shared_ptr<std::atomic<double>[]> gemm_memo_;
  int memo_slots_ = 0;
  int memo_slot(Operator op, bool dense_layer) const;  // -1: not memoised
  double memoised(Operator op, double rows, bool dense_layer = false) const;
  double gemm_seconds_uncached(Operator op, double rows, bool dense_layer = false) const;
  double expert_gemm_seconds_uncached(Operator op, double tokens) const;
  // A launch of `groups` GEMMs of rows x depth x n, each `rows` rows, moving `bytes` in all.
  double gemm_time(double groups, double rows, double depth, double n, double bytes) const;
};

// Throws std::invalid_argument naming the first dimension that is not positive.
void validate_llm_dims(const catalog::LlmSpec& llm);
// Throws std::invalid_argument naming the first kernel figure out of range.
void validate_kernel_figures(const catalog::GpuSpec& gpu);

}  // namespace capstan::calibration
