// Attention over a paged KV cache (block size 16, grouped-query heads):
// decode (one query per sequence) and chunked prefill (a chunk of new
// queries after a cached prefix, causal). bf16 data, fp32 accumulation.
//
// Build: part of capstan_cuda, or alone:
//   nvcc -std=c++17 -O3 -arch=sm_90 -I. -c models/calibration/cuda/attention.cu -Xptxas -v
// Written against CUDA 13.0; runs on sm_80+ (WMMA bf16).
//
// Cache layout: [block][kv_head][16][head_dim] for K and for V, found through
// a block table of physical block ids (reference.h). head_dim 64 or 128,
// 1 to 8 query heads per KV head.
//
// Decode versions:
//   1 paged      one CTA (4 warps) per (sequence, KV head) serves all the
//                query heads of the group from one read of K and V; each
//                warp takes whole 16-token blocks, lanes split a token's row
//                in 16-byte pieces, online softmax in registers, warps merged
//                through shared memory
//   2 split-KV   the same kernel over pieces of the context (flash-decoding),
//                so that short batches of long contexts fill the GPU, then a
//                reduction pass merges the pieces by their log-sum-exp; the
//                one `capstan calibrate` times
// Prefill versions:
//   1 rows       each new token as a decode query with its causal context
//                length (prefix + i + 1): CUDA cores, simple, a cross-check
//   2 flash      tensor-core flash attention: a CTA of 4 warps takes 64
//                queries of one head, streams 64-token K/V tiles from the
//                paged cache into shared memory, S = QK^T and O += PV with
//                WMMA, online softmax per row; the one `capstan calibrate` times
//
// CPU references: reference::decode_attention_paged, decode_attention_split
// + combine_splits, prefill_attention_paged (reference.cpp).
#include <mma.h>

#include <algorithm>
#include <cfloat>
#include <numeric>
#include <sstream>

#include "models/calibration/cuda/kernels.cuh"
#include "models/calibration/cuda/reference.h"

namespace capstan::calibration::cuda {

namespace {

constexpr int kPage = reference::kBlockSize;
constexpr int kDecodeWarps = 4;

struct DecodeParams {
  const bf16* q;
  PagedKv kv;
  const int32_t* context_lens;
  bf16* out;          // when splits == 1
  float* part_out;    // [nq][heads][splits][head_dim] when splits > 1
  float* part_lse;    // [nq][heads][splits]
  int heads;
  int splits;
  int pages_per_split;
  float scale;
};

__device__ __forceinline__ void bf16x8_to_float(const uint4& u, float* f) {
  const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&u);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 t = __bfloat1622float2(h[i]);
    f[2 * i] = t.x;
    f[2 * i + 1] = t.y;
  }
}

// ---- decode versions 1 and 2 (and prefill version 1) -----------------------

template <int HD, int GCAP>
__global__ void __launch_bounds__(kDecodeWarps * 32) decode_kernel(DecodeParams p) {
  constexpr int kTpt = HD / 8;          // lanes per token: 16 bytes each
  constexpr int kTpi = 32 / kTpt;       // tokens per warp step
  constexpr int kSteps = kPage / kTpi;  // steps per 16-token block
  __shared__ float s_m[kDecodeWarps][GCAP], s_l[kDecodeWarps][GCAP];
  __shared__ float s_acc[kDecodeWarps][GCAP][HD];

  const int split = blockIdx.x, kvh = blockIdx.y, b = blockIdx.z;
  const int group = p.heads / p.kv.kv_heads;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int sub = lane / kTpt, dl = lane % kTpt;
  const int ctx = p.context_lens[b];
  const int pages = (ctx + kPage - 1) / kPage;
  const int page_begin = split * p.pages_per_split;
  const int page_end = min(pages, page_begin + p.pages_per_split);

  float q[GCAP][8], acc[GCAP][8], m[GCAP], l[GCAP];
#pragma unroll
  for (int h = 0; h < GCAP; ++h) {
    m[h] = -INFINITY;
    l[h] = 0.0f;
#pragma unroll
    for (int d = 0; d < 8; ++d) acc[h][d] = 0.0f, q[h][d] = 0.0f;
    if (h < group) {
      const bf16* qp = p.q + (static_cast<size_t>(b) * p.heads + kvh * group + h) * HD + dl * 8;
      bf16x8_to_float(*reinterpret_cast<const uint4*>(qp), q[h]);
#pragma unroll
      for (int d = 0; d < 8; ++d) q[h][d] *= p.scale;
    }
  }

  const int32_t* table = p.kv.block_table + static_cast<size_t>(b) * p.kv.block_table_stride;
  for (int page = page_begin + warp; page < page_end; page += kDecodeWarps) {
    const size_t base = (static_cast<size_t>(table[page]) * p.kv.kv_heads + kvh) * kPage * HD;
#pragma unroll
    for (int step = 0; step < kSteps; ++step) {
      const int t_in_page = step * kTpi + sub;
      const bool valid = page * kPage + t_in_page < ctx;
      float kf[8], vf[8];
      if (valid) {
        const size_t off = base + static_cast<size_t>(t_in_page) * HD + dl * 8;
        bf16x8_to_float(*reinterpret_cast<const uint4*>(p.kv.k + off), kf);
        bf16x8_to_float(*reinterpret_cast<const uint4*>(p.kv.v + off), vf);
      } else {
#pragma unroll
        for (int d = 0; d < 8; ++d) kf[d] = 0.0f, vf[d] = 0.0f;
      }
#pragma unroll
      for (int h = 0; h < GCAP; ++h) {
        if (h >= group) continue;  // uniform across the warp
        float s = 0.0f;
#pragma unroll
        for (int d = 0; d < 8; ++d) s += q[h][d] * kf[d];
#pragma unroll
        for (int off = kTpt / 2; off > 0; off /= 2) s += __shfl_xor_sync(0xffffffffu, s, off);
        s = valid ? s : -INFINITY;
        float step_max = s;
#pragma unroll
        for (int off = kTpt; off < 32; off *= 2) step_max = fmaxf(step_max, __shfl_xor_sync(0xffffffffu, step_max, off));
        const float m_new = fmaxf(m[h], step_max);
        const float pr = s == -INFINITY ? 0.0f : __expf(s - m_new);
        float p_sum = pr;
#pragma unroll
        for (int off = kTpt; off < 32; off *= 2) p_sum += __shfl_xor_sync(0xffffffffu, p_sum, off);
        const float alpha = m[h] == -INFINITY ? 0.0f : __expf(m[h] - m_new);
        l[h] = l[h] * alpha + p_sum;
#pragma unroll
        for (int d = 0; d < 8; ++d) acc[h][d] = acc[h][d] * alpha + pr * vf[d];
        m[h] = m_new;
      }
    }
  }

  // Lanes with the same dims held different tokens: add them up.
#pragma unroll
  for (int h = 0; h < GCAP; ++h)
#pragma unroll
    for (int d = 0; d < 8; ++d)
#pragma unroll
      for (int off = kTpt; off < 32; off *= 2) acc[h][d] += __shfl_xor_sync(0xffffffffu, acc[h][d], off);
#pragma unroll
  for (int h = 0; h < GCAP; ++h) {
    if (h >= group) continue;
    if (sub == 0) {
#pragma unroll
      for (int d = 0; d < 8; ++d) s_acc[warp][h][dl * 8 + d] = acc[h][d];
    }
    if (lane == 0) s_m[warp][h] = m[h], s_l[warp][h] = l[h];
  }
  __syncthreads();

  for (int idx = threadIdx.x; idx < group * HD; idx += blockDim.x) {
    const int h = idx / HD, d = idx % HD;
    float big = -INFINITY;
#pragma unroll
    for (int w = 0; w < kDecodeWarps; ++w) big = fmaxf(big, s_m[w][h]);
    float sum_l = 0.0f, sum_a = 0.0f;
    if (big != -INFINITY) {
#pragma unroll
      for (int w = 0; w < kDecodeWarps; ++w) {
        if (s_m[w][h] == -INFINITY) continue;
        const float f = __expf(s_m[w][h] - big);
        sum_l += s_l[w][h] * f;
        sum_a += s_acc[w][h][d] * f;
      }
    }
    const float o = sum_l > 0.0f ? sum_a / sum_l : 0.0f;
    const size_t head_row = static_cast<size_t>(b) * p.heads + kvh * group + h;
    if (p.splits == 1) {
      p.out[head_row * HD + d] = __float2bfloat16(o);
    } else {
      const size_t piece = head_row * p.splits + split;
      p.part_out[piece * HD + d] = o;
      if (d == 0) p.part_lse[piece] = sum_l > 0.0f ? big + __logf(sum_l) : -INFINITY;
    }
  }
}

// Merges the split pieces: out = sum_s w_s o_s / sum_s w_s, w_s = exp(lse_s - max).
__global__ void combine_kernel(const float* __restrict__ part_out, const float* __restrict__ part_lse,
                               bf16* __restrict__ out, int splits, int head_dim) {
  const size_t bh = blockIdx.x;
  const float* lse = part_lse + bh * splits;
  float big = -INFINITY;
  for (int s = 0; s < splits; ++s) big = fmaxf(big, lse[s]);
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
    float wsum = 0.0f, acc = 0.0f;
    if (big != -INFINITY) {
      for (int s = 0; s < splits; ++s) {
        if (lse[s] == -INFINITY) continue;
        const float w = __expf(lse[s] - big);
        wsum += w;
        acc += w * part_out[(bh * splits + s) * head_dim + d];
      }
    }
    out[bh * head_dim + d] = __float2bfloat16(wsum > 0.0f ? acc / wsum : 0.0f);
  }
}

// ---- prefill version 2: WMMA flash attention over the paged cache ---------

constexpr int kFlashRows = 64;  // queries per CTA, 16 per warp
constexpr int kFlashCols = 64;  // K/V tokens per tile
constexpr int kFlashWarps = 4;

template <int HD>
struct FlashSmem {
  static constexpr int kLdh = HD + 8;           // bf16 rows of Q, K, V
  static constexpr int kLds = kFlashCols + 4;   // fp32 score rows
  static constexpr int kLdp = kFlashCols + 8;   // bf16 probability rows
  static constexpr int kLdo = HD + 4;           // fp32 output rows
  static constexpr size_t q = 0;
  static constexpr size_t k = q + sizeof(bf16) * kFlashRows * kLdh;
  static constexpr size_t v = k + sizeof(bf16) * kFlashCols * kLdh;
  static constexpr size_t s = v + sizeof(bf16) * kFlashCols * kLdh;
  static constexpr size_t pr = s + sizeof(float) * kFlashRows * kLds;
  static constexpr size_t o = pr + sizeof(bf16) * kFlashRows * kLdp;
  static constexpr size_t bytes = o + sizeof(float) * kFlashRows * kLdo;
};

template <int HD>
__global__ void __launch_bounds__(kFlashWarps * 32) flash_prefill_kernel(const bf16* __restrict__ q, PagedKv kv,
                                                                        bf16* __restrict__ out, int heads,
                                                                        int prefix, int chunk, float scale) {
  using namespace nvcuda;
  using L = FlashSmem<HD>;
  extern __shared__ __align__(128) unsigned char smem[];
  bf16* qs = reinterpret_cast<bf16*>(smem + L::q);
  bf16* ks = reinterpret_cast<bf16*>(smem + L::k);
  bf16* vs = reinterpret_cast<bf16*>(smem + L::v);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float* ss = reinterpret_cast<float*>(smem + L::s) + warp * 16 * L::kLds;
  bf16* ps = reinterpret_cast<bf16*>(smem + L::pr) + warp * 16 * L::kLdp;
  float* os = reinterpret_cast<float*>(smem + L::o) + warp * 16 * L::kLdo;

  const int head = blockIdx.y, kvh = head / (heads / kv.kv_heads);
  const int q0 = blockIdx.x * kFlashRows;
  constexpr int kChunks = HD / 8;  // 16-byte pieces per row

  for (int i = threadIdx.x; i < kFlashRows * kChunks; i += blockDim.x) {
    const int r = i / kChunks, c = (i % kChunks) * 8;
    uint4 val = make_uint4(0u, 0u, 0u, 0u);
    if (q0 + r < chunk) val = *reinterpret_cast<const uint4*>(q + (static_cast<size_t>(q0 + r) * heads + head) * HD + c);
    *reinterpret_cast<uint4*>(qs + r * L::kLdh + c) = val;
  }
  for (int i = lane; i < 16 * HD; i += 32) os[(i / HD) * L::kLdo + i % HD] = 0.0f;
  // Lane pair (2r, 2r+1) owns row r of this warp's 16: columns half*32 .. +32.
  const int row = lane / 2, half = lane % 2;
  const int qi = q0 + warp * 16 + row;  // query index within the chunk
  float m_row = -INFINITY, l_row = 0.0f;
  const int last_q = min(q0 + kFlashRows, chunk) - 1;
  const int kv_len = prefix + last_q + 1;
  const int tiles = (kv_len + kFlashCols - 1) / kFlashCols;
  __syncthreads();

  for (int tile = 0; tile < tiles; ++tile) {
    const int t0 = tile * kFlashCols;
    for (int i = threadIdx.x; i < kFlashCols * kChunks; i += blockDim.x) {
      const int r = i / kChunks, c = (i % kChunks) * 8;
      const int tok = t0 + r;
      uint4 kval = make_uint4(0u, 0u, 0u, 0u), vval = kval;
      if (tok < kv_len) {
        const size_t off = ((static_cast<size_t>(kv.block_table[tok / kPage]) * kv.kv_heads + kvh) * kPage + tok % kPage) * HD + c;
        kval = *reinterpret_cast<const uint4*>(kv.k + off);
        vval = *reinterpret_cast<const uint4*>(kv.v + off);
      }
      *reinterpret_cast<uint4*>(ks + r * L::kLdh + c) = kval;
      *reinterpret_cast<uint4*>(vs + r * L::kLdh + c) = vval;
    }
    __syncthreads();

    // S (16 x 64) = Q_w (16 x HD) K^T.
#pragma unroll
    for (int j = 0; j < kFlashCols / 16; ++j) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> sf;
      wmma::fill_fragment(sf, 0.0f);
#pragma unroll
      for (int kk = 0; kk < HD / 16; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> bk;
        wmma::load_matrix_sync(a, qs + (warp * 16) * L::kLdh + kk * 16, L::kLdh);
        wmma::load_matrix_sync(bk, ks + (j * 16) * L::kLdh + kk * 16, L::kLdh);
        wmma::mma_sync(sf, a, bk, sf);
      }
      wmma::store_matrix_sync(ss + j * 16, sf, L::kLds, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax on this lane's 32 columns of its row.
    float tile_max = -INFINITY;
    for (int c = 0; c < 32; ++c) {
      const int col = half * 32 + c;
      const int tok = t0 + col;
      const bool visible = qi < chunk && tok <= prefix + qi;
      const float s = visible ? ss[row * L::kLds + col] * scale : -INFINITY;
      ss[row * L::kLds + col] = s;
      tile_max = fmaxf(tile_max, s);
    }
    tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
    const float m_new = fmaxf(m_row, tile_max);
    const float alpha = m_row == -INFINITY ? 0.0f : __expf(m_row - m_new);
    float p_sum = 0.0f;
    for (int c = 0; c < 32; ++c) {
      const int col = half * 32 + c;
      const float s = ss[row * L::kLds + col];
      const bf16 pb = __float2bfloat16(s == -INFINITY ? 0.0f : __expf(s - m_new));
      ps[row * L::kLdp + col] = pb;
      p_sum += __bfloat162float(pb);  // the rounded value the PV product uses
    }
    p_sum += __shfl_xor_sync(0xffffffffu, p_sum, 1);
    l_row = l_row * alpha + p_sum;
    m_row = m_new;
    for (int d = half * (HD / 2); d < (half + 1) * (HD / 2); ++d) os[row * L::kLdo + d] *= alpha;
    __syncwarp();

    // O_w (16 x HD) += P (16 x 64) V (64 x HD).
#pragma unroll
    for (int j = 0; j < HD / 16; ++j) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> of;
      wmma::load_matrix_sync(of, os + j * 16, L::kLdo, wmma::mem_row_major);
#pragma unroll
      for (int kk = 0; kk < kFlashCols / 16; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> bv;
        wmma::load_matrix_sync(a, ps + kk * 16, L::kLdp);
        wmma::load_matrix_sync(bv, vs + (kk * 16) * L::kLdh + j * 16, L::kLdh);
        wmma::mma_sync(of, a, bv, of);
      }
      wmma::store_matrix_sync(os + j * 16, of, L::kLdo, wmma::mem_row_major);
    }
    __syncthreads();  // K/V tiles are refilled next
  }

  if (qi < chunk) {
    const float inv = l_row > 0.0f ? 1.0f / l_row : 0.0f;
    bf16* dst = out + (static_cast<size_t>(qi) * heads + head) * HD;
    for (int d = half * (HD / 2); d < (half + 1) * (HD / 2); ++d) dst[d] = __float2bfloat16(os[row * L::kLdo + d] * inv);
  }
}

template <int HD, int GCAP>
void launch_decode(const DecodeParams& p, int nq) {
  const dim3 grid(p.splits, p.kv.kv_heads, nq);
  decode_kernel<HD, GCAP><<<grid, kDecodeWarps * 32>>>(p);
  cudaCheck(cudaGetLastError());
}

void dispatch_decode(const DecodeParams& p, int nq, int head_dim) {
  const int group = p.heads / p.kv.kv_heads;
  if (head_dim == 128) {
    group <= 4 ? launch_decode<128, 4>(p, nq) : launch_decode<128, 8>(p, nq);
  } else {
    group <= 4 ? launch_decode<64, 4>(p, nq) : launch_decode<64, 8>(p, nq);
  }
}

template <int HD>
void launch_flash(const bf16* q, const PagedKv& kv, bf16* out, int heads, int prefix, int chunk, float scale) {
  const size_t bytes = FlashSmem<HD>::bytes;
  static bool configured = false;  // once, so no attribute call lands in a timed launch
  if (!configured) {
    cudaCheck(cudaFuncSetAttribute(flash_prefill_kernel<HD>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                   static_cast<int>(bytes)));
    configured = true;
  }
  const dim3 grid((chunk + kFlashRows - 1) / kFlashRows, heads);
  flash_prefill_kernel<HD><<<grid, kFlashWarps * 32, bytes>>>(q, kv, out, heads, prefix, chunk, scale);
  cudaCheck(cudaGetLastError());
}

void require_supported(int heads, int kv_heads, int head_dim) {
  if (head_dim != 64 && head_dim != 128) throw std::invalid_argument("attention kernels need head_dim 64 or 128");
  if (kv_heads < 1 || heads % kv_heads != 0 || heads / kv_heads > 8)
    throw std::invalid_argument("attention kernels need 1 to 8 query heads per KV head");
}

}  // namespace

const char* decode_version_name(DecodeVersion v) { return v == DecodeVersion::kPaged ? "v1_paged" : "v2_split_kv"; }
const char* prefill_version_name(PrefillVersion v) {
  return v == PrefillVersion::kPagedRows ? "v1_paged_rows" : "v2_wmma_flash";
}

void Attention::split_plan(int nq, int kv_heads, int max_context, int* pages_per_split, int* splits) const {
  const int pages = std::max(1, (max_context + kPage - 1) / kPage);
  // Enough CTAs for two waves over the SMs, but no piece under 8 blocks
  // (128 tokens), where the merge would cost more than the parallelism gains.
  const int ctas = std::max(1, nq * kv_heads);
  int want = std::max(1, (2 * sm_count_ + ctas - 1) / ctas);
  want = std::min(want, std::max(1, pages / 8));
  *pages_per_split = (pages + want - 1) / want;
  *splits = (pages + *pages_per_split - 1) / *pages_per_split;
}

void Attention::decode(DecodeVersion v, const bf16* q, const PagedKv& kv, const int32_t* context_lens, int nq,
                       int max_context, int heads, int head_dim, bf16* out) {
  require_supported(heads, kv.kv_heads, head_dim);
  DecodeParams p{};
  p.q = q;
  p.kv = kv;
  p.context_lens = context_lens;
  p.out = out;
  p.heads = heads;
  p.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  if (v == DecodeVersion::kPaged) {
    p.splits = 1;
    p.pages_per_split = std::max(1, (max_context + kPage - 1) / kPage);
  } else {
    split_plan(nq, kv.kv_heads, max_context, &p.pages_per_split, &p.splits);
  }
  if (p.splits > 1) {
    const size_t pieces = static_cast<size_t>(nq) * heads * p.splits;
    partial_out_.resize(pieces * head_dim);
    partial_lse_.resize(pieces);
    p.part_out = partial_out_.get();
    p.part_lse = partial_lse_.get();
  }
  dispatch_decode(p, nq, head_dim);
  if (p.splits > 1) {
    combine_kernel<<<nq * heads, head_dim>>>(p.part_out, p.part_lse, out, p.splits, head_dim);
    cudaCheck(cudaGetLastError());
  }
}

void Attention::prefill(PrefillVersion v, const bf16* q, const PagedKv& kv, int prefix, int chunk, int heads,
                        int head_dim, bf16* out) {
  require_supported(heads, kv.kv_heads, head_dim);
  if (chunk < 1) return;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  if (v == PrefillVersion::kWmmaFlash) {
    head_dim == 128 ? launch_flash<128>(q, kv, out, heads, prefix, chunk, scale)
                    : launch_flash<64>(q, kv, out, heads, prefix, chunk, scale);
    return;
  }
  if (prefill_lens_prefix_ != prefix || prefill_lens_chunk_ != chunk) {
    std::vector<int32_t> lens(static_cast<size_t>(chunk));
    std::iota(lens.begin(), lens.end(), prefix + 1);
    prefill_lens_.upload(lens);
    prefill_lens_prefix_ = prefix;
    prefill_lens_chunk_ = chunk;
  }
  PagedKv rows = kv;
  rows.block_table_stride = 0;  // every query reads the sequence's one row
  decode(DecodeVersion::kSplitKv, q, rows, prefill_lens_.get(), chunk, prefix + chunk, heads, head_dim, out);
}

// ---- validation ------------------------------------------------------------

namespace {

// A paged cache with random contents, sequences' blocks scattered at random.
struct TestCache {
  HostBf16 k, v;
  std::vector<int32_t> table;
  int max_blocks = 0;
  DeviceBuffer<bf16> dk, dv;
  DeviceBuffer<int32_t> dtable;
};

TestCache make_cache(const std::vector<int32_t>& lens, int kv_heads, int head_dim, std::mt19937_64& rng) {
  TestCache c;
  int total = 0;
  for (int32_t len : lens) {
    const int nb = (len + kPage - 1) / kPage;
    c.max_blocks = std::max(c.max_blocks, nb);
    total += nb;
  }
  total += 2;  // blocks nobody owns, so a wrong index reads the wrong data
  std::vector<int32_t> physical(static_cast<size_t>(total));
  std::iota(physical.begin(), physical.end(), 0);
  std::shuffle(physical.begin(), physical.end(), rng);
  c.table.assign(lens.size() * static_cast<size_t>(c.max_blocks), 0);
  size_t next = 0;
  for (size_t b = 0; b < lens.size(); ++b)
    for (int j = 0; j < (lens[b] + kPage - 1) / kPage; ++j) c.table[b * c.max_blocks + j] = physical[next++];
  const size_t n = static_cast<size_t>(total) * kv_heads * kPage * head_dim;
  c.k = random_bf16(n, rng);
  c.v = random_bf16(n, rng);
  c.dk.upload(c.k.b);
  c.dv.upload(c.v.b);
  c.dtable.upload(c.table);
  return c;
}

std::string attention_shape(const char* what, int a, const char* what2, int b, const KernelDims& d) {
  std::ostringstream s;
  s << what << "=" << a << " " << what2 << "=" << b << " heads=" << d.heads << " kv_heads=" << d.kv_heads
    << " head_dim=" << d.head_dim;
  return s.str();
}

}  // namespace

void check_attention(Attention& attention, std::mt19937_64& rng, const KernelDims& dims,
                     std::vector<KernelCheck>& out) {
  const reference::AttentionDims rd{dims.heads, dims.kv_heads, dims.head_dim};
  const size_t row = static_cast<size_t>(dims.heads) * dims.head_dim;
  // Decode: uneven contexts (a single token, a partial block, a long one that
  // the split version cuts into pieces).
  {
    const std::vector<int32_t> lens = {1, 37, 3000, 16, 700};
    const int batch = static_cast<int>(lens.size());
    TestCache c = make_cache(lens, dims.kv_heads, dims.head_dim, rng);
    const HostBf16 q = random_bf16(batch * row, rng, -2.0f, 2.0f);
    std::vector<float> ref(batch * row);
    reference::decode_attention_paged(q.f.data(), c.k.f.data(), c.v.f.data(), c.table.data(), c.max_blocks,
                                      lens.data(), batch, rd, ref.data());
    DeviceBuffer<bf16> dq, dout(ref.size());
    dq.upload(q.b);
    DeviceBuffer<int32_t> dlens;
    dlens.upload(lens);
    const PagedKv kv{c.dk.get(), c.dv.get(), c.dtable.get(), c.max_blocks, dims.kv_heads};
    for (DecodeVersion v : {DecodeVersion::kPaged, DecodeVersion::kSplitKv}) {
      dout.fill_nan();
      attention.decode(v, dq.get(), kv, dlens.get(), batch, 3000, dims.heads, dims.head_dim, dout.get());
      cudaCheck(cudaDeviceSynchronize());
      out.push_back(compare("decode_attention", decode_version_name(v), attention_shape("batch", batch, "max_context", 3000, dims),
                            download_bf16(dout.get(), ref.size()), ref, kBf16Tolerance));
    }
  }
  // Prefill: chunks that leave partial query and K/V tiles, with and without a prefix.
  for (const auto& pc : std::vector<std::pair<int, int>>{{0, 100}, {77, 130}, {1000, 64}}) {
    const int prefix = pc.first, chunk = pc.second;
    TestCache c = make_cache({prefix + chunk}, dims.kv_heads, dims.head_dim, rng);
    const HostBf16 q = random_bf16(chunk * row, rng, -2.0f, 2.0f);
    std::vector<float> ref(chunk * row);
    reference::prefill_attention_paged(q.f.data(), c.k.f.data(), c.v.f.data(), c.table.data(), prefix, chunk, rd,
                                       ref.data());
    DeviceBuffer<bf16> dq, dout(ref.size());
    dq.upload(q.b);
    const PagedKv kv{c.dk.get(), c.dv.get(), c.dtable.get(), 0, dims.kv_heads};
    for (PrefillVersion v : {PrefillVersion::kPagedRows, PrefillVersion::kWmmaFlash}) {
      dout.fill_nan();
      attention.prefill(v, dq.get(), kv, prefix, chunk, dims.heads, dims.head_dim, dout.get());
      cudaCheck(cudaDeviceSynchronize());
      out.push_back(compare("prefill_attention", prefill_version_name(v), attention_shape("prefix", prefix, "chunk", chunk, dims),
                            download_bf16(dout.get(), ref.size()), ref, kBf16Tolerance));
    }
  }
}

}  // namespace capstan::calibration::cuda
