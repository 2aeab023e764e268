#pragma once
// The catalogs of GPUs, LLM architectures, serving engines and cloud regions: the data files of
// models/catalog/data/ compiled into the binary, plus whatever a scenario's
// "catalog" section overrides or adds.
//
// Names are canonical lowercase ("h100", "llama-3-8b"); lookups are
// case-insensitive. A Catalog is an immutable value once built and is safe to
// share between threads; builtin() is built once, on first use.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "models/catalog/specs.h"

namespace capstan::catalog {

class Catalog {
 public:
  // The compiled-in catalog. Throws std::logic_error if the data files are
  // malformed (a build defect, caught by the tests).
  static const Catalog& builtin();

  // Parses the data-file documents: {"regions": {...}, "default_kernels":
  // {...}, "gpus": {...}}, {"models": {...}} and {"default": name,
  // "engines": {...}}. Throws input::FieldError with pointers relative to
  // each document.
  static Catalog from_documents(const nlohmann::json& gpus_doc, const nlohmann::json& models_doc,
                                const nlohmann::json& engines_doc);
  // With instances.json's document too: {"about", "instances": {...}, "generic": {...}}.
  static Catalog from_documents(const nlohmann::json& gpus_doc, const nlohmann::json& models_doc,
                                const nlohmann::json& engines_doc, const nlohmann::json& instances_doc);

  // A copy with a scenario's overrides applied: {"regions": {name: text},
  // "gpus": {name: {field: value}}, "models": {...}, "engines": {...}, "instances": {...}}. A field of an existing
  // entry replaces that field; a new name adds an entry (all its required
  // fields given). Throws input::FieldError with pointers below
  // `pointer` (where `overrides` sits in the scenario, e.g. "/catalog").
  // A model entry's hf_config names a Hugging Face config.json, relative to
  // `base_dir` (the scenario's folder), whose entry (hf_config.h) the
  // entry's other fields then change; its faults throw InputError naming it.
  Catalog with_overrides(const nlohmann::json& overrides, const std::string& pointer,
                         const std::string& base_dir = "") const;

  const GpuSpec* gpu(std::string_view name) const;  // nullptr when unknown
  const LlmSpec* llm(std::string_view name) const;
  const EngineSpec* engine(std::string_view name) const;
  const InstanceSpec* instance(std::string_view name) const;
  const std::map<std::string, InstanceSpec>& instances() const { return instances_; }
  // The engine a deployment that names none runs.
  const std::string& default_engine() const { return default_engine_; }
  bool has_region(std::string_view name) const;

  std::vector<std::string> gpu_names() const;
  std::vector<std::string> llm_names() const;
  std::vector<std::string> region_names() const;
  std::vector<std::string> engine_names() const;
  std::vector<std::string> instance_names() const;

 private:
  std::map<std::string, std::string> regions_;  // name -> description
  std::map<std::string, GpuSpec> gpus_;
  std::map<std::string, LlmSpec> llms_;
  std::map<std::string, EngineSpec> engines_;
  std::map<std::string, InstanceSpec> instances_;
  std::string default_engine_;
  // The entries as JSON text, so that an override can replace single fields.
  std::map<std::string, std::string> gpu_docs_;
  std::map<std::string, std::string> llm_docs_;
  std::map<std::string, std::string> engine_docs_;
  std::map<std::string, std::string> instance_docs_;
  // gpus.json's "default_kernels" as JSON text: the kernel figures of a GPU
  // entry that gives none (or only some groups).
  std::string default_kernels_;
};

// The cheapest instance of `cloud` carrying `gpu` with room for a replica of
// `tensor_parallel` GPUs, by its price per replica (its GPUs / tensor_parallel,
// rounded down) on `basis` in `region`; the fewer GPUs on a tie, then the
// name. nullptr when none is sold there on that basis.
const InstanceSpec* cheapest_instance(const Catalog& catalog, const std::string& cloud, const std::string& gpu,
                                      int tensor_parallel, const std::string& region, Basis basis);

// Canonical form of a catalog name: lowercase ASCII.
std::string canonical_name(std::string_view name);

}  // namespace capstan::catalog
