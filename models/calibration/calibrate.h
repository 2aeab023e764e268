#pragma once
// The host side of `capstan calibrate`: which shapes to time for a model
// (plan_calibration), and how timings become a profile (build_profile).
// The timing itself is measure() in models/calibration/cuda/measure.h.
//
//   LlmSpec, tp --plan_calibration--> MeasureRequest --measure()--> MeasureResult
//   MeasureResult --build_profile--> Profile (fits + held-out error) --save_profile--> JSON
#include <string>
#include <vector>

#include "models/calibration/cuda/measure.h"
#include "models/calibration/fit.h"
#include "models/calibration/operators.h"
#include "models/calibration/profile.h"
#include "models/catalog/specs.h"

namespace capstan::calibration {

struct GridOptions {
  std::int64_t max_gemm_tokens = 16384;
  std::int64_t max_lm_head_rows = 1024;
  std::int64_t max_decode_batch = 512;
  std::int64_t max_context_tokens = 32768;
  // Upper bound on one layer's KV cache during the decode and prefill grid;
  // shapes that need more are skipped (a 512 x 32k grid point of an 8B model
  // would need 64 GiB for one layer).
  double kv_budget_gib = 8.0;
  bool quick = false;  // a coarse grid for smoke tests
};

// The model's per-GPU kernel dimensions. Throws std::invalid_argument when
// the kernels cannot run them (head_dim not 64 or 128, more than 8 query
// heads per KV head, dimensions not multiples of 8).
KernelDims kernel_dims(const catalog::LlmSpec& llm, int tensor_parallel);

// Every shape to time for this model on one GPU; the grid is ordered
// operator by operator, small to large.
MeasureRequest plan_calibration(const catalog::LlmSpec& llm, int tensor_parallel, const GridOptions& options = {});

// The fit's samples for one operator from raw timings (flops and bytes by
// operators.h's formulas). Embedding is fitted from the "copy" timings.
std::vector<Sample> samples_for(Operator op, const std::vector<RawTiming>& timings, const catalog::LlmSpec& llm,
                                int tensor_parallel);

struct ProfileMeta {
  std::string gpu;               // catalog GPU name the profile stands for
  std::string created_utc;
  std::string capstan_version;
  double iteration_overhead_ms = 0.0;  // 0: the catalog's framework iteration_ms for the GPU
};

// Fits every operator, computes held-out error per operator and pooled,
// and assembles the profile. Throws std::runtime_error when an operator has
// no timings. (measure() never times a kernel version that failed its check;
// failed alternative versions are kept in the profile's checks.)
Profile build_profile(const catalog::LlmSpec& llm, int tensor_parallel, const MeasureResult& measured,
                      const ProfileMeta& meta);

// "2026-03-01T12:00:00Z" for now.
std::string utc_now_iso8601();

}  // namespace capstan::calibration
