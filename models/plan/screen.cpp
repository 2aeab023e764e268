#include "models/plan/screen.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "models/calibration/factory.h"
#include "models/workload/diurnal.h"

namespace capstan::plan {

namespace {

// Concurrent users at the measured window's peak, all origins, sampled
// every quarter hour (the diurnal curve is linear between hours).
double peak_users_in_window(const scenario::Scenario& s) {
  std::vector<workload::UserCurve> curves;
  for (std::size_t o = 0; o < s.workload.origins.size(); ++o)
    curves.emplace_back(s.workload, o, s.simulation.start_hour_utc);
  double peak = 0.0;
  for (double h = s.simulation.warmup_h; h <= s.simulation.duration_h + 1e-9; h += 0.25) {
    double users = 0.0;
    for (const auto& c : curves) users += c.users(h * 3600.0);
    peak = std::max(peak, users);
  }
  return peak;
}

struct ClassShape {
  const scenario::InteractionClass* c = nullptr;
  double rate = 0;        // requests per second at the peak
  double new_tokens = 0;  // prefilled per request
  double output = 0;
};

}  // namespace

Screened screen(const scenario::Scenario& s, const std::string& deployment, int pools, double usd_per_gpu_hour) {
  const scenario::Deployment& d = s.deployment(deployment);
  Screened out;
  out.deployment = deployment;
  out.gpu = d.gpu;
  out.tensor_parallel = d.tensor_parallel;
  const auto model = calibration::make_service_time_model(d.llm, d.gpu_spec, d.engine, d.tensor_parallel,
                                                          d.iteration_overhead_ms, d.profile_path);
  const double users = peak_users_in_window(s);
  double rtt_s = 0.0;  // the last mile's round trip, weighted by origin
  for (const auto& o : s.workload.origins) rtt_s += o.share * o.last_mile_rtt_ms * 1e-3;
  // The engine's front end, outside its iterations: the API server's time
  // before the engine sees a request, and a token's way to the client.
  const double front_s = d.engine.request_ms * 1e-3 + d.engine.stream_us * 1e-6;

  std::vector<ClassShape> shapes;
  for (const auto& c : s.classes) {
    if (c.deployment != deployment) continue;
    ClassShape k;
    k.c = &c;
    if (c.trace.enabled) {
      k.rate = c.trace.requests_per_s();
      k.new_tokens = 0;
      for (const auto& row : *c.trace.rows) k.new_tokens += row.prompt_tokens;
      k.new_tokens /= static_cast<double>(c.trace.rows->size());
      k.output = c.trace.mean_output_tokens();
    } else {
      k.rate = c.arrivals.enabled ? c.arrivals.peak_rate_per_s() : c.rate_per_user_hour * users / 3600.0;
      k.new_tokens = c.prompt_tokens.expected() + c.shared_prefix.tokens;
      k.output = c.output_tokens.expected();
    }
    if (c.history.enabled) {
      // A session's turns are routed one by one, so a turn finds its history
      // cached only when it lands on the replica of the turn before: about
      // one in the pool's replicas. The estimate prefills the whole history.
      const double turns = c.history.max_turns > 0 ? c.history.max_turns / 2.0 : 3.0;
      k.new_tokens += c.history.persona_tokens + turns * (k.new_tokens + k.output);
    }
    out.requests_per_s += k.rate;
    shapes.push_back(k);
  }
  if (shapes.empty() || out.requests_per_s <= 0.0) {
    out.meets = true;
    out.meets = out.possible = true;
    out.gpus = out.min_gpus = pools * d.tensor_parallel;
    out.usd_per_hour = out.min_usd_per_hour = out.gpus * usd_per_gpu_hour;
    return out;
  }
  double mean_context = 0.0, mean_output = 0.0, mean_new = 0.0;
  for (const auto& k : shapes) {
    const double w = k.rate / out.requests_per_s;
    mean_context += w * (k.new_tokens + k.output / 2.0);
    mean_output += w * k.output;
    mean_new += w * k.new_tokens;
  }
  const bool decodes = mean_output > 0.0;

  // One iteration at batch b: b sequences decoding (or, for a classifier,
  // b prompts prefilled together), plus one request's prefill chunk.
  auto decode_s = [&](int b) {
    if (!decodes) {
      std::vector<calibration::PrefillChunk> chunks(static_cast<std::size_t>(b),
                                                    {static_cast<std::int64_t>(std::ceil(mean_new)), 0});
      return model->iteration(0, chunks).seconds(0);
    }
    return model->iteration(b, {}).seconds(static_cast<std::int64_t>(b * mean_context));
  };
  auto prefill_s = [&](const ClassShape& k, int b) {
    const calibration::PrefillChunk chunk{static_cast<std::int64_t>(std::ceil(std::max(1.0, k.new_tokens))),
                                          0};
    const std::int64_t seqs = decodes ? b : 0;
    return model->iteration(seqs, std::span<const calibration::PrefillChunk>(&chunk, 1))
        .seconds(static_cast<std::int64_t>(seqs * mean_context));
  };
  // The latency a class's SLO measures, at batch b, over its threshold: with
  // one iteration of waiting (the estimate), or without (a floor: a request
  // that finds its replica idle).
  auto ratio = [&](const ClassShape& k, int b, bool wait) {
    // An idle replica prefills the request alone.
    const double pre = prefill_s(k, wait ? b : 0);
    double latency = rtt_s + front_s + (wait ? decode_s(b) : 0.0) + pre;
    if (k.c->slo.metric == scenario::Slo::Metric::kE2e) latency += k.output * decode_s(b);
    if (k.c->slo.metric == scenario::Slo::Metric::kTpot) latency = decode_s(b);
    return latency / (k.c->slo.threshold_ms * 1e-3);
  };
  auto within = [&](int b) {
    return std::all_of(shapes.begin(), shapes.end(), [&](const ClassShape& k) { return ratio(k, b, true) <= kHeadroom; });
  };
  double worst = -1.0;
  for (const auto& k : shapes) {
    const double r = ratio(k, 1, false);
    if (r > worst) {
      worst = r;
      out.worst_class = k.c->name;
      out.floor_ms = r * k.c->slo.threshold_ms;
      out.unloaded_ms = ratio(k, 1, true) * k.c->slo.threshold_ms;
    }
  }
  out.iteration_ms = decode_s(1) * 1e3;
  out.possible = worst <= 1.0;
  if (!out.possible) {
    char text[240];
    const auto& c = *std::find_if(shapes.begin(), shapes.end(), [&](const ClassShape& k) { return k.c->name == out.worst_class; });
    std::snprintf(text, sizeof text, "%s's latency is at least %.0f ms on %s x%d even unloaded, over its %.0f ms SLO",
                  out.worst_class.c_str(), out.floor_ms, d.gpu.c_str(), d.tensor_parallel, c.c->slo.threshold_ms);
    out.why = text;
  }
  const int max_batch = std::max(1, d.max_running_seqs);
  if (!within(1)) {
    out.batch = 1;
  } else {
    // Latency grows with the batch: the largest batch within headroom, by bisection.
    int lo = 1, hi = max_batch;
    while (lo < hi) {
      const int mid = lo + (hi - lo + 1) / 2;
      if (within(mid)) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    out.batch = lo;
    out.meets = true;
  }
  // A replica's capacity at batch b: requests per second.
  auto capacity = [&](int batch) {
    double per_request_s = decodes ? mean_output * decode_s(batch) : decode_s(batch) / batch;
    if (decodes) {
      for (const auto& k : shapes) per_request_s += k.rate / out.requests_per_s * prefill_s(k, batch);
    }
    return (decodes ? batch : 1.0) / per_request_s;
  };
  out.replica_requests_per_s = capacity(out.batch);
  const double replicas = out.requests_per_s / (kUtilisation * out.replica_requests_per_s);
  out.gpus = std::max(pools, static_cast<int>(std::ceil(replicas))) * d.tensor_parallel;
  out.usd_per_hour = out.gpus * usd_per_gpu_hour;
  out.max_replica_requests_per_s = capacity(max_batch);
  const double at_least = out.requests_per_s / out.max_replica_requests_per_s;
  out.min_gpus = std::max(pools, static_cast<int>(std::ceil(at_least - 1e-9))) * d.tensor_parallel;
  out.min_usd_per_hour = out.min_gpus * usd_per_gpu_hour;
  return out;
}

}  // namespace capstan::plan
