#pragma once
// The report: replications merged into one value that the CLI, the Python
// bindings and the regression check all read. Every figure is the mean over
// replications; with more than one, its Student-t 95% interval sits beside it
// as "<name>_ci95": [low, high].
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/world/prepared.h"
#include "models/world/world.h"

namespace capstan::report {

inline constexpr int kSchemaVersion = 1;

nlohmann::json build(const world::Prepared& prepared, const std::vector<world::ReplicationResult>& runs,
                     std::uint64_t seed);
// One row per interval: the mean over replications.
std::string timeseries_csv(const std::vector<world::ReplicationResult>& runs);
// The short table `capstan run` prints.
std::string summary_table(const nlohmann::json& report);

}  // namespace capstan::report
