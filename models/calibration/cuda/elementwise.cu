// Element-wise kernels of a decoder layer and the device-to-device copy that
// measures the bandwidth ceiling. bf16 data, fp32 arithmetic, 16-byte
// accesses wherever the layout allows.
//
// Build: part of capstan_cuda, or alone:
//   nvcc -std=c++17 -O3 -arch=sm_90 -I. -c models/calibration/cuda/elementwise.cu -Xptxas -v
// Written against CUDA 13.0; runs on sm_80+.
//
// Kernels (one version each unless said):
//   add_rmsnorm   residual <- bf16(residual + x); out = residual * rsqrt(mean sq + eps) * w
//                 (one CTA per token; the second pass re-reads the row it wrote, from L1/L2)
//   rope          GPT-NeoX rotary embedding of Q and K from a cos/sin table, out of place
//                 (so validation can see every output written; in place moves the same bytes)
//   silu_gate     out = silu(gate) * up from the merged [gate | up] projection
//   kv_append     new K and V rows into their paged-cache slots
//   copy          1 cudaMemcpyAsync device to device, 2 a 16-byte grid-stride copy kernel
//   fill_random   deterministic device-side random fill for the large timing buffers
//
// CPU references: reference::add_rmsnorm, rope_neox, silu_gate, kv_append.
#include <sstream>

#include "models/calibration/cuda/kernels.cuh"
#include "models/calibration/cuda/reference.h"

namespace capstan::calibration::cuda {

namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int off = 16; off > 0; off /= 2) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

__device__ float block_sum(float v) {
  __shared__ float partial[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = (blockDim.x + 31) / 32;
  v = warp_sum(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = lane < warps ? partial[lane] : 0.0f;
  if (warp == 0) v = warp_sum(v);
  if (threadIdx.x == 0) partial[0] = v;
  __syncthreads();
  return partial[0];
}

__global__ void add_rmsnorm_kernel(const bf16* __restrict__ x, bf16* __restrict__ residual,
                                   const bf16* __restrict__ weight, bf16* __restrict__ out, int hidden, float eps) {
  const size_t base = static_cast<size_t>(blockIdx.x) * hidden;
  float sum_sq = 0.0f;
  for (int c = threadIdx.x * 8; c < hidden; c += blockDim.x * 8) {
    const uint4 xv = *reinterpret_cast<const uint4*>(x + base + c);
    const uint4 rv = *reinterpret_cast<const uint4*>(residual + base + c);
    const bf16* xe = reinterpret_cast<const bf16*>(&xv);
    const bf16* re = reinterpret_cast<const bf16*>(&rv);
    __align__(16) bf16 sum[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      sum[i] = __float2bfloat16(__bfloat162float(xe[i]) + __bfloat162float(re[i]));
      const float r = __bfloat162float(sum[i]);
      sum_sq += r * r;
    }
    *reinterpret_cast<uint4*>(residual + base + c) = *reinterpret_cast<const uint4*>(sum);
  }
  const float inv_rms = rsqrtf(block_sum(sum_sq) / hidden + eps);
  for (int c = threadIdx.x * 8; c < hidden; c += blockDim.x * 8) {
    const uint4 rv = *reinterpret_cast<const uint4*>(residual + base + c);  // what this thread wrote
    const uint4 wv = *reinterpret_cast<const uint4*>(weight + c);
    const bf16* re = reinterpret_cast<const bf16*>(&rv);
    const bf16* we = reinterpret_cast<const bf16*>(&wv);
    __align__(16) bf16 o[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) o[i] = __float2bfloat16(__bfloat162float(re[i]) * inv_rms * __bfloat162float(we[i]));
    *reinterpret_cast<uint4*>(out + base + c) = *reinterpret_cast<const uint4*>(o);
  }
}

__global__ void rope_kernel(const bf16* __restrict__ q, const bf16* __restrict__ k,
                            const int32_t* __restrict__ positions, const float* __restrict__ cos_sin,
                            bf16* __restrict__ q_out, bf16* __restrict__ k_out, int heads, int kv_heads,
                            int head_dim) {
  const int t = blockIdx.x, half = head_dim / 2;
  const float* table = cos_sin + static_cast<size_t>(positions[t]) * head_dim;
  const int pairs = (heads + kv_heads) * half;
  for (int idx = threadIdx.x; idx < pairs; idx += blockDim.x) {
    const int h = idx / half, i = idx % half;
    const bool is_q = h < heads;
    const size_t base = is_q ? (static_cast<size_t>(t) * heads + h) * head_dim
                             : (static_cast<size_t>(t) * kv_heads + (h - heads)) * head_dim;
    const bf16* in = is_q ? q : k;
    bf16* o = is_q ? q_out : k_out;
    const float c = table[i], s = table[half + i];
    const float x1 = __bfloat162float(in[base + i]), x2 = __bfloat162float(in[base + half + i]);
    o[base + i] = __float2bfloat16(x1 * c - x2 * s);
    o[base + half + i] = __float2bfloat16(x2 * c + x1 * s);
  }
}

__global__ void silu_gate_kernel(const bf16* __restrict__ gate_up, bf16* __restrict__ out, int tokens,
                                 int intermediate) {
  const size_t chunks_per_row = intermediate / 8;
  const size_t total = static_cast<size_t>(tokens) * chunks_per_row;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const size_t t = i / chunks_per_row, c = (i % chunks_per_row) * 8;
    const bf16* row = gate_up + t * 2 * intermediate;
    const uint4 gv = *reinterpret_cast<const uint4*>(row + c);
    const uint4 uv = *reinterpret_cast<const uint4*>(row + intermediate + c);
    const bf16* g = reinterpret_cast<const bf16*>(&gv);
    const bf16* u = reinterpret_cast<const bf16*>(&uv);
    __align__(16) bf16 o[8];
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      const float gf = __bfloat162float(g[e]);
      o[e] = __float2bfloat16(gf / (1.0f + __expf(-gf)) * __bfloat162float(u[e]));
    }
    *reinterpret_cast<uint4*>(out + t * intermediate + c) = *reinterpret_cast<const uint4*>(o);
  }
}

__global__ void kv_append_kernel(const bf16* __restrict__ k, const bf16* __restrict__ v,
                                 const int64_t* __restrict__ slots, bf16* __restrict__ k_cache,
                                 bf16* __restrict__ v_cache, int kv_heads, int head_dim) {
  const int t = blockIdx.x;
  const int64_t slot = slots[t];
  if (slot < 0) return;  // a padding token (vLLM's convention)
  const int64_t block = slot / reference::kBlockSize;
  const int offset = static_cast<int>(slot % reference::kBlockSize);
  const int chunks = head_dim / 8;
  for (int idx = threadIdx.x; idx < kv_heads * chunks; idx += blockDim.x) {
    const int h = idx / chunks, c = (idx % chunks) * 8;
    const size_t src = (static_cast<size_t>(t) * kv_heads + h) * head_dim + c;
    const size_t dst = ((static_cast<size_t>(block) * kv_heads + h) * reference::kBlockSize + offset) * head_dim + c;
    *reinterpret_cast<uint4*>(k_cache + dst) = *reinterpret_cast<const uint4*>(k + src);
    *reinterpret_cast<uint4*>(v_cache + dst) = *reinterpret_cast<const uint4*>(v + src);
  }
}

__global__ void copy_kernel(const uint4* __restrict__ src, uint4* __restrict__ dst, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    dst[i] = src[i];
}

__global__ void fill_random_kernel(bf16* p, size_t n, std::uint64_t seed, float scale) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    // splitmix64 of (seed, index): independent, reproducible, never NaN.
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ull * (i + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    const float u = static_cast<float>(z >> 40) * (1.0f / 16777216.0f);  // [0, 1)
    p[i] = __float2bfloat16((2.0f * u - 1.0f) * scale);
  }
}

int grid_for(size_t work, int threads) {
  int device = 0, sms = 0;
  cudaCheck(cudaGetDevice(&device));
  cudaCheck(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const size_t blocks = (work + threads - 1) / threads;
  return static_cast<int>(std::max<size_t>(1, std::min<size_t>(blocks, static_cast<size_t>(sms) * 8)));
}

}  // namespace

void add_rmsnorm(const bf16* x, bf16* residual, const bf16* weight, bf16* out, int tokens, int hidden, float eps) {
  if (hidden % 8 != 0) throw std::invalid_argument("add_rmsnorm needs hidden to be a multiple of 8");
  add_rmsnorm_kernel<<<tokens, std::min(kThreads, std::max(32, hidden / 8))>>>(x, residual, weight, out, hidden, eps);
  cudaCheck(cudaGetLastError());
}

void rope(const bf16* q, const bf16* k, const int32_t* positions, const float* cos_sin, bf16* q_out, bf16* k_out,
          int tokens, int heads, int kv_heads, int head_dim) {
  rope_kernel<<<tokens, 128>>>(q, k, positions, cos_sin, q_out, k_out, heads, kv_heads, head_dim);
  cudaCheck(cudaGetLastError());
}

void silu_gate(const bf16* gate_up, bf16* out, int tokens, int intermediate) {
  if (intermediate % 8 != 0) throw std::invalid_argument("silu_gate needs intermediate to be a multiple of 8");
  const size_t work = static_cast<size_t>(tokens) * (intermediate / 8);
  silu_gate_kernel<<<grid_for(work, kThreads), kThreads>>>(gate_up, out, tokens, intermediate);
  cudaCheck(cudaGetLastError());
}

void kv_append(const bf16* k, const bf16* v, const int64_t* slot_mapping, bf16* k_cache, bf16* v_cache, int tokens,
               int kv_heads, int head_dim) {
  if (head_dim % 8 != 0) throw std::invalid_argument("kv_append needs head_dim to be a multiple of 8");
  kv_append_kernel<<<tokens, std::min(kThreads, std::max(32, kv_heads * head_dim / 8))>>>(k, v, slot_mapping, k_cache,
                                                                                        v_cache, kv_heads, head_dim);
  cudaCheck(cudaGetLastError());
}

void copy(CopyVersion v, const void* src, void* dst, std::size_t bytes) {
  if (v == CopyVersion::kMemcpy) {
    cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0));
    return;
  }
  if (bytes % 16 != 0) throw std::invalid_argument("the copy kernel needs a multiple of 16 bytes");
  const size_t n = bytes / 16;
  copy_kernel<<<grid_for(n, kThreads), kThreads>>>(static_cast<const uint4*>(src), static_cast<uint4*>(dst), n);
  cudaCheck(cudaGetLastError());
}

void fill_random(bf16* p, std::size_t n, std::uint64_t seed, float scale) {
  fill_random_kernel<<<grid_for(n, kThreads), kThreads>>>(p, n, seed, scale);
  cudaCheck(cudaGetLastError());
}

// ---- validation ------------------------------------------------------------

void check_elementwise(std::mt19937_64& rng, const KernelDims& dims, std::vector<KernelCheck>& out) {
  const int tokens = 7;
  {  // add + RMSNorm: both outputs, the residual and the normed row
    const int hidden = dims.hidden;
    const size_t n = static_cast<size_t>(tokens) * hidden;
    const HostBf16 x = random_bf16(n, rng), r = random_bf16(n, rng), w = random_bf16(hidden, rng, 0.5f, 1.5f);
    std::vector<float> ref_r = r.f, ref_o(n);
    reference::add_rmsnorm(x.f.data(), ref_r.data(), w.f.data(), ref_o.data(), tokens, hidden, dims.rms_eps);
    DeviceBuffer<bf16> dx, dr, dw, dout(n);
    dx.upload(x.b);
    dr.upload(r.b);
    dw.upload(w.b);
    dout.fill_nan();
    add_rmsnorm(dx.get(), dr.get(), dw.get(), dout.get(), tokens, hidden, dims.rms_eps);
    cudaCheck(cudaDeviceSynchronize());
    std::ostringstream shape;
    shape << "tokens=" << tokens << " hidden=" << hidden;
    out.push_back(compare("add_rmsnorm", "v1_out", shape.str(), download_bf16(dout.get(), n), ref_o, kBf16Tolerance));
    out.push_back(compare("add_rmsnorm", "v1_residual", shape.str(), download_bf16(dr.get(), n), ref_r, kBf16Tolerance));
  }
  {  // RoPE at scattered positions, some large
    const int hd = dims.head_dim, max_pos = 9000;
    const std::vector<int32_t> pos = {0, 1, 17, 500, 4095, 8191, 8999};
    const size_t nq = static_cast<size_t>(tokens) * dims.heads * hd, nk = static_cast<size_t>(tokens) * dims.kv_heads * hd;
    const HostBf16 q = random_bf16(nq, rng), k = random_bf16(nk, rng);
    std::vector<float> table(static_cast<size_t>(max_pos) * hd), ref_q(nq), ref_k(nk);
    reference::rope_cos_sin_cache(max_pos, hd, dims.rope_theta, table.data());
    reference::rope_neox(q.f.data(), k.f.data(), pos.data(), ref_q.data(), ref_k.data(), tokens, dims.heads,
                         dims.kv_heads, hd, dims.rope_theta);
    DeviceBuffer<bf16> dq, dk, dqo(nq), dko(nk);
    DeviceBuffer<int32_t> dpos;
    DeviceBuffer<float> dtable;
    dq.upload(q.b);
    dk.upload(k.b);
    dpos.upload(pos);
    dtable.upload(table);
    dqo.fill_nan();
    dko.fill_nan();
    rope(dq.get(), dk.get(), dpos.get(), dtable.get(), dqo.get(), dko.get(), tokens, dims.heads, dims.kv_heads, hd);
    cudaCheck(cudaDeviceSynchronize());
    std::vector<float> got = download_bf16(dqo.get(), nq), got_k = download_bf16(dko.get(), nk);
    got.insert(got.end(), got_k.begin(), got_k.end());
    ref_q.insert(ref_q.end(), ref_k.begin(), ref_k.end());
    std::ostringstream shape;
    shape << "tokens=" << tokens << " heads=" << dims.heads << " kv_heads=" << dims.kv_heads << " head_dim=" << hd;
    out.push_back(compare("rope", "v1", shape.str(), got, ref_q, kBf16Tolerance));
  }
  {  // SiLU-gate (inputs up to +-6 so both tails of silu show)
    const int inter = dims.intermediate;
    const HostBf16 gu = random_bf16(static_cast<size_t>(tokens) * 2 * inter, rng, -6.0f, 6.0f);
    std::vector<float> ref(static_cast<size_t>(tokens) * inter);
    reference::silu_gate(gu.f.data(), ref.data(), tokens, inter);
    DeviceBuffer<bf16> dgu, dout(ref.size());
    dgu.upload(gu.b);
    dout.fill_nan();
    silu_gate(dgu.get(), dout.get(), tokens, inter);
    cudaCheck(cudaDeviceSynchronize());
    std::ostringstream shape;
    shape << "tokens=" << tokens << " intermediate=" << inter;
    out.push_back(compare("silu_gate", "v1", shape.str(), download_bf16(dout.get(), ref.size()), ref, kBf16Tolerance));
  }
  {  // KV append: the mapped slots take the rows, every other slot keeps its NaN
    const int kvh = dims.kv_heads, hd = dims.head_dim, blocks = 5;
    const std::vector<int64_t> slots = {3, 17, 18, 79, 32, 0, 64};
    const size_t n = static_cast<size_t>(tokens) * kvh * hd, cache = static_cast<size_t>(blocks) * kvh * 16 * hd;
    const HostBf16 k = random_bf16(n, rng), v = random_bf16(n, rng);
    std::vector<float> ref_k(cache, NAN), ref_v(cache, NAN);
    reference::kv_append(k.f.data(), v.f.data(), slots.data(), ref_k.data(), ref_v.data(), tokens, kvh, hd);
    DeviceBuffer<bf16> dk, dv, dkc(cache), dvc(cache);
    DeviceBuffer<int64_t> dslots;
    dk.upload(k.b);
    dv.upload(v.b);
    dslots.upload(slots);
    dkc.fill_nan();
    dvc.fill_nan();
    kv_append(dk.get(), dv.get(), dslots.get(), dkc.get(), dvc.get(), tokens, kvh, hd);
    cudaCheck(cudaDeviceSynchronize());
    const std::vector<float> got_k = download_bf16(dkc.get(), cache), got_v = download_bf16(dvc.get(), cache);
    // Written exactly where the reference wrote, and equal there.
    std::vector<float> got, ref;
    bool same_slots = true;
    for (size_t i = 0; i < cache; ++i) {
      same_slots = same_slots && std::isnan(got_k[i]) == std::isnan(ref_k[i]) && std::isnan(got_v[i]) == std::isnan(ref_v[i]);
      if (!std::isnan(ref_k[i])) got.push_back(got_k[i]), ref.push_back(ref_k[i]);
      if (!std::isnan(ref_v[i])) got.push_back(got_v[i]), ref.push_back(ref_v[i]);
    }
    KernelCheck c = compare("kv_append", "v1", "tokens=7 scattered slots", got, ref, 0.0);
    c.all_written = c.all_written && same_slots;
    c.passed = c.passed && same_slots;
    out.push_back(c);
  }
  {  // copy, both versions, an odd number of 16-byte pieces
    const size_t n = 8 * 1000 + 8;
    const HostBf16 src = random_bf16(n, rng);
    DeviceBuffer<bf16> ds, dd(n);
    ds.upload(src.b);
    for (CopyVersion v : {CopyVersion::kMemcpy, CopyVersion::kKernel}) {
      dd.fill_nan();
      copy(v, ds.get(), dd.get(), n * sizeof(bf16));
      cudaCheck(cudaDeviceSynchronize());
      out.push_back(compare("copy", v == CopyVersion::kMemcpy ? "v1_memcpy" : "v2_kernel", "16016 bytes",
                            download_bf16(dd.get(), n), src.f, 0.0));
    }
  }
}

}  // namespace capstan::calibration::cuda
