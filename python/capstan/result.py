"""Running a scenario, and its report as dicts and pandas DataFrames."""
from __future__ import annotations

import functools
import io
import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from capstan import _core
from capstan.scenario import Scenario, load

CI_SUFFIX = "_ci95"


def _column(path: tuple[str, ...]) -> str:
    # ("latency_ms", "ttft", "p95") -> "ttft_p95_ms"; ("slo", "attainment") -> "slo_attainment".
    if len(path) == 3 and path[0] == "latency_ms":
        return f"{path[1]}_{path[2]}_ms"
    return "_".join(path)


def flatten(figures: Mapping[str, Any], prefix: tuple[str, ...] = (), name=_column) -> dict[str, Any]:
    """One report entry as flat {column: value}; ``X_ci95: [low, high]`` becomes ``X_ci95_low`` and ``X_ci95_high``."""
    out: dict[str, Any] = {}
    for key, value in figures.items():
        if key.endswith(CI_SUFFIX) and isinstance(value, (list, tuple)) and len(value) == 2:
            base = name(prefix + (key[: -len(CI_SUFFIX)],))
            out[base + "_ci95_low"], out[base + "_ci95_high"] = value[0], value[1]
        elif isinstance(value, Mapping):
            out.update(flatten(value, prefix + (key,), name))
        else:
            out[name(prefix + (key,))] = value
    return out


def _is_figure(value: Any) -> bool:
    """A figure of report.json: a number, or null where it is missing (a bool is not one)."""
    return value is None or isinstance(value, (int, float)) and not isinstance(value, bool)


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Columns as a pandas user expects them: figures float64 (a missing figure, JSON null, is NaN), an SLO's
    ``met`` a boolean (met in every replication; with replications the share of them is ``slo_met_share``), text
    columns of dtype string."""
    out = {}
    for column in df.columns:
        values = df[column]
        if column == "slo_met" or column.startswith("slo_met_ci95"):
            share = pd.to_numeric(values, errors="raise").astype("float64")
            if column == "slo_met":
                out["slo_met"] = share >= 1.0
                if "slo_met_ci95_low" in df.columns:  # replicated: the share of replications that met it
                    out["slo_met_share"] = share
            else:
                out[column.replace("slo_met", "slo_met_share")] = share
        elif all(_is_figure(v) for v in values):
            out[column] = values.astype("float64")
        else:
            out[column] = values.astype("string")
    return pd.DataFrame(out, index=df.index)


def _table(entries: Mapping[str, Mapping[str, Any]], index_name: str) -> pd.DataFrame:
    rows = {name: flatten(figures) for name, figures in entries.items()}
    df = _typed(pd.DataFrame.from_dict(rows, orient="index"))
    df.index.name = index_name
    return df


def _long(entries: Any, path: tuple[str, ...], out: list[tuple]) -> None:
    # Walks report.json: (path..., figure) -> (mean, low, high) for every number or null figure.
    if not isinstance(entries, Mapping):
        return
    for key, value in entries.items():
        if key.endswith(CI_SUFFIX):
            continue
        if isinstance(value, Mapping):
            _long(value, path + (key,), out)
        elif _is_figure(value):
            low, high = entries.get(key + CI_SUFFIX, (None, None))
            out.append((path, key, value, low, high))


class Result:
    """The outcome of one run: report.json as a dict and as DataFrames, timeseries.csv, the CLI's table.

    Attributes: `summary` (the report as a dict, the same content as report.json),
    `classes`, `sites`, `pools`, `cost`, `timeseries` (DataFrames), `latency` (per
    class and metric), `figures` (every figure in tidy long form), `kpis` (a Series of
    the cost and token figures), `manifest` (dict), `table` (the CLI's summary
    text), `report_json` and `timeseries_csv` (the raw text). With more than
    one replication every figure X has its 95% interval in ``X_ci95_low`` and
    ``X_ci95_high`` beside it. Figures are float64, NaN where missing (a latency
    of a class that completed nothing); a frame's row mixes dtypes only where the
    frame has text columns (``r.figures.loc["classes", "dialogue"]`` is all float).
    """

    def __init__(self, report_json: str, timeseries_csv: str, table: str, scenario: Scenario | None = None,
                 overrides: tuple[str, ...] = (), requests_csv: str = ""):
        self.report_json = report_json
        self.requests_csv = requests_csv
        self.timeseries_csv = timeseries_csv
        self.table = table
        self.scenario = scenario
        self.overrides = tuple(overrides)
        self.summary: dict = json.loads(report_json)

    @property
    def manifest(self) -> dict:
        """The report's manifest: capstan version, scenario hash, seed, replications, service-time model."""
        return self.summary.get("manifest", {})

    @functools.cached_property
    def classes(self) -> pd.DataFrame:
        """One row per interaction class: requests, completed, dropped, ``dropped_by_reason_<queue_timeout|too_long|
        no_capacity|interrupted|rate_limited|client_timeout>``, lost, ``<ttft|tpot|e2e>_<mean|p50|..|p99>_ms``, prompt_tokens_mean,
        prompt_tokens_max, network_ms_mean and ``slo_<metric|threshold_ms|percentile|attainment|met>``; with the
        scenario's features, cache, spill, ``overflow_*`` and ``review_*`` columns (docs/serving.md). Figures are
        float64 (NaN where missing), ``slo_met`` a bool (met in every replication; ``slo_met_share`` gives the share
        of replications when there are several), ``deployment`` and ``slo_metric`` strings."""
        return _table(self.summary.get("classes", {}), "class")

    @functools.cached_property
    def latency(self) -> pd.DataFrame:
        """Latencies in ms, tidy: one row per (class, metric) with metric ttft, tpot and e2e, columns mean, p50, p90,
        p95 and p99 (float64; NaN where the class completed nothing)."""
        rows = {}
        for name, c in self.summary.get("classes", {}).items():
            for metric, figures in c.get("latency_ms", {}).items():
                rows[(name, metric)] = {k: v for k, v in figures.items() if not k.endswith(CI_SUFFIX)}
        df = pd.DataFrame.from_dict(rows, orient="index", dtype="float64")
        df.index = pd.MultiIndex.from_tuples(list(rows), names=["class", "metric"])
        return df

    @functools.cached_property
    def figures(self) -> pd.DataFrame:
        """Every figure of the report in tidy long form: a MultiIndex (section, name, figure), e.g.
        ``("classes", "dialogue", "latency_ms/ttft/p95")`` or ``("cost", "", "per_user_hour_usd")``, and float64
        columns ``mean``, ``ci95_low`` and ``ci95_high`` (NaN without replications, or where a figure is missing)."""
        rows: list[tuple] = []
        for section in ("classes", "sites", "pools", "deployments", "fleet", "cost", "tokens", "users", "requests"):
            entries = self.summary.get(section)
            if not isinstance(entries, Mapping):
                continue
            named = section in ("classes", "sites", "pools", "deployments")
            items = entries.items() if named else [("", entries)]
            for name, figures in items:
                found: list[tuple] = []
                _long(figures, (), found)
                rows.extend((section, name, "/".join(path + (key,)), v, lo, hi) for path, key, v, lo, hi in found)
        df = pd.DataFrame(rows, columns=["section", "name", "figure", "mean", "ci95_low", "ci95_high"])
        df = df.set_index(["section", "name", "figure"]).sort_index()
        return df.astype("float64")

    @functools.cached_property
    def sites(self) -> pd.DataFrame:
        """One row per site: gpu_utilization, kv_occupancy, queue_length_mean (and whatever else the report holds)."""
        return _table(self.summary.get("sites", {}), "site")

    @functools.cached_property
    def pools(self) -> pd.DataFrame:
        """One row per node pool, indexed ``"<site>/<pool>"``: capacity, gpu_hours, ready_gpus_mean, interruptions,
        cold_starts, requests_migrated, requests_lost, requests_dropped, fallback_gpu_hours, gpu_utilization, batch_occupancy and
        kv_occupancy (docs/fleet.md)."""
        return _table(self.summary.get("pools", {}), "pool")

    @functools.cached_property
    def cost(self) -> pd.DataFrame:
        """One row per cost category: ``usd`` (its interval when replicated) and ``share`` of the total."""
        breakdown = self.summary.get("cost", {}).get("breakdown_usd", {})
        rows: dict[str, dict[str, Any]] = {}
        for key, value in breakdown.items():
            if key.endswith(CI_SUFFIX) and isinstance(value, (list, tuple)) and len(value) == 2:
                row = rows.setdefault(key[: -len(CI_SUFFIX)], {})
                row["usd_ci95_low"], row["usd_ci95_high"] = value[0], value[1]
            else:
                rows.setdefault(key, {})["usd"] = value
        df = pd.DataFrame.from_dict(rows, orient="index")
        if df.empty:
            df = pd.DataFrame(columns=["usd"])
        df = df[["usd"] + [c for c in df.columns if c != "usd"]]
        total = df["usd"].sum()
        df["share"] = df["usd"] / total if total else float("nan")
        df.index.name = "category"
        return df

    @functools.cached_property
    def kpis(self) -> pd.Series:
        """The whole-run figures as one Series: ``cost.total_usd``, ``cost.per_user_hour_usd``,
        ``cost.per_interaction_usd``, ``cost.per_million_tokens_usd``, ``tokens.input_per_user_hour``,
        ``tokens.output_per_user_hour``, ``users.*`` and ``requests.*`` when the report has them (and their
        intervals)."""
        figures = {}
        for section in ("cost", "tokens", "users", "requests"):
            entries = {k: v for k, v in self.summary.get(section, {}).items() if k != "breakdown_usd"}
            figures.update(flatten(entries, (section,), name=".".join))
        return pd.Series(figures, dtype="float64", name="value")

    @functools.cached_property
    def timeseries(self) -> pd.DataFrame:
        """timeseries.csv as a DataFrame indexed by a TimedeltaIndex ``time`` (from the run's start): one row per
        interval (minute, users, requests_<class>, p95_<metric>_ms_<class>, busy_gpus, cost_usd_per_hour, ...); a
        percentile of a minute in which no request of the class completed is NaN."""
        if not self.timeseries_csv.strip():
            return pd.DataFrame(index=pd.TimedeltaIndex([], name="time"))
        df = pd.read_csv(io.StringIO(self.timeseries_csv))
        df.index = pd.TimedeltaIndex(pd.to_timedelta(df["minute"], unit="min"), name="time")
        return df

    @functools.cached_property
    def requests(self) -> pd.DataFrame | None:
        """With ``run(..., requests=True)``: one row per request sent after the warm-up, as the CLI's
        ``--requests-csv`` writes it (replication, sent_s, class, origin, site, replica, prompt_tokens,
        cached_tokens, output_tokens, ttft_ms, tpot_ms, e2e_ms, outcome; docs/serving.md). None otherwise."""
        if not self.requests_csv:
            return None
        return pd.read_csv(io.StringIO(self.requests_csv), keep_default_na=False, na_values=[""])

    def save(self, directory: str | os.PathLike) -> None:
        """Write report.json, timeseries.csv and summary.txt into `directory` (created if needed), as the CLI's -o does."""
        os.makedirs(directory, exist_ok=True)
        for name, text in (("report.json", self.report_json), ("timeseries.csv", self.timeseries_csv),
                           ("summary.txt", self.table)):
            with open(os.path.join(directory, name), "w", encoding="utf-8") as f:
                f.write(text)

    def __repr__(self) -> str:
        return self.table if self.table else f"<capstan.Result {len(self.report_json)} bytes of report>"


def run(scenario: Scenario | str | os.PathLike | Mapping, set: Mapping[str, Any] | Iterable[str] | None = None,
        seed: int | None = None, replications: int | None = None, threads: int = 0,
        progress: Callable[[int, int], None] | None = None, max_memory: float | None = None,
        requests: bool = False, client: Any = None) -> Result:
    """Simulate a scenario and return its Result.

    `scenario` is a Scenario from `load()`, or anything `load()` takes (a path
    or a dict). `set` holds overrides ``{"key.path": value}`` applied on top of
    the scenario's own, as the CLI's ``--set``. `seed` and `replications`
    replace the scenario's; `threads` is the number of replication threads
    (0: all cores; the figures do not depend on it). `progress(done, total)` is
    called after each replication. The GIL is released while the simulation runs.
    A run whose estimated peak memory is over `max_memory` bytes (default: half
    the machine's memory) is refused (docs/limits.md). With `requests` the
    Result's `requests` holds one row per request sent after the warm-up.

    With `client` (a ``dask.distributed.Client``) each replication runs as a Dask task (retried when its worker
    dies) and the results are merged here, bit for bit those of a local run; `threads` and `max_memory` are then
    unused (each worker checks one replication against half its own machine's memory).

    Raises capstan.ScenarioError for an invalid scenario or override, or a run over the memory budget.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    overrides = scenario.run_overrides(set)
    if client is not None:
        report_json, timeseries_csv, table, requests_csv = run_on_dask(
            client, scenario.text, scenario.source, list(overrides), seed, replications, requests, progress)
    else:
        report_json, timeseries_csv, table, requests_csv = _core.run(
            text=scenario.text, source=scenario.source, overrides=overrides, seed=seed,
            replications=replications, threads=threads, progress=progress, max_memory=max_memory,
            log_requests=requests)
    return Result(report_json, timeseries_csv, table, scenario, overrides, requests_csv if requests else "")


def run_replication(text: str, source: str, overrides: list[str], seed: int | None, replications: int,
                    replication: int, log_requests: bool = False) -> bytes:
    """One replication of a run, as bytes that ``_core.merge_replications`` merges. This is the Dask task of a
    distributed run: it needs nothing but capstan importable on the worker."""
    return _core.run_replication(text=text, source=source, overrides=overrides, seed=seed,
                                 replications=replications, replication=replication, log_requests=log_requests)


def submit_run(client: Any, text: str, source: str, overrides: list[str], seed: int | None,
               replications: int | None, log_requests: bool = False) -> tuple[list, int]:
    """Send a run's replications to Dask as tasks (retried when their worker dies): the futures, in replication
    order, and their count. The scenario is validated here first, so an invalid one is refused before anything
    is sent."""
    import uuid

    doc = json.loads(_core.validate(text=text, source=source, overrides=overrides))
    count = replications if replications is not None else int(doc["simulation"]["replications"])
    if count < 1:
        raise ValueError("replications must be at least 1")
    tag = uuid.uuid4().hex
    futures = [client.submit(run_replication, text, source, overrides, seed, count, r, log_requests,
                             key=f"capstan-replication-{tag}-{r}", pure=False, retries=2)
               for r in range(count)]
    return futures, count


def gather_run(client: Any, futures: list, text: str, source: str, overrides: list[str], seed: int | None,
               count: int, log_requests: bool = False) -> tuple:
    """The submitted replications gathered and merged: what ``_core.run`` returns, bit for bit."""
    parts = client.gather(futures)
    return _core.merge_replications(text=text, source=source, overrides=overrides, seed=seed, replications=count,
                                    parts=parts, log_requests=log_requests)


def run_on_dask(client: Any, text: str, source: str, overrides: list[str], seed: int | None,
                replications: int | None, log_requests: bool = False,
                progress: Callable[[int, int], None] | None = None) -> tuple:
    """A run's replications as Dask tasks, merged into what ``_core.run`` returns."""
    from distributed import as_completed

    futures, count = submit_run(client, text, source, overrides, seed, replications, log_requests)
    try:
        if progress is not None:
            for done, _ in enumerate(as_completed(futures), start=1):
                progress(done, count)
        return gather_run(client, futures, text, source, overrides, seed, count, log_requests)
    finally:
        client.cancel(futures)
