#pragma once
// The event calendar: a pending-event set ordered by (time, scheduling order).
//
// Cost, with n pending entries (cancelled ones included until they surface):
//   schedule  O(log n), no allocation once the heap and slab have grown
//   cancel    O(1): bumps the slot's generation; the stale heap entry is
//             dropped when it reaches the top
//   pop       O(log n) amortised
//
// Invariants:
//   - entries with equal time pop in the order they were scheduled
//     (a 64-bit sequence number breaks ties), except that those scheduled
//     with schedule_first pop before all others at their time;
//   - a heap entry is live iff its generation equals its slot's generation;
//   - a slot is on the free list iff no live heap entry refers to it.
//
// Not thread-safe: each replication owns its own calendar.
#include <cstdint>
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
  struct Entry {  // 24 bytes: what the heap moves around
    Time at;
    std::uint64_t seq;
    std::uint32_t slot;
    std::uint32_t generation;
  };
  struct Payload {
    std::uint64_t data;
    std::uint32_t target;
    std::uint32_t kind;
    std::uint32_t generation;
    std::uint32_t next_free;
  };
  static bool earlier(const Entry& a, const Entry& b) {
    return a.at < b.at || (a.at == b.at && a.seq < b.seq);
  }
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  void pop_top();
  void drop_stale_top();
  void release(std::uint32_t slot);
  EventId insert(Time at, std::uint64_t seq, std::uint32_t target, std::uint32_t kind, std::uint64_t data);

  static constexpr std::size_t kArity = 4;  // shallower than binary, cache-friendlier
  std::vector<Entry> heap_;
  std::vector<Payload> slab_;
  std::uint32_t free_head_ = UINT32_MAX;
  // Two sequence ranges: schedule_first draws below 2^63, schedule above, so
  // one comparison of (time, seq) orders both; neither range runs out.
  std::uint64_t next_first_seq_ = 0;
  std::uint64_t next_seq_ = std::uint64_t{1} << 63;
  std::size_t live_ = 0;
};

}  // namespace capstan::sim
