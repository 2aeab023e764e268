"""The plots ``capstan sweep`` draws from its sweep.csv: cost per user-hour and each class's SLO percentile
against the swept value, as PNG and SVG.

    /usr/bin/python3 -m capstan.sweep_plots OUT/sweep.csv OUT --x workload.peak_users
"""
from __future__ import annotations

import argparse
import os
import sys

import pandas as pd

from capstan import plot


def write_plots(csv_path: str, out_dir: str, x: str, by: str | None = None) -> list[str]:
    """Draws the plots of the sweep in `csv_path` against column `x` (one line per value of `by` when given)
    into `out_dir`; returns the files written."""
    df = pd.read_csv(csv_path, index_col="point", float_precision="round_trip")
    figures = {
        "cost_per_user_hour": plot.cost_vs_load(df, x=x, y="cost.per_user_hour_usd", by=by,
                                                ylabel="USD per user-hour", title=f"cost per user-hour against {x}"),
        "slo_percentiles": plot.slo_vs_load(df, x=x, by=by, title=f"SLO percentiles against {x}"),
    }
    written = []
    for name, fig in figures.items():
        for ext in ("png", "svg"):
            path = os.path.join(out_dir, f"{name}.{ext}")
            fig.savefig(path)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m capstan.sweep_plots", description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("out_dir")
    parser.add_argument("--x", required=True, help="the swept column to plot against")
    parser.add_argument("--by", help="a second swept column: one line per value")
    args = parser.parse_args(argv)
    for path in write_plots(args.csv, args.out_dir, args.x, args.by):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
