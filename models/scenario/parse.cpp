// The whole document: sections in order, then the cross-checks.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "models/network/topology.h"
#include "models/scenario/parse.h"

namespace capstan::scenario::detail {

using nlohmann::json;
namespace js = capstan::input;

Scenario parse_document(json& doc, const std::string& base_dir) {
  js::Object top(doc, "",
                 {"$schema", "name", "description", "simulation", "workload", "classes", "deployments", "sites",
                  "network", "routing", "cost", "catalog"});
  // An editor's pointer at docs/scenario.schema.json; capstan does not use it.
  if (top.has("$schema")) top.string("$schema", std::nullopt, 2000);
  Scenario s;
  s.name = top.name("name");
  s.description = top.string("description", Scenario{}.description, 20000);
  // Each section, and each item of a list, is one part (json_reader.h): while
  // errors are collected, one part's error does not hide another's. The checks
  // across parts run only on a document read without error.
  js::ErrorCollector* const errors = js::ErrorCollector::active();
  auto clean = [&] { return !errors || errors->empty(); };
  js::part([&] {
    s.simulation = parse_simulation(top.object("simulation",
                                               {"duration_h", "warmup_h", "start_hour_utc", "seed", "replications",
                                                "interval_s", "max_queue_s", "step_by_step"},
                                               false));
  });
  const bool workload_read =
      js::part([&] { s.workload = parse_workload(top.object("workload", {"peak_users", "diurnal", "session", "origins", "monthly_active_users_per_peak"}, true)); });
  if (!workload_read && doc.contains("workload") && doc["workload"].is_object() && doc["workload"].contains("origins") &&
      doc["workload"]["origins"].is_array()) {
    for (const auto& origin : doc["workload"]["origins"]) mark_broken(origin);  // what links to them is skipped
  }

  const catalog::Catalog& builtin = catalog::Catalog::builtin();
  std::optional<catalog::Catalog> overridden;
  const std::size_t before_catalog = errors ? errors->count() : 0;
  js::part([&] {
    if (top.has("catalog")) overridden.emplace(builtin.with_overrides(doc["catalog"], "/catalog", base_dir));
  });
  // The fleet names the catalog's entries: with its additions in error, the fleet's errors would follow from them.
  if (errors && errors->count() > before_catalog) return s;
  const catalog::Catalog& catalog = overridden ? *overridden : builtin;

  s.deployments = parse_deployments(top.array("deployments", 1, kMaxDeployments, true), "/deployments", catalog,
                                    base_dir);
  s.classes = parse_classes(top.array("classes", 1, kMaxClasses, true), "/classes", s.deployments, base_dir);
  // A replayed trace sends one event per row: bound the rows a run replays.
  for (std::size_t c = 0; clean() && c < s.classes.size(); ++c) {
    const RequestTrace& t = s.classes[c].trace;
    if (!t.enabled || !t.loop) continue;
    const double passes = std::ceil(s.simulation.duration_h * 3600e9 / t.period_ns());
    if (passes * static_cast<double>(t.rows->size()) > kMaxReplayedRows) {
      js::fail("/classes/" + std::to_string(c) + "/trace/time_scale",
               "a looped trace replaying at most " + js::format_number(kMaxReplayedRows) + " rows in the run",
               js::format_number(passes * static_cast<double>(t.rows->size())) + " rows (" +
                   js::format_number(passes) + " passes)");
    }
  }
  // Each class keeps a latency histogram per time-series interval (about
  // 9 KB): bound the cells so that no valid scenario can exhaust memory.
  const double cells = std::ceil(s.simulation.duration_h * 3600.0 / s.simulation.interval_s) *
                       static_cast<double>(s.classes.size());
  if (clean() && cells > kMaxSeriesCells) {
    js::fail("/simulation/interval_s",
             "at most " + js::format_number(kMaxSeriesCells) + " time-series cells (intervals x classes; interval_s >= " +
                 js::format_number(std::ceil(s.simulation.duration_h * 3600.0 * s.classes.size() / kMaxSeriesCells)) +
                 ")",
             js::format_number(s.simulation.interval_s) + " (" + js::format_number(cells) + " cells)");
  }
  s.sites = parse_sites(top.array("sites", 0, kMaxSites, false), "/sites", catalog, s.deployments, base_dir);
  js::part([&] {
    for (std::size_t i = 0; i < s.sites.size(); ++i) {
      for (std::size_t o = 0; o < s.workload.origins.size(); ++o) {
        if (s.sites[i].name == s.workload.origins[o].name) {
          js::fail("/sites/" + std::to_string(i) + "/name",
                   "a name not used before (origins and sites share one namespace)",
                   "\"" + s.sites[i].name + "\" (already at /workload/origins/" + std::to_string(o) + "/name)");
        }
      }
    }
  });
  js::part([&] { s.links = parse_links(top.object("network", {"links"}, false), s); });
  js::part([&] {
    s.routing = parse_routing(top.object("routing", {"policy", "budget_share", "max_spill_sites", "prefix_affinity",
                                                     "prefix_affinity_max_waiting"}, false));
  });
  js::part([&] {
    s.cost = parse_cost(top.object(
        "cost", {"egress_usd_per_gb", "bytes_per_token", "reviewer_usd_per_hour", "reviewer_items_per_hour"}, false));
  });
  if (clean()) check_reachability(s);
  if (clean()) check_fleet_work(s);
  return s;
}

namespace {

// A node's mean age at preemption under the bathtub CDF: the integral of 1 - F(t) up to max_lifetime_h.
double bathtub_mean_lifetime_h(const Interruptions& in) {
  constexpr int kSteps = 2000;
  const double h = in.max_lifetime_h / kSteps;
  double sum = 0.0;
  for (int k = 0; k <= kSteps; ++k) {
    const double t = k * h;
    const double f = std::min(1.0, in.scale * (1.0 - std::exp(-t / in.early_h) + std::exp((t - in.max_lifetime_h) / in.late_h)));
    sum += (k == 0 || k == kSteps ? 0.5 : 1.0) * (1.0 - f);
  }
  return sum * h;
}

}  // namespace

void check_fleet_work(const Scenario& s) {
  const double hours = s.simulation.duration_h;
  for (std::size_t i = 0; i < s.sites.size(); ++i) {
    for (std::size_t j = 0; j < s.sites[i].pools.size(); ++j) {
      const Pool& pool = s.sites[i].pools[j];
      const double nodes = pool.most_nodes();
      const std::string at = "/sites/" + std::to_string(i) + "/pools/" + std::to_string(j);
      // Reclaims the run would simulate, each a handful of events (notice, loss, replacement, boot, load).
      const Interruptions& in = pool.interruptions;
      double reclaims = 0.0;
      std::string how;
      switch (in.model) {
        case Interruptions::Model::kPoisson:
          reclaims = in.per_node_hour * nodes * hours;
          how = "per_node_hour x nodes x duration_h";
          break;
        case Interruptions::Model::kBathtub: {
          const double lifetime_h = bathtub_mean_lifetime_h(in);
          reclaims = nodes * hours / std::max(lifetime_h, 1e-300);
          how = "nodes x duration_h / the mean lifetime of " + js::format_number(lifetime_h) + " h";
          break;
        }
        case Interruptions::Model::kTrace: {
          const auto ticks = static_cast<std::size_t>(std::min<double>(hours * 3600.0 / in.gap_s + 1.0,
                                                                      static_cast<double>(in.available.size())));
          for (std::size_t t = 1; t < ticks; ++t) {
            reclaims += std::max(0.0, std::min<double>(in.available[t - 1], nodes) - std::min<double>(in.available[t], nodes));
          }
          how = "the nodes the trace takes away, tick by tick";
          break;
        }
        case Interruptions::Model::kNone: break;
      }
      if (reclaims > kMaxReclaims) {
        js::fail(at + "/interruptions",
                 "at most " + js::format_number(kMaxReclaims) + " spot reclaims in a run (bounded as --max-memory bounds memory)",
                 js::format_number(reclaims) + " (" + how + ")");
      }
      // A metric autoscaler looks at each of the pool's nodes at each evaluation.
      if (pool.autoscale.enabled && pool.autoscale.schedule_gpus.empty()) {
        const double looks = hours * 3600.0 / pool.autoscale.period_s * nodes;
        if (looks > kMaxAutoscaleLooks) {
          js::fail(at + "/autoscale/period_s",
                   "at most " + js::format_number(kMaxAutoscaleLooks) + " node looks by the autoscaler in a run "
                   "(duration_h x 3600 / period_s x max nodes)",
                   js::format_number(looks));
        }
      }
    }
  }
}

void check_reachability(const Scenario& s) {
  // Which sites hold a pool of each deployment with GPUs in it (a pool of 0
  // GPUs serves nothing).
  std::map<std::string, std::vector<std::size_t>> sites_of;
  for (std::size_t i = 0; i < s.sites.size(); ++i) {
    for (const Pool& pool : s.sites[i].pools) {
      if (pool.node_slots() > 0) sites_of[pool.deployment].push_back(i);
    }
  }
  bool any_self_hosted = false;
  for (std::size_t c = 0; c < s.classes.size(); ++c) {
    const Deployment& d = s.deployment(s.classes[c].deployment);
    if (d.hosted) continue;
    any_self_hosted = true;
    if (sites_of[d.name].empty()) {
      js::fail("/classes/" + std::to_string(c) + "/deployment", "a deployment with at least one pool of GPUs",
               "\"" + d.name + "\" (no site has a pool of it with GPUs)");
    }
  }
  const network::Topology topology(s);
  // A hosted API in a region must be reachable from every origin that calls it.
  for (std::size_t o = 0; o < s.workload.origins.size(); ++o) {
    for (std::size_t c = 0; c < s.classes.size(); ++c) {
      for (const std::string* name : {&s.classes[c].deployment, &s.classes[c].overflow}) {
        if (name->empty()) continue;
        const auto d = static_cast<std::size_t>(&s.deployment(*name) - s.deployments.data());
        if (!s.deployments[d].hosted || topology.hosted_rtt_ms(o, d) < std::numeric_limits<double>::infinity()) {
          continue;
        }
        js::fail("/deployments/" + std::to_string(d) + "/hosted/region",
                 "a region linked (through /network/links) to every origin that calls it",
                 "\"" + s.deployments[d].region + "\", which origin \"" + s.workload.origins[o].name +
                     "\" does not reach (class \"" + s.classes[c].name + "\")");
      }
    }
  }
  if (!any_self_hosted) return;

  for (std::size_t o = 0; o < s.workload.origins.size(); ++o) {
    const std::string where = "/workload/origins/" + std::to_string(o);
    const std::string& origin = s.workload.origins[o].name;
    const auto& reachable = topology.sites_by_rtt(o);
    const bool any = std::any_of(reachable.begin(), reachable.end(),
                                 [&](std::size_t site) { return !s.sites[site].pools.empty(); });
    if (!any) {
      js::fail(where, "an origin linked (through /network/links) to at least one site with a pool",
               "\"" + origin + "\", which reaches no such site");
    }
    for (const InteractionClass& c : s.classes) {
      const Deployment& d = s.deployment(c.deployment);
      if (d.hosted) continue;
      const auto& serving = sites_of[d.name];
      const bool served = std::any_of(serving.begin(), serving.end(),
                                      [&](std::size_t site) { return topology.reachable(o, site); });
      if (!served) {
        js::fail(where, "an origin linked to a site with GPUs of deployment \"" + d.name + "\" (class \"" + c.name + "\")",
                 "\"" + origin + "\", which reaches none");
      }
    }
  }
}

}  // namespace capstan::scenario::detail
