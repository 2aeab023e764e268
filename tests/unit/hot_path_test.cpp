// The hot path's shortcuts answer exactly what they replace: the iteration
// memo what the service-time model says, the CDF guide table what
// upper_bound finds. The simulator's results are bit-identical with and
// without them only because of this.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "models/calibration/roofline.h"
#include "models/serving/iteration_memo.h"
#include "models/workload/cdf_search.h"
#include "sim/rng.h"
#include "tests/support/specs.h"

namespace cal = capstan::calibration;

namespace {
bool same_bits(const cal::IterationCost& a, const cal::IterationCost& b) {
  return std::memcmp(&a.fixed_s, &b.fixed_s, sizeof(double)) == 0 &&
         std::memcmp(&a.per_context_token_s, &b.per_context_token_s, sizeof(double)) == 0 &&
         std::memcmp(&a.per_window_token_s, &b.per_window_token_s, sizeof(double)) == 0 &&
         a.window_cap_tokens == b.window_cap_tokens;
}
}  // namespace

TEST_CASE("iteration memo: every answer is the model's own, hit or miss, through collisions", "[hot_path]") {
  auto model = std::make_shared<const cal::RooflineModel>(capstan::testing::llama3_8b_like(),
                                                          capstan::testing::h100_like(),
                                                          capstan::testing::summing_engine(), 1);
  // Four slots: most shapes collide, so slots are overwritten and re-priced.
  capstan::serving::IterationMemo memo(model, 2);
  std::mt19937_64 rng(7);
  std::vector<std::vector<cal::PrefillChunk>> shapes;
  for (int i = 0; i < 40; ++i) {
    std::vector<cal::PrefillChunk> chunks(rng() % 6);  // 0..5 chunks: past kMaxChunks too
    for (auto& c : chunks) c = {static_cast<std::int64_t>(1 + rng() % 2048), static_cast<std::int64_t>(rng() % 9000)};
    shapes.push_back(chunks);
  }
  for (int i = 0; i < 4000; ++i) {
    const auto& chunks = shapes[rng() % shapes.size()];
    const std::int64_t decode = static_cast<std::int64_t>(rng() % 3);  // few batch sizes: shapes repeat
    REQUIRE(same_bits(memo.iteration(decode, chunks), model->iteration(decode, chunks)));
  }
  CHECK(memo.hits() > 0);
  CHECK(memo.misses() > 40 * 3 / 4);  // a four-slot memo cannot hold 120 shapes
  // A shape differing only in a prefix, or in the order of its chunks, is another shape.
  capstan::serving::IterationMemo wide(model, 12);
  const std::vector<cal::PrefillChunk> ab = {{100, 0}, {20, 500}}, ba = {{20, 500}, {100, 0}}, ab2 = {{100, 0}, {20, 501}};
  wide.iteration(4, ab);
  REQUIRE(same_bits(wide.iteration(4, ba), model->iteration(4, ba)));
  REQUIRE(same_bits(wide.iteration(4, ab2), model->iteration(4, ab2)));
  REQUIRE(same_bits(wide.iteration(5, ab), model->iteration(5, ab)));
  CHECK(wide.hits() == 0);
  CHECK(same_bits(wide.iteration(4, ab), model->iteration(4, ab)));
  CHECK(wide.hits() == 1);
}

TEST_CASE("CDF guide table: the index upper_bound finds, for every draw", "[hot_path]") {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto check = [&](const std::vector<double>& cdf) {
    const capstan::workload::CdfSearch search(cdf);
    auto expected = [&](double u) {
      const auto i = static_cast<std::uint32_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
      return std::min<std::uint32_t>(i, static_cast<std::uint32_t>(cdf.size() - 1));
    };
    for (int i = 0; i < 20000; ++i) {
      const double u = unit(rng);
      REQUIRE(search.index(u) == expected(u));
    }
    // The values a draw can meet exactly: the CDF's own steps, the guide's
    // boundaries j/m and the doubles beside them, 0 and the largest below 1.
    const double m = static_cast<double>(cdf.size());
    std::vector<double> edges = {0.0, std::nextafter(1.0, 0.0)};
    for (double c : cdf) edges.insert(edges.end(), {c, std::nextafter(c, 0.0), std::nextafter(c, 2.0)});
    for (std::size_t j = 0; j < cdf.size(); ++j) {
      const double at = static_cast<double>(j) / m;
      edges.insert(edges.end(), {at, std::nextafter(at, 0.0), std::nextafter(at, 2.0)});
    }
    for (double u : edges) {
      if (u < 0.0 || u >= 1.0) continue;
      REQUIRE(search.index(u) == expected(u));
    }
  };
  // Zipf's law over 5,000 prompts, as response caches draw them.
  std::vector<double> zipf;
  double total = 0.0, run = 0.0;
  for (int i = 1; i <= 5000; ++i) total += 1.0 / i;
  for (int i = 1; i <= 5000; ++i) zipf.push_back((run += 1.0 / i) / total);
  check(zipf);
  // Flat stretches (prompts never drawn), a single entry, steps to exactly 1, a last entry short of 1.
  check({0.0, 0.0, 0.5, 0.5, 0.5, 1.0});
  check({1.0});
  check({0.1, 0.2, 0.3, 0.9999999999});
  std::vector<double> uneven;
  double acc = 0.0;
  for (int i = 0; i < 300; ++i) uneven.push_back(acc += (rng() % 7 == 0 ? 0.0 : unit(rng)));
  for (double& c : uneven) c /= acc;
  check(uneven);
}

TEST_CASE("lookahead stream: the values a RandomStream of its name gives, and a peek at the next", "[hot_path]") {
  capstan::sim::RandomStream plain(42, 3, "origin/tokyo/interactions");
  capstan::sim::LookaheadStream ahead(42, 3, "origin/tokyo/interactions");
  for (int i = 0; i < 10000; ++i) {
    const double peeked = ahead.peek_uniform();
    if (i % 3 == 0) {
      const double e = plain.exponential(2.5);
      const double got = ahead.exponential(2.5);
      REQUIRE(std::memcmp(&e, &got, sizeof e) == 0);
    } else {
      const double u = plain.uniform();
      REQUIRE(ahead.uniform() == u);
      REQUIRE(peeked == u);
    }
  }
}
