#pragma once
// The fleet of one replication: node pools whose nodes come and go.
//
// A node is one machine: a catalog instance of the pool (its GPUs, running
// gpus / tensor_parallel replicas), or on a generic site a bare node of
// tensor_parallel GPUs running one. It goes
//   provisioning (boot) -> loading (weights, engine start) -> ready
//   -> draining (a spot notice, or a scale-down) -> gone,
// and is billed by the second from provisioning to gone (a reserved or owned
// pool is billed for its largest size over the whole run instead, used or
// not; its on-demand fallback nodes by the second). Nodes present when
// the run starts are ready at once. Only ready replicas take new requests; a
// draining one finishes what it runs and sends its queue elsewhere, and when
// a reclaimed node goes, whatever still runs there is handed back to be
// placed on another replica (its KV cache lost) or counted as lost.
//
// Spot pools lose nodes through an interruption process (poisson, bathtub or
// an availability trace), request replacements after a delay and, where the
// pool says so, fall back to on-demand nodes while spot is unobtainable.
// Autoscaled pools follow a metric (as the Kubernetes HPA computes it) or a
// 24-hour schedule. docs/fleet.md writes the models out.
//
// Each node slot holds its replicas, built up front (Prepared::replicas, a
// node's consecutive); the replicas of a node that is down take no work.
// Not thread-safe; one per replication.
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "models/cost/ledger.h"
#include "models/serving/replica.h"
#include "models/world/figures.h"
#include "models/world/prepared.h"
#include "sim/gauge.h"
#include "sim/rng.h"
#include "sim/simulator.h"
#include "sim/timeseries.h"

namespace capstan::fleet {

// Where a request moved off `replica` went, for the pool's figures.
enum class Move { kMigrated, kLost, kDropped };

// Where a reclaimed node's requests go: true when placed on another replica,
// false when none could take it (then the relocator has counted it dropped
// or lost). The relocator reports each counted move through count_move().
class Relocator {
 public:
  virtual ~Relocator() = default;
  virtual bool relocate(std::uint32_t request, sim::Time at) = 0;
};

class Fleet final : public sim::Target {
 public:
  // Adds "busy_gpus" and, per pool, "ready_gpus:<site>/<pool>" to `series`.
  Fleet(sim::Simulator& sim, serving::RequestPool& requests, serving::ReplicaObserver& observer,
        const world::Prepared& prepared, sim::TimeSeries& series, std::uint64_t seed, int replication);

  std::size_t size() const { return replicas_.size(); }
  serving::Replica& replica(std::uint32_t id) { return *replicas_[id]; }
  const serving::Replica& replica(std::uint32_t id) const { return *replicas_[id]; }

  // Brings up the starting nodes (ready at once, billed from now) and starts
  // the interruption, trace, autoscaling and schedule clocks.
  void start(cost::Ledger& ledger, Relocator& relocator);
  void handle(sim::Simulator& sim, std::uint32_t kind, std::uint64_t data) override;
  // A replica's load changed: a node draining for a scale-down goes once idle.
  void load_changed(std::uint32_t replica) {
    const std::uint32_t node = replica_node_[replica];
    if (nodes_[node].state == State::kDraining && !nodes_[node].reclaimed) schedule_drained(node);
  }
  // A request (sent after the warm-up) bounced off, or was moved from, `replica`.
  void count_move(std::uint32_t replica, Move move);
  void reset_statistics(sim::Time now);
  // Closes open spans and bills up to the horizon.
  void close(sim::Time horizon);
  // The /sites and /pools sections.
  void add_site_figures(world::Figures& f, sim::Time now) const;
  void add_pool_figures(world::Figures& f, sim::Time now) const;
  // What each pool billed after the warm-up, by ledger category, in the scenario's pool order.
  std::vector<std::array<double, cost::kCategories>> pool_usd() const;

 private:
  enum class State : std::uint8_t { kDown, kProvisioning, kLoading, kReady, kDraining };
  enum Kind : std::uint32_t { kStep, kReclaim, kGone, kDrained, kReplace, kTick, kScale, kHour, kFallback };
  struct Node {
    std::uint32_t first = 0;    // its first replica; the pool's replicas_per_node follow
    State state = State::kDown;
    bool spot = false;          // billed at the spot price
    bool fallback = false;      // an on-demand node standing in for spot
    bool reclaimed = false;     // draining on a spot notice (else a scale-down)
    sim::Time billed_since = 0;
    sim::EventId step, reclaim, gone;
  };
  struct Pool {
    std::size_t site = 0, index = 0, deployment = 0;
    const scenario::Pool* spec = nullptr;
    std::string key;                       // "<site>/<pool>"
    int gpus_per_node = 1, replicas_per_node = 1, tensor_parallel = 1;
    double usd_per_node_hour = 0.0, on_demand_usd_per_node_hour = 0.0;
    cost::Category category = cost::Category::kGpuOnDemand;  // the basis's ledger category
    sim::Time boot = 0, load = 0, notice = 0, fallback_after = 0;
    std::vector<std::uint32_t> slots;      // node ids, ascending
    std::vector<std::uint32_t> replicas;   // replica ids, ascending
    std::set<std::uint32_t> down;          // the slots whose node is down: the lowest starts next
    int releasing = 0;                     // inside release(): gone() leaves reconciling to its caller
    int up_nodes[2][2] = {};               // [spot][fallback]: nodes provisioning, loading or ready
    int ready_nodes[2][2] = {};            // [spot][fallback]: nodes ready
    int target = 0;                        // nodes the pool wants up
    int pending_replacements = 0;          // spot requests waiting out their delay
    int available = -1;                    // trace: spot nodes obtainable now (-1: unlimited)
    sim::Time short_since = -1;            // spot unobtainable since (-1: it is not)
    std::deque<std::pair<sim::Time, int>> recommendations;  // autoscaler, for scale-down stabilisation
    std::vector<double> busy_mark;         // per replica: busy integral at the last evaluation
    sim::RandomStream interrupt_rng, replace_rng;
    // Statistics after the warm-up.
    sim::TimeWeightedGauge ready_gpus, serving_nodes;
    std::size_t ready_column = 0;
    std::size_t cold_start_column = 0;    // cold starts begun in each interval
    std::size_t interruption_column = 0;  // nodes reclaimed in each interval
    sim::Time ready_since = 0;
    std::uint64_t interruptions = 0, cold_starts = 0, migrated = 0, lost = 0, dropped = 0;
    double gpu_hours = 0.0, fallback_gpu_hours = 0.0;
    double usd[cost::kCategories] = {};    // billed after the warm-up, by ledger category
  };

  static bool up(State s) { return s == State::kProvisioning || s == State::kLoading || s == State::kReady; }
  // Every change of a node's state goes through here, so that the pool's counts stay whole.
  void set_state(Pool& p, Node& n, State s);
  int count(const Pool& p, bool spot, bool fallback, bool ready_only) const;
  bool start_node(std::size_t pool, bool spot, bool fallback, bool ready_now);
  void step(std::uint32_t slot);
  void set_ready(Pool& p, std::uint32_t slot, bool ready);
  void reclaim(std::uint32_t slot);
  void drain(std::uint32_t slot, bool reclaimed);
  void gone(std::uint32_t slot);
  void schedule_drained(std::uint32_t slot);
  void schedule_reclaim(std::uint32_t slot);
  void release(std::size_t pool, int nodes, bool spot, bool fallback);
  void reconcile(std::size_t pool);
  void trace_tick(std::size_t pool);
  void evaluate(std::size_t pool);
  void hour(std::size_t pool);
  double price(const Pool& p, const Node& n) const;
  cost::Category category(const Pool& p, const Node& n) const;
  void bill_stop(Pool& p, const Node& n, sim::Time at);
  bool node_idle(const Pool& p, const Node& n) const;
  void set_accepting(const Pool& p, const Node& n, bool accepting);

  sim::Simulator& sim_;
  const world::Prepared& p_;
  sim::TimeSeries& series_;
  std::uint32_t target_;
  sim::Time warmup_, horizon_;
  cost::Ledger* ledger_ = nullptr;
  Relocator* relocator_ = nullptr;
  std::vector<std::unique_ptr<serving::IterationMemo>> memos_;  // per deployment; before the replicas that use them
  std::vector<std::unique_ptr<serving::Replica>> replicas_;
  std::vector<Node> nodes_;             // per node slot
  std::vector<std::uint32_t> slot_pool_;    // per node slot
  std::vector<std::uint32_t> replica_node_;  // per replica
  std::vector<Pool> pools_;
  std::vector<std::uint32_t> moving_;   // scratch: requests leaving a node
};

}  // namespace capstan::fleet
