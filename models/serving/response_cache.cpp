#include "models/serving/response_cache.h"

namespace capstan::serving {

ResponseCache::ResponseCache(std::size_t capacity_entries, sim::Time ttl) : capacity_(capacity_entries), ttl_(ttl) {}

bool ResponseCache::lookup(std::int32_t prompt, sim::Time now) {
  const auto it = where_.find(prompt);
  if (it == where_.end()) return false;
  if (ttl_ > 0 && now - it->second->inserted >= ttl_) {
    order_.erase(it->second);
    where_.erase(it);
    return false;
  }
  order_.splice(order_.begin(), order_, it->second);
  return true;
}

void ResponseCache::insert(std::int32_t prompt, sim::Time now) {
  if (const auto it = where_.find(prompt); it != where_.end()) {
    it->second->inserted = now;
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  if (where_.size() >= capacity_) {
    where_.erase(order_.back().prompt);
    order_.pop_back();
  }
  order_.push_front(Entry{prompt, now});
  where_.emplace(prompt, order_.begin());
}

}  // namespace capstan::serving
