#pragma once
// One replication of a scenario: users arrive, interact, their requests cross
// the network to replicas that batch them, and every figure the report needs
// is recorded. simulate() is a pure function of (prepared scenario, seed,
// replication): any thread may run it, and the same arguments give the same
// result bit for bit.
#include <cstdint>
#include <string>
#include <string_view>

#include "models/world/figures.h"
#include "models/world/prepared.h"
#include "sim/timeseries.h"

namespace capstan::world {

struct ReplicationResult {
  Figures figures;
  sim::TimeSeries timeseries{sim::kMinute, sim::kMinute};
  // Conservation over the whole run, warm-up included.
  std::uint64_t arrived = 0;
  std::uint64_t completed = 0;
  std::uint64_t dropped = 0;
  std::uint64_t lost = 0;       // cut off by a node's end, with nowhere to go
  std::uint64_t in_flight = 0;
  std::uint64_t events = 0;
  std::uint64_t sessions = 0;
  // With log_requests: a CSV row (no header, request_log_header()) per request
  // sent after the warm-up that ended within the run.
  std::string requests_csv{};
};

ReplicationResult simulate(const Prepared& prepared, std::uint64_t seed, int replication, bool log_requests = false);

// A replication's result as bytes and back, bit for bit (a replication run
// in another process comes back this way). read_result() consumes what it
// reads and throws std::runtime_error on bytes write_result() did not make.
void write_result(const ReplicationResult& r, std::string& out);
ReplicationResult read_result(std::string_view& in);
// The columns of ReplicationResult::requests_csv.
const char* request_log_header();

}  // namespace capstan::world
