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
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; overflow-wrap: break-word; }
th { font-weight: 600; vertical-align: bottom; }
th:first-child, td:first-child { text-align: left; }
table.wide { font-size: 0.8em; } table.wide th, table.wide td { padding: 0.2em 0.35em; }
table.text td, table.text th { text-align: left; } table.text td:first-child { white-space: nowrap; }
td.met { color: #0a6b28; font-weight: 600; } td.missed { color: #b00020; font-weight: 600; }
.figure svg { max-width: 100%; height: auto; } div.table { max-width: 100%; overflow-x: auto; }
p, .note { text-align: left; } .note { color: #555; font-size: 0.9em; }
pre { background: #f6f6f6; padding: 0.8em; font-size: 0.74em; white-space: pre-wrap; overflow-wrap: anywhere; }
"""



def svg(fig: Figure) -> str:
    """The figure as an inline <svg> element (no XML prologue)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return '<div class="figure">' + text[text.index("<svg"):] + "</div>"


def _breakable(name: str) -> str:
    """A column name that may wrap after its dots and underscores (``dialogue.slo_percentile_ms``)."""
    text = html.escape(name)
    return text.replace(".", ".<wbr>").replace("_", "_<wbr>")


def table(header: Iterable[str], rows: Iterable[Iterable[object]], classes: Iterable[Iterable[str]] | None = None,
          css: str = "") -> str:
    header = list(header)
    head = "".join(f"<th>{_breakable(str(h))}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        row_classes = list(classes[i]) if classes is not None else []
        cells = []
        for j, cell in enumerate(row):
            cls = row_classes[j] if j < len(row_classes) and row_classes[j] else ""
            cells.append(f'<td class="{cls}">{html.escape(str(cell))}</td>' if cls else f"<td>{html.escape(str(cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if len(header) > 8:  # many columns: a smaller type, so that they fit half a laptop screen
        css = (css + " wide").strip()
    opening = f'<table class="{css}">' if css else "<table>"
    # In a box of the page's width: a table wider than a narrow window scrolls in its box, never the page.
    return f'<div class="table">{opening}<tr>{head}</tr>{"".join(body)}</table></div>'


def page(title: str, sections: Iterable[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            + "".join(sections) + "</body></html>\n")


def _num(x: float, digits: int = 4) -> str:
    """A figure as people read it: no scientific notation for everyday sizes, thousands separated, a count whole
    (343,762 requests, 39,720 ms, 0.0255 USD); '-' where it is missing."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    magnitude = abs(x)
    if magnitude >= 1000 or (magnitude >= 100 and float(x).is_integer()):
        return f"{x:,.0f}"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" not in text:
        return text
    # A small figure (a cost per interaction): as many decimals as its significant digits need.
    return f"{x:.{max(0, digits - 1 - int(math.floor(math.log10(magnitude))))}f}"


def _interval(d: Mapping, key: str, digits: int = 4) -> str:
    low, high = d.get(key + "_ci95", [None, None])
    value = _num(d[key], digits)
    return value if low is None else f"{value} [{_num(low, digits)}, {_num(high, digits)}]"


# ---- a run ----

def _manifest(manifest: Mapping) -> str:
    rows = [(key, manifest[key]) for key in ("scenario", "capstan_version", "scenario_sha256", "seed", "replications",
                                             "duration_h", "warmup_h", "mode", "service_time_model",
                                             "service_time_profiles") if key in manifest]
    return "<h2>Manifest</h2>" + table(["field", "value"], rows, css="text")


def _pools(report: Mapping) -> str:
    pools = report.get("pools", {})
    if not pools:
        return ""
    columns = [("capacity", "capacity"), ("instance", "instance"), ("usd_per_node_hour", "USD per node-hour"),
               ("gpu_hours", "GPU-hours"), ("ready_gpus_mean", "ready GPUs"),
               ("gpu_utilization", "GPU busy"), ("interruptions", "interruptions"), ("cold_starts", "cold starts"),
               ("requests_migrated", "migrated"), ("requests_lost", "lost"), ("requests_dropped", "dropped"),
               ("fallback_gpu_hours", "fallback GPU-hours")]
    # A column that reads 0 for every pool (nothing lost, no fallback) says nothing: left out.
    always = {"capacity", "usd_per_node_hour", "gpu_hours", "ready_gpus_mean", "gpu_utilization"}
    columns = [(key, title) for key, title in columns
               if key in always or any(isinstance(p.get(key), (int, float, str)) and p.get(key) for p in pools.values())]
    rows = []
    for name, p in pools.items():
        row = [name]
        for key, _ in columns:
            value = p.get(key)
            if key == "gpu_utilization" and isinstance(value, (int, float)):
                row.append(f"{100 * value:.1f}%")
            else:
                row.append(_num(value))  # a number as people read it, text as it is, '-' where missing
        rows.append(row)
    return ("<h2>Node pools</h2><p class=\"note\">Over the measured window. GPU busy: the share of time the pool's "
            "GPUs run an iteration. Interruptions: spot nodes reclaimed; fallback: on-demand stand-ins.</p>"
            + table(["pool"] + [title for _, title in columns], rows))


def _classes(report: Mapping) -> str:
    rows, marks = [], []
    for name, c in report["classes"].items():
        slo = c["slo"]
        met = slo["met"] >= 1.0
        rows.append((name, _num(c["requests"]), _num(c["dropped"]),
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
    # Categories nothing was billed to are left out.
    breakdown = {k: v for k, v in cost["breakdown_usd"].items() if not k.endswith("_ci95") and v}
    ledger = [(k, _interval(cost["breakdown_usd"], k)) for k in breakdown]
    html = ("<h2>Cost (USD)</h2>" + table(["figure", "USD [95% interval]"], rows)
            + "<h3>Ledger by category</h3>" + table(["category", "USD [95% interval]"], ledger))
    month = cost.get("monthly")
    if month:
        monthly = [("total", _interval(month, "total_usd"))]
        if "per_1000_mau_usd" in month:
            monthly.append(("per 1,000 monthly active users", _interval(month, "per_1000_mau_usd")))
        monthly += [(k, _interval(month["breakdown_usd"], k)) for k, v in month["breakdown_usd"].items()
                    if not k.endswith("_ci95") and v]
        html += ("<h3>A month at the diurnal curve</h3><p class=\"note\">730 hours projected from the measured "
                 "window: reserved and owned pools at their largest size, scheduled pools hour by hour, autoscaled "
                 "pools by the day's users, the rest at the window's rate (docs/fleet.md).</p>"
                 + table(["category", "USD [95% interval]"], monthly))
    return html


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
        _warmup(ax, warmup, "warm-up: not measured")
    return fig


def _warmup(ax, warmup_h: float, text: str = "warm-up") -> None:
    """Shades the warm-up and says what it is, so that an empty stretch reads as intended."""
    if warmup_h <= 0:
        return
    ax.axvspan(0, warmup_h, color="grey", alpha=0.12, linewidth=0)
    ax.text(warmup_h / 2, 0.5, text, transform=ax.get_xaxis_transform(), ha="center", va="center", fontsize=8,
            color="#555")


def pool_style(i: int) -> dict:
    """The i-th pool's line: tab20's twenty colours, then again dashed, then dotted: distinct for 60 pools."""
    from matplotlib import colormaps
    colours = colormaps["tab20"].colors
    return {"color": colours[i % len(colours)], "linestyle": ("-", "--", ":")[(i // len(colours)) % 3]}


def fleet_over_time(ts: pd.DataFrame, warmup_h: float = 0.0) -> Figure:
    """Users in session, and each pool's ready GPUs with its cold starts and interruptions marked."""
    pools = [c[len("ready_gpus:"):] for c in ts.columns if c.startswith("ready_gpus:")]
    fig = Figure(figsize=(10, 6))
    ax_users, ax_gpus = fig.subplots(2, 1, sharex=True)
    hours = ts["minute"] / 60.0
    ax_users.plot(hours, ts["users"], color="tab:grey")
    ax_users.set_ylabel("users in session")
    for i, pool in enumerate(pools):
        line, = ax_gpus.plot(hours, ts[f"ready_gpus:{pool}"], label=pool, linewidth=1.2, **pool_style(i))
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
    for ax in (ax_users, ax_gpus):
        _warmup(ax, warmup_h)
    return fig


def cost_over_time(ts: pd.DataFrame, warmup_h: float = 0.0) -> Figure:
    fig = Figure(figsize=(10, 2.6))
    ax = fig.subplots()
    ax.plot(ts["minute"] / 60.0, ts["cost_usd_per_hour"], color="tab:green")
    ax.set_ylabel("USD per hour")
    ax.set_xlabel("hour of the run")
    ax.set_title("cost rate", loc="left", fontsize=10)
    _warmup(ax, warmup_h, "warm-up: billed, not in the report's cost")
    return fig


def cost_breakdown(report: Mapping) -> Figure:
    """The ledger as bars, each labelled with its amount; on a log axis when the amounts span over 100x, so that
    a category of a few dollars beside one of thousands still shows."""
    breakdown = {k: v for k, v in report["cost"]["breakdown_usd"].items() if not k.endswith("_ci95")}
    fig = Figure(figsize=(10, 0.5 + 0.4 * len(breakdown)))
    ax = fig.subplots()
    names = list(breakdown)
    values = [breakdown[n] or 0.0 for n in names]
    positive = [v for v in values if v > 0]
    log = bool(positive) and max(positive) / min(positive) > 100
    bars = ax.barh(names, values, color="tab:blue")
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
        ax.set_xlim(min(positive) / 3, max(positive) * 6)
    else:
        ax.set_xlim(0, (max(values) if values else 1) * 1.18 or 1)
    for bar, v in zip(bars, values):
        at = v if v > 0 else (ax.get_xlim()[0] if log else 0)
        ax.text(at, bar.get_y() + bar.get_height() / 2, f"  ${v:,.2f}", va="center", fontsize=8)
    ax.set_xlabel("USD over the measured window" + (", log scale" if log else ""))
    return fig


def run_page(report: Mapping, ts: pd.DataFrame) -> str:
    m = report["manifest"]
    title = f"capstan report: {m.get('scenario', '')}"
    intro = (f"<h1>{html.escape(title)}</h1><p class=\"note\">{_num(m.get('duration_h', 0), 3)} h simulated, "
             f"the first {_num(m.get('warmup_h', 0), 3)} h warm-up (shaded), {m.get('replications')} replications, "
             f"seed {m.get('seed')}. Intervals are 95% confidence intervals over the replications.</p>")
    warmup = m.get("warmup_h", 0.0)
    return page(title, [
        intro, _classes(report), _cost(report), _pools(report),
        "<h2>SLO metric over the run</h2>", svg(slo_over_time(report, ts)),
        "<h2>Users and ready GPUs per pool</h2>", svg(fleet_over_time(ts, warmup)),
        "<h2>Cost rate over the run</h2>", svg(cost_over_time(ts, warmup)),
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
    # Short headers: "dialogue SLO ms", "dialogue attained", "USD per user-hour".
    titles = [c if c in keys else c.replace(".slo_percentile_ms", " SLO ms").replace(".slo_attainment", " attained")
              .replace("cost.per_user_hour_usd", "USD per user-hour") for c in shown]
    return page(title, [
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Cost per user-hour</h2>",
        svg(plot.cost_vs_load(df, x=x, y="cost.per_user_hour_usd", by=by, ylabel="USD per user-hour",
                              title=f"cost per user-hour against {x}")),
        "<h2>SLO percentiles</h2>", svg(plot.slo_vs_load(df, x=x, by=by, title=f"SLO percentiles against {x}")),
        "<h2>Points</h2>", table(titles, rows)])


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
