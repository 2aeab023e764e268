// Models read from Hugging Face config.json files: the published configs of
// the catalog's models read back as the catalog's own entries, and what
// capstan does not model refused at the config's pointer.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "models/catalog/catalog.h"
#include "models/catalog/hf_config.h"
#include "models/input/json_reader.h"
#include "models/input_error.h"

using capstan::catalog::Catalog;
using capstan::catalog::LlmSpec;
using capstan::catalog::model_entry_from_hf_config;
using nlohmann::json;

namespace {

// The fields of the published configs that capstan reads (the files carry more).
json llama_3_1_8b() {
  return {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"}, {"hidden_act", "silu"},
          {"hidden_size", 4096}, {"intermediate_size", 14336}, {"max_position_embeddings", 131072},
          {"num_attention_heads", 32}, {"num_hidden_layers", 32}, {"num_key_value_heads", 8},
          {"rope_scaling", {{"factor", 8.0}, {"rope_type", "llama3"}}}, {"tie_word_embeddings", false},
          {"torch_dtype", "bfloat16"}, {"vocab_size", 128256}};
}

json mixtral_8x7b() {
  return {{"architectures", {"MixtralForCausalLM"}}, {"model_type", "mixtral"}, {"hidden_act", "silu"},
          {"hidden_size", 4096}, {"intermediate_size", 14336}, {"max_position_embeddings", 32768},
          {"num_attention_heads", 32}, {"num_experts_per_tok", 2}, {"num_hidden_layers", 32},
          {"num_key_value_heads", 8}, {"num_local_experts", 8}, {"sliding_window", nullptr},
          {"tie_word_embeddings", false}, {"torch_dtype", "bfloat16"}, {"vocab_size", 32000}};
}

json qwen3_30b_a3b() {
  return {{"architectures", {"Qwen3MoeForCausalLM"}}, {"model_type", "qwen3_moe"}, {"hidden_act", "silu"},
          {"hidden_size", 2048}, {"head_dim", 128}, {"intermediate_size", 6144}, {"moe_intermediate_size", 768},
          {"max_position_embeddings", 40960}, {"num_attention_heads", 32}, {"num_experts", 128},
          {"num_experts_per_tok", 8}, {"num_hidden_layers", 48}, {"num_key_value_heads", 4},
          {"decoder_sparse_step", 1}, {"mlp_only_layers", json::array()}, {"sliding_window", nullptr},
          {"use_sliding_window", false}, {"tie_word_embeddings", false}, {"torch_dtype", "bfloat16"},
          {"vocab_size", 151936}};
}

LlmSpec read(const json& config) {
  json entry = model_entry_from_hf_config(config, "config.json");
  const Catalog c = Catalog::builtin().with_overrides({{"models", {{"imported", entry}}}}, "/catalog");
  return *c.llm("imported");
}

void same_dimensions(const LlmSpec& a, const LlmSpec& b) {
  CHECK(a.layers == b.layers);
  CHECK(a.hidden == b.hidden);
  CHECK(a.heads == b.heads);
  CHECK(a.kv_heads == b.kv_heads);
  CHECK(a.head_dim == b.head_dim);
  CHECK(a.intermediate == b.intermediate);
  CHECK(a.vocab == b.vocab);
  CHECK(a.tied_embeddings == b.tied_embeddings);
  CHECK(a.max_context_tokens == b.max_context_tokens);
  CHECK(a.experts == b.experts);
  CHECK(a.experts_per_token == b.experts_per_token);
  CHECK(a.expert_intermediate == b.expert_intermediate);
  CHECK(a.parameters() == b.parameters());
}

// The pointer a config fails at.
std::string pointer_of(const json& config) {
  try {
    model_entry_from_hf_config(config, "config.json");
  } catch (const capstan::input::FieldError& e) {
    return e.pointer;
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("hf config: published configs read as the catalog's entries", "[hf_config]") {
  same_dimensions(read(llama_3_1_8b()), *Catalog::builtin().llm("llama-3.1-8b"));
  same_dimensions(read(mixtral_8x7b()), *Catalog::builtin().llm("mixtral-8x7b"));
  same_dimensions(read(qwen3_30b_a3b()), *Catalog::builtin().llm("qwen3-30b-a3b"));
  // head_dim from the config where it differs from hidden / heads (Qwen3-0.6B: 1024 / 16 = 64, head_dim 128).
  json small = qwen3_30b_a3b();
  small["architectures"] = {"Qwen3ForCausalLM"};
  small["hidden_size"] = 1024;
  small["num_attention_heads"] = 16;
  small["num_key_value_heads"] = 8;
  small["intermediate_size"] = 3072;
  small["tie_word_embeddings"] = true;
  const LlmSpec q = read(small);
  CHECK(q.head_dim == 128);
  CHECK(q.experts == 0);
  CHECK(q.intermediate == 3072);
  CHECK(q.tied_embeddings);
  // Qwen2-MoE's shared expert becomes the dense MLP beside the experts.
  json shared = qwen3_30b_a3b();
  shared["architectures"] = {"Qwen2MoeForCausalLM"};
  shared["shared_expert_intermediate_size"] = 5632;
  CHECK(read(shared).intermediate == 5632);
  // Without num_key_value_heads, every head has its own (multi-head attention).
  json mha = llama_3_1_8b();
  mha.erase("num_key_value_heads");
  CHECK(read(mha).kv_heads == 32);
}

namespace {

json gpt_oss_120b() {
  json layer_types = json::array();
  for (int i = 0; i < 36; ++i) layer_types.push_back(i % 2 == 0 ? "sliding_attention" : "full_attention");
  return {{"architectures", {"GptOssForCausalLM"}}, {"model_type", "gpt_oss"}, {"hidden_act", "silu"},
          {"hidden_size", 2880}, {"intermediate_size", 2880}, {"head_dim", 64}, {"num_attention_heads", 64},
          {"num_key_value_heads", 8}, {"num_hidden_layers", 36}, {"num_local_experts", 128},
          {"num_experts_per_tok", 4}, {"experts_per_token", 4}, {"sliding_window", 128},
          {"layer_types", layer_types}, {"max_position_embeddings", 131072}, {"vocab_size", 201088},
          {"tie_word_embeddings", false}, {"quantization_config", {{"quant_method", "mxfp4"}}}};
}

json gemma_3_27b() {
  return {{"architectures", {"Gemma3ForConditionalGeneration"}}, {"model_type", "gemma3"},
          {"torch_dtype", "bfloat16"},
          {"text_config", {{"model_type", "gemma3_text"}, {"hidden_activation", "gelu_pytorch_tanh"},
                           {"hidden_size", 5376}, {"intermediate_size", 21504}, {"num_hidden_layers", 62},
                           {"num_attention_heads", 32}, {"num_key_value_heads", 16}, {"head_dim", 128},
                           {"sliding_window", 1024}, {"sliding_window_pattern", 6},
                           {"max_position_embeddings", 131072}, {"vocab_size", 262208}}}};
}

json llama_4_scout() {
  return {{"architectures", {"Llama4ForConditionalGeneration"}}, {"model_type", "llama4"},
          {"text_config", {{"model_type", "llama4_text"}, {"hidden_act", "silu"}, {"hidden_size", 5120},
                           {"intermediate_size", 8192}, {"intermediate_size_mlp", 16384},
                           {"num_hidden_layers", 48}, {"num_attention_heads", 40}, {"num_key_value_heads", 8},
                           {"head_dim", 128}, {"num_local_experts", 16}, {"num_experts_per_tok", 1},
                           {"interleave_moe_layer_step", 1}, {"attention_chunk_size", 8192},
                           {"no_rope_layers", json::array()}, {"max_position_embeddings", 10485760},
                           {"vocab_size", 202048}, {"tie_word_embeddings", false},
                           {"torch_dtype", "bfloat16"}}}};
}

}  // namespace

TEST_CASE("hf config: windowed, chunked and MXFP4 models read as their layers run", "[hf_config]") {
  // gpt-oss-120b: 116.8B parameters (OpenAI's model card), half its layers
  // sliding over 128 tokens, its experts in MXFP4.
  const LlmSpec oss = read(gpt_oss_120b());
  CHECK(oss.experts == 128);
  CHECK(oss.experts_per_token == 4);
  CHECK(oss.intermediate == 0);
  CHECK(oss.attention_window == 128);
  CHECK(oss.window_layers == 18);
  CHECK(oss.parameters() == Approx(116.8e9).epsilon(0.01));
  const double experts = 36.0 * 128 * 3 * 2880.0 * 2880.0;
  CHECK(oss.weight_bytes() == Approx(experts * (0.5 + 1.0 / 32) + (oss.parameters() - experts) * 2.0));
  // The 20b: 24 layers of 32 experts, 20.9B (the model card); without layer_types, even layers slide.
  json small = gpt_oss_120b();
  small["num_hidden_layers"] = 24;
  small["num_local_experts"] = 32;
  small.erase("layer_types");
  const LlmSpec oss20 = read(small);
  CHECK(oss20.parameters() == Approx(20.9e9).epsilon(0.01));
  CHECK(oss20.window_layers == 12);
  // Gemma 3 27B: 10 global layers among 62, the rest over 1,024 tokens; tied embeddings by default.
  const LlmSpec gemma = read(gemma_3_27b());
  CHECK(gemma.window_layers == 52);
  CHECK(gemma.full_attention_layers() == 10);
  CHECK(gemma.attention_window == 1024);
  CHECK(gemma.tied_embeddings);
  CHECK(gemma.head_dim == 128);
  // Gemma 2 alternates: 21 of 42 layers over 4,096 tokens.
  json gemma2 = gemma_3_27b().at("text_config");
  gemma2["architectures"] = {"Gemma2ForCausalLM"};
  gemma2["num_hidden_layers"] = 42;
  gemma2["sliding_window"] = 4096;
  gemma2.erase("sliding_window_pattern");
  CHECK(read(gemma2).window_layers == 21);
  // Llama 4 Scout: 16 experts, one per token beside a shared expert; chunked attention in 3 of 4 layers.
  const LlmSpec scout = read(llama_4_scout());
  CHECK(scout.experts == 16);
  CHECK(scout.experts_per_token == 1);
  CHECK(scout.intermediate == 8192);
  CHECK(scout.window_layers == 36);
  CHECK(scout.attention_window == 8192);
  CHECK(scout.active_parameters() == Approx(17.2e9).epsilon(0.03));  // "17B active"
  // Llama 4 Maverick: 128 experts in every other layer, a 16,384-wide dense
  // MLP in the others; 400B parameters, 17B active (Meta's model card).
  json maverick = llama_4_scout();
  maverick["text_config"]["interleave_moe_layer_step"] = 2;
  maverick["text_config"]["num_local_experts"] = 128;
  const LlmSpec mav = read(maverick);
  CHECK(mav.dense_layers == 24);
  CHECK(mav.dense_intermediate == 16384);
  CHECK(mav.moe_layers() == 24);
  CHECK(std::abs(mav.parameters() / 1e9 - 400) <= 5);
  CHECK(std::abs(mav.active_parameters() / 1e9 - 17) <= 0.5);
  // Qwen's dense layers: mlp_only_layers, and decoder_sparse_step's in-between layers.
  json mixed = qwen3_30b_a3b();
  mixed["mlp_only_layers"] = {0, 1};
  CHECK(read(mixed).dense_layers == 2);
  CHECK(read(mixed).dense_intermediate == 6144);
  json sparse = qwen3_30b_a3b();
  sparse["decoder_sparse_step"] = 2;
  CHECK(read(sparse).dense_layers == 24);
  // DeepSeek-V3's published config reads as the catalog's entry, its FP8 weights included.
  const json v3 = {
      {"architectures", {"DeepseekV3ForCausalLM"}}, {"model_type", "deepseek_v3"}, {"hidden_act", "silu"},
      {"hidden_size", 7168}, {"intermediate_size", 18432}, {"moe_intermediate_size", 2048},
      {"num_hidden_layers", 61}, {"num_attention_heads", 128}, {"num_key_value_heads", 128},
      {"n_shared_experts", 1}, {"n_routed_experts", 256}, {"num_experts_per_tok", 8},
      {"first_k_dense_replace", 3}, {"moe_layer_freq", 1}, {"q_lora_rank", 1536}, {"kv_lora_rank", 512},
      {"qk_nope_head_dim", 128}, {"qk_rope_head_dim", 64}, {"v_head_dim", 128}, {"vocab_size", 129280},
      {"max_position_embeddings", 163840}, {"tie_word_embeddings", false}, {"torch_dtype", "bfloat16"},
      {"quantization_config", {{"quant_method", "fp8"}, {"weight_block_size", {128, 128}}}}};
  const LlmSpec deepseek = read(v3);
  same_dimensions(deepseek, *Catalog::builtin().llm("deepseek-v3"));
  CHECK(deepseek.weight_bytes() == Catalog::builtin().llm("deepseek-v3")->weight_bytes());
  CHECK(deepseek.kv_lora_rank == 512);
  CHECK(deepseek.dense_layers == 3);
  CHECK(deepseek.intermediate == 2048);  // one shared expert
  // Mistral 7B v0.1: every layer over 4,096 of its 32,768 tokens.
  json mistral = llama_3_1_8b();
  mistral["architectures"] = {"MistralForCausalLM"};
  mistral["max_position_embeddings"] = 32768;
  mistral["sliding_window"] = 4096;
  const LlmSpec m = read(mistral);
  CHECK(m.window_layers == 32);
  CHECK(m.full_attention_layers() == 0);
  // A window as long as the context is no window.
  mistral["sliding_window"] = 32768;
  CHECK(read(mistral).window_layers == 0);
  // Qwen's window from max_window_layers up, where use_sliding_window turns it on.
  json qwen = qwen3_30b_a3b();
  qwen["use_sliding_window"] = true;
  qwen["sliding_window"] = 4096;
  qwen["max_window_layers"] = 28;
  CHECK(read(qwen).window_layers == 20);
}

TEST_CASE("hf config: what capstan does not model is refused at its pointer", "[hf_config]") {
  json gemma = llama_3_1_8b();
  gemma["architectures"] = {"GemmaForCausalLM"};
  CHECK(pointer_of(gemma) == "/architectures/0");
  json deepseek = llama_3_1_8b();
  deepseek["architectures"] = {"DeepseekV32ForCausalLM"};  // its sparse attention
  CHECK(pointer_of(deepseek) == "/architectures/0");
  deepseek["architectures"] = {"DeepseekV3ForCausalLM"};  // a latent attention without its latent
  CHECK(pointer_of(deepseek) == "/kv_lora_rank");
  json routed_none = qwen3_30b_a3b();
  routed_none["decoder_sparse_step"] = 100;
  CHECK(pointer_of(routed_none) == "/decoder_sparse_step");
  json bad_layer = qwen3_30b_a3b();
  bad_layer["mlp_only_layers"] = {0, 48};
  CHECK(pointer_of(bad_layer) == "/mlp_only_layers/1");
  json types = gpt_oss_120b();
  types["layer_types"][3] = "linear_attention";
  CHECK(pointer_of(types) == "/layer_types/3");
  types["layer_types"] = {"full_attention"};
  CHECK(pointer_of(types) == "/layer_types");
  json quantized = gpt_oss_120b();
  quantized["quantization_config"] = {{"quant_method", "awq"}};
  CHECK(pointer_of(quantized) == "/quantization_config");
  json unknown = llama_3_1_8b();
  unknown["architectures"] = {"FalconForCausalLM"};
  CHECK(pointer_of(unknown) == "/architectures/0");
  json awq = llama_3_1_8b();
  awq["quantization_config"] = {{"quant_method", "awq"}};
  CHECK(pointer_of(awq) == "/quantization_config");
  json qwen_window = qwen3_30b_a3b();  // switched on, with no window given
  qwen_window["use_sliding_window"] = true;
  CHECK(pointer_of(qwen_window) == "/sliding_window");
  json heads = llama_3_1_8b();
  heads["num_key_value_heads"] = 5;
  CHECK(pointer_of(heads) == "/num_key_value_heads");
  json routed = mixtral_8x7b();
  routed["num_experts_per_tok"] = 9;
  CHECK(pointer_of(routed) == "/num_experts_per_tok");
  json gelu = llama_3_1_8b();
  gelu["hidden_act"] = "gelu";
  CHECK(pointer_of(gelu) == "/hidden_act");
  json layers = llama_3_1_8b();
  layers["num_hidden_layers"] = 32.5;
  CHECK(pointer_of(layers) == "/num_hidden_layers");
  CHECK(pointer_of(json::array()) == "");
}

TEST_CASE("hf config: a file's faults name the file", "[hf_config]") {
  const auto dir = std::filesystem::temp_directory_path() / "capstan_hf_config_test";
  std::filesystem::create_directories(dir);
  const std::string good = (dir / "config.json").string(), bad = (dir / "bad.json").string();
  std::ofstream(good) << mixtral_8x7b().dump();
  std::ofstream(bad) << "{\"architectures\": [\"MixtralForCausalLM\"],";
  const json entry = capstan::catalog::model_entry_from_hf_config_file(good);
  CHECK(entry.at("experts") == 8);
  CHECK(entry.at("source").get<std::string>().find(good) != std::string::npos);
  try {
    capstan::catalog::model_entry_from_hf_config_file(bad);
    FAIL("expected an InputError");
  } catch (const capstan::InputError& e) {
    CHECK(e.file() == bad);
    CHECK(e.expected() == "a JSON document");
  }
  try {
    capstan::catalog::model_entry_from_hf_config_file((dir / "missing.json").string());
    FAIL("expected an InputError");
  } catch (const capstan::InputError& e) {
    CHECK(e.file() == (dir / "missing.json").string());
  }
  // Through a scenario's catalog: relative to the scenario's folder, the entry's own fields over the config's.
  const json overrides = {{"models", {{"mine", {{"hf_config", "config.json"}, {"max_context_tokens", 8192},
                                                  {"source", "our fine-tune"}}}}}};
  const Catalog c = Catalog::builtin().with_overrides(overrides, "/catalog", dir.string());
  CHECK(c.llm("mine")->experts == 8);
  CHECK(c.llm("mine")->max_context_tokens == 8192);
  CHECK(c.llm("mine")->source == "our fine-tune");
  // A stated parameter count must agree with the dimensions.
  const json wrong = {{"models", {{"mine", {{"hf_config", "config.json"}, {"total_parameters", 40e9}}}}}};
  try {
    Catalog::builtin().with_overrides(wrong, "/catalog", dir.string());
    FAIL("expected a FieldError");
  } catch (const capstan::input::FieldError& e) {
    CHECK(e.pointer == "/catalog/models/mine/total_parameters");
  }
  std::filesystem::remove_all(dir);
}
