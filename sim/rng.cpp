#include "sim/rng.h"

#include <array>
#include <cmath>

#include <boost/random/seed_seq.hpp>

namespace capstan::sim {

namespace {
// SplitMix64 finaliser: a bijective mix with full avalanche.
std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

std::uint64_t stream_seed(std::uint64_t master_seed, std::uint64_t replication, std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over the name
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ULL;
  return mix(mix(mix(master_seed) ^ replication) ^ h);
}

RandomStream::RandomStream(std::uint64_t master_seed, std::uint64_t replication, std::string_view name) {
  const std::uint64_t s = stream_seed(master_seed, replication, name);
  // Feed the engine eight words so its whole state depends on the seed.
  std::array<std::uint32_t, 8> words{};
  std::uint64_t z = s;
  for (std::size_t i = 0; i < words.size(); i += 2) {
    z = mix(z);
    words[i] = static_cast<std::uint32_t>(z);
    words[i + 1] = static_cast<std::uint32_t>(z >> 32);
  }
  boost::random::seed_seq seq(words.begin(), words.end());
  engine_.seed(seq);
}

double RandomStream::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

namespace {
// Inversion of a uniform on [0, 1).
double exponential_of(double u, double mean) { return -mean * std::log1p(-u); }
}  // namespace

double RandomStream::exponential(double mean) { return exponential_of(uniform(), mean); }

double LookaheadStream::exponential(double mean) { return exponential_of(uniform(), mean); }

}  // namespace capstan::sim
