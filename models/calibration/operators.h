#pragma once
// The operators of one continuous-batching iteration of a decoder-only LLM,
// per GPU under tensor parallelism, and the work (FLOPs, bytes, rows) each
// one does for a given batch shape.
//
// Both service-time models price the same decomposition: RooflineModel from
// datasheet peaks and efficiencies, CalibratedModel from a profile's fitted
// per-operator costs. Keeping the decomposition in one place is what makes a
// calibrated profile built from roofline coefficients reproduce the roofline.
//
// One iteration, per GPU (Megatron-style tensor parallelism: attention heads
// and the MLP inner dimension split across `tp` GPUs, two all-reduces per
// layer):
//   embedding gather                                      once
//   per layer: add+RMSNorm, QKV GEMM, RoPE, KV append,    layers times
//              decode attention, prefill attention, O GEMM,
//              all-reduce, add+RMSNorm, gate/up GEMM, SiLU-gate,
//              down GEMM, all-reduce
//   final RMSNorm, LM-head GEMM                           once
//
// A mixture-of-experts layer adds, after its second add+RMSNorm: the router
// GEMM (hidden -> experts), the permutation of each token to its experts
// and back (one element-wise launch each way), and the experts' gate/up and
// down GEMMs, each one grouped launch over the experts the batch activates
// (expected_active_experts), each expert with its share of the token rows;
// the dense gate/up, SiLU-gate and down then run the shared expert, if any.
// Tensor parallelism splits every expert's inner dimension, as the MLP's;
// with expert parallelism each GPU holds experts/tp of them whole instead
// (the all-reduce after the layer is the same).
//
// Thread-safety: everything here is a pure function of its arguments.
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "models/calibration/service_time_model.h"
#include "models/catalog/specs.h"

namespace capstan::calibration {

enum class Operator : int {
  kQkvGemm = 0,
  kOGemm,
  kGateUpGemm,
  kDownGemm,
  kLmHeadGemm,
  kDecodeAttention,
  kPrefillAttention,
  kAddRmsNorm,
  kRope,
  kSiluGate,
  kKvAppend,
  kEmbedding,
  kAllReduce,
  // Mixture of experts (no work in a dense model).
  kRouterGemm,
  kExpertGateUpGemm,
  kExpertDownGemm,
  kMoePermute,
  kAllToAll,  // dispatch to the experts' GPUs and combine back (data-parallel attention)
};
inline constexpr int kOperatorCount = 18;

// Stable names, used as keys in calibration profiles.
std::string_view operator_name(Operator op);
// Throws std::invalid_argument for an unknown name.
Operator operator_from_name(std::string_view name);
// The GEMMs of one weight matrix (qkv to lm_head, the router): one launch
// of `rows` rows. The experts' grouped GEMMs are not among them.
bool is_gemm(Operator op);
bool is_expert_gemm(Operator op);
bool is_moe(Operator op);  // the four operators only a mixture of experts runs

// A GEMM's K (reduction) and N (output columns) for this model on one GPU;
// M is the number of rows (tokens) of the iteration. For an expert GEMM, one
// expert's.
struct GemmShape {
  std::int64_t k = 0;
  std::int64_t n = 0;
};
// Throws std::invalid_argument when `op` is not a GEMM. dense_layer: the
// gate/up and down GEMMs of a mixture of experts' dense layers
// (LlmSpec::dense_layers), dense_intermediate wide.
GemmShape gemm_shape(Operator op, const catalog::LlmSpec& llm, int tensor_parallel, bool dense_layer = false);

// The GEMMs the QKV GEMM stands for under multi-head latent attention: the
// fused query and latent down-projection (its query part split across GPUs
// only without a query bottleneck), the query up-projection (with one), and
// the latent's key and value up-projection, whose weights and FLOPs are those
// of the absorbed decode path too. Returns how many it wrote to `out`.
int mla_qkv_shapes(const catalog::LlmSpec& llm, int tensor_parallel, GemmShape out[3]);

// What one operator does in an iteration. The operator runs `count` times
// (e.g. once per layer); each run moves `bytes` and computes `flops` plus, for
// decode attention only, `*_per_context_token` times the total decode
// context. `rows` is the GEMM M (or the tokens an element-wise op touches).
struct OperatorWork {
  Operator op = Operator::kQkvGemm;
  double count = 0.0;  // 0: the operator does not run in this iteration
  double rows = 0.0;
  double flops = 0.0;
  double bytes = 0.0;
  double flops_per_context_token = 0.0;
  double bytes_per_context_token = 0.0;
};

using IterationWork = std::array<OperatorWork, kOperatorCount>;

// The work of one iteration, indexed by static_cast<int>(Operator).
// Preconditions (checked, std::invalid_argument): decode_seqs >= 0, chunks
// have chunk_tokens >= 0 and prefix_tokens >= 0, tensor_parallel >= 1.
IterationWork iteration_work(const catalog::LlmSpec& llm, int tensor_parallel, std::int64_t decode_seqs,
                             std::span<const PrefillChunk> prefills);

// Per-GPU work formulas shared with the calibration grid, so that measured
// shapes and priced shapes agree. All per single kernel launch.
struct WorkFormulas {
  const catalog::LlmSpec& llm;
  int tp;
  double heads() const;     // query heads on one GPU
  double kv_heads() const;  // KV heads on one GPU (replicated when kv_heads < tp)
  double gemm_flops(Operator op, double rows, bool dense_layer = false) const;
  double gemm_bytes(Operator op, double rows, bool dense_layer = false) const;
  double shape_bytes(GemmShape shape, double rows) const;  // one GEMM of that shape
  double pair_flops() const;  // attention FLOPs of one query against one key
  // Decode attention over `seqs` sequences with `context_tokens` in total.
  double decode_flops(double context_tokens) const;
  double decode_bytes(double seqs, double context_tokens) const;
  // Prefill attention of one chunk of `chunk` new tokens after `prefix` cached,
  // in a layer attending over the whole context or (window > 0) its last
  // `window` tokens.
  double prefill_flops(double chunk, double prefix, double window = 0.0) const;
  double prefill_bytes(double chunk, double prefix, double window = 0.0) const;
  // Element-wise operators over `tokens` rows.
  double elementwise_bytes(Operator op, double tokens) const;
  // The experts' grouped GEMM over a batch of `tokens`: FLOPs of every row
  // each expert gets, bytes of the weights of the experts the batch
  // activates (expected) and of the rows in and out.
  double expert_gemm_flops(Operator op, double tokens) const;
  double expert_gemm_bytes(Operator op, double tokens) const;
  // Rows and (expected) experts one GPU's grouped GEMM runs: all the routed
  // rows over every expert's slice, or with expert parallelism its share of
  // the rows over its share of the experts.
  double expert_gemm_rows(double tokens) const;
  double expert_gemm_groups(double tokens) const;
  double all_reduce_wire_bytes(double tokens) const;
  // Bytes one GPU sends to the others in one all-to-all (dispatch or combine)
  // of an iteration of `tokens`: its share of the tokens, each to
  // experts_per_token experts, (tp-1)/tp of them on other GPUs.
  double all_to_all_bytes(double tokens) const;
  // The GPUs attention splits its heads over: tp, or 1 with data-parallel attention.
  int attention_tp() const { return llm.data_parallel_attention ? 1 : tp; }
  // The share of the iteration's tokens one GPU's attention and dense MLPs run.
  double token_share() const { return llm.data_parallel_attention ? 1.0 / tp : 1.0; }
};

}  // namespace capstan::calibration
