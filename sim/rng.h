#pragma once
// Named random streams.
//
// Every entity that draws random numbers owns a stream named after what it
// models ("arrivals/tokyo", "class/dialogue/prompt"). A stream's seed is a
// hash of (master seed, replication, name), so:
//   - replications are independent of each other;
//   - adding, removing or reordering streams never shifts another stream's
//     draws, and scenario variants that differ only in policy see the same
//     workload (common random numbers).
// Draws use Boost.Random distributions, whose output is the same with every
// standard library, unlike std:: distributions.
#include <cstdint>
#include <string_view>

#include <boost/random/mersenne_twister.hpp>

namespace capstan::sim {

// 64-bit seed of the stream (master, replication, name).
std::uint64_t stream_seed(std::uint64_t master_seed, std::uint64_t replication, std::string_view name);

class RandomStream {
 public:
  using Engine = boost::random::mt19937_64;
  RandomStream() = default;
  RandomStream(std::uint64_t master_seed, std::uint64_t replication, std::string_view name);

  Engine& engine() { return engine_; }
  // Uniform on [0, 1), 53 bits.
  double uniform();
  // Exponential with the given mean.
  double exponential(double mean);

 private:
  Engine engine_;
};

// A stream that draws one value ahead, so that a model can see its next
// uniform before it draws it (to fetch the memory that draw will pick while
// other events run). Its uniform() and exponential() give exactly the
// values a RandomStream of the same name gives; it offers no engine().
class LookaheadStream {
 public:
  LookaheadStream(std::uint64_t master_seed, std::uint64_t replication, std::string_view name)
      : stream_(master_seed, replication, name), next_(stream_.uniform()) {}
  double uniform() {
    const double u = next_;
    next_ = stream_.uniform();
    return u;
  }
  double exponential(double mean);
  // What the next uniform() will return.
  double peek_uniform() const { return next_; }

 private:
  RandomStream stream_;
  double next_;
};

}  // namespace capstan::sim
