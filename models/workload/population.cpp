#include "models/workload/population.h"

#include <algorithm>
#include <cmath>

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
      warmup_(warmup) {
  const auto rep = static_cast<std::uint64_t>(replication);
  users_column_ = series.add_column("users", sim::TimeSeries::Kind::kTimeMean);
  for (std::size_t c = 0; c < s_.classes.size(); ++c) {
    const auto& cls = s_.classes[c];
    interactions_per_s_ += cls.rate_per_user_hour / 3600.0;
    prompt_rng_.emplace_back(seed, rep, "class/" + cls.name + "/prompt");
    output_rng_.emplace_back(seed, rep, "class/" + cls.name + "/output");
    cache_rng_.emplace_back(seed, rep, "class/" + cls.name + "/cache");
    shared_rng_.emplace_back(seed, rep, "class/" + cls.name + "/shared_prefix");
    std::vector<double> cdf;
    if (cls.shared_prefix.enabled && cls.shared_prefix.zipf_s > 0) {
      double total = 0.0;
      for (int i = 1; i <= cls.shared_prefix.prompts; ++i) total += std::pow(i, -cls.shared_prefix.zipf_s);
      double run = 0.0;
      for (int i = 1; i <= cls.shared_prefix.prompts; ++i) cdf.push_back((run += std::pow(i, -cls.shared_prefix.zipf_s)) / total);
    }
    shared_cdf_.emplace_back(std::move(cdf));
    prompt_cdf_.emplace_back(c < prompt_cdf.size() ? prompt_cdf[c] : std::vector<double>{});
    repeated_tokens_.emplace_back(cls.response_cache.enabled ? cls.response_cache.distinct_prompts : 0, 0);
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
    sim::RandomStream history(seed_, rep, "origin/" + s_.workload.origins[o].name + "/initial_history");
    populating_ = true;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto [age, left] = sample_age_and_residual(s_.workload.session_minutes, initial);
      start_session(o, sim::from_seconds(60.0 * left));
      if (!active_[o].empty()) recall_history(sessions_[active_[o].back().session], age / 60.0, history);
    }
    populating_ = false;
    schedule_interactions(o);
    schedule_next_session(o);
  }
}

void Population::recall_history(Session& s, double age_h, sim::RandomStream& rng) {
  // The turns a user already in session has had: a Poisson number at the
  // class's rate over the session's age, each drawn from the class's token
  // distributions and kept as draw() keeps them, so that the first measured
  // minutes see prompts of the lengths a world long under way sends.
  for (std::size_t c = 0; c < s_.classes.size(); ++c) {
    const auto& cls = s_.classes[c];
    if (!cls.history.enabled || !(cls.rate_per_user_hour > 0) || !(age_h > 0)) continue;
    const double mean = cls.rate_per_user_hour * age_h;
    const auto had = boost::random::poisson_distribution<std::int64_t>(mean)(rng.engine());
    // Only the last turns can still be in the prompt: at most max_turns, and
    // at most one per two tokens of the window.
    const std::int64_t window = window_tokens_[c];
    std::int64_t keep = cls.history.max_turns > 0 ? cls.history.max_turns : std::min<std::int64_t>(window / 2, 100000);
    keep = std::min(keep, had);
    bool slid = had > keep;
    const std::int64_t persona = cls.history.persona_tokens;
    for (std::int64_t i = 0; i < keep; ++i) {
      const std::int64_t turn = sample_tokens(cls.prompt_tokens, rng);
      const std::int64_t answer = sample_tokens(cls.output_tokens, rng);
      while (s.turns > 0 && persona + s.history_tokens + turn + answer > window) {
        s.history_tokens -= s.history_tokens / s.turns;
        --s.turns;
        slid = true;
      }
      if (persona + turn + answer > window) continue;  // refused then: never joined the history
      s.history_tokens += static_cast<std::int32_t>(turn + answer);
      if (++s.turns > cls.history.max_turns && cls.history.max_turns > 0) {
        s.history_tokens -= s.history_tokens / s.turns;
        --s.turns;
        slid = true;
      }
    }
    if (slid) ++s.window_epoch;
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
  if (at < horizon_) {
    next_interaction_[origin] = sim_.schedule_at(at, target_, kInteraction, origin);
    // The next draw of this stream picks the user, unless the event is
    // cancelled first: fetch that user's line while other events run.
    auto& active = active_[origin];
    __builtin_prefetch(&active[pick_index(interaction_rng_[origin].peek_uniform(), active.size())]);
  }
}

std::size_t Population::pick_index(double u, std::size_t users) {
  return std::min(users - 1, static_cast<std::size_t>(u * static_cast<double>(users)));
}

void Population::pick_interaction(std::uint32_t origin) {
  auto& active = active_[origin];
  auto& rng = interaction_rng_[origin];
  const std::size_t i = pick_index(rng.uniform(), active.size());
  if (sim_.now() >= active[i].end) {  // its session is over: no interaction, and it leaves the population
    free_sessions_.push_back(active[i].session);
    active[i] = active.back();
    active.pop_back();
  } else {
    interact(origin, active[i].session);
  }
  schedule_interactions(origin);
}

namespace {
// Tags that keep the kinds of content apart in the prefix caches' key space.
constexpr std::uint64_t kSharedTag = 0x5348415245440000ULL, kPersonaTag = 0x504552534f4e4100ULL,
                        kHistoryTag = 0x484953544f525900ULL, kPromptTag = 0x50524f4d50540000ULL;
double unit(std::uint64_t key) { return static_cast<double>(key >> 11) * 0x1.0p-53; }
}  // namespace

std::uint32_t Population::shared_index(std::uint32_t cls, std::uint32_t session) {
  const auto& sp = s_.classes[cls].shared_prefix;
  // Per session: a pure function of the session and class, so every request
  // of the session gets the same prompt without keeping it.
  const double u = sp.per_session
                       ? unit(serving::mix_keys(serving::mix_keys(seed_ ^ kSharedTag, (std::uint64_t{session} << 32) |
                                                                                        sessions_[session].generation),
                                                (static_cast<std::uint64_t>(replication_) << 32) | cls))
                       : shared_rng_[cls].uniform();
  const auto& cdf = shared_cdf_[cls];
  const auto n = static_cast<std::uint32_t>(sp.prompts);
  if (cdf.empty()) return std::min(n - 1, static_cast<std::uint32_t>(u * n));
  return std::min(n - 1, cdf.index(u));
}

void Population::interact(std::uint32_t origin, std::uint32_t session) {
  const double u = interaction_rng_[origin].uniform();
  std::uint32_t cls = 0;
  while (u >= class_cumulative_[cls]) ++cls;
  sink_.on_interaction(draw(origin, session, cls));
}

Interaction Population::draw(std::uint32_t origin, std::uint32_t session, std::uint32_t cls) {
  const auto& c = s_.classes[cls];
  Interaction in;
  in.origin = origin;
  in.session = session;
  in.cls = cls;
  in.prompt_tokens = sample_tokens(c.prompt_tokens, prompt_rng_[cls]);
  in.output_tokens = sample_tokens(c.output_tokens, output_rng_[cls]);
  if (const auto& cdf = prompt_cdf_[cls]; !cdf.empty()) {
    const double pick = cache_rng_[cls].uniform();
    in.prompt_id = static_cast<std::int32_t>(cdf.index(pick));
    // A repeated prompt is the same text each time: the length first drawn for it.
    auto& len = repeated_tokens_[cls][static_cast<std::size_t>(in.prompt_id)];
    if (len == 0) len = in.prompt_tokens;
    in.prompt_tokens = len;
  }
  const std::uint64_t shared_key =
      c.shared_prefix.enabled ? serving::mix_keys(kSharedTag ^ cls, shared_index(cls, session)) : 0;
  const std::int64_t window = window_tokens_[cls];
  if (c.history.enabled) {
    Session& s = sessions_[session];
    in.history = &s;
    // The conversation's content changes from its start once the oldest turn
    // has left the window: a new epoch, which no cache holds yet.
    const bool kept_whole = c.history.max_turns == 0 || s.turns < c.history.max_turns;
    const auto persona = static_cast<std::int32_t>(c.history.persona_tokens);
    bool slid = s.turns > 0 && !kept_whole;
    const std::int32_t turn = in.prompt_tokens;
    // Trim the oldest turns until prompt and answer fit the model's window;
    // the history keeps a total and a count, so a turn leaves at the mean size.
    bool trimmed = false;
    while (s.turns > 0 && std::int64_t{persona} + s.history_tokens + turn + in.output_tokens > window) {
      s.history_tokens -= s.history_tokens / s.turns;
      --s.turns;
      trimmed = true;
    }
    if (trimmed) slid = true;
    if (slid) ++s.window_epoch;
    // Sent before: the persona, and the whole last exchange unless the window slid.
    in.shared_tokens = slid ? persona
                            : static_cast<std::int32_t>(std::min<std::int64_t>(std::int64_t{persona} + s.history_tokens,
                                                                               INT32_MAX));
    // In 64 bits: a persona and a turn near the token limits pass INT32_MAX together.
    const std::int64_t prompt = std::int64_t{persona} + s.history_tokens + turn;
    in.prompt_tokens = static_cast<std::int32_t>(std::min<std::int64_t>(prompt, INT32_MAX));
    // The persona (shared, or the session's own), then the conversation.
    const std::uint64_t who = (std::uint64_t{session} << 32) | s.generation;
    in.prefix.a_key = shared_key != 0 ? shared_key : serving::mix_keys(kPersonaTag, who);
    in.prefix.a_tokens = persona;
    in.prefix.b_key = serving::mix_keys(serving::mix_keys(kHistoryTag, who), s.window_epoch);
    in.prefix.b_tokens = in.prompt_tokens - persona;
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
    // The shared prompt, then the request's own text; a repeated prompt's
    // text is the same for every request that repeats it.
    const std::uint64_t repeated =
        in.prompt_id >= 0 ? serving::mix_keys(kPromptTag ^ cls, static_cast<std::uint64_t>(in.prompt_id)) : 0;
    if (shared_key != 0) {
      in.prefix.a_key = shared_key;
      in.prefix.a_tokens = c.shared_prefix.tokens;
      in.prefix.b_key = repeated;
      in.prefix.b_tokens = repeated != 0 ? in.prompt_tokens : 0;
      in.shared_tokens = c.shared_prefix.tokens + in.prefix.b_tokens;
      in.prompt_tokens = static_cast<std::int32_t>(
          std::min<std::int64_t>(std::int64_t{in.prompt_tokens} + c.shared_prefix.tokens, INT32_MAX));
    } else if (repeated != 0) {
      in.prefix.a_key = repeated;
      in.prefix.a_tokens = in.prompt_tokens;
      in.shared_tokens = in.prompt_tokens;
    }
    in.too_long = std::int64_t{in.prompt_tokens} + in.output_tokens > window;
  }
  return in;
}

}  // namespace capstan::workload
