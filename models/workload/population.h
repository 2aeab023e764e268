#pragma once
// The users of a world and the interactions they make. Sessions arrive per
// origin as a non-homogeneous Poisson process on the origin's diurnal curve;
// while a session lasts, its user fires every interaction class as a Poisson
// stream, with drawn prompt and output token counts. Dialogue-like classes
// carry history: the prompt is persona + kept turns + the new turn, and it
// shares a prefix with the previous turn's prompt and answer.
//
// A prompt and its output must fit the deployment's max_model_len_tokens: the
// history is trimmed oldest turn first until they do, and an interaction
// that still does not fit is marked too long (its turn is not kept).
//
// Each emitted interaction goes to the sink at once. The population owns
// every random stream of the workload, so a change of routing or fleet never
// shifts a draw of it (common random numbers across scenario variants).
// Not thread-safe; one per replication.
#include <cstdint>
#include <vector>

#include "models/scenario/scenario.h"
#include "models/serving/prefix_cache.h"
#include "models/workload/cdf_search.h"
#include "models/workload/diurnal.h"
#include "sim/rng.h"
#include "sim/simulator.h"
#include "sim/timeseries.h"

namespace capstan::workload {

inline constexpr std::uint32_t kNoReplica = UINT32_MAX;

// A user in session. Only classes with history read it; a slot is reused once
// its session ends, and answers still on their way recognise that by the
// generation. The serving side keeps where the last answer's prefix is cached.
struct Session {
  std::uint32_t generation = 0;
  std::int32_t history_tokens = 0; // dialogue turns kept in the prompt
  std::int32_t turns = 0;
  std::uint32_t window_epoch = 0;  // bumped when the oldest turn leaves: the history's content changes from its start
  std::uint32_t last_replica = kNoReplica;
};

struct Interaction {
  std::uint32_t origin = 0;
  std::uint32_t session = 0;
  std::uint32_t cls = 0;
  std::int32_t prompt_tokens = 0;  // as sent: persona and history included
  std::int32_t output_tokens = 0;
  // What of the prompt other requests may share (a system prompt or persona,
  // a conversation so far, a repeated prompt), for the replicas' prefix caches.
  serving::PrefixContent prefix;
  // Of them, the tokens earlier requests sent (the persona and the last
  // exchange, a system prompt, a repeated prompt): what a router expects a
  // replica that served them to hold.
  std::int32_t shared_tokens = 0;
  Session* history = nullptr;      // the session, for classes with history
  // Prompt and output exceed the deployment's max_model_len even with the
  // history trimmed: a real server refuses it at once.
  bool too_long = false;
  std::int32_t prompt_id = -1;     // which of the class's distinct prompts (response cache), else -1
};

class InteractionSink {
 public:
  virtual ~InteractionSink() = default;
  virtual void on_interaction(const Interaction& interaction) = 0;
};

class Population final : public sim::Target {
 public:
  // Records concurrent users into `series` column "users" (added here).
  // `prompt_cdf[c]` is class c's prompt popularity CDF when it has a response
  // cache (empty otherwise); the population draws each request's prompt from it.
  Population(sim::Simulator& sim, const scenario::Scenario& scenario, std::uint64_t seed, int replication,
             sim::Time horizon, sim::Time warmup, sim::TimeSeries& series, InteractionSink& sink,
             const std::vector<std::vector<double>>& prompt_cdf);

  // Places the users in session at the start, then starts the arrival streams.
  void start();
  void handle(sim::Simulator& sim, std::uint32_t kind, std::uint64_t data) override;

  Session& session(std::uint32_t id) { return sessions_[id]; }
  // One interaction of class `cls` from `origin`: its tokens and what its
  // prompt shares, drawn from the class's streams. `session` is the user's,
  // or kNoSession for an open-loop request (a class without history, whose
  // shared prefix is drawn per request).
  Interaction draw(std::uint32_t origin, std::uint32_t session, std::uint32_t cls);
  static constexpr std::uint32_t kNoSession = UINT32_MAX;
  double user_hours() const { return user_hours_; }  // after the warm-up
  std::uint64_t sessions_started() const { return sessions_started_; }

 private:
  enum Kind : std::uint32_t { kSessionArrival, kInteraction };
  struct ActiveUser {
    sim::Time end;
    std::uint32_t session;
  };

  void start_session(std::uint32_t origin, sim::Time duration);
  void recall_history(Session& s, double age_h, sim::RandomStream& rng);
  std::uint32_t new_session();
  void schedule_next_session(std::uint32_t origin);
  void schedule_interactions(std::uint32_t origin);
  void pick_interaction(std::uint32_t origin);
  void interact(std::uint32_t origin, std::uint32_t session);
  static std::size_t pick_index(double u, std::size_t users);  // the user a uniform draw picks

  sim::Simulator& sim_;
  const scenario::Scenario& s_;
  std::uint64_t seed_;
  int replication_;
  InteractionSink& sink_;
  sim::TimeSeries& series_;
  std::uint32_t target_;
  sim::Time horizon_;
  sim::Time warmup_;
  std::size_t users_column_ = 0;
  std::vector<Session> sessions_;
  std::vector<std::uint32_t> free_sessions_;
  std::vector<UserCurve> curves_;
  std::vector<sim::RandomStream> session_rng_;  // per origin
  // Interactions. All of an origin's per-user, per-class streams together are
  // one Poisson stream at (users in session) x (summed rate), each event
  // belonging to a user picked uniformly and of class c with probability
  // rate_c / sum: the same process, with one pending event per origin
  // instead of one per user and class. Users whose session has ended stay in
  // `active_` until picked, and are then dropped unanswered: thinning, which
  // keeps the process exact. The stream is drawn anew whenever the count
  // changes, which memorylessness allows.
  double interactions_per_s_ = 0.0;        // per user
  std::vector<double> class_cumulative_;   // cumulative rate shares, last = 1
  std::vector<std::vector<ActiveUser>> active_;     // per origin: sessions not yet found ended
  std::vector<sim::EventId> next_interaction_;      // per origin
  std::vector<sim::LookaheadStream> interaction_rng_;  // per origin: gaps, picks and classes
  std::vector<sim::RandomStream> prompt_rng_, output_rng_;  // per class
  std::vector<std::int64_t> window_tokens_;                 // per class: its deployment's max_model_len
  std::vector<CdfSearch> prompt_cdf_;                       // per class (empty: no response cache)
  std::vector<sim::RandomStream> cache_rng_;                // per class: which prompt
  std::vector<sim::RandomStream> shared_rng_;               // per class: which shared prefix, per request
  std::vector<CdfSearch> shared_cdf_;                       // per class: shared prefix popularity (empty: uniform)
  std::vector<std::vector<std::int32_t>> repeated_tokens_;  // per class and prompt: its length, as first drawn
  std::uint32_t shared_index(std::uint32_t cls, std::uint32_t session);
  bool populating_ = false;                         // placing the users in session at the start
  double user_hours_ = 0.0;
  std::uint64_t sessions_started_ = 0;
};

}  // namespace capstan::workload
