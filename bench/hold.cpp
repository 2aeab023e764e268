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
// other tenants' share of the core is not the calendar's cost. The two
// calendars take turns in chunks of 65536 holds, so both see the same load,
// and each figure is the median of its chunks' rates.
//
//   capstan_bench_hold           a table
//   capstan_bench_hold --json    one JSON object
#include <algorithm>
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
constexpr std::uint64_t kChunk = 1 << 16;           // holds per timed chunk
constexpr std::uint64_t kMaxHolds = 4'000'000;      // per calendar and size
constexpr double kMaxSeconds = 2.0;                 // per calendar and size

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

// Each calendar runs as a stepper that holds kChunk times per call, so the
// two can take turns and see the same machine.
class CapstanHold {
 public:
  explicit CapstanHold(const Workload& w) : w_(w) {
    cal_.reserve(w.prefill.size() + 1);
    for (std::size_t i = 0; i < w.prefill.size(); ++i) cal_.schedule(w.prefill[i], 1, 0, i);
  }
  void run(std::uint64_t holds) {
    capstan::sim::Event e;
    for (std::uint64_t i = 0; i < holds; ++i) {
      cal_.pop(e);
      checksum += static_cast<std::uint64_t>(e.at);
      cal_.schedule(e.at + w_.increments[k_], e.target, e.kind, e.data);
      k_ = (k_ + 1) & (kIncrements - 1);
    }
  }
  std::uint64_t checksum = 0;  // sum of popped times

 private:
  const Workload& w_;
  capstan::sim::Calendar cal_;
  std::size_t k_ = 0;
};

// The naive calendar: each event is a closure, invoked when it pops.
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

// The model's work lives in the closure: a hold schedules the next hold.
class BaselineHold {
 public:
  explicit BaselineHold(const Workload& w) : w_(w) {
    for (Time t : w.prefill) sim_.schedule(t, [this] { hold(); });
  }
  void run(std::uint64_t holds) {
    for (std::uint64_t i = 0; i < holds; ++i) sim_.step();
  }
  std::uint64_t checksum = 0;

 private:
  void hold() {
    checksum += static_cast<std::uint64_t>(sim_.now());
    const Time at = sim_.now() + w_.increments[k_];
    k_ = (k_ + 1) & (kIncrements - 1);
    sim_.schedule(at, [this] { hold(); });
  }
  const Workload& w_;
  NaiveSimulator sim_;
  std::size_t k_ = 0;
};

struct Figures {
  double capstan_eps = 0;
  double baseline_eps = 0;
};

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

// Chunks alternate between the two calendars; each figure is the median of
// its chunks' rates, which shrugs off bursts of load from other tenants.
Figures measure(std::size_t pending) {
  const Workload w = make_workload(pending);
  CapstanHold cap(w);
  BaselineHold base(w);
  std::vector<double> cap_rates, base_rates;
  double cap_s = 0, base_s = 0;
  for (std::uint64_t done = 0; done < kMaxHolds && cap_s < kMaxSeconds && base_s < kMaxSeconds; done += kChunk) {
    const double t0 = cpu_seconds();
    cap.run(kChunk);
    const double t1 = cpu_seconds();
    base.run(kChunk);
    const double t2 = cpu_seconds();
    cap_rates.push_back(static_cast<double>(kChunk) / (t1 - t0));
    base_rates.push_back(static_cast<double>(kChunk) / (t2 - t1));
    cap_s += t1 - t0;
    base_s += t2 - t1;
  }
  // Same events in the same order, or the comparison means nothing.
  if (cap.checksum != base.checksum) {
    std::fprintf(stderr, "hold: the calendars popped different events at %zu pending\n", pending);
    std::exit(EXIT_FAILURE);
  }
  return Figures{median(cap_rates), median(base_rates)};
}

}  // namespace

int main(int argc, char** argv) {
  const bool json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  const std::size_t sizes[] = {1'000, 100'000, 1'000'000};
  if (json) {
    std::printf("{\"pending\": {");
  } else {
    std::printf("%10s %18s %18s %8s\n", "pending", "capstan events/s", "baseline events/s", "ratio");
  }
  for (std::size_t n = 0; n < std::size(sizes); ++n) {
    const Figures f = measure(sizes[n]);
    if (json) {
      std::printf("%s\"%zu\": {\"capstan_eps\": %.0f, \"baseline_eps\": %.0f}", n ? ", " : "", sizes[n],
                  f.capstan_eps, f.baseline_eps);
    } else {
      std::printf("%10zu %18.3e %18.3e %8.2f\n", sizes[n], f.capstan_eps, f.baseline_eps,
                  f.capstan_eps / f.baseline_eps);
    }
    std::fflush(stdout);
  }
  if (json) std::printf("}}\n");
  return EXIT_SUCCESS;
}
