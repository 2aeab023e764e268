"""Forecast regression from Python: the same check as ``capstan regress``, as a DataFrame."""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from capstan import _core
from capstan.scenario import overrides_from

COLUMNS = ["baseline_file", "scenario", "cause", "test", "figure", "kind", "baseline", "now", "change", "p_value",
           "significant", "tolerance", "verdict"]


def regress(baselines: Iterable[str | os.PathLike] | str | os.PathLike | None = None,
            set: Mapping[str, Any] | Iterable[str] | None = None, seed: int | None = None,
            level: float | None = None, threads: int = 0, update: bool = False) -> pd.DataFrame:
    """Re-run each baseline's scenario as the baseline was made and compare, figure by figure (docs/ci.md).

    `baselines` are baseline files (default: every ``*.baseline.json`` under ``scenarios/``). `set` holds overrides
    for the re-run (a what-if: "what would this price change do to the forecasts"), `seed` re-runs with another
    seed, `level` replaces the baselines' significance level. Returns one row per (baseline, figure) with the
    baseline's and the new mean, the relative change, the p-value, the tolerance and the verdict (``ok``, ``within
    tolerance``, ``drift``, ``missing``, ``new``); ``df.attrs["drifted"]`` says whether any figure drifted.

    With ``update=True`` the baselines are rewritten from a new run (with `set` recorded in them) and the frame
    lists each file with its figure count.
    """
    if baselines is None:
        paths: list[str] = []
    elif isinstance(baselines, (str, os.PathLike)):
        paths = [os.fspath(baselines)]
    else:
        paths = [os.fspath(b) for b in baselines]
    text = _core.regress(baselines=paths, overrides=overrides_from(set), seed=seed, level=level, threads=threads,
                         update=update)
    if update:
        return pd.DataFrame(json.loads(text))
    rows = []
    for result in json.loads(text):
        for fig in result["figures"]:
            rows.append({
                "baseline_file": result["baseline"], "scenario": result["scenario"], "cause": result["cause"],
                "test": result["test"], "figure": fig["figure"], "kind": fig["kind"],
                "baseline": fig["baseline"], "now": fig["now"], "change": fig["change"], "p_value": fig["p_value"],
                "significant": fig["significant"], "tolerance": fig["tolerance"], "verdict": fig["verdict"]})
    df = pd.DataFrame(rows, columns=COLUMNS)
    df.attrs["drifted"] = bool((df["verdict"].isin(["drift", "missing"])).any())
    return df
