#pragma once
// Which service-time model a deployment gets, and from where its figures come.
//
//   1. A profile path given (a scenario's `profile`, or `capstan run
//      --calibrate`): CalibratedModel from that profile. The profile must be
//      for this model and tensor parallelism (else ProfileError).
//   2. Else RooflineModel, with its efficiencies taken from a measured
//      profile of this GPU when one is bundled (models/profiles/, looked up
//      by the catalog GPU name through models/profiles/index.json), else
//      the datasheet defaults of efficiency.h.
//
// provenance() of the result says which of the three it is.
#include <memory>
#include <optional>
#include <string>

#include "models/calibration/efficiency.h"

#include "models/calibration/service_time_model.h"
#include "models/catalog/specs.h"

namespace capstan::calibration {

// The roofline efficiencies measured on this GPU (catalog name, any case):
// the best GEMM FLOP/s and weight-streaming bandwidth and the lowest launch
// floor across its bundled profiles; nullopt when none is bundled. Attention
// keeps the datasheet default (see factory.cpp).
std::optional<RooflineEfficiency> measured_efficiency(const catalog::GpuSpec& gpu);

// `iteration_overhead_ms` 0 keeps the default (the profile's, else
// kDefaultIterationOverheadMs). Throws ProfileError (profile.h) for a
// profile that cannot be read or does not match, std::invalid_argument for
// bad dimensions or tp.
std::shared_ptr<const ServiceTimeModel> make_service_time_model(const catalog::LlmSpec& llm,
                                                                const catalog::GpuSpec& gpu, int tensor_parallel,
                                                                double iteration_overhead_ms,
                                                                const std::string& profile_path);

}  // namespace capstan::calibration
