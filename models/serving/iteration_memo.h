#pragma once
// A memo of a deployment's mixed iterations (decode steps with prefill
// chunks), shared by the deployment's replicas in one replication.
//
// Each replica prices every iteration that admits or continues a prefill,
// and the same shapes recur: a day of consumer_world prices about 3 million
// mixed iterations an hour, 95% of them a (decode batch, chunks) already
// priced. The memo is direct-mapped: a slot holds the last shape hashed to
// it, so it never grows and a collision only costs a re-pricing. A hit
// returns the model's own answer for that exact shape, so results are the
// same bit for bit with or without it (tests/serving/iteration_memo_test.cpp).
//
// Not thread-safe: one per deployment per replication.
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "models/calibration/service_time_model.h"

namespace capstan::serving {

class IterationMemo {
 public:
  // 2^log2_slots slots, allocated at the first mixed iteration.
  // 4,096 slots: on consumer_world a larger table hits more often but
  // misses the CPU's caches more, and runs no faster.
  static constexpr unsigned kDefaultLog2Slots = 12;
  explicit IterationMemo(std::shared_ptr<const calibration::ServiceTimeModel> model,
                         unsigned log2_slots = kDefaultLog2Slots);

  // model->iteration(decode_seqs, chunks), from the memo when this exact shape was priced last in its slot.
  calibration::IterationCost iteration(std::int64_t decode_seqs, std::span<const calibration::PrefillChunk> chunks);

  // The table's bytes once allocated (world/memory.h counts them).
  static std::size_t bytes(unsigned log2_slots = kDefaultLog2Slots) { return sizeof(Slot) << log2_slots; }

  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }

 private:
  static constexpr std::size_t kMaxChunks = 4;  // longer lists are priced every time
  struct Slot {
    std::int64_t decode_seqs = -1;  // -1: empty
    std::uint32_t chunks = 0;
    std::array<calibration::PrefillChunk, kMaxChunks> shape{};
    calibration::IterationCost cost;
  };
  std::shared_ptr<const calibration::ServiceTimeModel> model_;
  unsigned log2_slots_;
  std::vector<Slot> slots_;
  std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace capstan::serving
