#include "models/catalog/hf_config.h"

#include <algorithm>

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "models/input/json_reader.h"
#include "models/input/read_file.h"
#include "models/input_error.h"
#include "models/catalog/specs.h"

namespace capstan::catalog {

namespace {

using nlohmann::json;
namespace js = capstan::input;

constexpr std::uintmax_t kMaxConfigBytes = 4u << 20;

// The config's fields are read without the schema recorder: they are another
// file's, not the scenario's.
class Config {
 public:
  Config(const json& doc, std::string pointer) : doc_(doc), pointer_(std::move(pointer)) {
    if (!doc_.is_object()) js::fail(pointer_.empty() ? "" : pointer_, "a config.json object", js::describe(doc_));
  }

  std::string ptr(const std::string& key) const { return js::child(pointer_, key); }
  bool has(const std::string& key) const { return doc_.contains(key) && !doc_.at(key).is_null(); }
  const json& at(const std::string& key) const { return doc_.at(key); }

  std::int64_t integer(const std::string& key, std::int64_t lo, std::int64_t hi,
                       std::optional<std::int64_t> fallback = std::nullopt) const {
    const std::string expected =
        "an integer in [" + js::format_number(static_cast<double>(lo)) + ", " +
        js::format_number(static_cast<double>(hi)) + "]";
    if (!has(key)) {
      if (fallback) return *fallback;
      js::fail(ptr(key), expected, "nothing");
    }
    const json& v = doc_.at(key);
    if (!v.is_number() || v.get<double>() != std::floor(v.get<double>())) js::fail(ptr(key), expected, js::describe(v));
    const double x = v.get<double>();
    if (x < static_cast<double>(lo) || x > static_cast<double>(hi)) js::fail(ptr(key), expected, js::describe(v));
    return static_cast<std::int64_t>(x);
  }

  std::string string(const std::string& key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    const json& v = doc_.at(key);
    if (!v.is_string()) js::fail(ptr(key), "a string", js::describe(v));
    return v.get<std::string>();
  }

  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& v = doc_.at(key);
    if (!v.is_boolean()) js::fail(ptr(key), "true or false", js::describe(v));
    return v.get<bool>();
  }

  // Fails when the config sets `key` to anything but null, false, 0 or an empty list.
  void refuse(const std::string& key, const std::string& why) const {
    if (!has(key)) return;
    const json& v = doc_.at(key);
    const bool unset = (v.is_boolean() && !v.get<bool>()) || (v.is_number() && v.get<double>() == 0.0) ||
                       (v.is_array() && v.empty());
    if (!unset) js::fail(ptr(key), why, js::describe(v));
  }

 private:
  const json& doc_;
  std::string pointer_;
};

enum class Family {
  kLlama, kMistral, kMixtral, kQwen2, kQwen3, kQwen2Moe, kQwen3Moe, kGemma2, kGemma3, kGptOss, kLlama4, kDeepseek
};

struct Known {
  const char* architecture;
  const char* model_type;
  Family family;
};

// Gemma 3 and Llama 4 publish their multimodal checkpoints as
// *ForConditionalGeneration with the decoder's config in text_config.
constexpr Known kKnown[] = {
    {"LlamaForCausalLM", "llama", Family::kLlama},
    {"MistralForCausalLM", "mistral", Family::kMistral},
    {"MixtralForCausalLM", "mixtral", Family::kMixtral},
    {"Qwen2ForCausalLM", "qwen2", Family::kQwen2},
    {"Qwen3ForCausalLM", "qwen3", Family::kQwen3},
    {"Qwen2MoeForCausalLM", "qwen2_moe", Family::kQwen2Moe},
    {"Qwen3MoeForCausalLM", "qwen3_moe", Family::kQwen3Moe},
    {"Gemma2ForCausalLM", "gemma2", Family::kGemma2},
    {"Gemma3ForCausalLM", "gemma3_text", Family::kGemma3},
    {"Gemma3ForConditionalGeneration", "gemma3", Family::kGemma3},
    {"GptOssForCausalLM", "gpt_oss", Family::kGptOss},
    {"Llama4ForConditionalGeneration", "llama4", Family::kLlama4},
    {"Llama4ForCausalLM", "llama4_text", Family::kLlama4},
    {"DeepseekV2ForCausalLM", "deepseek_v2", Family::kDeepseek},
    {"DeepseekV3ForCausalLM", "deepseek_v3", Family::kDeepseek},
};

// Architectures people serve that capstan does not model yet, and why.
struct Refused {
  const char* prefix;  // of the architecture or model_type
  const char* why;
};

constexpr Refused kRefused[] = {
    {"Gemma", "the first Gemma's (its successors Gemma 2 and 3 are read)"},
    {"gemma", "the first Gemma's (its successors Gemma 2 and 3 are read)"},
    {"DeepseekV32", "DeepSeek V3.2's sparse attention, not modelled yet"},
    {"deepseek_v32", "DeepSeek V3.2's sparse attention, not modelled yet"},
    {"Deepseek", "the first DeepSeek models' (V2 and V3 are read)"},
    {"deepseek", "the first DeepSeek models' (V2 and V3 are read)"},
};

bool has_text_config(const json& config) {
  return config.contains("text_config") && config.at("text_config").is_object();
}

// Which layers attend over a window of the last `tokens` tokens.
struct Window {
  std::int64_t tokens = 0;
  std::int64_t layers = 0;
  std::string note;  // how the config's attention maps onto a window, for the entry's source
};

Window read_window(const Config& c, Family family, std::int64_t layers, std::int64_t context) {
  Window w;
  if (family == Family::kLlama4) {
    // Chunked local attention in the layers with RoPE (no_rope_layers 1),
    // global attention in the others: priced as a window of the chunk, exact
    // up to it, an upper bound past it (a chunk's tokens see C/2 on average).
    w.tokens = c.integer("attention_chunk_size", 1, 100'000'000, 8192);
    if (c.has("no_rope_layers") && !(c.at("no_rope_layers").is_array() && c.at("no_rope_layers").empty())) {
      const json& list = c.at("no_rope_layers");
      if (!list.is_array() || static_cast<std::int64_t>(list.size()) != layers)
        js::fail(c.ptr("no_rope_layers"), "a list of num_hidden_layers (" + std::to_string(layers) + ") 0s and 1s",
                 js::describe(list));
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (!list[i].is_number_integer() || (list[i] != 0 && list[i] != 1))
          js::fail(js::child(c.ptr("no_rope_layers"), std::to_string(i)), "0 or 1", js::describe(list[i]));
        w.layers += list[i].get<int>();
      }
    } else {
      const std::int64_t interval = c.integer("no_rope_layer_interval", 1, 1000, 4);
      w.layers = layers - layers / interval;
    }
    w.note = "chunked attention of " + std::to_string(w.tokens) + " tokens in " + std::to_string(w.layers) +
             " layers, priced as a window of the chunk";
  } else if (c.has("layer_types")) {
    const json& list = c.at("layer_types");
    if (!list.is_array() || static_cast<std::int64_t>(list.size()) != layers)
      js::fail(c.ptr("layer_types"), "a list of num_hidden_layers (" + std::to_string(layers) + ") layer types",
               js::describe(list));
    std::int64_t chunked = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (list[i] == "sliding_attention") {
        ++w.layers;
      } else if (list[i] == "chunked_attention") {
        ++chunked;
      } else if (list[i] != "full_attention") {
        js::fail(js::child(c.ptr("layer_types"), std::to_string(i)),
                 "\"full_attention\", \"sliding_attention\" or \"chunked_attention\"", js::describe(list[i]));
      }
    }
    if (w.layers > 0 && chunked > 0)
      js::fail(c.ptr("layer_types"), "sliding or chunked layers, not both", js::describe(list));
    if (w.layers > 0) w.tokens = c.integer("sliding_window", 1, 100'000'000);
    if (chunked > 0) {
      w.layers = chunked;
      w.tokens = c.integer("attention_chunk_size", 1, 100'000'000);
      w.note = "chunked attention of " + std::to_string(w.tokens) + " tokens in " + std::to_string(w.layers) +
               " layers, priced as a window of the chunk";
    }
  } else if (family == Family::kGemma2 || family == Family::kGptOss) {
    // Even layers (0, 2, ...) slide, odd ones attend over everything.
    w.tokens = c.integer("sliding_window", 1, 100'000'000);
    w.layers = (layers + 1) / 2;
  } else if (family == Family::kGemma3) {
    // Every sliding_window_pattern-th layer is global, the rest slide.
    w.tokens = c.integer("sliding_window", 1, 100'000'000);
    w.layers = layers - layers / c.integer("sliding_window_pattern", 1, 1000, 6);
  } else if (family == Family::kQwen2 || family == Family::kQwen3 || family == Family::kQwen2Moe ||
             family == Family::kQwen3Moe) {
    // A sliding_window that use_sliding_window switches on, from layer max_window_layers up.
    if (c.boolean("use_sliding_window", false)) {
      w.tokens = c.integer("sliding_window", 1, 100'000'000);
      w.layers = std::max<std::int64_t>(0, layers - c.integer("max_window_layers", 0, 1000, layers));
    }
  } else if (c.has("sliding_window")) {
    // Mistral 7B v0.1: every layer slides.
    w.tokens = c.integer("sliding_window", 1, 100'000'000);
    w.layers = layers;
  }
  // A window as long as the context is no window.
  if (w.layers == 0 || w.tokens >= context) return Window{};
  if (w.note.empty())
    w.note = "a " + std::to_string(w.tokens) + "-token sliding window in " + std::to_string(w.layers) + " of " +
             std::to_string(layers) + " layers";
  return w;
}

// The model an entry's dimensions describe (for its parameter counts).
LlmSpec spec_of(const json& e) {
  LlmSpec m;
  m.layers = e.at("layers").get<int>();
  m.hidden = e.at("hidden").get<int>();
  m.heads = e.at("heads").get<int>();
  m.kv_heads = e.at("kv_heads").get<int>();
  m.head_dim = e.at("head_dim").get<int>();
  m.intermediate = e.at("intermediate").get<int>();
  m.vocab = e.at("vocab").get<int>();
  m.experts = e.value("experts", 0);
  m.experts_per_token = e.value("experts_per_token", 0);
  m.expert_intermediate = e.value("expert_intermediate", 0);
  m.dense_layers = e.value("dense_layers", 0);
  m.dense_intermediate = e.value("dense_intermediate", 0);
  m.tied_embeddings = e.value("tied_embeddings", false);
  m.kv_lora_rank = e.value("kv_lora_rank", 0);
  m.q_lora_rank = e.value("q_lora_rank", 0);
  m.qk_nope_head_dim = e.value("qk_nope_head_dim", 0);
  m.qk_rope_head_dim = e.value("qk_rope_head_dim", 0);
  m.v_head_dim = e.value("v_head_dim", 0);
  return m;
}

// A mixture's routed experts: how many (`count`), how many a token takes, how wide (`width`).
void read_routed(const Config& c, json& e, const char* count, const char* width) {
  e["experts"] = c.integer(count, 1, 100'000);
  e["experts_per_token"] = c.integer("num_experts_per_tok", 1, e["experts"].get<std::int64_t>());
  e["expert_intermediate"] = c.integer(width, 1, 10'000'000);
}

std::string supported_list() {
  std::string s;
  for (const Known& k : kKnown) s += (s.empty() ? "" : ", ") + std::string(k.architecture);
  return s;
}

}  // namespace

json model_entry_from_hf_config(const json& config, const std::string& source_name) {
  const Config root(config, "");
  // The architecture: architectures[0], else model_type.
  std::string architecture, where;
  if (root.has("architectures")) {
    const json& a = root.at("architectures");
    if (!a.is_array() || a.empty() || !a[0].is_string())
      js::fail("/architectures", "a list of architecture names", js::describe(a));
    architecture = a[0].get<std::string>();
    where = "/architectures/0";
  } else {
    architecture = root.string("model_type", "");
    where = "/model_type";
  }
  const Known* known = nullptr;
  for (const Known& k : kKnown) {
    if (architecture == k.architecture || architecture == k.model_type) known = &k;
  }
  if (known == nullptr) {
    for (const Refused& r : kRefused) {
      if (architecture.rfind(r.prefix, 0) == 0) js::fail(where, "an architecture capstan models (not " + std::string(r.why) + ")", js::describe(json(architecture)));
    }
    js::fail(where, "one of " + supported_list(), js::describe(json(architecture)));
  }
  const Family family = known->family;
  // The decoder's own config: nested in text_config for a multimodal checkpoint.
  const bool nested = (family == Family::kGemma3 || family == Family::kLlama4) && has_text_config(config);
  const Config c(nested ? config.at("text_config") : config, nested ? "/text_config" : "");
  const bool gemma = family == Family::kGemma2 || family == Family::kGemma3;

  // Weights: 16-bit checkpoints, FP8 ones (DeepSeek's own, and the FP8
  // releases of others), and gpt-oss's MXFP4 experts.
  std::string weights = "16-bit";
  if (config.contains("quantization_config") && !config.at("quantization_config").is_null()) {
    const json& q = config.at("quantization_config");
    const std::string method =
        q.is_object() && q.contains("quant_method") && q.at("quant_method").is_string() ? q.at("quant_method").get<std::string>() : "";
    if (method == "mxfp4" && family == Family::kGptOss) {
      weights = "mxfp4";
    } else if (method == "fp8") {
      weights = "fp8";
    } else {
      js::fail("/quantization_config",
               "a bf16 or fp16 checkpoint, an fp8 one, or gpt-oss's mxfp4 (other quantized checkpoints: read the "
               "bf16 config and set the deployment's precision)",
               js::describe(q));
    }
  }
  const std::string act = c.string(gemma ? "hidden_activation" : "hidden_act", gemma ? "gelu_pytorch_tanh" : "silu");
  const bool gated = gemma ? (act == "gelu_pytorch_tanh" || act == "gelu") : (act == "silu" || act == "swish");
  if (!gated)
    js::fail(c.ptr(gemma ? "hidden_activation" : "hidden_act"),
             gemma ? "\"gelu_pytorch_tanh\" (a GeGLU MLP)" : "\"silu\" (a SwiGLU MLP)", js::describe(json(act)));
  const std::string dtype = c.string("torch_dtype", c.string("dtype", root.string("torch_dtype", "bfloat16")));
  if (dtype != "bfloat16" && dtype != "float16" && dtype != "float32")
    js::fail(c.has("torch_dtype") ? c.ptr("torch_dtype") : c.ptr("dtype"), "\"bfloat16\", \"float16\" or \"float32\"",
             js::describe(json(dtype)));

  json e = json::object();
  const std::int64_t layers = c.integer("num_hidden_layers", 1, 1000);
  const std::int64_t hidden = c.integer("hidden_size", 1, 1'000'000);
  const std::int64_t heads = c.integer("num_attention_heads", 1, 10'000);
  const std::int64_t kv_heads = c.integer("num_key_value_heads", 1, heads, heads);
  if (heads % kv_heads != 0)
    js::fail(c.ptr("num_key_value_heads"), "a divisor of num_attention_heads (" + std::to_string(heads) + ")",
             std::to_string(kv_heads));
  std::int64_t head_dim = c.integer("head_dim", 1, 10'000, hidden / heads > 0 ? hidden / heads : 1);
  if (family == Family::kDeepseek) {
    // Multi-head latent attention.
    e["kv_lora_rank"] = c.integer("kv_lora_rank", 1, 100'000);
    e["q_lora_rank"] = c.has("q_lora_rank") ? c.integer("q_lora_rank", 1, 100'000) : 0;
    e["qk_nope_head_dim"] = c.integer("qk_nope_head_dim", 1, 10'000);
    e["qk_rope_head_dim"] = c.integer("qk_rope_head_dim", 1, 10'000);
    e["v_head_dim"] = c.integer("v_head_dim", 1, 10'000);
    head_dim = e["qk_nope_head_dim"].get<std::int64_t>() + e["qk_rope_head_dim"].get<std::int64_t>();
  }
  e["layers"] = layers;
  e["hidden"] = hidden;
  e["heads"] = heads;
  e["kv_heads"] = kv_heads;
  e["head_dim"] = head_dim;

  const std::int64_t context = c.integer("max_position_embeddings", 1, 100'000'000, 8192);
  const Window window = read_window(c, family, layers, context);
  if (window.layers > 0) {
    e["attention_window"] = window.tokens;
    e["window_layers"] = window.layers;
  }

  const bool moe = family == Family::kMixtral || family == Family::kQwen2Moe || family == Family::kQwen3Moe ||
                   family == Family::kGptOss || family == Family::kLlama4 ||
                   (family == Family::kDeepseek && c.integer("n_routed_experts", 0, 100'000, 0) > 0);
  if (!moe) {
    e["intermediate"] = c.integer("intermediate_size", 1, 10'000'000);
  } else if (family == Family::kDeepseek) {
    // The first first_k_dense_replace layers dense, every later one routed
    // (moe_layer_freq 1) beside n_shared_experts shared experts.
    if (c.integer("moe_layer_freq", 1, 1000, 1) != 1)
      js::fail(c.ptr("moe_layer_freq"), "1 (every layer after the dense ones routed)", js::describe(c.at("moe_layer_freq")));
    read_routed(c, e, "n_routed_experts", "moe_intermediate_size");
    e["intermediate"] = c.integer("n_shared_experts", 0, 1000, 0) * e["expert_intermediate"].get<std::int64_t>();
    const std::int64_t dense = c.integer("first_k_dense_replace", 0, layers - 1, 0);
    if (dense > 0) {
      e["dense_layers"] = dense;
      e["dense_intermediate"] = c.integer("intermediate_size", 1, 10'000'000);
    }
  } else if (family == Family::kGptOss || family == Family::kMixtral) {
    e["intermediate"] = 0;  // no shared expert
    read_routed(c, e, "num_local_experts", "intermediate_size");
  } else if (family == Family::kLlama4) {
    // Every interleave_moe_layer_step-th layer routes (Scout: every one;
    // Maverick: every other), the others run a dense MLP intermediate_size_mlp wide.
    const std::int64_t step = c.integer("interleave_moe_layer_step", 1, 1000, 1);
    std::int64_t routed = layers / step;
    if (c.has("moe_layers")) {
      const json& list = c.at("moe_layers");
      if (!list.is_array() || list.empty() || static_cast<std::int64_t>(list.size()) > layers)
        js::fail(c.ptr("moe_layers"), "a list of the indices of the expert layers", js::describe(list));
      routed = static_cast<std::int64_t>(list.size());
    }
    read_routed(c, e, "num_local_experts", "intermediate_size");
    e["intermediate"] = e["expert_intermediate"];  // the shared expert, as wide as a routed one
    if (routed < layers) {
      e["dense_layers"] = layers - routed;
      e["dense_intermediate"] = c.integer("intermediate_size_mlp", 1, 10'000'000);
    }
  } else {
    // Qwen's: layer i routes when (i + 1) is a multiple of
    // decoder_sparse_step and i is not among mlp_only_layers; the others run
    // a dense MLP intermediate_size wide.
    const std::int64_t step = c.integer("decoder_sparse_step", 1, 1000, 1);
    std::vector<bool> dense(static_cast<std::size_t>(layers), false);
    for (std::int64_t i = 0; i < layers; ++i) dense[static_cast<std::size_t>(i)] = (i + 1) % step != 0;
    if (c.has("mlp_only_layers")) {
      const json& list = c.at("mlp_only_layers");
      if (!list.is_array()) js::fail(c.ptr("mlp_only_layers"), "a list of layer indices", js::describe(list));
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (!list[i].is_number_integer() || list[i].get<std::int64_t>() < 0 || list[i].get<std::int64_t>() >= layers)
          js::fail(js::child(c.ptr("mlp_only_layers"), std::to_string(i)),
                   "a layer index in [0, " + std::to_string(layers) + ")", js::describe(list[i]));
        dense[list[i].get<std::size_t>()] = true;
      }
    }
    const auto dense_count = static_cast<std::int64_t>(std::count(dense.begin(), dense.end(), true));
    if (dense_count == layers)
      js::fail(c.has("mlp_only_layers") && !c.at("mlp_only_layers").empty() ? c.ptr("mlp_only_layers")
                                                                             : c.ptr("decoder_sparse_step"),
               "at least one expert layer", "every layer dense");
    if (dense_count > 0) {
      e["dense_layers"] = dense_count;
      e["dense_intermediate"] = c.integer("intermediate_size", 1, 10'000'000);
    }
    read_routed(c, e, "num_experts", "moe_intermediate_size");
    e["intermediate"] =
        family == Family::kQwen2Moe ? c.integer("shared_expert_intermediate_size", 0, 10'000'000, 0) : 0;
  }
  e["vocab"] = c.integer("vocab_size", 1, 10'000'000);
  e["bytes_per_param"] = 2;
  // Gemma ties its embeddings unless its config says otherwise.
  e["tied_embeddings"] = c.boolean("tie_word_embeddings", root.boolean("tie_word_embeddings", gemma));
  e["max_context_tokens"] = context;
  if (weights == "fp8") {
    // FP8 linear layers (with their block scales), the embeddings and head in bf16.
    const double total = spec_of(e).parameters();
    const double embeddings = static_cast<double>(e["vocab"].get<std::int64_t>()) * static_cast<double>(hidden) *
                              (e["tied_embeddings"].get<bool>() ? 1.0 : 2.0);
    e["bytes_per_param"] = ((total - embeddings) * 1.0 + embeddings * 2.0) / total;
  }
  if (weights == "mxfp4") {
    // gpt-oss: the experts' weights in MXFP4 (4 bits and an 8-bit scale per
    // 32), everything else in bf16: bytes_per_param is their average.
    const LlmSpec spec = spec_of(e);
    const double routed = spec.routed_parameters(), total = spec.parameters();
    e["bytes_per_param"] = (routed * (0.5 + 1.0 / 32.0) + (total - routed) * 2.0) / total;
  }
  const std::string repository = root.string("_name_or_path", "");
  if (!repository.empty() && repository.size() <= 200 && repository.find('/') != std::string::npos &&
      repository.front() != '/' && repository.front() != '.')
    e["repository"] = repository;
  e["source"] = source_name + " (" + architecture + " config.json, read by capstan: " +
                (weights == "mxfp4"  ? std::string("MXFP4 experts, bf16 elsewhere")
                 : weights == "fp8" ? std::string("FP8 linear layers, bf16 embeddings")
                                    : dtype + " weights served in 16 bits") +
                (e.contains("kv_lora_rank") ? "; multi-head latent attention" : "") +
                (window.note.empty() ? "" : "; " + window.note) +
                (nested ? "; its vision encoder's weights left out" : "") + ")";
  return e;
}

json model_entry_from_hf_config_file(const std::string& path) {
  const std::string text = input::read_file_or_throw<InputError>(path, kMaxConfigBytes);
  json doc;
  try {
    doc = input::parse_strict(text);
  } catch (const json::parse_error& e) {
    throw InputError(path, "", "a JSON document", input::syntax_error(e));
  } catch (const input::FieldError& e) {
    throw InputError(path, e.pointer, e.expected, e.found);
  }
  try {
    return model_entry_from_hf_config(doc, path);
  } catch (const input::FieldError& e) {
    throw InputError(path, e.pointer, e.expected, e.found);
  }
}

}  // namespace capstan::catalog
