#pragma once
// An LRU cache of answers, keyed by prompt: a hit makes the entry the most
// recent; inserting into a full cache evicts the least recent. With a TTL an
// entry expires that long after it was inserted (a hit does not renew it).
// Lookup and insert are O(1) on average. Not thread-safe.
#include <cstdint>
#include <list>
#include <unordered_map>

#include "sim/time.h"

namespace capstan::serving {

class ResponseCache {
 public:
  ResponseCache(std::size_t capacity_entries, sim::Time ttl);  // ttl 0: entries never expire

  // Whether `prompt` has a fresh answer at `now`; an expired one is removed.
  bool lookup(std::int32_t prompt, sim::Time now);
  // The answer to `prompt` is ready at `now`.
  void insert(std::int32_t prompt, sim::Time now);
  std::size_t size() const { return where_.size(); }

 private:
  struct Entry {
    std::int32_t prompt;
    sim::Time inserted;
  };
  std::size_t capacity_;
  sim::Time ttl_;
  std::list<Entry> order_;  // most recent first
  std::unordered_map<std::int32_t, std::list<Entry>::iterator> where_;
};

}  // namespace capstan::serving
