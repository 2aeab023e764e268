// The classic hold model (Jones 1986): keep N events pending; each hold pops
// the earliest and schedules one at its time plus an exponential increment.
// Compares sim::Calendar with the calendar a closure-based simulator would
// write first: a std::priority_queue of (time, seq, std::function) whose
// callbacks are invoked.
//
// Both see the same prefill times and the same increments in the same order,
// so they pop the same events; a checksum of popped times proves it. Random
// numbers are drawn before timing, so the figures are the calendar's alone.
// Time is the thread's CPU time, not wall time: on a shared machine the
// other tenants' share of the core is not the calendar's cost.
//
//   capstan_bench_hold           a table
//   capstan_bench_hold --json    one JSON object
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <iterator>
#include <queue>
#include <vector>

#include "sim/calendar.h"
#include "sim/rng.h"

namespace {

using capstan::sim::Time;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

constexpr Time kMeanIncrementNs = 1'000'000;  // 1 ms: ties are rare, as in a real model
constexpr std::size_t kIncrements = std::size_t{1} << 20;
constexpr std::uint64_t kHolds = 4'000'000;
constexpr std::uint64_t kChunk = 1 << 16;  // holds between clock reads
constexpr double kMaxSeconds = 2.0;

struct Workload {
  std::vector<Time> prefill;     // initial pending times
  std::vector<Time> increments;  // cycled through by the holds
};

Workload make_workload(std::size_t pending) {
  capstan::sim::RandomStream rng(1, 0, "bench/hold");
  Workload w;
  w.prefill.resize(pending);
  for (auto& t : w.prefill) t = static_cast<Time>(rng.exponential(kMeanIncrementNs));
  w.increments.resize(kIncrements);
  for (auto& t : w.increments) t = static_cast<Time>(rng.exponential(kMeanIncrementNs));
  return w;
}

struct Result {
  std::uint64_t holds = 0;
  double seconds = 0;
  std::uint64_t checksum = 0;  // sum of popped times
  double events_per_s() const { return static_cast<double>(holds) / seconds; }
};

Result run_capstan(const Workload& w) {
  capstan::sim::Calendar cal;
  cal.reserve(w.prefill.size() + 1);
  for (std::size_t i = 0; i < w.prefill.size(); ++i) cal.schedule(w.prefill[i], 1, 0, i);
  Result r;
  capstan::sim::Event e;
  std::size_t k = 0;
  const double start = cpu_seconds();
  while (r.holds < kHolds) {
    for (std::uint64_t i = 0; i < kChunk; ++i) {
      cal.pop(e);
      r.checksum += static_cast<std::uint64_t>(e.at);
      cal.schedule(e.at + w.increments[k], e.target, e.kind, e.data);
      k = (k + 1) & (kIncrements - 1);
    }
    r.holds += kChunk;
    r.seconds = cpu_seconds() - start;
    if (r.seconds > kMaxSeconds) break;
  }
  return r;
}

// The naive calendar: each event is a closure, invoked when it pops; the
// closure does the model's work, here scheduling the next hold.
class NaiveSimulator {
 public:
  struct Item {
    Time at;
    std::uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Item& o) const { return at > o.at || (at == o.at && seq > o.seq); }
  };
  void schedule(Time at, std::function<void()> fn) { queue_.push(Item{at, seq_++, std::move(fn)}); }
  Time now() const { return now_; }
  void step() {
    // Moving out of top() before pop() spares a std::function copy; the
    // ordering fields stay intact for pop's comparisons.
    Item it = std::move(const_cast<Item&>(queue_.top()));
    queue_.pop();
    now_ = it.at;
    it.fn();
  }

 private:
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue_;
  std::uint64_t seq_ = 0;
  Time now_ = 0;
};

struct HoldModel {
  NaiveSimulator sim;
  const Workload* w = nullptr;
  std::size_t k = 0;
  std::uint64_t checksum = 0;
  void hold() {
    checksum += static_cast<std::uint64_t>(sim.now());
    const Time at = sim.now() + w->increments[k];
    k = (k + 1) & (kIncrements - 1);
    sim.schedule(at, [this] { hold(); });
  }
};

Result run_baseline(const Workload& w) {
  HoldModel m;
  m.w = &w;
  for (Time t : w.prefill) m.sim.schedule(t, [&m] { m.hold(); });
  Result r;
  const double start = cpu_seconds();
  while (r.holds < kHolds) {
    for (std::uint64_t i = 0; i < kChunk; ++i) m.sim.step();
    r.holds += kChunk;
    r.seconds = cpu_seconds() - start;
    if (r.seconds > kMaxSeconds) break;
  }
  r.checksum = m.checksum;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const bool json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  const std::size_t sizes[] = {1'000, 100'000, 1'000'000};
  if (!json) std::printf("%10s %18s %18s %8s\n", "pending", "capstan events/s", "baseline events/s", "ratio");
  if (json) std::printf("{\"pending\": {");
  for (std::size_t n = 0; n < std::size(sizes); ++n) {
    const Workload w = make_workload(sizes[n]);
    const Result cap = run_capstan(w);
    const Result base = run_baseline(w);
    // Same events in the same order, or the comparison means nothing.
    if (cap.holds == base.holds && cap.checksum != base.checksum) {
      std::fprintf(stderr, "hold: the calendars popped different events at %zu pending\n", sizes[n]);
      return EXIT_FAILURE;
    }
    if (json) {
      std::printf("%s\"%zu\": {\"capstan_eps\": %.0f, \"baseline_eps\": %.0f}", n ? ", " : "", sizes[n],
                  cap.events_per_s(), base.events_per_s());
    } else {
      std::printf("%10zu %18.3e %18.3e %8.2f\n", sizes[n], cap.events_per_s(), base.events_per_s(),
                  cap.events_per_s() / base.events_per_s());
    }
    std::fflush(stdout);
  }
  if (json) std::printf("}}\n");
  return EXIT_SUCCESS;
}
