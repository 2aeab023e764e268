#pragma once
// Human review of escalated moderation items: a FIFO queue served by staffed
// reviewers (a constant count, or one per local hour changed on the hour).
// Each answered item of the class is escalated with the class's
// escalation_share, drawn from its own stream. Review times are exponential
// or lognormal around 3600 / items_per_hour seconds. Reviewers are billed to
// the ledger for every staffed hour, busy or not; when staffing falls,
// reviewers finish the item in hand. Not thread-safe; one per class and
// replication.
#include <cstdint>
#include <deque>
#include <set>
#include <string>

#include "models/cost/ledger.h"
#include "models/scenario/scenario.h"
#include "models/world/figures.h"
#include "sim/gauge.h"
#include "sim/histogram.h"
#include "sim/rng.h"
#include "sim/simulator.h"

namespace capstan::moderation {

class ReviewQueue final : public sim::Target {
 public:
  ReviewQueue(sim::Simulator& sim, const scenario::Scenario& scenario, std::size_t cls, std::uint64_t seed,
              int replication, cost::Ledger& ledger);

  // Staffs the queue for the start and schedules the hourly changes.
  void start();
  // An item of the class was answered at now: it is escalated or not.
  void answered();
  void handle(sim::Simulator& sim, std::uint32_t kind, std::uint64_t data) override;
  void reset_statistics(sim::Time now);
  // Under /classes/<name>/review.
  void add_figures(world::Figures& f, sim::Time now) const;

 private:
  enum Kind : std::uint32_t { kDone, kHour };
  int staff_at(double t_s) const;
  void set_staff(int reviewers);
  void begin(sim::Time arrived);
  void serve_queue();  // free reviewers take the oldest items

  sim::Simulator& sim_;
  const scenario::InteractionClass& cls_;
  double start_hour_utc_;
  double usd_per_reviewer_hour_;
  sim::Time warmup_;
  sim::Time horizon_;
  cost::Ledger& ledger_;
  std::uint32_t target_;
  sim::RandomStream escalate_rng_, review_rng_;
  scenario::Distribution review_s_;
  int staffed_ = 0;
  int busy_ = 0;
  std::deque<sim::Time> queue_;        // arrival times, oldest first
  std::multiset<sim::Time> in_review_; // arrival times of the items reviewers hold
  // Statistics after the warm-up.
  sim::Histogram wait_s_{0.01, 1e-3, 1e8};
  std::uint64_t escalated_ = 0, decided_ = 0, within_sla_ = 0;
  sim::TimeWeightedGauge staffed_gauge_, busy_gauge_, backlog_gauge_;
};

}  // namespace capstan::moderation
