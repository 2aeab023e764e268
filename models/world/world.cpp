#include "models/world/world.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

#include <boost/random/poisson_distribution.hpp>
#include <nlohmann/json.hpp>

#include "models/network/router.h"
#include "models/serving/load_index.h"
#include "models/serving/replica.h"
#include "models/workload/diurnal.h"
#include "models/workload/sample.h"
#include "sim/rng.h"
#include "sim/simulator.h"

namespace capstan::world {

namespace {

using scenario::Slo;
using serving::Request;

constexpr std::uint32_t kNoReplica = UINT32_MAX;

// A user in session. Only dialogue-like classes (with history) read it; a
// slot is reused once its session ends, and answers still on their way
// recognise that by the generation.
struct Session {
  std::uint32_t generation = 0;
  std::int32_t history_tokens = 0; // dialogue turns kept in the prompt
  std::int32_t turns = 0;
  std::uint32_t last_replica = kNoReplica;
  std::int64_t cache_clock = 0;    // replica's allocation clock when the last answer's blocks were freed
  std::int64_t cache_room = 0;     // free KV tokens then: allocations it survives
  std::int32_t cached_prefix = 0;  // tokens of the last prompt + answer
};

struct ClassStats {
  sim::Histogram ttft_s, tpot_s, e2e_s;
  double network_ms_sum = 0.0;
  std::uint64_t requests = 0, completed = 0, dropped = 0, slo_met = 0;
  double input_tokens = 0.0, output_tokens = 0.0;
  std::vector<sim::Histogram> interval_metric_s;  // the SLO metric per time-series interval
  std::size_t requests_column = 0, p95_column = 0;
};

double slo_metric_s(Slo::Metric m, double ttft_s, double tpot_s, double e2e_s) {
  switch (m) {
    case Slo::Metric::kTtft:
      return ttft_s;
    case Slo::Metric::kTpot:
      return tpot_s;
    case Slo::Metric::kE2e:
      return e2e_s;
  }
  return e2e_s;
}

const char* metric_name(Slo::Metric m) {
  return m == Slo::Metric::kTtft ? "ttft" : m == Slo::Metric::kTpot ? "tpot" : "e2e";
}

// "/<section>/<name>" with the name escaped as a JSON-pointer token.
std::string pointer(const char* section, const std::string& name) {
  return (nlohmann::json::json_pointer(section) / name).to_string();
}

class World final : public sim::Target, public serving::ReplicaObserver {
 public:
  World(const Prepared& prepared, std::uint64_t seed, int replication);
  ReplicationResult run();

  void handle(sim::Simulator& sim, std::uint32_t kind, std::uint64_t data) override;
  void on_first_token(std::uint32_t, sim::Time) override {}
  void on_complete(std::uint32_t request, sim::Time at) override;
  void on_drop(std::uint32_t request, sim::Time at) override;
  void on_load_change(std::uint32_t replica) override;

 private:
  enum Kind : std::uint32_t { kSessionArrival, kInteraction };

  void start_session(std::uint32_t origin, sim::Time duration);
  std::uint32_t new_session();
  void schedule_next_session(std::uint32_t origin);
  void schedule_interactions(std::uint32_t origin);
  void pick_interaction(std::uint32_t origin);
  void interact(std::uint32_t origin, std::uint32_t session);
  void release_session(std::uint32_t session);
  std::uint32_t pick_replica(std::size_t site, std::size_t deployment, const Session* s, std::int32_t prefix,
                             double& wait_s) const;
  double wait_estimate_s(std::uint32_t replica) const;
  void finish(std::uint32_t request, sim::Time done, bool dropped);
  void record_answer(std::uint32_t cls, bool counted, sim::Time sent, double ttft_s, double tpot_s, double e2e_s,
                     double network_ms, std::int32_t input, std::int32_t output, bool hosted);
  void reset_statistics();
  Figures figures() const;

  const Prepared& p_;
  const scenario::Scenario& s_;
  std::uint64_t seed_;
  int replication_;
  sim::Simulator sim_;
  std::uint32_t target_;
  sim::Time horizon_;
  sim::Time warmup_;
  serving::RequestPool pool_;
  std::vector<std::unique_ptr<serving::Replica>> replicas_;
  // Per (site, deployment), the least-loaded replica; and where each replica sits in it.
  std::vector<std::unique_ptr<serving::LoadIndex>> load_index_;
  std::vector<std::pair<serving::LoadIndex*, std::size_t>> index_slot_;
  std::vector<Session> sessions_;
  std::vector<std::uint32_t> free_sessions_;
  std::vector<workload::UserCurve> curves_;
  std::vector<sim::RandomStream> session_rng_;   // per origin
  // Interactions. Each user in session fires every class as a Poisson stream.
  // All of an origin's streams together are one Poisson stream at (users in
  // session) x (summed rate), each event belonging to a user picked uniformly
  // and of class c with probability rate_c / sum: the same process, with one
  // pending event per origin instead of one per user and class. Users whose
  // session has ended stay in `active_` until picked, and are then dropped
  // unanswered: thinning, which keeps the process exact. The stream is drawn
  // anew whenever the count changes, which memorylessness allows.
  double interactions_per_s_ = 0.0;        // per user
  std::vector<double> class_cumulative_;   // cumulative rate shares, last = 1
  struct ActiveUser {
    sim::Time end;
    std::uint32_t session;
  };
  std::vector<std::vector<ActiveUser>> active_;     // per origin: sessions not yet found ended
  std::vector<sim::EventId> next_interaction_;      // per origin
  std::vector<sim::RandomStream> interaction_rng_;  // per origin: gaps, picks and classes
  bool populating_ = false;                         // placing the users in session at the start
  std::vector<sim::RandomStream> prompt_rng_, output_rng_;  // per class
  std::vector<ClassStats> stats_;
  ReplicationResult result_;
  std::size_t users_column_ = 0, busy_column_ = 0, cost_column_ = 0;
  double user_hours_ = 0.0;
  double api_usd_ = 0.0, egress_usd_ = 0.0, review_usd_ = 0.0;
  std::vector<network::Candidate> candidates_;
  std::vector<std::uint32_t> candidate_replica_;
};

World::World(const Prepared& prepared, std::uint64_t seed, int replication)
    : p_(prepared),
      s_(prepared.scenario),
      seed_(seed),
      replication_(replication),
      target_(sim_.add_target(this)),
      horizon_(sim::from_seconds(s_.simulation.duration_h * 3600.0)),
      warmup_(sim::from_seconds(s_.simulation.warmup_h * 3600.0)) {
  const auto rep = static_cast<std::uint64_t>(replication);
  result_.timeseries = sim::TimeSeries(sim::from_seconds(s_.simulation.interval_s), horizon_);
  auto& ts = result_.timeseries;
  users_column_ = ts.add_column("users", sim::TimeSeries::Kind::kTimeMean);
  const std::size_t interval_count = ts.intervals();
  stats_.resize(s_.classes.size());
  for (std::size_t c = 0; c < s_.classes.size(); ++c) {
    const auto& cls = s_.classes[c];
    stats_[c].requests_column = ts.add_column("requests_" + cls.name, sim::TimeSeries::Kind::kSum);
    interactions_per_s_ += cls.rate_per_user_hour / 3600.0;
    prompt_rng_.emplace_back(seed, rep, "class/" + cls.name + "/prompt");
    output_rng_.emplace_back(seed, rep, "class/" + cls.name + "/output");
    stats_[c].interval_metric_s.assign(interval_count, sim::Histogram(0.01, 1e-5, 1e5));
  }
  double cumulative = 0.0;
  for (const auto& cls : s_.classes) {
    cumulative += cls.rate_per_user_hour / 3600.0;
    class_cumulative_.push_back(interactions_per_s_ > 0 ? cumulative / interactions_per_s_ : 1.0);
  }
  if (!class_cumulative_.empty()) class_cumulative_.back() = 1.0;
  for (std::size_t c = 0; c < s_.classes.size(); ++c) {
    const auto& cls = s_.classes[c];
    stats_[c].p95_column = ts.add_column(std::string("p") + std::to_string(static_cast<int>(cls.slo.percentile)) + "_" +
                                             metric_name(cls.slo.metric) + "_ms_" + cls.name,
                                         sim::TimeSeries::Kind::kSampleMean);
  }
  busy_column_ = ts.add_column("busy_gpus", sim::TimeSeries::Kind::kTimeMean);
  cost_column_ = ts.add_column("cost_usd", sim::TimeSeries::Kind::kSum);

  active_.resize(s_.workload.origins.size());
  next_interaction_.resize(s_.workload.origins.size());
  for (std::size_t o = 0; o < s_.workload.origins.size(); ++o) {
    curves_.emplace_back(s_.workload, o, s_.simulation.start_hour_utc);
    session_rng_.emplace_back(seed, rep, "origin/" + s_.workload.origins[o].name + "/sessions");
    interaction_rng_.emplace_back(seed, rep, "origin/" + s_.workload.origins[o].name + "/interactions");
  }
  index_slot_.resize(p_.replicas.size());
  for (std::size_t site = 0; site < s_.sites.size(); ++site) {
    for (std::size_t d = 0; d < s_.deployments.size(); ++d) {
      const auto& members = p_.replicas_at(site, d);
      load_index_.push_back(members.empty() ? nullptr : std::make_unique<serving::LoadIndex>(members));
      for (std::size_t i = 0; i < members.size(); ++i) index_slot_[members[i]] = {load_index_.back().get(), i};
    }
  }
  for (const auto& spec : p_.replicas) {
    const auto& dep = s_.deployments[spec.deployment];
    serving::ReplicaConfig cfg;
    cfg.id = static_cast<std::uint32_t>(replicas_.size());
    cfg.max_running_seqs = dep.max_running_seqs;
    cfg.max_batch_tokens = dep.max_batch_tokens;
    cfg.block_size_tokens = dep.block_size_tokens;
    cfg.kv_capacity_tokens = p_.deployments[spec.deployment].kv_capacity_tokens;
    cfg.priority_levels = p_.priority_levels;
    cfg.max_queue = sim::from_seconds(s_.simulation.max_queue_s);
    cfg.step_by_step = s_.simulation.step_by_step;
    replicas_.push_back(std::make_unique<serving::Replica>(sim_, pool_, *this, cfg,
                                                           p_.deployments[spec.deployment].service_time));
    replicas_.back()->track_busy(&ts, busy_column_, spec.gpus);
  }
}

void World::handle(sim::Simulator&, std::uint32_t kind, std::uint64_t data) {
  if (kind == kSessionArrival) {
    const auto origin = static_cast<std::uint32_t>(data);
    start_session(origin, sim::from_seconds(60.0 * workload::sample(s_.workload.session_minutes, session_rng_[origin])));
    schedule_next_session(origin);
  } else {
    pick_interaction(static_cast<std::uint32_t>(data));
  }
}

void World::schedule_next_session(std::uint32_t origin) {
  // Thinning (Lewis and Shedler 1979) against the curve's arrival-rate bound.
  const auto& curve = curves_[origin];
  auto& rng = session_rng_[origin];
  const double bound = curve.max_arrivals_per_s();
  if (!(bound > 0)) return;
  double t = sim::to_seconds(sim_.now());
  const double end = sim::to_seconds(horizon_);
  for (;;) {
    t += rng.exponential(1.0 / bound);
    if (t >= end) return;
    if (rng.uniform() * bound <= curve.arrivals_per_s(t)) break;
  }
  sim_.schedule_at(std::max(sim_.now(), sim::from_seconds(t)), target_, kSessionArrival, origin);
}

std::uint32_t World::new_session() {
  if (free_sessions_.empty()) {
    sessions_.emplace_back();
    return static_cast<std::uint32_t>(sessions_.size() - 1);
  }
  const std::uint32_t id = free_sessions_.back();
  free_sessions_.pop_back();
  const std::uint32_t generation = sessions_[id].generation + 1;
  sessions_[id] = Session{};
  sessions_[id].generation = generation;
  return id;
}

void World::start_session(std::uint32_t origin, sim::Time duration) {
  const sim::Time start = sim_.now();
  const sim::Time end = start + std::max<sim::Time>(duration, 1);
  ++result_.sessions;
  result_.timeseries.record_span(users_column_, start, end, 1.0);
  const sim::Time from = std::max(start, warmup_), to = std::min(end, horizon_);
  if (to > from) user_hours_ += sim::to_seconds(to - from) / 3600.0;
  if (interactions_per_s_ <= 0) return;
  active_[origin].push_back(ActiveUser{end, new_session()});
  if (!populating_) schedule_interactions(origin);
}

void World::schedule_interactions(std::uint32_t origin) {
  sim_.cancel(next_interaction_[origin]);
  const auto users = static_cast<double>(active_[origin].size());
  if (users == 0) return;
  const sim::Time at = sim_.now() + sim::from_seconds(interaction_rng_[origin].exponential(1.0 / (users * interactions_per_s_)));
  if (at < horizon_) next_interaction_[origin] = sim_.schedule_at(at, target_, kInteraction, origin);
}

void World::pick_interaction(std::uint32_t origin) {
  auto& active = active_[origin];
  auto& rng = interaction_rng_[origin];
  const auto i = std::min(active.size() - 1, static_cast<std::size_t>(rng.uniform() * static_cast<double>(active.size())));
  if (sim_.now() >= active[i].end) {  // its session is over: no interaction, and it leaves the population
    release_session(active[i].session);
    active[i] = active.back();
    active.pop_back();
  } else {
    interact(origin, active[i].session);
  }
  schedule_interactions(origin);
}

void World::release_session(std::uint32_t session) { free_sessions_.push_back(session); }

double World::wait_estimate_s(std::uint32_t replica) const {
  const auto& r = *replicas_[replica];
  const auto& m = p_.deployments[p_.replicas[replica].deployment];
  double wait = static_cast<double>(r.backlog_tokens()) * m.prefill_s_per_token;
  if (r.running() >= r.config().max_running_seqs) {
    // A slot frees when some running answer ends: about one answer's decode over the slots.
    wait += m.decode_step_s * m.mean_output_tokens * static_cast<double>(r.waiting() + 1) /
            static_cast<double>(r.config().max_running_seqs);
  }
  return wait;
}

void World::on_load_change(std::uint32_t replica) {
  const auto& r = *replicas_[replica];
  const auto [index, position] = index_slot_[replica];
  index->update(position, wait_estimate_s(replica), r.running() + r.inbound());
}

std::uint32_t World::pick_replica(std::size_t site, std::size_t deployment, const Session* s, std::int32_t prefix,
                                  double& wait_s) const {
  // Least estimated wait; among equals (idle, or decoding with nothing
  // queued) the fewest sequences running or on their way.
  const auto& index = *load_index_[site * s_.deployments.size() + deployment];
  std::uint32_t best = index.best();
  double best_wait = index.best_wait_s();
  // Session affinity: stay where the conversation's prefix is cached while
  // the extra wait there costs less than recomputing the prefix.
  if (prefix > 0 && s->last_replica != kNoReplica && s->last_replica != best &&
      p_.replicas[s->last_replica].site == site && p_.replicas[s->last_replica].deployment == deployment) {
    const double w = wait_estimate_s(s->last_replica);
    if (w - best_wait < prefix * p_.deployments[deployment].prefill_s_per_token) {
      best = s->last_replica;
      best_wait = w;
    }
  }
  wait_s = best_wait;
  return best;
}

void World::interact(std::uint32_t origin, std::uint32_t session) {
  const sim::Time now = sim_.now();
  const double u = interaction_rng_[origin].uniform();
  std::uint32_t cls = 0;
  while (u >= class_cumulative_[cls]) ++cls;
  const auto& c = s_.classes[cls];
  const std::size_t d = p_.class_deployment[cls];
  const auto& dep = s_.deployments[d];
  std::int32_t prompt = workload::sample_tokens(c.prompt_tokens, prompt_rng_[cls]);
  const std::int32_t output = workload::sample_tokens(c.output_tokens, output_rng_[cls]);
  std::int32_t prefix = 0;  // tokens shared with this session's previous turn
  Session* history = c.history.enabled ? &sessions_[session] : nullptr;
  if (history) {
    Session& s = *history;
    // A prefix cache matches block by block from the start: the whole last
    // exchange while nothing has left the window, only the persona once the
    // window slides and the oldest turn drops out.
    const bool kept_whole = c.history.max_turns == 0 || s.turns < c.history.max_turns;
    const auto persona = static_cast<std::int32_t>(c.history.persona_tokens);
    prefix = s.turns == 0 ? 0 : kept_whole ? s.cached_prefix : std::min(persona, s.cached_prefix);
    const std::int32_t turn = prompt;
    prompt = static_cast<std::int32_t>(c.history.persona_tokens) + s.history_tokens + turn;
    s.history_tokens += turn + output;
    if (++s.turns > c.history.max_turns && c.history.max_turns > 0) {
      s.history_tokens -= s.history_tokens / s.turns;  // the oldest turn leaves, on average
      --s.turns;
    }
  }
  const bool counted = now >= warmup_;
  ++result_.arrived;

  if (dep.hosted) {
    const double last_mile_ms = s_.workload.origins[origin].last_mile_rtt_ms;
    const double ttft_s = (dep.api_ttft_ms + last_mile_ms) / 1000.0;
    const double tpot_s = dep.api_tpot_ms / 1000.0;
    const double e2e_s = ttft_s + tpot_s * (output - 1);
    record_answer(cls, counted, now, ttft_s, output > 1 ? tpot_s : 0.0, e2e_s, last_mile_ms, prompt, output, true);
    ++result_.completed;
    return;
  }

  // Route: the candidate sites nearest first, each with its least-loaded replica.
  const auto& route = p_.routes[origin][d];
  const bool nearest = s_.routing.policy == scenario::Routing::Policy::kNearest;
  const std::size_t consider = nearest ? 1 : route.size();
  candidates_.clear();
  candidate_replica_.clear();
  const auto& model = p_.deployments[d];
  for (std::size_t i = 0; i < consider; ++i) {
    double wait_s = 0.0;
    const std::uint32_t r = pick_replica(route[i], d, history, dep.prefix_caching ? prefix : 0, wait_s);
    // What the SLO metric would read there, network aside: the queue ahead,
    // this request's own prefill (less a prefix cached there), and for
    // end-to-end its decode.
    const bool hit = dep.prefix_caching && history && history->last_replica == r;
    double estimate_s = wait_s + (prompt - (hit ? prefix : 0)) * model.prefill_s_per_token;
    if (c.slo.metric == scenario::Slo::Metric::kE2e) estimate_s += (output - 1) * model.decode_step_s;
    if (c.slo.metric == scenario::Slo::Metric::kTpot) estimate_s = model.decode_step_s;
    candidates_.push_back({route[i], p_.topology.rtt_ms(origin, route[i]), estimate_s * 1000.0});
    candidate_replica_.push_back(r);
  }
  const std::size_t pick = network::choose_site(s_.routing, candidates_, c.slo.threshold_ms);
  const std::uint32_t replica = candidate_replica_[pick];

  const std::uint32_t id = pool_.acquire();
  Request& r = pool_[id];
  r.state = Request::State::kInNetwork;
  r.cls = static_cast<std::uint16_t>(cls);
  r.priority_level = static_cast<std::uint8_t>(p_.class_priority_level[cls]);
  r.origin = origin;
  r.session = session;
  r.session_generation = history ? history->generation : 0;
  r.replica = replica;
  r.prompt_tokens = prompt;
  r.output_tokens = output;
  const auto& rep = *replicas_[replica];
  const bool cached = dep.prefix_caching && prefix > 0 && history->last_replica == replica &&
                      rep.kv_alloc_clock() - history->cache_clock < history->cache_room;
  r.cached_tokens = cached ? std::min(prefix, prompt - 1) : 0;
  r.counted = counted;
  r.sent_at = now;
  r.one_way = sim::from_ms(candidates_[pick].rtt_ms / 2.0);
  if (counted) {
    ++stats_[cls].requests;
    result_.timeseries.record(stats_[cls].requests_column, now, 1.0);
  }
  replicas_[replica]->expect(r);
  sim_.schedule_in(r.one_way, rep.target(), serving::Replica::kArrive, id);
}

void World::record_answer(std::uint32_t cls, bool counted, sim::Time sent, double ttft_s, double tpot_s,
                          double e2e_s, double network_ms, std::int32_t input, std::int32_t output, bool hosted) {
  if (!counted) return;
  const auto& c = s_.classes[cls];
  auto& st = stats_[cls];
  if (hosted) {
    ++st.requests;
    result_.timeseries.record(st.requests_column, sent, 1.0);
  }
  ++st.completed;
  st.ttft_s.record(ttft_s);
  if (output > 1) st.tpot_s.record(tpot_s);
  st.e2e_s.record(e2e_s);
  st.network_ms_sum += network_ms;
  st.input_tokens += input;
  st.output_tokens += output;
  const double metric_s = slo_metric_s(c.slo.metric, ttft_s, tpot_s, e2e_s);
  if (metric_s * 1000.0 <= c.slo.threshold_ms) ++st.slo_met;
  const auto interval = static_cast<std::size_t>(sent / result_.timeseries.interval());
  if (interval < st.interval_metric_s.size()) st.interval_metric_s[interval].record(metric_s);
  // What this answer cost beyond the fleet.
  const auto& dep = s_.deployments[p_.class_deployment[cls]];
  double usd = 0.0;
  if (hosted) {
    const double api = (input * dep.input_usd_per_mtok + output * dep.output_usd_per_mtok) / 1e6;
    api_usd_ += api;
    usd += api;
  } else {
    const double egress = (input + output) * s_.cost.bytes_per_token / 1e9 * s_.cost.egress_usd_per_gb;
    egress_usd_ += egress;
    usd += egress;
  }
  if (c.escalation_share > 0) {
    const double review = c.escalation_share * s_.cost.reviewer_usd_per_hour / s_.cost.reviewer_items_per_hour;
    review_usd_ += review;
    usd += review;
  }
  result_.timeseries.record(cost_column_, sent, usd);
}

void World::on_complete(std::uint32_t id, sim::Time at) { finish(id, at, false); }
void World::on_drop(std::uint32_t id, sim::Time at) { finish(id, at, true); }

void World::finish(std::uint32_t id, sim::Time done, bool dropped) {
  const Request& r = pool_[id];
  if (dropped) {
    ++result_.dropped;
    if (r.counted) ++stats_[r.cls].dropped;
  } else {
    ++result_.completed;
    const double ttft_s = sim::to_seconds(r.first_token_at + r.one_way - r.sent_at);
    const double e2e_s = sim::to_seconds(done + r.one_way - r.sent_at);
    const double tpot_s = r.output_tokens > 1 ? sim::to_seconds(done - r.first_token_at) / (r.output_tokens - 1) : 0.0;
    record_answer(r.cls, r.counted, r.sent_at, ttft_s, tpot_s, e2e_s, 2.0 * sim::to_ms(r.one_way), r.prompt_tokens,
                  r.output_tokens, false);
    Session& s = sessions_[r.session];
    if (s_.classes[r.cls].history.enabled && s.generation == r.session_generation) {
      const auto& rep = *replicas_[r.replica];
      s.last_replica = r.replica;
      s.cache_clock = rep.kv_alloc_clock();
      s.cache_room = rep.kv_free_tokens();
      s.cached_prefix = r.prompt_tokens + r.output_tokens;
    }
  }
  pool_.release(id);
}

void World::reset_statistics() {
  const sim::Time now = sim_.now();
  for (auto& r : replicas_) r->reset_statistics(now);
}

ReplicationResult World::run() {
  // Users already in session at the start, each with the time it has left.
  const auto rep = static_cast<std::uint64_t>(replication_);
  for (std::uint32_t o = 0; o < curves_.size(); ++o) {
    sim::RandomStream initial(seed_, rep, "origin/" + s_.workload.origins[o].name + "/initial");
    const double mean_users = curves_[o].users(0.0);
    const auto n = mean_users > 0 ? boost::random::poisson_distribution<std::int64_t>(mean_users)(initial.engine()) : 0;
    populating_ = true;
    for (std::int64_t i = 0; i < n; ++i) {
      start_session(o, sim::from_seconds(60.0 * workload::sample_residual(s_.workload.session_minutes, initial)));
    }
    populating_ = false;
    schedule_interactions(o);
    schedule_next_session(o);
  }
  if (warmup_ > 0) sim_.at_time(warmup_, [this](sim::Simulator&) { reset_statistics(); });
  result_.events = sim_.run_until(horizon_);
  for (auto& r : replicas_) r->flush_busy(horizon_);
  result_.in_flight = pool_.in_use();
  if (result_.arrived != result_.completed + result_.dropped + result_.in_flight) {
    throw std::logic_error("capstan: requests not conserved (arrived " + std::to_string(result_.arrived) +
                           ", completed " + std::to_string(result_.completed) + ", dropped " +
                           std::to_string(result_.dropped) + ", in flight " + std::to_string(result_.in_flight) + ")");
  }
  // The fleet's cost accrues every interval; per-interval percentiles go to the series.
  auto& ts = result_.timeseries;
  const double fleet_usd_per_hour = p_.gpu_usd_per_hour_on_demand + p_.gpu_usd_per_hour_spot;
  for (std::size_t i = 0; i < ts.intervals(); ++i) {
    const sim::Time from = static_cast<sim::Time>(i) * ts.interval();
    const sim::Time to = std::min(horizon_, from + ts.interval());
    ts.record(cost_column_, from, fleet_usd_per_hour * sim::to_seconds(to - from) / 3600.0);
    for (std::size_t c = 0; c < stats_.size(); ++c) {
      const auto& h = stats_[c].interval_metric_s[i];
      if (h.count() > 0) ts.record(stats_[c].p95_column, from, 1000.0 * h.quantile(s_.classes[c].slo.percentile / 100.0));
    }
  }
  result_.figures = figures();
  return std::move(result_);
}

Figures World::figures() const {
  Figures f;
  const double window_h = sim::to_seconds(horizon_ - warmup_) / 3600.0;
  double completed = 0.0, input = 0.0, output = 0.0;
  for (std::size_t c = 0; c < stats_.size(); ++c) {
    const auto& cls = s_.classes[c];
    const auto& st = stats_[c];
    const std::string base = pointer("/classes", cls.name);
    f.add(base + "/requests", static_cast<double>(st.requests));
    f.add(base + "/completed", static_cast<double>(st.completed));
    f.add(base + "/dropped", static_cast<double>(st.dropped));
    const std::pair<const char*, const sim::Histogram*> metrics[] = {
        {"ttft", &st.ttft_s}, {"tpot", &st.tpot_s}, {"e2e", &st.e2e_s}};
    for (const auto& [name, h] : metrics) {
      const std::string m = base + "/latency_ms/" + name;
      f.add(m + "/mean", 1000.0 * h->mean());
      f.add(m + "/p50", 1000.0 * h->quantile(0.50));
      f.add(m + "/p90", 1000.0 * h->quantile(0.90));
      f.add(m + "/p95", 1000.0 * h->quantile(0.95));
      f.add(m + "/p99", 1000.0 * h->quantile(0.99));
    }
    f.add(base + "/network_ms_mean", st.completed ? st.network_ms_sum / static_cast<double>(st.completed) : 0.0);
    const double answered = static_cast<double>(st.completed + st.dropped);
    f.add(base + "/slo/attainment", answered > 0 ? static_cast<double>(st.slo_met) / answered : 1.0);
    const sim::Histogram& mh = cls.slo.metric == Slo::Metric::kTtft   ? st.ttft_s
                               : cls.slo.metric == Slo::Metric::kTpot ? st.tpot_s
                                                                      : st.e2e_s;
    const double q_ms = 1000.0 * mh.quantile(cls.slo.percentile / 100.0);
    f.add(base + "/slo/percentile_ms", q_ms);
    f.add(base + "/slo/met", st.dropped == 0 && q_ms <= cls.slo.threshold_ms ? 1.0 : 0.0);
    // Share of intervals (with traffic, after the warm-up) in which the SLO held.
    double intervals = 0.0, held = 0.0;
    for (std::size_t i = 0; i < st.interval_metric_s.size(); ++i) {
      const auto& h = st.interval_metric_s[i];
      if (h.count() == 0) continue;
      intervals += 1.0;
      if (1000.0 * h.quantile(cls.slo.percentile / 100.0) <= cls.slo.threshold_ms) held += 1.0;
    }
    f.add(base + "/slo/intervals_met_share", intervals > 0 ? held / intervals : 1.0);
    completed += static_cast<double>(st.completed);
    input += st.input_tokens;
    output += st.output_tokens;
  }
  const sim::Time now = horizon_;
  for (std::size_t site = 0; site < s_.sites.size(); ++site) {
    double busy = 0.0, kv = 0.0, queue = 0.0, occupancy = 0.0, gpus = 0.0, n = 0.0, preemptions = 0.0, iterations = 0.0, blocks = 0.0;
    for (std::size_t r = 0; r < replicas_.size(); ++r) {
      if (p_.replicas[r].site != site) continue;
      const double g = p_.replicas[r].gpus;
      busy += g * replicas_[r]->busy().mean(now);
      kv += replicas_[r]->kv_occupancy().mean(now);
      occupancy += replicas_[r]->batch_occupancy().mean(now);
      queue += replicas_[r]->queue_length().mean(now);
      preemptions += static_cast<double>(replicas_[r]->preemptions());
      iterations += static_cast<double>(replicas_[r]->iterations());
      blocks += static_cast<double>(replicas_[r]->blocks_planned());
      gpus += g;
      n += 1.0;
    }
    const std::string base = pointer("/sites", s_.sites[site].name);
    f.add(base + "/gpu_utilization", gpus > 0 ? busy / gpus : 0.0);
    f.add(base + "/kv_occupancy", n > 0 ? kv / n : 0.0);
    f.add(base + "/batch_occupancy", n > 0 ? occupancy / n : 0.0);
    f.add(base + "/queue_length_mean", queue);
    f.add(base + "/preemptions", preemptions);
    f.add(base + "/replicas", n);
    // Whole run: iterations the GPUs ran, and the events the replicas needed for them.
    f.add(base + "/iterations", iterations);
    f.add(base + "/batch_changes", blocks);
  }
  const double user_hours = user_hours_;
  f.add("/users/user_hours", user_hours);
  f.add("/users/mean_concurrent", window_h > 0 ? user_hours / window_h : 0.0);
  f.add("/tokens/input_per_user_hour", user_hours > 0 ? input / user_hours : 0.0);
  f.add("/tokens/output_per_user_hour", user_hours > 0 ? output / user_hours : 0.0);
  const double on_demand = p_.gpu_usd_per_hour_on_demand * window_h;
  const double spot = p_.gpu_usd_per_hour_spot * window_h;
  const double total = on_demand + spot + api_usd_ + egress_usd_ + review_usd_;
  f.add("/cost/total_usd", total);
  f.add("/cost/per_user_hour_usd", user_hours > 0 ? total / user_hours : 0.0);
  f.add("/cost/per_interaction_usd", completed > 0 ? total / completed : 0.0);
  f.add("/cost/per_million_tokens_usd", input + output > 0 ? total / (input + output) * 1e6 : 0.0);
  f.add("/cost/breakdown_usd/gpu_on_demand", on_demand);
  f.add("/cost/breakdown_usd/gpu_spot", spot);
  f.add("/cost/breakdown_usd/hosted_api", api_usd_);
  f.add("/cost/breakdown_usd/network_egress", egress_usd_);
  f.add("/cost/breakdown_usd/human_moderation", review_usd_);
  return f;
}

}  // namespace

ReplicationResult simulate(const Prepared& prepared, std::uint64_t seed, int replication) {
  World world(prepared, seed, replication);
  return world.run();
}

}  // namespace capstan::world
