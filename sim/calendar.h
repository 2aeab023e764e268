#pragma once
// The event calendar: a pending-event set ordered by (time, scheduling order).
//
// Cost, with n pending entries (cancelled ones included until they surface):
//   schedule  O(log n), no allocation once the heap and slab have grown;
//             once every 2^31 schedules, an O(n log n) renumbering (below)
//   cancel    O(1): frees the slot at once; the stale heap entry is dropped
//             when it reaches the top
//   pop       O(log n) amortised
//
// Layout: a 4-ary heap of 16-byte entries (time, sequence number, slot), so
// four siblings share one cache line; the payloads live in a slab indexed by
// slot. Sequence numbers are 32 bits to keep entries small. When they run
// out, the pending entries are renumbered in their current order, which
// every tie keeps.
//
// Invariants:
//   - entries with equal time pop in the order they were scheduled (the
//     sequence number breaks ties), except that those scheduled with
//     schedule_first pop before all others at their time;
//   - pending sequence numbers are unique: schedule_first takes them from
//     [0, 2^31), schedule from [2^31, 2^32 - 1); 2^32 - 1 marks a free slot;
//   - a heap entry is live iff its sequence number equals its slot's;
//   - a slot is on the free list iff no live heap entry refers to it; its
//     generation changes whenever it is freed, so no old EventId matches it.
//
// Not thread-safe: each replication owns its own calendar.
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "sim/time.h"

namespace capstan::sim {

// Names a scheduled event so it can be cancelled. Default-constructed ids
// name nothing and cancelling them is a no-op.
struct EventId {
  std::uint32_t slot = UINT32_MAX;
  std::uint32_t generation = 0;
  bool valid() const { return slot != UINT32_MAX; }
};

// What an event carries: which model handles it, what kind of event it is for
// that model, and one word of data (an index, an id) the model interprets.
struct Event {
  Time at = 0;
  std::uint32_t target = 0;
  std::uint32_t kind = 0;
  std::uint64_t data = 0;
};

class Calendar {
 public:
  Calendar() = default;
  // For tests: each kind of schedule runs out of sequence numbers after
  // `sequence_span` calls instead of 2^31 - 1, so renumbering can be seen.
  explicit Calendar(std::uint32_t sequence_span);

  // Throws std::length_error if 2^31 - 1 events of one kind are pending.
  EventId schedule(Time at, std::uint32_t target, std::uint32_t kind, std::uint64_t data);
  // Like schedule, but the event pops before every event at the same time
  // that was scheduled with schedule(), whenever that was; for hooks that
  // must see an instant before the models do (the end of the warm-up).
  EventId schedule_first(Time at, std::uint32_t target, std::uint32_t kind, std::uint64_t data);
  // Cancelling an event that already ran or was cancelled is a no-op.
  void cancel(EventId id);
  bool is_pending(EventId id) const;
  // Removes the earliest live event into `out`; false when none is left.
  bool pop(Event& out);
  // Time of the earliest live event, or kForever.
  Time next_time();
  std::size_t pending() const { return live_; }
  void reserve(std::size_t n);

 private:
  struct Entry {  // 16 bytes: what the heap moves around
    Time at;
    std::uint64_t order;  // sequence number << 32 | slot
    std::uint32_t seq() const { return static_cast<std::uint32_t>(order >> 32); }
    std::uint32_t slot() const { return static_cast<std::uint32_t>(order); }
  };
  struct Payload {
    std::uint64_t data;  // while the slot is free: the next free slot
    std::uint32_t target;
    std::uint32_t kind;
    std::uint32_t generation;
    std::uint32_t seq;  // of the live entry naming this slot, or kNoSeq
  };
  // Cache-line-aligned storage, so that sibling groups do not straddle lines.
  template <class T>
  struct LineAllocator {
    using value_type = T;
    LineAllocator() = default;
    template <class U>
    explicit LineAllocator(const LineAllocator<U>&) {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
    void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{64}); }
    bool operator==(const LineAllocator&) const { return true; }
  };

  // (time, order) as one unsigned 128-bit number: comparisons compile
  // without branches, which the sift loops would mispredict half the time.
  // Flipping the sign bit maps signed time onto unsigned order.
  __extension__ using Key = unsigned __int128;
  static Key key(const Entry& e) {
    return (Key{static_cast<std::uint64_t>(e.at) ^ (std::uint64_t{1} << 63)} << 64) | e.order;
  }
  static bool earlier(const Entry& a, const Entry& b) { return key(a) < key(b); }

  bool live(const Entry& e) const { return slab_[e.slot()].seq == e.seq(); }
  // Heap node i; the root sits kPad entries in, so children 4i+1..4i+4 start on a line.
  Entry& node(std::size_t i) { return heap_[i + kPad]; }
  std::size_t heap_size() const { return heap_.size() - kPad; }
  EventId insert(Time at, std::uint32_t seq, std::uint32_t target, std::uint32_t kind, std::uint64_t data);
  void renumber();
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  void pop_top();
  void drop_stale_top();
  void release(std::uint32_t slot);

  static constexpr std::size_t kArity = 4;  // shallower than binary, one line per sibling group
  static constexpr std::size_t kPad = 3;
  static constexpr std::uint32_t kPlainBase = std::uint32_t{1} << 31;
  static constexpr std::uint32_t kNoSeq = UINT32_MAX;
  std::vector<Entry, LineAllocator<Entry>> heap_ = std::vector<Entry, LineAllocator<Entry>>(kPad);
  std::vector<Payload> slab_;
  std::uint32_t free_head_ = UINT32_MAX;
  std::uint32_t span_ = kPlainBase - 1;
  std::uint32_t next_first_seq_ = 0;
  std::uint32_t next_seq_ = kPlainBase;
  std::size_t live_ = 0;
};

}  // namespace capstan::sim
