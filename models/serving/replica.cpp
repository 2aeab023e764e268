#include "models/serving/replica.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace capstan::serving {

namespace {
// Block times are kept in fixed point, 2^-16 ns, relative to the block's
// start. The k-iteration sum is then exact integer arithmetic, so a block of
// k iterations ends at exactly the instant k one-iteration blocks would: the
// fast mode and the step-by-step reference agree to the nanosecond.
constexpr int kFracBits = 16;


std::int64_t to_fixed(double seconds) { return std::llround(seconds * 1e9 * (1 << kFracBits)); }
}  // namespace

Replica::Replica(sim::Simulator& sim, RequestPool& pool, ReplicaObserver& observer, const ReplicaConfig& config,
                 std::shared_ptr<const calibration::ServiceTimeModel> model, IterationMemo* memo)
    : sim_(sim),
      pool_(pool),
      observer_(observer),
      config_(config),
      model_(std::move(model)),
      memo_(memo),
      target_(sim.add_target(this)),
      levels_(static_cast<std::size_t>(std::max(config.priority_levels, 1))),
      prefix_cache_(std::max(1, config.block_size_tokens)) {}

void Replica::handle(sim::Simulator&, std::uint32_t kind, std::uint64_t data) {
  if (kind == kArrive) {
    arrive(static_cast<std::uint32_t>(data));
  } else {
    end_block();
  }
}

void Replica::reset_statistics(sim::Time now) {
  busy_.reset(now);
  kv_.reset(now);
  queue_.reset(now);
  occupancy_.reset(now);
  preemptions_ = 0;
}

void Replica::track_busy(sim::TimeSeries* series, std::size_t column, double gpus) {
  busy_series_ = series;
  busy_column_ = column;
  busy_gpus_ = gpus;
}

void Replica::set_busy(bool busy) {
  const sim::Time now = sim_.now();
  const bool was = busy_.level() > 0;
  if (busy == was) return;
  if (busy) {
    busy_since_ = now;
  } else if (busy_series_) {
    busy_series_->record_span(busy_column_, busy_since_, now, busy_gpus_);
  }
  busy_.set(now, busy ? 1.0 : 0.0);
}

void Replica::flush_busy(sim::Time now) {
  if (busy_.level() > 0 && busy_series_) busy_series_->record_span(busy_column_, busy_since_, now, busy_gpus_);
  busy_since_ = now;
}

std::int64_t Replica::decode_kv_at(std::int64_t iteration) const {
  // Context plus the token each sequence appends, plus a partly filled block each.
  const auto n = static_cast<std::int64_t>(decoding_.size());
  return decode_context_at(iteration) + n * config_.block_size_tokens;
}

std::int64_t Replica::kv_free_tokens() const {
  return config_.kv_capacity_tokens - decode_kv_at(iteration_) - prefill_reserved_;
}

std::int64_t Replica::kv_needed(const Request& r) const { return r.prefill_target + config_.block_size_tokens; }

bool Replica::admissible(const Request& r) const {
  return running() < config_.max_running_seqs && kv_needed(r) <= kv_free_tokens();
}

void Replica::push_waiting(std::uint32_t id, bool front) {
  // The queues are made at the first request: of a large fleet's replicas
  // (a node slot each) many never queue one, and each deque allocates.
  if (waiting_.empty()) waiting_.resize(levels_);
  auto& q = waiting_[pool_[id].priority_level];
  if (front) {
    q.push_front(id);
  } else {
    q.push_back(id);
  }
  ++waiting_count_;
}

bool Replica::pop_waiting(std::uint32_t& id) {
  for (auto& q : waiting_) {
    if (!q.empty()) {
      id = q.front();
      q.pop_front();
      --waiting_count_;
      return true;
    }
  }
  return false;
}

namespace {
std::int64_t prefill_work(const Request& r) {
  const std::int32_t target = r.prompt_tokens + r.generated;
  return target - std::min(r.cached_tokens, target - 1);
}
}  // namespace

void Replica::expect(const Request& r) {
  backlog_tokens_ += prefill_work(r);
  ++inbound_;
  observer_.on_load_change(config_.id);
}

void Replica::arrive(std::uint32_t id) {
  Request& r = pool_[id];
  const sim::Time now = sim_.now();
  --inbound_;
  if (!accepting_) {
    backlog_tokens_ -= prefill_work(r);
    observer_.on_bounce(id, now);
    observer_.on_load_change(config_.id);
    return;
  }
  r.arrived_at = now;
  r.prefill_target = r.prompt_tokens + r.generated;
  if (kv_needed(r) > config_.kv_capacity_tokens) {  // could never fit: refused at once
    backlog_tokens_ -= prefill_work(r);
    r.state = Request::State::kFree;
    observer_.on_drop(id, now, DropReason::kTooLong);
    observer_.on_load_change(config_.id);
    return;
  }
  r.state = Request::State::kWaiting;
  push_waiting(id, false);
  queue_.set(now, static_cast<double>(waiting_count_));
  if (!active_) {
    block_start_ = now;
    block_frac_ = 0;
    plan();
    return;
  }
  // A decode-only block of several iterations ends early, with the iteration
  // in progress, if the newcomer could join; and at the first boundary past
  // its deadline if it now heads its queue. The step-by-step reference would
  // act at exactly those boundaries.
  observer_.on_load_change(config_.id);
  if (block_k_ <= 1 || !chunks_.empty()) return;
  std::int64_t k = block_k_;
  if (admissible(r)) k = std::min(k, done_by(now) + 1);
  if (!waiting_.empty() && waiting_[r.priority_level].size() == 1) k = std::min(k, done_by(r.arrived_at + config_.max_queue) + 1);
  if (k >= block_k_) return;
  sim_.cancel(block_event_);
  schedule_block(k);
}

std::int64_t Replica::done_by(sim::Time t) const {
  if (t >= sim::kForever / 2) return block_k_;
  const double elapsed_s = sim::to_seconds(t - block_start_);
  const double a = block_cost_.seconds(block_context0_);
  const double b = block_cost_.per_context_token_s * static_cast<double>(block_n_);
  const double m_est = b > 0 ? (-(a - b / 2) + std::sqrt((a - b / 2) * (a - b / 2) + 2 * b * elapsed_s)) / b
                             : elapsed_s / a;
  auto m = static_cast<std::int64_t>(std::clamp(std::floor(m_est), 0.0, static_cast<double>(block_k_)));
  // The estimate is within an iteration; the exact integer times settle it.
  while (m < block_k_ && block_end(m + 1) <= t) ++m;
  while (m > 0 && block_end(m) > t) --m;
  return m;
}

sim::Time Replica::next_expiry() const {
  sim::Time earliest = sim::kForever;
  for (const auto& q : waiting_) {
    if (q.empty()) continue;
    const Request& head = pool_[q.front()];
    if (head.generated == 0) earliest = std::min(earliest, head.arrived_at + config_.max_queue);
  }
  return earliest;
}

Replica::Wide Replica::block_fixed(std::int64_t k) const {
  const Wide kw = k;
  return kw * block_f_fixed_ + static_cast<Wide>(block_p_fixed_) *
                                   (kw * block_context0_ + static_cast<Wide>(block_n_) * (kw * (kw - 1) / 2));
}

sim::Time Replica::block_end(std::int64_t k) const {
  return block_start_ + static_cast<sim::Time>((block_frac_ + block_fixed(k)) >> kFracBits);
}

void Replica::schedule_block(std::int64_t k) {
  block_k_ = k;
  block_event_ = sim_.schedule_at(block_end(k), target_, kBlockEnd);
}

void Replica::plan() {
  const sim::Time now = sim_.now();
  drop_expired();
  // Make room for the next decode step: preempt while it would overflow the cache.
  while (!decoding_.empty() && decode_kv_at(iteration_) + prefill_reserved_ > config_.kv_capacity_tokens) {
    preempt_one();
  }
  // Decode first, then continue prefills, then admit while budget, slots and KV allow.
  std::int64_t budget = config_.max_batch_tokens - static_cast<std::int64_t>(decoding_.size());
  chunks_.clear();
  chunk_shapes_.clear();
  auto add_chunk = [&](std::uint32_t id) {
    Request& r = pool_[id];
    const auto c = static_cast<std::int32_t>(std::min<std::int64_t>(r.prefill_target - r.prefilled, budget));
    chunks_.push_back(Chunk{id, c});
    chunk_shapes_.push_back(calibration::PrefillChunk{c, r.prefilled});
    budget -= c;
  };
  for (std::uint32_t id : prefilling_) {
    if (budget <= 0) break;
    add_chunk(id);
  }
  while (budget > 0 && waiting_count_ > 0 && running() < config_.max_running_seqs) {
    std::uint32_t id = 0;
    for (auto& q : waiting_) {
      if (!q.empty()) {
        id = q.front();
        break;
      }
    }
    if (!admissible(pool_[id])) break;  // in order: no overtaking within the queue
    pop_waiting(id);
    admit(id);
    add_chunk(id);
  }
  queue_.set(now, static_cast<double>(waiting_count_));
  occupancy_.set(now, static_cast<double>(running()) / config_.max_running_seqs);

  observer_.on_load_change(config_.id);
  if (chunks_.empty() && decoding_.empty()) {
    active_ = false;
    set_busy(false);
    kv_.set(now, static_cast<double>(prefill_reserved_) / static_cast<double>(config_.kv_capacity_tokens));
    return;
  }
  active_ = true;
  ++blocks_;
  const auto n = static_cast<std::int64_t>(decoding_.size());
  if (chunks_.empty()) {
    // Decode-only costs depend on n alone: ask the model once per batch size.
    if (decode_cost_.size() <= static_cast<std::size_t>(n)) decode_cost_.resize(static_cast<std::size_t>(n) + 1);
    auto& cached = decode_cost_[static_cast<std::size_t>(n)];
    if (!cached) cached = model_->iteration(n, {});
    block_cost_ = *cached;
  } else {
    block_cost_ = memo_ ? memo_->iteration(n, chunk_shapes_) : model_->iteration(n, chunk_shapes_);
  }
  block_context0_ = decode_context_at(iteration_);
  // Sliding-window layers: affine on one side of their cap; a block below it
  // ends where the context would pass it.
  const std::int64_t cap = block_cost_.window_cap_tokens;
  const bool below_cap = block_cost_.per_window_token_s != 0.0 && block_context0_ < cap;
  block_cost_ = block_cost_.affine_at(block_context0_);
  block_f_fixed_ = to_fixed(block_cost_.fixed_s);
  block_p_fixed_ = to_fixed(block_cost_.per_context_token_s);
  block_n_ = n;
  std::int64_t k = 1;
  if (chunks_.empty() && !config_.step_by_step) {
    // Decode only: run to the first completion or the first step that would overflow the cache.
    while (!finishes_.empty()) {
      const Finish& f = finishes_.top();
      const Request& r = pool_[f.request];
      if (r.state == Request::State::kDecode && r.epoch == f.epoch) break;
      finishes_.pop();
    }
    assert(!finishes_.empty());
    k = std::max<std::int64_t>(1, finishes_.top().iteration - iteration_);
    const std::int64_t room = config_.kv_capacity_tokens - prefill_reserved_ - decode_kv_at(iteration_);
    k = std::min(k, 1 + room / n);
    if (below_cap) k = std::min(k, 1 + (cap - block_context0_) / n);
    // And to the first boundary past a queue head's deadline, where it is dropped.
    block_k_ = k;
    k = std::min(k, done_by(next_expiry()) + 1);
  }
  set_busy(true);
  const double mid = static_cast<double>(iteration_) + static_cast<double>(k - 1) / 2.0;
  kv_.set(now, (static_cast<double>(block_context0_ - n * iteration_) + static_cast<double>(n) * mid +
                static_cast<double>(n * config_.block_size_tokens + prefill_reserved_)) /
                   static_cast<double>(config_.kv_capacity_tokens));
  schedule_block(k);
}

void Replica::end_block() {
  const sim::Time now = sim_.now();
  // Carry the sub-nanosecond remainder so the next block starts at the exact instant.
  const Wide end = block_frac_ + block_fixed(block_k_);
  block_start_ += static_cast<sim::Time>(end >> kFracBits);
  block_frac_ = static_cast<std::int64_t>(end & ((Wide{1} << kFracBits) - 1));
  assert(block_start_ == now);
  iteration_ += block_k_;
  // The block's decode steps took their memory from the free blocks the
  // cache kept: evict what its last step needed (the same at the end of a
  // block of k iterations as after k blocks of one).
  trim_prefix_cache(iteration_ - 1);
  // Prefill chunks ran in this (single-iteration) block.
  for (const Chunk& c : chunks_) {
    Request& r = pool_[c.request];
    r.prefilled += c.tokens;
    backlog_tokens_ -= c.tokens;
    if (r.prefilled < r.prefill_target) continue;
    prefilling_.erase(std::find(prefilling_.begin(), prefilling_.end(), c.request));
    prefill_reserved_ -= kv_needed(r);
    if (r.holds_prefix) prefix_cache_.computed(r.prefix);
    ++r.generated;
    if (r.first_token_at < 0) {
      r.first_token_at = now;
      observer_.on_first_token(c.request, now);
    }
    if (r.generated >= r.output_tokens) {
      r.state = Request::State::kFree;
      release_prefix(r, true);
      observer_.on_complete(c.request, now);
    } else {
      join_decode(c.request);
    }
  }
  chunks_.clear();
  while (!finishes_.empty() && finishes_.top().iteration <= iteration_) {
    const Finish f = finishes_.top();
    finishes_.pop();
    Request& r = pool_[f.request];
    if (r.state != Request::State::kDecode || r.epoch != f.epoch) continue;
    leave_decode(f.request);
    r.generated = r.output_tokens;
    r.state = Request::State::kFree;
    release_prefix(r, true);
    observer_.on_complete(f.request, now);
  }
  plan();
}

void Replica::admit(std::uint32_t id) {
  Request& r = pool_[id];
  r.state = Request::State::kPrefill;
  if (config_.prefix_caching) {
    // What the cache holds now, not what it held when the request was routed.
    const std::int64_t expected = prefill_work(r);
    r.cached_tokens = prefix_cache_.match(r.prefix);
    backlog_tokens_ += prefill_work(r) - expected;
    prefix_cache_.acquire(r.prefix);
    r.holds_prefix = true;
  }
  // A cached prefix is reused, but at least one token is computed to produce logits.
  r.prefilled = std::min(r.cached_tokens, r.prefill_target - 1);
  prefill_reserved_ += kv_needed(r);
  prefilling_.push_back(id);
  trim_prefix_cache(iteration_);  // its blocks come out of the free memory
}

void Replica::release_prefix(Request& r, bool finished) {
  if (!r.holds_prefix) return;
  r.holds_prefix = false;
  // Its KV cache holds its prompt and what it generated (all of its answer when finished).
  const std::int64_t total = std::int64_t{r.prompt_tokens} + (finished ? r.output_tokens : r.generated);
  prefix_cache_.release(r.prefix, total, finished && r.answer_extends_prefix ? r.output_tokens : 0);
}

std::int32_t Replica::cached_tokens(const PrefixContent& content) const {
  if (!config_.prefix_caching || content.empty()) return 0;
  if (active_ && chunks_.empty()) {
    const std::int64_t done = done_by(sim_.now());
    if (done > 0) trim_prefix_cache(iteration_ + done - 1);
  }
  return prefix_cache_.match(content);
}

void Replica::trim_prefix_cache(std::int64_t iteration) const {
  if (!config_.prefix_caching) return;
  const std::int64_t free_tokens = config_.kv_capacity_tokens - decode_kv_at(iteration) - prefill_reserved_;
  prefix_cache_.trim(free_tokens / config_.block_size_tokens);
}

void Replica::join_decode(std::uint32_t id) {
  Request& r = pool_[id];
  r.state = Request::State::kDecode;
  r.join_iteration = iteration_;
  r.join_generated = r.generated;
  r.decode_pos = static_cast<std::uint32_t>(decoding_.size());
  decoding_.push_back(id);
  context_base_ += r.kv_tokens_at_join() - r.join_iteration;
  finishes_.push(Finish{r.join_iteration + (r.output_tokens - r.join_generated), id, r.epoch});
}

void Replica::leave_decode(std::uint32_t id) {
  Request& r = pool_[id];
  context_base_ -= r.kv_tokens_at_join() - r.join_iteration;
  const std::uint32_t last = decoding_.back();
  decoding_[r.decode_pos] = last;
  pool_[last].decode_pos = r.decode_pos;
  decoding_.pop_back();
}

void Replica::preempt_one() {
  // vLLM's choice: the lowest priority, and among those the latest to arrive.
  std::uint32_t victim = decoding_.front();
  for (std::uint32_t id : decoding_) {
    const Request& a = pool_[id];
    const Request& v = pool_[victim];
    if (a.priority_level > v.priority_level ||
        (a.priority_level == v.priority_level && (a.arrived_at > v.arrived_at || (a.arrived_at == v.arrived_at && id > victim)))) {
      victim = id;
    }
  }
  Request& r = pool_[victim];
  r.generated = r.join_generated + static_cast<std::int32_t>(iteration_ - r.join_iteration);
  leave_decode(victim);
  ++r.epoch;
  ++preemptions_;
  r.state = Request::State::kWaiting;
  release_prefix(r, false);  // its blocks go back to the pool, cached until evicted
  r.cached_tokens = 0;       // found anew when it is admitted again
  r.prefill_target = r.prompt_tokens + r.generated;
  r.prefilled = 0;
  backlog_tokens_ += r.prefill_target;
  push_waiting(victim, true);
}

void Replica::drop_expired() {
  const sim::Time now = sim_.now();
  for (auto& q : waiting_) {
    while (!q.empty()) {
      const std::uint32_t id = q.front();
      Request& r = pool_[id];
      // A preempted request has answered in part: it is finished, not dropped.
      if (r.generated > 0 || now - r.arrived_at <= config_.max_queue) break;
      q.pop_front();
      --waiting_count_;
      backlog_tokens_ -= prefill_work(r);
      r.state = Request::State::kFree;
      observer_.on_drop(id, now, DropReason::kQueueTimeout);
    }
  }
}

void Replica::set_accepting(bool accepting) {
  accepting_ = accepting;
  observer_.on_load_change(config_.id);
}

void Replica::take_waiting(std::vector<std::uint32_t>& out) {
  const sim::Time now = sim_.now();
  for (auto& q : waiting_) {
    for (std::uint32_t id : q) {
      backlog_tokens_ -= prefill_work(pool_[id]);
      pool_[id].state = Request::State::kInNetwork;
      out.push_back(id);
    }
    q.clear();
  }
  waiting_count_ = 0;
  queue_.set(now, 0.0);
  observer_.on_load_change(config_.id);
}

void Replica::evict(std::vector<std::uint32_t>& out) {
  const sim::Time now = sim_.now();
  take_waiting(out);
  // Iterations of the block in progress that ended before the node went.
  const std::int64_t done = active_ ? done_by(now) : 0;
  const bool decode_block = chunks_.empty();
  for (std::uint32_t id : decoding_) {
    Request& r = pool_[id];
    const std::int64_t ran = iteration_ + (decode_block ? done : 0) - r.join_iteration;
    r.generated = static_cast<std::int32_t>(std::min<std::int64_t>(r.join_generated + ran, r.output_tokens - 1));
    ++r.epoch;
    out.push_back(id);
  }
  for (std::uint32_t id : prefilling_) {
    const Request& r = pool_[id];
    backlog_tokens_ -= r.prefill_target - r.prefilled;
    out.push_back(id);
  }
  for (std::size_t i = out.size() - decoding_.size() - prefilling_.size(); i < out.size(); ++i) {
    Request& r = pool_[out[i]];
    r.state = Request::State::kInNetwork;
    r.cached_tokens = 0;
    r.prefilled = 0;
    r.holds_prefix = false;
  }
  prefix_cache_.clear();  // the node's memory is gone
  decoding_.clear();
  prefilling_.clear();
  chunks_.clear();
  finishes_ = {};
  context_base_ = 0;
  prefill_reserved_ = 0;
  if (active_) sim_.cancel(block_event_);
  active_ = false;
  block_start_ = now;
  block_frac_ = 0;
  block_k_ = 0;
  set_busy(false);
  kv_.set(now, 0.0);
  occupancy_.set(now, 0.0);
  observer_.on_load_change(config_.id);
}

}  // namespace capstan::serving
