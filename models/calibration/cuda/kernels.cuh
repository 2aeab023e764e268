#pragma once
// Launchers and validations of the calibration microkernels, one section per
// .cu file. measure.cu drives them; nothing outside this folder sees CUDA.
//
// Every launcher checks its launch (cudaCheck(cudaGetLastError())) and
// throws std::invalid_argument for shapes its kernels cannot run. Every
// check_* function runs each version of its kernel on fresh random inputs
// (never zero) into NaN-filled outputs and compares with the CPU reference
// of reference.h, appending one KernelCheck per (version, shape).
#include <random>
#include <vector>

#include "models/calibration/cuda/common.cuh"

namespace capstan::calibration::cuda {

// ---- gemm.cu: y[m][n] = x[m][k] w[n][k]^T --------------------------------
enum class GemmVersion { kCublas = 1, kCublasLt = 2, kWmma = 3 };
const char* gemm_version_name(GemmVersion v);

class Gemm {
 public:
  Gemm();
  ~Gemm();
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;
  // k must be a multiple of 8 for kWmma. A cuBLASLt plan is made on the
  // first call with a shape and reused; call once untimed first.
  void run(GemmVersion v, const bf16* x, const bf16* w, bf16* y, int m, int n, int k);

 private:
  struct LtPlan;
  LtPlan& plan(int m, int n, int k);
  cublasHandle_t blas_ = nullptr;
  cublasLtHandle_t lt_ = nullptr;
  DeviceBuffer<unsigned char> workspace_;
  std::vector<LtPlan*> plans_;
};

void check_gemm(Gemm& gemm, std::mt19937_64& rng, const KernelDims& dims, std::vector<KernelCheck>& out);

// ---- attention.cu: paged decode and chunked-prefill attention -------------
struct PagedKv {
  const bf16* k = nullptr;  // [blocks][kv_heads][16][head_dim]
  const bf16* v = nullptr;
  const int32_t* block_table = nullptr;  // query i reads row block_table + i * stride
  int block_table_stride = 0;            // 0: every query reads the same row (prefill)
  int kv_heads = 0;
};

enum class DecodeVersion { kPaged = 1, kSplitKv = 2 };
enum class PrefillVersion { kPagedRows = 1, kWmmaFlash = 2 };
const char* decode_version_name(DecodeVersion v);
const char* prefill_version_name(PrefillVersion v);

class Attention {
 public:
  explicit Attention(int sm_count) : sm_count_(sm_count) {}
  // One query per row of q ([nq][heads][head_dim]) over its own context
  // length (device array, context_lens[i] <= max_context).
  void decode(DecodeVersion v, const bf16* q, const PagedKv& kv, const int32_t* context_lens, int nq,
              int max_context, int heads, int head_dim, bf16* out);
  // `chunk` queries after `prefix` cached tokens of one sequence whose K/V
  // (prefix and chunk) sit in the paged cache under kv.block_table (one row).
  void prefill(PrefillVersion v, const bf16* q, const PagedKv& kv, int prefix, int chunk, int heads, int head_dim,
               bf16* out);
  // The split the kSplitKv version chooses: pages per split and splits.
  void split_plan(int nq, int kv_heads, int max_context, int* pages_per_split, int* splits) const;

 private:
  int sm_count_;
  DeviceBuffer<float> partial_out_;
  DeviceBuffer<float> partial_lse_;
  DeviceBuffer<int32_t> prefill_lens_;  // prefix + i + 1, for kPagedRows
  int prefill_lens_prefix_ = -1;
  int prefill_lens_chunk_ = -1;
};

void check_attention(Attention& attention, std::mt19937_64& rng, const KernelDims& dims,
                     std::vector<KernelCheck>& out);

// ---- elementwise.cu ------------------------------------------------------
void add_rmsnorm(const bf16* x, bf16* residual, const bf16* weight, bf16* out, int tokens, int hidden, float eps);
// cos_sin: [max_position][head_dim] floats (reference::rope_cos_sin_cache).
void rope(const bf16* q, const bf16* k, const int32_t* positions, const float* cos_sin, bf16* q_out, bf16* k_out,
          int tokens, int heads, int kv_heads, int head_dim);
void silu_gate(const bf16* gate_up, bf16* out, int tokens, int intermediate);
void kv_append(const bf16* k, const bf16* v, const int64_t* slot_mapping, bf16* k_cache, bf16* v_cache, int tokens,
               int kv_heads, int head_dim);
enum class CopyVersion { kMemcpy = 1, kKernel = 2 };
void copy(CopyVersion v, const void* src, void* dst, std::size_t bytes);  // bytes a multiple of 16

void check_elementwise(std::mt19937_64& rng, const KernelDims& dims, std::vector<KernelCheck>& out);

}  // namespace capstan::calibration::cuda
