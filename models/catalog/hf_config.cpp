#include "models/catalog/hf_config.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "models/input/json_reader.h"
#include "models/input/read_file.h"
#include "models/input_error.h"

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

enum class Family { kLlama, kMistral, kMixtral, kQwen2, kQwen3, kQwen2Moe, kQwen3Moe };

struct Known {
  const char* architecture;
  const char* model_type;
  Family family;
};

constexpr Known kKnown[] = {
    {"LlamaForCausalLM", "llama", Family::kLlama},          {"MistralForCausalLM", "mistral", Family::kMistral},
    {"MixtralForCausalLM", "mixtral", Family::kMixtral},    {"Qwen2ForCausalLM", "qwen2", Family::kQwen2},
    {"Qwen3ForCausalLM", "qwen3", Family::kQwen3},          {"Qwen2MoeForCausalLM", "qwen2_moe", Family::kQwen2Moe},
    {"Qwen3MoeForCausalLM", "qwen3_moe", Family::kQwen3Moe},
};

// Architectures people serve that capstan does not model yet, and why.
struct Refused {
  const char* prefix;  // of the architecture or model_type
  const char* why;
};

constexpr Refused kRefused[] = {
    {"Gemma", "Gemma's sliding-window layers, which capstan does not model yet"},
    {"gemma", "Gemma's sliding-window layers, which capstan does not model yet"},
    {"Llama4", "Llama 4's chunked local attention and its dense layers among expert layers, not modelled yet"},
    {"llama4", "Llama 4's chunked local attention and its dense layers among expert layers, not modelled yet"},
    {"Deepseek", "DeepSeek's multi-head latent attention (a compressed KV cache), not modelled yet"},
    {"deepseek", "DeepSeek's multi-head latent attention (a compressed KV cache), not modelled yet"},
    {"GptOss", "gpt-oss's alternating sliding-window layers, attention sinks and MXFP4 experts, not modelled yet"},
    {"gpt_oss", "gpt-oss's alternating sliding-window layers, attention sinks and MXFP4 experts, not modelled yet"},
};

std::string supported_list() {
  std::string s;
  for (const Known& k : kKnown) s += (s.empty() ? "" : ", ") + std::string(k.architecture);
  return s;
}

}  // namespace

json model_entry_from_hf_config(const json& config, const std::string& source_name) {
  const Config c(config, "");
  // The architecture: architectures[0], else model_type.
  std::string architecture, where;
  if (c.has("architectures")) {
    const json& a = c.at("architectures");
    if (!a.is_array() || a.empty() || !a[0].is_string())
      js::fail("/architectures", "a list of architecture names", js::describe(a));
    architecture = a[0].get<std::string>();
    where = "/architectures/0";
  } else {
    architecture = c.string("model_type", "");
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

  // What changes the price and is not modelled yet.
  c.refuse("quantization_config",
           "a bf16 or fp16 checkpoint (quantized weights are not modelled yet: serve the bf16 one or set "
           "bytes_per_param)");
  const bool qwen = family == Family::kQwen2 || family == Family::kQwen3 || family == Family::kQwen2Moe ||
                    family == Family::kQwen3Moe;
  if (qwen) {
    // Qwen configs carry a sliding_window that use_sliding_window switches on.
    if (c.boolean("use_sliding_window", false))
      js::fail("/use_sliding_window", "false (sliding-window attention is not modelled yet)", "true");
  } else {
    const std::int64_t context = c.integer("max_position_embeddings", 1, 10'000'000, 8192);
    if (c.has("sliding_window")) {
      const std::int64_t window = c.integer("sliding_window", 1, 1'000'000'000);
      if (window < context)
        js::fail("/sliding_window",
                 "null or at least max_position_embeddings (" + std::to_string(context) +
                     "): sliding-window attention is not modelled yet",
                 std::to_string(window));
    }
  }
  const std::string act = c.string("hidden_act", "silu");
  if (act != "silu" && act != "swish") js::fail("/hidden_act", "\"silu\" (a SwiGLU MLP)", js::describe(json(act)));
  const std::string dtype = c.string("torch_dtype", c.string("dtype", "bfloat16"));
  if (dtype != "bfloat16" && dtype != "float16" && dtype != "float32")
    js::fail(c.has("torch_dtype") ? "/torch_dtype" : "/dtype", "\"bfloat16\", \"float16\" or \"float32\"",
             js::describe(json(dtype)));

  json e = json::object();
  const std::int64_t layers = c.integer("num_hidden_layers", 1, 1000);
  const std::int64_t hidden = c.integer("hidden_size", 1, 1'000'000);
  const std::int64_t heads = c.integer("num_attention_heads", 1, 10'000);
  const std::int64_t kv_heads = c.integer("num_key_value_heads", 1, heads, heads);
  if (heads % kv_heads != 0)
    js::fail("/num_key_value_heads", "a divisor of num_attention_heads (" + std::to_string(heads) + ")",
             std::to_string(kv_heads));
  const std::int64_t head_dim = c.integer("head_dim", 1, 10'000, hidden / heads > 0 ? hidden / heads : 1);
  e["layers"] = layers;
  e["hidden"] = hidden;
  e["heads"] = heads;
  e["kv_heads"] = kv_heads;
  e["head_dim"] = head_dim;

  const bool moe = family == Family::kMixtral || family == Family::kQwen2Moe || family == Family::kQwen3Moe;
  if (!moe) {
    e["intermediate"] = c.integer("intermediate_size", 1, 10'000'000);
  } else if (family == Family::kMixtral) {
    e["intermediate"] = 0;  // no shared expert
    e["experts"] = c.integer("num_local_experts", 1, 100'000);
    e["experts_per_token"] = c.integer("num_experts_per_tok", 1, e["experts"].get<std::int64_t>());
    e["expert_intermediate"] = c.integer("intermediate_size", 1, 10'000'000);
  } else {
    // Qwen's: every decoder_sparse_step-th layer is a mixture of experts,
    // the mlp_only_layers dense; capstan models all-expert stacks.
    if (c.integer("decoder_sparse_step", 1, 1000, 1) != 1)
      js::fail("/decoder_sparse_step", "1 (dense layers among expert layers are not modelled yet)",
               js::describe(c.at("decoder_sparse_step")));
    c.refuse("mlp_only_layers", "an empty list (dense layers among expert layers are not modelled yet)");
    e["experts"] = c.integer("num_experts", 1, 100'000);
    e["experts_per_token"] = c.integer("num_experts_per_tok", 1, e["experts"].get<std::int64_t>());
    e["expert_intermediate"] = c.integer("moe_intermediate_size", 1, 10'000'000);
    e["intermediate"] =
        family == Family::kQwen2Moe ? c.integer("shared_expert_intermediate_size", 0, 10'000'000, 0) : 0;
  }
  e["vocab"] = c.integer("vocab_size", 1, 10'000'000);
  e["bytes_per_param"] = 2;
  e["tied_embeddings"] = c.boolean("tie_word_embeddings", false);
  e["max_context_tokens"] = c.integer("max_position_embeddings", 1, 10'000'000, 8192);
  const std::string repository = c.string("_name_or_path", "");
  if (!repository.empty() && repository.size() <= 200 && repository.find('/') != std::string::npos &&
      repository.front() != '/' && repository.front() != '.')
    e["repository"] = repository;
  e["source"] = source_name + " (" + architecture + " config.json, read by capstan: " + dtype +
                " weights served in 16 bits)";
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
