#include "models/workload/population.h"

#include <algorithm>

#include <boost/random/poisson_distribution.hpp>

#include "models/workload/sample.h"

namespace capstan::workload {

Population::Population(sim::Simulator& sim, const scenario::Scenario& scenario, std::uint64_t seed, int replication,
                       sim::Time horizon, sim::Time warmup, sim::TimeSeries& series, InteractionSink& sink,
                       const std::vector<std::vector<double>>& prompt_cdf)
    : sim_(sim),
      s_(scenario),
      seed_(seed),
      replication_(replication),
      sink_(sink),
      series_(series),
      target_(sim.add_target(this)),
      horizon_(horizon),
      warmup_(warmup),
      prompt_cdf_(prompt_cdf) {
  const auto rep = static_cast<std::uint64_t>(replication);
  users_column_ = series.add_column("users", sim::TimeSeries::Kind::kTimeMean);
  for (const auto& cls : s_.classes) {
    interactions_per_s_ += cls.rate_per_user_hour / 3600.0;
    prompt_rng_.emplace_back(seed, rep, "class/" + cls.name + "/prompt");
    output_rng_.emplace_back(seed, rep, "class/" + cls.name + "/output");
    cache_rng_.emplace_back(seed, rep, "class/" + cls.name + "/cache");
    const auto& dep = s_.deployment(cls.deployment);
    window_tokens_.push_back(dep.hosted ? std::int64_t{1} << 30 : dep.max_model_len_tokens);
  }
  double cumulative = 0.0;
  for (const auto& cls : s_.classes) {
    cumulative += cls.rate_per_user_hour / 3600.0;
    class_cumulative_.push_back(interactions_per_s_ > 0 ? cumulative / interactions_per_s_ : 1.0);
  }
  // Rounding must not leave a share to the classes after the last one with a
  // rate (those replaying traces, or with rate 0).
  for (std::size_t c = class_cumulative_.size(); c-- > 0;) {
    class_cumulative_[c] = 1.0;
    if (s_.classes[c].rate_per_user_hour > 0) break;
  }
  const auto& origins = s_.workload.origins;
  active_.resize(origins.size());
  next_interaction_.resize(origins.size());
  for (std::size_t o = 0; o < origins.size(); ++o) {
    curves_.emplace_back(s_.workload, o, s_.simulation.start_hour_utc);
    session_rng_.emplace_back(seed, rep, "origin/" + origins[o].name + "/sessions");
    interaction_rng_.emplace_back(seed, rep, "origin/" + origins[o].name + "/interactions");
  }
}

void Population::start() {
  // Users already in session at the start, each with the time it has left.
  const auto rep = static_cast<std::uint64_t>(replication_);
  for (std::uint32_t o = 0; o < curves_.size(); ++o) {
    sim::RandomStream initial(seed_, rep, "origin/" + s_.workload.origins[o].name + "/initial");
    const double mean_users = curves_[o].users(0.0);
    const auto n = mean_users > 0 ? boost::random::poisson_distribution<std::int64_t>(mean_users)(initial.engine()) : 0;
    populating_ = true;
    for (std::int64_t i = 0; i < n; ++i) {
      start_session(o, sim::from_seconds(60.0 * sample_residual(s_.workload.session_minutes, initial)));
    }
    populating_ = false;
    schedule_interactions(o);
    schedule_next_session(o);
  }
}

void Population::handle(sim::Simulator&, std::uint32_t kind, std::uint64_t data) {
  const auto origin = static_cast<std::uint32_t>(data);
  if (kind == kSessionArrival) {
    start_session(origin, sim::from_seconds(60.0 * sample(s_.workload.session_minutes, session_rng_[origin])));
    schedule_next_session(origin);
  } else {
    pick_interaction(origin);
  }
}

void Population::schedule_next_session(std::uint32_t origin) {
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

std::uint32_t Population::new_session() {
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

void Population::start_session(std::uint32_t origin, sim::Time duration) {
  const sim::Time start = sim_.now();
  const sim::Time end = start + std::max<sim::Time>(duration, 1);
  ++sessions_started_;
  series_.record_span(users_column_, start, end, 1.0);
  const sim::Time from = std::max(start, warmup_), to = std::min(end, horizon_);
  if (to > from) user_hours_ += sim::to_seconds(to - from) / 3600.0;
  if (interactions_per_s_ <= 0) return;
  active_[origin].push_back(ActiveUser{end, new_session()});
  if (!populating_) schedule_interactions(origin);
}

void Population::schedule_interactions(std::uint32_t origin) {
  sim_.cancel(next_interaction_[origin]);
  const auto users = static_cast<double>(active_[origin].size());
  if (users == 0) return;
  const sim::Time at =
      sim_.now() + sim::from_seconds(interaction_rng_[origin].exponential(1.0 / (users * interactions_per_s_)));
  if (at < horizon_) next_interaction_[origin] = sim_.schedule_at(at, target_, kInteraction, origin);
}

void Population::pick_interaction(std::uint32_t origin) {
  auto& active = active_[origin];
  auto& rng = interaction_rng_[origin];
  const auto i = std::min(active.size() - 1, static_cast<std::size_t>(rng.uniform() * static_cast<double>(active.size())));
  if (sim_.now() >= active[i].end) {  // its session is over: no interaction, and it leaves the population
    free_sessions_.push_back(active[i].session);
    active[i] = active.back();
    active.pop_back();
  } else {
    interact(origin, active[i].session);
  }
  schedule_interactions(origin);
}

void Population::interact(std::uint32_t origin, std::uint32_t session) {
  const double u = interaction_rng_[origin].uniform();
  std::uint32_t cls = 0;
  while (u >= class_cumulative_[cls]) ++cls;
  const auto& c = s_.classes[cls];
  Interaction in;
  in.origin = origin;
  in.session = session;
  in.cls = cls;
  in.prompt_tokens = sample_tokens(c.prompt_tokens, prompt_rng_[cls]);
  in.output_tokens = sample_tokens(c.output_tokens, output_rng_[cls]);
  if (const auto& cdf = prompt_cdf_[cls]; !cdf.empty()) {
    const double pick = cache_rng_[cls].uniform();
    in.prompt_id = static_cast<std::int32_t>(std::upper_bound(cdf.begin(), cdf.end(), pick) - cdf.begin());
    in.prompt_id = std::min(in.prompt_id, static_cast<std::int32_t>(cdf.size() - 1));
  }
  const std::int64_t window = window_tokens_[cls];
  if (c.history.enabled) {
    Session& s = sessions_[session];
    in.history = &s;
    // A prefix cache matches block by block from the start: the whole last
    // exchange while nothing has left the window, only the persona once the
    // window slides and the oldest turn drops out.
    const bool kept_whole = c.history.max_turns == 0 || s.turns < c.history.max_turns;
    const auto persona = static_cast<std::int32_t>(c.history.persona_tokens);
    in.prefix_tokens = s.turns == 0 ? 0 : kept_whole ? s.cached_prefix : std::min(persona, s.cached_prefix);
    const std::int32_t turn = in.prompt_tokens;
    // Trim the oldest turns until prompt and answer fit the model's window;
    // the history keeps a total and a count, so a turn leaves at the mean size.
    bool trimmed = false;
    while (s.turns > 0 && std::int64_t{persona} + s.history_tokens + turn + in.output_tokens > window) {
      s.history_tokens -= s.history_tokens / s.turns;
      --s.turns;
      trimmed = true;
    }
    if (trimmed) in.prefix_tokens = std::min(persona, s.cached_prefix);
    // In 64 bits: a persona and a turn near the token limits pass INT32_MAX together.
    const std::int64_t prompt = std::int64_t{persona} + s.history_tokens + turn;
    in.prompt_tokens = static_cast<std::int32_t>(std::min<std::int64_t>(prompt, INT32_MAX));
    if (prompt + in.output_tokens > window) {
      in.too_long = true;  // refused: the turn does not join the history
    } else {
      s.history_tokens += turn + in.output_tokens;
      if (++s.turns > c.history.max_turns && c.history.max_turns > 0) {
        s.history_tokens -= s.history_tokens / s.turns;  // the oldest turn leaves, on average
        --s.turns;
      }
    }
  } else {
    in.too_long = std::int64_t{in.prompt_tokens} + in.output_tokens > window;
  }
  sink_.on_interaction(in);
}

}  // namespace capstan::workload
