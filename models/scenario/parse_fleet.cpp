// Readers for the deployments, sites, network, routing and cost sections.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include "models/catalog/clouds.h"
#include "models/scenario/parse.h"

namespace capstan::scenario::detail {

using nlohmann::json;
namespace js = capstan::input;

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Options of the enumerated fields, in the order of their enums; the default
// of each is the struct's (scenario.h).
const std::vector<std::string> kSiteKinds = {"edge", "cloud"};                               // Site::Kind
const std::vector<std::string> kPolicies = {"nearest", "latency_budget", "least_loaded"};  // Routing::Policy
// Pool::basis, in the order of catalog::Basis.
const std::vector<std::string> kCapacities = {"on_demand", "spot", "reserved_1y", "reserved_3y", "owned"};

std::string gib(double bytes) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(1);
  out << bytes / kGiB;
  return out.str();
}

// vLLM refuses to start unless one max-length sequence's KV cache fits next to
// the weights; so do we. KV heads are split across tensor-parallel ranks (and
// replicated when there are fewer of them than ranks; a latent cache whole on each).
void check_fits(const Deployment& d, const std::string& pointer) {
  const double weights = d.llm.replica_weight_bytes(d.tensor_parallel) / d.tensor_parallel;
  const double copies = d.llm.kv_copies(d.tensor_parallel);
  const double kv = (d.llm.kv_bytes_per_token() * d.max_model_len_tokens +
                     d.llm.kv_window_bytes_per_sequence(d.max_model_len_tokens)) *
                    copies / d.tensor_parallel;
  const double usable = d.gpu_spec.memory_gib * kGiB * d.gpu_memory_utilization;
  if (weights + kv > usable) {
    js::fail(pointer,
             "a model that fits its GPUs (weights / tensor_parallel + the KV cache of one max_model_len_tokens "
             "sequence <= memory_gib x gpu_memory_utilization)",
             d.model + " on " + d.gpu + " with tensor_parallel " + std::to_string(d.tensor_parallel) + " needs " +
                 gib(weights + kv) + " GiB per GPU (weights " + gib(weights) + ", KV " + gib(kv) + "), " +
                 gib(usable) + " GiB usable");
  }
  // The KV cache as the replica lays it out: whole blocks in the memory all
  // its GPUs leave beside the weights, at least one max_model_len_tokens sequence.
  const double windows = d.max_running_seqs * d.llm.kv_window_bytes_per_sequence(d.max_model_len_tokens) * copies;
  const double room =
      (d.tensor_parallel * usable - d.llm.replica_weight_bytes(d.tensor_parallel) - windows) /
      (d.llm.kv_bytes_per_token() * copies);
  const double blocks = std::floor(room / d.block_size_tokens);
  if (blocks * d.block_size_tokens < std::max(d.max_model_len_tokens, d.block_size_tokens)) {
    js::fail(pointer, "a KV cache of whole blocks holding one max_model_len_tokens sequence",
             "room for " + js::format_number(std::max(0.0, blocks)) + " blocks of " + std::to_string(d.block_size_tokens) +
                 " tokens beside " + d.model + "'s weights" +
                 (windows > 0.0 ? " and its windowed layers' " + gib(windows) + " GiB for max_running_seqs " +
                                      std::to_string(d.max_running_seqs) + " sequences (lower max_running_seqs)"
                                : ""));
  }
}

// A latency of a hosted API: a number of ms (constant) or a distribution.
Distribution parse_api_latency(js::Object& o, const std::string& key, js::Range range) {
  json& v = o.raw(key);
  if (v.is_number()) {
    Distribution d;  // constant
    d.value = js::number_at(v, o.ptr(key), range);
    return d;
  }
  if (!v.is_object()) js::fail(o.ptr(key), "a number of ms or a distribution object", js::describe(v));
  Distribution d = parse_distribution(v, o.ptr(key));
  if (d.expected() > range.hi) {
    js::fail(o.ptr(key), "a distribution with a mean <= " + js::format_number(range.hi) + " ms",
             js::format_number(d.expected()));
  }
  return d;
}

Deployment parse_hosted(json& value, const std::string& pointer) {
  js::Object o(value, pointer, {"name", "hosted"});
  Deployment d;
  d.name = o.name("name");
  d.hosted = true;
  js::Object h = o.object(
      "hosted", {"input_usd_per_mtok", "output_usd_per_mtok", "ttft_ms", "tpot_ms", "region", "rate_limit"}, true);
  d.input_usd_per_mtok = h.number("input_usd_per_mtok", js::non_negative(10000));
  d.output_usd_per_mtok = h.number("output_usd_per_mtok", js::non_negative(10000));
  d.api_ttft_ms = parse_api_latency(h, "ttft_ms", js::positive(600000));
  d.api_tpot_ms = parse_api_latency(h, "tpot_ms", js::non_negative(60000));
  d.region = h.string("region", Deployment{}.region, 200);
  if (h.has("rate_limit")) {
    js::Object r = h.object("rate_limit", {"requests_per_minute", "tokens_per_minute", "max_retries", "backoff_s"}, true);
    const RateLimit defaults;
    RateLimit& rl = d.rate_limit;
    rl.enabled = true;
    rl.requests_per_minute = r.number("requests_per_minute", js::non_negative(1e9), defaults.requests_per_minute);
    rl.tokens_per_minute = r.number("tokens_per_minute", js::non_negative(1e12), defaults.tokens_per_minute);
    if (rl.requests_per_minute == 0 && rl.tokens_per_minute == 0) {
      js::fail(r.pointer(), "requests_per_minute or tokens_per_minute above 0", "neither");
    }
    // Every refusal schedules one retry: bound them so a call cannot retry for ever.
    rl.max_retries = static_cast<int>(r.integer("max_retries", 0, 20, defaults.max_retries));
    rl.backoff_s = r.number("backoff_s", js::Range{0.001, 3600.0}, defaults.backoff_s);
  }
  return d;
}

// The precision a deployment serves its model in. Weights: bytes per
// parameter with their scales (int4: GPTQ/AWQ's fp16 scale per 128 weights;
// mxfp4: OCP MX's 8-bit scale per 32; nvfp4: an FP8 scale per 16), the
// model's own where left out. Activations: the GEMMs' tensor-core precision,
// FP8 only with FP8 weights on a GPU with FP8 tensor cores (Ada, Hopper and
// newer), FP4 only with 4-bit float weights on one with FP4 tensor cores
// (Blackwell); 4-bit or 8-bit weights under bf16 activations run through
// dequantising kernels (bytes at the weights' precision, math in bf16). The
// KV cache: bytes per element.
void parse_precision(js::Object p, Deployment& d) {
  // Bytes a weight takes, in the order of kPrecisionWeights.
  static const std::vector<double> kWeightBytes = {2.0, 2.0, 1.0, 1.0, 0.5 + 2.0 / 128.0, 0.5 + 1.0 / 32.0,
                                                   0.5 + 1.0 / 16.0};
  std::string weights = d.llm.bytes_per_param == 2.0 ? "bf16" : "";
  if (p.has("weights")) {
    const std::size_t w = p.choice("weights", kPrecisionWeights);
    weights = kPrecisionWeights[w];
    d.llm.bytes_per_param = kWeightBytes[w];
  }
  const std::string activations = kPrecisionActivations[p.choice("activations", kPrecisionActivations, "bf16")];
  const std::string& gpu = d.gpu_spec.name;
  if (activations == "fp8") {
    if (weights != "fp8") {
      js::fail(p.ptr("activations"), "bf16 or fp16 with " + (weights.empty() ? "the model's" : weights) +
                                         " weights (an FP8 GEMM takes FP8 weights: set weights to fp8)",
               "\"fp8\"");
    }
    if (!(d.gpu_spec.fp8_tflops > 0.0)) {
      js::fail(p.ptr("activations"), "a precision the tensor cores of " + gpu + " run (bf16 or fp16: no FP8 before Ada)",
               "\"fp8\"");
    }
    d.llm.gemm_precision = "fp8";
  } else if (activations == "fp4") {
    if (weights != "nvfp4" && weights != "mxfp4") {
      js::fail(p.ptr("activations"), "bf16, fp16 or fp8 with " + (weights.empty() ? "the model's" : weights) +
                                         " weights (an FP4 GEMM takes nvfp4 or mxfp4 weights)",
               "\"fp4\"");
    }
    if (!(d.gpu_spec.fp4_tflops > 0.0)) {
      js::fail(p.ptr("activations"),
               "a precision the tensor cores of " + gpu + " run (no FP4 before Blackwell)", "\"fp4\"");
    }
    d.llm.gemm_precision = "fp4";
  }
  d.llm.kv_bytes = kPrecisionKvCache[p.choice("kv_cache", kPrecisionKvCache, "bf16")] == "fp8" ? 1.0 : 2.0;
}

Deployment parse_self_hosted(json& value, const std::string& pointer, const catalog::Catalog& catalog,
                             const std::string& base_dir) {
  js::Object o(value, pointer,
               {"name", "model", "gpu", "tensor_parallel", "max_running_seqs", "max_batch_tokens",
                "block_size_tokens", "gpu_memory_utilization", "iteration_overhead_ms", "prefix_caching", "profile",
                "max_model_len_tokens", "engine", "precision", "expert_parallel", "data_parallel_attention"});
  const Deployment defaults;
  Deployment d;
  d.name = o.name("name");
  const std::string model = o.string("model", std::nullopt, 200);
  const catalog::LlmSpec* llm = catalog.llm(model);
  if (!llm) js::fail(o.ptr("model"), "a model of the catalog", js::quoted_with_suggestion(model, catalog.llm_names()));
  const std::string gpu = o.string("gpu", std::nullopt, 200);
  const catalog::GpuSpec* spec = catalog.gpu(gpu);
  if (!spec) js::fail(o.ptr("gpu"), "a GPU of the catalog", js::quoted_with_suggestion(gpu, catalog.gpu_names()));
  d.llm = *llm;
  d.gpu_spec = *spec;
  d.model = llm->name;
  d.gpu = spec->name;
  d.tensor_parallel = static_cast<int>(o.integer("tensor_parallel", 1, 64, defaults.tensor_parallel));
  if (llm->heads % d.tensor_parallel != 0) {
    js::fail(o.ptr("tensor_parallel"), "a divisor of the model's " + std::to_string(llm->heads) + " attention heads",
             std::to_string(d.tensor_parallel));
  }
  d.max_running_seqs = static_cast<int>(o.integer("max_running_seqs", 1, 65536, defaults.max_running_seqs));
  d.max_batch_tokens = static_cast<int>(o.integer("max_batch_tokens", 1, 1 << 20, defaults.max_batch_tokens));
  d.block_size_tokens = static_cast<int>(o.integer("block_size_tokens", 1, 1024, defaults.block_size_tokens));
  d.gpu_memory_utilization = o.number("gpu_memory_utilization", js::positive(1.0), defaults.gpu_memory_utilization);
  d.iteration_overhead_ms = o.number("iteration_overhead_ms", js::non_negative(1000), defaults.iteration_overhead_ms);
  d.prefix_caching = o.boolean("prefix_caching", defaults.prefix_caching);
  {
    // The serving engine: the catalog's entry, run eagerly or with its CUDA
    // graphs, with the front end's figures overridable per deployment.
    js::Object e = o.object("engine", {"name", "version", "enforce_eager", "request_ms", "stream_us"}, false);
    const std::string name = e.string("name", catalog.default_engine(), 200);
    const catalog::EngineSpec* engine = catalog.engine(name);
    if (!engine) {
      js::fail(e.ptr("name"), "an engine of the catalog", js::quoted_with_suggestion(name, catalog.engine_names()));
    }
    d.engine = *engine;
    const std::string version = e.string("version", engine->version, 100);
    if (version != engine->version) {
      js::fail(e.ptr("version"), "\"" + engine->version + "\", the version the catalog's " + engine->name +
                                     " entry describes (add an entry under catalog.engines for another)",
               "\"" + version + "\"");
    }
    d.enforce_eager = e.boolean("enforce_eager", false);
    if (d.enforce_eager) d.engine.cuda_graph_max_tokens = 0;
    d.engine.request_ms = e.number("request_ms", js::non_negative(100000), engine->request_ms);
    d.engine.stream_us = e.number("stream_us", js::non_negative(1e6), engine->stream_us);
  }
  // Read only where given: a scenario without it keeps its canonical form (and its sha256).
  if (o.has("precision")) parse_precision(o.object("precision", {"weights", "activations", "kv_cache"}, true), d);
  if (o.has("expert_parallel") && o.boolean("expert_parallel")) {
    if (!d.llm.moe()) js::fail(o.ptr("expert_parallel"), "false for a dense model (" + d.model + " has no experts)", "true");
    if (d.llm.experts % d.tensor_parallel != 0) {
      js::fail(o.ptr("expert_parallel"),
               "false, or a tensor_parallel that divides the model's " + std::to_string(d.llm.experts) + " experts",
               "true with tensor_parallel " + std::to_string(d.tensor_parallel));
    }
    d.llm.expert_parallel = true;
  }
  if (o.has("data_parallel_attention") && o.boolean("data_parallel_attention")) {
    if (!d.llm.expert_parallel || d.tensor_parallel < 2)
      js::fail(o.ptr("data_parallel_attention"),
               "false, or expert_parallel true with tensor_parallel of 2 or more (attention data-parallel over the "
               "GPUs that share the experts)",
               "true");
    d.llm.data_parallel_attention = true;
  }
  d.max_model_len_tokens =
      static_cast<int>(o.integer("max_model_len_tokens", 1, 100'000'000, llm->max_context_tokens));
  if (d.max_model_len_tokens > llm->max_context_tokens) {  // the model's bound: the validator's, not the schema's
    js::fail(o.ptr("max_model_len_tokens"),
             "an integer in [1, " + std::to_string(llm->max_context_tokens) + "] (" + d.model + "'s max_context_tokens)",
             std::to_string(d.max_model_len_tokens));
  }
  const std::string profile = o.string("profile", "", 4096);
  if (!profile.empty()) {
    const std::filesystem::path p(profile);
    d.profile_path = p.is_relative() && !base_dir.empty() ? (std::filesystem::path(base_dir) / p).string() : profile;
  }
  check_fits(d, pointer);
  return d;
}

std::string usd(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.2f", x);
  return buf;
}

int round_up(int gpus, int step) { return (gpus + step - 1) / step * step; }

// The machine a pool's nodes are, and its price: the instance it names, the
// cheapest of the site's cloud that fits (per replica, at the pool's basis in
// the site's region), or on a generic site a bare node of tensor_parallel GPUs.
void resolve_instance(js::Object& o, Pool& p, const Deployment& d, const catalog::Catalog& catalog,
                      const std::string& cloud, const std::string& region) {
  using catalog::Basis;
  const std::string basis_name = catalog::basis_name(p.basis);
  const catalog::InstanceSpec* in = nullptr;
  if (p.basis == Basis::kOwned && cloud != "generic") {
    js::fail(o.ptr("capacity"), "a basis a cloud sells (on_demand, spot, reserved_1y, reserved_3y); owned is for generic instances",
             "\"owned\"");
  }
  if (o.has("instance")) {
    const std::string name = o.string("instance", std::nullopt, 200);
    in = catalog.instance(name);
    if (!in) js::fail(o.ptr("instance"), "an instance of the catalog", js::quoted_with_suggestion(name, catalog.instance_names()));
    const std::string found = "\"" + in->name + "\" (" + std::to_string(in->gpus) + "x " + in->gpu + ", " + in->cloud + ")";
    if (in->cloud != cloud) js::fail(o.ptr("instance"), "an instance of the site's cloud \"" + cloud + "\"", found);
    if (in->gpu != d.gpu) js::fail(o.ptr("instance"), "an instance of " + d.gpu + " GPUs (deployment \"" + d.name + "\")", found);
    if (in->gpus < d.tensor_parallel) {
      js::fail(o.ptr("instance"), "an instance of at least tensor_parallel (" + std::to_string(d.tensor_parallel) + ") GPUs", found);
    }
    const catalog::InstancePrice* price = in->price_in(region);
    if (!price) js::fail(o.ptr("instance"), "an instance the catalog prices in region \"" + region + "\"", found);
    if (!price->offers(p.basis)) {
      std::string offered;
      for (int b = 0; b < catalog::kBases; ++b) {
        if (price->offers(static_cast<Basis>(b))) offered += std::string(offered.empty() ? "" : ", ") + catalog::basis_name(static_cast<Basis>(b));
      }
      js::fail(o.ptr("capacity"), "a basis " + in->name + " is sold on in " + region + " (" + offered + ")", "\"" + basis_name + "\"");
    }
  } else if (cloud != "generic") {
    in = catalog::cheapest_instance(catalog, cloud, d.gpu, d.tensor_parallel, region, p.basis);
    if (!in) {
      js::fail(o.ptr("deployment"),
               "a deployment some " + cloud + " instance of the catalog can serve in " + region + " at " + basis_name +
                   " (or an instance added in the scenario's catalog section)",
               "\"" + d.name + "\" (" + std::to_string(d.tensor_parallel) + "x " + d.gpu + ")");
    }
    p.instance_picked = true;
  }
  if (!in) {
    // A bare node on a generic site: the GPU catalog's price per GPU.
    if (p.basis != Basis::kOnDemand && p.basis != Basis::kSpot) {
      js::fail(o.ptr("capacity"), "on_demand or spot for a pool of bare GPUs (" + basis_name + " needs an instance)",
               "\"" + basis_name + "\"");
    }
    const auto& price = d.gpu_spec.price_in(region);
    p.gpus_per_node = d.tensor_parallel;
    p.replicas_per_node = 1;
    p.on_demand_usd_per_node_hour = d.tensor_parallel * price.on_demand_usd_per_hour;
    p.usd_per_node_hour = p.spot ? d.tensor_parallel * price.spot_usd_per_hour : p.on_demand_usd_per_node_hour;
    return;
  }
  p.instance = in->name;
  p.instance_spec = *in;
  p.gpus_per_node = in->gpus;
  p.replicas_per_node = in->gpus / d.tensor_parallel;
  const catalog::InstancePrice& price = *in->price_in(region);
  p.usd_per_node_hour = price.at(p.basis);
  p.on_demand_usd_per_node_hour = price.offers(Basis::kOnDemand) ? price.at(Basis::kOnDemand) : p.usd_per_node_hour;
  if (p.spot && p.replacement.fallback_on_demand && !price.offers(Basis::kOnDemand)) {
    js::fail(o.ptr("replacement"), "no on-demand fallback: " + in->name + " is not sold on demand in " + region, "fallback on_demand");
  }
  // Sizes in whole nodes: a picked instance rounds them up (and says so), a named one must hold them.
  const int step = p.gpus_per_node;
  std::vector<std::pair<int*, std::string>> sizes = {{&p.gpus, o.ptr("gpus")}};
  if (p.autoscale.enabled && p.autoscale.schedule_gpus.empty()) {
    sizes.emplace_back(&p.autoscale.min_gpus, js::child(o.ptr("autoscale"), "min_gpus"));
    sizes.emplace_back(&p.autoscale.max_gpus, js::child(o.ptr("autoscale"), "max_gpus"));
  }
  for (std::size_t h = 0; h < p.autoscale.schedule_gpus.size(); ++h) {
    sizes.emplace_back(&p.autoscale.schedule_gpus[h], js::child(js::child(o.ptr("autoscale"), "schedule"), h));
  }
  bool rounded = false;
  for (auto& [gpus, where] : sizes) {
    if (*gpus % step == 0) continue;
    if (!p.instance_picked) {
      js::fail(where, "a multiple of " + in->name + "'s " + std::to_string(step) + " GPUs", std::to_string(*gpus));
    }
    *gpus = round_up(*gpus, step);
    rounded = true;
  }
  const int leftover = p.gpus_per_node - p.replicas_per_node * d.tensor_parallel;
  p.instance_note = (p.instance_picked ? "picked " : "named ") + in->api_name + " (" + std::to_string(in->gpus) + "x " +
                    in->gpu + ", " + std::to_string(p.replicas_per_node) + " replica" +
                    (p.replicas_per_node > 1 ? "s" : "") + " of " + std::to_string(d.tensor_parallel) + " GPU" +
                    (d.tensor_parallel > 1 ? "s" : "") + " a node" +
                    (leftover > 0 ? ", " + std::to_string(leftover) + " GPUs idle" : "") + ") at " + usd(p.usd_per_node_hour) +
                    "/h " + basis_name + " in " + region +
                    (p.instance_picked ? ", the cheapest " + cloud + " instance per replica that fits" : "") +
                    (rounded ? "; sizes rounded up to whole nodes (" + std::to_string(p.gpus) + " GPUs to start)" : "");
}

Pool parse_pool(json& value, const std::string& pointer, const catalog::Catalog& catalog,
                const std::vector<Deployment>& deployments, const std::string& cloud, const std::string& region,
                const std::string& base_dir) {
  js::Object o(value, pointer,
               {"name", "deployment", "gpu", "gpus", "instance", "capacity", "notice_s", "interruptions", "replacement",
                "cold_start", "autoscale"});
  Pool p;
  p.name = o.name("name");
  p.deployment = o.name("deployment");
  const Deployment* d = nullptr;
  std::vector<std::string> names;
  for (const auto& candidate : deployments) {
    if (candidate.hosted) continue;
    names.push_back(candidate.name);
    if (candidate.name == p.deployment) d = &candidate;
  }
  if (!d) {
    js::fail(o.ptr("deployment"), "the name of a self-hosted deployment",
             js::quoted_with_suggestion(p.deployment, names));
  }
  const std::string gpu = o.string("gpu", d->gpu, 200);
  const catalog::GpuSpec* spec = catalog.gpu(gpu);
  if (!spec) js::fail(o.ptr("gpu"), "a GPU of the catalog", js::quoted_with_suggestion(gpu, catalog.gpu_names()));
  if (spec->name != d->gpu) {
    js::fail(o.ptr("gpu"), "\"" + d->gpu + "\", the GPU of deployment \"" + d->name + "\"", "\"" + gpu + "\"");
  }
  p.gpu = spec->name;
  p.gpus = static_cast<int>(o.integer("gpus", 0, static_cast<std::int64_t>(kMaxPoolGpus)));
  if (p.gpus % d->tensor_parallel != 0) {
    js::fail(o.ptr("gpus"), "a multiple of tensor_parallel (" + std::to_string(d->tensor_parallel) + ")",
             std::to_string(p.gpus));
  }
  // Own hardware is owned; anything else is on demand unless the pool says otherwise.
  const catalog::InstanceSpec* named = o.has("instance") && o.raw("instance").is_string()
                                           ? catalog.instance(o.raw("instance").get<std::string>())
                                           : nullptr;
  const std::size_t fallback_basis = named && named->cloud == "generic" ? 4 : 0;
  p.basis = static_cast<catalog::Basis>(o.choice("capacity", kCapacities, kCapacities[fallback_basis]));
  p.spot = p.basis == catalog::Basis::kSpot;
  parse_lifecycle(o, p, *d, cloud, base_dir);
  resolve_instance(o, p, *d, catalog, cloud, region);
  return p;
}

}  // namespace

std::vector<Deployment> parse_deployments(json& list, const std::string& pointer, const catalog::Catalog& catalog,
                                          const std::string& base_dir) {
  std::vector<Deployment> out;
  std::map<std::string, std::string> seen;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string where = js::child(pointer, i);
    json& item = list[i];
    const bool hosted = item.is_object() && item.contains("hosted");
    // One deployment is one part of the document (json_reader.h): a broken one is left out, and what
    // refers to it is skipped.
    const bool read = js::part([&] {
      Deployment d = hosted ? parse_hosted(item, where) : parse_self_hosted(item, where, catalog, base_dir);
      check_unique(seen, d.name, js::child(where, "name"));
      out.push_back(std::move(d));
    });
    if (!read) mark_broken(item);
  }
  return out;
}

std::vector<Site> parse_sites(json& list, const std::string& pointer, const catalog::Catalog& catalog,
                              const std::vector<Deployment>& deployments, const std::string& base_dir) {
  std::vector<Site> out;
  std::map<std::string, std::string> seen;
  double total_gpus = 0.0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string where = js::child(pointer, i);
    const bool read = js::part([&] {
      js::Object o(list[i], where, {"name", "kind", "region", "cloud", "pools"});
      Site site;
      site.name = o.name("name");
      check_unique(seen, site.name, o.ptr("name"));
      site.kind = static_cast<Site::Kind>(o.choice("kind", kSiteKinds, option_of(kSiteKinds, Site{}.kind)));
      const std::string region = o.string("region", std::nullopt, 200);
      if (!catalog.has_region(region)) {
        js::fail(o.ptr("region"), "a region of the catalog",
                 js::quoted_with_suggestion(region, catalog.region_names()));
      }
      site.region = catalog::canonical_name(region);
      const auto& clouds = catalog::Clouds::builtin();
      const std::string cloud = o.string("cloud", Site{}.cloud, 200);
      if (!clouds.cloud(cloud)) {
        js::fail(o.ptr("cloud"), "a cloud of the catalog", js::quoted_with_suggestion(cloud, clouds.names()));
      }
      site.cloud = catalog::canonical_name(cloud);
      json& pools = o.array("pools", 0, kMaxPoolsPerSite, false);
      std::map<std::string, std::string> pool_names;
      for (std::size_t j = 0; j < pools.size(); ++j) {
        const std::string pool_where = js::child(o.ptr("pools"), j);
        if (refers_to_broken(pools[j], "deployment")) continue;
        js::part([&] {
          site.pools.push_back(parse_pool(pools[j], pool_where, catalog, deployments, site.cloud, site.region, base_dir));
          check_unique(pool_names, site.pools.back().name, js::child(pool_where, "name"));
          total_gpus += site.pools.back().gpus;
          if (total_gpus > kMaxTotalGpus) {
            js::fail(js::child(pool_where, "gpus"), "at most 1000000 GPUs in all pools together",
                     js::format_number(total_gpus) + " so far");
          }
        });
      }
      out.push_back(std::move(site));
    });
    if (!read) mark_broken(list[i]);
  }
  return out;
}

std::vector<Link> parse_links(js::Object network, const Scenario& scenario) {
  std::vector<std::string> nodes;
  for (const auto& origin : scenario.workload.origins) nodes.push_back(origin.name);
  for (const auto& site : scenario.sites) nodes.push_back(site.name);
  for (const auto& d : scenario.deployments) {
    if (d.hosted && !d.region.empty() && std::find(nodes.begin(), nodes.end(), d.region) == nodes.end()) {
      nodes.push_back(d.region);
    }
  }
  const std::set<std::string> known(nodes.begin(), nodes.end());
  json& list = network.array("links", 0, kMaxLinks, false);
  std::vector<Link> out;
  std::map<std::pair<std::string, std::string>, std::string> seen;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (refers_to_broken(list[i], "a") || refers_to_broken(list[i], "b")) continue;
    js::part([&] {
      js::Object o(list[i], js::child(network.ptr("links"), i), {"a", "b", "rtt_ms"});
      Link link;
      for (const char* end : {"a", "b"}) {
        const std::string name = o.string(end, std::nullopt, 200);
        if (!known.count(name)) {
          js::fail(o.ptr(end), "the name of an origin, a site or a hosted API's region",
                   js::quoted_with_suggestion(name, nodes));
        }
        (end[0] == 'a' ? link.a : link.b) = name;
      }
      if (link.a == link.b) js::fail(o.ptr("b"), "a node other than a (\"" + link.a + "\")", "\"" + link.b + "\"");
      link.rtt_ms = o.number("rtt_ms", js::non_negative(10000));
      auto key = std::minmax(link.a, link.b);
      auto [it, inserted] = seen.emplace(std::make_pair(key.first, key.second), o.pointer());
      if (!inserted) {
        js::fail(o.pointer(), "one link per pair of nodes",
                 "a second link " + link.a + " - " + link.b + " (the first at " + it->second + ")");
      }
      out.push_back(link);
    });
  }
  return out;
}

Routing parse_routing(js::Object o) {
  const Routing defaults;
  Routing r;
  r.policy = static_cast<Routing::Policy>(o.choice("policy", kPolicies, option_of(kPolicies, defaults.policy)));
  r.budget_share = o.number("budget_share", js::positive(10.0), defaults.budget_share);
  r.max_spill_sites = static_cast<int>(o.integer("max_spill_sites", 0, 1000, defaults.max_spill_sites));
  r.prefix_affinity = o.boolean("prefix_affinity", defaults.prefix_affinity);
  r.prefix_affinity_max_waiting =
      static_cast<int>(o.integer("prefix_affinity_max_waiting", 0, 1'000'000, defaults.prefix_affinity_max_waiting));
  return r;
}

Cost parse_cost(js::Object o) {
  const Cost defaults;
  Cost c;
  c.egress_usd_per_gb = o.number("egress_usd_per_gb", js::non_negative(100), defaults.egress_usd_per_gb);
  c.bytes_per_token = o.number("bytes_per_token", js::positive(1000), defaults.bytes_per_token);
  c.reviewer_usd_per_hour = o.number("reviewer_usd_per_hour", js::non_negative(10000), defaults.reviewer_usd_per_hour);
  c.reviewer_items_per_hour =
      o.number("reviewer_items_per_hour", js::positive(1e6), defaults.reviewer_items_per_hour);
  return c;
}

}  // namespace capstan::scenario::detail
