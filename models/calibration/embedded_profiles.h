#pragma once
// The calibration profiles committed under models/profiles/, compiled in
// (models/profiles/embed_profiles.cmake), so that the roofline of a GPU can
// take its efficiencies from what was measured on that GPU without any data
// path at run time.
#include <span>

namespace capstan::calibration {

struct EmbeddedProfile {
  const char* name;  // file name, e.g. "h100_llama-3-8b_tp1.json"
  const char* text;  // its JSON text
};

std::span<const EmbeddedProfile> embedded_profiles();

}  // namespace capstan::calibration
