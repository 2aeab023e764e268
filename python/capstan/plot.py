"""Plots of sweeps and runs with matplotlib.

Every function returns a `matplotlib.figure.Figure` built without pyplot, so it
needs no display and no backend choice: ``fig.savefig("x.png")`` or ``"x.svg"``
works anywhere, and a notebook shows the figure when it is a cell's value.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

PERCENTILES = ("p50", "p95", "p99")


def _classes(df: pd.DataFrame, suffix: str) -> list[str]:
    return [c[: -len(suffix)] for c in df.columns if isinstance(c, str) and c.endswith(suffix)]


def _line(ax, df: pd.DataFrame, x: str, y: str, label: str, **style) -> None:
    data = df.sort_values(x)
    line, = ax.plot(data[x], data[y], marker="o", label=label, **style)
    low, high = y + "_ci95_low", y + "_ci95_high"
    if low in data.columns and high in data.columns:
        ax.fill_between(data[x], data[low], data[high], color=line.get_color(), alpha=0.2, linewidth=0)


def latency_vs_load(df: pd.DataFrame, x: str = "workload.peak_users", metric: str = "ttft",
                    percentiles: Sequence[str] = PERCENTILES, classes: Sequence[str] | None = None,
                    slo_ms: dict[str, float] | None = None, logy: bool = False, title: str | None = None) -> Figure:
    """Latency percentiles against load from a sweep DataFrame: one panel per class, one line per percentile.

    `x` is the load column (a grid key); `metric` is ``ttft``, ``tpot`` or ``e2e``; the columns read are
    ``<class>.<metric>_<percentile>_ms`` with their 95% band when present. `slo_ms` {class: threshold}
    draws each class's SLO threshold as a dashed line. Returns the Figure.
    """
    available = _classes(df, f".{metric}_{percentiles[0]}_ms")
    classes = list(classes) if classes is not None else available
    if not classes:
        raise ValueError(f"no '<class>.{metric}_{percentiles[0]}_ms' columns in the frame")
    fig = Figure(figsize=(4.2 * len(classes), 3.6), layout="constrained")
    axes = fig.subplots(1, len(classes), squeeze=False)[0]
    for ax, cls in zip(axes, classes):
        for p in percentiles:
            column = f"{cls}.{metric}_{p}_ms"
            if column not in df.columns:
                raise ValueError(f"no column {column!r} in the frame")
            _line(ax, df, x, column, p)
        if slo_ms and cls in slo_ms:
            ax.axhline(slo_ms[cls], color="black", linestyle="--", linewidth=1, label="SLO")
        ax.set_title(cls)
        ax.set_xlabel(x)
        ax.set_ylabel(f"{metric.upper()} (ms)")
        if logy:
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def cost_vs_load(df: pd.DataFrame, x: str = "workload.peak_users", y: str = "cost.per_user_hour_usd",
                 by: str | None = None, ylabel: str | None = None, title: str | None = None) -> Figure:
    """A cost figure against load from a sweep DataFrame, with its 95% band when replicated.

    `y` is any column, by default ``cost.per_user_hour_usd`` (also ``cost.per_interaction_usd``,
    ``cost.per_million_tokens_usd``, ``cost.total_usd``); `by` draws one line per value of another column
    (e.g. a second grid key). Returns the Figure.
    """
    for column in (x, y) + ((by,) if by else ()):
        if column not in df.columns:
            raise ValueError(f"no column {column!r} in the frame")
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    if by is None:
        _line(ax, df, x, y, y)
    else:
        for value, group in df.groupby(by, sort=True):
            _line(ax, group, x, y, f"{by} = {value}")
        ax.legend(fontsize="small")
    ax.set_xlabel(x)
    ax.set_ylabel(ylabel or y)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def slo_vs_load(df: pd.DataFrame, x: str = "workload.peak_users", by: str | None = None,
                classes: Sequence[str] | None = None, title: str | None = None) -> Figure:
    """Each class's SLO percentile against a swept value, with its 95% band and its threshold as a dashed line.

    Reads ``<class>.slo_percentile_ms`` and ``<class>.slo_threshold_ms`` (the columns of a sweep); `by` draws one
    line per value of another column (a second grid key). Returns the Figure, one panel per class.
    """
    available = _classes(df, ".slo_percentile_ms")
    classes = list(classes) if classes is not None else available
    if not classes:
        raise ValueError("no '<class>.slo_percentile_ms' columns in the frame")
    if x not in df.columns:
        raise ValueError(f"no column {x!r} in the frame")
    fig = Figure(figsize=(4.2 * len(classes), 3.6), layout="constrained")
    axes = fig.subplots(1, len(classes), squeeze=False)[0]
    for ax, cls in zip(axes, classes):
        if by is None:
            _line(ax, df, x, f"{cls}.slo_percentile_ms", "SLO percentile")
        else:
            for value, group in df.groupby(by, sort=True):
                _line(ax, group, x, f"{cls}.slo_percentile_ms", f"{by} = {value}")
        threshold = f"{cls}.slo_threshold_ms"
        if threshold in df.columns:
            ax.axhline(float(df[threshold].iloc[0]), color="black", linestyle="--", linewidth=1, label="threshold")
        ax.set_title(cls)
        ax.set_xlabel(x)
        ax.set_ylabel("ms")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


# Panels of a run's time series: (title, column prefix ending in '_', or exact column).
_PANELS = (
    ("concurrent users", "users"),
    ("requests per interval", "requests_"),
    ("p95 latency (ms)", "p95_"),
    ("busy GPUs", "busy_gpus"),
    ("cost rate (USD/h)", "cost_usd_per_hour"),
)


def timeseries(result, columns: Sequence[str] | None = None, title: str | None = None) -> Figure:
    """A run's time series, one panel per quantity against simulated minutes.

    `result` is a capstan.Result (or its ``.timeseries`` DataFrame). By default the panels are users,
    requests per class, p95 latencies per class, busy GPUs and cost rate, those present; `columns` picks
    columns instead, one panel each. Returns the Figure.
    """
    ts = result if isinstance(result, pd.DataFrame) else result.timeseries
    if ts.empty:
        raise ValueError("the run has no time series")
    x = "minute" if "minute" in ts.columns else ts.columns[0]
    if columns is not None:
        panels = [(c, [c], "") for c in columns]
        for c in columns:
            if c not in ts.columns:
                raise ValueError(f"no column {c!r} in the time series")
    else:
        panels = []
        for label, key in _PANELS:
            cols = [c for c in ts.columns if c == key or (key.endswith("_") and c.startswith(key))]
            if cols:
                panels.append((label, cols, key if key.endswith("_") else ""))
    fig = Figure(figsize=(8, 2.2 * len(panels)), layout="constrained")
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (label, cols, prefix) in zip(axes, panels):
        for c in cols:
            ax.plot(ts[x], ts[c], label=c[len(prefix):].replace("_ms_", " "), linewidth=1.2)
        ax.set_ylabel(label, fontsize="small")
        ax.grid(True, alpha=0.3)
        if len(cols) > 1:
            ax.legend(fontsize="x-small", ncol=min(len(cols), 4))
    axes[-1].set_xlabel(f"simulated {x}")
    if title:
        fig.suptitle(title)
    return fig
