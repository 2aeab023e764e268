#pragma once
// Shared by the calibration microkernels: the one error-check macro, device
// buffers, bf16 host data with its float image, the NaN sentinel and the
// comparison against a CPU reference.
//
// Every CUDA runtime and cuBLAS call goes through cudaCheck; every kernel
// launch is followed by cudaCheck(cudaGetLastError()). A failure throws
// MeasureError naming the call, file and line (capstan is a library here,
// not a one-shot program, so it throws rather than exits).
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "models/calibration/cuda/measure.h"

namespace capstan::calibration::cuda {

using bf16 = __nv_bfloat16;

inline void cuda_check(cudaError_t e, const char* call, const char* file, int line) {
  if (e != cudaSuccess)
    throw MeasureError(std::string(file) + ":" + std::to_string(line) + ": " + call + ": " + cudaGetErrorString(e));
}
inline void cuda_check(cublasStatus_t s, const char* call, const char* file, int line) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw MeasureError(std::string(file) + ":" + std::to_string(line) + ": " + call + ": " + cublasGetStatusString(s));
}
#define cudaCheck(call) ::capstan::calibration::cuda::cuda_check((call), #call, __FILE__, __LINE__)

// A device allocation of n elements of T, freed on scope exit.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t n) { resize(n); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr, o.n_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      p_ = o.p_, n_ = o.n_;
      o.p_ = nullptr, o.n_ = 0;
    }
    return *this;
  }
  // Reallocates (contents lost) when n exceeds the capacity.
  void resize(std::size_t n) {
    if (n <= n_ && p_) return;
    release();
    cudaCheck(cudaMalloc(&p_, std::max<std::size_t>(n, 1) * sizeof(T)));
    n_ = n;
  }
  T* get() const { return p_; }
  std::size_t size() const { return n_; }
  std::size_t bytes() const { return n_ * sizeof(T); }
  void upload(const std::vector<T>& h) {
    resize(h.size());
    cudaCheck(cudaMemcpy(p_, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  // Fills every byte with 0xFF: NaN as bf16 and as float, the sentinel that
  // shows an output element the kernel never wrote.
  void fill_nan() { cudaCheck(cudaMemset(p_, 0xFF, bytes())); }

 private:
  void release() {
    if (p_) cudaFree(p_);  // no throw from a destructor; a broken context shows on the next checked call
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

// Random bf16 data and the exact float value of each element, so that the
// CPU reference computes on the very numbers the GPU sees. Never zero.
struct HostBf16 {
  std::vector<bf16> b;
  std::vector<float> f;
};
inline HostBf16 random_bf16(std::size_t n, std::mt19937_64& rng, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> u(lo, hi);
  HostBf16 h;
  h.b.resize(n);
  h.f.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    float x = 0.0f;
    do {
      x = u(rng);
    } while (std::abs(x) < 1e-3f);
    h.b[i] = __float2bfloat16(x);
    h.f[i] = __bfloat162float(h.b[i]);
  }
  return h;
}

inline std::vector<float> download_bf16(const bf16* d, std::size_t n) {
  std::vector<bf16> h(n);
  cudaCheck(cudaMemcpy(h.data(), d, n * sizeof(bf16), cudaMemcpyDeviceToHost));
  std::vector<float> f(n);
  for (std::size_t i = 0; i < n; ++i) f[i] = __bfloat162float(h[i]);
  return f;
}
inline std::vector<float> download_f32(const float* d, std::size_t n) {
  std::vector<float> f(n);
  cudaCheck(cudaMemcpy(f.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost));
  return f;
}

// max |got - ref| / (|ref| + rms(ref)), and whether every element was written.
inline KernelCheck compare(const std::string& kernel, const std::string& version, const std::string& shape,
                           const std::vector<float>& got, const std::vector<float>& ref, double tolerance) {
  KernelCheck c;
  c.kernel = kernel;
  c.version = version;
  c.shape = shape;
  c.tolerance = tolerance;
  c.all_written = got.size() == ref.size();
  double ss = 0.0;
  for (float r : ref) ss += static_cast<double>(r) * r;
  const double rms = ref.empty() ? 1.0 : std::sqrt(ss / static_cast<double>(ref.size()));
  for (std::size_t i = 0; i < got.size() && i < ref.size(); ++i) {
    if (std::isnan(got[i])) {
      c.all_written = false;
      continue;
    }
    const double err = std::abs(static_cast<double>(got[i]) - ref[i]) / (std::abs(static_cast<double>(ref[i])) + rms);
    c.max_rel_error = std::max(c.max_rel_error, err);
  }
  c.passed = c.all_written && c.max_rel_error <= tolerance && rms > 0.0;
  return c;
}

// bf16 outputs differ from a double-accumulated reference by their own
// rounding (2^-9 relative) plus fp32 accumulation order; 2e-2 of the output
// scale separates that from any indexing or masking bug, which errs by O(1).
inline constexpr double kBf16Tolerance = 2e-2;

// Fills n bf16 with deterministic pseudo-random values in [-scale, scale]
// on the device (for the large timing buffers; host generation of gigabytes
// would dominate the calibration time). Values do not change kernel timing.
void fill_random(bf16* p, std::size_t n, std::uint64_t seed, float scale);

}  // namespace capstan::calibration::cuda
