#pragma once
// One interaction's request as it moves through a replica. Requests live in a
// RequestPool slab and events carry their index, so nothing is allocated per
// request once the pool has grown.
#include <cstdint>
#include <vector>

#include "models/serving/prefix_cache.h"
#include "sim/time.h"

namespace capstan::serving {

// Why a request ended unanswered.
enum class DropReason : std::uint8_t {
  kQueueTimeout,  // waited longer than max_queue_s
  kTooLong,       // its KV cache could never fit the replica
  kNoCapacity,    // no replica was serving its deployment
  kInterrupted,   // its node was reclaimed before it started, and no replica could take it
  kRateLimited,   // a hosted API refused it past the client's retries
  kClientTimeout, // its answer would have ended past the class's timeout_s: the client had given up
};
inline constexpr int kDropReasons = 6;
inline const char* drop_reason_name(DropReason r) {
  switch (r) {
    case DropReason::kQueueTimeout: return "queue_timeout";
    case DropReason::kTooLong: return "too_long";
    case DropReason::kNoCapacity: return "no_capacity";
    case DropReason::kInterrupted: return "interrupted";
    case DropReason::kRateLimited: return "rate_limited";
    case DropReason::kClientTimeout: return "client_timeout";
  }
  return "unknown";
}

// Why a request of a self-hosted class went to its overflow API.
enum class OverflowReason : std::uint8_t {
  kNoCapacity,  // no replica of its deployment was up where its origin reaches
  kOverBudget,  // the latency_budget router found no site within the budget
  kQueueLimit,  // the chosen replica already had overflow_queue_limit requests waiting
};
inline constexpr int kOverflowReasons = 3;
inline const char* overflow_reason_name(OverflowReason r) {
  switch (r) {
    case OverflowReason::kNoCapacity: return "no_capacity";
    case OverflowReason::kOverBudget: return "over_budget";
    case OverflowReason::kQueueLimit: return "queue_limit";
  }
  return "unknown";
}

struct Request {
  enum class State : std::uint8_t { kFree, kInNetwork, kWaiting, kPrefill, kDecode };
  State state = State::kFree;
  std::uint8_t priority_level = 0;   // 0 runs first
  std::uint16_t cls = 0;             // interaction class index
  std::uint32_t origin = 0;
  std::uint32_t session = 0;
  std::uint32_t session_generation = 0;  // tells a reused session slot from the one that sent this
  std::uint32_t replica = 0;         // global replica index
  std::uint32_t epoch = 0;           // bumped when preempted: stale heap entries are ignored
  std::uint32_t decode_pos = 0;      // index in the replica's decoding list
  std::int32_t prompt_tokens = 0;    // as sent
  std::int32_t cached_tokens = 0;    // prefix found in the replica's cache (expected when routed, found when admitted)
  std::int32_t output_tokens = 0;
  std::int32_t generated = 0;        // output tokens emitted so far
  std::int32_t prefill_target = 0;   // tokens to hold in KV after prefill: prompt + generated at admission
  std::int32_t prefilled = 0;        // of prefill_target, computed or cached so far
  std::int64_t join_iteration = 0;   // replica iteration count when it joined decoding
  std::int32_t join_generated = 0;
  std::int32_t prompt_id = -1;       // response cache key, or -1
  PrefixContent prefix;              // what its prompt may share with others' (prefix_cache.h)
  bool answer_extends_prefix = false;// a conversation: the answer joins the content the next turn repeats
  bool holds_prefix = false;         // admitted on a replica whose prefix cache holds its head
  bool counted = false;              // sent after the warm-up: its figures count
  sim::Time sent_at = 0;             // left the user
  sim::Time one_way = 0;             // user <-> site, each way
  sim::Time arrived_at = 0;          // reached the replica
  sim::Time first_token_at = -1;     // at the replica

  std::int32_t kv_tokens_at_join() const { return prompt_tokens + join_generated; }
};

class RequestPool {
 public:
  std::uint32_t acquire() {
    if (free_.empty()) {
      requests_.emplace_back();
      return static_cast<std::uint32_t>(requests_.size() - 1);
    }
    const std::uint32_t id = free_.back();
    free_.pop_back();
    return id;
  }
  void release(std::uint32_t id) {
    // The epoch keeps counting across reuse, so a stale heap entry for an
    // earlier occupant of the slot never matches the new one.
    const std::uint32_t epoch = requests_[id].epoch + 1;
    requests_[id] = Request{};
    requests_[id].epoch = epoch;
    free_.push_back(id);
  }
  Request& operator[](std::uint32_t id) { return requests_[id]; }
  const Request& operator[](std::uint32_t id) const { return requests_[id]; }
  std::size_t in_use() const { return requests_.size() - free_.size(); }

 private:
  std::vector<Request> requests_;
  std::vector<std::uint32_t> free_;
};

}  // namespace capstan::serving
