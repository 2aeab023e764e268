#pragma once
// The calibration profiles committed under models/profiles/, compiled in, so
// that the roofline of a GPU can take its efficiencies from what was measured
// on that GPU without any data path at run time.
#include "models/embedded.h"

namespace capstan::calibration {

using EmbeddedProfile = capstan::EmbeddedFile;  // name e.g. "h100_llama-3-8b_tp1.json"
std::span<const EmbeddedProfile> embedded_profiles();

}  // namespace capstan::calibration
