#pragma once
// A model read from its Hugging Face config.json: the decoder architectures
// capstan prices, mapped onto a catalog model entry (the form of
// models/catalog/data/models.json), and a clear refusal for what it does not
// model yet, at the config's own pointer.
//
// Read: Llama (2, 3.x, 4), Mistral, Mixtral, Qwen2 / 2.5, Qwen3, Qwen2-MoE and
// Qwen3-MoE, Gemma 2 and 3, gpt-oss, DeepSeek V2 and V3: sliding windows,
// chunked attention (as a window of the chunk), dense layers among expert
// layers and multi-head latent attention, from 16-bit, FP8 or (gpt-oss)
// MXFP4 checkpoints. Refused: other quantized checkpoints, DeepSeek V3.2's
// sparse attention, the first Gemma, other activations and every other
// architecture. docs/scenario.md (catalog) lists them.
//
// Thread-safety: pure functions.
#include <string>

#include <nlohmann/json.hpp>

namespace capstan::catalog {

// The catalog entry of a parsed config.json, with a source naming
// `source_name` and the architecture. Throws input::FieldError with a
// pointer into the config.
nlohmann::json model_entry_from_hf_config(const nlohmann::json& config, const std::string& source_name);

// Reads and parses the file at `path` (at most 4 MiB, strict JSON) and maps
// it as above. Throws InputError naming `path`, with the pointer into it.
nlohmann::json model_entry_from_hf_config_file(const std::string& path);

}  // namespace capstan::catalog
