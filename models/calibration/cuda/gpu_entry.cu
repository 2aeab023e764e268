// The module's one exported symbol: the table the loader (gpu_loader.cpp) reads.
#include "models/calibration/cuda/gpu_module.h"

extern "C" __attribute__((visibility("default"))) const capstan::calibration::GpuEntry* capstan_gpu_entry() {
  static const capstan::calibration::GpuEntry entry{capstan::calibration::kGpuAbiVersion,
                                                    &capstan::calibration::cuda_probe_gpu,
                                                    &capstan::calibration::cuda_measure};
  return &entry;
}
