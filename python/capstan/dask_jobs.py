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
import uuid
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
    from capstan.result import run_replication

    # Validated before anything is sent: the command line has checked them already, so this only resolves
    # each scenario's relative paths and replication count.
    runs = []
    try:
        for job in jobs:
            scenario = _scenario(job)
            overrides = scenario.run_overrides(job["overrides"])
            doc = json.loads(_core.validate(text=scenario.text, source=scenario.source, overrides=overrides))
            count = job["replications"] if job["replications"] is not None else int(doc["simulation"]["replications"])
            runs.append((scenario, overrides, count))
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
    tag = uuid.uuid4().hex
    try:
        futures = [[client.submit(run_replication, scenario.text, scenario.source, overrides, job["seed"], count, r,
                                  bool(job["log_requests"]), key=f"capstan-replication-{tag}-{i}-{r}", pure=False,
                                  retries=2)
                    for r in range(count)]
                   for i, (job, (scenario, overrides, count)) in enumerate(zip(jobs, runs))]
        try:
            for i, (job, (scenario, overrides, count)) in enumerate(zip(jobs, runs)):
                parts = client.gather(futures[i])
                report, series, summary, requests = _core.merge_replications(
                    text=scenario.text, source=scenario.source, overrides=overrides, seed=job["seed"],
                    replications=count, parts=parts, log_requests=bool(job["log_requests"]))
                with open(os.path.join(directory, f"result-{i}.json"), "w", encoding="utf-8") as out:
                    json.dump({"report_json": report, "timeseries_csv": series, "summary": summary,
                               "requests_csv": requests}, out)
        finally:
            client.cancel([f for run in futures for f in run])
    except Exception as e:
        return fail(f"a task failed on the Dask cluster at {address}: {type(e).__name__}: {e}")
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
