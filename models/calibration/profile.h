#pragma once
// A calibration profile: what `capstan calibrate` measured on one GPU for one
// model at one tensor parallelism, the per-operator fit it made of it, and
// where it all came from. Stored as JSON (docs/calibration.md has the format);
// CalibratedModel prices iterations from it.
//
// Loading treats the file as untrusted: every field is checked (type, range,
// consistency) by the shared reader of models/input/json_reader.h, read-only,
// and the first problem is thrown as a ProfileError naming the file, the JSON
// pointer, what was expected and what was found, worded as scenario errors
// are. Unknown keys are rejected with the nearest known key suggested.
// Loading never returns a half-checked profile.
#include <map>
#include <stdexcept>

#include "models/input_error.h"
#include <string>
#include <vector>

#include "models/calibration/cuda/measure.h"
#include "models/calibration/fit.h"
#include "models/calibration/operators.h"
#include "models/catalog/specs.h"

namespace capstan::calibration {

inline constexpr int kProfileSchemaVersion = 1;

class ProfileError : public InputError {
 public:
  using InputError::InputError;
};

struct Profile {
  int schema_version = kProfileSchemaVersion;
  std::string created_utc;      // ISO 8601, e.g. "2026-03-01T12:00:00Z"
  std::string capstan_version;
  DeviceInfo device;
  std::string gpu;              // catalog GPU name the profile stands for, e.g. "h100"
  catalog::LlmSpec model;       // name and the dimensions measured
  int tensor_parallel = 1;
  HarnessInfo harness;
  std::vector<KernelCheck> checks;
  Ceilings ceilings;
  double iteration_overhead_ms = 0.0;   // not measured by the kernels
  std::string iteration_overhead_source;
  std::vector<RawTiming> timings;
  std::map<Operator, OperatorFit> fits;  // every operator but all_reduce
  ErrorSummary held_out;
  std::map<Operator, ErrorSummary> held_out_by_operator;
  double calibration_seconds = 0.0;
};

// The operators a profile must fit: all but all_reduce, which one GPU cannot
// measure, and a mixture of experts' (profiles cover dense models).
std::vector<Operator> fitted_operators();

// Throws ProfileError; `path` names the file in errors.
Profile load_profile(const std::string& path);
Profile parse_profile(const std::string& text, const std::string& source);
// Pretty-printed JSON; save_profile throws std::runtime_error when the file cannot be written.
std::string profile_to_json(const Profile& profile);
void save_profile(const Profile& profile, const std::string& path);

}  // namespace capstan::calibration
