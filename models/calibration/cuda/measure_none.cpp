// measure() of a build without CUDA: there is nothing to run the kernels on.
#include "models/calibration/cuda/measure.h"
#include "models/calibration/gpu_probe.h"

namespace capstan::calibration {

MeasureResult measure(const MeasureRequest&) { throw NoGpuError(probe_gpu().message); }

}  // namespace capstan::calibration
