#include "models/calibration/factory.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>
#include <vector>

#include "models/calibration/calibrated.h"
#include "models/calibration/efficiency.h"
#include "models/calibration/embedded_profiles.h"
#include "models/calibration/profile.h"
#include "models/calibration/roofline.h"

namespace capstan::calibration {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The bundled profiles, parsed once. A malformed one is a build defect
// (the tests parse every bundled profile), reported as std::logic_error.
const std::vector<std::pair<std::string, Profile>>& bundled() {
  static const std::vector<std::pair<std::string, Profile>> profiles = [] {
    std::vector<std::pair<std::string, Profile>> out;
    for (const EmbeddedProfile& e : embedded_profiles()) {
      try {
        out.emplace_back(std::string("models/profiles/") + e.name,
                         parse_profile(e.text, std::string("models/profiles/") + e.name));
      } catch (const ProfileError& err) {
        throw std::logic_error(std::string("bundled calibration profile is malformed: ") + err.what());
      }
    }
    return out;
  }();
  return profiles;
}

}  // namespace

std::optional<RooflineEfficiency> measured_efficiency(const catalog::GpuSpec& gpu) {
  const std::pair<std::string, Profile>* newest = nullptr;
  for (const auto& entry : bundled()) {
    if (lower(entry.second.gpu) != lower(gpu.name)) continue;
    if (!newest || entry.second.created_utc > newest->second.created_utc) newest = &entry;
  }
  if (!newest) return std::nullopt;
  const Ceilings& c = newest->second.ceilings;
  RooflineEfficiency e;
  // A ceiling the profile did not measure (0) keeps the datasheet default.
  if (c.gemm_tflops > 0.0 && gpu.bf16_tflops > 0.0) e.gemm_flops = c.gemm_tflops / gpu.bf16_tflops;
  if (c.attention_tflops > 0.0 && gpu.bf16_tflops > 0.0) e.attention_flops = c.attention_tflops / gpu.bf16_tflops;
  if (c.weight_stream_gb_per_s > 0.0 && gpu.hbm_tb_per_s > 0.0)
    e.bandwidth = c.weight_stream_gb_per_s / (gpu.hbm_tb_per_s * 1000.0);
  if (c.launch_floor_us > 0.0) e.launch_floor_us = c.launch_floor_us;
  e.gemm_flops = std::clamp(e.gemm_flops, 1e-3, 1.5);
  e.attention_flops = std::clamp(e.attention_flops, 1e-3, 1.5);
  e.bandwidth = std::clamp(e.bandwidth, 1e-3, 1.5);
  e.source = "measured profile " + newest->first + " (" + newest->second.device.name + ", " +
             newest->second.created_utc + ")";
  return e;
}

std::shared_ptr<const ServiceTimeModel> make_service_time_model(const catalog::LlmSpec& llm,
                                                                const catalog::GpuSpec& gpu, int tensor_parallel,
                                                                double iteration_overhead_ms,
                                                                const std::string& profile_path) {
  if (iteration_overhead_ms < 0.0) throw std::invalid_argument("iteration overhead must be >= 0");
  if (!profile_path.empty()) {
    return std::make_shared<CalibratedModel>(load_profile(profile_path), profile_path, llm, tensor_parallel,
                                             gpu.interconnect_gb_per_s, iteration_overhead_ms);
  }
  const double overhead_ms = iteration_overhead_ms > 0.0 ? iteration_overhead_ms : kDefaultIterationOverheadMs;
  return std::make_shared<RooflineModel>(llm, gpu, tensor_parallel, overhead_ms,
                                         measured_efficiency(gpu).value_or(RooflineEfficiency{}));
}

}  // namespace capstan::calibration
