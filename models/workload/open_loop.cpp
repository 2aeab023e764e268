#include "models/workload/open_loop.h"

#include <cmath>

namespace capstan::workload {

OpenLoop::OpenLoop(sim::Simulator& sim, const scenario::Scenario& scenario, std::uint32_t cls, std::uint64_t seed,
                   int replication, sim::Time horizon, Population& population, InteractionSink& sink)
    : sim_(sim),
      arrivals_(scenario.classes[cls].arrivals),
      cls_(cls),
      horizon_(horizon),
      population_(population),
      sink_(sink),
      target_(sim.add_target(this)),
      gap_rng_(seed, static_cast<std::uint64_t>(replication), "class/" + scenario.classes[cls].name + "/arrivals"),
      origins_(scenario.workload,
               sim::RandomStream(seed, static_cast<std::uint64_t>(replication),
                                 "class/" + scenario.classes[cls].name + "/arrival_origin")) {
  double end = 0.0;
  for (const auto& st : arrivals_.stages) stage_end_s_.push_back(end += st.duration_s);
}

void OpenLoop::start() { schedule_next(); }

void OpenLoop::schedule_next() {
  while (stage_ < stage_end_s_.size()) {
    const double rate = arrivals_.stages[stage_].rate_per_s;
    const double start_s = stage_ == 0 ? 0.0 : stage_end_s_[stage_ - 1];
    double at_s = stage_end_s_[stage_];  // none in this stage unless drawn below
    if (rate > 0.0) {
      // Constant: the k-th slot from the stage's start (indexed, so no
      // rounding ever repeats a slot); Poisson: an exponential gap.
      at_s = arrivals_.poisson ? last_s_ + gap_rng_.exponential(1.0 / rate)
                               : start_s + static_cast<double>(index_) / rate;
    }
    if (at_s < stage_end_s_[stage_]) {
      const auto at = static_cast<sim::Time>(std::llround(at_s * 1e9));
      if (at > horizon_) return;
      last_s_ = at_s;
      ++index_;
      sim_.schedule_at(at, target_, 0, 0);
      return;
    }
    // Past this stage: the next starts from its boundary.
    last_s_ = stage_end_s_[stage_];
    index_ = 0;
    ++stage_;
  }
}

void OpenLoop::handle(sim::Simulator&, std::uint32_t, std::uint64_t) {
  const std::uint32_t origin = origins_.next();
  schedule_next();
  sink_.on_interaction(population_.draw(origin, Population::kNoSession, cls_));
}

}  // namespace capstan::workload
