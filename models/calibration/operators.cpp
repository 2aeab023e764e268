#include "models/calibration/operators.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace capstan::calibration {

namespace {

constexpr std::array<std::string_view, kOperatorCount> kNames = {
    "qkv_gemm",   "o_gemm",   "gate_up_gemm", "down_gemm", "lm_head_gemm", "decode_attention", "prefill_attention",
    "add_rmsnorm", "rope",    "silu_gate",    "kv_append", "embedding",    "all_reduce",
    "router_gemm", "expert_gate_up_gemm", "expert_down_gemm", "moe_permute", "all_to_all"};

}  // namespace

std::string_view operator_name(Operator op) { return kNames.at(static_cast<std::size_t>(op)); }

Operator operator_from_name(std::string_view name) {
  for (int i = 0; i < kOperatorCount; ++i) {
    if (kNames[static_cast<std::size_t>(i)] == name) return static_cast<Operator>(i);
  }
  throw std::invalid_argument("unknown operator '" + std::string(name) + "'");
}

bool is_gemm(Operator op) {
  return op == Operator::kQkvGemm || op == Operator::kOGemm || op == Operator::kGateUpGemm ||
         op == Operator::kDownGemm || op == Operator::kLmHeadGemm || op == Operator::kRouterGemm;
}

bool is_expert_gemm(Operator op) { return op == Operator::kExpertGateUpGemm || op == Operator::kExpertDownGemm; }

bool is_moe(Operator op) { return op >= Operator::kRouterGemm; }

GemmShape gemm_shape(Operator op, const catalog::LlmSpec& llm, int tensor_parallel, bool dense_layer) {
  // Data-parallel attention runs attention's and the dense MLPs' GEMMs whole on each GPU.
  const bool whole = llm.data_parallel_attention && op != Operator::kLmHeadGemm && op != Operator::kRouterGemm &&
                     !is_expert_gemm(op);
  const std::int64_t tp = whole ? 1 : std::max(1, tensor_parallel);
  const std::int64_t hidden = llm.hidden;
  const std::int64_t q_cols = static_cast<std::int64_t>(llm.heads) * llm.head_dim;
  // KV heads are replicated, not split, once there are fewer of them than GPUs.
  const std::int64_t kv_heads_gpu = std::max<std::int64_t>(1, llm.kv_heads / tp);
  if (llm.mla() && (op == Operator::kQkvGemm || op == Operator::kOGemm)) {
    GemmShape shapes[3];
    mla_qkv_shapes(llm, static_cast<int>(tp), shapes);
    return op == Operator::kQkvGemm ? shapes[0]
                                    : GemmShape{static_cast<std::int64_t>(llm.heads) * llm.v_head_dim / tp, hidden};
  }
  switch (op) {
    case Operator::kQkvGemm:
      return {hidden, q_cols / tp + 2 * kv_heads_gpu * llm.head_dim};
    case Operator::kOGemm:
      return {q_cols / tp, hidden};
    case Operator::kGateUpGemm:
      return {hidden, 2 * static_cast<std::int64_t>(dense_layer ? llm.dense_intermediate : llm.intermediate) / tp};
    case Operator::kDownGemm:
      return {static_cast<std::int64_t>(dense_layer ? llm.dense_intermediate : llm.intermediate) / tp, hidden};
    case Operator::kRouterGemm:  // small and replicated: every GPU scores every expert
      return {hidden, std::max<std::int64_t>(1, llm.experts)};
    case Operator::kExpertGateUpGemm: {
      const std::int64_t split = llm.expert_parallel ? 1 : tp;  // whole experts, or a slice of each
      return {hidden, std::max<std::int64_t>(1, 2 * static_cast<std::int64_t>(llm.expert_intermediate) / split)};
    }
    case Operator::kExpertDownGemm: {
      const std::int64_t split = llm.expert_parallel ? 1 : tp;
      return {std::max<std::int64_t>(1, static_cast<std::int64_t>(llm.expert_intermediate) / split), hidden};
    }
    case Operator::kLmHeadGemm: {
      // A classifier's head has a handful of outputs; it is not worth splitting.
      const std::int64_t n = llm.classifier ? std::max(1, llm.num_labels) : std::max<std::int64_t>(1, llm.vocab / tp);
      return {hidden, n};
    }
    default:
      throw std::invalid_argument("operator '" + std::string(operator_name(op)) + "' is not a GEMM");
  }
}

int mla_qkv_shapes(const catalog::LlmSpec& llm, int tensor_parallel, GemmShape out[3]) {
  const std::int64_t tp = std::max(1, tensor_parallel);
  const std::int64_t heads_gpu = std::max<std::int64_t>(1, llm.heads / tp);
  const std::int64_t qk = llm.qk_nope_head_dim + llm.qk_rope_head_dim;
  const std::int64_t latent = llm.kv_lora_rank + llm.qk_rope_head_dim;
  int n = 0;
  out[n++] = {llm.hidden, (llm.q_lora_rank > 0 ? llm.q_lora_rank : heads_gpu * qk) + latent};
  if (llm.q_lora_rank > 0) out[n++] = {llm.q_lora_rank, heads_gpu * qk};
  out[n++] = {llm.kv_lora_rank, heads_gpu * (llm.qk_nope_head_dim + llm.v_head_dim)};
  return n;
}

double WorkFormulas::heads() const { return static_cast<double>(llm.heads) / attention_tp(); }

double WorkFormulas::kv_heads() const { return std::max(1.0, static_cast<double>(llm.kv_heads / attention_tp())); }

double WorkFormulas::gemm_flops(Operator op, double rows, bool dense_layer) const {
  if (llm.mla() && op == Operator::kQkvGemm) {
    GemmShape shapes[3];
    double flops = 0.0;
    for (int i = 0, n = mla_qkv_shapes(llm, attention_tp(), shapes); i < n; ++i)
      flops += 2.0 * rows * static_cast<double>(shapes[i].k) * static_cast<double>(shapes[i].n);
    return flops;
  }
  const GemmShape s = gemm_shape(op, llm, tp, dense_layer);
  return 2.0 * rows * static_cast<double>(s.k) * static_cast<double>(s.n);
}

double WorkFormulas::gemm_bytes(Operator op, double rows, bool dense_layer) const {
  if (llm.mla() && op == Operator::kQkvGemm) {
    GemmShape shapes[3];
    double bytes = 0.0;
    for (int i = 0, n = mla_qkv_shapes(llm, attention_tp(), shapes); i < n; ++i) bytes += shape_bytes(shapes[i], rows);
    return bytes;
  }
  return shape_bytes(gemm_shape(op, llm, tp, dense_layer), rows);
}

double WorkFormulas::shape_bytes(GemmShape s, double rows) const {
  // Weights once, activations in and out; the weights dominate at small M.
  const double k = static_cast<double>(s.k), n = static_cast<double>(s.n);
  return k * n * llm.bytes_per_param + (rows * k + rows * n) * llm.activation_bytes;
}

double WorkFormulas::expert_gemm_rows(double tokens) const {
  // Expert parallelism: a GPU runs its experts' share of the routed rows.
  return tokens * llm.experts_per_token / (llm.expert_parallel ? tp : 1);
}

double WorkFormulas::expert_gemm_groups(double tokens) const {
  return llm.expected_active_experts(tokens) / (llm.expert_parallel ? tp : 1);
}

double WorkFormulas::expert_gemm_flops(Operator op, double tokens) const {
  const GemmShape s = gemm_shape(op, llm, tp);
  return 2.0 * expert_gemm_rows(tokens) * static_cast<double>(s.k) * static_cast<double>(s.n);
}

double WorkFormulas::expert_gemm_bytes(Operator op, double tokens) const {
  const GemmShape s = gemm_shape(op, llm, tp);
  const double k = static_cast<double>(s.k), n = static_cast<double>(s.n);
  const double rows = expert_gemm_rows(tokens);
  return expert_gemm_groups(tokens) * k * n * llm.bytes_per_param + (rows * k + rows * n) * llm.activation_bytes;
}

double WorkFormulas::decode_flops(double context_tokens) const {
  // QK^T and PV: 2 multiply-adds per head dimension per cached token per head.
  // Latent attention decodes absorbed: scores over the latent and the RoPE
  // key, values over the latent.
  if (llm.mla()) return 2.0 * heads() * (2.0 * llm.kv_lora_rank + llm.qk_rope_head_dim) * context_tokens;
  return 4.0 * heads() * llm.head_dim * context_tokens;
}

double WorkFormulas::decode_bytes(double seqs, double context_tokens) const {
  if (llm.mla()) {  // one latent a token for every head; each head's query and output over it
    const double latent = llm.kv_lora_rank + llm.qk_rope_head_dim;
    return latent * llm.kv_bytes * context_tokens +
           heads() * (latent + llm.kv_lora_rank) * llm.activation_bytes * seqs;
  }
  const double kv_per_token = 2.0 * kv_heads() * llm.head_dim * llm.kv_bytes;  // K and V
  const double q_and_out_per_seq = 2.0 * heads() * llm.head_dim * llm.activation_bytes;
  return kv_per_token * context_tokens + q_and_out_per_seq * seqs;
}

double WorkFormulas::pair_flops() const {
  // One query against one key, QK^T and PV, over this GPU's heads; latent
  // attention prefills expanded, as multi-head attention over its query/key
  // and value widths.
  if (llm.mla()) return 2.0 * heads() * (llm.qk_nope_head_dim + llm.qk_rope_head_dim + llm.v_head_dim);
  return 4.0 * heads() * llm.head_dim;
}

double WorkFormulas::prefill_flops(double chunk, double prefix, double window) const {
  // Causal: the i-th new token attends over prefix + i tokens; on average prefix + chunk/2.
  if (!(window > 0.0)) return pair_flops() * chunk * (prefix + chunk / 2.0);
  // Within a window of w: over min(prefix + x, w) tokens, x running over the
  // chunk; the integral of the same continuous form.
  const double rising = std::clamp(window - prefix, 0.0, chunk);
  const double spans = rising * prefix + rising * rising / 2.0 + (chunk - rising) * window;
  return pair_flops() * spans;
}

double WorkFormulas::prefill_bytes(double chunk, double prefix, double window) const {
  const double read = window > 0.0 ? std::min(prefix + chunk, window + chunk) : prefix + chunk;
  if (llm.mla()) {
    const double qk = llm.qk_nope_head_dim + llm.qk_rope_head_dim;
    return llm.kv_layer_bytes_per_token() * read + heads() * (qk + llm.v_head_dim) * llm.activation_bytes * chunk;
  }
  const double kv = 2.0 * kv_heads() * llm.head_dim * llm.kv_bytes * read;
  const double q_and_out = 2.0 * heads() * llm.head_dim * llm.activation_bytes * chunk;
  return kv + q_and_out;
}

double WorkFormulas::elementwise_bytes(Operator op, double tokens) const {
  const double b = llm.activation_bytes;
  switch (op) {
    case Operator::kAddRmsNorm:  // read x and residual, write the new residual and the normed x
      return 4.0 * tokens * llm.hidden * b;
    case Operator::kRope:  // read and write Q and K (latent attention: their RoPE parts, one key for all heads)
      if (llm.mla()) return 2.0 * tokens * (heads() + 1.0) * llm.qk_rope_head_dim * b;
      return 2.0 * tokens * (heads() + kv_heads()) * llm.head_dim * b;
    case Operator::kSiluGate:  // read gate and up, write their product
      return 3.0 * tokens * (static_cast<double>(llm.intermediate) / attention_tp()) * b;
    case Operator::kMoePermute:  // one way: read each token once, write a copy per expert (or back: read, sum, write)
      return tokens * (1.0 + llm.experts_per_token) * llm.hidden * b;
    case Operator::kKvAppend:  // read new K and V, write them into their cache blocks (at the cache's precision)
      if (llm.mla()) return tokens * (llm.kv_lora_rank + llm.qk_rope_head_dim) * (b + llm.kv_bytes);
      return 2.0 * tokens * kv_heads() * llm.head_dim * (b + llm.kv_bytes);
    case Operator::kEmbedding:  // gather one row per token, write it
      return 2.0 * tokens * llm.hidden * b;
    default:
      throw std::invalid_argument("operator '" + std::string(operator_name(op)) + "' is not element-wise");
  }
}

double WorkFormulas::all_to_all_bytes(double tokens) const {
  if (tp <= 1) return 0.0;
  return tokens / tp * llm.experts_per_token * (tp - 1.0) / tp * llm.hidden * llm.activation_bytes;
}

double WorkFormulas::all_reduce_wire_bytes(double tokens) const {
  // A ring all-reduce sends 2(tp-1)/tp of the buffer through each GPU's link.
  if (tp <= 1) return 0.0;
  return 2.0 * (tp - 1.0) / tp * tokens * llm.hidden * llm.activation_bytes;
}

IterationWork iteration_work(const catalog::LlmSpec& llm, int tensor_parallel, std::int64_t decode_seqs,
                             std::span<const PrefillChunk> prefills) {
  if (tensor_parallel < 1) throw std::invalid_argument("tensor_parallel must be >= 1");
  if (decode_seqs < 0) throw std::invalid_argument("decode_seqs must be >= 0");
  double chunk_tokens = 0.0, prefill_flops = 0.0, prefill_bytes = 0.0;
  double emitting_chunks = 0.0;
  const WorkFormulas f{llm, tensor_parallel};
  for (const PrefillChunk& c : prefills) {
    if (c.chunk_tokens < 0 || c.prefix_tokens < 0)
      throw std::invalid_argument("prefill chunk with negative chunk_tokens or prefix_tokens");
    if (c.chunk_tokens == 0) continue;
    const double chunk = static_cast<double>(c.chunk_tokens), prefix = static_cast<double>(c.prefix_tokens);
    chunk_tokens += chunk;
    // Per layer, on average over the full and the windowed layers.
    const double full = llm.full_attention_layers(), windowed = llm.layers - full;
    prefill_flops += (full * f.prefill_flops(chunk, prefix) +
                      (windowed > 0 ? windowed * f.prefill_flops(chunk, prefix, llm.attention_window) : 0.0)) /
                     llm.layers;
    prefill_bytes += (full * f.prefill_bytes(chunk, prefix) +
                      (windowed > 0 ? windowed * f.prefill_bytes(chunk, prefix, llm.attention_window) : 0.0)) /
                     llm.layers;
    emitting_chunks += 1.0;
  }
  // The LM head runs one row per sequence that may emit a token; the contract
  // counts every chunk given, even an empty one (see service_time_model.h).
  const double lm_rows = static_cast<double>(decode_seqs) + static_cast<double>(prefills.size());
  const double decode = static_cast<double>(decode_seqs);
  const double tokens = decode + chunk_tokens;
  const double layers = llm.layers;

  IterationWork w{};
  for (int i = 0; i < kOperatorCount; ++i) w[static_cast<std::size_t>(i)].op = static_cast<Operator>(i);
  auto at = [&w](Operator op) -> OperatorWork& { return w[static_cast<std::size_t>(op)]; };
  if (tokens <= 0.0 && lm_rows <= 0.0) return w;

  // With data-parallel attention one GPU runs attention and the dense MLPs
  // for its share of the batch (the others run theirs beside it).
  const double share = f.token_share();
  const double local = tokens * share;
  if (tokens > 0.0) {
    // The dense MLP (in a mixture of experts, its shared expert, if any).
    const bool mlp = llm.intermediate > 0;
    for (Operator op : {Operator::kQkvGemm, Operator::kOGemm, Operator::kGateUpGemm, Operator::kDownGemm}) {
      if ((op == Operator::kGateUpGemm || op == Operator::kDownGemm) && !mlp) continue;
      at(op) = {op, layers, local, f.gemm_flops(op, local), f.gemm_bytes(op, local), 0.0, 0.0};
    }
    at(Operator::kAddRmsNorm) = {Operator::kAddRmsNorm, 2.0 * layers + 1.0, local, 0.0,
                                 f.elementwise_bytes(Operator::kAddRmsNorm, local), 0.0, 0.0};
    for (Operator op : {Operator::kRope, Operator::kSiluGate, Operator::kKvAppend}) {
      if (op == Operator::kSiluGate && !mlp) continue;
      at(op) = {op, layers, local, 0.0, f.elementwise_bytes(op, local), 0.0, 0.0};
    }
    if (llm.moe()) {
      // One grouped launch per layer for each expert GEMM; the experts' SiLU-gate
      // (each routed row) is one more launch beside the shared expert's.
      const double moe_layers = llm.moe_layers();
      if (llm.dense_layers > 0) {
        // The shared expert runs in the expert layers only; the dense layers
        // run their own MLP. count launches of the average work: the sums
        // are what they compute and move (the roofline times each shape).
        const double dense = llm.dense_layers, shared = mlp ? moe_layers : 0.0;
        for (Operator op : {Operator::kGateUpGemm, Operator::kDownGemm}) {
          at(op) = {op, shared + dense, local,
                    (shared * f.gemm_flops(op, local) + dense * f.gemm_flops(op, local, true)) / (shared + dense),
                    (shared * f.gemm_bytes(op, local) + dense * f.gemm_bytes(op, local, true)) / (shared + dense),
                    0.0, 0.0};
        }
        const double dense_silu = 3.0 * local * (static_cast<double>(llm.dense_intermediate) / f.attention_tp()) *
                                  llm.activation_bytes;
        const double shared_silu = mlp ? f.elementwise_bytes(Operator::kSiluGate, local) : 0.0;
        at(Operator::kSiluGate) = {Operator::kSiluGate, shared + dense, local, 0.0,
                                   (shared * shared_silu + dense * dense_silu) / (shared + dense), 0.0, 0.0};
      }
      at(Operator::kRouterGemm) = {Operator::kRouterGemm, moe_layers, local,
                                   f.gemm_flops(Operator::kRouterGemm, local),
                                   f.gemm_bytes(Operator::kRouterGemm, local), 0.0, 0.0};
      for (Operator op : {Operator::kExpertGateUpGemm, Operator::kExpertDownGemm}) {
        at(op) = {op, moe_layers, tokens, f.expert_gemm_flops(op, tokens), f.expert_gemm_bytes(op, tokens), 0.0, 0.0};
      }
      at(Operator::kMoePermute) = {Operator::kMoePermute, 2.0 * moe_layers, local, 0.0,
                                   f.elementwise_bytes(Operator::kMoePermute, local), 0.0, 0.0};
      const double routed = 3.0 * tokens * llm.experts_per_token *
                            (static_cast<double>(llm.expert_intermediate) / tensor_parallel) * llm.activation_bytes;
      OperatorWork& silu = at(Operator::kSiluGate);
      // count launches of `bytes` each on average: the sum is what they move.
      const double launches = silu.count + moe_layers;
      silu = {Operator::kSiluGate, launches, local, 0.0,
              (silu.count * silu.bytes + moe_layers * routed) / launches, 0.0, 0.0};
    }
    at(Operator::kEmbedding) = {Operator::kEmbedding, 1.0, local, 0.0,
                                f.elementwise_bytes(Operator::kEmbedding, local), 0.0, 0.0};
    if (llm.data_parallel_attention) {
      // Each expert layer sends every token to its experts' GPUs and back.
      if (llm.moe() && tensor_parallel > 1) {
        at(Operator::kAllToAll) = {Operator::kAllToAll, 2.0 * llm.moe_layers(), local, 0.0, f.all_to_all_bytes(tokens),
                                   0.0, 0.0};
      }
    } else if (tensor_parallel > 1) {
      at(Operator::kAllReduce) = {Operator::kAllReduce, 2.0 * layers, tokens, 0.0, f.all_reduce_wire_bytes(tokens),
                                  0.0, 0.0};
    }
  }
  if (decode_seqs > 0) {
    // Per context token of the whole batch: a GPU reads its share of it.
    at(Operator::kDecodeAttention) = {Operator::kDecodeAttention, layers, decode * share,
                                      0.0, f.decode_bytes(decode * share, 0.0), f.decode_flops(1.0) * share,
                                      f.decode_bytes(0.0, 1.0) * share};
  }
  if (emitting_chunks > 0.0) {
    at(Operator::kPrefillAttention) = {Operator::kPrefillAttention, layers, chunk_tokens * share,
                                       prefill_flops * share, prefill_bytes * share, 0.0, 0.0};
  }
  if (lm_rows > 0.0) {
    at(Operator::kLmHeadGemm) = {Operator::kLmHeadGemm, 1.0, lm_rows, f.gemm_flops(Operator::kLmHeadGemm, lm_rows),
                                 f.gemm_bytes(Operator::kLmHeadGemm, lm_rows), 0.0, 0.0};
  }
  return w;
}

}  // namespace capstan::calibration
