#pragma once
// The CUDA side of capstan lives in a shared module, libcapstan_gpu.so, that
// is opened only when a GPU is asked for (`capstan device`, `capstan
// calibrate`). Runs, tests and `import capstan` never load the CUDA runtime
// or cuBLAS, whose start-up alone costs most of a second and 200 MB.
//
// The module exports one C symbol, capstan_gpu_entry, returning this table.
// Both sides are built by the same compiler in the same build, so C++ types
// cross it safely.
#include "models/calibration/cuda/measure.h"
#include "models/calibration/gpu_probe.h"

namespace capstan::calibration {

struct GpuEntry {
  int abi_version;
  GpuProbe (*probe)();
  MeasureResult (*measure)(const MeasureRequest&);
};

inline constexpr int kGpuAbiVersion = 1;

// Defined in the module (measure.cu, device_probe.cu).
GpuProbe cuda_probe_gpu();
MeasureResult cuda_measure(const MeasureRequest& request);

}  // namespace capstan::calibration

extern "C" const capstan::calibration::GpuEntry* capstan_gpu_entry();
