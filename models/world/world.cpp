// The wiring of one replication: the population emits interactions, the
// dispatcher routes them to the fleet's replicas (or a hosted API answers),
// and each answer or drop goes to the recorder and the ledger. The parts
// live in their own files; this one only connects them.
#include "models/world/world.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "models/cost/ledger.h"
#include "models/cost/monthly.h"
#include "models/fleet/fleet.h"
#include "models/moderation/review_queue.h"
#include "models/network/dispatcher.h"
#include "models/report/recorder.h"
#include "models/serving/hosted_api.h"
#include "models/serving/replica.h"
#include "models/serving/response_cache.h"
#include "models/workload/open_loop.h"
#include "models/workload/population.h"
#include "models/workload/trace_replay.h"
#include "sim/bytes.h"
#include "sim/simulator.h"

namespace capstan::world {

namespace {

using serving::Request;

class World final : public workload::InteractionSink,
                    public serving::ReplicaObserver,
                    public fleet::Relocator,
                    public serving::HostedClient {
 public:
  World(const Prepared& prepared, std::uint64_t seed, int replication, bool log_requests);
  ReplicationResult run();

  void on_interaction(const workload::Interaction& in) override;
  void on_first_token(std::uint32_t, sim::Time) override {}
  void on_complete(std::uint32_t request, sim::Time at) override { finish(request, at); }
  void on_drop(std::uint32_t request, sim::Time at, serving::DropReason reason) override;
  void on_bounce(std::uint32_t request, sim::Time at) override;
  void on_load_change(std::uint32_t replica) override {
    dispatcher_.load_changed(replica);
    fleet_.load_changed(replica);
  }
  bool relocate(std::uint32_t request, sim::Time at) override;
  void hosted_answered(const serving::HostedCall& call, double ttft_s, double tpot_s, double e2e_s,
                       double rtt_ms) override;
  void hosted_refused(const serving::HostedCall& call) override;

 private:
  // Why a request of a self-hosted class goes to its overflow API instead of `to`; none when it does not.
  std::optional<serving::OverflowReason> overflow_reason(std::uint32_t cls, const network::Dispatch& to) const;
  void call_hosted(const workload::Interaction& in, std::size_t deployment, bool overflow, std::int32_t cache_site,
                   bool counted);
  serving::ResponseCache& cache(std::uint32_t cls, std::size_t site);
  // An answer known at once (from a hosted API or the cache): recorded,
  // charged (the API's tokens when `api` is set, else egress) and passed to
  // review. Returns the API tokens' cost.
  double answer_at_once(const report::Answer& a, bool counted, const scenario::Deployment* api);
  // `front_end` delays the arrival by the engine's API-server time (a first
  // send only: a request relocated from a lost node is re-sent past it).
  void send(std::uint32_t request, const network::Dispatch& to, sim::Time front_end = 0);
  void finish(std::uint32_t request, sim::Time done);
  // One row of the request log (request_log_header()); `replica` -1 where
  // no replica served it. Times in seconds; a missing one (NaN) is empty.
  void log_request(std::uint32_t cls, std::uint32_t origin, sim::Time sent, std::int64_t replica, const char* site,
                   std::int32_t prompt, std::int32_t cached, std::int32_t output, double ttft_s, double tpot_s,
                   double e2e_s, const char* outcome);
  void log_request(const serving::Request& r, bool on_replica, double ttft_s, double tpot_s, double e2e_s,
                   const std::string& outcome);

  const Prepared& p_;
  bool log_requests_;
  int replication_;
  const scenario::Scenario& s_;
  sim::Time horizon_;
  sim::Time warmup_;
  ReplicationResult result_;
  sim::Simulator sim_;
  serving::RequestPool requests_;
  workload::Population population_;
  std::vector<std::unique_ptr<workload::TraceReplay>> traces_;  // per class replaying a trace
  std::vector<std::unique_ptr<workload::OpenLoop>> open_loops_; // per class with open-loop arrivals
  report::Recorder recorder_;
  fleet::Fleet fleet_;
  cost::Ledger ledger_;
  network::Dispatcher dispatcher_;
  std::vector<std::unique_ptr<serving::HostedApi>> hosted_;  // per deployment, hosted ones only
  std::vector<std::unique_ptr<moderation::ReviewQueue>> reviews_;  // per class with a review queue
  void answered(std::uint32_t cls) {
    if (reviews_[cls]) reviews_[cls]->answered();
  }
  // Response caches: [class][site], made on first use (a hosted deployment has one, at index 0).
  std::vector<std::vector<std::unique_ptr<serving::ResponseCache>>> caches_;
};

// Columns of the series, in order: users, requests per class, SLO percentile
// per class, busy GPUs, cost.
World::World(const Prepared& prepared, std::uint64_t seed, int replication, bool log_requests)
    : p_(prepared),
      log_requests_(log_requests),
      replication_(replication),
      s_(prepared.scenario),
      horizon_(sim::from_seconds(s_.simulation.duration_h * 3600.0)),
      warmup_(sim::from_seconds(s_.simulation.warmup_h * 3600.0)),
      result_{Figures{}, sim::TimeSeries(sim::from_seconds(s_.simulation.interval_s), horizon_)},
      population_(sim_, s_, seed, replication, horizon_, warmup_, result_.timeseries, *this,
                  prepared.prompt_popularity_cdf),
      recorder_(s_, result_.timeseries),
      fleet_(sim_, requests_, *this, p_, result_.timeseries, seed, replication),
      ledger_(s_, result_.timeseries, warmup_, horizon_),
      dispatcher_(p_, fleet_) {
  for (std::uint32_t c = 0; c < s_.classes.size(); ++c) {
    if (s_.classes[c].trace.enabled) {
      traces_.push_back(std::make_unique<workload::TraceReplay>(sim_, s_, c, seed, replication, horizon_, *this));
    }
    if (s_.classes[c].arrivals.enabled) {
      open_loops_.push_back(
          std::make_unique<workload::OpenLoop>(sim_, s_, c, seed, replication, horizon_, population_, *this));
    }
  }
  for (std::size_t c = 0; c < s_.classes.size(); ++c) {
    reviews_.push_back(s_.classes[c].review.enabled
                           ? std::make_unique<moderation::ReviewQueue>(sim_, s_, c, seed, replication, ledger_)
                           : nullptr);
  }
  for (std::size_t d = 0; d < s_.deployments.size(); ++d) {
    if (!s_.deployments[d].hosted) {
      hosted_.push_back(nullptr);
      continue;
    }
    std::vector<double> rtt_ms;
    for (std::size_t o = 0; o < s_.workload.origins.size(); ++o) rtt_ms.push_back(p_.topology.hosted_rtt_ms(o, d));
    hosted_.push_back(
        std::make_unique<serving::HostedApi>(sim_, s_.deployments[d], std::move(rtt_ms), seed, replication, *this));
  }
}

void World::on_interaction(const workload::Interaction& in) {
  const sim::Time now = sim_.now();
  const bool counted = now >= warmup_;
  ++result_.arrived;
  if (in.too_long) {  // refused at once, as a server refuses a prompt over its window
    ++result_.dropped;
    if (counted) {
      recorder_.request_sent(in.cls, now, in.prompt_tokens);
      recorder_.dropped(in.cls, serving::DropReason::kTooLong);
      if (log_requests_) {
        const double none = std::numeric_limits<double>::quiet_NaN();
        log_request(in.cls, in.origin, now, -1, "", in.prompt_tokens, 0, in.output_tokens, none, none, none,
                    "dropped:too_long");
      }
    }
    return;
  }
  const std::size_t d = p_.class_deployment[in.cls];
  const bool hosted = s_.deployments[d].hosted;
  const network::Dispatch to = hosted ? network::Dispatch{} : dispatcher_.route(in, d);
  const auto overflow = hosted ? std::nullopt : overflow_reason(in.cls, to);
  std::int32_t cache_site = -1;
  if (in.prompt_id >= 0) {
    // The cache of the site the request goes to (the nearest when no replica is up).
    const bool routed = !hosted && to.replica != network::kNoReplica;
    const std::size_t site = hosted ? 0 : routed ? p_.replicas[to.replica].site : p_.routes[in.origin][d].front();
    const bool hit = cache(in.cls, site).lookup(in.prompt_id, now);
    if (counted) recorder_.cache_lookup(in.cls, hit, in.prompt_tokens + in.output_tokens);
    if (hit) {
      // The whole answer comes back at once, after the round trip and the lookup.
      const double rtt_ms = hosted ? p_.topology.hosted_rtt_ms(in.origin, d) : p_.topology.rtt_ms(in.origin, site);
      report::Answer a;
      a.cls = in.cls;
      a.sent = now;
      a.e2e_s = a.ttft_s = (rtt_ms + s_.classes[in.cls].response_cache.hit_ms) / 1000.0;
      a.network_ms = rtt_ms;
      a.input_tokens = in.prompt_tokens;
      a.output_tokens = in.output_tokens;
      if (counted) recorder_.request_sent(in.cls, now, in.prompt_tokens);
      answer_at_once(a, counted, nullptr);
      if (log_requests_ && counted) {
        log_request(in.cls, in.origin, now, -1, s_.sites[site].name.c_str(), in.prompt_tokens, 0, in.output_tokens,
                    a.ttft_s, 0.0, a.e2e_s, "completed:response_cache");
      }
      return;
    }
    cache_site = static_cast<std::int32_t>(site);
  }
  if (counted) recorder_.request_sent(in.cls, now, in.prompt_tokens);
  if (hosted || overflow) {
    if (overflow && counted) recorder_.overflowed(in.cls, *overflow);
    call_hosted(in, hosted ? d : p_.class_overflow[in.cls], overflow.has_value(), cache_site, counted);
    return;
  }
  const std::uint32_t id = requests_.acquire();
  Request& r = requests_[id];
  r.state = Request::State::kInNetwork;
  r.cls = static_cast<std::uint16_t>(in.cls);
  r.priority_level = static_cast<std::uint8_t>(p_.class_priority_level[in.cls]);
  r.origin = in.origin;
  r.session = in.session;
  r.session_generation = in.history ? in.history->generation : 0;
  r.prompt_tokens = in.prompt_tokens;
  r.output_tokens = in.output_tokens;
  r.counted = counted;
  r.sent_at = now;
  r.prompt_id = in.prompt_id;
  r.prefix = in.prefix;
  r.answer_extends_prefix = in.history != nullptr;
  if (to.replica == network::kNoReplica) {
    on_drop(id, now, serving::DropReason::kNoCapacity);
    return;
  }
  if (counted) {
    const bool spilled = p_.replicas[to.replica].site != p_.routes[in.origin][d].front();
    recorder_.routed(in.cls, in.origin, spilled, in.prompt_tokens);
  }
  send(id, to, p_.deployments[d].front_end_request);
}

std::optional<serving::OverflowReason> World::overflow_reason(std::uint32_t cls, const network::Dispatch& to) const {
  if (p_.class_overflow[cls] == Prepared::kNoOverflow) return std::nullopt;
  if (to.replica == network::kNoReplica) return serving::OverflowReason::kNoCapacity;
  if (!to.within_budget) return serving::OverflowReason::kOverBudget;
  const int limit = s_.classes[cls].overflow_queue_limit;
  if (limit > 0 && fleet_.replica(to.replica).waiting() >= static_cast<std::size_t>(limit)) {
    return serving::OverflowReason::kQueueLimit;
  }
  return std::nullopt;
}

void World::call_hosted(const workload::Interaction& in, std::size_t deployment, bool overflow,
                        std::int32_t cache_site, bool counted) {
  serving::HostedCall c;
  c.cls = in.cls;
  c.origin = in.origin;
  c.prompt_tokens = in.prompt_tokens;
  c.output_tokens = in.output_tokens;
  c.prompt_id = in.prompt_id;
  c.cache_site = cache_site;
  c.sent = sim_.now();
  c.counted = counted;
  c.overflow = overflow;
  hosted_[deployment]->call(c);
}

void World::hosted_answered(const serving::HostedCall& call, double ttft_s, double tpot_s, double e2e_s,
                            double rtt_ms) {
  // Cached as it is sent: later lookups find it.
  if (call.cache_site >= 0) cache(call.cls, static_cast<std::size_t>(call.cache_site)).insert(call.prompt_id, sim_.now());
  report::Answer a;
  a.cls = call.cls;
  a.sent = call.sent;
  a.ttft_s = ttft_s;
  a.tpot_s = tpot_s;
  a.e2e_s = e2e_s;
  a.network_ms = rtt_ms;
  a.input_tokens = call.prompt_tokens;
  a.output_tokens = call.output_tokens;
  const auto& api = s_.deployments[call.overflow ? p_.class_overflow[call.cls] : p_.class_deployment[call.cls]];
  const double usd = answer_at_once(a, call.counted, &api);
  if (log_requests_ && call.counted) {
    log_request(call.cls, call.origin, call.sent, -1, api.name.c_str(), call.prompt_tokens, 0, call.output_tokens,
                ttft_s, tpot_s, e2e_s, "completed");
  }
  if (call.overflow && call.counted) recorder_.overflow_answered(call.cls, usd);
}

void World::hosted_refused(const serving::HostedCall& call) {
  ++result_.dropped;
  if (call.counted) recorder_.dropped(call.cls, serving::DropReason::kRateLimited);
  if (log_requests_ && call.counted) {
    const double none = std::numeric_limits<double>::quiet_NaN();
    const auto& api = s_.deployments[call.overflow ? p_.class_overflow[call.cls] : p_.class_deployment[call.cls]];
    log_request(call.cls, call.origin, call.sent, -1, api.name.c_str(), call.prompt_tokens, 0, call.output_tokens,
                none, none, none, "dropped:rate_limited");
  }
}

void World::send(std::uint32_t id, const network::Dispatch& to, sim::Time front_end) {
  Request& r = requests_[id];
  r.replica = to.replica;
  r.cached_tokens = to.cached_tokens;
  r.one_way = sim::from_ms(to.rtt_ms / 2.0);
  auto& replica = fleet_.replica(to.replica);
  replica.expect(r);
  sim_.schedule_in(r.one_way + front_end, replica.target(), serving::Replica::kArrive, id);
}

bool World::relocate(std::uint32_t id, sim::Time at) {
  // The gateway sends the request again from the user's side to another
  // replica, where it is prefilled anew with what it has answered so far.
  Request& r = requests_[id];
  workload::Interaction in;
  in.origin = r.origin;
  in.cls = r.cls;
  in.prompt_tokens = r.prompt_tokens + r.generated;
  in.output_tokens = r.output_tokens - r.generated;
  const network::Dispatch to = dispatcher_.route(in, p_.class_deployment[r.cls]);
  const std::uint32_t from = r.replica;
  if (to.replica == network::kNoReplica) {
    const bool started = r.generated > 0 || r.first_token_at >= 0;
    if (r.counted) fleet_.count_move(from, started ? fleet::Move::kLost : fleet::Move::kDropped);
    if (started) {
      ++result_.lost;
      if (r.counted) recorder_.lost(r.cls);
      const double none = std::numeric_limits<double>::quiet_NaN();
      log_request(r, true, none, none, none, "lost");
      requests_.release(id);
    } else {
      on_drop(id, at, serving::DropReason::kInterrupted);
    }
    return false;
  }
  if (r.counted) fleet_.count_move(from, fleet::Move::kMigrated);
  // Latencies read first_token_at + one_way as when the user saw the first
  // token: keep that instant on the new path.
  const sim::Time old_one_way = r.one_way;
  r.state = Request::State::kInNetwork;
  send(id, network::Dispatch{to.replica, to.rtt_ms, 0});
  if (r.first_token_at >= 0) r.first_token_at += old_one_way - r.one_way;
  return true;
}

void World::on_bounce(std::uint32_t id, sim::Time at) { relocate(id, at); }

void World::on_drop(std::uint32_t id, sim::Time, serving::DropReason reason) {
  const Request& r = requests_[id];
  ++result_.dropped;
  if (r.counted) recorder_.dropped(r.cls, reason);
  const double none = std::numeric_limits<double>::quiet_NaN();
  log_request(r, reason != serving::DropReason::kNoCapacity, none, none, none,
              std::string("dropped:") + serving::drop_reason_name(reason));
  requests_.release(id);
}

serving::ResponseCache& World::cache(std::uint32_t cls, std::size_t site) {
  if (caches_.empty()) caches_.resize(s_.classes.size());
  auto& per_site = caches_[cls];
  if (per_site.size() <= site) per_site.resize(std::max<std::size_t>(site + 1, s_.sites.size()));
  if (!per_site[site]) {
    const auto& rc = s_.classes[cls].response_cache;
    per_site[site] = std::make_unique<serving::ResponseCache>(
        static_cast<std::int32_t>(rc.distinct_prompts), static_cast<std::size_t>(rc.capacity_entries),
        sim::from_seconds(rc.ttl_s));
  }
  return *per_site[site];
}

double World::answer_at_once(const report::Answer& a, bool counted, const scenario::Deployment* api) {
  if (counted) recorder_.answered(a);
  const auto& dep = api ? *api : s_.deployments[p_.class_deployment[a.cls]];
  const double usd = ledger_.charge_answer(a.sent, counted, s_.classes[a.cls], dep, a.input_tokens, a.output_tokens,
                                           api != nullptr);
  ++result_.completed;
  answered(a.cls);
  return usd;
}

void World::log_request(std::uint32_t cls, std::uint32_t origin, sim::Time sent, std::int64_t replica,
                        const char* site, std::int32_t prompt, std::int32_t cached, std::int32_t output, double ttft_s,
                        double tpot_s, double e2e_s, const char* outcome) {
  char line[512];
  auto ms = [](double s, char* buf, std::size_t n) {
    if (std::isnan(s)) {
      buf[0] = '\0';
    } else {
      std::snprintf(buf, n, "%.3f", s * 1e3);
    }
  };
  char ttft[32], tpot[32], e2e[32];
  ms(ttft_s, ttft, sizeof ttft);
  ms(tpot_s, tpot, sizeof tpot);
  ms(e2e_s, e2e, sizeof e2e);
  std::snprintf(line, sizeof line, "%d,%.6f,%s,%s,%s,%lld,%d,%d,%d,%s,%s,%s,%s\n", replication_, sim::to_seconds(sent),
                s_.classes[cls].name.c_str(), s_.workload.origins[origin].name.c_str(), site,
                static_cast<long long>(replica), prompt, cached, output, ttft, tpot, e2e, outcome);
  result_.requests_csv += line;
}

void World::log_request(const serving::Request& r, bool on_replica, double ttft_s, double tpot_s, double e2e_s,
                        const std::string& outcome) {
  if (!log_requests_ || !r.counted) return;
  const char* site = on_replica ? s_.sites[p_.replicas[r.replica].site].name.c_str() : "";
  log_request(r.cls, r.origin, r.sent_at, on_replica ? static_cast<std::int64_t>(r.replica) : -1, site, r.prompt_tokens,
              std::min(r.cached_tokens, std::max(0, r.prompt_tokens - 1)), r.output_tokens, ttft_s, tpot_s, e2e_s,
              outcome.c_str());
}

void World::finish(std::uint32_t id, sim::Time done) {
  const Request& r = requests_[id];
  ++result_.completed;
  report::Answer a;
  a.cls = r.cls;
  a.sent = r.sent_at;
  // The front end detokenises and streams each token after the engine emits
  // it, while the engine computes the next: every token reaches the client
  // that much later, the first and the last alike.
  const sim::Time stream = p_.deployments[p_.class_deployment[r.cls]].front_end_stream;
  const sim::Time first_seen = r.first_token_at + stream;
  const sim::Time last_seen = done + stream;
  a.ttft_s = sim::to_seconds(first_seen + r.one_way - r.sent_at);
  a.e2e_s = sim::to_seconds(last_seen + r.one_way - r.sent_at);
  if (const double timeout_s = s_.classes[r.cls].timeout_s; timeout_s > 0.0 && a.e2e_s > timeout_s) {
    // The client gave up before the last token reached it: dropped, not
    // answered. (The replica ran it to the end; a real server stops at the
    // disconnect, so this errs towards a busier fleet.)
    --result_.completed;
    ++result_.dropped;
    if (r.counted) recorder_.dropped(r.cls, serving::DropReason::kClientTimeout);
    log_request(r, true, a.ttft_s, a.tpot_s, a.e2e_s, "dropped:client_timeout");
    requests_.release(id);
    return;
  }
  a.tpot_s = r.output_tokens > 1 ? sim::to_seconds(last_seen - first_seen) / (r.output_tokens - 1) : 0.0;
  a.network_ms = 2.0 * sim::to_ms(r.one_way);
  a.input_tokens = r.prompt_tokens;
  a.output_tokens = r.output_tokens;
  if (r.counted) {
    recorder_.answered(a);
    recorder_.prefix_found(r.cls, std::min(r.cached_tokens, std::max(0, r.prompt_tokens - 1)));
    log_request(r, true, a.ttft_s, a.tpot_s, a.e2e_s, "completed");
  }
  const auto& cls = s_.classes[r.cls];
  ledger_.charge_answer(r.sent_at, r.counted, cls, s_.deployments[p_.class_deployment[r.cls]], a.input_tokens,
                        a.output_tokens, false);
  if (r.prompt_id >= 0) cache(r.cls, p_.replicas[r.replica].site).insert(r.prompt_id, done);
  answered(r.cls);
  if (cls.history.enabled) {
    workload::Session& s = population_.session(r.session);
    if (s.generation == r.session_generation) s.last_replica = r.replica;
  }
  requests_.release(id);
}

ReplicationResult World::run() {
  fleet_.start(ledger_, *this);
  for (auto& q : reviews_) {
    if (q) q->start();
  }
  population_.start();
  for (auto& t : traces_) t->start();
  for (auto& g : open_loops_) g->start();
  if (warmup_ > 0) {
    sim_.at_time(warmup_, [this](sim::Simulator& sim) {
      fleet_.reset_statistics(sim.now());
      for (auto& api : hosted_) {
        if (api) api->reset_statistics();
      }
      for (auto& q : reviews_) {
        if (q) q->reset_statistics(sim.now());
      }
    });
  }
  result_.events = sim_.run_until(horizon_);
  fleet_.close(horizon_);
  result_.in_flight = requests_.in_use();
  for (const auto& api : hosted_) {
    if (api) result_.in_flight += api->waiting();
  }
  result_.sessions = population_.sessions_started();
  if (result_.arrived != result_.completed + result_.dropped + result_.lost + result_.in_flight) {
    throw std::logic_error("capstan: requests not conserved (arrived " + std::to_string(result_.arrived) +
                           ", completed " + std::to_string(result_.completed) + ", dropped " +
                           std::to_string(result_.dropped) + ", lost " + std::to_string(result_.lost) +
                           ", in flight " + std::to_string(result_.in_flight) + ")");
  }
  ledger_.close();
  recorder_.close_series();
  const double window_h = sim::to_seconds(horizon_ - warmup_) / 3600.0;
  const double user_hours = population_.user_hours();
  Figures& f = result_.figures;
  recorder_.add_class_figures(f);
  for (const auto& q : reviews_) {
    if (q) q->add_figures(f, horizon_);
  }
  fleet_.add_site_figures(f, horizon_);
  fleet_.add_pool_figures(f, horizon_);
  recorder_.add_deployment_figures(f);
  for (std::size_t d = 0; d < hosted_.size(); ++d) {
    if (hosted_[d] && s_.deployments[d].rate_limit.enabled) {
      f.add(pointer("/deployments", s_.deployments[d].name) + "/rate_limit_retries",
            static_cast<double>(hosted_[d]->retries()));
    }
  }
  recorder_.add_user_figures(f, user_hours, window_h);
  ledger_.add_figures(f, user_hours, recorder_.completed(), recorder_.tokens());
  cost::MonthInputs month;
  month.window_h = window_h;
  month.user_hours = user_hours;
  month.totals = ledger_.totals();
  month.pool_usd = fleet_.pool_usd();
  month.staffed_usd = cost::staffed_review_usd(s_, sim::to_seconds(warmup_), sim::to_seconds(horizon_));
  cost::add_monthly_figures(f, s_, month);
  return std::move(result_);
}

}  // namespace

ReplicationResult simulate(const Prepared& prepared, std::uint64_t seed, int replication, bool log_requests) {
  World world(prepared, seed, replication, log_requests);
  return world.run();
}

const char* request_log_header() {
  return "replication,sent_s,class,origin,site,replica,prompt_tokens,cached_tokens,output_tokens,ttft_ms,tpot_ms,"
         "e2e_ms,outcome\n";
}

void write_result(const ReplicationResult& r, std::string& out) {
  namespace b = sim::bytes;
  b::put(out, static_cast<std::uint64_t>(r.figures.values.size()));
  for (const auto& [pointer, value] : r.figures.values) {
    b::put_string(out, pointer);
    b::put(out, value);
  }
  for (std::uint64_t v : {r.arrived, r.completed, r.dropped, r.lost, r.in_flight, r.events, r.sessions}) b::put(out, v);
  b::put_string(out, r.requests_csv);
  r.timeseries.write(out);
}

ReplicationResult read_result(std::string_view& in) {
  namespace b = sim::bytes;
  ReplicationResult r;
  const auto figures = b::take<std::uint64_t>(in);
  if (figures > in.size()) throw std::runtime_error("result bytes are truncated");
  r.figures.values.reserve(figures);
  for (std::uint64_t f = 0; f < figures; ++f) {
    std::string pointer = b::take_string(in);
    r.figures.add(std::move(pointer), b::take<double>(in));
  }
  for (std::uint64_t* v : {&r.arrived, &r.completed, &r.dropped, &r.lost, &r.in_flight, &r.events, &r.sessions})
    *v = b::take<std::uint64_t>(in);
  r.requests_csv = b::take_string(in);
  r.timeseries = sim::TimeSeries::read(in);
  return r;
}

}  // namespace capstan::world
