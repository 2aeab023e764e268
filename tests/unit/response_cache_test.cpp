#include "models/serving/response_cache.h"

#include <catch2/catch.hpp>

using capstan::serving::ResponseCache;
using capstan::sim::kSecond;

TEST_CASE("the response cache evicts the least recently used entry", "[cache]") {
  ResponseCache cache(2, 0);
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
  ResponseCache cache(10, 60 * kSecond);
  cache.insert(7, 0);
  CHECK(cache.lookup(7, 59 * kSecond));  // a hit does not renew it
  CHECK_FALSE(cache.lookup(7, 60 * kSecond));
  CHECK(cache.size() == 0);
  cache.insert(7, 61 * kSecond);
  CHECK(cache.lookup(7, 120 * kSecond));
}
