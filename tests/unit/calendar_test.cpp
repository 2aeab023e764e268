// The event calendar and the simulator loop around it.
#include <cstdint>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <catch2/catch.hpp>

#include "sim/calendar.h"
#include "sim/simulator.h"

namespace sim = capstan::sim;

namespace {

std::vector<sim::Event> drain(sim::Calendar& cal) {
  std::vector<sim::Event> out;
  sim::Event e;
  while (cal.pop(e)) out.push_back(e);
  return out;
}

}  // namespace

TEST_CASE("calendar pops events in time order", "[calendar]") {
  sim::Calendar cal;
  const std::vector<sim::Time> times = {50, 10, 40, 20, 30, 0, 1000, 5};
  for (std::size_t i = 0; i < times.size(); ++i) cal.schedule(times[i], 1, 2, i);
  REQUIRE(cal.pending() == times.size());
  const auto popped = drain(cal);
  REQUIRE(popped.size() == times.size());
  for (std::size_t i = 1; i < popped.size(); ++i) CHECK(popped[i - 1].at <= popped[i].at);
  for (const auto& e : popped) {
    CHECK(e.target == 1);
    CHECK(e.kind == 2);
    CHECK(times[e.data] == e.at);  // the payload travelled with its time
  }
  CHECK(cal.pending() == 0);
}

TEST_CASE("simultaneous events pop in scheduling order", "[calendar]") {
  sim::Calendar cal;
  // Interleave two instants so ties are resolved inside a heap that also
  // holds other times, not just in a sorted run.
  for (std::uint64_t i = 0; i < 200; ++i) cal.schedule(i % 2 == 0 ? 7 : 3, 0, 0, i);
  const auto popped = drain(cal);
  REQUIRE(popped.size() == 200);
  std::vector<std::uint64_t> at3, at7;
  for (const auto& e : popped) (e.at == 3 ? at3 : at7).push_back(e.data);
  REQUIRE(at3.size() == 100);
  REQUIRE(at7.size() == 100);
  CHECK(popped[99].at == 3);
  CHECK(popped[100].at == 7);
  for (std::size_t i = 0; i < 100; ++i) {
    CHECK(at3[i] == 2 * i + 1);
    CHECK(at7[i] == 2 * i);
  }
}

TEST_CASE("schedule_first events pop before their instant's other events", "[calendar]") {
  sim::Calendar cal;
  cal.schedule(5, 0, 0, 1);
  cal.schedule(5, 0, 0, 2);
  cal.schedule_first(5, 0, 0, 10);
  cal.schedule(4, 0, 0, 0);
  cal.schedule_first(5, 0, 0, 11);
  cal.schedule_first(6, 0, 0, 20);  // first only within its own instant
  std::vector<std::uint64_t> order;
  for (const auto& e : drain(cal)) order.push_back(e.data);
  CHECK(order == std::vector<std::uint64_t>{0, 10, 11, 1, 2, 20});
}

TEST_CASE("cancel removes an event in place", "[calendar]") {
  sim::Calendar cal;
  const sim::EventId a = cal.schedule(10, 0, 0, 1);
  const sim::EventId b = cal.schedule(20, 0, 0, 2);
  const sim::EventId c = cal.schedule(30, 0, 0, 3);
  CHECK(cal.is_pending(b));
  cal.cancel(b);
  CHECK_FALSE(cal.is_pending(b));
  CHECK(cal.pending() == 2);

  SECTION("a cancelled event never pops") {
    const auto popped = drain(cal);
    REQUIRE(popped.size() == 2);
    CHECK(popped[0].data == 1);
    CHECK(popped[1].data == 3);
  }
  SECTION("cancelling twice is a no-op") {
    cal.cancel(b);
    CHECK(cal.pending() == 2);
    CHECK(cal.is_pending(a));
    CHECK(cal.is_pending(c));
    CHECK(drain(cal).size() == 2);
  }
  SECTION("cancelling an event that already ran is a no-op") {
    sim::Event e;
    REQUIRE(cal.pop(e));
    REQUIRE(e.data == 1);
    CHECK_FALSE(cal.is_pending(a));
    cal.cancel(a);
    CHECK(cal.pending() == 1);
    REQUIRE(cal.pop(e));
    CHECK(e.data == 3);
  }
  SECTION("cancelling the earliest event exposes the next one") {
    cal.cancel(a);
    CHECK(cal.next_time() == 30);
    CHECK(cal.pending() == 1);
  }
  SECTION("a default id names nothing") {
    cal.cancel(sim::EventId{});
    CHECK_FALSE(cal.is_pending(sim::EventId{}));
    CHECK(cal.pending() == 2);
  }
}

TEST_CASE("a reused slot does not resurrect or answer to an old id", "[calendar]") {
  sim::Calendar cal;
  SECTION("slot freed by cancel") {
    const sim::EventId old_id = cal.schedule(1, 0, 0, 111);
    cal.cancel(old_id);
    // The stale heap entry at t=1 still names the slot the new event takes.
    const sim::EventId new_id = cal.schedule(5, 0, 0, 222);
    REQUIRE(new_id.slot == old_id.slot);
    CHECK(new_id.generation != old_id.generation);
    CHECK_FALSE(cal.is_pending(old_id));
    CHECK(cal.is_pending(new_id));
    cal.cancel(old_id);  // must not cancel the new occupant
    CHECK(cal.is_pending(new_id));
    CHECK(cal.next_time() == 5);
    const auto popped = drain(cal);
    REQUIRE(popped.size() == 1);  // the old entry neither pops nor duplicates the new one
    CHECK(popped[0].at == 5);
    CHECK(popped[0].data == 222);
  }
  SECTION("slot freed by pop") {
    const sim::EventId old_id = cal.schedule(1, 0, 0, 111);
    sim::Event e;
    REQUIRE(cal.pop(e));
    const sim::EventId new_id = cal.schedule(2, 0, 0, 222);
    REQUIRE(new_id.slot == old_id.slot);
    cal.cancel(old_id);
    CHECK(cal.is_pending(new_id));
    REQUIRE(cal.pop(e));
    CHECK(e.data == 222);
  }
}

TEST_CASE("next_time and pending", "[calendar]") {
  sim::Calendar cal;
  CHECK(cal.next_time() == sim::kForever);
  CHECK(cal.pending() == 0);
  sim::Event e;
  CHECK_FALSE(cal.pop(e));
  cal.schedule(42, 0, 0, 0);
  const sim::EventId early = cal.schedule(7, 0, 0, 0);
  CHECK(cal.next_time() == 7);
  CHECK(cal.pending() == 2);
  cal.cancel(early);
  CHECK(cal.next_time() == 42);
  CHECK(cal.pending() == 1);
  REQUIRE(cal.pop(e));
  CHECK(e.at == 42);
  CHECK(cal.next_time() == sim::kForever);
  CHECK(cal.pending() == 0);
  CHECK_FALSE(cal.pop(e));
}

// Interleaved schedule / cancel / pop against an ordered multimap keyed by
// (time, scheduling order), which is what the calendar's order is defined as;
// schedule_first events take keys below all plain ones. A small sequence
// span makes the calendar renumber its entries every few hundred schedules.
TEST_CASE("calendar agrees with a reference ordered map", "[calendar]") {
  struct Walk {
    std::uint64_t seed;
    std::uint32_t sequence_span;  // 0: the default
    std::size_t max_pending;
  };
  const Walk walk = GENERATE(Walk{1, 0, 1'000'000}, Walk{20240601, 0, 1'000'000}, Walk{3, 1'000, 300},
                             Walk{4, 40, 30});
  INFO("seed " << walk.seed << ", span " << walk.sequence_span);
  boost::random::mt19937_64 rng(walk.seed);
  boost::random::uniform_int_distribution<int> op(0, 99);
  // A narrow spread of times forces many ties.
  boost::random::uniform_int_distribution<sim::Time> delay(0, 20);

  sim::Calendar cal = walk.sequence_span ? sim::Calendar(walk.sequence_span) : sim::Calendar();
  using Key = std::pair<sim::Time, std::uint64_t>;
  std::multimap<Key, std::uint64_t> ref;          // (time, seq) -> data
  std::vector<std::pair<sim::EventId, Key>> ids;  // every id ever issued
  std::uint64_t first_seq = 0, seq = std::uint64_t{1} << 62;
  sim::Time now = 0;
  std::size_t pops = 0, cancels = 0, firsts = 0;

  for (int step = 0; step < 200'000; ++step) {
    const int r = op(rng);
    // Grow early, shrink late, so both large and empty calendars are visited.
    const int schedule_below = step < 100'000 ? 55 : 40;
    if (r < schedule_below && ref.size() < walk.max_pending) {
      const sim::Time at = now + delay(rng);
      const std::uint64_t data = rng();
      const auto target = static_cast<std::uint32_t>(data), kind = static_cast<std::uint32_t>(data >> 32);
      // One in ten jumps the queue at its instant: keyed below every plain event.
      const bool first = r % 10 == 0;
      const Key key{at, first ? first_seq++ : seq++};
      const sim::EventId id = first ? cal.schedule_first(at, target, kind, data) : cal.schedule(at, target, kind, data);
      ref.emplace(key, data);
      ids.emplace_back(id, key);
      firsts += first;
    } else if (r >= schedule_below && r < 70 && !ids.empty()) {
      // Any id ever issued (live, popped or already cancelled), half the time
      // a recent one, which is more likely live.
      const std::size_t from = r % 2 == 0 && ids.size() > 64 ? ids.size() - 64 : 0;
      boost::random::uniform_int_distribution<std::size_t> pick(from, ids.size() - 1);
      const auto& [id, key] = ids[pick(rng)];
      const bool live = ref.count(key) == 1;
      REQUIRE(cal.is_pending(id) == live);
      cal.cancel(id);
      ref.erase(key);
      cancels += live;
    } else {
      sim::Event e;
      const bool got = cal.pop(e);
      REQUIRE(got == !ref.empty());
      if (got) {
        const auto head = ref.begin();
        REQUIRE(e.at == head->first.first);
        REQUIRE(e.data == head->second);
        REQUIRE(e.target == static_cast<std::uint32_t>(head->second));
        REQUIRE(e.kind == static_cast<std::uint32_t>(head->second >> 32));
        now = e.at;
        ref.erase(head);
        ++pops;
      }
    }
    REQUIRE(cal.pending() == ref.size());
    if (step % 97 == 0) REQUIRE(cal.next_time() == (ref.empty() ? sim::kForever : ref.begin()->first.first));
  }
  // The walk must have exercised what it claims to.
  CHECK(pops > 50'000);
  CHECK(cancels > 5'000);
  CHECK(firsts > 5'000);
  if (walk.sequence_span) CHECK(seq - (std::uint64_t{1} << 62) > 20 * walk.sequence_span);  // many renumberings
}

TEST_CASE("renumbering keeps ties in order and ids valid", "[calendar]") {
  sim::Calendar cal(4);  // sequence numbers run out every four schedules of a kind
  std::vector<sim::EventId> ids;
  for (std::uint64_t i = 0; i < 3; ++i) ids.push_back(cal.schedule(10, 0, 0, i));
  cal.cancel(ids[1]);
  // The fifth schedule renumbers: three entries pending, room for one more.
  ids.push_back(cal.schedule(10, 0, 0, 3));
  ids.push_back(cal.schedule(10, 0, 0, 4));
  ids.push_back(cal.schedule_first(10, 0, 0, 100));
  CHECK(cal.is_pending(ids[0]));
  CHECK_FALSE(cal.is_pending(ids[1]));
  CHECK(cal.is_pending(ids[4]));
  cal.cancel(ids[3]);
  ids.push_back(cal.schedule(10, 0, 0, 5));  // renumbers again
  std::vector<std::uint64_t> order;
  for (const auto& e : drain(cal)) order.push_back(e.data);
  CHECK(order == std::vector<std::uint64_t>{100, 0, 2, 4, 5});
}

TEST_CASE("a calendar with every sequence number pending refuses more", "[calendar]") {
  sim::Calendar cal(4);
  for (std::uint64_t i = 0; i < 4; ++i) cal.schedule(static_cast<sim::Time>(i), 0, 0, i);
  CHECK_THROWS_AS(cal.schedule(9, 0, 0, 9), std::length_error);
  // The other kind has its own range.
  CHECK_NOTHROW(cal.schedule_first(9, 0, 0, 10));
  sim::Event e;
  REQUIRE(cal.pop(e));  // one number comes free
  CHECK_NOTHROW(cal.schedule(9, 0, 0, 11));
  CHECK(cal.pending() == 5);
}

namespace {

struct Recorder final : sim::Target {
  std::vector<std::pair<sim::Time, std::uint64_t>> seen;
  void handle(sim::Simulator& s, std::uint32_t, std::uint64_t data) override { seen.emplace_back(s.now(), data); }
};

}  // namespace

TEST_CASE("run_until handles events up to the end and leaves the clock there", "[simulator]") {
  sim::Simulator s;
  Recorder rec;
  const std::uint32_t id = s.add_target(&rec);
  s.schedule_at(10, id, 0, 1);
  s.schedule_at(20, id, 0, 2);
  s.schedule_at(30, id, 0, 3);
  CHECK(s.run_until(20) == 2);  // an event exactly at the end runs
  CHECK(s.now() == 20);
  CHECK(s.run_until(25) == 0);
  CHECK(s.now() == 25);
  CHECK(s.run_until(100) == 1);
  CHECK(s.now() == 100);
  CHECK(s.events_handled() == 3);
  REQUIRE(rec.seen.size() == 3);
  CHECK(rec.seen[2] == std::pair<sim::Time, std::uint64_t>{30, 3});
}

TEST_CASE("an at_time hook runs before events at its instant", "[simulator]") {
  sim::Simulator s;
  Recorder rec;
  const std::uint32_t id = s.add_target(&rec);
  // Events at the hook's instant scheduled both before and after the hook is
  // registered: a warm-up reset must see none of them.
  s.schedule_at(50, id, 0, 1);
  s.schedule_at(40, id, 0, 0);
  int calls = 0;
  std::size_t seen_at_hook = 99;
  s.at_time(50, [&](sim::Simulator& sm) {
    ++calls;
    CHECK(sm.now() == 50);
    seen_at_hook = rec.seen.size();
  });
  s.schedule_at(50, id, 0, 2);
  s.run_until(100);
  CHECK(calls == 1);
  CHECK(seen_at_hook == 1);  // only the event at 40
  REQUIRE(rec.seen.size() == 3);
  CHECK(rec.seen[1].second == 1);
  CHECK(rec.seen[2].second == 2);
}

TEST_CASE("scheduling in the past throws", "[simulator]") {
  sim::Simulator s;
  Recorder rec;
  const std::uint32_t id = s.add_target(&rec);
  s.run_until(100);
  CHECK_THROWS_AS(s.schedule_at(99, id, 0), std::logic_error);
  CHECK_NOTHROW(s.schedule_at(100, id, 0));
  CHECK_THROWS_AS(s.schedule_in(-1, id, 0), std::logic_error);
  CHECK(s.calendar().pending() == 1);
}
