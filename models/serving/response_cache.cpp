#include "models/serving/response_cache.h"

#include <stdexcept>

namespace capstan::serving {

ResponseCache::ResponseCache(std::int32_t distinct_prompts, std::size_t capacity_entries, sim::Time ttl)
    : capacity_(capacity_entries), ttl_(ttl) {
  if (distinct_prompts <= 0) throw std::invalid_argument("a response cache needs at least one distinct prompt");
  if (capacity_entries == 0) throw std::invalid_argument("a response cache needs room for at least one entry");
  const auto n = static_cast<std::size_t>(distinct_prompts);
  prev_.assign(n, kNone);
  next_.assign(n, kNone);
  inserted_.assign(n, -1);
}

void ResponseCache::unlink(std::int32_t p) {
  const auto i = static_cast<std::size_t>(p);
  (prev_[i] == kNone ? head_ : next_[static_cast<std::size_t>(prev_[i])]) = next_[i];
  (next_[i] == kNone ? tail_ : prev_[static_cast<std::size_t>(next_[i])]) = prev_[i];
  prev_[i] = next_[i] = kNone;
}

void ResponseCache::push_front(std::int32_t p) {
  const auto i = static_cast<std::size_t>(p);
  prev_[i] = kNone;
  next_[i] = head_;
  if (head_ != kNone) prev_[static_cast<std::size_t>(head_)] = p;
  head_ = p;
  if (tail_ == kNone) tail_ = p;
}

bool ResponseCache::lookup(std::int32_t prompt, sim::Time now) {
  const auto i = static_cast<std::size_t>(prompt);
  if (inserted_[i] < 0) return false;
  if (ttl_ > 0 && now - inserted_[i] >= ttl_) {
    unlink(prompt);
    inserted_[i] = -1;
    --size_;
    return false;
  }
  if (head_ != prompt) {
    unlink(prompt);
    push_front(prompt);
  }
  return true;
}

void ResponseCache::insert(std::int32_t prompt, sim::Time now) {
  const auto i = static_cast<std::size_t>(prompt);
  if (inserted_[i] >= 0) {
    inserted_[i] = now;
    if (head_ != prompt) {
      unlink(prompt);
      push_front(prompt);
    }
    return;
  }
  if (size_ >= capacity_) {
    const std::int32_t old = tail_;
    unlink(old);
    inserted_[static_cast<std::size_t>(old)] = -1;
    --size_;
  }
  push_front(prompt);
  inserted_[i] = now;
  ++size_;
}

}  // namespace capstan::serving
