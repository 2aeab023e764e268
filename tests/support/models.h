#pragma once
// Service-time models with known answers, for tests.
#include "models/calibration/service_time_model.h"

namespace capstan::testing {

// Every iteration takes `fixed_s` plus `per_context_s` per decode context
// token plus `per_prefill_token_s` per prefill token, whatever else is in it.
class AffineModel final : public calibration::ServiceTimeModel {
 public:
  AffineModel(double fixed_s, double per_context_s = 0.0, double per_prefill_token_s = 0.0)
      : fixed_s_(fixed_s), per_context_s_(per_context_s), per_prefill_token_s_(per_prefill_token_s) {}
  calibration::IterationCost iteration(std::int64_t, std::span<const calibration::PrefillChunk> prefills) const override {
    double prefill = 0.0;
    for (const auto& c : prefills) prefill += static_cast<double>(c.chunk_tokens) * per_prefill_token_s_;
    return {fixed_s_ + prefill, per_context_s_};
  }
  std::string kind() const override { return "test-affine"; }
  std::string provenance() const override { return "test"; }

 private:
  double fixed_s_, per_context_s_, per_prefill_token_s_;
};

// AffineModel's cost plus sliding-window layers: `per_window_s` per decode
// context token up to `window` tokens a sequence (IterationCost's bound).
class WindowedModel final : public calibration::ServiceTimeModel {
 public:
  WindowedModel(double fixed_s, double per_context_s, double per_window_s, std::int64_t window)
      : fixed_s_(fixed_s), per_context_s_(per_context_s), per_window_s_(per_window_s), window_(window) {}
  calibration::IterationCost iteration(std::int64_t decode_seqs,
                                       std::span<const calibration::PrefillChunk>) const override {
    return {fixed_s_, per_context_s_, per_window_s_, decode_seqs * window_};
  }
  std::string kind() const override { return "test-windowed"; }
  std::string provenance() const override { return "test"; }

 private:
  double fixed_s_, per_context_s_, per_window_s_;
  std::int64_t window_;
};

}  // namespace capstan::testing
