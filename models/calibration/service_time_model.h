#pragma once
// The service-time model: how long one continuous-batching iteration of a
// replica takes, given the shape of its batch.
//
// An iteration runs every decode sequence one token forward and every
// scheduled prefill chunk through the whole model. Its duration is affine in
// the total context the decode sequences attend over:
//
//     seconds = cost.fixed_s + cost.per_context_token_s * decode_context_tokens
//
// because decode attention reads each cached token's K and V once, and
// nothing else in the iteration depends on context. Keeping that form lets a
// replica sum many decode iterations in closed form instead of stepping them.
//
// Implementations: RooflineModel (models/calibration/roofline.h) and
// CalibratedModel (models/calibration/calibrated.h). Implementations are
// immutable after construction and safe to share between threads.
#include <cstdint>
#include <span>
#include <string>

namespace capstan::calibration {

struct PrefillChunk {
  std::int64_t chunk_tokens = 0;   // new tokens computed this iteration
  std::int64_t prefix_tokens = 0;  // tokens already in the KV cache before them
};

struct IterationCost {
  double fixed_s = 0.0;
  double per_context_token_s = 0.0;
  double seconds(std::int64_t decode_context_tokens) const {
    return fixed_s + per_context_token_s * static_cast<double>(decode_context_tokens);
  }
};

class ServiceTimeModel {
 public:
  virtual ~ServiceTimeModel() = default;
  // Cost of one iteration with `decode_seqs` decoding sequences and the given
  // prefill chunks (which may be empty). `decode_seqs` and the chunks also
  // determine how many LM-head rows run (one per sequence that emits a token).
  virtual IterationCost iteration(std::int64_t decode_seqs, std::span<const PrefillChunk> prefills) const = 0;
  // "roofline" or "calibrated".
  virtual std::string kind() const = 0;
  // Where the figures came from: a profile path and device, or "datasheet".
  virtual std::string provenance() const = 0;
};

}  // namespace capstan::calibration
