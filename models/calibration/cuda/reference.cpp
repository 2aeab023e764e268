#include "models/calibration/cuda/reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace capstan::calibration::reference {

float round_to_bf16(float x) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  if ((bits & 0x7f800000u) == 0x7f800000u) {  // inf or NaN: keep, quieting NaN
    if (bits & 0x007fffffu) bits |= 0x00400000u;
    bits &= 0xffff0000u;
  } else {
    const std::uint32_t lsb = (bits >> 16) & 1u;
    bits += 0x7fffu + lsb;
    bits &= 0xffff0000u;
  }
  float y = 0.0f;
  std::memcpy(&y, &bits, sizeof y);
  return y;
}

void gemm(const float* x, const float* w, float* y, int m, int n, int k) {
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double acc = 0.0;
      const float* xr = x + static_cast<std::int64_t>(i) * k;
      const float* wr = w + static_cast<std::int64_t>(j) * k;
      for (int kk = 0; kk < k; ++kk) acc += static_cast<double>(xr[kk]) * wr[kk];
      y[static_cast<std::int64_t>(i) * n + j] = static_cast<float>(acc);
    }
  }
}

float AttentionDims::scale() const { return 1.0f / std::sqrt(static_cast<float>(head_dim)); }

void attention_dense(const float* q, const float* k, const float* v, float* out, int nq, int nk,
                     const AttentionDims& d, bool causal, int q_offset) {
  const int group = d.heads / d.kv_heads;
  std::vector<double> scores(static_cast<std::size_t>(nk));
  for (int i = 0; i < nq; ++i) {
    const int visible = causal ? std::min(nk, q_offset + i + 1) : nk;
    for (int h = 0; h < d.heads; ++h) {
      const int kvh = h / group;
      const float* qr = q + (static_cast<std::int64_t>(i) * d.heads + h) * d.head_dim;
      double max_s = -std::numeric_limits<double>::infinity();
      for (int j = 0; j < visible; ++j) {
        const float* kr = k + (static_cast<std::int64_t>(j) * d.kv_heads + kvh) * d.head_dim;
        double s = 0.0;
        for (int e = 0; e < d.head_dim; ++e) s += static_cast<double>(qr[e]) * kr[e];
        scores[static_cast<std::size_t>(j)] = s * d.scale();
        max_s = std::max(max_s, scores[static_cast<std::size_t>(j)]);
      }
      double denom = 0.0;
      for (int j = 0; j < visible; ++j) {
        scores[static_cast<std::size_t>(j)] = std::exp(scores[static_cast<std::size_t>(j)] - max_s);
        denom += scores[static_cast<std::size_t>(j)];
      }
      float* o = out + (static_cast<std::int64_t>(i) * d.heads + h) * d.head_dim;
      for (int e = 0; e < d.head_dim; ++e) {
        double acc = 0.0;
        for (int j = 0; j < visible; ++j)
          acc += scores[static_cast<std::size_t>(j)] * v[(static_cast<std::int64_t>(j) * d.kv_heads + kvh) * d.head_dim + e];
        o[e] = visible > 0 ? static_cast<float>(acc / denom) : 0.0f;
      }
    }
  }
}

namespace {

// Attention of one query head over tokens [t0, t1) of a paged sequence:
// the normalised output and log-sum-exp of the scaled scores.
void paged_range(const float* qr, const float* k_cache, const float* v_cache, const int32_t* blocks, int t0, int t1,
                 int kvh, const AttentionDims& d, float* o, float* lse) {
  if (t1 <= t0) {
    std::fill(o, o + d.head_dim, 0.0f);
    *lse = -std::numeric_limits<float>::infinity();
    return;
  }
  std::vector<double> p(static_cast<std::size_t>(t1 - t0));
  double max_s = -std::numeric_limits<double>::infinity();
  for (int t = t0; t < t1; ++t) {
    const std::int64_t base = cache_index(blocks[t / kBlockSize], kvh, t % kBlockSize, 0, d.kv_heads, d.head_dim);
    double s = 0.0;
    for (int e = 0; e < d.head_dim; ++e) s += static_cast<double>(qr[e]) * k_cache[base + e];
    p[static_cast<std::size_t>(t - t0)] = s * d.scale();
    max_s = std::max(max_s, p[static_cast<std::size_t>(t - t0)]);
  }
  double denom = 0.0;
  for (double& x : p) {
    x = std::exp(x - max_s);
    denom += x;
  }
  std::vector<double> acc(static_cast<std::size_t>(d.head_dim), 0.0);
  for (int t = t0; t < t1; ++t) {
    const std::int64_t base = cache_index(blocks[t / kBlockSize], kvh, t % kBlockSize, 0, d.kv_heads, d.head_dim);
    for (int e = 0; e < d.head_dim; ++e) acc[static_cast<std::size_t>(e)] += p[static_cast<std::size_t>(t - t0)] * v_cache[base + e];
  }
  for (int e = 0; e < d.head_dim; ++e) o[e] = static_cast<float>(acc[static_cast<std::size_t>(e)] / denom);
  *lse = static_cast<float>(max_s + std::log(denom));
}

}  // namespace

void decode_attention_paged(const float* q, const float* k_cache, const float* v_cache, const int32_t* block_table,
                            int max_blocks_per_seq, const int32_t* context_lens, int batch, const AttentionDims& d,
                            float* out) {
  const int group = d.heads / d.kv_heads;
  for (int b = 0; b < batch; ++b) {
    const int32_t* blocks = block_table + static_cast<std::int64_t>(b) * max_blocks_per_seq;
    for (int h = 0; h < d.heads; ++h) {
      const std::int64_t row = (static_cast<std::int64_t>(b) * d.heads + h) * d.head_dim;
      float lse = 0.0f;
      paged_range(q + row, k_cache, v_cache, blocks, 0, context_lens[b], h / group, d, out + row, &lse);
    }
  }
}

void decode_attention_split(const float* q, const float* k_cache, const float* v_cache, const int32_t* block_table,
                            int max_blocks_per_seq, const int32_t* context_lens, int batch, const AttentionDims& d,
                            int tokens_per_split, int splits, float* partial_out, float* partial_lse) {
  const int group = d.heads / d.kv_heads;
  for (int b = 0; b < batch; ++b) {
    const int32_t* blocks = block_table + static_cast<std::int64_t>(b) * max_blocks_per_seq;
    for (int h = 0; h < d.heads; ++h) {
      const float* qr = q + (static_cast<std::int64_t>(b) * d.heads + h) * d.head_dim;
      for (int s = 0; s < splits; ++s) {
        const std::int64_t idx = (static_cast<std::int64_t>(b) * d.heads + h) * splits + s;
        const int t0 = std::min(context_lens[b], s * tokens_per_split);
        const int t1 = std::min(context_lens[b], (s + 1) * tokens_per_split);
        paged_range(qr, k_cache, v_cache, blocks, t0, t1, h / group, d, partial_out + idx * d.head_dim,
                    partial_lse + idx);
      }
    }
  }
}

void combine_splits(const float* partial_out, const float* partial_lse, int batch, int heads, int splits,
                    int head_dim, float* out) {
  for (std::int64_t bh = 0; bh < static_cast<std::int64_t>(batch) * heads; ++bh) {
    double max_lse = -std::numeric_limits<double>::infinity();
    for (int s = 0; s < splits; ++s) max_lse = std::max(max_lse, static_cast<double>(partial_lse[bh * splits + s]));
    float* o = out + bh * head_dim;
    std::fill(o, o + head_dim, 0.0f);
    if (std::isinf(max_lse)) continue;  // no tokens at all
    double wsum = 0.0;
    std::vector<double> acc(static_cast<std::size_t>(head_dim), 0.0);
    for (int s = 0; s < splits; ++s) {
      const double lse = partial_lse[bh * splits + s];
      if (std::isinf(lse)) continue;
      const double w = std::exp(lse - max_lse);
      wsum += w;
      for (int e = 0; e < head_dim; ++e) acc[static_cast<std::size_t>(e)] += w * partial_out[(bh * splits + s) * head_dim + e];
    }
    for (int e = 0; e < head_dim; ++e) o[e] = static_cast<float>(acc[static_cast<std::size_t>(e)] / wsum);
  }
}

void prefill_attention_paged(const float* q, const float* k_cache, const float* v_cache, const int32_t* block_table,
                             int prefix, int chunk, const AttentionDims& d, float* out) {
  const int group = d.heads / d.kv_heads;
  for (int i = 0; i < chunk; ++i) {
    for (int h = 0; h < d.heads; ++h) {
      const std::int64_t row = (static_cast<std::int64_t>(i) * d.heads + h) * d.head_dim;
      float lse = 0.0f;
      paged_range(q + row, k_cache, v_cache, block_table, 0, prefix + i + 1, h / group, d, out + row, &lse);
    }
  }
}

void add_rmsnorm(const float* x, float* residual, const float* weight, float* out, int tokens, int hidden, float eps) {
  for (int t = 0; t < tokens; ++t) {
    const std::int64_t row = static_cast<std::int64_t>(t) * hidden;
    double sum_sq = 0.0;
    for (int i = 0; i < hidden; ++i) {
      const float r = round_to_bf16(residual[row + i] + x[row + i]);
      residual[row + i] = r;
      sum_sq += static_cast<double>(r) * r;
    }
    const double inv_rms = 1.0 / std::sqrt(sum_sq / hidden + eps);
    for (int i = 0; i < hidden; ++i) out[row + i] = static_cast<float>(residual[row + i] * inv_rms * weight[i]);
  }
}

void rope_cos_sin_cache(int max_position, int head_dim, float theta, float* cache) {
  const int half = head_dim / 2;
  for (int p = 0; p < max_position; ++p) {
    for (int i = 0; i < half; ++i) {
      const double inv_freq = std::pow(static_cast<double>(theta), -2.0 * i / head_dim);
      const double angle = p * inv_freq;
      cache[static_cast<std::int64_t>(p) * head_dim + i] = static_cast<float>(std::cos(angle));
      cache[static_cast<std::int64_t>(p) * head_dim + half + i] = static_cast<float>(std::sin(angle));
    }
  }
}

void rope_neox(const float* q, const float* k, const int32_t* positions, float* q_out, float* k_out, int tokens,
               int heads, int kv_heads, int head_dim, float theta) {
  const int half = head_dim / 2;
  auto rotate = [&](const float* in, float* o, int nh, int t) {
    for (int h = 0; h < nh; ++h) {
      const std::int64_t base = (static_cast<std::int64_t>(t) * nh + h) * head_dim;
      for (int i = 0; i < half; ++i) {
        const double inv_freq = std::pow(static_cast<double>(theta), -2.0 * i / head_dim);
        const double angle = positions[t] * inv_freq;
        const double c = std::cos(angle), s = std::sin(angle);
        const double x1 = in[base + i], x2 = in[base + half + i];
        o[base + i] = static_cast<float>(x1 * c - x2 * s);
        o[base + half + i] = static_cast<float>(x2 * c + x1 * s);
      }
    }
  };
  for (int t = 0; t < tokens; ++t) {
    rotate(q, q_out, heads, t);
    rotate(k, k_out, kv_heads, t);
  }
}

void silu_gate(const float* gate_up, float* out, int tokens, int intermediate) {
  for (int t = 0; t < tokens; ++t) {
    const float* row = gate_up + static_cast<std::int64_t>(t) * 2 * intermediate;
    for (int i = 0; i < intermediate; ++i) {
      const double g = row[i];
      out[static_cast<std::int64_t>(t) * intermediate + i] = static_cast<float>(g / (1.0 + std::exp(-g)) * row[intermediate + i]);
    }
  }
}

void kv_append(const float* k, const float* v, const int64_t* slot_mapping, float* k_cache, float* v_cache,
               int tokens, int kv_heads, int head_dim) {
  for (int t = 0; t < tokens; ++t) {
    const int64_t block = slot_mapping[t] / kBlockSize;
    const int offset = static_cast<int>(slot_mapping[t] % kBlockSize);
    for (int h = 0; h < kv_heads; ++h) {
      const std::int64_t src = (static_cast<std::int64_t>(t) * kv_heads + h) * head_dim;
      const std::int64_t dst = cache_index(block, h, offset, 0, kv_heads, head_dim);
      std::copy(k + src, k + src + head_dim, k_cache + dst);
      std::copy(v + src, v + src + head_dim, v_cache + dst);
    }
  }
}

}  // namespace capstan::calibration::reference
