// Readers for the simulation, workload and classes sections.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "models/scenario/parse.h"

namespace capstan::scenario::detail {

using nlohmann::json;
namespace js = capstan::input;

void check_unique(std::map<std::string, std::string>& seen, const std::string& name, const std::string& pointer) {
  auto [it, inserted] = seen.emplace(name, pointer);
  if (!inserted) js::fail(pointer, "a name not used before", "\"" + name + "\" (already at " + it->second + ")");
}

void mark_broken(const json& item) {
  js::ErrorCollector* c = js::ErrorCollector::active();
  if (c && item.is_object() && item.contains("name") && item["name"].is_string()) {
    c->broken(item["name"].get<std::string>());
  }
}

bool refers_to_broken(const json& item, const char* field) {
  const js::ErrorCollector* c = js::ErrorCollector::active();
  if (!c || !item.is_object() || !item.contains(field) || !item[field].is_string()) return false;
  return c->is_broken(item[field].get<std::string>());
}

namespace {

constexpr double kMaxQuantity = 1e9;

struct KindKeys {
  const char* kind;
  std::vector<std::string> params;
};
const std::vector<KindKeys> kKinds = {{"constant", {"value"}},
                                      {"exponential", {"mean"}},
                                      {"uniform", {"min", "max"}},
                                      {"lognormal", {"mean", "cv"}},
                                      {"weibull", {"shape", "scale"}}};

}  // namespace

Distribution parse_distribution(json& value, const std::string& pointer) {
  js::Object o(value, pointer,
                 {"dist", "value", "mean", "min", "max", "cv", "shape", "scale", "min_value", "max_value"});
  std::vector<std::string> kinds;
  for (const auto& k : kKinds) kinds.push_back(k.kind);
  const std::size_t kind = o.choice("dist", kinds);
  // A parameter of another kind is as wrong as an unknown key.
  for (const auto& item : value.items()) {
    const std::string& key = item.key();
    if (key == "dist" || key == "min_value" || key == "max_value") continue;
    const auto& params = kKinds[kind].params;
    if (std::find(params.begin(), params.end(), key) == params.end()) {
      std::string allowed;
      for (const auto& p : params) allowed += (allowed.empty() ? "" : ", ") + p;
      js::fail(o.ptr(key), std::string("a parameter of a ") + kKinds[kind].kind + " distribution (" + allowed +
                                 ", min_value, max_value)",
                 "\"" + key + "\"");
    }
  }
  Distribution d;
  d.kind = static_cast<Distribution::Kind>(kind);
  switch (d.kind) {
    case Distribution::Kind::kConstant: d.value = o.number("value", js::positive(kMaxQuantity)); break;
    case Distribution::Kind::kExponential: d.mean = o.number("mean", js::positive(kMaxQuantity)); break;
    case Distribution::Kind::kUniform:
      d.min = o.number("min", js::non_negative(kMaxQuantity));
      d.max = o.number("max", js::non_negative(kMaxQuantity));  // min's bound is the validator's, not the schema's
      if (d.max < d.min || d.max <= 0)
        js::fail(o.ptr("max"), "a number > 0 and at least min (" + js::format_number(d.min) + ")",
                 js::describe(value["max"]));
      break;
    case Distribution::Kind::kLognormal:
      d.mean = o.number("mean", js::positive(kMaxQuantity));
      d.cv = o.number("cv", js::non_negative(100));
      break;
    case Distribution::Kind::kWeibull:
      d.shape = o.number("shape", js::Range{0.1, 100});
      d.scale = o.number("scale", js::positive(kMaxQuantity));
      break;
  }
  const Distribution defaults;
  d.min_value = o.number("min_value", js::non_negative(kMaxQuantity), defaults.min_value);
  d.max_value = o.number("max_value", js::non_negative(kMaxQuantity), defaults.max_value);
  if (d.max_value > 0 && d.max_value < d.min_value) {
    js::fail(o.ptr("max_value"), "0 (unbounded) or a number >= min_value (" + js::format_number(d.min_value) + ")",
               js::describe(value["max_value"]));
  }
  return d;
}

Simulation parse_simulation(js::Object o) {
  const Simulation defaults;
  Simulation s;
  // At least a second, and a measured window (after the warm-up) of at least a second.
  s.duration_h = o.number("duration_h", js::Range{1.0 / 3600.0, 8760}, defaults.duration_h);
  // The schema records the field's own range; the bound duration_h sets is the validator's.
  s.warmup_h = o.number("warmup_h", js::Range{0.0, 8760.0}, defaults.warmup_h);
  if (s.warmup_h > s.duration_h - 1.0 / 3600.0) {
    js::fail(o.ptr("warmup_h"),
             "a number in [0, " + js::format_number(s.duration_h - 1.0 / 3600.0) +
                 "] (a measured window of at least a second after it, within duration_h)",
             js::format_number(s.warmup_h));
  }
  s.start_hour_utc = o.number("start_hour_utc", js::Range{0.0, 24.0, false, true}, defaults.start_hour_utc);
  s.seed = o.uint64("seed", defaults.seed);
  s.replications = static_cast<int>(o.integer("replications", 1, 10000, defaults.replications));
  s.interval_s = o.number("interval_s", js::Range{1.0, 86400.0}, defaults.interval_s);
  if (s.duration_h * 3600.0 / s.interval_s > 1e6) {
    js::fail(o.ptr("interval_s"), "at most 1000000 intervals in duration_h (interval_s >= " +
                                        js::format_number(std::ceil(s.duration_h * 3600.0 / 1e6)) + ")",
               js::format_number(s.interval_s));
  }
  s.max_queue_s = o.number("max_queue_s", js::positive(86400), defaults.max_queue_s);
  s.step_by_step = o.boolean("step_by_step", defaults.step_by_step);
  return s;
}

namespace {

Origin parse_origin(json& value, const std::string& pointer) {
  js::Object o(value, pointer, {"name", "share", "utc_offset_h", "last_mile_rtt_ms"});
  const Origin defaults;
  Origin origin;
  origin.name = o.name("name");
  origin.share = o.number("share", js::positive(1.0));
  origin.utc_offset_h = o.number("utc_offset_h", js::Range{-12.0, 14.0}, defaults.utc_offset_h);
  origin.last_mile_rtt_ms = o.number("last_mile_rtt_ms", js::non_negative(10000), defaults.last_mile_rtt_ms);
  return origin;
}

}  // namespace

Workload parse_workload(js::Object o) {
  Workload w;
  // Each user in session holds about 48 bytes: 5e7 users is 2.4 GB, above the
  // largest worlds run today (about 1.4e7 concurrent players).
  w.peak_users = o.number("peak_users", js::positive(5e7));
  // A month's distinct players per concurrent player at the peak (0: not stated): prices 1,000 of them.
  w.monthly_active_users_per_peak = o.number("monthly_active_users_per_peak", js::non_negative(1e6), 0.0);
  // The diurnal curve, the sessions and the origins are parts of their own (json_reader.h).
  js::part([&] {
    json& diurnal = o.raw("diurnal");
    static const char* kDiurnal = "an array of 24 numbers in [0, 1], one per local hour, not all 0";
    if (!diurnal.is_array() || diurnal.size() != 24) js::fail(o.ptr("diurnal"), kDiurnal, js::describe(diurnal));
    double highest = 0.0;
    for (std::size_t h = 0; h < 24; ++h) {
      const double x = js::number_at(diurnal[h], js::child(o.ptr("diurnal"), h), js::non_negative(1.0));
      w.diurnal.push_back(x);
      highest = std::max(highest, x);
    }
    if (highest <= 0.0) js::fail(o.ptr("diurnal"), kDiurnal, "24 zeros");
  });

  js::part([&] {
    js::Object session = o.object("session", {"duration_min"}, false);
    if (!session.has("duration_min")) {
      session.json()["duration_min"] = {{"dist", "weibull"}, {"shape", 0.5}, {"scale", 20.0}};
    }
    w.session_minutes = parse_distribution(session.raw("duration_min"), session.ptr("duration_min"));
    // Sessions start at users / mean length per second: a mean too short to
    // resolve would stall the clock on arrivals.
    if (!(w.session_minutes.expected() * 60.0 >= 1.0)) {
      js::fail(session.ptr("duration_min"), "a session length with a mean of at least 1 s (1/60 minute)",
               js::format_number(w.session_minutes.expected()) + " minutes");
    }
  });

  json& origins = o.array("origins", 1, kMaxOrigins, true);
  std::map<std::string, std::string> seen;
  double share_sum = 0.0;
  bool all_read = true;
  for (std::size_t i = 0; i < origins.size(); ++i) {
    const std::string where = js::child(o.ptr("origins"), i);
    const bool read = js::part([&] {
      w.origins.push_back(parse_origin(origins[i], where));
      check_unique(seen, w.origins.back().name, js::child(where, "name"));
      share_sum += w.origins.back().share;
    });
    if (!read) mark_broken(origins[i]);
    all_read = all_read && read;
  }
  js::part([&] {
    if (all_read && std::fabs(share_sum - 1.0) > 1e-6) {
      js::fail(o.ptr("origins"), "origin shares summing to 1 (within 1e-6)",
               "shares summing to " + js::format_number(share_sum));
    }
  });
  return w;
}

namespace {

// The smallest value a draw can take (at least 1 once drawn as tokens).
double smallest_draw(const Distribution& d) {
  if (d.min_value > 0) return d.min_value;
  if (d.kind == Distribution::Kind::kConstant) return d.value;
  if (d.kind == Distribution::Kind::kUniform) return d.min;
  return 1.0;
}

// The largest value a draw can take: its clamp, or the top of a bounded
// distribution; 0 when it is unbounded.
double largest_draw(const Distribution& d) {
  if (d.max_value > 0) return d.max_value;
  if (d.kind == Distribution::Kind::kConstant) return d.value;
  if (d.kind == Distribution::Kind::kUniform) return d.max;
  return 0.0;
}

// A class that replays a request trace: its file, time scale and looping.
RequestTrace parse_trace(js::Object o, const std::string& base_dir) {
  const RequestTrace defaults;
  RequestTrace t;
  t.enabled = true;
  const std::filesystem::path file(o.string("file", std::nullopt, 4096));
  t.path = file.is_relative() && !base_dir.empty() ? (std::filesystem::path(base_dir) / file).string() : file.string();
  t.time_scale = o.number("time_scale", js::Range{1e-6, 1e6}, defaults.time_scale);
  t.loop = o.boolean("loop", defaults.loop);
  t.start_s = o.number("start_s", js::non_negative(8760.0 * 3600.0), defaults.start_s);
  read_request_trace(t);
  if (t.loop && t.period_ns() <= 0) {
    js::fail(o.ptr("loop"), "false for a trace whose rows all share one time (looping it would never advance)",
             "true");
  }
  return t;
}

InteractionClass parse_class(json& value, const std::string& pointer, const std::vector<Deployment>& deployments,
                             const std::string& base_dir) {
  js::Object o(value, pointer,
                 {"name", "rate_per_user_hour", "prompt_tokens", "output_tokens", "history", "deployment", "priority",
                  "slo", "escalation_share", "response_cache", "review", "overflow", "overflow_queue_limit", "trace",
                  "shared_prefix", "arrivals", "timeout_s"});
  const InteractionClass defaults;
  InteractionClass c;
  c.name = o.name("name");
  if (o.has("trace")) {
    // The trace gives the requests, their times and their tokens.
    for (const char* drawn :
         {"rate_per_user_hour", "prompt_tokens", "output_tokens", "history", "response_cache", "shared_prefix"}) {
      if (o.has(drawn)) {
        js::fail(o.ptr(drawn), "no " + std::string(drawn) + " in a class that replays a trace",
                 js::describe(o.raw(drawn)));
      }
    }
    if (o.has("arrivals")) js::fail(o.ptr("arrivals"), "no arrivals in a class that replays a trace", "arrivals");
    c.trace = parse_trace(o.object("trace", {"file", "time_scale", "loop", "start_s"}, true), base_dir);
  } else if (o.has("arrivals")) {
    // An open-loop load: the stages give the times, the distributions the tokens.
    for (const char* per_user : {"rate_per_user_hour", "history"}) {
      if (o.has(per_user)) {
        js::fail(o.ptr(per_user), "no " + std::string(per_user) + " in a class with open-loop arrivals (no sessions)",
                 js::describe(o.raw(per_user)));
      }
    }
    js::Object a = o.object("arrivals", {"stages", "process"}, true);
    c.arrivals.enabled = true;
    c.arrivals.poisson = a.choice("process", {"poisson", "constant"}, "poisson") == 0;
    json& stages = a.array("stages", 1, 1000, true);
    for (std::size_t i = 0; i < stages.size(); ++i) {
      js::Object st(stages[i], js::child(a.ptr("stages"), i), {"rate_per_s", "duration_s"});
      c.arrivals.stages.push_back({st.number("rate_per_s", js::non_negative(1e6)),
                                   st.number("duration_s", js::positive(8760.0 * 3600.0))});
    }
    c.prompt_tokens = parse_distribution(o.raw("prompt_tokens"), o.ptr("prompt_tokens"));
  } else {
    c.rate_per_user_hour = o.number("rate_per_user_hour", js::non_negative(3600.0 * 100));
    c.prompt_tokens = parse_distribution(o.raw("prompt_tokens"), o.ptr("prompt_tokens"));
  }
  c.timeout_s = o.number("timeout_s", js::non_negative(86400.0 * 30), 0.0);

  // The deployment decides whether output_tokens may be left out (a classifier emits one token).
  const std::string deployment = o.name("deployment");
  const Deployment* served_by = nullptr;
  std::vector<std::string> names;
  for (const auto& d : deployments) {
    names.push_back(d.name);
    if (d.name == deployment) served_by = &d;
  }
  if (!served_by) js::fail(o.ptr("deployment"), "the name of a deployment", js::quoted_with_suggestion(deployment, names));
  c.deployment = deployment;
  const bool classifier = !served_by->hosted && served_by->llm.classifier;
  if (c.trace.enabled) {
    if (classifier) {
      js::fail(o.ptr("trace"), "a class of a generative model (a classifier emits one token, not the trace's)",
               "deployment " + served_by->name + " serving classifier " + served_by->model);
    }
  }
  // A classifier's class may leave output_tokens out: one token, and the schema calls the field optional.
  const bool filled = !c.trace.enabled && classifier && !o.has("output_tokens");
  if (filled) o.json()["output_tokens"] = {{"dist", "constant"}, {"value", 1}};
  if (!c.trace.enabled) {
    c.output_tokens =
        parse_distribution(filled ? o.raw_optional("output_tokens") : o.raw("output_tokens"), o.ptr("output_tokens"));
  }
  if (!c.trace.enabled && classifier && (c.output_tokens.kind != Distribution::Kind::kConstant || c.output_tokens.value != 1.0)) {
    js::fail(o.ptr("output_tokens"), "{\"dist\": \"constant\", \"value\": 1} (a classifier emits one token)",
               "another distribution");
  }

  if (o.has("history")) {
    js::Object h = o.object("history", {"persona_tokens", "max_turns"}, true);
    c.history.enabled = true;
    c.history.persona_tokens = h.number("persona_tokens", js::non_negative(1e6), defaults.history.persona_tokens);
    c.history.max_turns = static_cast<int>(h.integer("max_turns", 0, 10000, defaults.history.max_turns));
  }
  if (o.has("shared_prefix")) {
    js::Object sp = o.object("shared_prefix", {"prompts", "tokens", "per", "zipf_s"}, true);
    auto& p = c.shared_prefix;
    p.enabled = true;
    p.prompts = static_cast<int>(sp.integer("prompts", 1, kMaxDistinctPrompts));
    if (c.history.enabled) {
      if (sp.has("tokens")) {
        js::fail(sp.ptr("tokens"), "no tokens: with history the persona (history.persona_tokens) is the shared prompt",
                 js::describe(sp.raw("tokens")));
      }
      if (c.history.persona_tokens < 1) {
        js::fail(o.ptr("history") + "/persona_tokens", "a persona of at least 1 token to share",
                 js::format_number(c.history.persona_tokens));
      }
    } else {
      p.tokens = static_cast<int>(sp.integer("tokens", 1, 1'000'000));
    }
    p.per_session = sp.choice("per", {"session", "request"}, c.arrivals.enabled ? "request" : "session") == 0;
    if (p.per_session && c.arrivals.enabled) {
      js::fail(sp.ptr("per"), "\"request\" in a class with open-loop arrivals (no sessions)", "\"session\"");
    }
    p.zipf_s = sp.number("zipf_s", js::non_negative(10.0), 0.0);
  }
  // vLLM refuses a request whose prompt and output exceed max_model_len: the
  // fixed part of every prompt (the persona), the smallest turn and the
  // largest output the class can ask for must fit.
  if (!served_by->hosted && !c.trace.enabled) {  // a trace's rows over the window are refused one by one
    const double window = served_by->max_model_len_tokens;
    const double persona = c.history.enabled ? c.history.persona_tokens : static_cast<double>(c.shared_prefix.tokens);
    const double turn = std::max(1.0, std::round(smallest_draw(c.prompt_tokens)));
    const double output = std::max(1.0, std::round(largest_draw(c.output_tokens)));
    if (persona + turn + output > window) {
      const std::string at = persona + 2.0 > window     ? (c.history.enabled ? o.ptr("history") + "/persona_tokens"
                                                                          : o.ptr("shared_prefix") + "/tokens")
                             : persona + turn + 1.0 > window ? o.ptr("prompt_tokens")
                                                             : o.ptr("output_tokens");
      js::fail(at,
               "a persona, the smallest turn (" + js::format_number(turn) + " tokens) and the largest output (" +
                   js::format_number(output) + ") within deployment " + served_by->name +
                   "'s max_model_len_tokens (" + js::format_number(window) + ")",
               js::format_number(persona + turn + output) + " tokens");
    }
  }
  c.priority = static_cast<int>(o.integer("priority", -1000, 1000, defaults.priority));
  if (o.has("overflow")) {
    if (served_by->hosted) {
      js::fail(o.ptr("overflow"), "an overflow only for a class served by a self-hosted deployment",
               js::describe(o.raw("overflow")));
    }
    c.overflow = o.name("overflow");
    std::vector<std::string> hosted;
    for (const auto& d : deployments) {
      if (d.hosted) hosted.push_back(d.name);
    }
    if (std::find(hosted.begin(), hosted.end(), c.overflow) == hosted.end()) {
      js::fail(o.ptr("overflow"), "the name of a hosted deployment", js::quoted_with_suggestion(c.overflow, hosted));
    }
    c.overflow_queue_limit =
        static_cast<int>(o.integer("overflow_queue_limit", 0, 1000000, defaults.overflow_queue_limit));
  } else if (o.has("overflow_queue_limit")) {
    js::fail(o.ptr("overflow_queue_limit"), "a queue limit only with an overflow deployment", "no overflow");
  }

  js::Object slo = o.object("slo", {"metric", "threshold_ms", "percentile"}, true);
  c.slo.metric = static_cast<Slo::Metric>(slo.choice("metric", {"ttft", "tpot", "e2e"}));
  c.slo.threshold_ms = slo.number("threshold_ms", js::positive(1e7));
  c.slo.percentile = slo.number("percentile", js::Range{0.0, 100.0, true, true}, defaults.slo.percentile);
  c.escalation_share = o.number("escalation_share", js::non_negative(1.0), defaults.escalation_share);
  if (o.has("review")) {
    if (c.escalation_share <= 0) {
      js::fail(o.ptr("review"), "a review queue only with an escalation_share above 0",
               "escalation_share " + js::format_number(c.escalation_share));
    }
    js::Object r = o.object("review", {"reviewers", "utc_offset_h", "items_per_hour", "review_time_cv", "sla_minutes"},
                            true);
    const Review review_defaults;
    c.review.enabled = true;
    json& staff = r.raw("reviewers");
    const std::string at = r.ptr("reviewers");
    if (staff.is_array()) {
      if (staff.size() != 24) js::fail(at, "1 number of reviewers or 24 (one per local hour)", js::describe(staff));
      for (std::size_t h = 0; h < 24; ++h) {
        const double n = js::number_at(staff[h], js::child(at, h), js::non_negative(100000));
        if (n != std::floor(n)) js::fail(js::child(at, h), "a whole number of reviewers", js::describe(staff[h]));
        c.review.reviewers.push_back(static_cast<int>(n));
      }
    } else {
      const double n = js::number_at(staff, at, js::non_negative(100000));
      if (n != std::floor(n)) js::fail(at, "a whole number of reviewers", js::describe(staff));
      c.review.reviewers.push_back(static_cast<int>(n));
    }
    c.review.utc_offset_h = r.number("utc_offset_h", js::Range{-14.0, 14.0}, review_defaults.utc_offset_h);
    c.review.items_per_hour = r.number("items_per_hour", js::positive(1e5), review_defaults.items_per_hour);
    c.review.review_time_cv = r.number("review_time_cv", js::positive(10.0), review_defaults.review_time_cv);
    c.review.sla_minutes = r.number("sla_minutes", js::positive(1e6), review_defaults.sla_minutes);
  }
  if (o.has("response_cache")) {
    js::Object rc = o.object("response_cache",
                             {"distinct_prompts", "zipf_s", "capacity_entries", "ttl_s", "hit_ms"}, true);
    const ResponseCache cache_defaults;
    auto& cache = c.response_cache;
    cache.enabled = true;
    // The popularity table holds one double per prompt: a million is 8 MB.
    cache.distinct_prompts = static_cast<int>(rc.integer("distinct_prompts", 1, kMaxDistinctPrompts));
    cache.zipf_s = rc.number("zipf_s", js::non_negative(10.0), cache_defaults.zipf_s);
    cache.capacity_entries = static_cast<int>(rc.integer("capacity_entries", 1, kMaxDistinctPrompts));
    cache.ttl_s = rc.number("ttl_s", js::non_negative(30.0 * 86400.0), cache_defaults.ttl_s);
    cache.hit_ms = rc.number("hit_ms", js::non_negative(60000.0), cache_defaults.hit_ms);
  }
  return c;
}

}  // namespace

std::vector<InteractionClass> parse_classes(json& list, const std::string& pointer,
                                            const std::vector<Deployment>& deployments, const std::string& base_dir) {
  std::vector<InteractionClass> classes;
  std::map<std::string, std::string> seen;
  std::int64_t distinct_prompts = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string where = js::child(pointer, i);
    // A class served by a deployment that failed to read is skipped: its errors would follow from that one.
    if (refers_to_broken(list[i], "deployment") || refers_to_broken(list[i], "overflow")) continue;
    js::part([&] {
      classes.push_back(parse_class(list[i], where, deployments, base_dir));
      check_unique(seen, classes.back().name, js::child(where, "name"));
      distinct_prompts += classes.back().response_cache.distinct_prompts + classes.back().shared_prefix.prompts;
      if (distinct_prompts > kMaxDistinctPrompts) {
        js::fail(js::child(where, classes.back().shared_prefix.enabled ? "shared_prefix" : "response_cache") +
                     (classes.back().shared_prefix.enabled ? "/prompts" : "/distinct_prompts"),
                 "at most 1000000 distinct prompts over all classes' response caches and shared prefixes",
                 std::to_string(distinct_prompts) + " so far");
      }
    });
  }
  return classes;
}

}  // namespace capstan::scenario::detail
