#pragma once
// Catalog entries with Llama-3-8B's and an H100 SXM's published figures,
// spelt out so the tests do not depend on the catalog data files (the
// kernel figures, which are data with sources, come from the catalog's h100).
#include "models/catalog/catalog.h"
#include "models/catalog/specs.h"

namespace capstan::testing {

// A decoder-only LLM with these dimensions (bf16, gated MLP).
inline catalog::LlmSpec llm_like(const char* name, int layers, int hidden, int heads, int kv_heads, int head_dim,
                                 int intermediate, int vocab) {
  catalog::LlmSpec m;
  m.name = name;
  m.layers = layers;
  m.hidden = hidden;
  m.heads = heads;
  m.kv_heads = kv_heads;
  m.head_dim = head_dim;
  m.intermediate = intermediate;
  m.vocab = vocab;
  return m;
}

inline catalog::LlmSpec llama3_8b_like() { return llm_like("llama-3-8b-like", 32, 4096, 32, 8, 128, 14336, 128256); }

inline catalog::GpuSpec h100_like() {
  catalog::GpuSpec g;
  g.name = "h100-like";
  g.bf16_tflops = 989.0;
  g.hbm_tb_per_s = 3.35;
  g.interconnect_gb_per_s = 450.0;
  g.memory_gib = 80.0;
  g.sm_count = 132;
  g.kernels = catalog::Catalog::builtin().gpu("h100")->kernels;
  return g;
}

// An engine whose iteration is the plain sum of its kernels and its
// scheduling time: no launch cost (every iteration replays a graph), no
// overlap, the residual add and the RMSNorm unfused. The closed forms of the
// unit tests are written for it; the engine's own terms are tested apart.
inline catalog::EngineSpec summing_engine() {
  catalog::EngineSpec e;
  e.name = "summing";
  e.fused_add_rms_norm = false;
  e.fused_silu_mul = true;
  e.rope_in_attention = false;
  e.cuda_graph_max_tokens = 1 << 30;
  e.cuda_graph_mixed = true;
  e.launch_us = 0.0;
  e.iteration_ms = 0.3;
  e.per_sequence_us = 10.0;
  e.overlap = false;
  return e;
}

}  // namespace capstan::testing
