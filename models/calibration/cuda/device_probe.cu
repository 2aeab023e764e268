// The GPU probe, built with nvcc: proves the CUDA toolchain and asks the
// driver, without failing, whether a GPU is here.
#include <cuda_runtime.h>

#include <string>

#include "models/calibration/cuda/gpu_module.h"

namespace capstan::calibration {

namespace {
__global__ void touch(int* out) { *out = 42; }
}  // namespace

GpuProbe cuda_probe_gpu() {
  GpuProbe p;
  cudaRuntimeGetVersion(&p.runtime_version);
  cudaDriverGetVersion(&p.driver_version);  // 0 when no driver is installed
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    // Without a driver the runtime says its version is "insufficient": say what is missing instead.
    p.message = std::string("no CUDA-capable GPU: ") +
                (p.driver_version == 0 ? "no NVIDIA driver is installed"
                 : err != cudaSuccess  ? cudaGetErrorString(err)
                                       : "the driver reports no devices");
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return p;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
    p.message = "no CUDA-capable GPU: cannot read device 0's properties";
    return p;
  }
  // One tiny launch proves that kernels built here run on this device.
  int* d = nullptr;
  int h = 0;
  if (cudaMalloc(&d, sizeof(int)) == cudaSuccess) {
    touch<<<1, 1>>>(d);
    cudaMemcpy(&h, d, sizeof(int), cudaMemcpyDeviceToHost);
    cudaFree(d);
  }
  if (h != 42) {
    p.message = std::string("no usable CUDA GPU: a test kernel did not run on ") + prop.name +
                " (was capstan built for its architecture?)";
    return p;
  }
  p.available = true;
  p.device_name = prop.name;
  p.compute_capability = prop.major * 10 + prop.minor;
  p.memory_gib = static_cast<double>(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0);
  p.message = "GPU " + p.device_name;
  return p;
}

}  // namespace capstan::calibration
