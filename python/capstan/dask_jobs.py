"""The command line's work on a Dask cluster: ``capstan run|sweep|plan --dask ADDRESS`` writes the runs it needs
(a run, the sweep's points, a batch of plan candidates) to a jobs file and runs
``python3 -m capstan.dask_jobs ADDRESS DIR``. Every replication of every run becomes one Dask task (retried when
its worker dies), all sent at once; each run's replications are merged here, as ``capstan.run(client=...)`` does,
so the results are bit for bit those of a local run.

``DIR/jobs.json`` is a list of runs, each ``{"path" | "text" and "source", "overrides", "seed", "replications",
"log_requests"}``; run i's output is ``DIR/result-i.json``: ``{"report_json", "timeseries_csv", "summary",
"requests_csv"}``. Exit status 0 when every run came back; else 1, with the reason in one line in ``DIR/error``
(an invalid scenario, an unreachable scheduler, a failed task).
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any


def _scenario(job: dict[str, Any]):
    from capstan.scenario import load

    if job.get("path"):
        return load(job["path"])  # resolves the file's relative trace and profile paths, as a local run does
    from capstan.scenario import _validated

    return _validated(job["text"], job["source"], (), None)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python3 -m capstan.dask_jobs ADDRESS DIR", file=sys.stderr)
        return 2
    address, directory = argv

    def fail(reason: str) -> int:
        with open(os.path.join(directory, "error"), "w", encoding="utf-8") as f:
            f.write(reason.replace("\n", " "))
        return 1

    with open(os.path.join(directory, "jobs.json"), encoding="utf-8") as f:
        jobs = json.load(f)
    from capstan import _core
    from capstan.result import gather_run, submit_run

    # The command line has validated every run already: this resolves each scenario's relative paths.
    try:
        runs = []
        for job in jobs:
            scenario = _scenario(job)
            runs.append((scenario, scenario.run_overrides(job["overrides"])))
    except _core.ScenarioError as e:
        return fail(str(e))
    try:
        from distributed import Client
    except ImportError:
        return fail("--dask needs dask.distributed (Debian: python3-distributed)")
    try:
        client = Client(address, timeout="30s")
    except Exception as e:  # an unreachable scheduler: OSError, TimeoutError
        return fail(f"cannot reach the Dask scheduler at {address}: {e}")
    submitted = []
    try:
        # Every replication of every run at once, so that the cluster's workers all have work.
        for job, (scenario, overrides) in zip(jobs, runs):
            submitted.append(submit_run(client, scenario.text, scenario.source, overrides, job["seed"],
                                        job["replications"], bool(job["log_requests"])))
        for i, (job, (scenario, overrides), (futures, count)) in enumerate(zip(jobs, runs, submitted)):
            report, series, summary, requests = gather_run(client, futures, scenario.text, scenario.source,
                                                           overrides, job["seed"], count, bool(job["log_requests"]))
            with open(os.path.join(directory, f"result-{i}.json"), "w", encoding="utf-8") as out:
                json.dump({"report_json": report, "timeseries_csv": series, "summary": summary,
                           "requests_csv": requests}, out)
    except _core.ScenarioError as e:
        return fail(str(e))
    except Exception as e:
        return fail(f"a task failed on the Dask cluster at {address}: {type(e).__name__}: {e}")
    finally:
        client.cancel([f for futures, _ in submitted for f in futures])
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
