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

}  // namespace capstan::sim
