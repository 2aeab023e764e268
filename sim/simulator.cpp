#include "sim/simulator.h"

#include <stdexcept>

namespace capstan::sim {

namespace {
constexpr std::uint32_t kHookTarget = 0;  // target 0 runs the at_time hooks
}

struct Simulator::Hook final : Target {
  void handle(Simulator& sim, std::uint32_t, std::uint64_t data) override { sim.hooks_[data](sim); }
};

Simulator::Simulator() {
  static Hook hook;  // stateless, shared by every simulator
  targets_.push_back(&hook);
}

std::uint32_t Simulator::add_target(Target* target) {
  targets_.push_back(target);
  return static_cast<std::uint32_t>(targets_.size() - 1);
}

EventId Simulator::schedule_at(Time at, std::uint32_t target, std::uint32_t kind, std::uint64_t data) {
  if (at < now_) throw std::logic_error("capstan::sim: event scheduled in the past");
  return calendar_.schedule(at, target, kind, data);
}

void Simulator::at_time(Time at, std::function<void(Simulator&)> fn) {
  if (at < now_) throw std::logic_error("capstan::sim: hook scheduled in the past");
  hooks_.push_back(std::move(fn));
  // Hooks go to the front of their instant, ahead of events scheduled there
  // earlier (a model's first arrival is often scheduled before the warm-up hook).
  calendar_.schedule_first(at, kHookTarget, 0, hooks_.size() - 1);
}

std::uint64_t Simulator::run_until(Time end) {
  stopped_ = false;
  std::uint64_t handled = 0;
  Event e;
  while (!stopped_ && calendar_.next_time() <= end && calendar_.pop(e)) {
    now_ = e.at;
    targets_[e.target]->handle(*this, e.kind, e.data);
    ++handled;
  }
  if (!stopped_ && end > now_) now_ = end;
  events_handled_ += handled;
  return handled;
}

}  // namespace capstan::sim
