#pragma once
// An LRU cache of answers, keyed by prompt: a hit makes the entry the most
// recent; inserting into a full cache evicts the least recent. With a TTL an
// entry expires that long after it was inserted (a hit does not renew it).
// Prompts are dense ids in [0, distinct_prompts): the recency list is
// threaded through arrays indexed by prompt, so lookup and insert are O(1)
// with no hashing and no allocation after construction. Not thread-safe.
#include <cstdint>
#include <vector>

#include "sim/time.h"

namespace capstan::serving {

class ResponseCache {
 public:
  // ttl 0: entries never expire. Throws std::invalid_argument for a prompt
  // count or capacity that is not positive.
  ResponseCache(std::int32_t distinct_prompts, std::size_t capacity_entries, sim::Time ttl);

  // Whether `prompt` has a fresh answer at `now`; an expired one is removed.
  bool lookup(std::int32_t prompt, sim::Time now);
  // The answer to `prompt` is ready at `now`.
  void insert(std::int32_t prompt, sim::Time now);
  std::size_t size() const { return size_; }

 private:
  static constexpr std::int32_t kNone = -1;
  void unlink(std::int32_t prompt);
  void push_front(std::int32_t prompt);

  std::size_t capacity_;
  sim::Time ttl_;
  std::size_t size_ = 0;
  std::int32_t head_ = kNone, tail_ = kNone;  // most and least recent
  std::vector<std::int32_t> prev_, next_;     // per prompt, kNone at the ends
  std::vector<sim::Time> inserted_;           // per prompt; -1: not cached
};

}  // namespace capstan::serving
