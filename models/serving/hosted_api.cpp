#include "models/serving/hosted_api.h"

#include <algorithm>
#include <cmath>

#include "models/workload/sample.h"

namespace capstan::serving {

HostedApi::HostedApi(sim::Simulator& sim, const scenario::Deployment& deployment,
                     std::vector<double> rtt_ms_by_origin, std::uint64_t seed, int replication, HostedClient& client)
    : sim_(sim),
      d_(deployment),
      rtt_ms_(std::move(rtt_ms_by_origin)),
      client_(client),
      target_(sim.add_target(this)),
      latency_rng_(seed, static_cast<std::uint64_t>(replication), "hosted/" + deployment.name + "/latency"),
      retry_rng_(seed, static_cast<std::uint64_t>(replication), "hosted/" + deployment.name + "/retry"),
      requests_(deployment.rate_limit.requests_per_minute),
      tokens_(deployment.rate_limit.tokens_per_minute) {}

void HostedApi::refill() {
  const auto& rl = d_.rate_limit;
  const double elapsed_min = sim::to_seconds(sim_.now() - refilled_at_) / 60.0;
  refilled_at_ = sim_.now();
  requests_ = std::min(rl.requests_per_minute, requests_ + elapsed_min * rl.requests_per_minute);
  tokens_ = std::min(rl.tokens_per_minute, tokens_ + elapsed_min * rl.tokens_per_minute);
}

bool HostedApi::admit(double tokens) {
  const auto& rl = d_.rate_limit;
  if (!rl.enabled) return true;
  refill();
  const bool room = (rl.requests_per_minute == 0 || requests_ >= 1.0) &&
                    (rl.tokens_per_minute == 0 || tokens_ >= tokens);
  if (room) {
    requests_ -= 1.0;
    tokens_ -= tokens;
  }
  return room;
}

void HostedApi::call(const HostedCall& c) {
  std::uint32_t slot;
  if (free_.empty()) {
    slot = static_cast<std::uint32_t>(pending_.size());
    pending_.push_back(c);
  } else {
    slot = free_.back();
    free_.pop_back();
    pending_[slot] = c;
  }
  attempt(slot);
}

void HostedApi::handle(sim::Simulator&, std::uint32_t, std::uint64_t data) { attempt(static_cast<std::uint32_t>(data)); }

void HostedApi::release(std::uint32_t slot) { free_.push_back(slot); }

void HostedApi::attempt(std::uint32_t slot) {
  HostedCall& c = pending_[slot];
  const double tokens = static_cast<double>(c.prompt_tokens) + c.output_tokens;
  const auto& rl = d_.rate_limit;
  if (admit(tokens)) {
    const HostedCall done = c;
    release(slot);
    const double rtt_ms = rtt_ms_[done.origin];
    const double waited_s = sim::to_seconds(sim_.now() - done.sent);
    const double ttft_s = waited_s + (workload::sample(d_.api_ttft_ms, latency_rng_) + rtt_ms) / 1000.0;
    const double tpot_s = done.output_tokens > 1 ? workload::sample(d_.api_tpot_ms, latency_rng_) / 1000.0 : 0.0;
    client_.hosted_answered(done, ttft_s, tpot_s, ttft_s + tpot_s * (done.output_tokens - 1), rtt_ms);
    return;
  }
  // Too large for the token bucket ever to hold, or out of retries: refused.
  const bool never = rl.tokens_per_minute > 0 && tokens > rl.tokens_per_minute;
  if (never || c.refusals >= rl.max_retries) {
    const HostedCall refused = c;
    release(slot);
    client_.hosted_refused(refused);
    return;
  }
  const double backoff_s = rl.backoff_s * std::ldexp(1.0, c.refusals) * (0.5 + retry_rng_.uniform());
  ++c.refusals;
  if (c.counted) ++retries_;
  sim_.schedule_in(std::max<sim::Time>(1, sim::from_seconds(backoff_s)), target_, 0, slot);
}

}  // namespace capstan::serving
