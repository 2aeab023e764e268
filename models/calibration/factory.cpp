#include "models/calibration/factory.h"

#include <stdexcept>

#include "models/calibration/calibrated.h"
#include "models/calibration/profile.h"
#include "models/calibration/roofline.h"

namespace capstan::calibration {

std::shared_ptr<const ServiceTimeModel> make_service_time_model(const catalog::LlmSpec& llm,
                                                                const catalog::GpuSpec& gpu,
                                                                const catalog::EngineSpec& engine, int tensor_parallel,
                                                                double iteration_overhead_ms,
                                                                const std::string& profile_path) {
  if (iteration_overhead_ms < 0.0) throw std::invalid_argument("iteration overhead must be >= 0");
  if (!profile_path.empty()) {
    return std::make_shared<CalibratedModel>(load_profile(profile_path), profile_path, llm, tensor_parallel,
                                             gpu, iteration_overhead_ms,
                                             engine.per_sequence_us);
  }
  return std::make_shared<RooflineModel>(llm, gpu, engine, tensor_parallel, iteration_overhead_ms);
}

}  // namespace capstan::calibration
