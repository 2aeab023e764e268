#pragma once
// Catalog entries: what a GPU and an LLM are, as the models need them.
// Figures come from data files in models/catalog/ with their sources; a
// scenario may override any entry.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace capstan::catalog {

struct GpuPrice {
  double on_demand_usd_per_hour = 0.0;  // per GPU
  double spot_usd_per_hour = 0.0;       // per GPU
};

// How a node is paid for: by the hour on demand, at the spot market's price
// (reclaimable), reserved or committed for one or three years (billed
// whether used or not), or owned (capital amortised plus power and
// colocation, billed whether used or not).
enum class Basis { kOnDemand, kSpot, kReserved1y, kReserved3y, kOwned };
inline constexpr int kBases = 5;
inline constexpr double kHoursPerYear = 8760.0;   // a year of 365 days, as clouds bill commitments
inline constexpr double kHoursPerMonth = kHoursPerYear / 12.0;
// The scenario's and the catalog's names: "on_demand", "spot", "reserved_1y", "reserved_3y", "owned".
const char* basis_name(Basis b);

// An instance's price per instance-hour in one region, by basis; a basis the
// cloud does not sell there is negative.
struct InstancePrice {
  double usd_per_hour[kBases] = {-1.0, -1.0, -1.0, -1.0, -1.0};
  double at(Basis b) const { return usd_per_hour[static_cast<int>(b)]; }
  bool offers(Basis b) const { return at(b) >= 0.0; }
};

// A machine a cloud rents (or one a user owns): its GPUs, host and network,
// and its prices by region. Names are canonical lowercase; api_name is the
// cloud's own spelling, which Kubernetes node labels carry.
struct InstanceSpec {
  std::string name;
  std::string api_name;
  std::string cloud;                      // "aws", "gcp", "azure" or "generic"
  std::string gpu;                        // GPU catalog name
  int gpus = 0;
  double vcpus = 0.0;
  double memory_gib = 0.0;
  double local_nvme_gb = 0.0;
  std::string gpu_interconnect;           // "nvlink" or "pcie"
  double gpu_interconnect_gb_per_s = 0.0; // per GPU, one direction
  double network_gbps = 0.0;
  std::map<std::string, InstancePrice> prices;  // by region; a generic instance's one price is under "*"
  // Own hardware (cloud "generic"): what the hourly price is made of.
  double capital_usd = 0.0;
  double amortisation_years = 0.0;
  double power_usd_per_month = 0.0;
  double colocation_usd_per_month = 0.0;
  std::string source;
  std::string price_note;

  // The price in `region`, or nullptr where the cloud does not offer it there.
  const InstancePrice* price_in(const std::string& region) const {
    auto it = prices.find(cloud == "generic" ? std::string("*") : region);
    return it == prices.end() ? nullptr : &it->second;
  }
};

// How fast real serving kernels run on one GPU, as shares of its datasheet
// peaks plus the fixed costs the peaks do not show. The roofline model
// (models/calibration/roofline.h) prices every operator from these; each
// figure is in the catalog data with its public or measured source
// (gpus.json, "kernels"; docs/accuracy.md compares them with the sources).
struct KernelFigures {
  // Dense GEMMs (cuBLAS). Each output tile of one of `gemm_tiles` (rows x
  // columns) runs on one SM; a GEMM takes the tile whose whole waves finish
  // first. Compute and weight streaming blend smoothly:
  // t = floor + (t_compute^p + t_memory^p)^(1/p), p = gemm_transition_exponent.
  double gemm_flops_share = 0.0;      // of bf16_tflops, in full waves
  double gemm_bandwidth_share = 0.0;  // of hbm_tb_per_s, streaming weights
  double gemm_floor_us = 0.0;
  double gemm_transition_exponent = 0.0;
  std::vector<std::pair<int, int>> gemm_tiles;
  // Element-wise kernels (norms, RoPE, activation, KV append, embedding).
  double elementwise_bandwidth_share = 0.0;
  double launch_floor_us = 0.0;       // per element-wise launch
  // Prefill attention (FlashAttention-2, variable-length chunks in one launch):
  // each head's chunk splits into query tiles of `prefill_tile_rows` rows,
  // and the kernel reaches its full compute rate only with
  // saturating_tiles_per_sm tiles per SM or more, its full rate of streaming
  // K and V only with kv_saturating_tiles_per_sm:
  // t = floor + max(flops / (peak * flops_share * min(1, tiles / (saturating * SMs))),
  //                 bytes / (hbm * kv_bandwidth_share * min(1, tiles / (kv_saturating * SMs)))).
  double prefill_flops_share = 0.0;
  double prefill_kv_bandwidth_share = 0.0;
  double prefill_floor_us = 0.0;
  double prefill_saturating_tiles_per_sm = 0.0;
  double prefill_kv_saturating_tiles_per_sm = 0.0;
  int prefill_tile_rows = 0;
  // Decode attention over the paged KV cache:
  // t = floor + per_sequence_us * seqs + bytes / (hbm * bandwidth_share).
  double decode_bandwidth_share = 0.0;
  double decode_floor_us = 0.0;
  double decode_per_sequence_us = 0.0;
  // All-reduce of a message over tp GPUs, its ring bytes w = 2 (tp-1)/tp
  // message: t = floor + min(w, w_L) / (link * share)
  //            + max(0, w - w_L) / (link * large_share),
  // w_L the ring bytes of an all_reduce_large_message_bytes message: the
  // engines' own all-reduce kernels up to that size, NCCL's rings past it.
  double interconnect_share = 0.0;
  double all_reduce_floor_us = 0.0;
  double all_reduce_large_message_bytes = 0.0;  // infinity: share at every size
  double interconnect_large_share = 0.0;
  // FlashAttention-3 prefill (Hopper only; engines.json says which engines
  // run it): the prefill_attention figures above for that kernel, or
  // has_fa3 false where the GPU has no such kernel.
  bool has_fa3 = false;
  double fa3_flops_share = 0.0;
  double fa3_floor_us = 0.0;
  // Where each group's figures come from: "gemm", "elementwise",
  // "prefill_attention", "prefill_attention_fa3", "decode_attention", "interconnect".
  std::map<std::string, std::string> sources;
};

struct GpuSpec {
  std::string name;
  double memory_gib = 0.0;
  double bf16_tflops = 0.0;             // dense, datasheet
  double fp8_tflops = 0.0;              // dense FP8 tensor-core peak, datasheet; 0: none (Ampere and older)
  double fp4_tflops = 0.0;              // dense FP4 tensor-core peak, datasheet; 0: none (before Blackwell)
  double hbm_tb_per_s = 0.0;            // datasheet
  double interconnect_gb_per_s = 0.0;   // per GPU, one direction (NVLink, else PCIe)
  int sm_count = 0;                      // streaming multiprocessors, datasheet
  std::string architecture;              // "ampere", "ada", "hopper", "blackwell", "cdna3" (AMD): picks an engine's kernels
  KernelFigures kernels;
  GpuPrice price;                        // default price
  std::map<std::string, GpuPrice> price_by_region;  // cloud region -> price
  std::string source;
  std::string price_note;                // where and when the prices were sampled

  const GpuPrice& price_in(const std::string& region) const {
    auto it = price_by_region.find(region);
    return it == price_by_region.end() ? price : it->second;
  }
};

// A serving engine (vLLM, SGLang, TensorRT-LLM): the kernels it launches
// around the model's GEMMs and attention, whether it replays them from CUDA
// graphs, its host time per iteration and whether that overlaps the GPU, and
// the time a request spends in its front end. The roofline
// (models/calibration/roofline.h) prices the launches and host time; the
// world adds the front end to each request (docs/serving.md). Figures and
// their public sources: models/catalog/data/engines.json.
struct EngineSpec {
  std::string name;
  std::string version;
  // Kernels per decoder layer.
  bool fused_add_rms_norm = true;   // residual add inside the norm: one launch, four passes (else two, five)
  bool fused_silu_mul = true;       // SiLU and the gate product: one launch, three passes (else two, five)
  bool rope_in_attention = false;   // RoPE and the KV-cache write run inside the attention kernel
  std::map<std::string, std::string> attention;  // GPU architecture -> prefill attention kernel, "fa2" or "fa3"
  // CUDA graphs: an iteration of at most this many tokens replays captured
  // launches and pays no host time per launch; 0: none (eager).
  int cuda_graph_max_tokens = 0;
  bool cuda_graph_mixed = false;    // iterations with prefill chunks replay graphs too (else decode-only ones)
  // Host.
  double launch_us = 0.0;           // host time per kernel launched outside a graph
  double iteration_ms = 0.0;        // scheduling, input preparation and sampling per iteration
  double per_sequence_us = 0.0;     // and per sequence in the batch
  bool overlap = false;             // the next iteration's host work runs while the GPU computes this one
  // Front end, per request, outside the engine's iterations.
  double request_ms = 0.0;          // HTTP, tokenisation and hand-off before the engine sees the request
  double stream_us = 0.0;           // from the engine emitting a token to the client reading it (detokenised, framed, sent)
  // Where each group's figures come from: "kernels", "cuda_graphs", "host", "frontend".
  std::map<std::string, std::string> sources;
  std::string source;

  // The prefill attention kernel on a GPU of `architecture` ("fa2" when the engine names none).
  const std::string& attention_on(const std::string& architecture) const {
    static const std::string fa2 = "fa2";
    auto it = attention.find(architecture);
    return it == attention.end() ? fa2 : it->second;
  }
};

struct LlmSpec {
  std::string name;
  int layers = 0;
  int hidden = 0;
  int heads = 0;
  int kv_heads = 0;
  int head_dim = 0;          // hidden / heads unless the architecture says otherwise
  int intermediate = 0;      // MLP inner size (gated: gate and up each this wide); in a
                             // mixture of experts, its shared expert's (0: none)
  int vocab = 0;
  // Mixture of experts (experts 0: a dense model). Every layer routes each
  // token to experts_per_token of `experts` gated MLPs, each
  // expert_intermediate wide, through a router GEMM (hidden x experts); a
  // shared expert (`intermediate` wide) runs on every token beside them.
  int experts = 0;
  int experts_per_token = 0;
  int expert_intermediate = 0;
  // Layers of a mixture of experts whose MLP is dense instead (DeepSeek's
  // first layers, Llama 4 Maverick's every other one): a gated MLP
  // dense_intermediate wide, no router, no experts, no shared expert.
  int dense_layers = 0;
  int dense_intermediate = 0;
  double bytes_per_param = 2.0;  // bf16 weights (the deployment's precision may change it)
  // The precision a deployment serves it in (scenario.md, deployments):
  // activations and element-wise work at activation_bytes, the KV cache at
  // kv_bytes an element, and the GEMMs on the tensor cores of
  // gemm_precision ("bf16", "fp8" or "fp4") at that precision's peak.
  double activation_bytes = 2.0;
  double kv_bytes = 2.0;
  std::string gemm_precision = "bf16";
  // A mixture of experts served with expert parallelism (vLLM's
  // --enable-expert-parallel, tensor-parallel attention): each of the tp GPUs
  // holds experts/tp experts whole instead of a 1/tp slice of every one.
  bool expert_parallel = false;
  // And with data-parallel attention (SGLang's --enable-dp-attention, vLLM's
  // --data-parallel-size with expert parallelism): each of the tp GPUs runs
  // attention and the dense MLPs for its own share of the batch with their
  // whole weights, holds its own sequences' KV cache, and sends each token to
  // its experts' GPUs and back (all-to-all dispatch and combine) instead of
  // all-reducing.
  bool data_parallel_attention = false;
  // Multi-head latent attention (DeepSeek V2 and V3; kv_lora_rank 0: none).
  // Each token caches one compressed latent of kv_lora_rank plus a shared
  // RoPE key of qk_rope_head_dim, for all heads; queries come through a
  // q_lora_rank bottleneck (0: straight from the hidden state), each head's
  // query and key qk_nope_head_dim + qk_rope_head_dim wide, its value
  // v_head_dim. heads and kv_heads count attention heads as before;
  // head_dim is unused.
  int kv_lora_rank = 0;
  int q_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;
  // Sliding-window attention (Mistral, Gemma 2 and 3, gpt-oss):
  // window_layers of the layers attend over only the last attention_window
  // tokens; the others over the whole context. 0: every layer full.
  int attention_window = 0;
  int window_layers = 0;
  bool classifier = false;   // a classification head (moderation): no LM head, one output token
  int num_labels = 0;        // classifier outputs
  bool gated_mlp = true;     // SwiGLU (gate, up, down) vs. a plain two-matrix MLP (BERT)
  bool tied_embeddings = false;  // the LM head reuses the embedding matrix (no separate head weights)
  int max_context_tokens = 8192; // longest sequence the model accepts (prompt + output)
  std::string repository;        // where the weights are published (a Hugging Face repository id)
  std::string source;

  bool moe() const { return experts > 0; }
  bool mla() const { return kv_lora_rank > 0; }
  int moe_layers() const { return moe() ? layers - dense_layers : 0; }
  // Parameters of the transformer blocks, embeddings and head: every
  // expert's (all resident in memory), and those one token runs through.
  double parameters() const;
  double active_parameters() const;
  double weight_bytes() const { return parameters() * bytes_per_param; }
  // The weights a replica of `tp` GPUs holds: the model once, or with
  // data-parallel attention every weight but the routed experts' on each GPU.
  double replica_weight_bytes(int tp) const {
    if (!data_parallel_attention) return weight_bytes();
    const double routed = routed_parameters();
    return (routed + (parameters() - routed) * tp) * bytes_per_param;
  }
  // The routed experts' parameters (all of them, in every expert layer).
  double routed_parameters() const;
  // Distinct experts a batch of `tokens` activates per MoE layer, in
  // expectation when each token picks experts_per_token of `experts` at
  // random: E (1 - (1 - k/E)^tokens). 0 for a dense model.
  double expected_active_experts(double tokens) const;
  bool windowed() const { return attention_window > 0 && window_layers > 0; }
  int full_attention_layers() const { return windowed() ? layers - window_layers : layers; }
  // KV-cache bytes one token occupies in one layer (K and V; with latent
  // attention, the latent and the RoPE key).
  double kv_layer_bytes_per_token() const {
    return mla() ? static_cast<double>(kv_lora_rank + qk_rope_head_dim) * kv_bytes : 2.0 * kv_heads * head_dim * kv_bytes;
  }
  // Copies of the KV cache a replica of `tp` GPUs holds: tensor parallelism
  // splits the KV heads and replicates them once there are fewer than GPUs;
  // a latent cache is whole on every GPU.
  double kv_copies(int tp) const {
    if (data_parallel_attention) return 1.0;
    if (mla()) return tp;
    return static_cast<double>(tp) / std::min(tp, kv_heads);
  }
  // The KV cache as an engine with a hybrid allocator lays it out (vLLM's
  // since 0.10, for Gemma and gpt-oss): every token in each full-attention
  // layer, and in each windowed layer at most the window, held per sequence.
  // A model whose every layer is windowed is counted as full (conservative:
  // its sequences' caches are taken to grow with their context).
  double kv_bytes_per_token() const {
    const int counted = full_attention_layers() > 0 ? full_attention_layers() : layers;
    return counted * kv_layer_bytes_per_token();
  }
  // The windowed layers' cache one sequence of at most `max_tokens` holds.
  double kv_window_bytes_per_sequence(double max_tokens) const {
    if (!windowed() || full_attention_layers() == 0) return 0.0;
    return window_layers * kv_layer_bytes_per_token() * std::min<double>(attention_window, max_tokens);
  }
};

namespace detail {
inline double parameters_with(const LlmSpec& m, double experts_counted) {
  const double hidden = m.hidden;
  double q = hidden * m.heads * m.head_dim;
  double kv = 2.0 * hidden * m.kv_heads * m.head_dim;
  double o = static_cast<double>(m.heads) * m.head_dim * hidden;
  if (m.mla()) {
    const double qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
    q = m.q_lora_rank > 0 ? hidden * m.q_lora_rank + m.q_lora_rank * (m.heads * qk) + m.q_lora_rank
                          : hidden * m.heads * qk;
    kv = hidden * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank +
         static_cast<double>(m.kv_lora_rank) * m.heads * (m.qk_nope_head_dim + m.v_head_dim);
    o = static_cast<double>(m.heads) * m.v_head_dim * hidden;
  }
  const double mlp = (m.gated_mlp ? 3.0 : 2.0) * hidden * static_cast<double>(m.intermediate);
  const double router = m.moe() ? hidden * m.experts : 0.0;
  const double routed = experts_counted * 3.0 * hidden * static_cast<double>(m.expert_intermediate);
  const double norms = 2.0 * hidden;
  const double embed = static_cast<double>(m.vocab) * hidden;
  const double head = m.classifier        ? hidden * m.num_labels
                      : m.tied_embeddings ? 0.0
                                          : static_cast<double>(m.vocab) * hidden;
  if (m.dense_layers == 0) return m.layers * (q + kv + o + mlp + router + routed + norms) + embed + head + hidden;
  const double dense = (m.gated_mlp ? 3.0 : 2.0) * hidden * static_cast<double>(m.dense_intermediate);
  return m.layers * (q + kv + o + norms) + m.moe_layers() * (mlp + router + routed) + m.dense_layers * dense + embed +
         head + hidden;
}
}  // namespace detail

inline double LlmSpec::parameters() const { return detail::parameters_with(*this, moe() ? experts : 0.0); }

inline double LlmSpec::routed_parameters() const {
  return moe() ? parameters() - detail::parameters_with(*this, 0.0) : 0.0;
}

inline double LlmSpec::active_parameters() const {
  return detail::parameters_with(*this, moe() ? experts_per_token : 0.0);
}

inline double LlmSpec::expected_active_experts(double tokens) const {
  if (!moe() || !(tokens > 0.0)) return 0.0;
  const double e = experts, k = experts_per_token;
  if (k >= e) return e;
  // (1 - k/E)^T through log1p: exact for small k/E and large T alike.
  return e * -std::expm1(tokens * std::log1p(-k / e));
}

}  // namespace capstan::catalog
