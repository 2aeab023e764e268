#pragma once
// CalibratedModel: a ServiceTimeModel priced from a calibration profile
// measured on a real GPU (profile.h). It prices the same operator
// decomposition as RooflineModel (operators.h) with the profile's fitted
// per-operator costs:
//
//   GEMMs                 measured time interpolated along rows inside the
//                         measured grid, else c0 + c1*flops + c2*bytes
//   decode attention      c0 + c1*flops + c2*bytes with flops and bytes
//                         linear in the decode context, so the iteration
//                         stays affine in it (service_time_model.h)
//   everything else       c0 + c1*flops + c2*bytes
//   all-reduce (tp > 1)   not measurable on one GPU: the profile's launch
//                         floor + ring bytes over the catalog interconnect
//
// and adds the per-iteration overhead (the profile's unless overridden).
//
// Immutable after construction; safe to share between threads.
#include <array>
#include <string>

#include "models/calibration/operators.h"
#include "models/calibration/profile.h"
#include "models/calibration/service_time_model.h"
#include "models/catalog/specs.h"

namespace capstan::calibration {

class CalibratedModel final : public ServiceTimeModel {
 public:
  // Throws ProfileError (pointer at the offending profile field) when the
  // profile was measured for other model dimensions or another tensor
  // parallelism; std::invalid_argument when tp > 1 and the GPU's interconnect
  // bandwidth is not positive, or for a negative overhead. The profile times
  // one GPU: its all-reduces are priced from the GPU's catalog interconnect
  // figures (all_reduce_seconds in roofline.h).
  // `iteration_overhead_ms` 0 keeps the profile's; the framework's
  // per-sequence time (the GPU's catalog figure) is added per sequence in
  // the batch, as the roofline adds it.
  CalibratedModel(Profile profile, std::string profile_path, catalog::LlmSpec llm, int tensor_parallel,
                  const catalog::GpuSpec& gpu, double iteration_overhead_ms = 0.0,
                  double per_sequence_overhead_us = 0.0);

  IterationCost iteration(std::int64_t decode_seqs, std::span<const PrefillChunk> prefills) const override;
  std::string kind() const override { return "calibrated"; }
  std::string provenance() const override;

  const Profile& profile() const { return profile_; }
  const std::string& profile_path() const { return path_; }
  double iteration_overhead_s() const { return overhead_s_; }

 private:
  Profile profile_;
  std::string path_;
  catalog::LlmSpec llm_;
  int tp_;
  catalog::KernelFigures kernels_;  // the GPU's, for its all-reduces
  double link_gb_per_s_;
  double overhead_s_;
  double per_sequence_s_;
  std::array<OperatorFit, kOperatorCount> fits_;
};

}  // namespace capstan::calibration
