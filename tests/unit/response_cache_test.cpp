#include "models/serving/response_cache.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <list>
#include <stdexcept>
#include <utility>

using capstan::serving::ResponseCache;
using capstan::sim::kSecond;

TEST_CASE("the response cache evicts the least recently used entry", "[cache]") {
  ResponseCache cache(10, 2, 0);
  cache.insert(1, 0);
  cache.insert(2, 1);
  CHECK(cache.lookup(1, 2));  // 1 is now the most recent
  cache.insert(3, 3);         // evicts 2
  CHECK(cache.lookup(1, 4));
  CHECK_FALSE(cache.lookup(2, 5));
  CHECK(cache.lookup(3, 6));
  CHECK(cache.size() == 2);
}

TEST_CASE("a response cache entry expires its TTL after insertion", "[cache]") {
  ResponseCache cache(10, 10, 60 * kSecond);
  cache.insert(7, 0);
  CHECK(cache.lookup(7, 59 * kSecond));  // a hit does not renew it
  CHECK_FALSE(cache.lookup(7, 60 * kSecond));
  CHECK(cache.size() == 0);
  cache.insert(7, 61 * kSecond);
  CHECK(cache.lookup(7, 120 * kSecond));
}

TEST_CASE("the response cache matches a reference LRU on a random stream of prompts", "[cache]") {
  // A list-based LRU with TTL, the obvious way, against the array-threaded one
  // over 200,000 lookups and inserts on 500 prompts with a 50-entry capacity.
  const std::int32_t prompts = 500;
  const std::size_t capacity = 50;
  const capstan::sim::Time ttl = 30 * kSecond;
  ResponseCache cache(prompts, capacity, ttl);
  std::list<std::pair<std::int32_t, capstan::sim::Time>> ref;  // most recent first
  auto find = [&](std::int32_t p) {
    return std::find_if(ref.begin(), ref.end(), [p](const auto& e) { return e.first == p; });
  };
  std::uint64_t x = 88172645463325252ull;
  capstan::sim::Time now = 0;
  for (int step = 0; step < 200000; ++step) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const auto p = static_cast<std::int32_t>((x >> 8) % 97 < 60 ? (x >> 20) % 60 : (x >> 20) % prompts);
    now += static_cast<capstan::sim::Time>((x >> 40) % 200) * capstan::sim::kMillisecond;
    if ((x >> 3) % 2 == 0) {
      auto it = find(p);
      bool want = it != ref.end();
      if (want && now - it->second >= ttl) {
        ref.erase(it);
        want = false;
      } else if (want) {
        ref.splice(ref.begin(), ref, it);
      }
      REQUIRE(cache.lookup(p, now) == want);
    } else {
      if (auto it = find(p); it != ref.end()) {
        it->second = now;
        ref.splice(ref.begin(), ref, it);
      } else {
        if (ref.size() >= capacity) ref.pop_back();
        ref.emplace_front(p, now);
      }
      cache.insert(p, now);
    }
    REQUIRE(cache.size() == ref.size());
  }
}

TEST_CASE("a response cache refuses an empty prompt set or no room", "[cache]") {
  CHECK_THROWS_AS(ResponseCache(0, 10, 0), std::invalid_argument);
  CHECK_THROWS_AS(ResponseCache(10, 0, 0), std::invalid_argument);
}
