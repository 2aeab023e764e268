"""The plot ``capstan plan`` draws from its frontier.csv: every candidate fleet's cost per user-hour against how
close it came to its SLOs, the frontier marked.

    /usr/bin/python3 -m capstan.plan_plots OUT/frontier.csv OUT
"""
from __future__ import annotations

import argparse
import os
import sys

import pandas as pd
from matplotlib.figure import Figure


def frontier(df: pd.DataFrame) -> Figure:
    """Cost per user-hour against the worst SLO ratio (a class's SLO percentile's upper interval end over its
    threshold; 1 is the limit) of each candidate fleet, feasible ones filled, the cost-against-SLO frontier joined."""
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.subplots()
    ok = df["feasible"] == 1
    ratio = df["worst_slo_ratio"]
    known = ratio.notna() & (ratio > 0)
    # Ratios spanning more than a factor of 10 (a candidate far over its SLO) go on a log axis, so that one outlier
    # does not squash the others against the limit.
    wide = known.any() and ratio[known].max() / ratio[known].min() > 10
    ax.scatter(ratio[ok & known], df.loc[ok & known, "cost_per_user_hour_usd"], label="meets every SLO")
    ax.scatter(ratio[~ok & known], df.loc[~ok & known, "cost_per_user_hour_usd"], facecolors="none",
               edgecolors="tab:red", label="misses an SLO")
    front = df[(df["frontier"] == 1) & known].sort_values("worst_slo_ratio")
    ax.plot(front["worst_slo_ratio"], front["cost_per_user_hour_usd"], color="black", linewidth=1, label="frontier")
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    if wide:
        ax.set_xscale("log")
    # A candidate with a class that completed nothing has no ratio: marked at the right edge.
    if (~known).any():
        right = ax.get_xlim()[1]
        ax.scatter([right] * int((~known).sum()), df.loc[~known, "cost_per_user_hour_usd"], marker=">",
                   color="tab:red", clip_on=False, label="a class completed nothing")
    ax.set_xlabel("worst SLO percentile / threshold (upper 95% end)" + (", log scale" if wide else ""))
    ax.set_ylabel("USD per user-hour")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m capstan.plan_plots", description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("out_dir")
    args = parser.parse_args(argv)
    fig = frontier(pd.read_csv(args.csv))
    for ext in ("png", "svg"):
        path = os.path.join(args.out_dir, f"frontier.{ext}")
        fig.savefig(path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
