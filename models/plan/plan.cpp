#include "models/plan/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <sstream>

#include "models/api/load_scenario.h"
#include "models/catalog/catalog.h"
#include "models/input/json_reader.h"
#include "models/input/read_file.h"
#include "models/input_error.h"
#include "models/scenario/load.h"
#include "models/world/figures.h"
#include "sim/estimate.h"
#include "sim/replication.h"

namespace capstan::plan {

namespace js = capstan::input;
using nlohmann::json;

namespace {

constexpr int kMaxGrowSteps = 8;
constexpr int kMaxShrinkPasses = 3;
constexpr int kGroupBisections = 3;   // a deployment's pools shrink together to 1/8 of their size
constexpr double kScreenSlack = 1.5;  // kinds estimated within this factor of the cheapest are run
constexpr std::size_t kSmallSpacePools = 4;  // spaces this small repeat the per-pool pass


int round_up(double x, int step) { return static_cast<int>(std::ceil(x / step - 1e-9)) * step; }

std::vector<std::string> size_overrides(const Space& space, const std::vector<int>& gpus);
std::vector<std::string> kind_overrides(const Space& space, std::size_t k, const KindOption& kind);
Space with_kind(Space space, std::size_t k, const KindOption& kind);

std::vector<int> written_sizes(const Space& space) {
  std::vector<int> out;
  for (const auto& p : space.pools) out.push_back(std::clamp(round_up(p.written_gpus, p.step), p.min_gpus, p.max_gpus));
  return out;
}

std::string pool_key(const PoolRange& p) { return p.site + "/" + p.pool; }

// The GPU price per hour of a pool of a validated scenario, at its region and capacity type.
// A pool's price per GPU-hour: its node's (instance's) price at its basis, over the node's GPUs.
double usd_per_gpu_hour(const scenario::Pool& pool) { return pool.usd_per_node_hour / pool.gpus_per_node; }

// "a, b, c": the GPU kinds and capacities a candidate runs with.
std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

std::string fmt(const char* format, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

// A CSV field: the figure, or empty where it is missing (a class that completed nothing).
std::string finite_or_empty(double x) { return std::isfinite(x) ? fmt("%.6g", x) : std::string(); }

std::string describe_class(const ClassVerdict& c, bool attainment_mode) {
  if (attainment_mode) {
    return c.name + "'s SLO attainment " + fmt("%.4f", c.attainment) + " (interval down to " +
           fmt("%.4f", c.attainment_low) + ") against " + fmt("%.4f", c.target);
  }
  if (std::isnan(c.percentile_ms)) {
    return c.name + " completed no request, so it has no SLO percentile to hold against " + fmt("%.0f", c.threshold_ms) +
           " ms (" + fmt("%.2f", 100 * c.dropped_share) + "% dropped or lost)";
  }
  return c.name + "'s SLO percentile " + fmt("%.1f", c.percentile_ms) + " ms (interval up to " +
         fmt("%.1f", c.percentile_high_ms) + ") against " + fmt("%.0f", c.threshold_ms) + " ms" +
         (c.dropped_share > 1.0 - c.target ? ", with " + fmt("%.2f", 100 * c.dropped_share) + "% dropped" : "");
}

}  // namespace

Space default_space(const api::RunRequest& request) {
  const scenario::Scenario s = api::load_scenario(request);
  std::map<std::string, int> pools_of;  // pools per deployment
  for (const auto& site : s.sites) {
    for (const auto& pool : site.pools) ++pools_of[pool.deployment];
  }
  Space space;
  for (const auto& site : s.sites) {
    for (const auto& pool : site.pools) {
      if (!pool.autoscale.schedule_gpus.empty()) continue;  // an hourly schedule is the user's own plan
      PoolRange r;
      r.site = site.name;
      r.pool = pool.name;
      r.deployment = pool.deployment;
      r.step = pool.gpus_per_node;
      r.autoscaled = pool.autoscale.enabled;
      r.written_gpus = r.autoscaled ? pool.autoscale.max_gpus : pool.gpus;
      r.written_min = pool.autoscale.min_gpus;
      r.written_start = pool.gpus;
      // A site may be left out of a deployment that other pools serve.
      r.min_gpus = pools_of[pool.deployment] > 1 ? 0 : r.step;
      r.max_gpus = std::max(2 * r.written_gpus, 4 * r.step);
      r.usd_per_gpu_hour = usd_per_gpu_hour(pool);
      for (const auto& c : s.classes) {
        if (c.deployment == pool.deployment) r.classes.push_back(c.name);
      }
      space.pools.push_back(r);
    }
  }
  return space;
}

namespace {

// "deployments": {"<name>": {"gpus": [...] or "all"}}: for each GPU, the
// smallest tensor-parallel degree at which the scenario validates (the model
// fits), and its prices at the pools' regions.
void read_kinds(const js::ConstObject& o, Space& space, const api::RunRequest& request) {
  const scenario::Scenario written = api::load_scenario(request);
  const json& deployments = o.raw("deployments");
  if (!deployments.is_object()) js::fail(o.ptr("deployments"), "an object {\"<deployment>\": {\"gpus\": [...]}}", js::describe(deployments));
  std::vector<std::string> names;
  for (const auto& d : written.deployments) {
    if (!d.hosted) names.push_back(d.name);
  }
  for (const auto& [name, value] : deployments.items()) {
    const std::string at = js::child(o.ptr("deployments"), name);
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      js::fail(at, "a self-hosted deployment of the scenario", js::quoted_with_suggestion(name, names));
    }
    js::ConstObject entry(value, at, {"gpus", "precisions"});
    if (!entry.has("gpus") && !entry.has("precisions")) js::fail(at, "\"gpus\", \"precisions\" or both", "neither");
    std::vector<std::string> wanted;
    if (entry.has("gpus")) {
      const json& gpus = entry.raw("gpus");
      if (gpus.is_string() && gpus.get<std::string>() == "all") {
        wanted = catalog::Catalog::builtin().gpu_names();
      } else if (gpus.is_array() && !gpus.empty() && gpus.size() <= 50) {
        for (std::size_t i = 0; i < gpus.size(); ++i) wanted.push_back(js::name_at(gpus[i], js::child(entry.ptr("gpus"), i)));
      } else {
        js::fail(entry.ptr("gpus"), "\"all\" or a list of 1 to 50 GPU names", js::describe(gpus));
      }
    }
    // The serving precisions to try beside the written one (null), each a
    // deployment's precision object; a GPU whose tensor cores cannot run one
    // is left out for it, as a GPU the model does not fit.
    std::vector<json> precisions = {json()};
    if (entry.has("precisions")) {
      const json& list = entry.raw("precisions");
      if (!list.is_array() || list.empty() || list.size() > 8)
        js::fail(entry.ptr("precisions"), "a list of 1 to 8 precision objects", js::describe(list));
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string where = js::child(entry.ptr("precisions"), i);
        js::ConstObject p(list[i], where, {"weights", "activations", "kv_cache"});
        (void)p.choice("weights", scenario::kPrecisionWeights, "bf16");
        (void)p.choice("activations", scenario::kPrecisionActivations, "bf16");
        (void)p.choice("kv_cache", scenario::kPrecisionKvCache, "bf16");
        precisions.push_back(list[i]);
      }
    }
    DeploymentKinds kinds;
    kinds.deployment = name;
    for (std::size_t i = 0; i < space.pools.size(); ++i) {
      if (space.pools[i].deployment == name) kinds.pools.push_back(i);
    }
    const auto& d = written.deployment(name);
    std::vector<std::string> tried;
    // The written kind first, then the others in the order given.
    wanted.insert(wanted.begin(), d.gpu);
    for (const std::string& gpu_name : wanted) {
      const std::string gpu = catalog::canonical_name(gpu_name);
      if (std::find(tried.begin(), tried.end(), gpu) != tried.end()) continue;
      tried.push_back(gpu);
      if (!catalog::Catalog::builtin().gpu(gpu)) {
        js::fail(entry.ptr("gpus"), "GPUs of the catalog", js::quoted_with_suggestion(gpu, catalog::Catalog::builtin().gpu_names()));
      }
      for (const json& precision : precisions) {
        for (int tp = 1; tp <= 8; tp *= 2) {
          if (d.llm.heads % tp != 0) continue;
          KindOption kind{gpu, tp, {}, {}, precision};
          Space trial = space;
          trial.deployments = {kinds};
          Space adjusted = with_kind(trial, 0, kind);
          api::RunRequest r = request;
          for (const auto& v : kind_overrides(trial, 0, kind)) r.overrides.push_back(v);
          for (const auto& v : size_overrides(adjusted, written_sizes(adjusted))) r.overrides.push_back(v);
          try {
            const scenario::Scenario s = api::load_scenario(r);
            for (const std::size_t i : kinds.pools) {
              const auto& site = *std::find_if(s.sites.begin(), s.sites.end(), [&](const auto& x) { return x.name == space.pools[i].site; });
              const auto& pool = *std::find_if(site.pools.begin(), site.pools.end(), [&](const auto& x) { return x.name == space.pools[i].pool; });
              kind.usd_per_gpu_hour.push_back(usd_per_gpu_hour(pool));
              kind.node_gpus.push_back(pool.gpus_per_node);
            }
            kinds.kinds.push_back(kind);
            break;  // the smallest degree that fits
          } catch (const InputError&) {
            continue;  // the model does not fit this GPU at this degree, or its tensor cores lack the precision
          }
        }
      }
    }
    if (kinds.kinds.size() > 1) space.deployments.push_back(kinds);
  }
}

// "capacity", "fallback" and "spot" of a space file's pool entry: the
// alternatives to the pool's written capacity, each as the overrides that
// make it, each checked by validating the scenario with them.
void read_capacities(const js::ConstObject& r, PoolRange& range, const api::RunRequest& request) {
  if (!r.has("capacity") && !r.has("fallback")) {
    if (r.has("spot")) js::fail(r.ptr("spot"), "\"spot\" only beside a \"capacity\" list with spot", "\"spot\"");
    return;
  }
  const json doc = json::parse(api::validate(request));
  const json* written = nullptr;
  for (const auto& site : doc["sites"]) {
    for (const auto& pool : site["pools"]) {
      if (site["name"] == range.site && pool["name"] == range.pool) written = &pool;
    }
  }
  const std::string written_capacity = written->value("capacity", "on_demand");
  const bool written_spot = written_capacity == "spot";
  const bool written_fallback =
      written_spot && written->contains("replacement") && (*written)["replacement"].value("fallback", "none") == "on_demand";
  auto list = [&](const char* key, const std::vector<std::string>& allowed, const std::string& as_written) {
    std::vector<std::string> out;
    if (!r.has(key)) return std::vector<std::string>{as_written};
    const json& v = r.raw(key);
    std::string names;
    for (std::size_t i = 0; i < allowed.size(); ++i) {
      names += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + ("\"" + allowed[i] + "\"");
    }
    if (!v.is_array() || v.empty() || v.size() > allowed.size()) {
      js::fail(r.ptr(key), "a list of 1 to " + std::to_string(allowed.size()) + " of " + names, js::describe(v));
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string at = js::child(r.ptr(key), i);
      const std::string name = js::name_at(v[i], at);
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        js::fail(at, names, js::quoted_with_suggestion(name, allowed));
      }
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
    return out;
  };
  const auto capacities = list("capacity", {"on_demand", "spot", "reserved_1y", "reserved_3y"}, written_capacity);
  const auto fallbacks = list("fallback", {"none", "on_demand"}, written_fallback ? "on_demand" : "none");
  const bool may_be_spot = std::find(capacities.begin(), capacities.end(), "spot") != capacities.end();
  if (r.has("fallback") && !may_be_spot) js::fail(r.ptr("fallback"), "a fallback only for a pool that may be spot", "\"fallback\"");
  // What a pool written on-demand runs with as spot: the space file's "spot",
  // or the lifecycle of a spot pool of the same deployment, else of any.
  json lifecycle = json::object();
  const std::vector<std::string> keys = {"notice_s", "interruptions", "replacement"};
  if (r.has("spot")) {
    js::ConstObject spot(r.raw("spot"), r.ptr("spot"), keys);
    for (const auto& k : keys) {
      if (spot.has(k)) lifecycle[k] = spot.raw(k);
    }
  } else if (may_be_spot && !written_spot) {
    const json* from = nullptr;
    for (const auto& site : doc["sites"]) {
      for (const auto& pool : site["pools"]) {
        if (pool.value("capacity", "on_demand") != "spot") continue;
        if (!from || (pool["deployment"] == range.deployment && (*from)["deployment"] != range.deployment)) from = &pool;
      }
    }
    if (!from) {
      js::fail(r.ptr("capacity"), "a \"spot\" object beside it with the pool's interruptions (no spot pool in the scenario to copy them from)",
               "no \"spot\"");
    }
    for (const auto& k : keys) {
      if (from->contains(k)) lifecycle[k] = (*from)[k];
    }
  }
  const std::string at = "sites." + range.site + ".pools." + range.pool + ".";
  for (const auto& capacity : capacities) {
    for (const auto& fallback : capacity == "spot" ? fallbacks : std::vector<std::string>{"none"}) {
      const bool spot = capacity == "spot";
      if (capacity == written_capacity && (!spot || (fallback == "on_demand") == written_fallback)) continue;  // as written
      PoolRange::Capacity c;
      c.name = spot ? "spot, fallback " + fallback : capacity;
      if (!spot) {
        c.overrides = {at + "capacity=" + capacity, at + "notice_s=null", at + "interruptions=null", at + "replacement=null"};
      } else {
        if (!written_spot) {
          c.overrides.push_back(at + "capacity=spot");
          for (const auto& [k, v] : lifecycle.items()) c.overrides.push_back(at + k + "=" + v.dump());
        }
        c.overrides.push_back(at + "replacement.fallback=" + fallback);
      }
      api::RunRequest trial = request;
      trial.overrides.insert(trial.overrides.end(), c.overrides.begin(), c.overrides.end());
      try {
        (void)api::load_scenario(trial);
      } catch (const InputError& e) {
        js::fail(r.ptr(r.has("spot") ? "spot" : "capacity"), "a capacity the scenario accepts for the pool",
                 "as " + c.name + ": " + e.what());
      }
      range.capacities.push_back(std::move(c));
    }
  }
}

}  // namespace

std::string kind_label(const KindOption& kind) {
  std::string label = kind.gpu + " x" + std::to_string(kind.tensor_parallel);
  if (kind.precision.is_null()) return label;
  const std::string w = kind.precision.value("weights", "bf16"), a = kind.precision.value("activations", "bf16"),
                    kv = kind.precision.value("kv_cache", "bf16");
  return label + " in " + (w == a && a == kv ? w : "weights " + w + ", activations " + a + ", KV cache " + kv);
}

Space read_space(const std::string& path, const api::RunRequest& request) {
  return parse_space(js::read_file_or_throw<InputError>(path, 1u << 20), path, request);
}

Space parse_space(const std::string& text, const std::string& path, const api::RunRequest& request) {
  Space space = default_space(request);
  json doc = input::parse_file_text<InputError>(text, path);
  try {
    js::ConstObject o(doc, "", {"pools", "deployments", "attainment", "availability", "budget_usd_per_user_hour"});
    if (o.has("attainment")) space.attainment = o.number("attainment", js::Range{0.0, 1.0, true, false});
    if (o.has("availability")) space.availability = o.number("availability", js::Range{0.0, 1.0, true, true});
    if (o.has("budget_usd_per_user_hour")) {
      space.budget_usd_per_user_hour = o.number("budget_usd_per_user_hour", js::Range{0.0, 1e6, false, true});
    }
    if (o.has("pools")) {
      const json& pools = o.raw("pools");
      if (!pools.is_object()) js::fail(o.ptr("pools"), "an object {\"<site>/<pool>\": range}", js::describe(pools));
      std::vector<std::string> known;
      for (const auto& p : space.pools) known.push_back(pool_key(p));
      for (const auto& item : pools.items()) {
        const std::string key = item.key();  // not a structured binding: lambdas below capture it
        const json& value = item.value();
        const std::string at = js::child(o.ptr("pools"), key);
        auto it = std::find_if(space.pools.begin(), space.pools.end(), [&](const PoolRange& p) { return pool_key(p) == key; });
        if (it == space.pools.end()) js::fail(at, "a pool of the scenario as \"<site>/<pool>\"", js::quoted_with_suggestion(key, known));
        js::ConstObject r(value, at, {"min_gpus", "max_gpus", "fixed", "capacity", "fallback", "spot"});
        read_capacities(r, *it, request);
        if (r.boolean("fixed", false)) {
          it->min_gpus = it->max_gpus = it->written_gpus;
          continue;
        }
        it->min_gpus = static_cast<int>(r.integer("min_gpus", 0, 100000, it->min_gpus));
        it->max_gpus = static_cast<int>(r.integer("max_gpus", it->min_gpus, 100000, it->max_gpus));
        for (const char* k : {"min_gpus", "max_gpus"}) {
          const int v = k[1] == 'i' ? it->min_gpus : it->max_gpus;
          if (v % it->step != 0) js::fail(r.ptr(k), "a multiple of the tensor-parallel degree " + std::to_string(it->step), std::to_string(v));
        }
      }
    }
    if (o.has("deployments")) read_kinds(o, space, request);
  } catch (const js::FieldError& e) {
    throw InputError(path, e.pointer, e.expected, e.found);
  }
  return space;
}

ScenarioEvaluator::ScenarioEvaluator(api::RunRequest scenario, Space space, Runner runner)
    : scenario_(std::move(scenario)), space_(std::move(space)), runner_(std::move(runner)) {}

void ScenarioEvaluator::choose_kinds(std::vector<std::string> kind_overrides, Space space) {
  kinds_ = std::move(kind_overrides);
  space_ = std::move(space);
}

namespace {
// The overrides that give each pool of `space` its size in `gpus`.
std::vector<std::string> size_overrides(const Space& space, const std::vector<int>& gpus) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < space.pools.size(); ++i) {
    const PoolRange& p = space.pools[i];
    const std::string at = "sites." + p.site + ".pools." + p.pool + ".";
    if (!p.autoscaled || gpus[i] == 0) {
      // A pool left empty does not autoscale (it has no replica to measure).
      if (p.autoscaled) out.push_back(at + "autoscale=null");
      out.push_back(at + "gpus=" + std::to_string(gpus[i]));
      continue;
    }
    // The bounds keep their written proportion; the start stays within them.
    const int max = gpus[i];
    const int min = std::clamp(round_up(static_cast<double>(max) * p.written_min / std::max(1, p.written_gpus), p.step),
                               p.step, max);
    out.push_back(at + "autoscale.max_gpus=" + std::to_string(max));
    out.push_back(at + "autoscale.min_gpus=" + std::to_string(min));
    out.push_back(at + "gpus=" + std::to_string(std::clamp(round_up(p.written_start, p.step), min, max)));
  }
  return out;
}

// A kind for deployment `k`: its overrides, and the space with its pools' steps, sizes and prices.
std::vector<std::string> kind_overrides(const Space& space, std::size_t k, const KindOption& kind) {
  const auto& d = space.deployments[k];
  std::vector<std::string> out = {"deployments." + d.deployment + ".gpu=" + kind.gpu,
                                  "deployments." + d.deployment + ".tensor_parallel=" + std::to_string(kind.tensor_parallel)};
  if (!kind.precision.is_null()) out.push_back("deployments." + d.deployment + ".precision=" + kind.precision.dump());
  for (const std::size_t i : d.pools) {
    out.push_back("sites." + space.pools[i].site + ".pools." + space.pools[i].pool + ".gpu=" + kind.gpu);
  }
  return out;
}

Space with_kind(Space space, std::size_t k, const KindOption& kind) {
  const auto& d = space.deployments[k];
  for (std::size_t j = 0; j < d.pools.size(); ++j) {
    PoolRange& p = space.pools[d.pools[j]];
    const int tp = j < kind.node_gpus.size() ? kind.node_gpus[j] : kind.tensor_parallel;
    p.step = tp;
    p.written_gpus = round_up(p.written_gpus, tp);
    p.min_gpus = p.min_gpus == 0 ? 0 : std::max(tp, round_up(p.min_gpus, tp));
    p.max_gpus = std::max(p.min_gpus, round_up(p.max_gpus, tp));
    if (j < kind.usd_per_gpu_hour.size()) p.usd_per_gpu_hour = kind.usd_per_gpu_hour[j];
  }
  return space;
}
}  // namespace

std::vector<Screened> screen_starts(const api::RunRequest& request, const std::vector<std::string>& kind_overrides,
                                    Space& space) {
  api::RunRequest r = request;
  r.overrides.insert(r.overrides.end(), kind_overrides.begin(), kind_overrides.end());
  for (const auto& v : size_overrides(space, written_sizes(space))) r.overrides.push_back(v);
  const scenario::Scenario s = api::load_scenario(r);
  std::map<std::string, std::vector<std::size_t>> by_deployment;
  for (std::size_t i = 0; i < space.pools.size(); ++i) by_deployment[space.pools[i].deployment].push_back(i);
  std::vector<Screened> out;
  for (const auto& [name, pools] : by_deployment) {
    double price = 0.0, written = 0.0;
    for (const std::size_t i : pools) {
      price += space.pools[i].usd_per_gpu_hour / static_cast<double>(pools.size());
      written += space.pools[i].written_gpus;
    }
    out.push_back(screen(s, name, static_cast<int>(pools.size()), price));
    // The estimate, split over the deployment's pools as the written sizes split.
    for (const std::size_t i : pools) {
      PoolRange& p = space.pools[i];
      const double share = written > 0.0 ? p.written_gpus / written : 1.0 / static_cast<double>(pools.size());
      p.start_gpus = std::clamp(round_up(out.back().gpus * share, p.step), p.min_gpus, p.max_gpus);
    }
  }
  return out;
}

std::vector<std::string> ScenarioEvaluator::overrides(const std::vector<int>& gpus) const {
  std::vector<std::string> out = kinds_;
  const auto sizes = size_overrides(space_, gpus);
  out.insert(out.end(), sizes.begin(), sizes.end());
  return out;
}

std::vector<Evaluation> ScenarioEvaluator::evaluate(const std::vector<std::vector<int>>& candidates) {
  // Only candidates not run before (under the same kinds) run, once each.
  std::vector<std::vector<std::string>> batch;
  for (const auto& gpus : candidates) {
    auto ov = overrides(gpus);
    if (!reports_.count(ov) && std::find(batch.begin(), batch.end(), ov) == batch.end()) batch.push_back(std::move(ov));
  }
  std::vector<std::string> reports;
  if (runner_ && !batch.empty()) {
    reports = runner_(batch);
    if (reports.size() != batch.size()) throw std::runtime_error("capstan plan: the runner returned the wrong number of reports");
  } else {
    for (const auto& extra : batch) {
      api::RunRequest r = scenario_;
      r.overrides.insert(r.overrides.end(), extra.begin(), extra.end());
      reports.push_back(run_local(r));
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    reports_.emplace(batch[i], std::move(reports[i]));
    ++simulations_;
  }
  std::vector<Evaluation> out;
  for (const auto& gpus : candidates) out.push_back(judge(json::parse(reports_.at(overrides(gpus))), gpus, space_));
  return out;
}

std::string ScenarioEvaluator::run_local(const api::RunRequest& request) {
  api::RunRequest r = request;
  const int cores = r.threads > 0 ? r.threads : sim::default_threads();
  const int replications = r.replications.value_or(1);
  // All of a candidate's replications at once, up to twice the cores: three
  // on two cores finish in one and a half rounds instead of two. Results do
  // not depend on the thread count.
  if (replications <= 2 * cores) {
    if (r.threads == 0 && replications > cores && replications <= 2 * cores) r.threads = replications;
    return api::run(r).report_json;
  }
  // More: in rounds of one replication per core, the sequential test after
  // each round; the replications merge into exactly what api::run returns.
  std::vector<std::string> parts;
  while (static_cast<int>(parts.size()) < replications) {
    const int done = static_cast<int>(parts.size());
    const int round = std::min(cores, replications - done);
    auto more = sim::run_replications<std::string>(round, cores, [&](int i) { return api::run_replication(r, done + i); });
    for (auto& p : more) parts.push_back(std::move(p));
    const int k = static_cast<int>(parts.size());
    if (k >= 2 && k < replications) {
      api::RunRequest partial = r;
      partial.replications = k;
      api::RunOutput out = api::merge_replications(partial, parts);
      if (clearly_infeasible(out, space_, kSequentialAlpha)) return std::move(out.report_json);
    }
  }
  return api::merge_replications(r, parts).report_json;
}

double lower_bound(const std::vector<double>& values, double alpha) {
  const sim::Estimate e = sim::estimate(values, 1.0 - 2.0 * alpha);  // two-sided at 1 - 2 alpha: one side at 1 - alpha
  return e.low;
}

double upper_bound(const std::vector<double>& values, double alpha) {
  const sim::Estimate e = sim::estimate(values, 1.0 - 2.0 * alpha);
  return e.high;
}

bool clearly_infeasible(const api::RunOutput& partial, const Space& space, double alpha) {
  const json report = json::parse(partial.report_json);
  auto figure = [&](const std::string& pointer) -> const std::vector<double>* {
    const auto it = std::find_if(partial.replication_figures.begin(), partial.replication_figures.end(),
                                 [&](const auto& f) { return f.first == pointer; });
    if (it == partial.replication_figures.end() || it->second.size() < 2) return nullptr;
    // A replication without the figure (nothing completed) leaves it to the full run.
    if (std::any_of(it->second.begin(), it->second.end(), [](double v) { return !std::isfinite(v); })) return nullptr;
    return &it->second;
  };
  for (const auto& [name, c] : report["classes"].items()) {
    const std::string base = world::pointer("/classes", name);
    if (space.attainment) {
      if (const auto* v = figure(base + "/slo/attainment"); v && upper_bound(*v, alpha) < *space.attainment) return true;
      continue;
    }
    if (const auto* v = figure(base + "/slo/percentile_ms");
        v && lower_bound(*v, alpha) > c["slo"]["threshold_ms"].get<double>())
      return true;
    // Drops and losses over the percentile's allowance (and the availability
    // target's): judge() compares the replications' mean counts, so the test
    // bounds the mean of each replication's excess over the allowance.
    const auto* requests = figure(base + "/requests");
    const auto* dropped = figure(base + "/dropped");
    const auto* lost = figure(base + "/lost");
    if (!requests || !dropped || !lost) continue;
    double allowance = 1.0 - c["slo"]["percentile"].get<double>() / 100.0;
    if (space.availability) allowance = std::min(allowance, 1.0 - *space.availability);
    std::vector<double> excess;
    for (std::size_t i = 0; i < requests->size(); ++i)
      excess.push_back((*dropped)[i] + (*lost)[i] - allowance * (*requests)[i]);
    if (lower_bound(excess, alpha) > 0.0) return true;
  }
  return false;
}

Evaluation judge(const json& report, const std::vector<int>& gpus, const Space& space) {
  Evaluation e;
  e.gpus = gpus;
  e.replications = report.contains("manifest") ? report["manifest"].value("replications", 0) : 0;
  const auto& cost = report["cost"];
  e.cost_per_user_hour = cost.value("per_user_hour_usd", 0.0);
  const json ci = cost.value("per_user_hour_usd_ci95", json::array({e.cost_per_user_hour, e.cost_per_user_hour}));
  e.cost_low = ci[0].get<double>();
  e.cost_high = ci[1].get<double>();
  e.users = report.contains("users") ? report["users"].value("mean_concurrent", 0.0) : 0.0;
  if (cost.contains("monthly")) {
    const auto& month = cost["monthly"];
    e.monthly_usd = month.value("total_usd", 0.0);
    if (month.contains("breakdown_usd")) {
      for (const auto& [category, usd] : month["breakdown_usd"].items()) {
        if (usd.is_number() && usd.get<double>() > 0.0) e.monthly_breakdown_usd.emplace_back(category, usd.get<double>());
      }
    }
  }
  e.feasible = true;
  for (const auto& [name, c] : report["classes"].items()) {
    ClassVerdict v;
    v.name = name;
    const auto& slo = c["slo"];
    v.threshold_ms = slo["threshold_ms"].get<double>();
    // A class that completed nothing has no percentile (null): it meets no threshold.
    const json& q = slo["percentile_ms"];
    v.percentile_ms = q.is_number() ? q.get<double>() : std::numeric_limits<double>::quiet_NaN();
    const bool has_high = slo.contains("percentile_ms_ci95") && slo["percentile_ms_ci95"][1].is_number();
    v.percentile_high_ms = has_high             ? slo["percentile_ms_ci95"][1].get<double>()
                           : q.is_number() ? v.percentile_ms
                                           : std::numeric_limits<double>::infinity();
    v.attainment = slo["attainment"].get<double>();
    v.attainment_low = slo.contains("attainment_ci95") ? slo["attainment_ci95"][0].get<double>() : v.attainment;
    const double requests = c["requests"].get<double>();
    v.dropped_share = requests > 0 ? (c["dropped"].get<double>() + c["lost"].get<double>()) / requests : 0.0;
    if (space.attainment) {
      v.target = *space.attainment;
      v.met = v.attainment_low >= v.target;
    } else {
      v.target = slo["percentile"].get<double>() / 100.0;
      v.met = v.percentile_high_ms <= v.threshold_ms && v.dropped_share <= 1.0 - v.target;
    }
    if (!v.met) v.why = describe_class(v, space.attainment.has_value());
    if (space.availability && 1.0 - v.dropped_share < *space.availability) {
      v.why += (v.why.empty() ? "" : "; ") + name + " completes " + fmt("%.4f", 1.0 - v.dropped_share) +
               " of its requests against an availability of " + fmt("%.4f", *space.availability);
      v.met = false;
    }
    e.feasible = e.feasible && v.met;
    e.worst_ratio = std::max(e.worst_ratio, v.percentile_high_ms / v.threshold_ms);
    e.classes.push_back(v);
  }
  return e;
}

Result search_sizes(const Space& space, Evaluator& evaluator, const std::function<void(int)>& progress,
                    const SizeSearch& how) {
  Result result;
  result.space = space;
  auto movable = [&](std::size_t i) { return how.deployment.empty() || space.pools[i].deployment == how.deployment; };
  std::map<std::vector<int>, Evaluation> seen;
  auto eval = [&](const std::vector<int>& gpus) -> const Evaluation& {
    auto it = seen.find(gpus);
    if (it != seen.end()) return it->second;
    Evaluation e = evaluator.evaluate({gpus}).front();
    result.evaluated.push_back(e);
    if (progress) progress(evaluator.simulations());
    return seen.emplace(gpus, std::move(e)).first->second;
  };
  std::vector<int> current;
  for (const auto& p : space.pools)
    current.push_back(std::clamp(round_up(p.start_gpus > 0 ? p.start_gpus : p.written_gpus, p.step), p.min_gpus, p.max_gpus));
  Evaluation now = eval(current);
  // Grow the pools serving the classes that miss.
  for (int step = 0; !now.feasible && step < kMaxGrowSteps; ++step) {
    // By half, or more where the classes missing drop requests: a pool that
    // drops a share d of them carries about 1 - d of its load, so it grows
    // toward 1.2 / (1 - d) times its size (at most 4 times).
    std::vector<int> next = current;
    for (std::size_t i = 0; i < space.pools.size(); ++i) {
      const auto& p = space.pools[i];
      bool serves_a_miss = false;
      double dropped = 0.0;
      for (const ClassVerdict& c : now.classes) {
        if (c.met || std::find(p.classes.begin(), p.classes.end(), c.name) == p.classes.end()) continue;
        serves_a_miss = true;
        dropped = std::max(dropped, c.dropped_share);
      }
      const double factor = std::clamp(1.2 / std::max(0.25, 1.0 - dropped), 1.5, 4.0);
      if (serves_a_miss && movable(i)) next[i] = std::min(p.max_gpus, std::max(p.step, round_up(factor * current[i], p.step)));
    }
    if (next == current) break;  // every pool that could help is at its maximum
    current = next;
    now = eval(current);
  }
  if (!now.feasible) {
    const auto closest = std::min_element(result.evaluated.begin(), result.evaluated.end(),
                                          [](const Evaluation& a, const Evaluation& b) { return a.worst_ratio < b.worst_ratio; });
    result.chosen = *closest;
    std::string misses;
    for (const auto& c : closest->classes) {
      if (!c.met) misses += (misses.empty() ? "" : "; ") + c.why;
    }
    std::vector<std::string> missed;
    for (const auto& c : now.classes) {
      if (!c.met) missed.push_back(c.name + "'s");
    }
    std::string names;
    for (std::size_t i = 0; i < missed.size(); ++i) names += (i ? (i + 1 == missed.size() ? " and " : ", ") : "") + missed[i];
    result.message = "no plan in this space meets " + names + " SLO; the closest is the fleet below: " + misses;
    result.simulations = evaluator.simulations();
    return result;
  }
  // Shrink each deployment's pools together, the most expensive deployment
  // first: the smallest common fraction of their sizes (to 1/8, each rounded
  // up to whole nodes) at which every SLO still holds.
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < space.pools.size(); ++i) {
    if (movable(i)) groups[space.pools[i].deployment].push_back(i);
  }
  auto group_cost = [&](const std::vector<std::size_t>& g) {
    double usd = 0.0;
    for (const std::size_t i : g) usd += space.pools[i].usd_per_gpu_hour * current[i];
    return usd;
  };
  std::vector<const std::vector<std::size_t>*> group_order;
  for (const auto& [name, g] : groups) group_order.push_back(&g);
  std::stable_sort(group_order.begin(), group_order.end(),
                   [&](const auto* a, const auto* b) { return group_cost(*a) > group_cost(*b); });
  for (const auto* g : group_order) {
    const std::vector<int> base = current;
    auto scaled = [&](double f) {
      std::vector<int> v = base;
      for (const std::size_t i : *g) {
        const PoolRange& p = space.pools[i];
        v[i] = std::clamp(round_up(f * base[i], p.step), p.min_gpus, base[i]);
      }
      return v;
    };
    double lo = 0.0, hi = 1.0;  // hi meets every SLO
    for (int it = 0; it < kGroupBisections; ++it) {
      const double mid = (lo + hi) / 2.0;
      const std::vector<int> v = scaled(mid), at_hi = scaled(hi);
      // A step that would save less than the runs can resolve is not run.
      double saving = 0.0;
      for (const std::size_t i : *g) saving += (at_hi[i] - v[i]) * space.pools[i].usd_per_gpu_hour;
      if (v != at_hi && saving < seen.at(at_hi).noise_usd_per_hour()) break;
      if (v == at_hi || eval(v).feasible) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    current = scaled(hi);
  }
  // Then each pool in turn, the most expensive first, to its smallest
  // feasible size, by bisection to one node for pools of up to 16 nodes and
  // to 1/16 of the size above that. The first probe is one such step down:
  // a pool the group shrink left tight costs one run.
  auto trim = [&](std::size_t i) {
    const auto& p = space.pools[i];
    const int resolution = std::max(p.step, round_up(current[i] / 16.0, p.step));
    int hi = current[i];  // feasible
    int lo = p.min_gpus;
    if (lo >= hi) return false;
    // A step that would save less than the runs can resolve is not run.
    if (std::min(resolution, hi - lo) * p.usd_per_gpu_hour < seen.at(current).noise_usd_per_hour()) return false;
    std::vector<int> probe = current;
    probe[i] = std::max(lo, hi - resolution);
    if (!eval(probe).feasible) {
      lo = probe[i];
    } else {
      hi = probe[i];
      probe[i] = lo;
      if (lo < hi && eval(probe).feasible) hi = lo;
    }
    while (hi - lo > resolution) {  // lo misses, hi meets
      const int mid = std::max(lo + p.step, (lo + hi) / 2 / p.step * p.step);
      if (mid >= hi) break;
      probe[i] = mid;
      (eval(probe).feasible ? hi : lo) = mid;
    }
    if (hi >= current[i]) return false;
    current[i] = hi;
    return true;
  };
  const int passes = !how.per_pool ? 0 : space.pools.size() <= kSmallSpacePools ? kMaxShrinkPasses : 1;
  for (int pass = 0; pass < passes; ++pass) {
    bool changed = false;
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < space.pools.size(); ++i) {
      if (movable(i)) order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return space.pools[a].usd_per_gpu_hour * current[a] > space.pools[b].usd_per_gpu_hour * current[b];
    });
    for (const std::size_t i : order) changed = trim(i) || changed;
    if (!changed) break;
  }
  // Last, a deployment's GPUs shift toward its cheapest pool (per GPU-hour:
  // spot, a cheaper region): all of a dearer pool's GPUs move there, with a
  // quarter more at a time while that still costs less by the GPU prices,
  // else half of them; the first that meets every SLO and costs less stays,
  // and the cheap pool is then trimmed. Shrinking one pool at a time cannot
  // find this.
  auto usd_per_hour = [&](const std::vector<int>& v) {
    double usd = 0.0;
    for (std::size_t i = 0; i < v.size(); ++i) usd += v[i] * space.pools[i].usd_per_gpu_hour;
    return usd;
  };
  if (how.per_pool) {
    for (const auto& [name, g] : groups) {
      if (g.size() < 2) continue;
      const std::size_t q = *std::min_element(g.begin(), g.end(), [&](std::size_t a, std::size_t b) {
        return space.pools[a].usd_per_gpu_hour < space.pools[b].usd_per_gpu_hour;
      });
      const PoolRange& cheap = space.pools[q];
      std::vector<std::size_t> dearer;
      for (const std::size_t i : g) {
        if (space.pools[i].usd_per_gpu_hour > cheap.usd_per_gpu_hour) dearer.push_back(i);
      }
      std::stable_sort(dearer.begin(), dearer.end(), [&](std::size_t a, std::size_t b) {
        return space.pools[a].usd_per_gpu_hour > space.pools[b].usd_per_gpu_hour;
      });
      for (const std::size_t i : dearer) {
        std::vector<std::vector<int>> tries;
        const int all = current[i];
        for (int extra = 0;; extra += std::max(cheap.step, round_up((current[q] + all) / 4.0, cheap.step))) {
          std::vector<int> v = current;
          v[i] = 0;
          v[q] = round_up(current[q] + all + extra, cheap.step);
          if (v[q] > cheap.max_gpus || usd_per_hour(v) >= usd_per_hour(current)) break;
          tries.push_back(v);
        }
        const int half = round_up(all / 2.0, space.pools[i].step);
        if (half < all) {
          std::vector<int> v = current;
          v[i] -= half;
          v[q] = round_up(current[q] + half, cheap.step);
          if (v[q] <= cheap.max_gpus) tries.push_back(v);
        }
        for (const auto& v : tries) {
          if (v[i] < space.pools[i].min_gpus) continue;
          // A shift that would save less than the runs can resolve is not run.
          if (usd_per_hour(current) - usd_per_hour(v) < seen.at(current).noise_usd_per_hour()) continue;
          const Evaluation& e = eval(v);
          if (e.feasible && e.cost_per_user_hour < seen.at(current).cost_per_user_hour) {
            current = v;
            trim(q);
            break;
          }
        }
      }
    }
  }
  result.feasible = true;
  result.chosen = seen.at(current);
  // The cheapest feasible candidate seen (the last shrink is, up to noise).
  for (const auto& e : result.evaluated) {
    if (e.feasible && e.cost_per_user_hour < result.chosen.cost_per_user_hour) result.chosen = e;
  }
  result.message = "the cheapest fleet found that meets every SLO costs " +
                   fmt("%.5f", result.chosen.cost_per_user_hour) + " USD per user-hour";
  result.simulations = evaluator.simulations();
  return result;
}

namespace {
Result search_unbudgeted(const Space& space, ScenarioEvaluator& evaluator, const std::function<void(int)>& progress);
}  // namespace

Result search(const Space& space, ScenarioEvaluator& evaluator, const std::function<void(int)>& progress) {
  Result r = search_unbudgeted(space, evaluator, progress);
  // The cheapest fleet that meets every SLO is over the budget: then so is every other.
  if (r.feasible && space.budget_usd_per_user_hour && r.chosen.cost_high > *space.budget_usd_per_user_hour) {
    r.feasible = false;
    r.message = "no plan in this space meets every SLO within the budget of " +
                fmt("%.5f", *space.budget_usd_per_user_hour) + " USD per user-hour; the cheapest that meets every SLO, below, costs " +
                fmt("%.5f", r.chosen.cost_per_user_hour) + " (interval up to " + fmt("%.5f", r.chosen.cost_high) + ")";
  }
  return r;
}

namespace {
Result search_kinds(const Space& space, ScenarioEvaluator& evaluator, const std::function<void(int)>& progress);

// An alternative's outcome for the summary: its cost, or why it has no plan.
std::string outcome(const Result& r) {
  return r.feasible ? fmt("%.5f", r.chosen.cost_per_user_hour) + " USD per user-hour"
                    : "no plan (" + r.message.substr(r.message.find(';') + 2) + ")";
}

// A pool's GPU price per hour with `overrides` (its kind, its capacity).
double pool_usd_per_gpu_hour(const api::RunRequest& request, const std::vector<std::string>& overrides, const PoolRange& p) {
  api::RunRequest r = request;
  r.overrides.insert(r.overrides.end(), overrides.begin(), overrides.end());
  const scenario::Scenario s = api::load_scenario(r);
  for (const auto& site : s.sites) {
    for (const auto& pool : site.pools) {
      if (site.name == p.site && pool.name == p.pool) return usd_per_gpu_hour(pool);
    }
  }
  return p.usd_per_gpu_hour;
}

// After the kinds and sizes: each pool with capacity choices in turn, the
// most expensive first, tries each alternative with the rest of the plan
// held; its deployment's pools are searched again (a spot pool may need more
// GPUs to hold its SLOs through interruptions, or take GPUs from dearer
// pools). The cheapest that meets every SLO stays.
Result search_unbudgeted(const Space& space, ScenarioEvaluator& evaluator, const std::function<void(int)>& progress) {
  Result best = search_kinds(space, evaluator, progress);
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < space.pools.size(); ++i) {
    if (!space.pools[i].capacities.empty()) order.push_back(i);
  }
  if (!best.feasible || order.empty()) return best;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return best.space.pools[a].usd_per_gpu_hour * best.chosen.gpus[a] > best.space.pools[b].usd_per_gpu_hour * best.chosen.gpus[b];
  });
  best.evaluated_kinds.resize(best.evaluated.size());
  for (const std::size_t i : order) {
    const PoolRange& p = best.space.pools[i];
    Result next = best;
    for (const auto& c : p.capacities) {
      std::vector<std::string> ov = best.kind_overrides;
      ov.insert(ov.end(), c.overrides.begin(), c.overrides.end());
      Space sp = best.space;
      sp.pools[i].usd_per_gpu_hour = pool_usd_per_gpu_hour(evaluator.scenario(), ov, p);
      for (std::size_t j = 0; j < sp.pools.size(); ++j) sp.pools[j].start_gpus = best.chosen.gpus[j];
      evaluator.choose_kinds(ov, sp);
      SizeSearch how;
      how.deployment = p.deployment;
      Result r = search_sizes(sp, evaluator, progress, how);
      std::vector<std::string> kinds = best.kinds;
      kinds.push_back(pool_key(p) + ": " + c.name);
      const std::string what = joined(kinds);
      best.evaluated.insert(best.evaluated.end(), r.evaluated.begin(), r.evaluated.end());
      best.evaluated_kinds.insert(best.evaluated_kinds.end(), r.evaluated.size(), what);
      best.alternatives.push_back(pool_key(p) + " as " + c.name + ": " + outcome(r));
      if (r.feasible && r.chosen.cost_per_user_hour < next.chosen.cost_per_user_hour) {
        next.chosen = r.chosen;
        next.message = r.message;
        next.kind_overrides = ov;
        next.kinds = kinds;
        next.space = sp;
      }
    }
    next.evaluated = best.evaluated;
    next.evaluated_kinds = best.evaluated_kinds;
    next.alternatives = best.alternatives;
    best = std::move(next);
  }
  best.simulations = evaluator.simulations();
  evaluator.choose_kinds(best.kind_overrides, best.space);
  return best;
}

Result search_kinds(const Space& space, ScenarioEvaluator& evaluator, const std::function<void(int)>& progress) {
  if (space.deployments.empty()) {
    Space sp = space;
    screen_starts(evaluator.scenario(), {}, sp);
    evaluator.choose_kinds({}, sp);
    return search_sizes(sp, evaluator, progress);
  }
  // Screening: each deployment's kinds estimated with the others as written
  // (screen.h). A kind whose classes miss their SLOs even unloaded, at batch
  // 1, is not searched (unless every kind does); the rest are searched in
  // the order of their estimated cost, and one is skipped when even its
  // bound (one node per pool, full batches) costs no less than the
  // deployment's pools in the best plan found so far.
  Space pruned = space;
  std::vector<std::string> screened_out;
  for (std::size_t k = 0; k < space.deployments.size(); ++k) {
    const DeploymentKinds& dk = space.deployments[k];
    std::vector<Screened> estimates;
    for (const KindOption& kind : dk.kinds) {
      Space sp = with_kind(space, k, kind);
      for (const Screened& e : screen_starts(evaluator.scenario(), kind_overrides(space, k, kind), sp)) {
        if (e.deployment == dk.deployment) estimates.push_back(e);
      }
    }
    std::vector<std::size_t> order(dk.kinds.size());
    for (std::size_t j = 0; j < order.size(); ++j) order[j] = j;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (estimates[a].possible != estimates[b].possible) return estimates[a].possible;
      if (estimates[a].meets != estimates[b].meets) return estimates[a].meets;
      return estimates[a].usd_per_hour < estimates[b].usd_per_hour;
    });
    const bool any = estimates[order.front()].possible;
    const double cheapest = estimates[order.front()].usd_per_hour;
    DeploymentKinds kept = dk;
    kept.kinds.clear();
    for (const std::size_t j : order) {
      const Screened& e = estimates[j];
      const std::string what = dk.deployment + " on " + kind_label(dk.kinds[j]);
      if (any && !e.possible) {
        screened_out.push_back(what + ": not searched (" + e.why + ")");
      } else if (any && e.usd_per_hour > kScreenSlack * cheapest) {
        screened_out.push_back(what + ": not searched (estimated " + std::to_string(e.gpus) + " GPUs at " +
                               fmt("%.2f", e.usd_per_hour) + " USD per hour, over " + fmt("%.1f", kScreenSlack) +
                               " times the cheapest estimate, " + fmt("%.2f", cheapest) + ")");
      } else {
        kept.kinds.push_back(dk.kinds[j]);
        kept.screened.push_back(e);
      }
    }
    pruned.deployments[k] = kept;
  }
  // What the best plan so far spends on deployment k's pools, per hour.
  auto pools_usd = [&](const Result& r, std::size_t k) {
    double usd = 0.0;
    for (const std::size_t i : pruned.deployments[k].pools) usd += r.chosen.gpus[i] * r.space.pools[i].usd_per_gpu_hour;
    return usd;
  };
  // Coordinate descent over the deployments' kinds: each in turn tries every
  // kind with the others at their best so far.
  std::vector<std::size_t> choice(space.deployments.size(), 0);
  auto better = [](const Result& a, const Result& b) {
    if (a.feasible != b.feasible) return a.feasible;
    return a.feasible ? a.chosen.cost_per_user_hour < b.chosen.cost_per_user_hour
                      : a.chosen.worst_ratio < b.chosen.worst_ratio;
  };
  Result best;
  std::vector<std::string> alternatives;
  std::vector<Evaluation> all;
  std::vector<std::string> all_kinds;
  bool have = false;
  std::map<std::vector<std::size_t>, bool> searched;  // kind choices already searched
  for (std::size_t k = 0; k < pruned.deployments.size(); ++k) {
    std::size_t best_j = choice[k];
    for (std::size_t j = 0; j < pruned.deployments[k].kinds.size(); ++j) {
      choice[k] = j;
      // The choice the previous deployment settled on comes round again: its search is done.
      if (!searched.emplace(choice, true).second) continue;
      const Screened& e = pruned.deployments[k].screened[j];
      if (have && best.feasible && e.min_usd_per_hour >= pools_usd(best, k)) {
        screened_out.push_back(pruned.deployments[k].deployment + " on " + kind_label(pruned.deployments[k].kinds[j]) +
                               ": not searched (it needs at least " + std::to_string(e.min_gpus) + " GPUs, " +
                               fmt("%.2f", e.min_usd_per_hour) + " USD per hour, against " + fmt("%.2f", pools_usd(best, k)) +
                               " for the best plan's)");
        continue;
      }
      Space sp = pruned;
      std::vector<std::string> ov;
      std::vector<std::string> described;
      for (std::size_t m = 0; m < pruned.deployments.size(); ++m) {
        const KindOption& kind = pruned.deployments[m].kinds[choice[m]];
        sp = with_kind(sp, m, kind);
        for (const auto& v : kind_overrides(pruned, m, kind)) ov.push_back(v);
        described.push_back(pruned.deployments[m].deployment + " on " + kind_label(kind));
      }
      screen_starts(evaluator.scenario(), ov, sp);
      // Against the best so far, only this deployment's pools move: the
      // others start (and stay) at the best plan's sizes.
      SizeSearch how{false, have ? pruned.deployments[k].deployment : std::string()};
      if (have) {
        for (std::size_t i = 0; i < sp.pools.size(); ++i) {
          if (sp.pools[i].deployment != how.deployment) sp.pools[i].start_gpus = best.chosen.gpus[i];
        }
      }
      evaluator.choose_kinds(ov, sp);
      Result r = search_sizes(sp, evaluator, progress, how);
      r.kind_overrides = ov;
      r.kinds = described;
      const std::string what = joined(described);
      all.insert(all.end(), r.evaluated.begin(), r.evaluated.end());
      all_kinds.insert(all_kinds.end(), r.evaluated.size(), what);
      alternatives.push_back(what + ": " + outcome(r));
      if (!have || better(r, best)) {
        best = r;
        best_j = j;
        have = true;
      }
    }
    choice[k] = best_j;
  }
  // The chosen kinds' fleet, each pool trimmed alone.
  if (best.feasible) {
    Space sp = best.space;
    for (std::size_t i = 0; i < sp.pools.size(); ++i) sp.pools[i].start_gpus = best.chosen.gpus[i];
    evaluator.choose_kinds(best.kind_overrides, sp);
    Result r = search_sizes(sp, evaluator, progress);
    const std::string what = joined(best.kinds);
    for (const auto& e : r.evaluated) {
      bool seen_before = false;
      for (std::size_t m = 0; m < all.size() && !seen_before; ++m) seen_before = all[m].gpus == e.gpus && all_kinds[m] == what;
      if (!seen_before) {
        all.push_back(e);
        all_kinds.push_back(what);
      }
    }
    if (r.feasible && r.chosen.cost_per_user_hour < best.chosen.cost_per_user_hour) {
      best.chosen = r.chosen;
      best.message = r.message;
    }
  }
  alternatives.insert(alternatives.end(), screened_out.begin(), screened_out.end());
  best.alternatives = alternatives;
  best.evaluated = all;
  best.evaluated_kinds = all_kinds;
  best.simulations = evaluator.simulations();
  // The evaluator holds the chosen kinds, for writing the plan.
  evaluator.choose_kinds(best.kind_overrides, best.space);
  return best;
}
}  // namespace

Written render(const Result& result, const ScenarioEvaluator& evaluator, const api::RunRequest& base, bool manifests,
               const ManifestOptions& options) {
  Written w;
  w.summary = summary(result, result.space);
  w.frontier_csv = frontier_csv(result, result.space);
  if (!result.feasible) return w;
  api::RunRequest chosen = base;
  const auto extra = evaluator.overrides(result.chosen.gpus);
  chosen.overrides.insert(chosen.overrides.end(), extra.begin(), extra.end());
  // The plan runs as it was judged: the same seed and replications.
  if (base.seed) chosen.overrides.push_back("simulation.seed=" + std::to_string(*base.seed));
  if (base.replications) chosen.overrides.push_back("simulation.replications=" + std::to_string(*base.replications));
  w.plan_json = json::parse(api::validate(chosen)).dump(2) + "\n";
  if (manifests) w.manifests = kubernetes_manifests(api::load_scenario(chosen), options);
  return w;
}

std::string summary(const Result& r, const Space& space) {
  std::ostringstream out;
  out << (r.feasible ? "plan: " : "no plan: ") << r.message << " (" << r.simulations << " simulations)\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-34s %8s %8s\n", "pool", "written", "planned");
  out << line;
  for (std::size_t i = 0; i < space.pools.size(); ++i) {
    const auto& p = space.pools[i];
    std::snprintf(line, sizeof line, "%-34s %8d %8d%s\n", pool_key(p).c_str(), p.written_gpus, r.chosen.gpus[i],
                  r.chosen.gpus[i] == 0 ? "  (left out)" : p.autoscaled ? "  (autoscale max_gpus)" : "");
    out << line;
  }
  for (const auto& k : r.kinds) out << "chosen: " << k << "\n";
  out << "\ncost per user-hour " << fmt("%.5f", r.chosen.cost_per_user_hour) << " USD [" << fmt("%.5f", r.chosen.cost_low)
      << ", " << fmt("%.5f", r.chosen.cost_high) << "]\n";
  if (r.chosen.monthly_usd > 0) {
    out << "a month at the diurnal curve " << fmt("%.0f", r.chosen.monthly_usd) << " USD:";
    for (const auto& [category, usd] : r.chosen.monthly_breakdown_usd) out << " " << category << " " << fmt("%.0f", usd);
    out << "\n";
  }
  for (const auto& c : r.chosen.classes) {
    const std::string q = std::isnan(c.percentile_ms) ? std::string("none completed")
                          : fmt("%.1f ms", c.percentile_ms) + " (up to " + fmt("%.1f", c.percentile_high_ms) + ")";
    std::snprintf(line, sizeof line, "  %-14s p%g %s vs %.0f ms; attainment %.4f (down to %.4f)  %s\n", c.name.c_str(),
                  100 * c.target, q.c_str(), c.threshold_ms, c.attainment, c.attainment_low, c.met ? "met" : "MISSED");
    out << line;
  }
  // Runners-up: the next cheapest candidates, and why each lost.
  const std::string chosen_kinds = joined(r.kinds);
  auto kinds_of = [&](const Evaluation* e) {
    const auto i = static_cast<std::size_t>(e - r.evaluated.data());
    return i < r.evaluated_kinds.size() ? r.evaluated_kinds[i] : std::string();
  };
  std::vector<const Evaluation*> others;
  for (const auto& e : r.evaluated) {
    if (e.gpus != r.chosen.gpus || kinds_of(&e) != chosen_kinds) others.push_back(&e);
  }
  std::sort(others.begin(), others.end(),
            [](const Evaluation* a, const Evaluation* b) { return a->cost_per_user_hour < b->cost_per_user_hour; });
  if (!r.alternatives.empty()) {
    out << "\nGPU kinds and capacities tried (each with its own pool sizes):\n";
    for (const auto& a : r.alternatives) out << "  " << a << "\n";
  }
  out << "\nrunners-up:\n";
  int shown = 0;
  for (const Evaluation* e : others) {
    if (shown++ == 5) break;
    std::string fleet;
    for (std::size_t i = 0; i < space.pools.size(); ++i) {
      if (e->gpus[i] == r.chosen.gpus[i]) continue;
      if (!fleet.empty()) fleet += ", ";
      fleet += pool_key(space.pools[i]);
      fleet += ' ';
      fleet += std::to_string(e->gpus[i]);
    }
    if (kinds_of(e) != chosen_kinds) {
      fleet = (kinds_of(e).empty() ? std::string("kinds and capacities as written") : kinds_of(e)) + (fleet.empty() ? "" : ", ") + fleet;
    }
    std::string why;
    if (!e->feasible) {
      for (const auto& c : e->classes) {
        if (!c.met) why += (why.empty() ? "misses " : "; ") + c.why;
      }
    } else {
      why = "meets every SLO but costs " + fmt("%+.1f", 100 * (e->cost_per_user_hour / r.chosen.cost_per_user_hour - 1)) + "% more";
    }
    out << "  " << fmt("%.5f", e->cost_per_user_hour) << " USD/user-hour with " << (fleet.empty() ? "the same fleet" : fleet)
        << ": " << why << "\n";
  }
  return out.str();
}

std::string frontier_csv(const Result& r, const Space& space) {
  std::ostringstream out;
  out << "candidate";
  for (const auto& p : space.pools) out << "," << pool_key(p);
  const bool with_kinds = !r.evaluated_kinds.empty();
  if (with_kinds) out << ",kinds";
  out << ",cost_per_user_hour_usd,cost_ci95_low,cost_ci95_high,worst_slo_ratio,feasible,frontier,replications";
  if (!r.evaluated.empty()) {
    for (const auto& c : r.evaluated.front().classes) out << "," << c.name << ".percentile_ms_ci95_high," << c.name << ".attainment";
  }
  out << "\n";
  // On the frontier: no other candidate is both cheaper and closer to its SLOs.
  for (std::size_t k = 0; k < r.evaluated.size(); ++k) {
    const auto& e = r.evaluated[k];
    const bool dominated = std::any_of(r.evaluated.begin(), r.evaluated.end(), [&](const Evaluation& o) {
      return &o != &e && o.cost_per_user_hour <= e.cost_per_user_hour && o.worst_ratio <= e.worst_ratio &&
             (o.cost_per_user_hour < e.cost_per_user_hour || o.worst_ratio < e.worst_ratio);
    });
    out << k;
    for (int g : e.gpus) out << "," << g;
    if (with_kinds) out << ",\"" << r.evaluated_kinds[k] << "\"";
    out << "," << fmt("%.9g", e.cost_per_user_hour) << "," << fmt("%.9g", e.cost_low) << "," << fmt("%.9g", e.cost_high)
        << "," << finite_or_empty(e.worst_ratio) << "," << (e.feasible ? 1 : 0) << "," << (dominated ? 0 : 1) << ","
        << e.replications;
    for (const auto& c : e.classes) out << "," << finite_or_empty(c.percentile_high_ms) << "," << fmt("%.6g", c.attainment);
    out << "\n";
  }
  return out.str();
}

}  // namespace capstan::plan
