#include "models/serving/prefix_cache.h"

#include <algorithm>
#include <climits>
#include <stdexcept>

namespace capstan::serving {

std::uint64_t mix_keys(std::uint64_t a, std::uint64_t b) {
  // splitmix64 of a, combined with b and mixed again: distinct (a, b) pairs
  // give distinct keys with overwhelming probability, and never 0.
  auto mix = [](std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  const std::uint64_t k = mix(mix(a) ^ (b + 0x632be59bd9b4e019ULL));
  return k == 0 ? 1 : k;
}

PrefixCache::PrefixCache(std::int32_t block_tokens) : block_(block_tokens) {
  if (block_tokens < 1) throw std::invalid_argument("prefix cache: block_tokens must be >= 1");
}

PrefixCache::Span PrefixCache::span(const PrefixContent& c, std::int32_t extra_b_tokens) const {
  Span s{c.a_key, 0, 0, 0};
  if (c.a_key != 0) s.a_blocks = c.a_tokens / block_;
  if (c.b_key != 0) {
    s.ab_key = mix_keys(c.a_key, c.b_key);
    const std::int64_t head = std::int64_t{c.a_key != 0 ? c.a_tokens : 0} + c.b_tokens + extra_b_tokens;
    s.ab_blocks = static_cast<std::int32_t>(head / block_) - s.a_blocks;
  }
  return s;
}

std::int32_t PrefixCache::match(const PrefixContent& content) const {
  const Span s = span(content, 0);
  std::int32_t hits = 0;
  if (s.a_blocks > 0) {
    auto it = entries_.find(s.a_key);
    hits = it == entries_.end() ? 0 : std::min(it->second.cached_blocks, s.a_blocks);
    if (hits < s.a_blocks) return hits * block_;
  }
  if (s.ab_blocks > 0) {
    auto it = entries_.find(s.ab_key);
    if (it != entries_.end()) hits += std::min(it->second.cached_blocks, s.ab_blocks);
  }
  return hits * block_;
}

void PrefixCache::hold(std::uint64_t key) {
  Entry& e = entries_[key];
  if (e.refs++ == 0 && e.cached_blocks > 0) {
    lru_.erase(e.lru);
    free_blocks_ -= e.cached_blocks;
  }
}

void PrefixCache::unhold(std::uint64_t key, std::int32_t blocks) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.refs <= 0) throw std::logic_error("prefix cache: release without acquire");
  Entry& e = it->second;
  e.cached_blocks = std::max(e.cached_blocks, blocks);
  if (--e.refs > 0) return;
  if (e.cached_blocks == 0) {
    entries_.erase(it);
    return;
  }
  e.lru = lru_.insert(lru_.end(), key);
  free_blocks_ += e.cached_blocks;
}

void PrefixCache::acquire(const PrefixContent& content) {
  const Span s = span(content, 0);
  if (s.a_blocks > 0) hold(s.a_key);
  if (s.ab_blocks > 0) hold(s.ab_key);
}

void PrefixCache::computed(const PrefixContent& content) {
  const Span s = span(content, 0);
  if (s.a_blocks > 0) {
    Entry& e = entries_.at(s.a_key);
    e.cached_blocks = std::max(e.cached_blocks, s.a_blocks);
  }
  if (s.ab_blocks > 0) {
    Entry& e = entries_.at(s.ab_key);
    // Blocks past A count only behind a whole A: a chain is cached from its head.
    e.cached_blocks = std::max(e.cached_blocks, s.ab_blocks);
  }
}

void PrefixCache::release(const PrefixContent& content, std::int64_t total_tokens, std::int32_t extra_b_tokens) {
  const Span s = span(content, 0);
  const Span with_answer = span(content, extra_b_tokens);
  // vLLM frees a sequence's blocks tail first: its own, then B's, then A's.
  std::int64_t head_blocks = s.a_blocks;
  bool whole = false;
  if (s.ab_blocks > 0) {
    const auto it = entries_.find(s.ab_key);
    // The answer's blocks join a chain whose prompt part is cached.
    whole = it != entries_.end() && it->second.cached_blocks >= s.ab_blocks;
    head_blocks += whole ? with_answer.ab_blocks : s.ab_blocks;
  }
  const std::int64_t own = total_tokens / block_ - head_blocks;
  if (own > 0) {
    // Keys with the top bit set: content keys are mixes, so a clash is as
    // unlikely as between any two of them, and own blocks are never matched.
    const std::uint64_t key = (++next_own_) | (std::uint64_t{1} << 63);
    Entry& e = entries_[key];
    e.cached_blocks = static_cast<std::int32_t>(std::min<std::int64_t>(own, INT32_MAX));
    e.lru = lru_.insert(lru_.end(), key);
    free_blocks_ += e.cached_blocks;
  }
  if (s.ab_blocks > 0) unhold(s.ab_key, whole ? with_answer.ab_blocks : 0);
  if (s.a_blocks > 0) unhold(s.a_key, 0);
}

void PrefixCache::trim(std::int64_t free_blocks) {
  free_blocks = std::max<std::int64_t>(0, free_blocks);
  while (free_blocks_ > free_blocks && !lru_.empty()) {
    auto it = entries_.find(lru_.front());
    Entry& e = it->second;
    const auto evict = static_cast<std::int32_t>(std::min<std::int64_t>(e.cached_blocks, free_blocks_ - free_blocks));
    e.cached_blocks -= evict;
    free_blocks_ -= evict;
    if (e.cached_blocks == 0) {
      lru_.pop_front();
      entries_.erase(it);
    }
  }
}

void PrefixCache::clear() {
  entries_.clear();
  lru_.clear();
  free_blocks_ = 0;
}

}  // namespace capstan::serving
