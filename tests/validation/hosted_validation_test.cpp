// Hosted APIs and overflow against closed forms: lognormal latency
// quantiles, round trips through the network graph, the token bucket's
// admission bound, backoff, and the overflow reasons with their cost.
#include <catch2/catch.hpp>

#include <boost/math/distributions/lognormal.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/scenario/load.h"
#include "models/world/prepared.h"
#include "models/world/world.h"
#include "sim/replication.h"
#include "tests/support/figures.h"

using namespace capstan;
using nlohmann::json;
using testing::figure;

namespace {

// Users in one metro calling a hosted API (and, for overflow, a small
// self-hosted pool) at a constant rate for an hour.
json api_world(double users, double rate_per_user_hour) {
  json doc = json::parse(R"({
    "name": "hosted",
    "simulation": {"duration_h": 1, "seed": 7, "replications": 1},
    "workload": {
      "peak_users": 100,
      "diurnal": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],
      "session": {"duration_min": {"dist": "exponential", "mean": 30}},
      "origins": [{"name": "metro", "share": 1, "utc_offset_h": 0, "last_mile_rtt_ms": 10}]
    },
    "classes": [
      {"name": "chat", "rate_per_user_hour": 60,
       "prompt_tokens": {"dist": "constant", "value": 200},
       "output_tokens": {"dist": "constant", "value": 50},
       "deployment": "api",
       "slo": {"metric": "ttft", "threshold_ms": 2000, "percentile": 95}}
    ],
    "deployments": [
      {"name": "api", "hosted": {"input_usd_per_mtok": 0.5, "output_usd_per_mtok": 1.5, "ttft_ms": 300, "tpot_ms": 20}},
      {"name": "npc", "model": "llama-3.2-1b", "gpu": "l4", "max_running_seqs": 16}
    ],
    "sites": [{"name": "edge", "region": "us-east", "cloud": "aws", "pools": [
      {"name": "gpu", "deployment": "npc", "gpus": 1,
       "cold_start": {"boot_s": 0, "weight_load_gb_per_s": 100000, "engine_start_s": 0}}]}],
    "network": {"links": [{"a": "metro", "b": "edge", "rtt_ms": 4}]}
  })");
  doc["workload"]["peak_users"] = users;
  doc["classes"][0]["rate_per_user_hour"] = rate_per_user_hour;
  return doc;
}

json& api(json& doc) { return doc["deployments"][0]["hosted"]; }

world::ReplicationResult run(const json& doc, int replication = 0) {
  const world::Prepared prepared(scenario::load_json(doc, "hosted.json"));
  auto r = world::simulate(prepared, 11, replication);
  CHECK(r.arrived == r.completed + r.dropped + r.lost + r.in_flight);
  return r;
}

const std::string kChat = "/classes/chat";

}  // namespace

TEST_CASE("hosted TTFT follows its lognormal, plus the last mile", "[hosted][validation]") {
  json doc = api_world(200, 60);
  const double mean = 400.0, cv = 0.5;
  api(doc)["ttft_ms"] = {{"dist", "lognormal"}, {"mean", mean}, {"cv", cv}};
  const auto r = run(doc);
  const double n = figure(r, kChat + "/completed");
  REQUIRE(n > 10000);
  CHECK(figure(r, kChat + "/dropped") == 0);
  const double sigma = std::sqrt(std::log1p(cv * cv));
  const boost::math::lognormal_distribution<> law(std::log(mean) - sigma * sigma / 2, sigma);
  // The mean within 4 standard errors; each quantile within 4 standard errors
  // of a sample quantile (sqrt(p(1-p)/n) / f(q)) plus the histogram's 0.5%.
  CHECK(figure(r, kChat + "/latency_ms/ttft/mean") == Approx(mean + 10).margin(4 * mean * cv / std::sqrt(n)));
  for (const double p : {0.50, 0.95}) {
    const double q = boost::math::quantile(law, p);
    const double se = std::sqrt(p * (1 - p) / n) / boost::math::pdf(law, q);
    const std::string at = kChat + "/latency_ms/ttft/p" + std::to_string(static_cast<int>(p * 100));
    CHECK(figure(r, at) == Approx(q + 10).margin(4 * se + 0.005 * (q + 10)));
  }
  // The time per output token is the API's own; the network is the last mile.
  CHECK(figure(r, kChat + "/latency_ms/tpot/p50") == Approx(20).epsilon(0.01));
  CHECK(figure(r, kChat + "/network_ms_mean") == Approx(10));
}

TEST_CASE("a hosted API in a region is reached through the network graph", "[hosted][validation]") {
  json doc = api_world(50, 60);
  api(doc)["region"] = "api-east";
  // The shortest path: metro - edge - api-east (4 + 25) beats the direct 40.
  doc["network"]["links"].push_back({{"a", "metro"}, {"b", "api-east"}, {"rtt_ms", 40}});
  doc["network"]["links"].push_back({{"a", "edge"}, {"b", "api-east"}, {"rtt_ms", 25}});
  const auto r = run(doc);
  CHECK(figure(r, kChat + "/network_ms_mean") == Approx(10 + 4 + 25));
  CHECK(figure(r, kChat + "/latency_ms/ttft/p50") == Approx(300 + 39).epsilon(0.01));
}

TEST_CASE("a requests-per-minute limit admits at most its bucket and its refill", "[hosted][validation]") {
  // 600 users at 60 an hour: about 600 calls a minute against a limit of 300.
  json doc = api_world(600, 60);
  const double rpm = 300;
  api(doc)["rate_limit"] = {{"requests_per_minute", rpm}, {"max_retries", 0}};
  const auto r = run(doc);
  const double completed = figure(r, kChat + "/completed");
  const double requests = figure(r, kChat + "/requests");
  REQUIRE(requests > 1.5 * rpm * 60);
  // A full bucket at the start plus an hour of refill is a hard bound;
  // overloaded twice over, the bucket runs empty and stays so, and what it
  // holds at the end (less than a second's refill, nearly always) is all it leaves unused.
  CHECK(completed <= rpm + rpm * 60);
  CHECK(completed >= rpm + rpm * 60 - rpm / 60 * 5);
  CHECK(figure(r, kChat + "/dropped_by_reason/rate_limited") == requests - completed);
  CHECK(figure(r, "/deployments/api/rate_limit_retries") == 0);
}

TEST_CASE("a refused call retries after backoff, which the user waits for", "[hosted][validation]") {
  json doc = api_world(400, 60);
  api(doc)["rate_limit"] = {{"requests_per_minute", 300}, {"max_retries", 4}, {"backoff_s", 2}};
  const auto loaded = run(doc);
  CHECK(figure(loaded, "/deployments/api/rate_limit_retries") > 0);
  // The first retry waits at least half the backoff.
  CHECK(figure(loaded, kChat + "/latency_ms/ttft/p99") > 310 + 1000);
  CHECK(figure(loaded, kChat + "/completed") <= 300 + 300 * 60);

  // Under the limit, no call waits.
  json light = api_world(100, 60);
  api(light)["rate_limit"] = {{"requests_per_minute", 300}, {"max_retries", 4}, {"backoff_s", 2}};
  const auto r = run(light);
  CHECK(figure(r, "/deployments/api/rate_limit_retries") == 0);
  CHECK(figure(r, kChat + "/latency_ms/ttft/p99") == Approx(310).epsilon(0.01));

  // A call larger than a minute's tokens can never pass: refused at once, without retries.
  json huge = api_world(100, 60);
  api(huge)["rate_limit"] = {{"tokens_per_minute", 200}, {"max_retries", 4}};
  const auto h = run(huge);
  CHECK(figure(h, kChat + "/completed") == 0);
  CHECK(figure(h, kChat + "/dropped_by_reason/rate_limited") == figure(h, kChat + "/requests"));
  CHECK(figure(h, "/deployments/api/rate_limit_retries") == 0);
}

TEST_CASE("overflow takes what the self-hosted fleet should not, and reports why and at what cost",
          "[hosted][validation]") {
  SECTION("a queue bound on an overloaded replica") {
    json doc = api_world(1500, 60);
    doc["classes"][0]["deployment"] = "npc";
    doc["classes"][0]["overflow"] = "api";
    doc["classes"][0]["overflow_queue_limit"] = 4;
    const auto r = run(doc);
    const double overflowed = figure(r, kChat + "/overflowed");
    CHECK(overflowed > 0);
    CHECK(overflowed == figure(r, kChat + "/overflow_by_reason/queue_limit"));
    CHECK(figure(r, kChat + "/overflow_share") == Approx(overflowed / figure(r, kChat + "/requests")));
    // Only overflow calls the API: its cost is the hosted line of the ledger,
    // each call 200 tokens in at 0.5 and 50 out at 1.5 USD per million.
    CHECK(figure(r, kChat + "/overflow_cost_usd") == Approx(figure(r, "/cost/breakdown_usd/hosted_api")));
    CHECK(figure(r, kChat + "/overflow_cost_usd") == Approx(overflowed * (200 * 0.5 + 50 * 1.5) / 1e6));
    // With the bound, nothing waits long enough to time out; without it the same load does.
    CHECK(figure(r, kChat + "/dropped_by_reason/queue_timeout") == 0);
    doc["classes"][0].erase("overflow");
    doc["classes"][0].erase("overflow_queue_limit");
    CHECK(figure(run(doc), kChat + "/dropped_by_reason/queue_timeout") > 0);
  }
  SECTION("the latency_budget router's verdict") {
    json doc = api_world(100, 60);
    doc["classes"][0]["deployment"] = "npc";
    doc["classes"][0]["overflow"] = "api";
    doc["classes"][0]["slo"]["threshold_ms"] = 12;  // the round trip alone is 14 ms
    doc["routing"] = {{"policy", "latency_budget"}};
    const auto r = run(doc);
    CHECK(figure(r, kChat + "/overflow_share") == 1.0);
    CHECK(figure(r, kChat + "/overflow_by_reason/over_budget") == figure(r, kChat + "/requests"));
    CHECK(figure(r, kChat + "/by_origin/metro/routed") == 0);
  }
  SECTION("no replica up") {
    json doc = api_world(100, 60);
    doc["classes"][0]["deployment"] = "npc";
    doc["classes"][0]["overflow"] = "api";
    // No GPU in the first hour of two, one in the second.
    doc["simulation"]["duration_h"] = 2;
    json schedule = json::array();
    for (int h = 0; h < 24; ++h) schedule.push_back(h == 0 ? 0 : 1);
    doc["sites"][0]["pools"][0]["autoscale"] = {{"schedule", schedule}};
    const auto r = run(doc);
    const double share = figure(r, kChat + "/overflow_share");
    CHECK(figure(r, kChat + "/overflow_by_reason/no_capacity") == figure(r, kChat + "/overflowed"));
    CHECK(figure(r, kChat + "/dropped_by_reason/no_capacity") == 0);
    // About half the requests. Two noises move the share: the requests' own
    // (binomial, 0.25 / requests) and the number of users in session, an
    // M/M/infinity count (mean m = 100, sessions of tau = 0.5 h) whose
    // hour integrals X and Y have Var = 2 m tau^2 (T/tau - 1 + e^(-T/tau)) and
    // Cov = m tau^2 (1 - e^(-T/tau))^2; the share moves by (X - Y) / (4 m T).
    const double requests = figure(r, kChat + "/requests");
    const double m = 100, tau = 0.5, T = 1, e = std::exp(-T / tau);
    const double var_x = 2 * m * tau * tau * (T / tau - 1 + e), cov = m * tau * tau * (1 - e) * (1 - e);
    const double var_share = 2 * (var_x - cov) / (16 * m * m * T * T) + 0.25 / requests;
    CHECK(share == Approx(0.5).margin(4 * std::sqrt(var_share)));
  }
}
