#pragma once
// Which service-time model a deployment gets, and from where its figures come.
//
//   1. A profile path given (a scenario's `profile`, or `capstan run
//      --calibrate`): CalibratedModel from that profile. The profile must be
//      for this model and tensor parallelism (else ProfileError).
//   2. Else RooflineModel, priced from the GPU's catalog kernel figures
//      (gpus.json; the h200's are fitted to the measurements bundled in
//      models/profiles/).
//
// provenance() of the result says which it is.
#include <memory>
#include <string>

#include "models/calibration/service_time_model.h"
#include "models/catalog/specs.h"

namespace capstan::calibration {

// `iteration_overhead_ms` 0 keeps the default (the profile's, else the
// engine's host iteration_ms). A calibrated profile times capstan's own
// kernels, so only the engine's scheduling time per sequence applies to it. Throws ProfileError (profile.h) for a
// profile that cannot be read or does not match, std::invalid_argument for
// bad dimensions or tp.
std::shared_ptr<const ServiceTimeModel> make_service_time_model(const catalog::LlmSpec& llm,
                                                                const catalog::GpuSpec& gpu,
                                                                const catalog::EngineSpec& engine, int tensor_parallel,
                                                                double iteration_overhead_ms,
                                                                const std::string& profile_path);

}  // namespace capstan::calibration
