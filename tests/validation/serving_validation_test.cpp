// The serving simulation against queueing theory, its own step-by-step
// reference, and request conservation.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/api/api.h"
#include "models/queueing/closed_form.h"
#include "models/scenario/load.h"
#include "models/world/prepared.h"
#include "models/world/world.h"
#include "sim/estimate.h"
#include "sim/replication.h"
#include "tests/support/figures.h"
#include "tests/support/models.h"

using namespace capstan;
using nlohmann::json;

namespace {

using testing::figure;

// One metro, one site, one class: the smallest world.
json small_world() {
  return json::parse(R"({
    "name": "small",
    "simulation": {"duration_h": 1, "warmup_h": 0.1, "seed": 7, "replications": 1},
    "workload": {
      "peak_users": 2000,
      "diurnal": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],
      "session": {"duration_min": {"dist": "weibull", "shape": 0.5, "scale": 20}},
      "origins": [{"name": "metro", "share": 1, "utc_offset_h": 0, "last_mile_rtt_ms": 20}]
    },
    "classes": [
      {"name": "dialogue", "rate_per_user_hour": 30,
       "prompt_tokens": {"dist": "lognormal", "mean": 40, "cv": 0.5, "min_value": 4, "max_value": 200},
       "output_tokens": {"dist": "lognormal", "mean": 150, "cv": 0.4, "min_value": 10, "max_value": 400},
       "history": {"persona_tokens": 800, "max_turns": 6},
       "deployment": "npc", "priority": 1,
       "slo": {"metric": "ttft", "threshold_ms": 200, "percentile": 95}},
      {"name": "reactive", "rate_per_user_hour": 60,
       "prompt_tokens": {"dist": "lognormal", "mean": 120, "cv": 0.3},
       "output_tokens": {"dist": "constant", "value": 4},
       "deployment": "npc", "priority": 0,
       "slo": {"metric": "e2e", "threshold_ms": 100, "percentile": 95}}
    ],
    "deployments": [
      {"name": "npc", "model": "llama-3-8b", "gpu": "l4", "tensor_parallel": 1,
       "max_running_seqs": 48, "max_batch_tokens": 1024}
    ],
    "sites": [
      {"name": "edge", "kind": "edge", "region": "us-east", "pools": [
        {"name": "npc", "deployment": "npc", "gpus": 6}]}
    ],
    "network": {"links": [{"a": "metro", "b": "edge", "rtt_ms": 5}]}
  })");
}

}  // namespace

TEST_CASE("the batch-change mode matches the step-by-step reference", "[serving][validation]") {
  // On L4s an 8B model has a small KV cache: the replicas saturate, preempt
  // and drop, across two priorities with prefix caching. On H100s the same
  // world runs at moderate load with long decode-only stretches.
  for (const std::string gpu : {"l4", "h100"}) {
    json doc = small_world();
    doc["simulation"]["duration_h"] = 0.5;
    doc["deployments"][0]["gpu"] = gpu;
    auto run = [&](bool step) {
      doc["simulation"]["step_by_step"] = step;
      const world::Prepared prepared(scenario::load_json(doc, "small.json"));
      return world::simulate(prepared, 7, 0);
    };
    const auto fast = run(false);
    const auto step = run(true);
    INFO(gpu);
    REQUIRE(figure(fast, "/classes/dialogue/completed") > 1000);
    if (gpu == "l4") {
      CHECK(figure(fast, "/sites/edge/preemptions") > 0);
      CHECK(figure(fast, "/classes/dialogue/dropped") > 0);
    } else {
      // The point of the mode: far fewer replica events than iterations.
      CHECK(figure(fast, "/sites/edge/batch_changes") < 0.5 * figure(step, "/sites/edge/iterations"));
      CHECK(figure(step, "/sites/edge/batch_changes") >= figure(step, "/sites/edge/iterations"));
    }
    for (const std::string cls : {"dialogue", "reactive"}) {
      CHECK(figure(fast, "/classes/" + cls + "/completed") == figure(step, "/classes/" + cls + "/completed"));
      CHECK(figure(fast, "/classes/" + cls + "/dropped") == figure(step, "/classes/" + cls + "/dropped"));
      for (const std::string metric : {"ttft", "tpot", "e2e"}) {
        for (const std::string stat : {"mean", "p50", "p95", "p99"}) {
          const std::string p = "/classes/" + cls + "/latency_ms/" + metric + "/" + stat;
          const double a = figure(fast, p), b = figure(step, p);
          INFO(p << ": fast " << a << ", step-by-step " << b);
          CHECK(std::abs(a - b) <= 1e-3 * std::abs(b));
        }
      }
    }
  }
}

TEST_CASE("a scenario reduced to M/M/c matches Erlang C", "[serving][validation]") {
  // One replica whose iterations take tau whatever the batch: each running
  // request is a server that works one token per iteration, the waiting queue
  // is the M/M/c queue, and service takes (output tokens) x tau with output
  // tokens exponential (rounded). Sessions outlast the run, so the users in
  // session stay N (drawn once per replication) and their superposed
  // interactions are Poisson at N x rate; each replication is compared with
  // Erlang C at its own N, through the confidence interval of the differences.
  const double tau_s = 1e-3;
  const double mean_tokens = 1000.0;
  const double users = 1e4;
  for (int c : {2, 8, 32}) {
    const double rho = 0.75;
    // E[service] of round(Exp(mean)) clamped to >= 1 token.
    double mean_service_tokens = 1.0 - std::exp(-1.5 / mean_tokens);
    for (int k = 2; k < 40 * mean_tokens; ++k) {
      mean_service_tokens += k * (std::exp(-(k - 0.5) / mean_tokens) - std::exp(-(k + 0.5) / mean_tokens));
    }
    const double mean_service_s = mean_service_tokens * tau_s;
    const double rate_per_user_hour = rho * c / mean_service_s * 3600.0 / users;
    json doc = small_world();
    doc["simulation"] = {{"duration_h", 3}, {"warmup_h", 0.5}, {"seed", 11}, {"replications", 1}, {"max_queue_s", 3600}};
    doc["workload"]["peak_users"] = users;
    doc["workload"]["session"]["duration_min"] = {{"dist", "constant"}, {"value", 1e8}};
    doc["workload"]["origins"][0]["last_mile_rtt_ms"] = 0;
    doc["network"]["links"][0]["rtt_ms"] = 0;
    doc["classes"] = json::array({{{"name", "job"},
                                   {"rate_per_user_hour", rate_per_user_hour},
                                   {"prompt_tokens", {{"dist", "constant"}, {"value", 1}}},
                                   {"output_tokens", {{"dist", "exponential"}, {"mean", mean_tokens}}},
                                   {"deployment", "npc"},
                                   {"slo", {{"metric", "e2e"}, {"threshold_ms", 1e6}, {"percentile", 95}}}}});
    doc["deployments"][0]["max_running_seqs"] = c;
    doc["deployments"][0]["model"] = "llama-3.2-1b";
    doc["deployments"][0]["gpu"] = "h100";
    doc["deployments"][0]["engine"] = {{"request_ms", 0}};  // no API server between the user and the queue
    doc["sites"][0]["pools"][0]["gpus"] = 1;
    world::Prepared prepared(scenario::load_json(doc, "mmc.json"));
    prepared.deployments[0].service_time = std::make_shared<testing::AffineModel>(tau_s);
    const int reps = 10;
    const auto runs = sim::run_replications<world::ReplicationResult>(
        reps, 0, [&](int r) { return world::simulate(prepared, 11, r); });
    std::vector<double> wait_diff_s, sojourn_diff_s, exact_wait_s;
    for (const auto& r : runs) {
      const double lambda = figure(r, "/users/mean_concurrent") * rate_per_user_hour / 3600.0;
      const auto exact = queueing::mmc(lambda, mean_service_s, c);
      // TTFT is the wait plus the one-iteration prefill of the single prompt token.
      wait_diff_s.push_back(figure(r, "/classes/job/latency_ms/ttft/mean") / 1000.0 - tau_s - exact.mean_wait_s);
      sojourn_diff_s.push_back(figure(r, "/classes/job/latency_ms/e2e/mean") / 1000.0 - exact.mean_sojourn_s);
      exact_wait_s.push_back(exact.mean_wait_s);
    }
    const auto wq = sim::estimate(wait_diff_s, 0.999);
    const auto w = sim::estimate(sojourn_diff_s, 0.999);
    const double mean_exact_wait_s = sim::estimate(exact_wait_s).mean;
    // Iterations quantise time: a newcomer waits for the iteration in
    // progress to end, at most tau. That bound widens the interval, no more.
    INFO("c=" << c << ": Wq sim - Erlang C = " << wq.mean << " +- " << wq.half_width << " s (Wq " << mean_exact_wait_s << " s)");
    CHECK(std::abs(wq.mean) <= wq.half_width + tau_s);
    INFO("W sim - exact = " << w.mean << " +- " << w.half_width);
    CHECK(std::abs(w.mean) <= w.half_width + tau_s);
    // The test has teeth: the interval is narrow against the wait itself.
    CHECK(sim::estimate(wait_diff_s).half_width < 0.1 * mean_exact_wait_s);
  }
}

TEST_CASE("the engine's front end adds its request and stream times to what the client reads", "[serving][engine]") {
  // At a load where no request waits for another, every request's TTFT and
  // E2E move by the front end's request time plus its stream delay, and its
  // time per output token not at all.
  json doc = small_world();
  doc["workload"]["peak_users"] = 20;
  doc["classes"].erase(1);
  doc["classes"][0].erase("history");
  doc["deployments"][0]["engine"] = {{"request_ms", 0}, {"stream_us", 0}};
  const auto bare = world::simulate(world::Prepared(scenario::load_json(doc, "bare.json")), 7, 0);
  doc["deployments"][0]["engine"] = {{"request_ms", 25}, {"stream_us", 3000}};
  const auto served = world::simulate(world::Prepared(scenario::load_json(doc, "front.json")), 7, 0);
  REQUIRE(figure(bare, "/classes/dialogue/completed") > 100);
  CHECK(figure(served, "/classes/dialogue/completed") == figure(bare, "/classes/dialogue/completed"));
  for (const char* metric : {"ttft", "e2e"}) {
    INFO(metric);
    const std::string at = std::string("/classes/dialogue/latency_ms/") + metric + "/mean";
    CHECK(figure(served, at) - figure(bare, at) == Approx(28.0).margin(0.05));
  }
  CHECK(figure(served, "/classes/dialogue/latency_ms/tpot/mean") ==
        Approx(figure(bare, "/classes/dialogue/latency_ms/tpot/mean")).epsilon(1e-6));
}

TEST_CASE("a system prompt shared across requests is prefilled once per replica", "[serving][prefix_cache]") {
  // One 3000-token system prompt in front of every request: with the cache
  // every request but each replica's first finds it, and its TTFT drops by
  // about the prefill of 3000 tokens; without, it is prefilled every time.
  json doc = small_world();
  doc["workload"]["peak_users"] = 200;
  doc["classes"].erase(1);
  doc["classes"][0].erase("history");
  doc["classes"][0]["shared_prefix"] = {{"prompts", 1}, {"tokens", 3000}, {"per", "request"}};
  doc["deployments"][0]["max_batch_tokens"] = 4096;
  doc["deployments"][0]["max_model_len_tokens"] = 8192;
  const auto cached = world::simulate(world::Prepared(scenario::load_json(doc, "shared.json")), 7, 0);
  doc["deployments"][0]["prefix_caching"] = false;
  const auto plain = world::simulate(world::Prepared(scenario::load_json(doc, "plain.json")), 7, 0);
  const double n = figure(cached, "/classes/dialogue/completed");
  REQUIRE(n > 500);
  CHECK(figure(cached, "/deployments/npc/prefix_cache_hit_ratio") > 0.97);
  CHECK(figure(cached, "/deployments/npc/prefix_cache_token_share") > 0.9);
  CHECK(figure(plain, "/deployments/npc/prefix_cache_hit_ratio") == 0.0);
  const double ttft_cached = figure(cached, "/classes/dialogue/latency_ms/ttft/mean");
  const double ttft_plain = figure(plain, "/classes/dialogue/latency_ms/ttft/mean");
  INFO("TTFT mean " << ttft_cached << " ms cached, " << ttft_plain << " ms not");
  CHECK(ttft_cached < 0.5 * ttft_plain);
}

TEST_CASE("prefix affinity keeps each system prompt on the replica that holds it", "[serving][prefix_cache]") {
  // Thirty 2000-token system prompts, one drawn per request, over six L4
  // replicas whose caches hold about a dozen each (4 GiB of KV cache):
  // least-loaded routing spreads each prompt over every replica, affinity
  // sends it where it is cached.
  json doc = small_world();
  doc["workload"]["peak_users"] = 300;
  doc["classes"].erase(1);
  doc["classes"][0].erase("history");
  doc["classes"][0]["shared_prefix"] = {{"prompts", 30}, {"tokens", 2000}, {"per", "request"}};
  doc["deployments"][0]["max_batch_tokens"] = 4096;
  doc["routing"] = {{"policy", "nearest"}};
  const auto spread = world::simulate(world::Prepared(scenario::load_json(doc, "spread.json")), 7, 0);
  doc["routing"]["prefix_affinity"] = true;
  const auto affine = world::simulate(world::Prepared(scenario::load_json(doc, "affine.json")), 7, 0);
  const double without = figure(spread, "/deployments/npc/prefix_cache_hit_ratio");
  const double with = figure(affine, "/deployments/npc/prefix_cache_hit_ratio");
  INFO("hit ratio " << without << " least loaded, " << with << " with affinity");
  CHECK(with > 0.9);             // about 0.99: each prompt lives on one replica
  CHECK(with > without + 0.2);   // about 0.62 without
  CHECK(figure(affine, "/classes/dialogue/latency_ms/ttft/mean") <
        figure(spread, "/classes/dialogue/latency_ms/ttft/mean"));
}

TEST_CASE("requests are conserved: arrived = completed + dropped + in flight", "[serving][validation]") {
  // Too few GPUs: queues build, some requests wait past max_queue_s and are
  // dropped, and some are still in flight when the run ends.
  json doc = small_world();
  doc["simulation"]["duration_h"] = 0.25;
  doc["simulation"]["max_queue_s"] = 2;
  doc["sites"][0]["pools"][0]["gpus"] = 1;
  api::RunRequest request;
  request.scenario_text = doc.dump();
  request.source_name = "overloaded.json";
  const json report = json::parse(api::run(request).report_json);
  const auto& req = report["requests"];
  CHECK(req["dropped"].get<double>() > 0);
  CHECK(req["in_flight"].get<double>() > 0);
  CHECK(req["arrived"].get<double>() ==
        req["completed"].get<double>() + req["dropped"].get<double>() + req["in_flight"].get<double>());
  CHECK(report["classes"]["dialogue"]["slo"]["attainment"].get<double>() < 0.5);
}

TEST_CASE("dialogue history is trimmed to the model's window; what cannot fit is refused", "[serving][validation][context]") {
  // Unlimited history on a 2,048-token window: sessions of ~20 turns would
  // grow prompts past 4,000 tokens, so the oldest turns leave.
  json doc = small_world();
  doc["simulation"]["duration_h"] = 0.5;
  doc["classes"][0]["history"]["max_turns"] = 0;
  doc["deployments"][0]["max_model_len_tokens"] = 2048;
  const world::Prepared prepared(scenario::load_json(doc, "window.json"));
  auto r = world::simulate(prepared, 3, 0);
  const double max_output = 400;  // the dialogue class's output clamp
  CHECK(figure(r, "/classes/dialogue/prompt_tokens_max") + 10 <= 2048);  // 10: the smallest output
  CHECK(figure(r, "/classes/dialogue/prompt_tokens_max") > 2048 - max_output - 200);  // trimming engaged near the top
  CHECK(figure(r, "/classes/dialogue/dropped_by_reason/too_long") == 0);  // every turn fits once trimmed

  // An 1,100-token window with unbounded answers: a persona of 800, a turn and
  // an answer longer than what is left cannot fit, and are refused at once.
  doc["deployments"][0]["max_model_len_tokens"] = 1100;
  doc["classes"][0]["output_tokens"] = {{"dist", "exponential"}, {"mean", 150}};
  const world::Prepared tight(scenario::load_json(doc, "window.json"));
  r = world::simulate(tight, 3, 0);
  const double too_long = figure(r, "/classes/dialogue/dropped_by_reason/too_long");
  CHECK(too_long > 0);
  CHECK(too_long == figure(r, "/classes/dialogue/dropped"));
  CHECK(figure(r, "/classes/dialogue/prompt_tokens_max") < 1100);
  CHECK(r.arrived == r.completed + r.dropped + r.lost + r.in_flight);
}

TEST_CASE("users in session at the start have had their turns: prompts are as long in the first minutes as later",
          "[serving][validation][context]") {
  // Dialogue on a hosted API (no queue to fill), no warm-up: the prompts sent
  // in the first 3 minutes against those sent from minute 30 on, when every
  // session's history has been built by the run itself. Without the recalled
  // history the first minutes' prompts are the persona and a turn or two,
  // about 980 tokens against about 1,850.
  json doc = small_world();
  doc["simulation"]["duration_h"] = 1.0;
  doc["simulation"]["warmup_h"] = 0.0;
  doc["workload"]["peak_users"] = 4000;
  doc["deployments"].push_back(json::parse(
      R"({"name": "api", "hosted": {"input_usd_per_mtok": 0.15, "output_usd_per_mtok": 0.6, "ttft_ms": 300, "tpot_ms": 10}})"));
  doc["classes"][0]["deployment"] = "api";
  doc["classes"].erase(1);
  const world::Prepared prepared(scenario::load_json(doc, "recall.json"));
  const auto r = world::simulate(prepared, 5, 0, true);
  struct Sum {
    double n = 0, sum = 0, sq = 0;
    void add(double x) { n += 1, sum += x, sq += x * x; }
    double mean() const { return sum / n; }
    double se() const { return std::sqrt((sq / n - mean() * mean()) / n); }
  } early, late;
  std::istringstream rows(r.requests_csv);
  std::string line;
  while (std::getline(rows, line)) {
    // replication,sent_s,class,origin,site,replica,prompt_tokens,...
    std::vector<std::string> f;
    std::istringstream cells(line);
    for (std::string c; std::getline(cells, c, ',');) f.push_back(c);
    REQUIRE(f.size() >= 7);
    const double sent = std::stod(f[1]), prompt = std::stod(f[6]);
    if (sent < 180) early.add(prompt);
    if (sent >= 1800) late.add(prompt);
  }
  REQUIRE(early.n > 1000);
  REQUIRE(late.n > 10000);
  // Prompts of one session are correlated, so the standard errors read low;
  // 6 of them still hold apart means 870 tokens apart by a wide margin.
  INFO("first 3 minutes: " << early.mean() << " tokens; from minute 30: " << late.mean());
  CHECK(std::abs(early.mean() - late.mean()) < 6 * std::hypot(early.se(), late.se()));
  CHECK(early.mean() > 800 + 40 + 4 * 190);  // persona, the turn, and at least four kept turns on average
}

TEST_CASE("a response cache's hit ratio matches Che's approximation for LRU", "[serving][validation][cache]") {
  // Independent requests over 1,000 prompts with Zipf(0.8) popularity, an LRU
  // of 100 entries: Che's approximation gives the stationary hit ratio. A
  // hosted API answers, so each miss enters the cache as it is sent, exactly
  // the independent-reference model the approximation is for.
  const int n = 1000, capacity = 100;
  const double s = 0.8;
  json doc = small_world();
  doc["simulation"]["duration_h"] = 0.5;
  doc["simulation"]["warmup_h"] = 0.1;  // the cache fills
  doc["deployments"].push_back(json::parse(
      R"({"name": "api", "hosted": {"input_usd_per_mtok": 0.15, "output_usd_per_mtok": 0.6, "ttft_ms": 300, "tpot_ms": 10}})"));
  doc["classes"][1]["deployment"] = "api";
  doc["classes"][1]["response_cache"] = {{"distinct_prompts", n}, {"zipf_s", s}, {"capacity_entries", capacity}};
  const world::Prepared prepared(scenario::load_json(doc, "cache.json"));
  const auto runs = sim::run_replications<world::ReplicationResult>(
      10, 0, [&](int r) { return world::simulate(prepared, 13, r); });
  std::vector<double> hit_ratio;
  for (const auto& r : runs) hit_ratio.push_back(figure(r, "/classes/reactive/cache_hit_ratio"));
  std::vector<double> popularity(n);
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += popularity[i] = std::pow(i + 1.0, -s);
  for (double& p : popularity) p /= sum;
  const double che = queueing::che_lru_hit_ratio(popularity, capacity);
  const auto e = sim::estimate(hit_ratio, 0.999);
  INFO("hit ratio " << e.mean << " +- " << e.half_width << ", Che " << che);
  CHECK(std::abs(e.mean - che) <= e.half_width);
  CHECK(sim::estimate(hit_ratio).half_width < 0.02 * che);  // the test has teeth
  // Hits cost no GPU time and return after the last mile (20 ms) and the
  // lookup (1 ms); misses take the API's 300 ms + 3 x 10 ms plus the last mile.
  const auto& r0 = runs[0];
  const double h = figure(r0, "/classes/reactive/cache_hit_ratio");
  CHECK(figure(r0, "/classes/reactive/cache_tokens_saved") > 0);
  CHECK(figure(r0, "/classes/reactive/latency_ms/e2e/mean") == Approx(h * 21.0 + (1 - h) * 350.0).epsilon(1e-9));
}

namespace {

// Moderation answered by a hosted classifier at once (the other classes
// silent); half the items are escalated to `reviewers` staff.
json review_world(double hours, int reviewers, double items_per_hour, double sla_minutes) {
  json doc = small_world();
  doc["simulation"]["duration_h"] = hours;
  doc["classes"][0]["rate_per_user_hour"] = 0;
  doc["classes"][1]["rate_per_user_hour"] = 0;
  doc["deployments"].push_back(json::parse(
      R"({"name": "api", "hosted": {"input_usd_per_mtok": 0.1, "output_usd_per_mtok": 0.1, "ttft_ms": 50, "tpot_ms": 0}})"));
  json moderation = json::parse(R"({"name": "moderation", "rate_per_user_hour": 0.042,
      "prompt_tokens": {"dist": "constant", "value": 60}, "output_tokens": {"dist": "constant", "value": 1},
      "deployment": "api", "slo": {"metric": "e2e", "threshold_ms": 1000}, "escalation_share": 0.5})");
  moderation["review"] = {{"reviewers", reviewers}, {"items_per_hour", items_per_hour}, {"sla_minutes", sla_minutes}};
  doc["classes"].push_back(moderation);
  return doc;
}

}  // namespace

TEST_CASE("a constant review staff waits as Erlang C says", "[serving][validation][review]") {
  // Moderation answered by a hosted classifier at once; half the items are
  // escalated (a Bernoulli thinning of a Poisson stream: Poisson), to 3
  // reviewers with exponential reviews of 180 s. Each replication's mean wait
  // is compared with Erlang C at its own realised escalation rate.
  const int c = 3;
  const double mu_per_h = 20.0;
  json doc = review_world(24.0, c, mu_per_h, 10);
  doc["simulation"]["warmup_h"] = 1.0;
  doc["simulation"]["interval_s"] = 3600;
  const world::Prepared prepared(scenario::load_json(doc, "review.json"));
  const auto runs = sim::run_replications<world::ReplicationResult>(
      60, 0, [&](int r) { return world::simulate(prepared, 17, r); });
  std::vector<double> diff_s, exact_s, utilisation_diff;
  for (const auto& r : runs) {
    const double lambda = figure(r, "/classes/moderation/review/items_escalated") / (23.0 * 3600.0);
    const auto exact = queueing::mmc(lambda, 3600.0 / mu_per_h, c);
    diff_s.push_back(figure(r, "/classes/moderation/review/wait_mean_s") - exact.mean_wait_s);
    exact_s.push_back(exact.mean_wait_s);
    utilisation_diff.push_back(figure(r, "/classes/moderation/review/reviewer_utilization") - exact.utilisation);
    // Reviewers are paid for the staffed window, busy or not.
    CHECK(figure(r, "/classes/moderation/review/reviewer_hours") == Approx(3 * 23.0).epsilon(1e-9));
    CHECK(figure(r, "/cost/breakdown_usd/human_moderation") == Approx(3 * 23.0 * 15.0).epsilon(1e-9));
  }
  const auto w = sim::estimate(diff_s, 0.999);
  const double wq = sim::estimate(exact_s).mean;
  INFO("Wq sim - Erlang C = " << w.mean << " +- " << w.half_width << " s (Wq " << wq << " s)");
  CHECK(std::abs(w.mean) <= w.half_width);
  CHECK(sim::estimate(diff_s).half_width < 0.1 * wq);  // the test has teeth
  const auto u = sim::estimate(utilisation_diff, 0.999);
  INFO("utilisation sim - lambda/(c mu) = " << u.mean << " +- " << u.half_width);
  CHECK(std::abs(u.mean) <= u.half_width);
}

TEST_CASE("an overwhelmed review queue misses its SLA instead of reading as met", "[serving][validation][review]") {
  // One reviewer deciding 2 items an hour against dozens escalated: almost
  // nothing is decided in time, and the items still waiting past the SLA at
  // the end count as misses.
  const json doc = review_world(6.0, 1, 2, 30);
  const auto r = world::simulate(world::Prepared(scenario::load_json(doc, "review.json")), 17, 0);
  const double escalated = figure(r, "/classes/moderation/review/items_escalated");
  const double decided = figure(r, "/classes/moderation/review/items_decided");
  const double overdue = figure(r, "/classes/moderation/review/items_overdue");
  REQUIRE(escalated > 40);
  CHECK(decided <= 2 * 6 + 1);  // a reviewer's six hours, give or take the review times' spread
  // All undecided items but the last half hour's (a twelfth of a steady six
  // hours, with 4 Poisson standard deviations of slack) are past the SLA.
  const double last_half_hour = escalated / 12.0;
  CHECK(overdue >= escalated - decided - 1 - last_half_hour - 4 * std::sqrt(last_half_hour));
  CHECK(overdue <= escalated - decided);
  CHECK(figure(r, "/classes/moderation/review/sla_attainment") < 0.1);
}

TEST_CASE("spill to farther sites and prefix-cache hits are reported", "[serving][validation][routing]") {
  // A second site 30 ms away: under nearest routing nothing spills; under
  // least-loaded routing with one GPU at the near site, requests spill there.
  json doc = small_world();
  doc["simulation"]["duration_h"] = 0.25;
  doc["sites"].push_back(json::parse(R"({"name": "far", "region": "us-east", "pools": [
      {"name": "npc", "deployment": "npc", "gpus": 6}]})"));
  doc["network"]["links"].push_back(json::parse(R"({"a": "metro", "b": "far", "rtt_ms": 30})"));
  doc["routing"] = {{"policy", "nearest"}};
  auto r = world::simulate(world::Prepared(scenario::load_json(doc, "spill.json")), 5, 0);
  CHECK(figure(r, "/classes/dialogue/spilled") == 0);
  CHECK(figure(r, "/classes/dialogue/by_origin/metro/routed") == figure(r, "/classes/dialogue/requests"));
  CHECK(figure(r, "/deployments/npc/prefix_cache_hit_ratio") > 0);  // dialogue turns reuse their prefix
  CHECK(figure(r, "/deployments/npc/prefix_cache_token_share") > 0);

  doc["routing"] = {{"policy", "least_loaded"}};
  doc["sites"][0]["pools"][0]["gpus"] = 1;
  doc["deployments"][0]["prefix_caching"] = false;
  r = world::simulate(world::Prepared(scenario::load_json(doc, "spill.json")), 5, 0);
  const double spill = figure(r, "/classes/dialogue/spill_share");
  CHECK(spill > 0.5);  // six GPUs far away against one near
  CHECK(spill == figure(r, "/classes/dialogue/by_origin/metro/spill_share"));
  CHECK(figure(r, "/deployments/npc/prefix_cache_hit_ratio") == 0);
}

TEST_CASE("open-loop stages send what their rates say", "[serving][workload]") {
  // Two requests a second for ten minutes, a five-minute pause, then five a
  // second for ten minutes: evenly spaced, exactly 1200 + 3000; Poisson,
  // within four standard deviations of 4200.
  json doc = small_world();
  doc["simulation"] = {{"duration_h", 0.5}, {"warmup_h", 0}, {"seed", 5}, {"replications", 1}};
  doc["classes"].erase(1);
  doc["classes"][0].erase("history");
  doc["classes"][0].erase("rate_per_user_hour");
  doc["classes"][0]["arrivals"] = {
      {"stages", json::array({{{"rate_per_s", 2}, {"duration_s", 600}},
                              {{"rate_per_s", 0}, {"duration_s", 300}},
                              {{"rate_per_s", 5}, {"duration_s", 600}}})},
      {"process", "constant"}};
  const auto even = world::simulate(world::Prepared(scenario::load_json(doc, "even.json")), 5, 0);
  // Users in session send nothing here: every request is the load's.
  CHECK(even.arrived == 4200);
  CHECK(figure(even, "/classes/dialogue/requests") == 4200);
  doc["classes"][0]["arrivals"]["process"] = "poisson";
  for (int rep = 0; rep < 3; ++rep) {
    const auto poisson = world::simulate(world::Prepared(scenario::load_json(doc, "poisson.json")), 5, rep);
    INFO("replication " << rep << ": " << poisson.arrived);
    CHECK(std::abs(static_cast<double>(poisson.arrived) - 4200.0) < 4.0 * std::sqrt(4200.0));
  }
  // A shared prefix of an open-loop class is drawn per request; per session is refused.
  doc["classes"][0]["shared_prefix"] = {{"prompts", 4}, {"tokens", 100}, {"per", "session"}};
  CHECK_THROWS_AS(scenario::load_json(doc, "bad.json"), scenario::ScenarioError);
}

TEST_CASE("a client timeout drops what would end past it", "[serving][workload]") {
  // A timeout between the median and the 99th percentile of end-to-end
  // latency without one: some requests are dropped as client_timeout, and no
  // completed one took longer.
  json doc = small_world();
  doc["classes"].erase(1);
  const auto free_run = world::simulate(world::Prepared(scenario::load_json(doc, "free.json")), 7, 0);
  const double p50_ms = figure(free_run, "/classes/dialogue/latency_ms/e2e/p50");
  const double p99_ms = figure(free_run, "/classes/dialogue/latency_ms/e2e/p99");
  REQUIRE(p99_ms > 1.2 * p50_ms);
  const double timeout_ms = (p50_ms + p99_ms) / 2.0;
  doc["classes"][0]["timeout_s"] = timeout_ms / 1000.0;
  const auto r = world::simulate(world::Prepared(scenario::load_json(doc, "timeout.json")), 7, 0);
  const double timed_out = figure(r, "/classes/dialogue/dropped_by_reason/client_timeout");
  INFO("timeout " << timeout_ms << " ms: " << timed_out << " timed out, " << figure(r, "/classes/dialogue/completed")
                  << " completed");
  CHECK(timed_out > 0);
  CHECK(figure(r, "/classes/dialogue/completed") > timed_out);
  CHECK(figure(r, "/classes/dialogue/latency_ms/e2e/p99") <= timeout_ms * 1.01);  // histogram buckets: 1%
  CHECK(r.arrived == r.completed + r.dropped + r.lost + r.in_flight);
}
