"""One self-contained report.html for a run, a sweep or a plan.

    python3 -m capstan.report_html run REPORT_JSON TIMESERIES_CSV -o report.html
    python3 -m capstan.report_html sweep SWEEP_CSV --x KEY [--by KEY] -o report.html
    python3 -m capstan.report_html plan PLAN_TXT FRONTIER_CSV [--plan PLAN_JSON] -o report.html

The page needs nothing but itself: the plots are matplotlib SVG written into
the HTML, the styles are inline, and there is no script and no link out, so it
opens from disk, offline, and can be mailed as it is. The capstan CLI writes
it beside report.json (run), sweep.csv (sweep) and plan.txt (plan) when this
package and matplotlib are importable.
"""
from __future__ import annotations

import argparse
import html
import io
import json
import math
import sys
from collections.abc import Iterable, Mapping

import pandas as pd
from matplotlib import rcParams
from matplotlib.figure import Figure

from capstan import plot

# Fixed SVG ids, so that the same report gives the same page.
rcParams["svg.hashsalt"] = "capstan"

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.met { color: #0a6b28; font-weight: 600; } td.missed { color: #b00020; font-weight: 600; }
.figure svg { max-width: 100%; height: auto; }
.note { color: #555; font-size: 0.9em; } pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }
"""


def svg(fig: Figure) -> str:
    """The figure as an inline <svg> element (no XML prologue)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return '<div class="figure">' + text[text.index("<svg"):] + "</div>"


def table(header: Iterable[str], rows: Iterable[Iterable[object]], classes: Iterable[Iterable[str]] | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        row_classes = list(classes[i]) if classes is not None else []
        cells = []
        for j, cell in enumerate(row):
            cls = row_classes[j] if j < len(row_classes) and row_classes[j] else ""
            cells.append(f'<td class="{cls}">{html.escape(str(cell))}</td>' if cls else f"<td>{html.escape(str(cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def page(title: str, sections: Iterable[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            + "".join(sections) + "</body></html>\n")


def _num(x: float, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}g}"


def _interval(d: Mapping, key: str, digits: int = 4) -> str:
    low, high = d.get(key + "_ci95", [None, None])
    value = _num(d[key], digits)
    return value if low is None else f"{value} [{_num(low, digits)}, {_num(high, digits)}]"


# ---- a run ----

def _manifest(manifest: Mapping) -> str:
    rows = [(key, manifest[key]) for key in ("scenario", "capstan_version", "scenario_sha256", "seed", "replications",
                                             "duration_h", "warmup_h", "mode", "service_time_model",
                                             "service_time_profiles") if key in manifest]
    return "<h2>Manifest</h2>" + table(["field", "value"], rows)


def _classes(report: Mapping) -> str:
    rows, marks = [], []
    for name, c in report["classes"].items():
        slo = c["slo"]
        met = slo["met"] >= 1.0
        rows.append((name, _num(c["requests"], 7), _num(c["dropped"], 7),
                     f"{slo['metric']} p{slo['percentile']:g} <= {slo['threshold_ms']:g} ms",
                     _interval(slo, "percentile_ms"), _interval(slo, "attainment"), "met" if met else "missed"))
        marks.append([""] * 6 + ["met" if met else "missed"])
    return ("<h2>Interaction classes</h2>"
            + table(["class", "requests", "dropped", "SLO", "percentile (ms) [95% interval]",
                     "attainment [95% interval]", "verdict"], rows, marks))


def _cost(report: Mapping) -> str:
    cost = report["cost"]
    rows = [("per user-hour", _interval(cost, "per_user_hour_usd")),
            ("per interaction", _interval(cost, "per_interaction_usd")),
            ("per million tokens", _interval(cost, "per_million_tokens_usd")),
            ("total", _interval(cost, "total_usd"))]
    breakdown = {k: v for k, v in cost["breakdown_usd"].items() if not k.endswith("_ci95")}
    ledger = [(k, _interval(cost["breakdown_usd"], k)) for k in breakdown]
    return ("<h2>Cost (USD)</h2>" + table(["figure", "USD [95% interval]"], rows)
            + "<h3>Ledger by category</h3>" + table(["category", "USD [95% interval]"], ledger))


def slo_over_time(report: Mapping, ts: pd.DataFrame) -> Figure:
    """Each class's SLO metric per interval against its threshold."""
    classes = list(report["classes"].items())
    fig = Figure(figsize=(10, 2.4 * len(classes)))
    axes = fig.subplots(len(classes), 1, sharex=True, squeeze=False)[:, 0]
    hours = ts["minute"] / 60.0
    warmup = report["manifest"].get("warmup_h", 0.0)
    measured = hours >= warmup  # percentiles count requests sent after the warm-up only
    for ax, (name, c) in zip(axes, classes):
        slo = c["slo"]
        column = f"p{slo['percentile']:g}_{slo['metric']}_ms_{name}"
        if column in ts.columns:
            ax.plot(hours[measured], ts.loc[measured, column], label=f"p{slo['percentile']:g} {slo['metric']}")
        ax.axhline(slo["threshold_ms"], color="black", linestyle="--", linewidth=1, label="SLO threshold")
        ax.set_ylabel("ms")
        ax.set_title(name, loc="left", fontsize=10)
        ax.legend(loc="upper right", fontsize=8)
    axes[-1].set_xlabel("hour of the run")
    for ax in axes:
        ax.axvspan(0, warmup, color="grey", alpha=0.12, linewidth=0)
    return fig


def fleet_over_time(ts: pd.DataFrame) -> Figure:
    """Users in session, and each pool's ready GPUs with its cold starts and interruptions marked."""
    pools = [c[len("ready_gpus:"):] for c in ts.columns if c.startswith("ready_gpus:")]
    fig = Figure(figsize=(10, 6))
    ax_users, ax_gpus = fig.subplots(2, 1, sharex=True)
    hours = ts["minute"] / 60.0
    ax_users.plot(hours, ts["users"], color="tab:grey")
    ax_users.set_ylabel("users in session")
    for pool in pools:
        line, = ax_gpus.plot(hours, ts[f"ready_gpus:{pool}"], label=pool, linewidth=1.2)
        for kind, marker in (("cold_starts", "^"), ("interruptions", "x")):
            column = f"{kind}:{pool}"
            if column in ts.columns:
                hit = ts[column] > 0
                ax_gpus.scatter(hours[hit], ts.loc[hit, f"ready_gpus:{pool}"], marker=marker, color=line.get_color(),
                                s=28, zorder=3)
    ax_gpus.scatter([], [], marker="^", color="black", label="cold start begun")
    ax_gpus.scatter([], [], marker="x", color="black", label="interruption")
    ax_gpus.set_ylabel("ready GPUs")
    ax_gpus.set_xlabel("hour of the run")
    ax_gpus.legend(fontsize=7, ncol=3, loc="upper left", bbox_to_anchor=(0, -0.25))
    return fig


def cost_over_time(ts: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(10, 2.6))
    ax = fig.subplots()
    ax.plot(ts["minute"] / 60.0, ts["cost_usd_per_hour"], color="tab:green")
    ax.set_ylabel("USD per hour")
    ax.set_xlabel("hour of the run")
    ax.set_title("cost rate", loc="left", fontsize=10)
    return fig


def cost_breakdown(report: Mapping) -> Figure:
    breakdown = {k: v for k, v in report["cost"]["breakdown_usd"].items() if not k.endswith("_ci95")}
    fig = Figure(figsize=(10, 0.5 + 0.4 * len(breakdown)))
    ax = fig.subplots()
    names = list(breakdown)
    ax.barh(names, [breakdown[n] for n in names], color="tab:blue")
    ax.invert_yaxis()
    ax.set_xlabel("USD over the measured window")
    return fig


def run_page(report: Mapping, ts: pd.DataFrame) -> str:
    m = report["manifest"]
    title = f"capstan report: {m.get('scenario', '')}"
    intro = (f"<h1>{html.escape(title)}</h1><p class=\"note\">{_num(m.get('duration_h', 0), 3)} h simulated, "
             f"the first {_num(m.get('warmup_h', 0), 3)} h warm-up (shaded), {m.get('replications')} replications, "
             f"seed {m.get('seed')}. Intervals are 95% confidence intervals over the replications.</p>")
    return page(title, [
        intro, _classes(report), _cost(report),
        "<h2>SLO metric over the run</h2>", svg(slo_over_time(report, ts)),
        "<h2>Users and ready GPUs per pool</h2>", svg(fleet_over_time(ts)),
        "<h2>Cost rate over the run</h2>", svg(cost_over_time(ts)),
        "<h2>Cost by category</h2>", svg(cost_breakdown(report)),
        _manifest(m)])


# ---- a sweep ----

def sweep_page(df: pd.DataFrame, x: str, by: str | None = None) -> str:
    title = f"capstan sweep over {x}"
    keys = [k for k in (x, by) if k]
    shown = [c for c in df.columns if c in keys or c.endswith("cost.per_user_hour_usd")
             or c.endswith(".slo_attainment") or c.endswith(".slo_percentile_ms")]
    shown = [c for c in shown if not c.endswith("_ci95_low") and not c.endswith("_ci95_high")]
    rows = [[_num(v) if isinstance(v, float) else v for v in row] for row in df[shown].itertuples(index=False)]
    return page(title, [
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Cost per user-hour</h2>",
        svg(plot.cost_vs_load(df, x=x, y="cost.per_user_hour_usd", by=by, ylabel="USD per user-hour",
                              title=f"cost per user-hour against {x}")),
        "<h2>SLO percentiles</h2>", svg(plot.slo_vs_load(df, x=x, by=by, title=f"SLO percentiles against {x}")),
        "<h2>Points</h2>", table(shown, rows)])


# ---- a plan ----

def plan_page(summary: str, frontier: pd.DataFrame, plan: Mapping | None) -> str:
    from capstan import plan_plots
    title = "capstan plan"
    if plan is not None:
        title += f": {plan.get('name', '')}"
    sections = [f"<h1>{html.escape(title)}</h1>", "<h2>The plan</h2>", f"<pre>{html.escape(summary)}</pre>"]
    if len(frontier):
        sections += ["<h2>Candidates: cost against the worst SLO margin</h2>", svg(plan_plots.frontier(frontier))]
    return page(title, sections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m capstan.report_html", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="kind", required=True)
    run = sub.add_parser("run")
    run.add_argument("report_json")
    run.add_argument("timeseries_csv")
    sweep = sub.add_parser("sweep")
    sweep.add_argument("csv")
    sweep.add_argument("--x", required=True)
    sweep.add_argument("--by")
    plan = sub.add_parser("plan")
    plan.add_argument("plan_txt")
    plan.add_argument("frontier_csv")
    plan.add_argument("--plan", help="plan.json, when there is a plan")
    for p in (run, sweep, plan):
        p.add_argument("-o", "--out", required=True, help="the HTML file to write")
    args = parser.parse_args(argv)
    if args.kind == "run":
        with open(args.report_json, encoding="utf-8") as f:
            report = json.load(f)
        text = run_page(report, pd.read_csv(args.timeseries_csv))
    elif args.kind == "sweep":
        text = sweep_page(pd.read_csv(args.csv, index_col="point", float_precision="round_trip"), args.x, args.by)
    else:
        with open(args.plan_txt, encoding="utf-8") as f:
            summary = f.read()
        plan_doc = None
        if args.plan:
            with open(args.plan, encoding="utf-8") as f:
                plan_doc = json.load(f)
        text = plan_page(summary, pd.read_csv(args.frontier_csv), plan_doc)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
