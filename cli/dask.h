#pragma once
// `--dask ADDRESS`: the command line's runs (a run, a sweep's points, a
// batch of plan candidates) go to a Dask cluster through the Python package
// (capstan.dask_jobs): every replication is one task, each run's
// replications are merged as api::merge_replications does, and the results
// are bit for bit those of a local run.
#include <string>
#include <vector>

#include "models/api/api.h"

namespace capstan::cli {

// Runs the requests on the scheduler at `address`; their outputs in order
// (replication_figures left empty). Validates every request here first
// (a ScenarioError before anything is sent). Throws std::runtime_error
// when no Python can import capstan and dask.distributed, the scheduler
// cannot be reached, or a task fails.
std::vector<api::RunOutput> run_on_dask(const std::string& address, const std::vector<api::RunRequest>& runs);

}  // namespace capstan::cli
