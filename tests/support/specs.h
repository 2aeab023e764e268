#pragma once
// Catalog entries with Llama-3-8B's and an H100 SXM's published figures,
// spelt out so the tests do not depend on the catalog data files.
#include "models/catalog/specs.h"

namespace capstan::testing {

inline catalog::LlmSpec llama3_8b_like() {
  catalog::LlmSpec m;
  m.name = "llama-3-8b-like";
  m.layers = 32;
  m.hidden = 4096;
  m.heads = 32;
  m.kv_heads = 8;
  m.head_dim = 128;
  m.intermediate = 14336;
  m.vocab = 128256;
  return m;
}

inline catalog::GpuSpec h100_like() {
  catalog::GpuSpec g;
  g.name = "h100-like";
  g.bf16_tflops = 989.0;
  g.hbm_tb_per_s = 3.35;
  g.interconnect_gb_per_s = 450.0;
  g.memory_gib = 80.0;
  return g;
}

}  // namespace capstan::testing
