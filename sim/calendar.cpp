#include "sim/calendar.h"

#include <algorithm>
#include <stdexcept>

namespace capstan::sim {

Calendar::Calendar(std::uint32_t sequence_span) : span_(std::clamp<std::uint32_t>(sequence_span, 1, kPlainBase - 1)) {}

void Calendar::reserve(std::size_t n) {
  heap_.reserve(n + kPad);
  slab_.reserve(n);
}

EventId Calendar::schedule(Time at, std::uint32_t target, std::uint32_t kind, std::uint64_t data) {
  if (next_seq_ - kPlainBase == span_) {
    renumber();
    if (next_seq_ - kPlainBase == span_) throw std::length_error("Calendar: too many pending events");
  }
  return insert(at, next_seq_++, target, kind, data);
}

EventId Calendar::schedule_first(Time at, std::uint32_t target, std::uint32_t kind, std::uint64_t data) {
  if (next_first_seq_ == span_) {
    renumber();
    if (next_first_seq_ == span_) throw std::length_error("Calendar: too many pending events");
  }
  return insert(at, next_first_seq_++, target, kind, data);
}

EventId Calendar::insert(Time at, std::uint32_t seq, std::uint32_t target, std::uint32_t kind, std::uint64_t data) {
  std::uint32_t slot;
  if (free_head_ != UINT32_MAX) {
    slot = free_head_;
    free_head_ = static_cast<std::uint32_t>(slab_[slot].data);
  } else {
    if (slab_.size() == UINT32_MAX) throw std::length_error("Calendar: too many pending events");
    slot = static_cast<std::uint32_t>(slab_.size());
    slab_.push_back(Payload{0, 0, 0, 0, kNoSeq});
  }
  Payload& p = slab_[slot];
  p.data = data;
  p.target = target;
  p.kind = kind;
  p.seq = seq;
  heap_.push_back(Entry{at, (std::uint64_t{seq} << 32) | slot});
  sift_up(heap_size() - 1);
  ++live_;
  return EventId{slot, p.generation};
}

// Sorting the live entries keeps each tie in order and yields a valid heap
// (a sorted array is one); numbering them in that order keeps it valid.
void Calendar::renumber() {
  heap_.erase(std::remove_if(heap_.begin() + kPad, heap_.end(), [this](const Entry& e) { return !live(e); }),
              heap_.end());
  std::sort(heap_.begin() + kPad, heap_.end(), earlier);
  std::uint32_t first = 0, plain = kPlainBase;
  for (auto it = heap_.begin() + kPad; it != heap_.end(); ++it) {
    const std::uint32_t seq = it->seq() < kPlainBase ? first++ : plain++;
    it->order = (std::uint64_t{seq} << 32) | it->slot();
    slab_[it->slot()].seq = seq;
  }
  next_first_seq_ = first;
  next_seq_ = plain;
}

bool Calendar::is_pending(EventId id) const {
  // Releasing a slot bumps its generation, so no issued id matches a free slot.
  return id.valid() && id.slot < slab_.size() && slab_[id.slot].generation == id.generation;
}

void Calendar::cancel(EventId id) {
  if (!is_pending(id)) return;
  release(id.slot);
  --live_;
}

void Calendar::release(std::uint32_t slot) {
  Payload& p = slab_[slot];
  ++p.generation;
  p.seq = kNoSeq;  // the heap entry still naming this slot is now stale
  p.data = free_head_;
  free_head_ = slot;
}

void Calendar::drop_stale_top() {
  while (heap_size() > 0 && !live(node(0))) pop_top();
}

Time Calendar::next_time() {
  drop_stale_top();
  return heap_size() == 0 ? kForever : node(0).at;
}

bool Calendar::pop(Event& out) {
  drop_stale_top();
  const std::size_t n = heap_size();
  if (n == 0) return false;
  const Entry top = node(0);
  // One of the top's children becomes the next top, whose payload the next
  // pop reads; fetching all four now takes that cache miss off the critical
  // path (about a third of a hold's time at 1e5 pending, measured).
  for (std::size_t c = 1; c <= kArity && c < n; ++c) __builtin_prefetch(&slab_[node(c).slot()]);
  pop_top();
  const Payload& p = slab_[top.slot()];
  out = Event{top.at, p.target, p.kind, p.data};
  release(top.slot());
  --live_;
  return true;
}

void Calendar::pop_top() {
  node(0) = heap_.back();
  heap_.pop_back();
  if (heap_size() > 0) sift_down(0);
}

void Calendar::sift_up(std::size_t i) {
  Entry* h = heap_.data() + kPad;
  const Entry moving = h[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!earlier(moving, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = moving;
}

void Calendar::sift_down(std::size_t i) {
  const std::size_t n = heap_size();
  Entry* h = heap_.data() + kPad;
  const Entry moving = h[i];
  for (;;) {
    const std::size_t first = i * kArity + 1;
    if (first >= n) break;
    // Comparisons without branches leave nothing for the CPU to run ahead
    // on, so fetch the grandchildren's lines while this level is compared.
    const std::size_t grand = first * kArity + 1;
    const std::size_t grand_end = std::min(grand + kArity * kArity, n);
    for (std::size_t g = grand; g < grand_end; g += kArity) __builtin_prefetch(h + g);
    std::size_t best;
    if (first + kArity <= n) {
      const std::size_t a = first + earlier(h[first + 1], h[first]);
      const std::size_t b = first + 2 + earlier(h[first + 3], h[first + 2]);
      best = earlier(h[b], h[a]) ? b : a;
    } else {
      best = first;
      for (std::size_t c = first + 1; c < n; ++c) {
        if (earlier(h[c], h[best])) best = c;
      }
    }
    if (!earlier(h[best], moving)) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = moving;
}

}  // namespace capstan::sim
