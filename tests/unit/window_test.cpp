// Sliding-window attention (Mistral 7B v0.1, Gemma 2 and 3, gpt-oss): the
// attention work of a windowed layer against its closed forms, the
// iteration's cost flat in context past the windows, and the KV cache a
// hybrid allocator holds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "models/calibration/operators.h"
#include "models/calibration/roofline.h"
#include "tests/support/specs.h"

namespace cal = capstan::calibration;
using capstan::catalog::LlmSpec;
using capstan::testing::h100_like;
using capstan::testing::llama3_8b_like;
using capstan::testing::summing_engine;

namespace {

LlmSpec windowed(int window, int window_layers) {
  LlmSpec m = llama3_8b_like();
  m.attention_window = window;
  m.window_layers = window_layers;
  return m;
}

}  // namespace

TEST_CASE("window: a windowed layer's prefill attention work", "[window]") {
  const LlmSpec m = llama3_8b_like();
  const cal::WorkFormulas f{m, 1};
  const double per_pair = 4.0 * m.heads * m.head_dim;  // FLOPs of one query against one key
  // A window longer than the prefix and chunk changes nothing.
  CHECK(f.prefill_flops(512, 1000, 4096) == f.prefill_flops(512, 1000));
  CHECK(f.prefill_bytes(512, 1000, 4096) == f.prefill_bytes(512, 1000));
  // Past the window, every token sees exactly the window.
  CHECK(f.prefill_flops(512, 5000, 4096) == Approx(per_pair * 512 * 4096));
  // Across it: rising to the window, then flat. 1,000 new tokens after 3,596:
  // 500 rise from 3,596 to 4,096 (mean 3,846), 500 see 4,096.
  CHECK(f.prefill_flops(1000, 3596, 4096) == Approx(per_pair * (500 * 3846.0 + 500 * 4096.0)));
  // The keys a chunk reads: the window before its first token, and the chunk.
  const double kv_token = 2.0 * m.kv_heads * m.head_dim * m.kv_bytes;
  const double q_and_out = 2.0 * m.heads * m.head_dim * m.activation_bytes * 512;
  CHECK(f.prefill_bytes(512, 10000, 4096) == Approx(kv_token * (4096 + 512) + q_and_out));
}

TEST_CASE("window: decode attention stops growing with context at the window", "[window]") {
  const LlmSpec full = llama3_8b_like();
  const LlmSpec half = windowed(1024, 16);  // 16 of 32 layers over 1,024 tokens
  const cal::RooflineModel dense(full, h100_like(), summing_engine(), 1);
  const cal::RooflineModel sliding(half, h100_like(), summing_engine(), 1);
  for (std::int64_t n : {1, 8, 64}) {
    const cal::IterationCost a = dense.iteration(n, {}), b = sliding.iteration(n, {});
    // Below every window the two cost the same, and past them the
    // windowed layers' half of the slope is gone.
    const std::int64_t below = n * 512, past = n * 4096;
    CHECK(b.seconds(below) == Approx(a.seconds(below)).epsilon(1e-12));
    CHECK(b.window_cap_tokens == n * 1024);
    const double slope_past = (b.seconds(past + n * 100) - b.seconds(past)) / (n * 100.0);
    CHECK(slope_past == Approx(a.per_context_token_s / 2.0).epsilon(1e-9));
    // Affine pieces agree with the bound at their own side and at the cap.
    for (std::int64_t c : {below, n * 1024, past}) {
      CHECK(b.affine_at(c).seconds(c) == Approx(b.seconds(c)).epsilon(1e-12));
    }
  }
  // A prefill chunk past the window costs the window's attention in the windowed layers.
  const cal::PrefillChunk late{256, 8192};
  const double full_layer = sliding.prefill_attention_seconds({&late, 1});
  const double window_layer = sliding.prefill_attention_seconds({&late, 1}, 1024);
  CHECK(window_layer < full_layer / 2.0);
  const auto parts = sliding.breakdown(0, {&late, 1});
  CHECK(parts[static_cast<int>(cal::Operator::kPrefillAttention)].fixed_s ==
        Approx(16 * full_layer + 16 * window_layer));
}

TEST_CASE("window: the KV cache holds every token in full layers and the window in the others", "[window]") {
  const LlmSpec full = llama3_8b_like();
  const LlmSpec half = windowed(1024, 16);
  CHECK(half.kv_bytes_per_token() == full.kv_bytes_per_token() / 2.0);
  CHECK(half.kv_window_bytes_per_sequence(8192) == 16 * 1024 * half.kv_layer_bytes_per_token());
  CHECK(half.kv_window_bytes_per_sequence(100) == 16 * 100 * half.kv_layer_bytes_per_token());
  // Every layer windowed: counted as full, nothing held apart.
  const LlmSpec all = windowed(4096, 32);
  CHECK(all.kv_bytes_per_token() == full.kv_bytes_per_token());
  CHECK(all.kv_window_bytes_per_sequence(8192) == 0.0);
  // Windows make a model invalid only when they contradict its layers.
  CHECK_THROWS(cal::RooflineModel(windowed(1024, 33), h100_like(), summing_engine(), 1));
  CHECK_THROWS(cal::RooflineModel(windowed(0, 4), h100_like(), summing_engine(), 1));
}
