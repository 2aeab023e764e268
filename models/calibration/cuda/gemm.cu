// GEMM for the layer's projections: y[m][n] = x[m][k] w[n][k]^T, bf16 data,
// fp32 accumulation, bf16 output (torch.nn.Linear's layout).
//
// Build: part of capstan_cuda (models/calibration/cuda/CMakeLists.txt), e.g.
//   cmake --build build --target capstan_cuda
// or alone, to read the compiler's report:
//   nvcc -std=c++17 -O3 -arch=sm_90 -I. -c models/calibration/cuda/gemm.cu -Xptxas -v
// Written against CUDA 13.0 (nvcc, cuBLAS, cuBLASLt 13.0); runs on sm_80+.
//
// Versions:
//   1 cuBLAS   cublasGemmEx, CUBLAS_COMPUTE_32F, default algorithm
//   2 cuBLASLt cublasLtMatmul with the top heuristic algorithm and a 32 MiB
//              workspace (what PyTorch uses for bf16 linear layers); the one
//              `capstan calibrate` times
//   3 ours     tiled tensor-core kernel: 128x128x32 block tile, 8 warps of
//              64x32 each as 4x2 WMMA 16x16x16 bf16 fragments, two-stage
//              cp.async pipeline, fp32 accumulators staged through shared
//              memory for the bf16 epilogue. Reported as a ratio to cuBLAS.
//
// CPU reference: reference::gemm (reference.cpp). check_gemm validates every
// version at model shapes and odd shapes before anything is timed.
#include <mma.h>

#include <sstream>

#include "models/calibration/cuda/kernels.cuh"
#include "models/calibration/cuda/reference.h"

namespace capstan::calibration::cuda {

namespace {

// ---- version 3: tiled WMMA kernel ------------------------------------------

constexpr int kBm = 128, kBn = 128, kBk = 32;
constexpr int kLds = kBk + 8;  // padded row (80 bytes) to spread shared-memory banks
constexpr int kGemmThreads = 256;

__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, bool pred) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  const int bytes = pred ? 16 : 0;  // 0: no read, the 16 bytes are zero-filled
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void cp_async_wait_one() { asm volatile("cp.async.wait_group 1;\n" ::); }

__global__ void __launch_bounds__(kGemmThreads) gemm_wmma_kernel(const bf16* __restrict__ x,
                                                                 const bf16* __restrict__ w, bf16* __restrict__ y,
                                                                 int m, int n, int k) {
  using namespace nvcuda;
  // [stage][A or B][128 rows x 40]: 2 * 2 * 10 KiB = 40 KiB.
  __shared__ __align__(128) bf16 smem[2][2][kBm * kLds];
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int row0 = blockIdx.y * kBm, col0 = blockIdx.x * kBn;
  const int warp_m = warp / 4, warp_n = warp % 4;  // 2 x 4 warps, each 64 rows x 32 columns

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4][2];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  // Each stage is 128 rows x 4 chunks of 8 bf16 for A and for B: 2 chunks a thread each.
  auto load_stage = [&](int stage, int k0) {
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int chunk = tid + i * kGemmThreads;
      const int r = chunk / 4, c = (chunk % 4) * 8;
      const int gk = k0 + c;
      const bool pa = row0 + r < m && gk < k;
      cp_async16(&smem[stage][0][r * kLds + c], pa ? x + static_cast<size_t>(row0 + r) * k + gk : x, pa);
      const bool pb = col0 + r < n && gk < k;
      cp_async16(&smem[stage][1][r * kLds + c], pb ? w + static_cast<size_t>(col0 + r) * k + gk : w, pb);
    }
  };

  const int k_tiles = (k + kBk - 1) / kBk;
  load_stage(0, 0);
  cp_async_commit();
  for (int kt = 0; kt < k_tiles; ++kt) {
    const int stage = kt & 1;
    if (kt + 1 < k_tiles) load_stage(stage ^ 1, (kt + 1) * kBk);
    cp_async_commit();   // possibly empty, so the group count stays uniform
    cp_async_wait_one(); // every group but the newest is complete: tile kt is in
    __syncthreads();
    const bf16* as = smem[stage][0];
    const bf16* bs = smem[stage][1];
#pragma unroll
    for (int kk = 0; kk < kBk; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a[4];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> b[2];
#pragma unroll
      for (int i = 0; i < 4; ++i) wmma::load_matrix_sync(a[i], as + (warp_m * 64 + i * 16) * kLds + kk, kLds);
#pragma unroll
      for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(b[j], bs + (warp_n * 32 + j * 16) * kLds + kk, kLds);
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
    __syncthreads();  // this stage is refilled two iterations on
  }

  // Epilogue: each warp stages one 16x16 fp32 fragment at a time (1 KiB of
  // the now idle pipeline buffers) and writes it as bf16, 8 per lane.
  float* scratch = reinterpret_cast<float*>(&smem[0][0][0]) + warp * 256;
  const int r = lane / 2, c = (lane % 2) * 8;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      wmma::store_matrix_sync(scratch, acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
      const int gr = row0 + warp_m * 64 + i * 16 + r;
      const int gc = col0 + warp_n * 32 + j * 16 + c;
      if (gr < m) {
        if (gc + 8 <= n && n % 8 == 0) {
          __align__(16) bf16 v[8];
#pragma unroll
          for (int e = 0; e < 8; ++e) v[e] = __float2bfloat16(scratch[r * 16 + c + e]);
          *reinterpret_cast<uint4*>(y + static_cast<size_t>(gr) * n + gc) = *reinterpret_cast<const uint4*>(v);
        } else {
          for (int e = 0; e < 8; ++e)
            if (gc + e < n) y[static_cast<size_t>(gr) * n + gc + e] = __float2bfloat16(scratch[r * 16 + c + e]);
        }
      }
      __syncwarp();
    }
  }
}

}  // namespace

// ---- versions 1 and 2: cuBLAS ----------------------------------------------
//
// cuBLAS is column-major. Row-major y[m][n] is column-major y^T (n x m), and
// y^T = w x^T: A = w (stored k x n column-major, transposed), B = x (stored
// k x m column-major, not transposed), C = y^T (n x m, ld n).

struct Gemm::LtPlan {
  int m = 0, n = 0, k = 0;
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool use_gemm_ex = false;  // cuBLASLt offered no algorithm (e.g. misaligned n): cublasGemmEx instead
};

namespace {
constexpr std::size_t kLtWorkspaceBytes = 32u << 20;
}

Gemm::Gemm() {
  cudaCheck(cublasCreate(&blas_));
  cudaCheck(cublasLtCreate(&lt_));
  workspace_.resize(kLtWorkspaceBytes);
}

Gemm::~Gemm() {
  for (LtPlan* p : plans_) {
    cublasLtMatrixLayoutDestroy(p->a);
    cublasLtMatrixLayoutDestroy(p->b);
    cublasLtMatrixLayoutDestroy(p->c);
    cublasLtMatmulDescDestroy(p->op);
    delete p;
  }
  if (lt_) cublasLtDestroy(lt_);
  if (blas_) cublasDestroy(blas_);
}

Gemm::LtPlan& Gemm::plan(int m, int n, int k) {
  for (LtPlan* p : plans_)
    if (p->m == m && p->n == n && p->k == k) return *p;
  auto* p = new LtPlan;
  plans_.push_back(p);
  p->m = m, p->n = n, p->k = k;
  cudaCheck(cublasLtMatmulDescCreate(&p->op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  cudaCheck(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
  cudaCheck(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
  cudaCheck(cublasLtMatrixLayoutCreate(&p->a, CUDA_R_16BF, k, n, k));
  cudaCheck(cublasLtMatrixLayoutCreate(&p->b, CUDA_R_16BF, k, m, k));
  cudaCheck(cublasLtMatrixLayoutCreate(&p->c, CUDA_R_16BF, n, m, n));
  cublasLtMatmulPreference_t pref = nullptr;
  cudaCheck(cublasLtMatmulPreferenceCreate(&pref));
  const std::uint64_t ws = kLtWorkspaceBytes;
  cudaCheck(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  const cublasStatus_t s = cublasLtMatmulAlgoGetHeuristic(lt_, p->op, p->a, p->b, p->c, p->c, pref, 1, &heuristic, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (s != CUBLAS_STATUS_NOT_SUPPORTED) cudaCheck(s);
  if (s != CUBLAS_STATUS_SUCCESS || found == 0) {
    p->use_gemm_ex = true;
  } else {
    p->algo = heuristic.algo;
  }
  return *p;
}

const char* gemm_version_name(GemmVersion v) {
  switch (v) {
    case GemmVersion::kCublas: return "v1_cublas";
    case GemmVersion::kCublasLt: return "v2_cublaslt";
    case GemmVersion::kWmma: return "v3_wmma";
  }
  return "?";
}

void Gemm::run(GemmVersion v, const bf16* x, const bf16* w, bf16* y, int m, int n, int k) {
  const float alpha = 1.0f, beta = 0.0f;
  switch (v) {
    case GemmVersion::kCublas:
      cudaCheck(cublasGemmEx(blas_, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &alpha, w, CUDA_R_16BF, k, x, CUDA_R_16BF, k,
                             &beta, y, CUDA_R_16BF, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
      return;
    case GemmVersion::kCublasLt: {
      LtPlan& p = plan(m, n, k);
      if (p.use_gemm_ex) return run(GemmVersion::kCublas, x, w, y, m, n, k);
      cudaCheck(cublasLtMatmul(lt_, p.op, &alpha, w, p.a, x, p.b, &beta, y, p.c, y, p.c, &p.algo, workspace_.get(),
                               kLtWorkspaceBytes, 0));
      return;
    }
    case GemmVersion::kWmma: {
      if (k % 8 != 0) throw std::invalid_argument("the WMMA GEMM needs k to be a multiple of 8");
      const dim3 grid((n + kBn - 1) / kBn, (m + kBm - 1) / kBm);
      gemm_wmma_kernel<<<grid, kGemmThreads>>>(x, w, y, m, n, k);
      cudaCheck(cudaGetLastError());
      return;
    }
  }
}

// ---- validation ------------------------------------------------------------

void check_gemm(Gemm& gemm, std::mt19937_64& rng, const KernelDims& dims, std::vector<KernelCheck>& out) {
  struct Shape3 {
    int m, n, k;
  };
  // The model's widest projection at a few rows, and odd shapes that leave
  // partial tiles in every dimension.
  const std::vector<Shape3> shapes = {
      {1, dims.hidden, dims.hidden}, {8, 2 * dims.intermediate, dims.hidden}, {37, 72, 136}, {200, 392, 1000}};
  for (const Shape3& s : shapes) {
    const HostBf16 x = random_bf16(static_cast<std::size_t>(s.m) * s.k, rng);
    const HostBf16 w = random_bf16(static_cast<std::size_t>(s.n) * s.k, rng);
    std::vector<float> ref(static_cast<std::size_t>(s.m) * s.n);
    reference::gemm(x.f.data(), w.f.data(), ref.data(), s.m, s.n, s.k);
    DeviceBuffer<bf16> dx, dw, dy(ref.size());
    dx.upload(x.b);
    dw.upload(w.b);
    std::ostringstream shape;
    shape << "m=" << s.m << " n=" << s.n << " k=" << s.k;
    for (GemmVersion v : {GemmVersion::kCublas, GemmVersion::kCublasLt, GemmVersion::kWmma}) {
      dy.fill_nan();
      gemm.run(v, dx.get(), dw.get(), dy.get(), s.m, s.n, s.k);
      cudaCheck(cudaDeviceSynchronize());
      out.push_back(compare("gemm", gemm_version_name(v), shape.str(), download_bf16(dy.get(), ref.size()), ref,
                            kBf16Tolerance));
    }
  }
}

}  // namespace capstan::calibration::cuda
