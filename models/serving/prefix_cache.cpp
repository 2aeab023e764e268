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

PrefixCache::Entry* PrefixCache::find(std::uint64_t key) {
  if (slots_.empty()) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = key & mask;; i = (i + 1) & mask) {
    if (slots_[i].key == key) return &slots_[i];
    if (slots_[i].key == 0) return nullptr;
  }
}

const PrefixCache::Entry* PrefixCache::find(std::uint64_t key) const {
  return const_cast<PrefixCache*>(this)->find(key);
}

void PrefixCache::grow() {
  std::vector<Entry> old(slots_.empty() ? 16 : slots_.size() * 2);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const Entry& e : old) {
    if (e.key == 0) continue;
    std::size_t i = e.key & mask;
    while (slots_[i].key != 0) i = (i + 1) & mask;
    slots_[i] = e;
  }
}

PrefixCache::Entry& PrefixCache::insert(std::uint64_t key) {
  if (Entry* e = find(key)) return *e;
  if (2 * (used_ + 1) > slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = key & mask;
  while (slots_[i].key != 0) i = (i + 1) & mask;
  slots_[i] = Entry{};
  slots_[i].key = key;
  ++used_;
  return slots_[i];
}

void PrefixCache::erase(std::uint64_t key) {
  if (slots_.empty()) return;
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = key & mask;
  while (slots_[i].key != key) {
    if (slots_[i].key == 0) return;
    i = (i + 1) & mask;
  }
  // Backward shift: move later entries of the probe run into the hole.
  for (std::size_t j = (i + 1) & mask; slots_[j].key != 0; j = (j + 1) & mask) {
    const std::size_t home = slots_[j].key & mask;
    // Entry j may fill hole i when its home is not cyclically in (i, j].
    if (((j - home) & mask) >= ((j - i) & mask)) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = Entry{};
  --used_;
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
    const Entry* e = find(s.a_key);
    hits = e == nullptr ? 0 : std::min(e->cached_blocks, s.a_blocks);
    if (hits < s.a_blocks) return hits * block_;
  }
  if (s.ab_blocks > 0) {
    if (const Entry* e = find(s.ab_key)) hits += std::min(e->cached_blocks, s.ab_blocks);
  }
  return hits * block_;
}

void PrefixCache::hold(std::uint64_t key) {
  Entry& e = insert(key);
  if (e.refs++ == 0 && e.freed_at != 0) {
    e.freed_at = 0;  // its queue record is stale now
    --live_records_;
    free_blocks_ -= e.cached_blocks;
  }
}

void PrefixCache::free_entry(Entry& e) {
  e.freed_at = ++stamp_;
  queue_.push_back(Freed{e.key, e.freed_at, 0});
  ++live_records_;
  free_blocks_ += e.cached_blocks;
}

void PrefixCache::unhold(std::uint64_t key, std::int32_t blocks) {
  Entry* e = find(key);
  if (e == nullptr || e->refs <= 0) throw std::logic_error("prefix cache: release without acquire");
  e->cached_blocks = std::max(e->cached_blocks, blocks);
  if (--e->refs > 0) return;
  if (e->cached_blocks == 0) {
    erase(key);
    return;
  }
  free_entry(*e);
}

void PrefixCache::acquire(const PrefixContent& content) {
  const Span s = span(content, 0);
  if (s.a_blocks > 0) hold(s.a_key);
  if (s.ab_blocks > 0) hold(s.ab_key);
}

void PrefixCache::computed(const PrefixContent& content) {
  const Span s = span(content, 0);
  if (s.a_blocks > 0) {
    Entry* e = find(s.a_key);
    e->cached_blocks = std::max(e->cached_blocks, s.a_blocks);
  }
  if (s.ab_blocks > 0) {
    // Blocks past A count only behind a whole A: match() reads them so.
    Entry* e = find(s.ab_key);
    e->cached_blocks = std::max(e->cached_blocks, s.ab_blocks);
  }
}

void PrefixCache::release(const PrefixContent& content, std::int64_t total_tokens, std::int32_t extra_b_tokens) {
  const Span s = span(content, 0);
  const Span with_answer = span(content, extra_b_tokens);
  // vLLM frees a sequence's blocks tail first: its own, then B's, then A's.
  std::int64_t head_blocks = s.a_blocks;
  bool whole = false;
  if (s.ab_blocks > 0) {
    const Entry* e = find(s.ab_key);
    // The answer's blocks join a chain whose prompt part is cached.
    whole = e != nullptr && e->cached_blocks >= s.ab_blocks;
    head_blocks += whole ? with_answer.ab_blocks : s.ab_blocks;
  }
  const std::int64_t own = total_tokens / block_ - head_blocks;
  if (own > 0) {
    const auto blocks = static_cast<std::int32_t>(std::min<std::int64_t>(own, INT32_MAX));
    queue_.push_back(Freed{0, 0, blocks});
    ++live_records_;
    free_blocks_ += blocks;
  }
  if (s.ab_blocks > 0) unhold(s.ab_key, whole ? with_answer.ab_blocks : 0);
  if (s.a_blocks > 0) unhold(s.a_key, 0);
  // Stale records are dropped as trim() meets them; when they outnumber the
  // live ones, at once, so that the queue stays as long as what is cached.
  if (queue_.size() - queue_head_ > 2 * live_records_ + 1024) {
    std::size_t out = 0;
    for (std::size_t i = queue_head_; i < queue_.size(); ++i) {
      const Freed& f = queue_[i];
      const Entry* e = f.key == 0 ? nullptr : find(f.key);
      if (f.key == 0 || (e != nullptr && e->freed_at == f.stamp)) queue_[out++] = f;
    }
    queue_.resize(out);
    queue_head_ = 0;
  }
}

void PrefixCache::trim(std::int64_t free_blocks) {
  free_blocks = std::max<std::int64_t>(0, free_blocks);
  while (free_blocks_ > free_blocks && queue_head_ < queue_.size()) {
    Freed& front = queue_[queue_head_];
    const std::int64_t over = free_blocks_ - free_blocks;
    if (front.key == 0) {  // a request's own blocks
      const auto evict = static_cast<std::int32_t>(std::min<std::int64_t>(front.own_blocks, over));
      front.own_blocks -= evict;
      free_blocks_ -= evict;
      if (front.own_blocks == 0) {
        pop_front();
        --live_records_;
      }
      continue;
    }
    Entry* e = find(front.key);
    if (e == nullptr || e->freed_at != front.stamp) {  // stale: held again, or gone
      pop_front();
      continue;
    }
    // Tail blocks first.
    const auto evict = static_cast<std::int32_t>(std::min<std::int64_t>(e->cached_blocks, over));
    e->cached_blocks -= evict;
    free_blocks_ -= evict;
    if (e->cached_blocks == 0) {
      const std::uint64_t key = front.key;
      pop_front();
      --live_records_;
      erase(key);
    }
  }
}

void PrefixCache::pop_front() {
  // Spent records are dropped in one move once they are half the queue.
  if (++queue_head_ * 2 > queue_.size()) {
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(queue_head_));
    queue_head_ = 0;
  }
}

void PrefixCache::clear() {
  slots_.clear();
  slots_.shrink_to_fit();
  used_ = 0;
  queue_.clear();
  queue_head_ = 0;
  live_records_ = 0;
  free_blocks_ = 0;
}

}  // namespace capstan::serving
