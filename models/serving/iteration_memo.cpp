#include "models/serving/iteration_memo.h"

#include <algorithm>

namespace capstan::serving {

namespace {
// SplitMix64's finaliser, folded over the shape's numbers.
std::uint64_t fold(std::uint64_t h, std::uint64_t v) {
  std::uint64_t z = (h ^ v) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

IterationMemo::IterationMemo(std::shared_ptr<const calibration::ServiceTimeModel> model, unsigned log2_slots)
    : model_(std::move(model)), log2_slots_(std::clamp(log2_slots, 1u, 24u)) {}

calibration::IterationCost IterationMemo::iteration(std::int64_t decode_seqs,
                                                    std::span<const calibration::PrefillChunk> chunks) {
  if (chunks.size() > kMaxChunks) return model_->iteration(decode_seqs, chunks);
  std::uint64_t h = fold(static_cast<std::uint64_t>(decode_seqs), chunks.size());
  for (const auto& c : chunks) {
    h = fold(h, static_cast<std::uint64_t>(c.chunk_tokens));
    h = fold(h, static_cast<std::uint64_t>(c.prefix_tokens));
  }
  if (slots_.empty()) slots_.resize(std::size_t{1} << log2_slots_);
  Slot& slot = slots_[h >> (64 - log2_slots_)];
  bool same = slot.decode_seqs == decode_seqs && slot.chunks == chunks.size();
  for (std::size_t i = 0; same && i < chunks.size(); ++i) {
    same = slot.shape[i].chunk_tokens == chunks[i].chunk_tokens && slot.shape[i].prefix_tokens == chunks[i].prefix_tokens;
  }
  if (same) {
    ++hits_;
    return slot.cost;
  }
  ++misses_;
  slot.cost = model_->iteration(decode_seqs, chunks);
  slot.decode_seqs = decode_seqs;
  slot.chunks = static_cast<std::uint32_t>(chunks.size());
  std::copy(chunks.begin(), chunks.end(), slot.shape.begin());
  return slot.cost;
}

}  // namespace capstan::serving
