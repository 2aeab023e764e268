#include "models/catalog/catalog.h"

#include <cctype>
#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "models/catalog/embedded.h"
#include "models/catalog/hf_config.h"
#include "models/input/json_reader.h"

namespace capstan::catalog {

namespace js = capstan::input;
using nlohmann::json;

std::string canonical_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const char* basis_name(Basis b) {
  switch (b) {
    case Basis::kOnDemand: return "on_demand";
    case Basis::kSpot: return "spot";
    case Basis::kReserved1y: return "reserved_1y";
    case Basis::kReserved3y: return "reserved_3y";
    case Basis::kOwned: return "owned";
  }
  return "on_demand";
}

namespace {

constexpr std::size_t kMaxEntries = 1000;

GpuPrice read_price(js::Object o) {
  GpuPrice p;
  p.on_demand_usd_per_hour = o.number("on_demand_usd_per_hour", js::non_negative(1000));
  p.spot_usd_per_hour = o.number("spot_usd_per_hour", js::non_negative(1000));
  return p;
}

const std::vector<std::string> kPriceKeys = {"on_demand_usd_per_hour", "spot_usd_per_hour"};

// A share of a datasheet peak: above 1 is a datasheet understating its part.
const js::Range kShare{0.0, 1.5, true, false};

std::string read_source(js::Object& o) { return o.string("source", std::string(), 2000); }

const std::vector<std::string> kArchitectures = {"ampere", "ada", "hopper", "blackwell", "cdna3", "other"};
const std::vector<std::string> kAttentionKernels = {"fa2", "fa3"};

EngineSpec read_engine(const std::string& name, json& doc, const std::string& pointer) {
  js::Object o(doc, pointer, {"version", "kernels", "cuda_graphs", "host", "frontend", "source"});
  EngineSpec e;
  e.name = name;
  e.version = o.string("version", std::string(), 100);
  js::Object k = o.object("kernels", {"fused_add_rms_norm", "fused_silu_mul", "rope_in_attention", "attention",
                                      "source"}, true);
  e.fused_add_rms_norm = k.boolean("fused_add_rms_norm", true);
  e.fused_silu_mul = k.boolean("fused_silu_mul", true);
  e.rope_in_attention = k.boolean("rope_in_attention", false);
  if (k.has("attention")) {
    js::Object a = k.object("attention", kArchitectures, false);
    for (const std::string& arch : kArchitectures) {
      if (a.has(arch)) e.attention[arch] = kAttentionKernels[a.choice(arch, kAttentionKernels)];
    }
  }
  e.sources["kernels"] = read_source(k);
  js::Object g = o.object("cuda_graphs", {"max_tokens", "mixed", "source"}, true);
  e.cuda_graph_max_tokens = static_cast<int>(g.integer("max_tokens", 0, 1'000'000));
  e.cuda_graph_mixed = g.boolean("mixed", false);
  e.sources["cuda_graphs"] = read_source(g);
  js::Object h = o.object("host", {"launch_us", "iteration_ms", "per_sequence_us", "overlap", "source"}, true);
  e.launch_us = h.number("launch_us", js::non_negative(10000));
  e.iteration_ms = h.number("iteration_ms", js::non_negative(1000));
  e.per_sequence_us = h.number("per_sequence_us", js::non_negative(100000));
  e.overlap = h.boolean("overlap", false);
  e.sources["host"] = read_source(h);
  js::Object f = o.object("frontend", {"request_ms", "stream_us", "source"}, true);
  e.request_ms = f.number("request_ms", js::non_negative(100000));
  e.stream_us = f.number("stream_us", js::non_negative(1e6));
  e.sources["frontend"] = read_source(f);
  e.source = o.string("source", std::string(), 2000);
  return e;
}

KernelFigures read_kernels(json& doc, const std::string& pointer) {
  js::Object o(doc, pointer,
               {"gemm", "elementwise", "prefill_attention", "prefill_attention_fa3", "decode_attention",
                "interconnect"});
  KernelFigures k;
  js::Object gemm = o.object("gemm", {"flops_share", "bandwidth_share", "floor_us", "transition_exponent", "tiles",
                                      "source"}, true);
  k.gemm_flops_share = gemm.number("flops_share", kShare);
  k.gemm_bandwidth_share = gemm.number("bandwidth_share", kShare);
  k.gemm_floor_us = gemm.number("floor_us", js::non_negative(10000));
  k.gemm_transition_exponent = gemm.number("transition_exponent", js::Range{1.0, 64.0});
  json& tiles = gemm.array("tiles", 1, 16, true);
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const std::string where = js::child(gemm.ptr("tiles"), i);
    if (!tiles[i].is_array() || tiles[i].size() != 2)
      js::fail(where, "a tile [rows, columns]", js::describe(tiles[i]));
    const auto side = [&](std::size_t j) {
      return static_cast<int>(js::number_at(tiles[i][j], js::child(where, j), js::Range{1.0, 4096.0}));
    };
    k.gemm_tiles.emplace_back(side(0), side(1));
  }
  k.sources["gemm"] = read_source(gemm);
  js::Object ew = o.object("elementwise", {"bandwidth_share", "launch_floor_us", "source"}, true);
  k.elementwise_bandwidth_share = ew.number("bandwidth_share", kShare);
  k.launch_floor_us = ew.number("launch_floor_us", js::non_negative(10000));
  k.sources["elementwise"] = read_source(ew);
  js::Object pa = o.object("prefill_attention",
                           {"flops_share", "kv_bandwidth_share", "floor_us", "saturating_tiles_per_sm",
                            "kv_saturating_tiles_per_sm", "tile_rows", "source"}, true);
  k.prefill_flops_share = pa.number("flops_share", kShare);
  k.prefill_kv_bandwidth_share = pa.number("kv_bandwidth_share", kShare);
  k.prefill_floor_us = pa.number("floor_us", js::non_negative(10000));
  k.prefill_saturating_tiles_per_sm = pa.number("saturating_tiles_per_sm", js::positive(1000));
  k.prefill_kv_saturating_tiles_per_sm = pa.number("kv_saturating_tiles_per_sm", js::positive(1000));
  k.prefill_tile_rows = static_cast<int>(pa.integer("tile_rows", 1, 4096));
  k.sources["prefill_attention"] = read_source(pa);
  js::Object da = o.object("decode_attention", {"bandwidth_share", "floor_us", "per_sequence_us", "source"}, true);
  k.decode_bandwidth_share = da.number("bandwidth_share", kShare);
  k.decode_floor_us = da.number("floor_us", js::non_negative(10000));
  k.decode_per_sequence_us = da.number("per_sequence_us", js::non_negative(10000));
  k.sources["decode_attention"] = read_source(da);
  if (o.has("prefill_attention_fa3")) {
    js::Object fa3 = o.object("prefill_attention_fa3", {"flops_share", "floor_us", "source"}, true);
    k.has_fa3 = true;
    k.fa3_flops_share = fa3.number("flops_share", kShare);
    k.fa3_floor_us = fa3.number("floor_us", js::non_negative(10000));
    k.sources["prefill_attention_fa3"] = read_source(fa3);
  }
  js::Object ic = o.object("interconnect", {"share", "floor_us", "large_message_mib", "large_share", "source"}, true);
  k.interconnect_share = ic.number("share", kShare);
  k.all_reduce_floor_us =
      ic.has("floor_us") ? ic.number("floor_us", js::non_negative(10000)) : k.launch_floor_us;
  k.all_reduce_large_message_bytes = ic.has("large_message_mib")
                                         ? ic.number("large_message_mib", js::positive(1e6)) * 1024.0 * 1024.0
                                         : std::numeric_limits<double>::infinity();
  k.interconnect_large_share = ic.has("large_share") ? ic.number("large_share", kShare) : k.interconnect_share;
  k.sources["interconnect"] = read_source(ic);
  return k;
}

GpuSpec read_gpu(const std::string& name, json& doc, const std::string& pointer,
                 const std::map<std::string, std::string>& regions, const json& default_kernels) {
  js::Object o(doc, pointer,
               {"memory_gib", "bf16_tflops", "fp8_tflops", "fp4_tflops", "hbm_tb_per_s", "interconnect_gb_per_s",
                "sm_count", "architecture", "kernels", "price", "price_by_region", "price_note", "source"});
  GpuSpec g;
  g.name = name;
  g.memory_gib = o.number("memory_gib", js::positive(100000));
  g.bf16_tflops = o.number("bf16_tflops", js::positive(1e6));
  g.fp8_tflops = o.number("fp8_tflops", js::non_negative(1e6), 0.0);
  g.fp4_tflops = o.number("fp4_tflops", js::non_negative(1e6), 0.0);
  g.hbm_tb_per_s = o.number("hbm_tb_per_s", js::positive(1000));
  g.interconnect_gb_per_s = o.number("interconnect_gb_per_s", js::positive(1e5));
  g.sm_count = static_cast<int>(o.integer("sm_count", 1, 100000));
  g.architecture = kArchitectures[o.choice("architecture", kArchitectures, "other")];
  // Groups a GPU does not give come from the catalog's default_kernels.
  json kernels = default_kernels;
  if (o.has("kernels")) {
    if (!doc["kernels"].is_object()) js::fail(o.ptr("kernels"), "an object", js::describe(doc["kernels"]));
    kernels.merge_patch(doc["kernels"]);
  }
  g.kernels = read_kernels(kernels, o.ptr("kernels"));
  g.price = read_price(o.object("price", kPriceKeys, true));
  // Region keys are data, not schema: they are checked against the region catalog.
  if (!o.has("price_by_region")) doc["price_by_region"] = json::object();
  json& by_region = doc["price_by_region"];
  if (!by_region.is_object() || by_region.size() > kMaxEntries) {
    js::fail(o.ptr("price_by_region"), "an object of region: price", js::describe(by_region));
  }
  js::record_map(o.ptr("price_by_region"));
  std::vector<std::string> region_names;
  for (const auto& [region, text] : regions) region_names.push_back(region);
  for (auto& item : by_region.items()) {
    const std::string where = js::child(o.ptr("price_by_region"), item.key());
    if (!regions.count(item.key())) {
      js::fail(where, "a known region", js::quoted_with_suggestion(item.key(), region_names));
    }
    g.price_by_region[item.key()] = read_price(js::Object(item.value(), where, kPriceKeys));
  }
  g.price_note = o.string("price_note", GpuSpec{}.price_note);
  g.source = o.string("source");
  return g;
}

const std::vector<std::string>& model_keys() {
  static const std::vector<std::string> keys = {
      "layers",           "hidden",           "heads",           "kv_heads",          "head_dim",
      "intermediate",     "vocab",            "bytes_per_param", "classifier",        "num_labels",
      "gated_mlp",        "tied_embeddings",  "max_context_tokens", "experts",        "experts_per_token",
      "expert_intermediate", "dense_layers",     "dense_intermediate", "attention_window", "window_layers",
      "kv_lora_rank",     "q_lora_rank",      "qk_nope_head_dim", "qk_rope_head_dim",  "v_head_dim", "total_parameters", "active_parameters",
      "repository",       "source"};
  return keys;
}

// A figure an entry states for itself (as `capstan catalog import` prints
// them): it must agree with the dimensions within 1%, a check that the entry
// describes the model meant.
void check_stated(js::Object& o, const char* key, double computed) {
  if (!o.has(key)) return;
  const double stated = o.number(key, js::positive(1e15));
  if (std::abs(stated / computed - 1.0) > 0.01) {
    js::fail(o.ptr(key), "about " + js::format_number(computed) + " (what the dimensions give, within 1%)",
             js::format_number(stated));
  }
}

LlmSpec read_llm(const std::string& name, json& doc, const std::string& pointer) {
  js::Object o(doc, pointer, model_keys());
  const LlmSpec defaults;
  LlmSpec m;
  m.name = name;
  m.layers = static_cast<int>(o.integer("layers", 1, 1000));
  m.hidden = static_cast<int>(o.integer("hidden", 1, 1'000'000));
  m.heads = static_cast<int>(o.integer("heads", 1, 10'000));
  m.kv_heads = static_cast<int>(o.integer("kv_heads", 1, 10'000));
  if (m.kv_heads > m.heads || m.heads % m.kv_heads != 0) {
    js::fail(o.ptr("kv_heads"), "a divisor of heads (" + std::to_string(m.heads) + ")", std::to_string(m.kv_heads));
  }
  m.head_dim = static_cast<int>(o.integer("head_dim", 1, 10'000, m.hidden / m.heads > 0 ? m.hidden / m.heads : 1));
  m.experts = static_cast<int>(o.integer("experts", 0, 100'000, 0));
  if (m.moe()) {
    m.experts_per_token = static_cast<int>(o.integer("experts_per_token", 1, 100'000));
    if (m.experts_per_token > m.experts) {
      js::fail(o.ptr("experts_per_token"), "at most experts (" + std::to_string(m.experts) + ")",
               std::to_string(m.experts_per_token));
    }
    m.expert_intermediate = static_cast<int>(o.integer("expert_intermediate", 1, 10'000'000));
    m.intermediate = static_cast<int>(o.integer("intermediate", 0, 10'000'000, 0));  // the shared expert's; 0: none
    if (o.has("dense_layers") || o.has("dense_intermediate")) {
      m.dense_layers = static_cast<int>(o.integer("dense_layers", 1, 1000));
      if (m.dense_layers >= m.layers)
        js::fail(o.ptr("dense_layers"), "fewer than layers (" + std::to_string(m.layers) + ")",
                 std::to_string(m.dense_layers));
      m.dense_intermediate = static_cast<int>(o.integer("dense_intermediate", 1, 10'000'000));
    }
  } else {
    for (const char* key : {"experts_per_token", "expert_intermediate", "dense_layers", "dense_intermediate"}) {
      if (o.has(key)) js::fail(o.ptr(key), "no field of a dense model (experts 0)", js::describe(doc[key]));
    }
    m.intermediate = static_cast<int>(o.integer("intermediate", 1, 10'000'000));
  }
  m.vocab = static_cast<int>(o.integer("vocab", 1, 10'000'000));
  if (o.has("kv_lora_rank")) {  // multi-head latent attention
    m.kv_lora_rank = static_cast<int>(o.integer("kv_lora_rank", 1, 100'000));
    m.q_lora_rank = static_cast<int>(o.integer("q_lora_rank", 0, 100'000, 0));
    m.qk_nope_head_dim = static_cast<int>(o.integer("qk_nope_head_dim", 1, 10'000));
    m.qk_rope_head_dim = static_cast<int>(o.integer("qk_rope_head_dim", 1, 10'000));
    m.v_head_dim = static_cast<int>(o.integer("v_head_dim", 1, 10'000));
  } else {
    for (const char* key : {"q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"}) {
      if (o.has(key)) js::fail(o.ptr(key), "no field without kv_lora_rank (latent attention)", js::describe(doc[key]));
    }
  }
  if (o.has("attention_window") || o.has("window_layers")) {
    m.attention_window = static_cast<int>(o.integer("attention_window", 1, 10'000'000));
    m.window_layers = static_cast<int>(o.integer("window_layers", 1, 1000));
    if (m.window_layers > m.layers)
      js::fail(o.ptr("window_layers"), "at most layers (" + std::to_string(m.layers) + ")",
               std::to_string(m.window_layers));
  }
  m.bytes_per_param = o.number("bytes_per_param", js::Range{0.125, 8.0}, defaults.bytes_per_param);  // 1-bit to fp64
  m.classifier = o.boolean("classifier", defaults.classifier);
  m.num_labels = static_cast<int>(
      o.integer("num_labels", m.classifier ? 1 : 0, 1'000'000, m.classifier ? 2 : defaults.num_labels));
  m.gated_mlp = o.boolean("gated_mlp", defaults.gated_mlp);
  m.tied_embeddings = o.boolean("tied_embeddings", defaults.tied_embeddings);
  m.max_context_tokens = static_cast<int>(o.integer("max_context_tokens", 1, 100'000'000, defaults.max_context_tokens));
  m.repository = o.string("repository", defaults.repository, 200);
  m.source = o.string("source");
  check_stated(o, "total_parameters", m.parameters());
  check_stated(o, "active_parameters", m.active_parameters());
  return m;
}

// A model entry naming hf_config: the config's entry (hf_config.h), the
// entry's own fields over it. The path is relative to the scenario's folder.
void expand_hf_config(json& entry, const std::string& where, const std::string& base_dir) {
  std::vector<std::string> keys = model_keys();
  keys.push_back("hf_config");
  js::Object o(entry, where, keys);
  const std::string file = o.string("hf_config", std::nullopt, 4096);
  if (file.empty()) js::fail(o.ptr("hf_config"), "the path of a config.json", "\"\"");
  std::filesystem::path path(file);
  if (path.is_relative() && !base_dir.empty()) path = std::filesystem::path(base_dir) / path;
  json imported = model_entry_from_hf_config_file(path.string());
  entry.erase("hf_config");
  imported.merge_patch(entry);
  entry = std::move(imported);
}

const std::vector<std::string> kInstanceClouds = {"aws", "gcp", "azure", "generic"};
const std::vector<std::string> kInterconnects = {"nvlink", "pcie"};
const std::vector<std::string> kCloudBases = {"on_demand", "spot", "reserved_1y", "reserved_3y"};

InstanceSpec read_instance(const std::string& name, json& doc, const std::string& pointer,
                           const std::map<std::string, std::string>& regions,
                           const std::map<std::string, GpuSpec>& gpus) {
  js::Object o(doc, pointer,
               {"cloud", "api_name", "gpu", "gpus", "vcpus", "memory_gib", "local_nvme_gb", "gpu_interconnect",
                "gpu_interconnect_gb_per_s", "network_gbps", "prices", "capital_usd", "amortisation_years",
                "power_usd_per_month", "colocation_usd_per_month", "source", "price_note", "notes"});
  InstanceSpec in;
  in.name = name;
  in.cloud = kInstanceClouds[o.choice("cloud", kInstanceClouds)];
  in.api_name = o.has("api_name") ? o.string("api_name", std::nullopt, 200) : name;
  if (canonical_name(in.api_name) != name) {
    js::fail(o.ptr("api_name"), "the entry's name as the cloud spells it (\"" + name + "\" in any case)",
             "\"" + in.api_name + "\"");
  }
  const std::string gpu = canonical_name(o.string("gpu", std::nullopt, 200));
  if (!gpus.count(gpu)) {
    std::vector<std::string> names;
    for (const auto& [n, g] : gpus) names.push_back(n);
    js::fail(o.ptr("gpu"), "a GPU of the catalog", js::quoted_with_suggestion(gpu, names));
  }
  in.gpu = gpu;
  in.gpus = static_cast<int>(o.integer("gpus", 1, 64));
  in.vcpus = o.number("vcpus", js::non_negative(100000), 0.0);
  in.memory_gib = o.number("memory_gib", js::non_negative(1e7), 0.0);
  in.local_nvme_gb = o.number("local_nvme_gb", js::non_negative(1e8), 0.0);
  in.gpu_interconnect = kInterconnects[o.choice("gpu_interconnect", kInterconnects, "pcie")];
  in.gpu_interconnect_gb_per_s = o.number("gpu_interconnect_gb_per_s", js::non_negative(1e5), 0.0);
  in.network_gbps = o.number("network_gbps", js::non_negative(1e6), 0.0);
  in.source = o.string("source", std::string(), 4000);
  in.price_note = o.string("price_note", std::string(), 4000);
  o.string("notes", std::string(), 4000);
  if (in.cloud == "generic") {
    // Own hardware: one price wherever it stands, billed whether used or not.
    for (const char* key : {"prices"}) {
      if (o.has(key)) js::fail(o.ptr(key), "no prices for a generic instance (its price is made of capital_usd, "
                                            "amortisation_years, power_usd_per_month and colocation_usd_per_month)",
                               "prices");
    }
    in.capital_usd = o.number("capital_usd", js::non_negative(1e9));
    in.amortisation_years = o.number("amortisation_years", js::Range{0.0, 30.0, true, false});
    in.power_usd_per_month = o.number("power_usd_per_month", js::non_negative(1e8), 0.0);
    in.colocation_usd_per_month = o.number("colocation_usd_per_month", js::non_negative(1e8), 0.0);
    InstancePrice p;
    p.usd_per_hour[static_cast<int>(Basis::kOwned)] =
        in.capital_usd / (in.amortisation_years * kHoursPerYear) +
        (in.power_usd_per_month + in.colocation_usd_per_month) * 12.0 / kHoursPerYear;
    in.prices["*"] = p;
    return in;
  }
  for (const char* key : {"capital_usd", "amortisation_years", "power_usd_per_month", "colocation_usd_per_month"}) {
    if (o.has(key)) js::fail(o.ptr(key), "no own-hardware cost on a " + in.cloud + " instance (only cloud generic)", key);
  }
  json& list = o.raw("prices");
  if (!list.is_object() || list.empty() || list.size() > kMaxEntries) {
    js::fail(o.ptr("prices"), "an object of region: prices, at least one region", js::describe(list));
  }
  js::record_map(o.ptr("prices"));
  for (auto& item : list.items()) {
    const std::string where = js::child(o.ptr("prices"), item.key());
    const std::string region = canonical_name(item.key());
    if (!regions.count(region)) {
      std::vector<std::string> names;
      for (const auto& [n, d] : regions) names.push_back(n);
      js::fail(where, "a region of the catalog", js::quoted_with_suggestion(item.key(), names));
    }
    js::Object r(item.value(), where, kCloudBases);
    InstancePrice p;
    for (std::size_t b = 0; b < kCloudBases.size(); ++b) {
      if (b == 0 || r.has(kCloudBases[b])) p.usd_per_hour[b] = r.number(kCloudBases[b], js::positive(1e5));
    }
    in.prices[region] = p;
  }
  return in;
}

// Catalog names may hold dots ("llama-3.2-1b"), unlike scenario names.
bool is_entry_name(const std::string& key) {
  std::string undotted = key;
  for (char& c : undotted) c = c == '.' ? '_' : c;
  return js::is_name(undotted);
}

void check_entry_name(const std::string& key, const std::string& pointer) {
  if (!is_entry_name(key)) {
    js::fail(pointer, "an entry name (a letter, then letters, digits, '-', '_' or '.')", js::describe(json(key)));
  }
}

// Reads the entries of `section` into specs and docs, merging each over an
// existing entry of the same canonical name.
template <typename Spec, typename Read>
void merge_section(const json& section, const std::string& pointer, std::map<std::string, Spec>& specs,
                   std::map<std::string, std::string>& docs, Read read) {
  if (!section.is_object() || section.size() > kMaxEntries) {
    js::fail(pointer, "an object of at most " + std::to_string(kMaxEntries) + " entries", js::describe(section));
  }
  js::record_map(pointer);
  for (const auto& item : section.items()) {
    const std::string where = js::child(pointer, item.key());
    check_entry_name(item.key(), where);
    if (!item.value().is_object()) js::fail(where, "an object", js::describe(item.value()));
    const std::string name = canonical_name(item.key());
    // Merged at every level (RFC 7386): a price of one region replaces that
    // region's price and keeps the others.
    json merged = docs.count(name) ? json::parse(docs[name]) : json::object();
    merged.merge_patch(item.value());
    specs[name] = read(name, merged, where);
    docs[name] = merged.dump();
  }
}

void merge_regions(const json& section, const std::string& pointer, std::map<std::string, std::string>& regions) {
  if (!section.is_object() || section.size() > kMaxEntries) {
    js::fail(pointer, "an object of at most " + std::to_string(kMaxEntries) + " entries", js::describe(section));
  }
  js::record_map(pointer);
  for (const auto& item : section.items()) {
    const std::string where = js::child(pointer, item.key());
    check_entry_name(item.key(), where);
    if (!item.value().is_string()) js::fail(where, "a string describing the region", js::describe(item.value()));
    regions[canonical_name(item.key())] = item.value().get<std::string>();
  }
}

}  // namespace

Catalog Catalog::from_documents(const json& gpus_doc, const json& models_doc, const json& engines_doc) {
  Catalog c;
  json gpus = gpus_doc;
  js::Object g(gpus, "", {"about", "regions", "default_kernels", "gpus"});
  merge_regions(g.raw("regions"), "/regions", c.regions_);
  json defaults = g.raw("default_kernels");
  if (!defaults.is_object()) js::fail("/default_kernels", "an object", js::describe(defaults));
  read_kernels(defaults, "/default_kernels");  // complete on its own
  c.default_kernels_ = defaults.dump();
  merge_section(g.raw("gpus"), "/gpus", c.gpus_, c.gpu_docs_,
                [&](const std::string& name, json& doc, const std::string& where) {
                  return read_gpu(name, doc, where, c.regions_, json::parse(c.default_kernels_));
                });
  json models = models_doc;
  js::Object m(models, "", {"about", "models"});
  merge_section(m.raw("models"), "/models", c.llms_, c.llm_docs_, read_llm);
  json engines = engines_doc;
  js::Object e(engines, "", {"about", "default", "engines"});
  merge_section(e.raw("engines"), "/engines", c.engines_, c.engine_docs_, read_engine);
  c.default_engine_ = canonical_name(e.string("default"));
  if (!c.engines_.count(c.default_engine_)) js::fail("/default", "an engine of the catalog", c.default_engine_);
  return c;
}

Catalog Catalog::from_documents(const json& gpus_doc, const json& models_doc, const json& engines_doc,
                                const json& instances_doc) {
  Catalog c = from_documents(gpus_doc, models_doc, engines_doc);
  json instances = instances_doc;
  js::Object i(instances, "", {"about", "instances", "generic"});
  merge_section(i.raw("instances"), "/instances", c.instances_, c.instance_docs_,
                [&](const std::string& name, json& doc, const std::string& where) {
                  return read_instance(name, doc, where, c.regions_, c.gpus_);
                });
  return c;
}

Catalog Catalog::with_overrides(const json& overrides, const std::string& pointer, const std::string& base_dir) const {
  Catalog c = *this;
  json doc = overrides;
  js::Object o(doc, pointer, {"regions", "gpus", "models", "engines", "instances"});
  if (o.has("models") && doc["models"].is_object() && doc["models"].size() <= kMaxEntries) {
    for (auto& [key, entry] : doc["models"].items()) {
      if (entry.is_object() && entry.contains("hf_config")) {
        expand_hf_config(entry, js::child(o.ptr("models"), key), base_dir);
      }
    }
  }
  if (o.has("regions")) merge_regions(doc["regions"], o.ptr("regions"), c.regions_);
  if (o.has("gpus")) {
    merge_section(doc["gpus"], o.ptr("gpus"), c.gpus_, c.gpu_docs_,
                  [&](const std::string& name, json& entry, const std::string& where) {
                    return read_gpu(name, entry, where, c.regions_, json::parse(c.default_kernels_));
                  });
  }
  if (o.has("models")) merge_section(doc["models"], o.ptr("models"), c.llms_, c.llm_docs_, read_llm);
  if (o.has("engines")) merge_section(doc["engines"], o.ptr("engines"), c.engines_, c.engine_docs_, read_engine);
  if (o.has("instances")) {
    merge_section(doc["instances"], o.ptr("instances"), c.instances_, c.instance_docs_,
                  [&](const std::string& name, json& entry, const std::string& where) {
                    return read_instance(name, entry, where, c.regions_, c.gpus_);
                  });
  }
  return c;
}

const Catalog& Catalog::builtin() {
  static const Catalog catalog = [] {
    json gpus, models, engines, instances;
    for (const EmbeddedFile& f : embedded_files()) {
      const std::string name = f.name;
      if (name == "gpus.json") gpus = json::parse(f.text);
      if (name == "models.json") models = json::parse(f.text);
      if (name == "engines.json") engines = json::parse(f.text);
      if (name == "instances.json") instances = json::parse(f.text);
    }
    try {
      return from_documents(gpus, models, engines, instances);
    } catch (const js::FieldError& e) {
      throw std::logic_error(std::string("built-in catalog: ") + e.what());
    }
  }();
  return catalog;
}

const GpuSpec* Catalog::gpu(std::string_view name) const {
  auto it = gpus_.find(canonical_name(name));
  return it == gpus_.end() ? nullptr : &it->second;
}

const LlmSpec* Catalog::llm(std::string_view name) const {
  auto it = llms_.find(canonical_name(name));
  return it == llms_.end() ? nullptr : &it->second;
}

const EngineSpec* Catalog::engine(std::string_view name) const {
  auto it = engines_.find(canonical_name(name));
  return it == engines_.end() ? nullptr : &it->second;
}

const InstanceSpec* cheapest_instance(const Catalog& catalog, const std::string& cloud, const std::string& gpu,
                                      int tensor_parallel, const std::string& region, Basis basis) {
  const InstanceSpec* best = nullptr;
  double best_usd = 0.0;
  for (const auto& [name, candidate] : catalog.instances()) {  // in name order: ties go to the first
    if (candidate.cloud != cloud || candidate.gpu != gpu || candidate.gpus < tensor_parallel) continue;
    const InstancePrice* price = candidate.price_in(region);
    if (!price || !price->offers(basis)) continue;
    const double per_replica = price->at(basis) / (candidate.gpus / tensor_parallel);
    if (!best || per_replica < best_usd || (per_replica == best_usd && candidate.gpus < best->gpus)) {
      best = &candidate;
      best_usd = per_replica;
    }
  }
  return best;
}

const InstanceSpec* Catalog::instance(std::string_view name) const {
  auto it = instances_.find(canonical_name(name));
  return it == instances_.end() ? nullptr : &it->second;
}

bool Catalog::has_region(std::string_view name) const { return regions_.count(canonical_name(name)) > 0; }

namespace {
template <typename Map>
std::vector<std::string> keys_of(const Map& m) {
  std::vector<std::string> out;
  for (const auto& [key, value] : m) out.push_back(key);
  return out;
}
}  // namespace

std::vector<std::string> Catalog::gpu_names() const { return keys_of(gpus_); }
std::vector<std::string> Catalog::llm_names() const { return keys_of(llms_); }
std::vector<std::string> Catalog::region_names() const { return keys_of(regions_); }
std::vector<std::string> Catalog::engine_names() const { return keys_of(engines_); }
std::vector<std::string> Catalog::instance_names() const { return keys_of(instances_); }

}  // namespace capstan::catalog
