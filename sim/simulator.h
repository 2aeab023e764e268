#pragma once
// The simulator: a calendar, a clock and the table of event targets.
//
// Models register themselves as targets and receive their events through one
// virtual call, `handle(kind, data)`; an event is three words, never a
// closure, so scheduling allocates nothing. A Simulator belongs to one
// replication and one thread.
#include <cstdint>
#include <functional>
#include <vector>

#include "sim/calendar.h"

namespace capstan::sim {

class Simulator;

class Target {
 public:
  virtual ~Target() = default;
  virtual void handle(Simulator& sim, std::uint32_t kind, std::uint64_t data) = 0;
};

class Simulator {
 public:
  Simulator();
  // Returns the id events use to reach `target`; the simulator does not own it.
  std::uint32_t add_target(Target* target);

  Time now() const { return now_; }
  EventId schedule_at(Time at, std::uint32_t target, std::uint32_t kind, std::uint64_t data = 0);
  EventId schedule_in(Time delay, std::uint32_t target, std::uint32_t kind, std::uint64_t data = 0) {
    return schedule_at(now_ + delay, target, kind, data);
  }
  void cancel(EventId id) { calendar_.cancel(id); }
  bool is_pending(EventId id) const { return calendar_.is_pending(id); }

  // Runs events with time <= end, then leaves the clock at `end`.
  // Returns the number of events handled.
  std::uint64_t run_until(Time end);
  // Asks run_until to return after the current event.
  void stop() { stopped_ = true; }

  // Calls `fn` once when the clock reaches `at` (before every event at `at`,
  // whenever it was scheduled), for example to reset statistics at the end
  // of a warm-up period. Throws std::logic_error if `at` is in the past.
  void at_time(Time at, std::function<void(Simulator&)> fn);

  std::uint64_t events_handled() const { return events_handled_; }
  Calendar& calendar() { return calendar_; }

 private:
  struct Hook;
  Calendar calendar_;
  std::vector<Target*> targets_;
  std::vector<std::function<void(Simulator&)>> hooks_;
  Time now_ = 0;
  std::uint64_t events_handled_ = 0;
  bool stopped_ = false;
};

}  // namespace capstan::sim
