"""Sweeps: run a scenario at every point of a grid of overrides, locally or on a Dask cluster."""
from __future__ import annotations

import itertools
import json
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from capstan import _core
from capstan.scenario import Scenario, load, overrides_from

def run_point(text: str, source: str, overrides: list[str], seed: int | None, replications: int | None,
              threads: int) -> str:
    """Run one sweep point and return its report.json text. This is the Dask task: it needs nothing but capstan
    importable on the worker (the scenario travels as JSON text, not as a path)."""
    report_json, _, _, _ = _core.run(text=text, source=source, overrides=overrides, seed=seed,
                                  replications=replications, threads=threads)
    return report_json


def figures(report: Mapping[str, Any]) -> dict[str, Any]:
    """The figures a sweep keeps from one report, as ``capstan sweep`` writes them to sweep.csv (one definition,
    in the compiled core): ``seed``, ``replications``, the cost (without its breakdown), tokens, users and requests
    sections as ``<section>.<figure>``; per class ``<class>.<figure>`` (requests, completed, dropped, lost, ttft/tpot/e2e
    percentiles in ms, network_ms_mean, prompt_tokens_mean, prompt_tokens_max, slo_attainment, slo_percentile_ms,
    slo_threshold_ms); per site its gpu_utilization, kv_occupancy, queue_length_mean, replicas and preemptions; per
    pool its gpu_hours, ready_gpus_mean, interruptions, cold_starts, requests migrated, lost and dropped and
    fallback_gpu_hours; intervals beside each when the report has them."""
    return dict(json.loads(_core.sweep_figures(json.dumps(report))))


def _axis(key: Any, values: Any) -> list[Any]:
    if not isinstance(key, str) or not key:
        raise ValueError(f"grid keys are 'key.path' strings, got {key!r}")
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise ValueError(f"grid[{key!r}] must be a list of values, got {values!r}")
    values = list(values)
    if not values:
        raise ValueError(f"grid[{key!r}] is empty")
    return values


def _points(grid: Mapping[str, Sequence[Any]] | None,
            points: Sequence[Mapping[str, Any]] | None) -> tuple[list[str], list[dict[str, Any]]]:
    """The sweep's points as {key.path: value} dicts, and the keys in column order."""
    if grid is not None and not isinstance(grid, Mapping):
        raise ValueError("grid= takes a dict {'key.path': [value, ...]}")
    grid = dict(grid or {})
    axes = {key: _axis(key, values) for key, values in grid.items()}
    if points is not None:
        if isinstance(points, (str, bytes, Mapping)) or not isinstance(points, Iterable):
            raise ValueError("points= takes a list of dicts {'key.path': value}")
        points = [dict(p) for p in points]
        if not points or not all(points):
            raise ValueError("points= must be a non-empty list of non-empty dicts")
    if not axes and points is None:
        raise ValueError("give grid= (a dict {'key.path': [value, ...]}) or points= (a list of dicts)")
    keys: list[str] = []
    for p in points or []:
        keys += [k for k in p if k not in keys]
    overlap = [k for k in axes if k in keys]
    if overlap:
        raise ValueError(f"keys in both grid= and points=: {overlap}")
    keys += list(axes)
    out = []
    for head in points or [{}]:
        for combo in itertools.product(*axes.values()):
            out.append({**head, **dict(zip(axes, combo))})
    return keys, out


def sweep(scenario: Scenario | str | os.PathLike | Mapping, grid: Mapping[str, Sequence[Any]] | None = None,
          replications: int | None = None, seed: int | None = None, client: Any = None, threads: int = 0,
          set: Mapping[str, Any] | Iterable[str] | None = None, crn: bool = True,
          points: Sequence[Mapping[str, Any]] | None = None,
          progress: Callable[[int, int | None], None] | None = None) -> pd.DataFrame:
    """Run `scenario` at every point of `grid` and return one DataFrame row per point.

    `grid` maps override paths to lists of values, ``{"workload.peak_users": [25000, 50000]}``; the points are
    their cartesian product, the first key varying slowest. `points` is a list of override dicts for points that
    are not a product (e.g. several pools scaled together); with both, every entry of `points` is combined with
    every grid point. `set` holds overrides applied at every point.

    Columns: the swept keys, then the figures of `figures()` (the same columns ``capstan sweep`` writes to
    sweep.csv); with replications > 1 each figure X has ``X_ci95_low`` and ``X_ci95_high`` beside it. The index
    is the point number.

    Common random numbers: every point runs with the same seed (`seed`, or the scenario's own), so that
    differences between points are not noise. ``crn=False`` gives point i the seed ``seed + i``.

    `client` is an optional ``dask.distributed.Client``: each point becomes one Dask task (retried when its
    worker dies), and the frame is identical to a local run's. Workers need capstan importable, nothing else:
    the scenario travels as JSON text. `threads` is the number of replication threads per run (0: all cores
    locally, 1 per task on Dask, where the cluster's workers give the parallelism).

    `progress(done, total)` is called with the points finished and their number, once before the first runs
    and after each (in the order they finish on Dask); ``capstan.progress_bar()`` draws a bar.

    Every point is validated before anything runs, so a bad value raises capstan.ScenarioError at once.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    keys, points = _points(grid, points)
    base = overrides_from(set)
    point_overrides = [scenario.run_overrides(base + overrides_from(point)) for point in points]
    for overrides in point_overrides:
        _core.validate(text=scenario.text, source=scenario.source, overrides=overrides)

    if crn or "simulation.seed" in keys:
        seeds = [seed] * len(points)
    else:
        first = seed if seed is not None else int(scenario.to_dict().get("simulation", {}).get("seed", 1))
        seeds = [first + i for i in range(len(points))]

    total = len(point_overrides)
    if progress is not None:
        progress(0, total)
    if client is None:
        reports = []
        for ov, s in zip(point_overrides, seeds):
            reports.append(run_point(scenario.text, scenario.source, ov, s, replications, threads))
            if progress is not None:
                progress(len(reports), total)
    else:
        task_threads = threads if threads > 0 else 1
        tag = uuid.uuid4().hex
        futures = [
            client.submit(run_point, scenario.text, scenario.source, ov, s, replications, task_threads,
                          key=f"capstan-sweep-{tag}-{i}", pure=False, retries=2)
            for i, (ov, s) in enumerate(zip(point_overrides, seeds))
        ]
        try:
            if progress is not None:
                from distributed import as_completed
                for done, _ in enumerate(as_completed(futures), start=1):
                    progress(done, total)
            reports = client.gather(futures)  # in submission order, i.e. by point index
        finally:
            client.cancel(futures)

    rows = []
    for point, report_json in zip(points, reports):
        row = {key: point.get(key) for key in keys}
        row.update(figures(json.loads(report_json)))
        rows.append(row)
    df = pd.DataFrame(rows)
    df.index.name = "point"
    return df
