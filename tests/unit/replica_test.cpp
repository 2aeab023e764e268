// The continuous-batching replica against hand-computed schedules.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>

#include "models/serving/replica.h"
#include "tests/support/models.h"

using namespace capstan;

namespace {
struct Recorder final : serving::ReplicaObserver {
  std::map<std::uint32_t, sim::Time> first, done, dropped;
  void on_first_token(std::uint32_t r, sim::Time at) override { first[r] = at; }
  void on_complete(std::uint32_t r, sim::Time at) override { done[r] = at; }
  void on_drop(std::uint32_t r, sim::Time at, serving::DropReason) override { dropped[r] = at; }
};

struct Bench {
  explicit Bench(serving::ReplicaConfig cfg, std::shared_ptr<const calibration::ServiceTimeModel> model)
      : replica(sim, pool, recorder, cfg, std::move(model)) {}
  std::uint32_t send(sim::Time at, int prompt, int output, int priority = 0) {
    const std::uint32_t id = pool.acquire();
    auto& r = pool[id];
    r.prompt_tokens = prompt;
    r.output_tokens = output;
    r.priority_level = static_cast<std::uint8_t>(priority);
    replica.expect(r);
    sim.schedule_at(at, replica.target(), serving::Replica::kArrive, id);
    return id;
  }
  sim::Simulator sim;
  serving::RequestPool pool;
  Recorder recorder;
  serving::Replica replica;
};

serving::ReplicaConfig config(bool step) {
  serving::ReplicaConfig c;
  c.max_running_seqs = 4;
  c.max_batch_tokens = 100;
  c.block_size_tokens = 16;
  c.kv_capacity_tokens = 1 << 20;
  c.step_by_step = step;
  return c;
}
}  // namespace

TEST_CASE("a lone request: chunked prefill, then one token per iteration", "[serving]") {
  for (bool step : {false, true}) {
    // 1 ms per iteration plus 1 us per context token: decode step j of a
    // 250-token prompt attends over 250 + 1 + j tokens.
    Bench b(config(step), std::make_shared<testing::AffineModel>(1e-3, 1e-6));
    const auto id = b.send(0, 250, 5);
    b.sim.run_until(sim::kSecond);
    // Prefill: 100 + 100 + 50 tokens in three iterations of 1 ms; the first token ends the third.
    CHECK(b.recorder.first.at(id) == 3 * sim::kMillisecond);
    // Four decode iterations, contexts 251..254.
    const double decode_s = 4e-3 + 1e-6 * (251 + 252 + 253 + 254);
    CHECK(b.recorder.done.at(id) == 3 * sim::kMillisecond + sim::from_seconds(decode_s));
    CHECK(b.replica.iterations() == 7);
    // The fast mode plans the four decode steps as one block.
    CHECK(b.replica.blocks_planned() == (step ? 7u : 4u));
  }
}

TEST_CASE("sliding-window layers: their cost stops growing at the window, in blocks as step by step",
          "[serving]") {
  for (bool step : {false, true}) {
    // 1 ms, 1 us per context token in full layers and 4 us in windowed ones
    // up to 20 tokens: a 10-token prompt's 30 decode steps see contexts
    // 11..40, the windows full from context 20 on.
    Bench b(config(step), std::make_shared<testing::WindowedModel>(1e-3, 1e-6, 4e-6, 20));
    const auto id = b.send(0, 10, 31);
    b.sim.run_until(sim::kSecond);
    double decode_s = 0.0;
    for (int c = 11; c <= 40; ++c) decode_s += 1e-3 + 1e-6 * c + 4e-6 * std::min(c, 20);
    const sim::Time expected = sim::kMillisecond + sim::from_seconds(decode_s);
    // Within a nanosecond an iteration of the sum's rounding.
    CHECK(std::llabs(b.recorder.done.at(id) - expected) <= 30);
    CHECK(b.replica.iterations() == 31);
    // Blocks end where the window fills: one up to it, one past it.
    if (!step) CHECK(b.replica.blocks_planned() == 3u);
  }
  // Two sequences on either side of the window: the batch's bound,
  // min(sum of contexts, 2 x window), the same in blocks and step by step.
  sim::Time ends[2];
  for (bool step : {false, true}) {
    Bench b(config(step), std::make_shared<testing::WindowedModel>(1e-3, 1e-6, 4e-6, 50));
    b.send(0, 90, 40);
    const auto late = b.send(0, 5, 60);
    b.sim.run_until(sim::kSecond);
    ends[step ? 1 : 0] = b.recorder.done.at(late);
  }
  CHECK(std::llabs(ends[0] - ends[1]) <= 100);
}

TEST_CASE("an arrival joins the batch at the end of the iteration in progress", "[serving]") {
  for (bool step : {false, true}) {
    Bench b(config(step), std::make_shared<testing::AffineModel>(1e-3));
    const auto a = b.send(0, 10, 100);
    const auto late = b.send(sim::from_seconds(0.0105), 10, 1);  // mid-iteration 11
    b.sim.run_until(sim::kSecond);
    CHECK(b.recorder.first.at(a) == sim::kMillisecond);
    // Admitted at the 11 ms boundary, its one-token prefill runs in iteration 12.
    CHECK(b.recorder.first.at(late) == 12 * sim::kMillisecond);
    CHECK(b.recorder.done.at(late) == 12 * sim::kMillisecond);
    CHECK(b.recorder.done.at(a) == 100 * sim::kMillisecond);
  }
}

TEST_CASE("running slots cap the batch; higher priority is admitted first", "[serving]") {
  auto cfg = config(false);
  cfg.max_running_seqs = 1;
  cfg.priority_levels = 2;
  Bench b(cfg, std::make_shared<testing::AffineModel>(1e-3));
  const auto first = b.send(0, 1, 10);
  const auto low = b.send(sim::kMicrosecond, 1, 1, 1);
  const auto high = b.send(2 * sim::kMicrosecond, 1, 1, 0);
  b.sim.run_until(sim::kSecond);
  CHECK(b.recorder.done.at(first) == 10 * sim::kMillisecond);
  CHECK(b.recorder.done.at(high) == 11 * sim::kMillisecond);
  CHECK(b.recorder.done.at(low) == 12 * sim::kMillisecond);
}

TEST_CASE("a full KV cache preempts the latest arrival, which is recomputed", "[serving]") {
  for (bool step : {false, true}) {
    auto cfg = config(step);
    // Room for two 16-token-block sequences of ~40 tokens, not for their growth.
    cfg.kv_capacity_tokens = 128;
    Bench b(cfg, std::make_shared<testing::AffineModel>(1e-3));
    const auto a = b.send(0, 20, 30);
    const auto c = b.send(sim::kMicrosecond, 20, 30);
    b.sim.run_until(10 * sim::kSecond);
    REQUIRE(b.recorder.done.count(a) == 1);
    REQUIRE(b.recorder.done.count(c) == 1);
    CHECK(b.replica.preemptions() >= 1);
    // The earlier arrival is never the victim: it runs straight through.
    CHECK(b.recorder.done.at(a) < b.recorder.done.at(c));
    CHECK(b.recorder.dropped.empty());
  }
}

TEST_CASE("a request waiting past max_queue is dropped", "[serving]") {
  auto cfg = config(false);
  cfg.max_running_seqs = 1;
  cfg.max_queue = 5 * sim::kMillisecond;
  Bench b(cfg, std::make_shared<testing::AffineModel>(1e-3));
  const auto busy = b.send(0, 1, 20);
  const auto starved = b.send(sim::kMicrosecond, 1, 1);
  b.sim.run_until(sim::kSecond);
  CHECK(b.recorder.done.count(busy) == 1);
  // Its deadline passes 1 us into iteration 6: it leaves at that iteration's end,
  // in the middle of the running request's decode block.
  CHECK(b.recorder.dropped.at(starved) == 6 * sim::kMillisecond);
}
