// Readers for a pool's lifecycle: spot interruptions and their notice,
// replacement and on-demand fallback, cold start, autoscaling. docs/fleet.md
// describes the models; docs/scenario.md the fields.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "models/catalog/clouds.h"
#include "models/input/read_file.h"
#include "models/input/schema_recorder.h"
#include "models/scenario/load.h"
#include "models/scenario/parse.h"
#include "models/scenario/sha256.h"

namespace capstan::scenario::detail {

using nlohmann::json;
namespace js = capstan::input;

namespace {

constexpr double kMaxSeconds = 30.0 * 86400.0;
constexpr std::uintmax_t kMaxTraceBytes = 16u << 20;
constexpr std::size_t kMaxTraceTicks = 1'000'000;

// AWS Spot Instance Advisor buckets of monthly interruption frequency, read at
// their middle (25% for the open ">20%"), turned into a rate per node-hour:
// a share p of instances interrupted in a 730-hour month is -ln(1 - p) / 730.
struct Bucket {
  const char* name;
  double monthly_share;
};
constexpr Bucket kAwsBuckets[] = {{"<5%", 0.025}, {"5-10%", 0.075}, {"10-15%", 0.125}, {"15-20%", 0.175}, {">20%", 0.25}};

// A trace of spot availability: {"metadata": {"gap_seconds": N}, "data": [count, ...]}.
void read_trace(Interruptions& in, const std::string& path) {
  const input::OwnDocument own_document;
  const std::string text = input::read_file_or_throw<ScenarioError>(path, kMaxTraceBytes);
  in.trace_sha256 = sha256_hex(text);
  json doc = input::parse_file_text<ScenarioError>(text, path);
  try {
    js::Object top(doc, "", {"metadata", "data"});
    js::Object meta = top.object("metadata", {"gap_seconds"}, true);
    in.gap_s = meta.number("gap_seconds", js::Range{1.0, kMaxSeconds});
    json& data = top.array("data", 1, kMaxTraceTicks, true);
    in.available.reserve(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {
      const double n = js::number_at(data[i], js::child(top.ptr("data"), i), js::non_negative(kMaxPoolGpus));
      if (n != std::floor(n)) js::fail(js::child(top.ptr("data"), i), "a whole number of nodes", js::describe(data[i]));
      in.available.push_back(static_cast<int>(n));
    }
  } catch (const js::FieldError& e) {
    throw ScenarioError(path, e.pointer, e.expected, e.found);
  }
}

Interruptions parse_interruptions(js::Object o, const std::string& base_dir) {
  Interruptions in;
  const std::size_t model = o.choice("model", {"poisson", "bathtub", "trace"});
  in.model = static_cast<Interruptions::Model>(model + 1);
  auto only = [&](std::vector<std::string> allowed) {
    allowed.push_back("model");
    for (const auto& item : o.json().items()) {
      if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        js::fail(o.ptr(item.key()), "a field of the " + o.json()["model"].get<std::string>() + " model (" + list + ")",
                 "\"" + item.key() + "\"");
      }
    }
  };
  switch (in.model) {
    case Interruptions::Model::kPoisson: {
      only({"per_node_hour", "aws_bucket", "reclaim_nodes"});
      if (o.has("per_node_hour") == o.has("aws_bucket")) {
        js::fail(o.pointer(), "exactly one of per_node_hour and aws_bucket",
                 o.has("per_node_hour") ? "both" : "neither");
      }
      if (o.has("per_node_hour")) {
        in.per_node_hour = o.number("per_node_hour", js::non_negative(1000));
      } else {
        std::vector<std::string> names;
        for (const auto& b : kAwsBuckets) names.push_back(b.name);
        const std::size_t b = o.choice("aws_bucket", names);
        in.per_node_hour = -std::log(1.0 - kAwsBuckets[b].monthly_share) / 730.0;
      }
      break;
    }
    case Interruptions::Model::kBathtub: {
      only({"scale", "early_h", "late_h", "max_lifetime_h"});
      in.max_lifetime_h = o.number("max_lifetime_h", js::positive(24.0 * 365), Interruptions{}.max_lifetime_h);
      in.early_h = o.number("early_h", js::positive(in.max_lifetime_h));
      in.late_h = o.number("late_h", js::positive(in.max_lifetime_h));
      // F must stay a CDF below max_lifetime_h: its value there is below 2 * scale.
      const double f_end = 1.0 - std::exp(-in.max_lifetime_h / in.early_h) + 1.0;
      in.scale = o.number("scale", js::Range{0.0, 1.0 / f_end, true, false});
      break;
    }
    case Interruptions::Model::kTrace: {
      only({"file"});
      const std::filesystem::path p(o.string("file", std::nullopt, 4096));
      in.trace_path = p.is_relative() && !base_dir.empty() ? (std::filesystem::path(base_dir) / p).string() : p.string();
      read_trace(in, in.trace_path);
      break;
    }
    case Interruptions::Model::kNone: break;
  }
  if (in.model == Interruptions::Model::kPoisson) {
    in.reclaim_nodes = static_cast<int>(o.integer("reclaim_nodes", 1, 100000, Interruptions{}.reclaim_nodes));
  }
  return in;
}

Distribution parse_delay(js::Object& o, const std::string& key) {
  Distribution d;  // constant
  if (!o.has(key)) {
    o.json()[key] = d.value;
    return d;
  }
  json& v = o.raw(key);
  if (v.is_number()) {
    d.value = js::number_at(v, o.ptr(key), js::non_negative(kMaxSeconds));
    return d;
  }
  return parse_distribution(v, o.ptr(key));
}

int gpus_in(js::Object& o, const std::string& key, int tensor_parallel, std::optional<std::int64_t> fallback = {}) {
  const auto g = static_cast<int>(o.integer(key, 0, static_cast<std::int64_t>(kMaxPoolGpus), fallback));
  if (g % tensor_parallel != 0) {
    js::fail(o.ptr(key), "a multiple of tensor_parallel (" + std::to_string(tensor_parallel) + ")", std::to_string(g));
  }
  return g;
}

Autoscale parse_autoscale(js::Object o, const Pool& pool, int tensor_parallel) {
  Autoscale a;
  a.enabled = true;
  const Autoscale defaults;
  if (o.has("schedule")) {
    for (const char* key : {"min_gpus", "max_gpus", "metric", "target", "period_s", "scale_down_delay_s", "tolerance"}) {
      if (o.has(key)) js::fail(o.ptr(key), "no metric fields beside a schedule", "\"" + std::string(key) + "\"");
    }
    json& list = o.array("schedule", 24, 24, true);
    for (std::size_t h = 0; h < 24; ++h) {
      const std::string where = js::child(o.ptr("schedule"), h);
      const double g = js::number_at(list[h], where, js::non_negative(kMaxPoolGpus));
      if (g != std::floor(g) || static_cast<int>(g) % tensor_parallel != 0) {
        js::fail(where, "a whole multiple of tensor_parallel (" + std::to_string(tensor_parallel) + ")",
                 js::describe(list[h]));
      }
      a.schedule_gpus.push_back(static_cast<int>(g));
    }
    a.utc_offset_h = o.number("utc_offset_h", js::Range{-14.0, 14.0}, defaults.utc_offset_h);
    return a;
  }
  if (o.has("utc_offset_h")) js::fail(o.ptr("utc_offset_h"), "utc_offset_h only with a schedule", "a metric autoscaler");
  a.min_gpus = gpus_in(o, "min_gpus", tensor_parallel);
  a.max_gpus = gpus_in(o, "max_gpus", tensor_parallel);
  if (a.min_gpus == 0) {
    // With no replica up every metric reads zero: a pool at zero would never come back.
    js::fail(o.ptr("min_gpus"), "at least tensor_parallel (" + std::to_string(tensor_parallel) + "); no scale to zero",
             "0");
  }
  if (a.max_gpus < a.min_gpus) {
    js::fail(o.ptr("max_gpus"), "at least min_gpus (" + std::to_string(a.min_gpus) + ") and at least tensor_parallel",
             std::to_string(a.max_gpus));
  }
  if (pool.gpus < a.min_gpus || pool.gpus > a.max_gpus) {
    js::fail(o.ptr("min_gpus"), "bounds holding the pool's starting gpus (" + std::to_string(pool.gpus) + ")",
             "[" + std::to_string(a.min_gpus) + ", " + std::to_string(a.max_gpus) + "]");
  }
  a.metric = static_cast<Autoscale::Metric>(
      o.choice("metric", {"queue_per_replica", "batch_occupancy", "kv_occupancy", "gpu_busy"}));
  const bool share = a.metric != Autoscale::Metric::kQueuePerReplica;
  a.target = o.number("target", share ? js::Range{0.0, 1.0, true, false} : js::positive(1e6));
  a.period_s = o.number("period_s", js::Range{1.0, 86400.0}, defaults.period_s);
  a.scale_down_delay_s = o.number("scale_down_delay_s", js::non_negative(86400.0), defaults.scale_down_delay_s);
  a.tolerance = o.number("tolerance", js::non_negative(1.0), defaults.tolerance);
  return a;
}

}  // namespace

void parse_lifecycle(js::Object& o, Pool& p, const Deployment& d, const std::string& cloud,
                     const std::string& base_dir) {
  const catalog::Clouds& clouds = catalog::Clouds::builtin();
  const catalog::CloudSpec& spec = *clouds.cloud(cloud);
  js::Object cs = o.object("cold_start", {"boot_s", "weight_load_gb_per_s", "engine_start_s"}, false);
  p.cold_start.boot_s = cs.number("boot_s", js::non_negative(86400.0), spec.node_boot_s);
  p.cold_start.weight_load_gb_per_s = cs.number("weight_load_gb_per_s", js::positive(1e5), clouds.weight_load_gb_per_s);
  p.cold_start.engine_start_s = cs.number("engine_start_s", js::non_negative(86400.0), clouds.engine_start_s);
  if (o.has("autoscale")) {
    p.autoscale = parse_autoscale(o.object("autoscale",
                                           {"min_gpus", "max_gpus", "metric", "target", "period_s",
                                            "scale_down_delay_s", "tolerance", "schedule", "utc_offset_h"},
                                           true),
                                  p, d.tensor_parallel);
  }
  if (!p.spot) {
    for (const char* key : {"notice_s", "interruptions", "replacement"}) {
      if (o.has(key)) js::fail(o.ptr(key), "no spot field on an on_demand pool", "\"" + std::string(key) + "\"");
    }
    return;
  }
  p.notice_s = o.number("notice_s", js::non_negative(3600.0), spec.spot_notice_s);
  if (o.has("interruptions")) {
    p.interruptions = parse_interruptions(
        o.object("interruptions",
                 {"model", "per_node_hour", "aws_bucket", "scale", "early_h", "late_h", "max_lifetime_h", "file",
                  "reclaim_nodes"},
                 true),
        base_dir);
  }
  js::Object r = o.object("replacement", {"delay_s", "fallback", "fallback_after_s"}, false);
  p.replacement.delay_s = parse_delay(r, "delay_s");
  p.replacement.fallback_on_demand = r.choice("fallback", {"none", "on_demand"}, "none") == 1;
  p.replacement.fallback_after_s =
      r.number("fallback_after_s", js::non_negative(kMaxSeconds), Replacement{}.fallback_after_s);
}

}  // namespace capstan::scenario::detail
