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
  // Every bundled profile of this GPU measured its ceilings; each is a
  // ceiling, so the best across them stands (a small model's weight matrices
  // stream below the GPU's bandwidth: that is a shape effect, not the GPU's
  // ceiling). Ties and order do not matter, so the result does not depend on
  // which profile was measured last.
  double gemm_tflops = 0.0, stream_gb_per_s = 0.0, launch_floor_us = 0.0;
  std::vector<std::string> names;
  for (const auto& [name, profile] : bundled()) {
    if (lower(profile.gpu) != lower(gpu.name)) continue;
    const Ceilings& c = profile.ceilings;
    gemm_tflops = std::max(gemm_tflops, c.gemm_tflops);
    stream_gb_per_s = std::max(stream_gb_per_s, c.weight_stream_gb_per_s);
    if (c.launch_floor_us > 0.0)
      launch_floor_us = launch_floor_us > 0.0 ? std::min(launch_floor_us, c.launch_floor_us) : c.launch_floor_us;
    names.push_back(name.substr(name.find_last_of('/') + 1) + " (" + profile.device.name + ", " +
                    profile.created_utc + ")");
  }
  if (names.empty()) return std::nullopt;
  std::sort(names.begin(), names.end());
  RooflineEfficiency e;
  // A ceiling no profile measured (0) keeps the datasheet default. Attention
  // keeps it too: the profile's attention ceilings time capstan's own
  // validated microkernels, which are references, not the production kernels
  // a serving engine runs (docs/calibration.md, "Which model").
  if (gemm_tflops > 0.0 && gpu.bf16_tflops > 0.0) e.gemm_flops = std::clamp(gemm_tflops / gpu.bf16_tflops, 1e-3, 1.5);
  if (stream_gb_per_s > 0.0 && gpu.hbm_tb_per_s > 0.0)
    e.bandwidth = std::clamp(stream_gb_per_s / (gpu.hbm_tb_per_s * 1000.0), 1e-3, 1.5);
  if (launch_floor_us > 0.0) e.launch_floor_us = launch_floor_us;
  e.source = "measured profiles in models/profiles: ";
  for (std::size_t i = 0; i < names.size(); ++i) e.source += (i ? ", " : "") + names[i];
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
