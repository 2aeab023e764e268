#pragma once
// Runs independent replications on a pool of threads.
//
// Replication r is a pure function of r (and whatever it closes over, read
// only); results come back indexed by r, so everything computed from them is
// the same whatever the thread count or the order the threads finished in.
// If a replication throws, the remaining ones are skipped and the first
// exception (by replication index) is rethrown in the caller.
#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace capstan::sim {

// Threads to use when the caller says 0: the hardware's count.
inline int default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

template <class Result>
std::vector<Result> run_replications(int replications, int threads, const std::function<Result(int)>& replicate) {
  std::vector<Result> results(static_cast<std::size_t>(std::max(replications, 0)));
  std::vector<std::exception_ptr> errors(results.size());
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  auto worker = [&] {
    for (int r; !failed.load(std::memory_order_relaxed) && (r = next.fetch_add(1)) < replications;) {
      try {
        results[static_cast<std::size_t>(r)] = replicate(r);
      } catch (...) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
        failed = true;
      }
    }
  };
  if (threads <= 0) threads = default_threads();
  threads = std::min(threads, replications);
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& th : pool) th.join();
  }
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return results;
}

}  // namespace capstan::sim
