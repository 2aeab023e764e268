#pragma once
// A replica: one LLM on `tensor_parallel` GPUs running continuous batching as
// vLLM does.
//
// Every iteration runs each decoding sequence one token forward, then spends
// what is left of the token budget on prefill chunks (chunked prefill),
// admitting waiting requests by priority, then arrival, while there is a
// running slot and KV-cache room. The KV cache is paged (blocks of
// `block_size_tokens`); when a decode step would overflow it, the lowest-
// priority, latest-arrived sequence is preempted and later recomputed.
//
// Event economy: while the batch is decode-only and nothing can join it, the
// replica does not step. The service-time model's cost is affine in the
// total context, and that context grows by `n` per iteration, so the time of
// k iterations is a quadratic in k: the replica schedules one event at the
// next change of the batch (a completion, a KV overflow) and, when a request
// arrives that could join, cuts the block at the end of the iteration in
// progress. A run's cost grows with requests, not iterations. With
// `step_by_step` the same code plans blocks of one iteration: the reference
// mode the tests compare with.
//
// Invariants (checked in debug builds and by tests through the accessors):
//   - running() = prefilling + decoding <= max_running_seqs;
//   - kv_used_tokens(iteration) <= kv_capacity_tokens at every boundary;
//   - a decoding request's finish iteration is join_iteration +
//     (output_tokens - join_generated); the heap holds it under its epoch.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <vector>

#include "models/calibration/service_time_model.h"
#include "models/serving/iteration_memo.h"
#include "models/serving/prefix_cache.h"
#include "models/serving/request.h"
#include "sim/gauge.h"
#include "sim/simulator.h"
#include "sim/timeseries.h"

namespace capstan::serving {

class ReplicaObserver {
 public:
  virtual ~ReplicaObserver() = default;
  virtual void on_first_token(std::uint32_t request, sim::Time at) = 0;
  virtual void on_complete(std::uint32_t request, sim::Time at) = 0;
  virtual void on_drop(std::uint32_t request, sim::Time at, DropReason reason) = 0;
  // The request reached a replica that no longer takes work (its node is
  // draining or gone); it is the observer's to send elsewhere.
  virtual void on_bounce(std::uint32_t /*request*/, sim::Time /*at*/) {}
  // The replica's backlog, running or inbound count may have changed.
  virtual void on_load_change(std::uint32_t /*replica*/) {}
};

struct ReplicaConfig {
  std::uint32_t id = 0;                 // passed back in on_load_change
  int max_running_seqs = 256;
  int max_batch_tokens = 2048;
  int block_size_tokens = 16;
  std::int64_t kv_capacity_tokens = 0;  // whole blocks
  int priority_levels = 1;
  sim::Time max_queue = 30 * sim::kSecond;
  bool step_by_step = false;
  bool prefix_caching = true;           // an automatic prefix cache shared by every request (prefix_cache.h)
};

class Replica final : public sim::Target {
 public:
  enum Kind : std::uint32_t { kArrive, kBlockEnd };

  // `memo`, when given, prices the mixed iterations (shared with the
  // deployment's other replicas; it must outlive the replica).
  Replica(sim::Simulator& sim, RequestPool& pool, ReplicaObserver& observer, const ReplicaConfig& config,
          std::shared_ptr<const calibration::ServiceTimeModel> model, IterationMemo* memo = nullptr);

  std::uint32_t target() const { return target_; }
  void handle(sim::Simulator& sim, std::uint32_t kind, std::uint64_t data) override;

  // Whether the replica takes new requests: false while its node is not up
  // or draining. Requests that arrive meanwhile bounce to the observer.
  bool accepting() const { return accepting_; }
  void set_accepting(bool accepting);
  // Nothing running, waiting or on its way.
  bool idle() const { return running() == 0 && waiting_count_ == 0 && inbound_ == 0; }
  // Moves every waiting request (admitted ones stay) into `out`.
  void take_waiting(std::vector<std::uint32_t>& out);
  // The node is gone: every request here, running or waiting, moves into
  // `out` with the output tokens it has produced (its KV cache is lost), and
  // the replica is left empty.
  void evict(std::vector<std::uint32_t>& out);
  // Share of the KV cache in use now.
  double kv_used_share() const {
    return 1.0 - static_cast<double>(kv_free_tokens()) / static_cast<double>(config_.kv_capacity_tokens);
  }

  // The router's request is on its way here: its prefill work counts in the
  // backlog from now, so requests routed meanwhile see it.
  void expect(const Request& r);
  // Load figures the router reads.
  std::int64_t backlog_tokens() const { return backlog_tokens_; }  // prefill work not yet done
  int inbound() const { return inbound_; }                          // requests on their way here
  int running() const { return static_cast<int>(prefilling_.size() + decoding_.size()); }
  std::size_t waiting() const { return waiting_count_; }
  const ReplicaConfig& config() const { return config_; }

  // Statistics, time-weighted since the last reset.
  const sim::TimeWeightedGauge& busy() const { return busy_; }
  const sim::TimeWeightedGauge& kv_occupancy() const { return kv_; }
  const sim::TimeWeightedGauge& queue_length() const { return queue_; }
  // Share of the running slots in use: how full the batches are while busy or idle.
  const sim::TimeWeightedGauge& batch_occupancy() const { return occupancy_; }
  std::uint64_t iterations() const { return static_cast<std::uint64_t>(iteration_); }
  std::uint64_t blocks_planned() const { return blocks_; }
  std::uint64_t preemptions() const { return preemptions_; }
  void reset_statistics(sim::Time now);
  // Records busy spans, weighted by `gpus`, into `series` column `column`.
  void track_busy(sim::TimeSeries* series, std::size_t column, double gpus);
  // Closes the open busy span at the end of a run.
  void flush_busy(sim::Time now);
  std::int64_t kv_free_tokens() const;
  // Tokens of this content's head the replica's prefix cache holds now (0
  // without one). Mid-way through a block of decode steps it first evicts
  // what the steps done so far needed, as stepping one at a time would have:
  // what a router reads does not depend on how the replica plans.
  std::int32_t cached_tokens(const PrefixContent& content) const;
  const PrefixCache& prefix_cache() const { return prefix_cache_; }

 private:
  struct Finish {
    std::int64_t iteration;
    std::uint32_t request;
    std::uint32_t epoch;
    bool operator>(const Finish& o) const {
      return iteration != o.iteration ? iteration > o.iteration : request > o.request;
    }
  };
  struct Chunk {
    std::uint32_t request;
    std::int32_t tokens;
  };

  void arrive(std::uint32_t id);
  void end_block();
  void plan();
  bool admissible(const Request& r) const;
  std::int64_t kv_needed(const Request& r) const;
  void admit(std::uint32_t id);
  // The request leaves the batch (finished or preempted): its head's blocks stay cached, free.
  void release_prefix(Request& r, bool finished);
  // Evicts cached free blocks beyond the free memory at `iteration` of the planned block.
  void trim_prefix_cache(std::int64_t iteration) const;
  void join_decode(std::uint32_t id);
  void leave_decode(std::uint32_t id);
  void preempt_one();
  void drop_expired();
  bool pop_waiting(std::uint32_t& id);
  void push_waiting(std::uint32_t id, bool front);
  __extension__ using Wide = __int128;
  // Decode-only block: time of its first k iterations, in 2^-16 ns.
  Wide block_fixed(std::int64_t k) const;
  sim::Time block_end(std::int64_t k) const;
  void schedule_block(std::int64_t k);
  // Iterations of the block in progress that have ended by t (at most its k).
  std::int64_t done_by(sim::Time t) const;
  // When the earliest queue head outstays max_queue; kForever if none can.
  sim::Time next_expiry() const;
  std::int64_t decode_context_at(std::int64_t iteration) const {
    return context_base_ + static_cast<std::int64_t>(decoding_.size()) * iteration;
  }
  std::int64_t decode_kv_at(std::int64_t iteration) const;

  sim::Simulator& sim_;
  RequestPool& pool_;
  ReplicaObserver& observer_;
  ReplicaConfig config_;
  std::shared_ptr<const calibration::ServiceTimeModel> model_;
  IterationMemo* memo_;
  std::uint32_t target_;

  std::size_t levels_;                               // priority levels
  std::vector<std::deque<std::uint32_t>> waiting_;  // by priority level; empty until the first request queues
  std::size_t waiting_count_ = 0;
  std::vector<std::uint32_t> prefilling_;           // admission order
  std::vector<std::uint32_t> decoding_;             // unordered; Request::decode_pos indexes it
  std::priority_queue<Finish, std::vector<Finish>, std::greater<>> finishes_;
  std::int64_t context_base_ = 0;    // sum over decoding of (kv_tokens_at_join - join_iteration)
  std::int64_t prefill_reserved_ = 0;// KV tokens reserved by prefilling requests
  std::int64_t backlog_tokens_ = 0;
  int inbound_ = 0;
  std::int64_t iteration_ = 0;       // iterations completed
  bool accepting_ = true;
  mutable PrefixCache prefix_cache_;  // mutable: a read catches up on evictions due (cached_tokens)

  // The block in progress.
  bool active_ = false;
  sim::EventId block_event_;
  sim::Time block_start_ = 0;      // whole nanoseconds...
  std::int64_t block_frac_ = 0;    // ...plus 2^-16 ns
  std::int64_t block_k_ = 0;
  calibration::IterationCost block_cost_;
  std::int64_t block_f_fixed_ = 0;
  std::int64_t block_p_fixed_ = 0;
  std::int64_t block_context0_ = 0;
  std::int64_t block_n_ = 0;
  std::vector<Chunk> chunks_;
  std::vector<calibration::PrefillChunk> chunk_shapes_;
  std::vector<std::optional<calibration::IterationCost>> decode_cost_;  // by decode batch size

  void set_busy(bool busy);

  sim::TimeSeries* busy_series_ = nullptr;
  std::size_t busy_column_ = 0;
  double busy_gpus_ = 1.0;
  sim::Time busy_since_ = 0;
  sim::TimeWeightedGauge busy_;
  sim::TimeWeightedGauge kv_;
  sim::TimeWeightedGauge queue_;
  sim::TimeWeightedGauge occupancy_;
  std::uint64_t blocks_ = 0;
  std::uint64_t preemptions_ = 0;
};

}  // namespace capstan::serving
