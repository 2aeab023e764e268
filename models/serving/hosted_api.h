#pragma once
// A hosted LLM API: as many servers as it is sent calls, behind a rate limit.
// Each call's time to first token and mean time per output token are drawn
// from the deployment's distributions; the round trip runs from the caller's
// origin to the API's region through the network graph. With a rate limit
// (requests and tokens per minute, as token buckets refilled continuously)
// a call is turned away when either bucket lacks room; the client retries
// after exponential backoff with jitter, and after max_retries refusals the
// call is dropped as rate_limited. A call that could never fit the token
// bucket is dropped at once. Not thread-safe; one per hosted deployment and
// replication.
#include <cstdint>
#include <vector>

#include "models/scenario/scenario.h"
#include "sim/rng.h"
#include "sim/simulator.h"

namespace capstan::serving {

struct HostedCall {
  std::uint32_t cls = 0;
  std::uint32_t origin = 0;
  std::int32_t prompt_tokens = 0;
  std::int32_t output_tokens = 0;
  std::int32_t prompt_id = -1;   // of a class with a response cache
  std::int32_t cache_site = -1;  // whose response cache takes the answer (-1: none)
  sim::Time sent = 0;            // by the user
  bool counted = false;          // sent after the warm-up
  bool overflow = false;         // sent on by a self-hosted class
  int refusals = 0;
};

// Told how each call ends.
class HostedClient {
 public:
  virtual ~HostedClient() = default;
  // Admitted now: the answer's latencies, as the user sees them from `call.sent`.
  virtual void hosted_answered(const HostedCall& call, double ttft_s, double tpot_s, double e2e_s,
                               double rtt_ms) = 0;
  // Refused for good by the rate limit.
  virtual void hosted_refused(const HostedCall& call) = 0;
};

class HostedApi final : public sim::Target {
 public:
  // `rtt_ms_by_origin`: the round trip from each origin to the API.
  HostedApi(sim::Simulator& sim, const scenario::Deployment& deployment, std::vector<double> rtt_ms_by_origin,
            std::uint64_t seed, int replication, HostedClient& client);

  // A call arrives now (first try).
  void call(const HostedCall& call);
  void handle(sim::Simulator& sim, std::uint32_t kind, std::uint64_t data) override;

  std::size_t waiting() const { return pending_.size() - free_.size(); }  // calls waiting to retry
  // Counts after the warm-up: refusals that led to a retry.
  std::uint64_t retries() const { return retries_; }
  void reset_statistics() { retries_ = 0; }

 private:
  void attempt(std::uint32_t slot);
  bool admit(double tokens);  // takes from the buckets when both have room
  void refill();
  void release(std::uint32_t slot);

  sim::Simulator& sim_;
  const scenario::Deployment& d_;
  std::vector<double> rtt_ms_;
  HostedClient& client_;
  std::uint32_t target_;
  sim::RandomStream latency_rng_, retry_rng_;
  // Token buckets: their levels at refilled_at.
  double requests_ = 0.0, tokens_ = 0.0;
  sim::Time refilled_at_ = 0;
  std::vector<HostedCall> pending_;  // calls waiting to retry, by slot
  std::vector<std::uint32_t> free_;
  std::uint64_t retries_ = 0;
};

}  // namespace capstan::serving
