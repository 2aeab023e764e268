#pragma once
// capstan plan: the cheapest fleet that meets every SLO, within a space of
// pool sizes. Every candidate is a set of overrides of the scenario, judged
// by discrete-event runs with replications and common random numbers (the
// same seed for every candidate, so that differences between candidates are
// not noise) through one Evaluator interface.
//
// The search: the scenario's own fleet first; while it misses an SLO, the
// pools serving the classes that miss grow by half (within the space); then
// each pool in turn, the most expensive first, shrinks to the smallest size
// that still meets every SLO (bisection on its size, the others held), and
// the passes repeat until one changes nothing. docs/plan.md describes it.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/api/api.h"
#include "models/plan/screen.h"
#include "models/scenario/scenario.h"

namespace capstan::plan {

// One pool the plan may resize. For a pool that autoscales on a metric the
// size is its max_gpus (min_gpus and the starting gpus scale with it).
struct PoolRange {
  std::string site, pool;
  std::string deployment;
  int min_gpus = 0, max_gpus = 0;  // multiples of `step`
  int step = 1;                    // a node's GPUs: the instance's, or the tensor-parallel degree
  int written_gpus = 0;            // in the scenario as written
  bool autoscaled = false;
  int written_min = 0;             // autoscale.min_gpus as written (autoscaled pools)
  int written_start = 0;           // gpus as written (autoscaled pools)
  double usd_per_gpu_hour = 0.0;   // at the pool's region and capacity: orders the shrinking
  std::vector<std::string> classes;  // the classes its deployment serves
  int start_gpus = 0;              // where the search starts: the screening's estimate (0: written_gpus)
  // Alternatives to the written capacity the space file allows: spot or
  // on-demand and, for spot, the on-demand fallback; each as the overrides
  // that make it. Empty: the pool keeps its capacity as written.
  struct Capacity {
    std::string name;  // "spot, fallback on_demand"
    std::vector<std::string> overrides;
  };
  std::vector<Capacity> capacities;
};

// A deployment whose GPU kind (and serving precision) the plan may choose:
// each kind with the smallest tensor-parallel degree at which the model fits it.
struct KindOption {
  std::string gpu;
  int tensor_parallel = 1;
  std::vector<double> usd_per_gpu_hour;  // per pool of the deployment, at its region and capacity
  std::vector<int> node_gpus;            // per pool: a node's GPUs (its instance's, or the degree)
  nlohmann::json precision;              // a deployment's precision object; null: as written
};
// "h100 x1", "h100 x1 in fp8" (one precision throughout) or
// "h100 x1 in weights int4, activations bf16, KV cache fp8".
std::string kind_label(const KindOption& kind);
struct DeploymentKinds {
  std::string deployment;
  std::vector<std::size_t> pools;  // its pools' indices in Space::pools
  std::vector<KindOption> kinds;   // the written kind first
  std::vector<Screened> screened;  // beside each kind, its screening estimate
};

struct Space {
  std::vector<PoolRange> pools;
  std::vector<DeploymentKinds> deployments;  // only those with a choice of kinds
  // Constraint per class: the upper end of the SLO percentile's 95% interval
  // under the threshold and drops within the percentile's allowance; or, when
  // set, the lower end of SLO attainment's interval at least this.
  std::optional<double> attainment;
  // Optional: every class completes at least this share of its requests
  // (neither dropped nor lost to an interruption), and the plan's cost per
  // user-hour (its interval's upper end) is within this budget.
  std::optional<double> availability;
  std::optional<double> budget_usd_per_user_hour;
};

// The default space of a scenario: every pool that does not follow a fixed
// hourly schedule, from one node to twice its written size (at least four
// nodes); from zero (the site left out) where another pool serves its deployment.
Space default_space(const api::RunRequest& scenario);
// A space file: {"pools": {"<site>/<pool>": {"min_gpus": a, "max_gpus": b,
//   "capacity": ["on_demand", "spot"], "fallback": ["none", "on_demand"], "spot": {...}}},
// "deployments": {"<name>": {"gpus": ["l40s", "h100"] or "all"}}, "attainment": x};
// pools it does not name keep their default range; "fixed": true holds one at its written size.
Space read_space(const std::string& path, const api::RunRequest& scenario);
// The same from JSON text, named `source` in errors.
Space parse_space(const std::string& text, const std::string& source, const api::RunRequest& scenario);

struct ClassVerdict {
  std::string name;
  double percentile_ms = 0, percentile_high_ms = 0, threshold_ms = 0;
  double attainment = 0, attainment_low = 0, target = 0;
  double dropped_share = 0;
  bool met = false;
  std::string why;  // when not met
};

struct Evaluation {
  std::vector<int> gpus;  // per pool of the space
  double cost_per_user_hour = 0, cost_low = 0, cost_high = 0;
  std::vector<ClassVerdict> classes;
  bool feasible = false;
  double worst_ratio = 0;  // the largest SLO percentile's upper end over its threshold
  int replications = 0;    // replications run: fewer than asked when the sequential test stopped it
  double users = 0;        // mean concurrent users in the measured window
  // The month it projects to (docs/fleet.md, "A month"): the total and each nonzero ledger category.
  double monthly_usd = 0;
  std::vector<std::pair<std::string, double>> monthly_breakdown_usd;
  // Half the cost interval's width, in USD per hour of the window: a saving
  // smaller than this cannot be told from the runs' noise.
  double noise_usd_per_hour() const { return (cost_high - cost_low) / 2.0 * users; }
};

// Runs candidates; an implementation may run them in any order or place,
// but returns them in the order given.
class Evaluator {
 public:
  virtual ~Evaluator() = default;
  virtual std::vector<Evaluation> evaluate(const std::vector<std::vector<int>>& candidates) = 0;
  virtual int simulations() const = 0;  // candidates run so far
};

// Runs candidates of a scenario: on this machine's threads, or through
// `runner`, which takes each candidate's overrides (on top of the scenario's
// own) and returns its report.json text, in order; the Python package passes
// one that runs them as Dask tasks.
// The planner's sequential test. After k >= 2 of a candidate's replications
// (of n > k), the candidate is declared infeasible without the rest when,
// for some class, the one-sided (1 - alpha) Student-t bound of the
// replications' mean SLO percentile lies above its threshold (with an
// attainment target: the bound of its mean attainment below the target).
// With replication figures normal about their mean, a class whose true
// mean sits exactly at its threshold is stopped with probability alpha at
// each look, and one the full run would accept far less often
// (tests/unit/plan_sequential_test.cpp measures both). `partial` is the
// merged output of the first k replications.
bool clearly_infeasible(const api::RunOutput& partial, const Space& space, double alpha);
// The one-sided (1 - alpha) Student-t bounds of the mean of `values` (k >= 2).
double lower_bound(const std::vector<double>& values, double alpha);
double upper_bound(const std::vector<double>& values, double alpha);
inline constexpr double kSequentialAlpha = 0.01;

class ScenarioEvaluator final : public Evaluator {
 public:
  using Runner = std::function<std::vector<std::string>(const std::vector<std::vector<std::string>>& overrides)>;
  ScenarioEvaluator(api::RunRequest scenario, Space space, Runner runner = {});
  std::vector<Evaluation> evaluate(const std::vector<std::vector<int>>& candidates) override;
  int simulations() const override { return simulations_; }
  const api::RunRequest& scenario() const { return scenario_; }
  // From now on, candidates run with these GPU kinds (their overrides) and pool ranges.
  void choose_kinds(std::vector<std::string> kind_overrides, Space space);
  // The overrides that make a candidate's fleet, kinds included.
  std::vector<std::string> overrides(const std::vector<int>& gpus) const;

 private:
  api::RunRequest scenario_;
  Space space_;
  Runner runner_;
  std::vector<std::string> kinds_;
  int simulations_ = 0;
  std::map<std::vector<std::string>, std::string> reports_;  // by overrides: no candidate runs twice
  // Runs a candidate here; where its replications run in rounds (more than
  // twice the threads: --threads, or the cores), with the sequential test.
  std::string run_local(const api::RunRequest& r);
};

struct Result {
  bool feasible = false;
  std::vector<std::string> kind_overrides;  // the chosen GPU kinds and capacities, as overrides
  std::vector<std::string> kinds;           // "<deployment> on <gpu> x<tp>" for each with a choice,
                                            // "<site>/<pool>: <capacity>" for each capacity changed
  Space space;                              // the pool ranges of the chosen kinds
  Evaluation chosen;                 // the cheapest feasible, or the closest when none is
  std::vector<Evaluation> evaluated; // every candidate run, in order
  std::vector<std::string> evaluated_kinds;  // beside each: its GPU kinds ("" without kind choices)
  std::string message;               // the verdict in one sentence
  std::vector<std::string> alternatives;  // each GPU kind tried, with its outcome
  int simulations = 0;
};

// `progress(simulations so far)` after each evaluation, when set. With kind
// choices, each deployment in turn tries each of its kinds (the others held at
// their best so far), each with its own pool-size search.
Result search(const Space& space, ScenarioEvaluator& evaluator, const std::function<void(int)>& progress = {});
// The pool-size search alone, for the evaluator's current kinds: grow the
// pools serving classes that miss, shrink each deployment's pools together,
// then (per_pool) each pool alone. With `deployment` set only its pools move;
// the others stay at their start.
struct SizeSearch {
  bool per_pool = true;
  std::string deployment;
};
Result search_sizes(const Space& space, Evaluator& evaluator, const std::function<void(int)>& progress = {},
                    const SizeSearch& how = {});

// The screening stage (screen.h) for the fleet that `kind_overrides` makes:
// each pool's start_gpus set from its deployment's estimate (split over its
// pools as the written sizes are); returns the estimate per deployment.
std::vector<Screened> screen_starts(const api::RunRequest& scenario, const std::vector<std::string>& kind_overrides,
                                    Space& space);

// The constraint verdicts of one report.json.
Evaluation judge(const nlohmann::json& report, const std::vector<int>& gpus, const Space& space);

// What a plan writes: the summary table, the frontier CSV, plan.json (the
// scenario with the plan's overrides, seed and replications; empty when there
// is no plan) and, when asked, the Kubernetes manifests.
struct Written {
  std::string summary, frontier_csv, plan_json;
  std::vector<std::pair<std::string, std::string>> manifests;
};
// Where the manifests are for: each site's own cloud, or `cloud` ("aws",
// "gcp", "azure" or "generic") for every site on a cloud (a generic site
// stays as it is); a pool moved runs on that cloud's cheapest machine that
// fits (models/plan/manifests.cpp).
struct ManifestOptions {
  std::string cloud;
};
Written render(const Result& result, const ScenarioEvaluator& evaluator, const api::RunRequest& base, bool manifests,
               const ManifestOptions& options = {});

// Its parts:
std::string summary(const Result& r, const Space& space);
std::string frontier_csv(const Result& r, const Space& space);
// (file name, YAML text) per site and pool: the machines (a Karpenter
// NodePool on aws and azure, a GKE ComputeClass on gcp, none on generic), a
// vLLM Deployment and its Service and, for autoscaled pools, a KEDA
// ScaledObject (models/plan/manifests.cpp; docs/clouds.md).
// `scenario` is the plan, validated.
std::vector<std::pair<std::string, std::string>> kubernetes_manifests(const scenario::Scenario& scenario,
                                                                      const ManifestOptions& options = {});


}  // namespace capstan::plan
