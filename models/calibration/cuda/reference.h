#pragma once
// CPU references of the calibration microkernels: what each CUDA kernel in
// this folder must compute, written as plainly as possible, in float data
// with double accumulation. The kernels are validated against these before
// anything is timed, and the unit tests check these against independent
// formulations (tests/unit/reference_test.cpp), so a GPU-less machine still
// tests the math.
//
// Plain C++17 (the .cu files include it); no CUDA types. Raw pointers with
// explicit sizes; every array is row-major and dense unless said otherwise.
//
// Layouts shared with the kernels:
//   activations   [tokens][features]
//   weights       [out_features][in_features]       (y = x W^T, as torch.nn.Linear)
//   Q, attention output   [queries][heads][head_dim]
//   paged KV cache        [num_blocks][kv_heads][kBlockSize][head_dim], K and V apart
//   block table           [sequences][max_blocks_per_seq] of physical block ids
//   slot mapping          token -> physical slot = block * kBlockSize + offset
// Grouped-query attention: query head h reads KV head h / (heads / kv_heads).
#include <cstdint>

namespace capstan::calibration::reference {

inline constexpr int kBlockSize = 16;  // paged KV-cache block, tokens (vLLM's default)

// Rounds to the nearest bfloat16 (ties to even), as __float2bfloat16 does.
float round_to_bf16(float x);

// y[m][n] = sum_k x[m][k] * w[n][k].
void gemm(const float* x, const float* w, float* y, int m, int n, int k);

struct AttentionDims {
  int heads = 0;
  int kv_heads = 0;
  int head_dim = 0;
  float scale() const;  // 1/sqrt(head_dim)
};

// Dense attention of nq queries over nk keys. Causal: query i sees keys
// 0 .. q_offset + i (q_offset = keys that precede the first query); else all.
void attention_dense(const float* q, const float* k, const float* v, float* out, int nq, int nk,
                     const AttentionDims& d, bool causal, int q_offset);

// Decode attention: one query per sequence over its paged context.
void decode_attention_paged(const float* q, const float* k_cache, const float* v_cache, const int32_t* block_table,
                            int max_blocks_per_seq, const int32_t* context_lens, int batch, const AttentionDims& d,
                            float* out);

// Split-KV: sequence b's context is cut into pieces of `tokens_per_split`
// (a multiple of kBlockSize); each piece gives a normalised partial output and
// its log-sum-exp. Layouts: partial_out [batch][heads][splits][head_dim],
// partial_lse [batch][heads][splits]; an empty piece has lse = -inf and a
// zero output.
void decode_attention_split(const float* q, const float* k_cache, const float* v_cache, const int32_t* block_table,
                            int max_blocks_per_seq, const int32_t* context_lens, int batch, const AttentionDims& d,
                            int tokens_per_split, int splits, float* partial_out, float* partial_lse);
// Combines the pieces: out = sum_s w_s o_s / sum_s w_s, w_s = exp(lse_s - max lse).
void combine_splits(const float* partial_out, const float* partial_lse, int batch, int heads, int splits,
                    int head_dim, float* out);

// Chunked prefill: `chunk` new queries after `prefix` cached tokens of one
// sequence, whose K and V (prefix and chunk alike) are already in the paged
// cache under block_table (one row). Query i sees tokens 0 .. prefix + i.
void prefill_attention_paged(const float* q, const float* k_cache, const float* v_cache, const int32_t* block_table,
                             int prefix, int chunk, const AttentionDims& d, float* out);

// Fused residual add and RMSNorm over `hidden` features:
//   residual <- bf16(residual + x);  out = residual * rsqrt(mean(residual^2) + eps) * weight
// The sum is rounded to bf16 before the norm because the kernel stores the
// residual in bf16 and normalises what it stored.
void add_rmsnorm(const float* x, float* residual, const float* weight, float* out, int tokens, int hidden, float eps);

// Rotary embedding, GPT-NeoX style (the two halves of each head rotate
// together), position p, frequency theta^(-2i/head_dim), out of place.
void rope_neox(const float* q, const float* k, const int32_t* positions, float* q_out, float* k_out, int tokens,
               int heads, int kv_heads, int head_dim, float theta);
// The cos/sin table the kernel reads: [max_position][head_dim] with cos in
// the first half and sin in the second.
void rope_cos_sin_cache(int max_position, int head_dim, float theta, float* cache);

// out[t][i] = silu(gate_up[t][i]) * gate_up[t][intermediate + i].
void silu_gate(const float* gate_up, float* out, int tokens, int intermediate);

// Writes token t's K and V ([tokens][kv_heads][head_dim]) into the slot
// slot_mapping[t] of the paged caches; other slots are left as they are.
void kv_append(const float* k, const float* v, const int64_t* slot_mapping, float* k_cache, float* v_cache,
               int tokens, int kv_heads, int head_dim);

// Index of element (block, kv_head, offset, dim) of a paged cache.
inline int64_t cache_index(int64_t block, int kv_head, int offset, int dim, int kv_heads, int head_dim) {
  return ((block * kv_heads + kv_head) * kBlockSize + offset) * static_cast<int64_t>(head_dim) + dim;
}

}  // namespace capstan::calibration::reference
