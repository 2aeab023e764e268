#pragma once
// An estimate of a run's peak memory, from the fields that drive it, so that
// a valid scenario asking for more memory than the machine has is refused at
// validation (exit 2) rather than ending in bad_alloc or the OOM killer hours
// in. The estimate errs high: each part is an upper-end figure per
// replication, times the replications that run at once (docs/limits.md).
#include <cstdint>
#include <string>
#include <vector>

#include "models/world/prepared.h"

namespace capstan::world {

struct MemoryPart {
  std::string pointer;  // the field that drives it
  std::string what;     // "2000000 node slots"
  double bytes = 0.0;   // per replication, or once for shared parts
};

struct MemoryEstimate {
  double bytes = 0.0;               // the whole run's peak
  int at_once = 1;                  // replications running at once
  std::vector<MemoryPart> parts;    // per replication, largest first
};

// `threads` as a run takes it (0: all cores).
MemoryEstimate estimate_memory(const Prepared& prepared, int replications, int threads);

// The default budget: half the machine's physical memory.
double default_memory_budget_bytes();

// Throws scenario::ScenarioError at the largest part's pointer when the
// estimate is over `budget_bytes`, naming the estimate and its parts.
void check_memory(const Prepared& prepared, int replications, int threads, double budget_bytes);

}  // namespace capstan::world
