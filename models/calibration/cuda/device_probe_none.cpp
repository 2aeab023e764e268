// The GPU probe of a build without CUDA.
#include "models/calibration/gpu_probe.h"

namespace capstan::calibration {

GpuProbe probe_gpu() {
  GpuProbe p;
  p.message = "no CUDA-capable GPU: this capstan was built without CUDA (nvcc not found or CAPSTAN_CUDA=OFF)";
  return p;
}

}  // namespace capstan::calibration
