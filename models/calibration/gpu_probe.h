#pragma once
// Is there a CUDA-capable GPU here? Never throws: a machine without a GPU,
// without a driver, or a build without CUDA all give available = false and a
// message saying which.
#include <string>

namespace capstan::calibration {

struct GpuProbe {
  bool available = false;
  std::string message;        // "no CUDA-capable GPU: ..." when not available
  std::string device_name;
  int compute_capability = 0; // e.g. 90 for sm_90
  int driver_version = 0;     // CUDA driver API version, e.g. 13000
  int runtime_version = 0;    // CUDA runtime the build uses
  double memory_gib = 0.0;
};

GpuProbe probe_gpu();

}  // namespace capstan::calibration
