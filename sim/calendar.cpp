#include "sim/calendar.h"

namespace capstan::sim {

void Calendar::reserve(std::size_t n) {
  heap_.reserve(n);
  slab_.reserve(n);
}

EventId Calendar::schedule(Time at, std::uint32_t target, std::uint32_t kind, std::uint64_t data) {
  return insert(at, next_seq_++, target, kind, data);
}

EventId Calendar::schedule_first(Time at, std::uint32_t target, std::uint32_t kind, std::uint64_t data) {
  return insert(at, next_first_seq_++, target, kind, data);
}

EventId Calendar::insert(Time at, std::uint64_t seq, std::uint32_t target, std::uint32_t kind, std::uint64_t data) {
  std::uint32_t slot;
  if (free_head_ != UINT32_MAX) {
    slot = free_head_;
    free_head_ = slab_[slot].next_free;
  } else {
    slot = static_cast<std::uint32_t>(slab_.size());
    slab_.push_back(Payload{0, 0, 0, 0, UINT32_MAX});
  }
  Payload& p = slab_[slot];
  p.data = data;
  p.target = target;
  p.kind = kind;
  p.next_free = UINT32_MAX;
  heap_.push_back(Entry{at, seq, slot, p.generation});
  sift_up(heap_.size() - 1);
  ++live_;
  return EventId{slot, p.generation};
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
  ++p.generation;  // the heap entry still naming this slot is now stale
  p.next_free = free_head_;
  free_head_ = slot;
}

void Calendar::drop_stale_top() {
  while (!heap_.empty() && heap_.front().generation != slab_[heap_.front().slot].generation) {
    pop_top();
  }
}

Time Calendar::next_time() {
  drop_stale_top();
  return heap_.empty() ? kForever : heap_.front().at;
}

bool Calendar::pop(Event& out) {
  drop_stale_top();
  if (heap_.empty()) return false;
  const Entry top = heap_.front();
  pop_top();
  const Payload& p = slab_[top.slot];
  out = Event{top.at, p.target, p.kind, p.data};
  release(top.slot);
  --live_;
  return true;
}

void Calendar::pop_top() {
  heap_.front() = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) sift_down(0);
}

void Calendar::sift_up(std::size_t i) {
  const Entry moving = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!earlier(moving, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = moving;
}

void Calendar::sift_down(std::size_t i) {
  const std::size_t n = heap_.size();
  const Entry moving = heap_[i];
  for (;;) {
    const std::size_t first = i * kArity + 1;
    if (first >= n) break;
    const std::size_t last = first + kArity < n ? first + kArity : n;
    std::size_t best = first;
    for (std::size_t c = first + 1; c < last; ++c) {
      if (earlier(heap_[c], heap_[best])) best = c;
    }
    if (!earlier(heap_[best], moving)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = moving;
}

}  // namespace capstan::sim
