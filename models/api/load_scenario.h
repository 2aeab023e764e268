#pragma once
// For C++ callers beside the facade (the planner): a RunRequest's scenario
// as the facade reads it, overrides applied and errors naming the request's
// file. The facade itself keeps to standard types.
#include "models/api/api.h"
#include "models/scenario/scenario.h"

namespace capstan::api {

scenario::Scenario load_scenario(const RunRequest& request);

}  // namespace capstan::api
