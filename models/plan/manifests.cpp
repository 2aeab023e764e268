// Kubernetes manifests for a plan: per pool, the machines (a Karpenter
// NodePool on AWS and on Azure's node auto-provisioning, a GKE ComputeClass
// on GCP, node labels only on a generic site), the vLLM Deployment with its
// Service, probes, drain and shared memory, and the autoscaler (a KEDA
// ScaledObject) the pool's scenario entry says. docs/clouds.md says how each
// cloud's files are applied.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "models/calibration/factory.h"
#include "models/catalog/catalog.h"
#include "models/input_error.h"
#include "models/plan/plan.h"

namespace capstan::plan {

namespace {

using oj = nlohmann::ordered_json;

std::string fmt(const char* format, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

// Kubernetes names: lowercase letters, digits and '-', at most 63 characters.
std::string dns_name(const std::string& s) {
  std::string out;
  for (char c : s) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(l)) ? l : '-');
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.substr(0, 63);
}

// Block-style YAML of a JSON value; strings double-quoted as JSON writes them
// (a JSON string is a valid YAML double-quoted scalar).
void yaml(const oj& v, int indent, std::ostringstream& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    for (const auto& [k, x] : v.items()) {
      out << pad << k << ":";
      if ((x.is_object() || x.is_array()) && !x.empty()) {
        out << "\n";
        yaml(x, indent + 2, out);
      } else {
        out << " " << (x.is_object() ? "{}" : x.is_array() ? "[]" : x.dump()) << "\n";
      }
    }
  } else if (v.is_array()) {
    for (const auto& x : v) {
      if (x.is_object() && !x.empty()) {
        std::ostringstream item;
        yaml(x, indent + 2, item);
        std::string text = item.str();
        text.replace(static_cast<std::size_t>(indent), 2, "- ");
        out << text;
      } else {
        out << pad << "- " << x.dump() << "\n";
      }
    }
  }
}

std::string document(const oj& v) {
  std::ostringstream out;
  yaml(v, 0, out);
  return out.str();
}

// GKE's accelerator label values (cloud.google.com/gke-accelerator), from
// Google Cloud's "About GPUs in GKE" list of GPU types.
std::string gke_accelerator(const catalog::InstanceSpec& in) {
  if (in.api_name.rfind("a3-megagpu", 0) == 0) return "nvidia-h100-mega-80gb";
  if (in.gpu == "h100") return "nvidia-h100-80gb";
  if (in.gpu == "h200") return "nvidia-h200-141gb";
  if (in.gpu == "b200") return "nvidia-b200";
  if (in.gpu == "a100-80gb") return "nvidia-a100-80gb";
  if (in.gpu == "a100-40gb") return "nvidia-tesla-a100";
  if (in.gpu == "l4") return "nvidia-l4";
  return "nvidia-" + in.gpu;
}

// How long a replica needs to finish what it runs once it stops taking
// requests: the longest answer its classes allow (their output cap, else the
// deployment's longest sequence) decoded at a full batch's step time, from the
// service-time model the runs use. At most an hour.
double modelled_drain_s(const scenario::Scenario& s, const scenario::Deployment& d) {
  const auto model = calibration::make_service_time_model(d.llm, d.gpu_spec, d.engine, d.tensor_parallel,
                                                          d.iteration_overhead_ms, d.profile_path);
  double longest = 0.0;
  for (const auto& c : s.classes) {
    if (c.deployment != d.name) continue;
    double output = c.output_tokens.max_value > 0 ? c.output_tokens.max_value : d.max_model_len_tokens;
    if (c.trace.enabled && c.trace.rows) {
      output = 0.0;
      for (const auto& row : *c.trace.rows) output = std::max<double>(output, row.output_tokens);
    }
    const double context = std::min<double>(c.prompt_tokens.expected() + output / 2.0, d.max_model_len_tokens);
    const auto seqs = static_cast<std::int64_t>(d.max_running_seqs);
    const double step_s = model->iteration(seqs, {}).seconds(static_cast<std::int64_t>(seqs * context));
    longest = std::max(longest, output * step_s);
  }
  return std::min(longest, 3600.0);
}

// The machine a pool's nodes are on `cloud`: its own instance on its own
// cloud, else the cheapest of `cloud` that fits (nullptr on a generic cloud).
const catalog::InstanceSpec* machine_on(const std::string& cloud, const scenario::Site& site,
                                        const scenario::Pool& pool, const scenario::Deployment& d) {
  if (cloud == site.cloud) return pool.instance.empty() ? nullptr : &pool.instance_spec;
  if (cloud == "generic") return nullptr;
  // Ranked at the spot price for a spot pool where the catalog has one, else on demand: the machine must be
  // sold there; a spot market the catalog has no price for is still one Kubernetes can ask for.
  const auto& catalog = catalog::Catalog::builtin();
  const catalog::Basis basis = catalog::Basis::kOnDemand;
  const catalog::InstanceSpec* in =
      pool.spot ? catalog::cheapest_instance(catalog, cloud, d.gpu, d.tensor_parallel, site.region, catalog::Basis::kSpot)
                : nullptr;
  if (!in) in = catalog::cheapest_instance(catalog, cloud, d.gpu, d.tensor_parallel, site.region, basis);
  if (!in) {
    throw InputError("--cloud", "", "a cloud that sells the plan's machines",
                     cloud + " (no instance of it carries " + std::to_string(d.tensor_parallel) + "x " + d.gpu +
                         " in " + site.region + " at " + catalog::basis_name(basis) + ", for " + site.name + "/" +
                         pool.name + ")");
  }
  return in;
}

oj capacity_types(const scenario::Pool& pool, const char* spot, const char* on_demand) {
  if (!pool.spot) return oj::array({on_demand});
  return pool.replacement.fallback_on_demand ? oj::array({spot, on_demand}) : oj::array({spot});
}

// Karpenter v1 NodePool (AWS, and Azure's node auto-provisioning).
oj karpenter_node_pool(const std::string& name, const oj& labels, const std::string& cloud,
                       const catalog::InstanceSpec& in, const scenario::Pool& pool, int gpu_limit, int grace_s) {
  oj requirements = oj::array();
  requirements.push_back({{"key", "karpenter.sh/capacity-type"}, {"operator", "In"},
                          {"values", capacity_types(pool, "spot", "on-demand")}});
  const bool aws = cloud == "aws";
  requirements.push_back({{"key", aws ? "node.kubernetes.io/instance-type" : "karpenter.azure.com/sku-name"},
                          {"operator", "In"},
                          {"values", {in.api_name}}});
  const oj node_class = aws ? oj{{"group", "karpenter.k8s.aws"}, {"kind", "EC2NodeClass"}, {"name", "default"}}
                            : oj{{"group", "karpenter.azure.com"}, {"kind", "AKSNodeClass"}, {"name", "default"}};
  const double scale_down_s = pool.autoscale.enabled ? pool.autoscale.scale_down_delay_s : 300.0;
  return {{"apiVersion", "karpenter.sh/v1"},
          {"kind", "NodePool"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec",
           {{"template",
             {{"metadata", {{"labels", {{"capstan.io/site", labels["capstan.io/site"]},
                                        {"capstan.io/pool", labels["capstan.io/pool"]}}}}},
              {"spec",
               {{"requirements", requirements},
                {"nodeClassRef", node_class},
                {"taints", oj::array({{{"key", "nvidia.com/gpu"}, {"value", "present"}, {"effect", "NoSchedule"}}})},
                {"expireAfter", "Never"},
                {"terminationGracePeriod", std::to_string(grace_s) + "s"}}}}},
            {"limits", {{"nvidia.com/gpu", std::to_string(gpu_limit)}}},
            {"disruption",
             {{"consolidationPolicy", "WhenEmpty"},
              {"consolidateAfter", std::to_string(static_cast<int>(scale_down_s)) + "s"}}}}}};
}

// GKE ComputeClass: the machine type, spot first where the pool falls back to on demand.
oj gke_compute_class(const std::string& name, const oj& labels, const catalog::InstanceSpec& in,
                     const scenario::Pool& pool) {
  oj priorities = oj::array();
  const oj gpu = {{"type", gke_accelerator(in)}, {"count", in.gpus}};
  for (bool spot : {true, false}) {
    if (spot && !pool.spot) continue;
    if (!spot && pool.spot && !pool.replacement.fallback_on_demand) continue;
    priorities.push_back({{"machineType", in.api_name}, {"spot", spot}, {"gpu", gpu}});
  }
  oj spec = {{"priorities", priorities},
             {"nodePoolAutoCreation", {{"enabled", true}}},
             {"whenUnsatisfiable", "DoNotScaleUp"}};
  // Back to spot once it is obtainable again, as the simulated fallback does.
  if (pool.spot && pool.replacement.fallback_on_demand) spec["activeMigration"] = {{"optimizeRulePriority", true}};
  return {{"apiVersion", "cloud.google.com/v1"},
          {"kind", "ComputeClass"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", spec}};
}

// The series vLLM exports for a scenario metric, summed over the pool's pods,
// and its target per replica.
std::pair<std::string, double> metric_query(const scenario::Autoscale& a, const scenario::Deployment& d,
                                            const std::string& name) {
  using M = scenario::Autoscale::Metric;
  const std::string pods = "{pod=~\"" + name + "-.*\"}";
  switch (a.metric) {
    case M::kQueuePerReplica: return {"sum(vllm:num_requests_waiting" + pods + ")", a.target};
    case M::kBatchOccupancy: return {"sum(vllm:num_requests_running" + pods + ")", a.target * d.max_running_seqs};
    case M::kKvOccupancy: return {"sum(vllm:kv_cache_usage_perc" + pods + ")", a.target};
    case M::kGpuBusy: return {"sum(DCGM_FI_DEV_GPU_UTIL" + pods + ") / " + std::to_string(d.tensor_parallel), 100.0 * a.target};
  }
  return {"", 0.0};
}

// KEDA: a Prometheus trigger for a metric autoscaler, cron triggers for a schedule.
oj keda_scaled_object(const std::string& name, const oj& labels, const scenario::Pool& pool,
                      const scenario::Deployment& d) {
  const auto& a = pool.autoscale;
  const auto replicas = [&](int gpus) { return gpus / pool.gpus_per_node * pool.replicas_per_node; };
  oj spec = {{"scaleTargetRef", {{"name", name}}}};
  oj triggers = oj::array();
  if (a.schedule_gpus.empty()) {
    const auto [query, target] = metric_query(a, d, name);
    spec["pollingInterval"] = static_cast<int>(a.period_s);
    spec["minReplicaCount"] = std::max(1, replicas(a.min_gpus));
    spec["maxReplicaCount"] = std::max(1, replicas(a.max_gpus));
    spec["advanced"] = {{"horizontalPodAutoscalerConfig",
                         {{"behavior", {{"scaleDown", {{"stabilizationWindowSeconds", static_cast<int>(a.scale_down_delay_s)}}}}}}}};
    triggers.push_back({{"type", "prometheus"},
                        {"metricType", "AverageValue"},
                        {"metadata",
                         {{"serverAddress", "http://prometheus-operated.monitoring.svc:9090"},
                          {"query", query},
                          {"threshold", fmt("%g", target)}}}});
  } else {
    // Each run of local hours at one size is a cron window, in UTC at the schedule's offset.
    int lowest = replicas(a.schedule_gpus[0]), highest = lowest;
    for (int g : a.schedule_gpus) {
      lowest = std::min(lowest, replicas(g));
      highest = std::max(highest, replicas(g));
    }
    const auto at = [&](int local_hour) {
      const double utc = std::fmod(local_hour - a.utc_offset_h + 48.0, 24.0);
      const int minutes = static_cast<int>(std::lround(utc * 60.0)) % (24 * 60);
      return std::to_string(minutes % 60) + " " + std::to_string(minutes / 60) + " * * *";
    };
    for (int h = 0; h < 24;) {
      int end = h + 1;
      while (end < 24 && a.schedule_gpus[static_cast<std::size_t>(end)] == a.schedule_gpus[static_cast<std::size_t>(h)]) ++end;
      const int n = replicas(a.schedule_gpus[static_cast<std::size_t>(h)]);
      if (n > lowest) {
        triggers.push_back({{"type", "cron"},
                            {"metadata",
                             {{"timezone", "Etc/UTC"}, {"start", at(h)}, {"end", at(end % 24)},
                              {"desiredReplicas", std::to_string(n)}}}});
      }
      h = end;
    }
    spec["minReplicaCount"] = lowest;
    spec["maxReplicaCount"] = std::max(1, highest);
    if (triggers.empty()) {  // one size all day: a window that never closes holds it
      triggers.push_back({{"type", "cron"},
                          {"metadata", {{"timezone", "Etc/UTC"}, {"start", "0 0 * * *"}, {"end", "59 23 * * *"},
                                        {"desiredReplicas", std::to_string(lowest)}}}});
    }
  }
  spec["triggers"] = triggers;
  return {{"apiVersion", "keda.sh/v1alpha1"},
          {"kind", "ScaledObject"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", spec}};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> kubernetes_manifests(const scenario::Scenario& s,
                                                                      const ManifestOptions& options) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& site : s.sites) {
    // --cloud moves the sites on a cloud; a generic site (an edge provider, your own racks) stays where it is.
    const std::string cloud = options.cloud.empty() || site.cloud == "generic" ? site.cloud : options.cloud;
    for (const auto& pool : site.pools) {
      if (pool.node_slots() == 0) continue;  // a pool the plan leaves out
      const auto& d = s.deployment(pool.deployment);
      const std::string name = dns_name(site.name + "-" + pool.name);
      const oj labels = {{"app.kubernetes.io/name", "vllm"},
                         {"app.kubernetes.io/part-of", dns_name(s.name)},
                         {"capstan.io/site", dns_name(site.name)},
                         {"capstan.io/pool", dns_name(pool.name)},
                         {"capstan.io/capacity", dns_name(catalog::basis_name(pool.basis))}};
      const catalog::InstanceSpec* machine = machine_on(cloud, site, pool, d);
      // The simulated pool's replicas, on this cloud's machines: a machine of k GPUs runs k / tp of them.
      const int start_replicas = pool.gpus / pool.gpus_per_node * pool.replicas_per_node;
      const int slot_replicas = pool.node_slots() * pool.replicas_per_node;
      const int per_machine = machine ? machine->gpus / d.tensor_parallel : 1;
      const int machine_gpus = machine ? machine->gpus : d.tensor_parallel;
      const int gpu_limit = (slot_replicas + per_machine - 1) / per_machine * machine_gpus;
      // Drain: the spot notice, or the time to finish the longest answer, whichever is longer, after the preStop pause.
      constexpr int kPreStopS = 5;
      const double notice_s = pool.spot ? pool.notice_s : 0.0;
      const int grace_s = static_cast<int>(std::ceil(std::max(notice_s, modelled_drain_s(s, d)))) + kPreStopS;
      // Start-up: weights read and the engine started (the node's boot comes before the pod), with room for twice that.
      const double start_s = d.llm.weight_bytes() / (pool.cold_start.weight_load_gb_per_s * 1e9) + pool.cold_start.engine_start_s;
      const int startup_failures = static_cast<int>(std::ceil(2.0 * start_s / 10.0)) + 1;

      std::string text;
      oj node_selector = {{"capstan.io/site", dns_name(site.name)}, {"capstan.io/pool", dns_name(pool.name)}};
      if (machine && (cloud == "aws" || cloud == "azure")) {
        text += document(karpenter_node_pool(name, labels, cloud, *machine, pool, gpu_limit, grace_s)) + "---\n";
        node_selector = {{"karpenter.sh/nodepool", name}};
        if (cloud == "aws") node_selector["node.kubernetes.io/instance-type"] = machine->api_name;
      } else if (machine && cloud == "gcp") {
        text += document(gke_compute_class(name, labels, *machine, pool)) + "---\n";
        node_selector = {{"cloud.google.com/compute-class", name}};
      }

      // The vLLM server with the deployment's engine settings. Data-parallel
      // attention: one engine rank a GPU, the experts shared over them, each
      // rank scheduling its share of the replica's sequences and tokens.
      const bool dp = d.llm.data_parallel_attention;
      auto per_rank = [&](int total) { return (total + d.tensor_parallel - 1) / d.tensor_parallel; };
      oj args = oj::array({"--model", d.llm.repository.empty() ? d.model : d.llm.repository, "--served-model-name",
                           d.model, "--tensor-parallel-size", std::to_string(dp ? 1 : d.tensor_parallel),
                           "--max-num-seqs", std::to_string(dp ? per_rank(d.max_running_seqs) : d.max_running_seqs),
                           "--max-num-batched-tokens",
                           std::to_string(dp ? per_rank(d.max_batch_tokens) : d.max_batch_tokens), "--max-model-len",
                           std::to_string(d.max_model_len_tokens), "--block-size", std::to_string(d.block_size_tokens),
                           "--gpu-memory-utilization", fmt("%g", d.gpu_memory_utilization), "--port", "8000"});
      args.push_back(d.prefix_caching ? "--enable-prefix-caching" : "--no-enable-prefix-caching");
      // A classifier runs as a pooling model (vLLM 0.10.1 on: --runner and --convert replace --task).
      if (d.llm.classifier) args.insert(args.end(), {"--runner", "pooling", "--convert", "classify"});
      // FP8 GEMMs (vLLM quantises a 16-bit checkpoint at load, or reads an FP8 one) and an FP8 KV cache;
      // 4-bit weights come with their checkpoint (the model's repository).
      if (d.llm.gemm_precision == "fp8") args.insert(args.end(), {"--quantization", "fp8"});
      if (d.llm.kv_bytes == 1.0) args.insert(args.end(), {"--kv-cache-dtype", "fp8"});
      if (dp) args.insert(args.end(), {"--data-parallel-size", std::to_string(d.tensor_parallel)});
      if (d.llm.expert_parallel) args.push_back("--enable-expert-parallel");
      if (d.enforce_eager) args.push_back("--enforce-eager");
      const std::string version = d.engine.name == "vllm" && !d.engine.version.empty() ? "v" + d.engine.version : "latest";

      const oj selector = {{"capstan.io/site", dns_name(site.name)}, {"capstan.io/pool", dns_name(pool.name)}};
      oj pod_labels = selector;
      pod_labels["app.kubernetes.io/name"] = "vllm";
      oj requests = {{"nvidia.com/gpu", std::to_string(d.tensor_parallel)}};
      oj limits = requests;
      if (machine && machine->vcpus > 0 && machine->memory_gib > 0) {
        // A replica's share of the machine's host, less a tenth for the node's own daemons.
        const int share = std::max(1, per_machine);
        requests["cpu"] = std::to_string(std::max(1, static_cast<int>(0.9 * machine->vcpus / share)));
        requests["memory"] = std::to_string(std::max(1, static_cast<int>(0.9 * machine->memory_gib / share))) + "Gi";
      }
      const oj probe_get = {{"path", "/health"}, {"port", "http"}};
      const oj container = {
          {"name", "vllm"},
          {"image", "vllm/vllm-openai:" + version},
          {"args", args},
          {"env", oj::array({{{"name", "HF_TOKEN"},
                              {"valueFrom", {{"secretKeyRef", {{"name", "hf-token"}, {"key", "token"}, {"optional", true}}}}}}})},
          {"ports", oj::array({{{"name", "http"}, {"containerPort", 8000}}})},
          {"resources", {{"requests", requests}, {"limits", limits}}},
          {"startupProbe", {{"httpGet", probe_get}, {"periodSeconds", 10}, {"failureThreshold", startup_failures}}},
          {"readinessProbe", {{"httpGet", probe_get}, {"periodSeconds", 5}}},
          {"livenessProbe", {{"httpGet", probe_get}, {"periodSeconds", 10}, {"failureThreshold", 6}}},
          {"lifecycle", {{"preStop", {{"sleep", {{"seconds", kPreStopS}}}}}}},
          {"volumeMounts", oj::array({{{"name", "dshm"}, {"mountPath", "/dev/shm"}}})}};
      const oj deployment = {
          {"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec",
           {{"replicas", start_replicas},
            {"selector", {{"matchLabels", selector}}},
            {"template",
             {{"metadata", {{"labels", pod_labels}}},
              {"spec",
               {{"nodeSelector", node_selector},
                {"tolerations", oj::array({{{"key", "nvidia.com/gpu"}, {"operator", "Exists"}, {"effect", "NoSchedule"}}})},
                {"terminationGracePeriodSeconds", grace_s},
                {"containers", oj::array({container})},
                {"volumes", oj::array({{{"name", "dshm"},
                                        {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", "16Gi"}}}}})}}}}}}}};
      const oj service = {{"apiVersion", "v1"},
                          {"kind", "Service"},
                          {"metadata", {{"name", name}, {"labels", labels}}},
                          {"spec",
                           {{"selector", selector},
                            {"ports", oj::array({{{"name", "http"}, {"port", 8000}, {"targetPort", "http"}}})}}}};
      text += document(deployment) + "---\n" + document(service);
      if (pool.autoscale.enabled) {
        text += "---\n" + document(keda_scaled_object(name, labels, pool, d));
      }
      files.emplace_back(name + ".yaml", text);
    }
  }
  return files;
}

}  // namespace capstan::plan
