// The CPU references of the CUDA microkernels, checked against independent
// formulations: paged attention against dense attention, split-KV against
// unsplit, prefill-with-prefix against full causal attention, and the
// element-wise operators against their defining properties.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "models/calibration/cuda/reference.h"

namespace ref = capstan::calibration::reference;

namespace {

std::vector<float> random_vector(std::size_t n, std::mt19937_64& rng, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

// A paged cache holding dense per-sequence K/V ([tokens][kv][hd]) in
// shuffled physical blocks, with the block table that finds them.
struct PagedCache {
  std::vector<float> k, v;
  std::vector<int32_t> table;
  int max_blocks = 0;
};

PagedCache scatter(const std::vector<std::vector<float>>& ks, const std::vector<std::vector<float>>& vs,
                   const std::vector<int32_t>& lens, int kv_heads, int head_dim, std::mt19937_64& rng) {
  PagedCache c;
  int total_blocks = 0;
  for (int32_t len : lens) {
    const int nb = (len + ref::kBlockSize - 1) / ref::kBlockSize;
    c.max_blocks = std::max(c.max_blocks, nb);
    total_blocks += nb;
  }
  total_blocks += 3;  // unused blocks too, so a wrong index reads garbage
  std::vector<int32_t> physical(static_cast<std::size_t>(total_blocks));
  std::iota(physical.begin(), physical.end(), 0);
  std::shuffle(physical.begin(), physical.end(), rng);
  const std::size_t cache_size = static_cast<std::size_t>(total_blocks) * kv_heads * ref::kBlockSize * head_dim;
  c.k = random_vector(cache_size, rng);  // garbage in unused slots
  c.v = random_vector(cache_size, rng);
  c.table.assign(lens.size() * static_cast<std::size_t>(c.max_blocks), -1);
  std::size_t next = 0;
  for (std::size_t b = 0; b < lens.size(); ++b) {
    const int nb = (lens[b] + ref::kBlockSize - 1) / ref::kBlockSize;
    for (int j = 0; j < nb; ++j) c.table[b * static_cast<std::size_t>(c.max_blocks) + static_cast<std::size_t>(j)] = physical[next++];
    for (int t = 0; t < lens[b]; ++t) {
      const int32_t block = c.table[b * static_cast<std::size_t>(c.max_blocks) + static_cast<std::size_t>(t / ref::kBlockSize)];
      for (int h = 0; h < kv_heads; ++h) {
        for (int e = 0; e < head_dim; ++e) {
          const auto dst = static_cast<std::size_t>(ref::cache_index(block, h, t % ref::kBlockSize, e, kv_heads, head_dim));
          const auto src = (static_cast<std::size_t>(t) * kv_heads + h) * head_dim + e;
          c.k[dst] = ks[b][src];
          c.v[dst] = vs[b][src];
        }
      }
    }
  }
  return c;
}

}  // namespace

TEST_CASE("reference: bf16 rounding is to nearest, ties to even", "[reference]") {
  CHECK(ref::round_to_bf16(1.0f) == 1.0f);
  CHECK(ref::round_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 1.0f);  // halfway, 1.0 is even
  CHECK(ref::round_to_bf16(1.0f + 3.0f * std::ldexp(1.0f, -8)) == 1.0f + std::ldexp(1.0f, -6));
  CHECK(ref::round_to_bf16(1.0f + std::ldexp(1.0f, -7) + std::ldexp(1.0f, -12)) == 1.0f + std::ldexp(1.0f, -7));
  CHECK(ref::round_to_bf16(-3.0f) == -3.0f);
  CHECK(std::isnan(ref::round_to_bf16(std::numeric_limits<float>::quiet_NaN())));
  CHECK(std::isinf(ref::round_to_bf16(std::numeric_limits<float>::infinity())));
}

TEST_CASE("reference: GEMM equals Eigen's x W^T", "[reference]") {
  std::mt19937_64 rng(101);
  const int m = 7, n = 13, k = 33;
  const auto x = random_vector(static_cast<std::size_t>(m) * k, rng);
  const auto w = random_vector(static_cast<std::size_t>(n) * k, rng);
  std::vector<float> y(static_cast<std::size_t>(m) * n);
  ref::gemm(x.data(), w.data(), y.data(), m, n, k);
  using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const RowMat ex = Eigen::Map<const RowMat>(x.data(), m, k);
  const RowMat ew = Eigen::Map<const RowMat>(w.data(), n, k);
  const RowMat ey = ex * ew.transpose();
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) CHECK(y[static_cast<std::size_t>(i * n + j)] == Approx(ey(i, j)).margin(1e-5));
}

TEST_CASE("reference: paged decode attention equals dense attention", "[reference]") {
  std::mt19937_64 rng(202);
  const ref::AttentionDims d{8, 2, 16};  // grouped-query: 4 query heads per KV head
  const std::vector<int32_t> lens{1, 17, 100, 16};
  std::vector<std::vector<float>> ks, vs;
  for (int32_t len : lens) {
    ks.push_back(random_vector(static_cast<std::size_t>(len) * d.kv_heads * d.head_dim, rng));
    vs.push_back(random_vector(static_cast<std::size_t>(len) * d.kv_heads * d.head_dim, rng));
  }
  const PagedCache c = scatter(ks, vs, lens, d.kv_heads, d.head_dim, rng);
  const int batch = static_cast<int>(lens.size());
  const std::size_t row = static_cast<std::size_t>(d.heads) * d.head_dim;
  const auto q = random_vector(batch * row, rng, -2.0f, 2.0f);
  std::vector<float> out(batch * row, std::numeric_limits<float>::quiet_NaN());
  ref::decode_attention_paged(q.data(), c.k.data(), c.v.data(), c.table.data(), c.max_blocks, lens.data(), batch, d,
                              out.data());
  for (int b = 0; b < batch; ++b) {
    std::vector<float> dense(row);
    ref::attention_dense(q.data() + b * row, ks[static_cast<std::size_t>(b)].data(), vs[static_cast<std::size_t>(b)].data(),
                         dense.data(), 1, lens[static_cast<std::size_t>(b)], d, false, 0);
    const std::vector<float> got(out.begin() + static_cast<std::ptrdiff_t>(b * row),
                                 out.begin() + static_cast<std::ptrdiff_t>((b + 1) * row));
    CHECK(max_abs_diff(got, dense) < 1e-5);
  }
  // A single token's attention is that token's V.
  for (int h = 0; h < d.heads; ++h)
    for (int e = 0; e < d.head_dim; ++e)
      CHECK(out[static_cast<std::size_t>(h * d.head_dim + e)] ==
            Approx(vs[0][static_cast<std::size_t>((h / 4) * d.head_dim + e)]).margin(1e-6));
}

TEST_CASE("reference: split-KV pieces combine to the unsplit result", "[reference]") {
  std::mt19937_64 rng(303);
  const ref::AttentionDims d{4, 4, 32};  // multi-head
  const std::vector<int32_t> lens{300, 33, 5};
  std::vector<std::vector<float>> ks, vs;
  for (int32_t len : lens) {
    ks.push_back(random_vector(static_cast<std::size_t>(len) * d.kv_heads * d.head_dim, rng));
    vs.push_back(random_vector(static_cast<std::size_t>(len) * d.kv_heads * d.head_dim, rng));
  }
  const PagedCache c = scatter(ks, vs, lens, d.kv_heads, d.head_dim, rng);
  const int batch = 3;
  const std::size_t row = static_cast<std::size_t>(d.heads) * d.head_dim;
  const auto q = random_vector(batch * row, rng, -3.0f, 3.0f);
  std::vector<float> whole(batch * row);
  ref::decode_attention_paged(q.data(), c.k.data(), c.v.data(), c.table.data(), c.max_blocks, lens.data(), batch, d,
                              whole.data());
  for (int tokens_per_split : {16, 64, 512}) {
    const int splits = (300 + tokens_per_split - 1) / tokens_per_split;  // pieces past a short context are empty
    std::vector<float> po(batch * row * static_cast<std::size_t>(splits)), lse(static_cast<std::size_t>(batch * d.heads * splits));
    ref::decode_attention_split(q.data(), c.k.data(), c.v.data(), c.table.data(), c.max_blocks, lens.data(), batch,
                                d, tokens_per_split, splits, po.data(), lse.data());
    std::vector<float> combined(batch * row, std::numeric_limits<float>::quiet_NaN());
    ref::combine_splits(po.data(), lse.data(), batch, d.heads, splits, d.head_dim, combined.data());
    CHECK(max_abs_diff(combined, whole) < 1e-5);
    if (tokens_per_split == 16) {
      // Sequence 2 has 5 tokens: every piece after the first is empty.
      CHECK(std::isinf(lse[static_cast<std::size_t>((2 * d.heads + 0) * splits + 1)]));
    }
  }
}

TEST_CASE("reference: prefill with a prefix equals the last rows of full causal attention", "[reference]") {
  std::mt19937_64 rng(404);
  const ref::AttentionDims d{6, 2, 8};
  const int prefix = 37, chunk = 21, total = prefix + chunk;
  const auto k = random_vector(static_cast<std::size_t>(total) * d.kv_heads * d.head_dim, rng);
  const auto v = random_vector(static_cast<std::size_t>(total) * d.kv_heads * d.head_dim, rng);
  const PagedCache c = scatter({k}, {v}, {total}, d.kv_heads, d.head_dim, rng);
  const std::size_t row = static_cast<std::size_t>(d.heads) * d.head_dim;
  const auto q_all = random_vector(static_cast<std::size_t>(total) * row, rng, -2.0f, 2.0f);
  std::vector<float> full(static_cast<std::size_t>(total) * row);
  ref::attention_dense(q_all.data(), k.data(), v.data(), full.data(), total, total, d, true, 0);
  std::vector<float> got(static_cast<std::size_t>(chunk) * row, std::numeric_limits<float>::quiet_NaN());
  ref::prefill_attention_paged(q_all.data() + prefix * row, c.k.data(), c.v.data(), c.table.data(), prefix, chunk, d,
                               got.data());
  const std::vector<float> last(full.begin() + static_cast<std::ptrdiff_t>(prefix * row), full.end());
  CHECK(max_abs_diff(got, last) < 1e-5);
  // And dense causal attention of the chunk alone with q_offset = prefix agrees.
  std::vector<float> offset(static_cast<std::size_t>(chunk) * row);
  ref::attention_dense(q_all.data() + prefix * row, k.data(), v.data(), offset.data(), chunk, total, d, true, prefix);
  CHECK(max_abs_diff(offset, last) < 1e-6);
}

TEST_CASE("reference: fused add + RMSNorm", "[reference]") {
  std::mt19937_64 rng(505);
  const int tokens = 5, hidden = 64;
  const float eps = 1e-6f;
  const auto x = random_vector(static_cast<std::size_t>(tokens) * hidden, rng);
  const auto r0 = random_vector(static_cast<std::size_t>(tokens) * hidden, rng);
  std::vector<float> ones(hidden, 1.0f), residual = r0, out(static_cast<std::size_t>(tokens) * hidden);
  ref::add_rmsnorm(x.data(), residual.data(), ones.data(), out.data(), tokens, hidden, eps);
  for (int t = 0; t < tokens; ++t) {
    double ms = 0.0;
    for (int i = 0; i < hidden; ++i) {
      const auto j = static_cast<std::size_t>(t * hidden + i);
      CHECK(residual[j] == ref::round_to_bf16(x[j] + r0[j]));
      ms += static_cast<double>(out[j]) * out[j];
    }
    CHECK(ms / hidden == Approx(1.0).epsilon(1e-4));  // unit RMS with unit weight
  }
  // Scale invariance: doubling both inputs (exact in bf16) leaves the output.
  std::vector<float> x2(x), r2(r0), out2(out.size());
  for (float& e : x2) e *= 2.0f;
  for (float& e : r2) e *= 2.0f;
  ref::add_rmsnorm(x2.data(), r2.data(), ones.data(), out2.data(), tokens, hidden, eps);
  CHECK(max_abs_diff(out, out2) < 1e-5);
  // The weight scales each feature.
  auto w = random_vector(hidden, rng, 0.5f, 2.0f);
  std::vector<float> r3(r0), out3(out.size());
  ref::add_rmsnorm(x.data(), r3.data(), w.data(), out3.data(), tokens, hidden, eps);
  for (int i = 0; i < hidden; ++i) CHECK(out3[static_cast<std::size_t>(i)] == Approx(out[static_cast<std::size_t>(i)] * w[static_cast<std::size_t>(i)]).epsilon(1e-5));
}

TEST_CASE("reference: rotary embedding keeps norms and depends on relative position", "[reference]") {
  std::mt19937_64 rng(606);
  const int heads = 2, kv_heads = 1, hd = 16;
  const float theta = 500000.0f;  // Llama-3's rope_theta
  const auto q = random_vector(static_cast<std::size_t>(heads) * hd, rng);
  const auto k = random_vector(static_cast<std::size_t>(kv_heads) * hd, rng);
  auto rotated = [&](int32_t pos, std::vector<float>& qo, std::vector<float>& ko) {
    qo.resize(q.size());
    ko.resize(k.size());
    ref::rope_neox(q.data(), k.data(), &pos, qo.data(), ko.data(), 1, heads, kv_heads, hd, theta);
  };
  std::vector<float> q0, k0;
  rotated(0, q0, k0);
  CHECK(max_abs_diff(q0, q) < 1e-7);  // position 0 is the identity
  auto dot = [hd](const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0.0;
    for (int e = 0; e < hd; ++e) s += static_cast<double>(a[static_cast<std::size_t>(e)]) * b[static_cast<std::size_t>(e)];
    return s;
  };
  std::vector<float> qm, km, qn, kn, qm5, km5, qn5, kn5;
  rotated(100, qm, km);
  rotated(37, qn, kn);
  rotated(105, qm5, km5);
  rotated(42, qn5, kn5);
  CHECK(dot(qm, qm) == Approx(dot(q, q)).epsilon(1e-5));
  // <R(m) q, R(n) k> depends on m - n only.
  CHECK(dot(qm, kn) == Approx(dot(qm5, kn5)).epsilon(1e-4));
  // The kernel's cos/sin table agrees with the direct rotation.
  std::vector<float> cache(static_cast<std::size_t>(101) * hd);
  ref::rope_cos_sin_cache(101, hd, theta, cache.data());
  for (int i = 0; i < hd / 2; ++i) {
    const float c = cache[static_cast<std::size_t>(100 * hd + i)], s = cache[static_cast<std::size_t>(100 * hd + hd / 2 + i)];
    CHECK(qm[static_cast<std::size_t>(i)] == Approx(q[static_cast<std::size_t>(i)] * c - q[static_cast<std::size_t>(hd / 2 + i)] * s).margin(1e-5));
  }
}

TEST_CASE("reference: SiLU-gate multiply", "[reference]") {
  const int inter = 4;
  const std::vector<float> gate_up{0.0f, 20.0f, -20.0f, 1.0f, 3.0f, 0.5f, 2.0f, -4.0f};
  std::vector<float> out(inter);
  ref::silu_gate(gate_up.data(), out.data(), 1, inter);
  CHECK(out[0] == 0.0f);                                       // silu(0) = 0
  CHECK(out[1] == Approx(20.0f * 0.5f).epsilon(1e-6));          // silu(x) -> x for large x
  CHECK(std::abs(out[2]) < 1e-6);                               // silu(x) -> 0 for very negative x
  CHECK(out[3] == Approx(1.0 / (1.0 + std::exp(-1.0)) * -4.0)); // x * sigmoid(x) * up
}

TEST_CASE("reference: KV append writes exactly the mapped slots", "[reference]") {
  std::mt19937_64 rng(707);
  const int tokens = 5, kv = 2, hd = 8, blocks = 4;
  const auto k = random_vector(static_cast<std::size_t>(tokens) * kv * hd, rng);
  const auto v = random_vector(static_cast<std::size_t>(tokens) * kv * hd, rng);
  const std::vector<int64_t> slots{3, 17, 18, 63, 32};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> kc(static_cast<std::size_t>(blocks) * kv * ref::kBlockSize * hd, nan), vc(kc);
  ref::kv_append(k.data(), v.data(), slots.data(), kc.data(), vc.data(), tokens, kv, hd);
  std::size_t written = 0;
  for (float x : kc) written += std::isnan(x) ? 0 : 1;
  CHECK(written == static_cast<std::size_t>(tokens) * kv * hd);
  for (int t = 0; t < tokens; ++t)
    for (int h = 0; h < kv; ++h)
      for (int e = 0; e < hd; ++e) {
        const auto dst = static_cast<std::size_t>(ref::cache_index(slots[static_cast<std::size_t>(t)] / ref::kBlockSize, h,
                                                                   static_cast<int>(slots[static_cast<std::size_t>(t)] % ref::kBlockSize), e, kv, hd));
        CHECK(kc[dst] == k[static_cast<std::size_t>((t * kv + h) * hd + e)]);
        CHECK(vc[dst] == v[static_cast<std::size_t>((t * kv + h) * hd + e)]);
      }
}
