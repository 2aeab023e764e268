#include "models/moderation/review_queue.h"

#include <cmath>

#include "models/workload/sample.h"

namespace capstan::moderation {

ReviewQueue::ReviewQueue(sim::Simulator& sim, const scenario::Scenario& scenario, std::size_t cls,
                         std::uint64_t seed, int replication, cost::Ledger& ledger)
    : sim_(sim),
      cls_(scenario.classes[cls]),
      start_hour_utc_(scenario.simulation.start_hour_utc),
      usd_per_reviewer_hour_(scenario.cost.reviewer_usd_per_hour),
      warmup_(sim::from_seconds(scenario.simulation.warmup_h * 3600.0)),
      horizon_(sim::from_seconds(scenario.simulation.duration_h * 3600.0)),
      ledger_(ledger),
      target_(sim.add_target(this)),
      escalate_rng_(seed, static_cast<std::uint64_t>(replication), "class/" + cls_.name + "/escalation"),
      review_rng_(seed, static_cast<std::uint64_t>(replication), "class/" + cls_.name + "/review") {
  const double mean_s = 3600.0 / cls_.review.items_per_hour;
  if (cls_.review.review_time_cv == 1.0) {
    review_s_.kind = scenario::Distribution::Kind::kExponential;
  } else {
    review_s_.kind = scenario::Distribution::Kind::kLognormal;
    review_s_.cv = cls_.review.review_time_cv;
  }
  review_s_.mean = mean_s;
}

int ReviewQueue::staff_at(double t_s) const { return cls_.review.staff_at(start_hour_utc_, t_s); }

void ReviewQueue::start() {
  set_staff(staff_at(0.0));
  if (cls_.review.reviewers.size() == 24) {
    const double hours = start_hour_utc_ + cls_.review.utc_offset_h;
    const double to_next_h = std::ceil(hours + 1e-9) - hours;
    sim_.schedule_at(sim::from_seconds(to_next_h * 3600.0), target_, kHour);
  }
}

void ReviewQueue::set_staff(int reviewers) {
  const sim::Time now = sim_.now();
  ledger_.add_rate(cost::Category::kHumanModeration, now, (reviewers - staffed_) * usd_per_reviewer_hour_);
  staffed_ = reviewers;
  staffed_gauge_.set(now, staffed_);
  serve_queue();
}

void ReviewQueue::serve_queue() {
  while (busy_ < staffed_ && !queue_.empty()) {
    const sim::Time arrived = queue_.front();
    queue_.pop_front();
    backlog_gauge_.set(sim_.now(), static_cast<double>(queue_.size()));
    begin(arrived);
  }
}

void ReviewQueue::answered() {
  if (escalate_rng_.uniform() >= cls_.escalation_share) return;
  const sim::Time now = sim_.now();
  if (now >= warmup_) ++escalated_;
  if (busy_ < staffed_) {
    begin(now);
  } else {
    queue_.push_back(now);
    backlog_gauge_.set(now, static_cast<double>(queue_.size()));
  }
}

void ReviewQueue::begin(sim::Time arrived) {
  const sim::Time now = sim_.now();
  if (arrived >= warmup_) wait_s_.record(sim::to_seconds(now - arrived));
  ++busy_;
  busy_gauge_.set(now, busy_);
  in_review_.insert(arrived);
  const double review_s = workload::sample(review_s_, review_rng_);
  sim_.schedule_at(now + sim::from_seconds(review_s), target_, kDone, static_cast<std::uint64_t>(arrived));
}

void ReviewQueue::handle(sim::Simulator&, std::uint32_t kind, std::uint64_t data) {
  const sim::Time now = sim_.now();
  if (kind == kHour) {
    set_staff(staff_at(sim::to_seconds(now)));
    if (now + sim::kHour < horizon_) sim_.schedule_at(now + sim::kHour, target_, kHour);
    return;
  }
  const auto arrived = static_cast<sim::Time>(data);
  in_review_.erase(in_review_.find(arrived));
  if (arrived >= warmup_) {
    ++decided_;
    if (sim::to_seconds(now - arrived) <= 60.0 * cls_.review.sla_minutes) ++within_sla_;
  }
  --busy_;
  busy_gauge_.set(now, busy_);
  serve_queue();
}

void ReviewQueue::reset_statistics(sim::Time now) {
  staffed_gauge_.reset(now);
  busy_gauge_.reset(now);
  backlog_gauge_.reset(now);
}

void ReviewQueue::add_figures(world::Figures& f, sim::Time now) const {
  const std::string base = world::pointer("/classes", cls_.name) + "/review";
  const double staffed_s = staffed_gauge_.integral(now);
  f.add(base + "/items_escalated", static_cast<double>(escalated_));
  f.add(base + "/items_decided", static_cast<double>(decided_));
  f.add(base + "/wait_mean_s", wait_s_.mean());
  f.add(base + "/wait_p50_s", wait_s_.quantile(0.50));
  f.add(base + "/wait_p95_s", wait_s_.quantile(0.95));
  // Items still undecided at the end count against the SLA once they are past it.
  const sim::Time due_before = now - sim::from_seconds(60.0 * cls_.review.sla_minutes);
  std::uint64_t overdue = 0;
  for (const sim::Time arrived : queue_) overdue += arrived >= warmup_ && arrived < due_before;
  for (const sim::Time arrived : in_review_) overdue += arrived >= warmup_ && arrived < due_before;
  const double judged = static_cast<double>(decided_ + overdue);
  f.add(base + "/items_overdue", static_cast<double>(overdue));
  f.add(base + "/sla_attainment", judged > 0 ? static_cast<double>(within_sla_) / judged : 1.0);
  f.add(base + "/backlog_max", backlog_gauge_.peak());
  f.add(base + "/reviewer_utilization", staffed_s > 0 ? busy_gauge_.integral(now) / staffed_s : 0.0);
  f.add(base + "/reviewer_hours", staffed_s / 3600.0);
}

}  // namespace capstan::moderation
