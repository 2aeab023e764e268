#pragma once
// A validated scenario: the plain value that scenario_load.cpp builds from a
// JSON file and that the simulation reads. Every field here has passed
// validation: names resolve, numbers are in range, the model fits its GPUs.
// docs/scenario.md documents the JSON form field by field.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/catalog/specs.h"

namespace capstan::scenario {

// A positive random quantity (tokens, minutes). Parameters by kind:
//   constant:    value
//   exponential: mean
//   uniform:     min, max
//   lognormal:   mean, cv (coefficient of variation) of the quantity itself
//   weibull:     shape, scale
// Draws are clamped to [min_value, max_value] when those are set.
struct Distribution {
  enum class Kind { kConstant, kExponential, kUniform, kLognormal, kWeibull };
  Kind kind = Kind::kConstant;
  double value = 0.0;
  double mean = 0.0;
  double min = 0.0;
  double max = 0.0;
  double cv = 0.0;
  double shape = 0.0;
  double scale = 0.0;
  double min_value = 0.0;
  double max_value = 0.0;   // 0: unbounded
  double expected() const;  // the distribution's mean, before clamping
};

struct Origin {
  std::string name;
  double share = 0.0;            // of workload.peak_users; shares sum to 1
  double utc_offset_h = 0.0;     // the diurnal curve is in local time
  double last_mile_rtt_ms = 0.0; // user to the first network hop, added to every round trip
};

struct Workload {
  double peak_users = 0.0;              // concurrent users at the peak of the curve, all origins
  std::vector<Origin> origins;
  std::vector<double> diurnal;          // 24 fractions of peak by local hour, max 1; linear between hours
  Distribution session_minutes;         // session duration
  double monthly_active_users_per_peak = 0.0;  // a month's distinct users per peak concurrent user; 0: not stated
};

struct Slo {
  enum class Metric { kTtft, kTpot, kE2e };
  Metric metric = Metric::kTtft;
  double threshold_ms = 0.0;
  double percentile = 95.0;  // in (0, 100)
};

struct History {           // dialogue: persona + history + new turn
  bool enabled = false;
  double persona_tokens = 0.0;
  int max_turns = 0;       // turns kept in the prompt (0: all)
};

// Repeated requests answered from a cache: each request is one of
// distinct_prompts prompts with Zipf(zipf_s) popularity; an LRU cache of
// capacity_entries answers per site (entries expire after ttl_s when it is
// set) answers a hit in hit_ms with no GPU work.
struct ResponseCache {
  bool enabled = false;
  int distinct_prompts = 0;
  double zipf_s = 1.0;
  int capacity_entries = 0;
  double ttl_s = 0.0;        // 0: entries never expire
  double hit_ms = 1.0;
};

// System prompts shared across requests, which a replica's prefix cache
// serves once computed: each request (or each session, for all its requests)
// starts with one of `prompts` distinct prompts of `tokens` tokens, picked
// with Zipf(zipf_s) popularity (0: uniform). With history, the persona is the
// shared prompt (tokens stay 0: persona_tokens is its length).
struct SharedPrefix {
  bool enabled = false;
  int prompts = 0;
  int tokens = 0;
  bool per_session = true;
  double zipf_s = 0.0;
};

// Escalated items queue for staffed human reviewers (FIFO). Reviewers are
// paid for every staffed hour, busy or not.
struct Review {
  bool enabled = false;
  std::vector<int> reviewers;       // 1 value (constant) or 24, by local hour
  double utc_offset_h = 0.0;        // of the schedule's local time
  double items_per_hour = 100.0;    // per reviewer: mean review time 3600 / this seconds
  double review_time_cv = 1.0;      // 1: exponential; else lognormal with this cv
  double sla_minutes = 60.0;        // from escalation to decision
  // Reviewers on duty `t_s` seconds into a run that starts at `start_hour_utc`.
  int staff_at(double start_hour_utc, double t_s) const;
};

// A recorded request stream replayed instead of drawn: one row per request,
// times from the first row. docs/scenario.md gives the file format.
struct TraceRow {
  std::int64_t at_ns = 0;
  std::int32_t prompt_tokens = 0;
  std::int32_t output_tokens = 0;
  std::int64_t prefix_id = -1;      // rows with the same id share their first prefix_tokens tokens
  std::int32_t prefix_tokens = 0;
};
struct RequestTrace {
  bool enabled = false;
  std::string path;                 // as resolved (relative to the scenario file)
  double time_scale = 1.0;          // a row runs at (its time - the first row's) x time_scale
  bool loop = false;                // after the last row, start again one mean gap later
  double start_s = 0.0;             // run time of the first row
  std::shared_ptr<const std::vector<TraceRow>> rows;  // non-decreasing times, at least one row
  std::string sha256;               // of the file's bytes
  // Of the replay: the time one pass takes (a mean gap past the last row), in
  // run nanoseconds, and the requests per second it sends.
  double period_ns() const;
  double requests_per_s() const;
  // The most rows sent within any `window_ns` of run time (scaled by time_scale; a looped trace's passes
  // included): what can be waiting at once when they all arrive together.
  double most_rows_within(double window_ns) const;
  double mean_output_tokens() const;
};

// Open-loop arrivals, as a load generator sends them: stages of a constant
// rate, one after another from the run's start, with Poisson or evenly spaced
// arrivals; each request's tokens drawn from the class's distributions and
// its origin by the origins' shares. Nothing is sent after the last stage.
struct ArrivalStage {
  double rate_per_s = 0.0;
  double duration_s = 0.0;
};
struct Arrivals {
  bool enabled = false;
  std::vector<ArrivalStage> stages;
  bool poisson = true;              // else constant gaps of 1 / rate
  double peak_rate_per_s() const {
    double peak = 0.0;
    for (const auto& st : stages) peak = st.rate_per_s > peak ? st.rate_per_s : peak;
    return peak;
  }
  // The requests the stages send on average (a Poisson count's own).
  double expected_requests() const {
    double n = 0.0;
    for (const auto& st : stages) n += st.rate_per_s * st.duration_s;
    return n;
  }
};

struct InteractionClass {
  std::string name;
  double rate_per_user_hour = 0.0;  // while a session lasts; Poisson
  Distribution prompt_tokens;       // the new input of each interaction
  Distribution output_tokens;
  History history;
  std::string deployment;           // name of the deployment serving it
  int priority = 0;                 // lower runs first when batches are full
  Slo slo;
  // Moderation: share of items escalated to a human reviewer.
  double escalation_share = 0.0;
  Review review;                    // with escalation_share: a reviewer queue instead of a per-item charge
  ResponseCache response_cache;
  SharedPrefix shared_prefix;
  Arrivals arrivals;                // in place of rate_per_user_hour: an open-loop load
  double timeout_s = 0.0;           // the client gives up past this end-to-end latency (0: never)
  // A hosted deployment that takes requests no self-hosted site should:
  // none is up, the latency_budget router finds no site within budget, or
  // the chosen replica already has overflow_queue_limit requests waiting.
  std::string overflow;             // "": none
  int overflow_queue_limit = 0;     // 0: no queue bound
  // In place of rate_per_user_hour and the token distributions (which stay
  // zero): requests replayed from a file, spread over the origins by share.
  RequestTrace trace;
};

// A hosted API's limits per minute, as token buckets of a minute's allowance
// refilled continuously. A call needs one request and its prompt plus output
// tokens; turned away, the client retries after backoff_s x 2^k (k = 0, 1,
// ...) times a jitter in [0.5, 1.5), and after max_retries refusals drops it.
struct RateLimit {
  bool enabled = false;
  double requests_per_minute = 0.0;  // 0: no request limit
  double tokens_per_minute = 0.0;    // 0: no token limit
  int max_retries = 3;
  double backoff_s = 1.0;
};

// The names a deployment's `precision` takes (docs/scenario.md, deployments),
// shared by the scenario reader and the planner's space files.
inline const std::vector<std::string> kPrecisionWeights = {"bf16", "fp16", "fp8", "int8", "int4", "mxfp4", "nvfp4"};
inline const std::vector<std::string> kPrecisionActivations = {"bf16", "fp16", "fp8", "fp4"};
inline const std::vector<std::string> kPrecisionKvCache = {"bf16", "fp16", "fp8"};

// How a model is served: on GPUs in pools, or by a hosted API.
struct Deployment {
  std::string name;
  bool hosted = false;
  // Self-hosted.
  std::string model;                // LLM catalog name
  std::string gpu;                  // GPU catalog name
  int tensor_parallel = 1;
  int max_running_seqs = 256;
  int max_batch_tokens = 2048;      // per-iteration token budget (chunked prefill)
  int block_size_tokens = 16;       // paged KV cache
  double gpu_memory_utilization = 0.9;
  double iteration_overhead_ms = 0.0;  // scheduler and launch overhead per iteration; from the model if 0
  bool prefix_caching = true;
  // The serving engine (catalog entry, with this deployment's front-end
  // figures, and no CUDA graphs when enforce_eager).
  catalog::EngineSpec engine;
  bool enforce_eager = false;
  int max_model_len_tokens = 0;     // longest sequence served (prompt + output); the model's context by default
  // Hosted API.
  double input_usd_per_mtok = 0.0;
  double output_usd_per_mtok = 0.0;
  Distribution api_ttft_ms;         // per call, the API's own (network aside)
  Distribution api_tpot_ms;         // per call: its mean time per output token
  std::string region;               // a node of the network graph ("": the last mile only)
  RateLimit rate_limit;
  // Resolved catalog entries (self-hosted).
  catalog::LlmSpec llm;
  catalog::GpuSpec gpu_spec;
  // Calibration profile for (model, GPU), when the scenario names one.
  std::string profile_path;
};

// How a spot pool loses nodes; docs/fleet.md gives the models and their sources.
struct Interruptions {
  enum class Model { kNone, kPoisson, kBathtub, kTrace };
  Model model = Model::kNone;
  // poisson: reclaims per hour of a running node.
  double per_node_hour = 0.0;
  // bathtub: a node's age at preemption has the CDF
  // F(t) = scale * (1 - exp(-t / early_h) + exp((t - max_lifetime_h) / late_h)) for t < max_lifetime_h,
  // and every node still running at max_lifetime_h is preempted then.
  double scale = 0.0;
  double early_h = 0.0;
  double late_h = 0.0;
  double max_lifetime_h = 24.0;
  // trace: spot nodes obtainable at each tick of gap_s seconds (the last value holds after the end).
  double gap_s = 0.0;
  std::vector<int> available;
  std::string trace_path;
  std::string trace_sha256;         // of the trace file's bytes
  // Nodes one reclaim takes at once (poisson); each node's own
  // clock runs 1 / reclaim_nodes as fast, so the per-node rate is unchanged.
  int reclaim_nodes = 1;
};

struct Replacement {
  Distribution delay_s;              // from a notice to the replacement's request
  bool fallback_on_demand = false;   // request on-demand nodes while spot is unobtainable
  double fallback_after_s = 300.0;   // after spot has been unobtainable this long
};

// From a node's request to its first answer. Defaults come from the cloud
// catalog (models/catalog/data/clouds.json); a scenario may override them.
struct ColdStart {
  double boot_s = 0.0;                  // instance boot, drivers, image pull
  double weight_load_gb_per_s = 0.0;    // weights read into the node's GPUs
  double engine_start_s = 0.0;          // engine start: compile, CUDA-graph capture
};

struct Autoscale {
  enum class Metric { kQueuePerReplica, kBatchOccupancy, kKvOccupancy, kGpuBusy };
  bool enabled = false;
  int min_gpus = 0;
  int max_gpus = 0;
  Metric metric = Metric::kQueuePerReplica;
  double target = 0.0;                  // of the metric, per ready replica
  double period_s = 15.0;               // Kubernetes HPA sync period
  double scale_down_delay_s = 300.0;    // HPA scale-down stabilisation window
  double tolerance = 0.1;               // HPA: no change while |metric / target - 1| <= this
  // Instead of a metric: GPUs by local hour (24 values), changed on the hour.
  std::vector<int> schedule_gpus;
  double utc_offset_h = 0.0;            // of the schedule's local time
};

struct Pool {
  std::string name;
  std::string deployment;
  std::string gpu;
  int gpus = 0;                     // at the start, in whole nodes (gpus_per_node each)
  // The machine a node is: a catalog instance, named or picked (the
  // cheapest per replica that fits, in the site's cloud and region, at the
  // pool's basis), or, on a generic site that names none, a bare node of
  // tensor_parallel GPUs priced per GPU.
  std::string instance;             // catalog name; "" for a bare node
  bool instance_picked = false;     // capstan picked it
  std::string instance_note;        // how it was picked, and what the pool's GPUs became
  catalog::InstanceSpec instance_spec;
  int gpus_per_node = 1;            // the instance's GPUs (tensor_parallel for a bare node)
  int replicas_per_node = 1;        // the instance's GPUs / tensor_parallel, rounded down
  catalog::Basis basis = catalog::Basis::kOnDemand;
  double usd_per_node_hour = 0.0;   // at the basis, in the site's region
  double on_demand_usd_per_node_hour = 0.0;  // a spot pool's on-demand fallback nodes
  bool spot = false;                // basis == spot
  double notice_s = 0.0;            // spot: warning before a reclaim; the cloud's by default
  Interruptions interruptions;      // spot only
  Replacement replacement;          // spot only
  ColdStart cold_start;
  Autoscale autoscale;
  // The most nodes the pool can hold at once: draining nodes and their
  // replacements, fallback nodes and the spot nodes that relieve them.
  // The most nodes it wants at once: its size, autoscale maximum or largest scheduled hour.
  int most_nodes() const;
  int node_slots() const;
  // Reserved and owned nodes are billed whether used or not: the pool's largest size.
  bool committed() const {
    return basis == catalog::Basis::kReserved1y || basis == catalog::Basis::kReserved3y || basis == catalog::Basis::kOwned;
  }
};

struct Site {
  std::string name;
  enum class Kind { kEdge, kCloud } kind = Kind::kCloud;
  std::string region;               // price lookups
  std::string cloud = "generic";    // notice and boot defaults (clouds.json)
  std::vector<Pool> pools;
};

struct Link {
  std::string a;
  std::string b;
  double rtt_ms = 0.0;
};

struct Routing {
  enum class Policy { kNearest, kLatencyBudget, kLeastLoaded };
  Policy policy = Policy::kNearest;
  // Latency-budget spill-over: a site is skipped when its estimated wait plus
  // the round trip would exceed this share of the class's SLO threshold.
  double budget_share = 1.0;
  int max_spill_sites = 2;
  // Prefix-aware routing within a site: a request goes to the replica that
  // last served its shared head (system prompt, persona, repeated prompt)
  // when that replica's cache holds more of it than the least-loaded one's,
  // unless more than prefix_affinity_max_waiting requests already wait there.
  bool prefix_affinity = false;
  int prefix_affinity_max_waiting = 8;
};

struct Cost {
  double egress_usd_per_gb = 0.09;
  double bytes_per_token = 4.0;        // wire bytes per token, both directions
  double reviewer_usd_per_hour = 15.0;
  double reviewer_items_per_hour = 100.0;
};

struct Simulation {
  double duration_h = 1.0;
  double warmup_h = 0.0;
  double start_hour_utc = 0.0;
  std::uint64_t seed = 1;
  int replications = 1;
  double interval_s = 60.0;            // time-series interval
  double max_queue_s = 30.0;           // a request waiting longer than this is dropped
  bool step_by_step = false;           // reference mode: one event per iteration
};

struct Scenario {
  std::string name;
  std::string description;
  std::string source_path;             // where it was read from ("" for an in-memory dict)
  std::string sha256;                  // of the canonical JSON after overrides
  std::string canonical_json;          // the document after overrides, compact
  Simulation simulation;
  Workload workload;
  std::vector<InteractionClass> classes;
  std::vector<Deployment> deployments;
  std::vector<Site> sites;
  std::vector<Link> links;
  Routing routing;
  Cost cost;

  const Deployment& deployment(const std::string& name) const;
};

}  // namespace capstan::scenario
