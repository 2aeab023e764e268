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
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>

namespace capstan::calibration {

struct PrefillChunk {
  std::int64_t chunk_tokens = 0;   // new tokens computed this iteration
  std::int64_t prefix_tokens = 0;  // tokens already in the KV cache before them
};

// A model with sliding-window layers (catalog::LlmSpec::attention_window)
// adds their decode attention, per_window_token_s for each context token up
// to window_cap_tokens (the batch's sequences times the window): the
// windowed layers read min(context, window) of each sequence, and
// min(sum of contexts, sequences x window) bounds their sum from above,
// exactly when every sequence is on the same side of the window.
struct IterationCost {
  double fixed_s = 0.0;
  double per_context_token_s = 0.0;
  double per_window_token_s = 0.0;
  std::int64_t window_cap_tokens = 0;
  double seconds(std::int64_t decode_context_tokens) const {
    const double s = fixed_s + per_context_token_s * static_cast<double>(decode_context_tokens);
    if (per_window_token_s == 0.0) return s;
    return s + per_window_token_s * static_cast<double>(std::min(decode_context_tokens, window_cap_tokens));
  }
  // The same cost, affine while the context stays on one side of the cap:
  // below it the window's rate joins the full layers', past it the windows
  // are full and cost a fixed amount.
  IterationCost affine_at(std::int64_t decode_context_tokens) const {
    if (per_window_token_s == 0.0) return *this;
    IterationCost c{fixed_s, per_context_token_s};
    if (decode_context_tokens < window_cap_tokens) {
      c.per_context_token_s += per_window_token_s;
    } else {
      c.fixed_s += per_window_token_s * static_cast<double>(window_cap_tokens);
    }
    return c;
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
