"""Planning from Python: ``capstan plan``'s search, with candidates run locally or on a Dask cluster."""
from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from capstan import _core
from capstan.scenario import Scenario, load, overrides_from
from capstan.sweep import run_point


class Plan:
    """The outcome of `plan()`: `feasible`, `message` (the verdict in one sentence), `table` (the text
    ``capstan plan`` prints: pools written and planned, cost and SLO figures with intervals, the runners-up and
    why each lost), `summary` (the verdict as a dict, as a Result's `summary` is its report: feasible, message,
    simulations and the planned GPUs per ``"<site>/<pool>"``, an autoscaled pool's ``max_gpus``), `frontier` (a DataFrame of every candidate run),
    `scenario` (the planned scenario, a `Scenario` that `capstan.run` reproduces the plan with; None without a
    plan), `plan_json` (its text), `manifests` ({file name: YAML} when asked for) and `simulations` (candidates
    run)."""

    def __init__(self, out: Mapping[str, Any]):
        self.feasible: bool = out["feasible"]
        self.message: str = out["message"]
        self.table: str = out["summary"]
        self.simulations: int = out["simulations"]
        self.plan_json: str = out["plan_json"]
        self.manifests: dict[str, str] = dict(out["manifests"])
        self.frontier = pd.read_csv(io.StringIO(out["frontier_csv"]))
        self.scenario: Scenario | None = load(json.loads(self.plan_json)) if self.plan_json else None
        planned = json.loads(self.plan_json) if self.plan_json else {}
        self.summary: dict[str, Any] = {
            "feasible": self.feasible, "message": self.message, "simulations": self.simulations,
            # An autoscaled pool's planned size is its autoscale max_gpus.
            "gpus": {f"{site['name']}/{pool['name']}": pool.get("autoscale", {}).get("max_gpus", pool.get("gpus", 0))
                     for site in planned.get("sites", []) for pool in site.get("pools", [])}}

    def __repr__(self) -> str:
        return self.table


def plan(scenario: Scenario | str | os.PathLike | Mapping, space: Mapping[str, Any] | str | os.PathLike | None = None,
         set: Mapping[str, Any] | Iterable[str] | None = None, seed: int | None = None,
         replications: int | None = None, attainment: float | None = None, client: Any = None, threads: int = 0,
         manifests: bool = False, cloud: str = "", progress: Callable[[int, int | None], None] | None = None) -> Plan:
    """The cheapest fleet that meets every SLO, as ``capstan plan`` finds it (docs/plan.md).

    `space` is a space file's content as a dict, or its path; `set` holds overrides of the scenario; `seed` and
    `replications` are those every candidate runs with (default: the scenario's, at least 3 replications);
    `attainment` switches the constraint to the lower end of SLO attainment's interval. With `client` (a
    ``dask.distributed.Client``) every candidate runs as a Dask task (retried when its worker dies), with the same
    results as a local run: the scenario travels as JSON text. `manifests=True` also renders the Kubernetes
    manifests (docs/clouds.md), for `cloud` ("aws", "gcp", "azure" or "generic") when given instead of each
    site's own. `progress(n, None)` is called after each candidate fleet simulated, n counting them (the search
    does not know ahead how many it will run); ``capstan.progress_bar("candidate fleets")`` draws it.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    overrides = list(scenario.run_overrides(overrides_from(set)))
    if space is None or isinstance(space, Mapping):
        space_text = None if space is None else json.dumps(space)
    else:
        with open(space, encoding="utf-8") as f:
            space_text = f.read()
    runner = None
    if client is not None:
        tag = uuid.uuid4().hex
        counter = iter(range(1 << 62))

        def runner(batch: list[list[str]]) -> list[str]:
            # Each candidate's overrides come on top of the scenario's own; seed and replications are in them
            # through the plan's request, so a task needs nothing else.
            futures = [client.submit(run_point, scenario.text, scenario.source, overrides + list(extra), seed_used,
                                     replications_used, 1, key=f"capstan-plan-{tag}-{next(counter)}", pure=False,
                                     retries=2)
                       for extra in batch]
            try:
                return client.gather(futures)
            finally:
                client.cancel(futures)

    # The seed and replications the search uses are the scenario's unless given: resolve them first so that the
    # Dask tasks run exactly what a local run would.
    doc = json.loads(_core.validate(text=scenario.text, source=scenario.source, overrides=overrides))
    seed_used = seed if seed is not None else int(doc["simulation"]["seed"])
    replications_used = replications if replications is not None else max(3, int(doc["simulation"]["replications"]))
    out = _core.plan(text=scenario.text, source=scenario.source, overrides=overrides, space=space_text,
                     seed=seed_used, replications=replications_used, attainment=attainment, threads=threads,
                     manifests=manifests, cloud=cloud, runner=runner, progress=progress)
    return Plan(out)


def manifests(scenario: Scenario | str | os.PathLike | Mapping, set: Mapping[str, Any] | Iterable[str] | None = None,
              cloud: str = "") -> dict[str, str]:
    """The Kubernetes manifests of a scenario's fleet as written, ``{file name: YAML text}``: what
    ``capstan plan --k8s`` writes for the plan it finds, here for any scenario (a plan.json is one). `cloud`
    ("aws", "gcp", "azure" or "generic") writes them for that cloud instead of each site's own (docs/clouds.md).
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    overrides = list(scenario.run_overrides(overrides_from(set)))
    return dict(_core.manifests(text=scenario.text, source=scenario.source, overrides=overrides, cloud=cloud))
