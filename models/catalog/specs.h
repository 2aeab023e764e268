#pragma once
// Catalog entries: what a GPU and an LLM are, as the models need them.
// Figures come from data files in models/catalog/ with their sources; a
// scenario may override any entry.
#include <map>
#include <string>

namespace capstan::catalog {

struct GpuPrice {
  double on_demand_usd_per_hour = 0.0;  // per GPU
  double spot_usd_per_hour = 0.0;       // per GPU
};

struct GpuSpec {
  std::string name;
  double memory_gib = 0.0;
  double bf16_tflops = 0.0;             // dense, datasheet
  double hbm_tb_per_s = 0.0;            // datasheet
  double interconnect_gb_per_s = 0.0;   // per GPU, one direction (NVLink, else PCIe)
  GpuPrice price;                        // default price
  std::map<std::string, GpuPrice> price_by_region;  // cloud region -> price
  std::string source;
  std::string price_note;                // where and when the prices were sampled

  const GpuPrice& price_in(const std::string& region) const {
    auto it = price_by_region.find(region);
    return it == price_by_region.end() ? price : it->second;
  }
};

struct LlmSpec {
  std::string name;
  int layers = 0;
  int hidden = 0;
  int heads = 0;
  int kv_heads = 0;
  int head_dim = 0;          // hidden / heads unless the architecture says otherwise
  int intermediate = 0;      // MLP inner size (gated: gate and up each this wide)
  int vocab = 0;
  double bytes_per_param = 2.0;  // bf16
  bool classifier = false;   // a classification head (moderation): no LM head, one output token
  int num_labels = 0;        // classifier outputs
  bool gated_mlp = true;     // SwiGLU (gate, up, down) vs. a plain two-matrix MLP (BERT)
  bool tied_embeddings = false;  // the LM head reuses the embedding matrix (no separate head weights)
  int max_context_tokens = 8192; // longest sequence the model accepts (prompt + output)
  std::string repository;        // where the weights are published (a Hugging Face repository id)
  std::string source;

  // Parameters of the transformer blocks, embeddings and head.
  double parameters() const;
  double weight_bytes() const { return parameters() * bytes_per_param; }
  // KV-cache bytes one token occupies across all layers (K and V).
  double kv_bytes_per_token() const {
    return 2.0 * layers * kv_heads * head_dim * bytes_per_param;
  }
};

inline double LlmSpec::parameters() const {
  const double q = static_cast<double>(hidden) * heads * head_dim;
  const double kv = 2.0 * hidden * kv_heads * head_dim;
  const double o = static_cast<double>(heads) * head_dim * hidden;
  const double mlp = (gated_mlp ? 3.0 : 2.0) * hidden * static_cast<double>(intermediate);
  const double norms = 2.0 * hidden;
  const double embed = static_cast<double>(vocab) * hidden;
  const double head = classifier        ? static_cast<double>(hidden) * num_labels
                      : tied_embeddings ? 0.0
                                        : static_cast<double>(vocab) * hidden;
  return layers * (q + kv + o + mlp + norms) + embed + head + hidden;
}

}  // namespace capstan::catalog
