#include "models/workload/trace_replay.h"

#include <cmath>

namespace capstan::workload {

TraceReplay::TraceReplay(sim::Simulator& sim, const scenario::Scenario& scenario, std::uint32_t cls,
                         std::uint64_t seed, int replication, sim::Time horizon, InteractionSink& sink)
    : sim_(sim),
      s_(scenario),
      trace_(scenario.classes[cls].trace),
      cls_(cls),
      horizon_(horizon),
      sink_(sink),
      target_(sim.add_target(this)),
      origins_(scenario.workload,
               sim::RandomStream(seed, static_cast<std::uint64_t>(replication),
                                 "class/" + scenario.classes[cls].name + "/trace_origin")) {
  const auto& dep = s_.deployment(s_.classes[cls].deployment);
  window_tokens_ = dep.hosted ? std::int64_t{1} << 40 : dep.max_model_len_tokens;
}

void TraceReplay::start() {
  pass_start_ns_ = trace_.start_s * 1e9;
  schedule_next();
}

void TraceReplay::schedule_next() {
  const auto& rows = *trace_.rows;
  if (next_ == rows.size()) {
    if (!trace_.loop) return;
    next_ = 0;
    pass_start_ns_ += trace_.period_ns();
  }
  const double at_ns = pass_start_ns_ + trace_.time_scale * static_cast<double>(rows[next_].at_ns);
  if (at_ns > static_cast<double>(horizon_)) return;
  sim_.schedule_at(static_cast<sim::Time>(std::llround(at_ns)), target_, 0, next_);
}

void TraceReplay::handle(sim::Simulator&, std::uint32_t, std::uint64_t data) {
  const scenario::TraceRow& row = (*trace_.rows)[data];
  Interaction in;
  in.origin = origins_.next();
  in.cls = cls_;
  in.prompt_tokens = row.prompt_tokens;
  in.output_tokens = row.output_tokens;
  in.too_long = static_cast<std::int64_t>(row.prompt_tokens) + row.output_tokens > window_tokens_;
  if (row.prefix_id >= 0 && row.prefix_tokens > 0) {
    // Rows with the same prefix_id share their first prefix_tokens tokens.
    in.prefix.a_key = serving::mix_keys(0x5452414345000000ULL ^ cls_, static_cast<std::uint64_t>(row.prefix_id));
    in.prefix.a_tokens = row.prefix_tokens;
    in.shared_tokens = row.prefix_tokens;
  }
  ++next_;
  schedule_next();
  sink_.on_interaction(in);
}

}  // namespace capstan::workload
