#pragma once
// The planner's screening stage: before any discrete-event run, how many
// GPUs of a kind a deployment needs, from the service-time model and a
// queueing approximation, and whether its SLOs can hold on that kind at all.
//
// For a deployment on a GPU kind at a tensor-parallel degree:
//   - load: each class it serves, at the measured window's peak of concurrent
//     users (every origin's diurnal curve in its local time), at
//     rate_per_user_hour (a replayed trace at its own rate);
//   - one replica at decode batch b: an iteration decodes b sequences over
//     their mean context (prompt, history, half the output) and prefills a
//     request's prompt, history included (turns are routed one by one, so a
//     turn seldom finds its history cached); a request's latency is the
//     last mile's round trip, one iteration of waiting, its prefill and, for
//     e2e, its output tokens at that iteration time;
//   - the largest batch whose latencies stay within kHeadroom of every
//     class's SLO threshold gives the replica's capacity, and the replicas
//     needed carry the load at kUtilisation of it.
// The figures are estimates for ordering and starting the search; the
// discrete-event runs decide. docs/plan.md, "Screening", says how they are used.
#include <string>
#include <vector>

#include "models/scenario/scenario.h"

namespace capstan::plan {

inline constexpr double kHeadroom = 0.8;      // of each SLO threshold, left for queueing variance
inline constexpr double kUtilisation = 0.75;  // of a replica's capacity at that batch

struct Screened {
  std::string deployment, gpu;
  int tensor_parallel = 1;
  bool meets = false;         // every class's latency within kHeadroom of its SLO at batch 1, unloaded
  bool possible = false;      // every class's floor (below) within its SLO
  int batch = 0;              // the largest batch within every class's headroom
  double requests_per_s = 0;  // the deployment's load at the window's peak
  double replica_requests_per_s = 0;  // one replica's capacity at that batch
  double max_replica_requests_per_s = 0;  // and at full batches (max_running_seqs)
  int gpus = 0;               // replicas needed, rounded up, times the degree (at least one node per pool)
  double usd_per_hour = 0;    // those GPUs at the mean price of the deployment's pools
  // A bound, not an estimate: at least one node per pool, and enough replicas
  // to carry the load at full batches (max_running_seqs) with no SLO at all.
  int min_gpus = 0;
  double min_usd_per_hour = 0;
  // At batch 1, unloaded, for the class whose latency is the largest share of
  // its SLO: the estimate (round trip, one iteration of waiting, its prefill
  // and, for e2e, its output), its floor (no waiting: a request that finds
  // its replica idle) and the iteration it waits for.
  std::string worst_class;
  double unloaded_ms = 0, floor_ms = 0, iteration_ms = 0;
  std::string why;            // when not possible: the class and its floor
};

// `scenario` with the deployment's kind already set (validated, so the model
// fits the GPU at that degree); `pools` the number of its pools and
// `usd_per_gpu_hour` their mean price on this kind.
Screened screen(const scenario::Scenario& scenario, const std::string& deployment, int pools,
                double usd_per_gpu_hour);

}  // namespace capstan::plan
