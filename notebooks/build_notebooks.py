"""Writes the notebooks in this directory from the cell sources below and, with --execute, runs them so that
the committed copies show their outputs and plots.

    PYTHONPATH=build/python /usr/bin/python3 notebooks/build_notebooks.py --execute [NAME ...]

Edit the cells here, not in the .ipynb files. Each notebook answers one planning question with the reference
scenarios, in short simulated windows so that it runs top to bottom in a few minutes on two cores.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile
import time

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = pathlib.Path(__file__).resolve().parent

SETUP = r'''
import pathlib
import sys

import pandas as pd
from matplotlib.figure import Figure

try:
    import capstan
except ImportError:  # not on PYTHONPATH: use the default build tree
    sys.path.insert(0, str(pathlib.Path.cwd().parent / "build" / "python"))
    import capstan

%matplotlib inline
pd.set_option("display.precision", 3)
pd.set_option("display.width", 160)
print("capstan", capstan.__version__)
'''

# ---------------------------------------------------------------------------------------------------------------
CAPACITY = [
    new_markdown_cell(r'''
# How many GPUs, where, and at what cost per user-hour for 100k concurrent users?

`scenarios/consumer_world.json` describes a consumer virtual world at **100,000 peak concurrent users** in three
metros (US East 45%, London 30%, Tokyo 25%). NPC dialogue (Llama-3-8B) and reactive behaviour (Llama-3.2-1B) run on
L40S pools at four edge sites, procedural content (Llama-3-70B, TP 4) on H100 pools (part spot) in two cloud
regions, moderation on L4s. Dialogue must start answering within **200 ms at p95**; reactive behaviour must finish
within **50 ms at p95**, network included.

Capacity is decided by the peak. The scenario's default window is the US East evening (01:00 UTC = 20:00 in New
York), when London and Tokyo are at a quarter of their own peaks: the world then holds about 59k users, not 100k.
Each edge site must still carry its own metro's evening, so we size with **every metro at its local peak at once**
(London's and Tokyo's clocks aligned with New York's): 100k concurrent users, the worst case for the shared cloud
pools too. Every run simulates 12 minutes after 3 minutes of warm-up; short windows keep the notebook fast and the
confidence intervals say what that costs in precision. All points of a sweep share their random numbers (the same
users arrive at every point), so differences between points are the fleet's doing, not noise.
'''),
    new_code_cell(SETUP),
    new_code_cell(r'''
scenario = capstan.load("../scenarios/consumer_world.json")
# 12 minutes after 3 of warm-up, with every metro at its local evening peak (New York's clock).
PEAK = {"simulation.duration_h": 0.25, "simulation.warmup_h": 0.05,
        "workload.origins.metro-london.utc_offset_h": -5, "workload.origins.metro-tokyo.utc_offset_h": -5}
world = scenario.to_dict()
fleet = pd.DataFrame([
    {"site": s["name"], "kind": s["kind"], "region": s["region"], "pool": p["name"],
     "deployment": p["deployment"], "gpu": p["gpu"], "gpus": p["gpus"], "capacity": p["capacity"]}
    for s in world["sites"] for p in s["pools"]])
print(f"{scenario.name}: {world['workload']['peak_users']:,.0f} peak users, {fleet.gpus.sum()} GPUs as written")
fleet.pivot_table(index="site", columns="deployment", values="gpus", aggfunc="sum", fill_value=0)
'''),
    new_markdown_cell(r'''
## The fleet as written, at the peak

Two replications, so that each figure comes with its 95% interval.
'''),
    new_code_cell(r'''
base = capstan.run(scenario, set=PEAK, replications=2)
cols = ["requests", "ttft_p50_ms", "ttft_p95_ms", "e2e_p95_ms", "network_ms_mean", "slo_metric",
        "slo_threshold_ms", "slo_percentile_ms", "slo_attainment"]
base.classes[cols]
'''),
    new_code_cell(r'''
print(f"{base.summary['users']['mean_concurrent']:,.0f} concurrent users on average in the window")
print(f"cost per user-hour ${base.kpis['cost.per_user_hour_usd']:.4f} "
      f"[{base.kpis['cost.per_user_hour_usd_ci95_low']:.4f}, {base.kpis['cost.per_user_hour_usd_ci95_high']:.4f}]")
base.sites[["replicas", "gpu_utilization", "kv_occupancy", "queue_length_mean"]]
'''),
    new_markdown_cell(r'''
## Scaling the edge

Dialogue and reactive behaviour are the latency-bound classes, and both are served at the edge. We scale every edge
site's dialogue and reactive pools by the same factor (rounding to whole GPUs) and watch both SLOs and the cost.
The cloud content pools and the moderation pools stay as written.
'''),
    new_code_cell(r'''
EDGE_POOLS = {(s["name"], p["name"]): p["gpus"] for s in world["sites"] if s["kind"] == "edge"
              for p in s["pools"] if p["deployment"] in ("dialogue-8b", "reactive-1b")}
SCALES = [0.75, 1.0, 1.5, 2.0]
points = [{f"sites.{site}.pools.{pool}.gpus": max(1, round(gpus * k)) for (site, pool), gpus in EDGE_POOLS.items()}
          for k in SCALES]
edge = capstan.sweep(scenario, points=points, set=PEAK, replications=2)
edge.insert(0, "edge_scale", SCALES)
edge.insert(1, "edge_gpus", [sum(p.values()) for p in points])
edge.insert(2, "total_gpus", [fleet.gpus.sum() - sum(EDGE_POOLS.values()) + sum(p.values()) for p in points])
edge[["edge_scale", "edge_gpus", "total_gpus", "dialogue.ttft_p95_ms", "dialogue.slo_attainment",
      "reactive.e2e_p95_ms", "reactive.slo_attainment", "cost.per_user_hour_usd"]]
'''),
    new_code_cell(r'''
capstan.plot.latency_vs_load(edge, x="edge_gpus", metric="ttft", classes=["dialogue"], slo_ms={"dialogue": 200},
                             title="Dialogue time to first token against edge GPUs (100k users)")
'''),
    new_code_cell(r'''
capstan.plot.latency_vs_load(edge, x="edge_gpus", metric="e2e", classes=["reactive"], slo_ms={"reactive": 50},
                             title="Reactive end-to-end latency against edge GPUs (100k users)")
'''),
    new_code_cell(r'''
capstan.plot.cost_vs_load(edge, x="edge_gpus", title="Cost per user-hour against edge GPUs (100k users)")
'''),
    new_markdown_cell(r'''
## The answer

The smallest scale at which both latency SLOs hold (attainment at or above their percentile), where its GPUs sit,
and what a user-hour costs there. When no scale meets an SLO, the table above says how far each is (we then keep the
scale that comes closest for dialogue); the reactive budget is the subject of `edge_vs_cloud.ipynb`.
'''),
    new_code_cell(r'''
def meets(row, cls):
    target = world_classes[cls]["slo"]["percentile"] / 100
    return row[f"{cls}.slo_attainment"] >= target

world_classes = {c["name"]: c for c in world["classes"]}
ok_dialogue = edge[edge.apply(lambda r: meets(r, "dialogue"), axis=1)]
ok_both = ok_dialogue[ok_dialogue.apply(lambda r: meets(r, "reactive"), axis=1)]
for label, ok in (("dialogue (200 ms TTFT p95)", ok_dialogue), ("dialogue and reactive", ok_both)):
    if ok.empty:
        print(f"{label}: no scale in {SCALES} meets it")
    else:
        r = ok.iloc[0]
        print(f"{label}: edge x{r.edge_scale} -> {r.edge_gpus:.0f} edge GPUs, {r.total_gpus:.0f} in all, "
              f"${r['cost.per_user_hour_usd']:.4f} per user-hour "
              f"[{r['cost.per_user_hour_usd_ci95_low']:.4f}, {r['cost.per_user_hour_usd_ci95_high']:.4f}]")
'''),
    new_code_cell(r'''
# The cheapest scale that meets both SLOs, else dialogue's, else the one closest to dialogue's.
if not ok_both.empty:
    chosen = ok_both.iloc[0]
elif not ok_dialogue.empty:
    chosen = ok_dialogue.iloc[0]
else:
    chosen = edge.loc[edge["dialogue.slo_attainment"].idxmax()]
k = chosen.edge_scale
where = fleet.copy()
mask = where.apply(lambda p: (p.site, p.pool) in EDGE_POOLS, axis=1)
where.loc[mask, "gpus"] = [max(1, round(g * k)) for g in where.loc[mask, "gpus"]]
print(f"fleet at edge x{k}: {where.gpus.sum()} GPUs")
where.pivot_table(index=["kind", "site", "region"], columns="gpu", values="gpus", aggfunc="sum", fill_value=0)
'''),
    new_markdown_cell(r'''
## The same fleet from 25k to 100k users

A fleet sized for the peak is idle off it: the cost per user-hour falls as load rises, until latency gives way.
'''),
    new_code_cell(r'''
load = capstan.sweep(scenario, grid={"workload.peak_users": [25000, 50000, 100000]},
                     set={**PEAK, **points[SCALES.index(k)]}, replications=2)
load[["workload.peak_users", "dialogue.ttft_p95_ms", "reactive.e2e_p95_ms", "cost.per_user_hour_usd"]]
'''),
    new_code_cell(r'''
capstan.plot.latency_vs_load(load, metric="ttft", classes=["dialogue", "reactive"],
                             slo_ms={"dialogue": 200}, title=f"TTFT against load, edge x{k}")
'''),
    new_code_cell(r'''
capstan.plot.cost_vs_load(load, title=f"Cost per user-hour against load, edge x{k}")
'''),
]

# ---------------------------------------------------------------------------------------------------------------
EDGE_VS_CLOUD = [
    new_markdown_cell(r'''
# Edge or cloud: meeting a 50 ms budget for reactive behaviour, and what it costs

The seed article says reactive behaviour must complete **in under 50 ms**, and that this pushes inference to the
edge. `consumer_world.json` gives the reactive class 60 interactions per user-hour, prompts of about 120 tokens,
answers of 4 tokens, served by Llama-3.2-1B, with the SLO *end-to-end p95 <= 50 ms, network included*.

We compare three placements of the reactive pools, each on two GPU types:

* **edge**: the scenario as written, reactive pools at the Ashburn, London and Tokyo edge sites;
* **regional cloud**: the same GPUs in the cloud region of each metro (a Tokyo cloud region is added, as far from
  its metro as the other cloud regions are from theirs: an assumption, not a measurement);
* **central cloud**: all of them in US East.

Only the reactive class runs: the other classes are switched to a zero-rate placeholder, so that each run is fast
and the cost is the reactive fleet's alone. They run on their own pools in the full world, so this changes nothing
for reactive latency. Each run is 9 minutes after 2 minutes of warm-up with every metro at its local evening peak
(100k users, as in `capacity_100k.ipynb`), all placements with the same random numbers.
'''),
    new_code_cell(SETUP),
    new_code_cell(r'''
import copy
import heapq

scenario = capstan.load("../scenarios/consumer_world.json")
world = scenario.to_dict()
reactive = next(c for c in world["classes"] if c["name"] == "reactive")
BUDGET_MS = reactive["slo"]["threshold_ms"]
WINDOW = {"simulation.duration_h": 0.15, "simulation.warmup_h": 0.03,
          "workload.origins.metro-london.utc_offset_h": -5, "workload.origins.metro-tokyo.utc_offset_h": -5}


def rtt_ms(doc, source):
    """Shortest round trip from `source` to every node over the scenario's links (Dijkstra)."""
    graph = {}
    for link in doc["network"]["links"]:
        graph.setdefault(link["a"], []).append((link["b"], link["rtt_ms"]))
        graph.setdefault(link["b"], []).append((link["a"], link["rtt_ms"]))
    best, todo = {source: 0.0}, [(0.0, source)]
    while todo:
        d, node = heapq.heappop(todo)
        if d > best.get(node, float("inf")):
            continue
        for nxt, w in graph.get(node, []):
            if d + w < best.get(nxt, float("inf")):
                best[nxt] = d + w
                heapq.heappush(todo, (d + w, nxt))
    return best


print(f"reactive: {reactive['rate_per_user_hour']} per user-hour, SLO {reactive['slo']['metric']} "
      f"p{reactive['slo']['percentile']:.0f} <= {BUDGET_MS} ms")
'''),
    new_markdown_cell(r'''
## The budget before any GPU work

The last mile (user to the first network hop) and the round trip to the site come out of the 50 ms before the
model reads a token.
'''),
    new_code_cell(r'''
CLOUD_TOKYO = {"name": "cloud-ap-northeast", "kind": "cloud", "region": "ap-northeast", "pools": []}
CLOUD_TOKYO_RTT_MS = 8.0  # assumed: as far from Tokyo as cloud-us-east is from metro-us-east
edge_sites = [s["name"] for s in world["sites"] if any(p["deployment"] == "reactive-1b" for p in s["pools"])]
rows = []
for origin in world["workload"]["origins"]:
    paths = rtt_ms(world, origin["name"])
    nearest_edge = min(edge_sites, key=lambda s: paths.get(s, float("inf")))
    regional = {"metro-us-east": "cloud-us-east", "metro-london": "cloud-eu-west"}.get(origin["name"])
    regional_rtt = paths[regional] if regional else CLOUD_TOKYO_RTT_MS
    for placement, site, rtt in (("edge", nearest_edge, paths[nearest_edge]),
                                 ("regional cloud", regional or CLOUD_TOKYO["name"], regional_rtt),
                                 ("central cloud", "cloud-us-east", paths["cloud-us-east"])):
        network = origin["last_mile_rtt_ms"] + rtt
        rows.append({"origin": origin["name"], "placement": placement, "site": site,
                     "last_mile_ms": origin["last_mile_rtt_ms"], "rtt_ms": rtt, "network_ms": network,
                     "left_for_serving_ms": BUDGET_MS - network})
budget = pd.DataFrame(rows).set_index(["origin", "placement"])
budget
'''),
    new_markdown_cell(r'''
Whatever the placement, the last mile takes 24-30 ms of the 50. An edge site saves only the few milliseconds
between the metro and its cloud region; the central cloud is out of the question for London and Tokyo before any
GPU work. At the edge, what is left for serving is 16-23 ms: a queue, a prefill of ~120 tokens and 4 decode steps.

## Simulated placements
'''),
    new_code_cell(r'''
OFF = {"name": "off", "hosted": {"input_usd_per_mtok": 0, "output_usd_per_mtok": 0, "ttft_ms": 1, "tpot_ms": 0}}


def reactive_world(placement, gpu="l40s", gpus_per_metro=None):
    """consumer_world with only the reactive class, its pools placed as asked."""
    doc = copy.deepcopy(scenario.to_dict())
    for c in doc["classes"]:
        if c["name"] != "reactive":
            c["rate_per_user_hour"], c["deployment"] = 0, "off"
            c.pop("history", None)
            c["output_tokens"] = {"dist": "constant", "value": 1}
    doc["deployments"] = [d for d in doc["deployments"] if d["name"] == "reactive-1b"] + [OFF]
    doc["deployments"][0]["gpu"] = gpu
    as_written = {s["name"]: p["gpus"] for s in doc["sites"] for p in s["pools"] if p["deployment"] == "reactive-1b"}
    gpus = gpus_per_metro or {"metro-us-east": as_written["edge-ashburn"], "metro-london": as_written["edge-london"],
                              "metro-tokyo": as_written["edge-tokyo"]}
    for s in doc["sites"]:
        s["pools"] = []
    sites = {s["name"]: s for s in doc["sites"]}
    if placement == "edge":
        where = {"metro-us-east": "edge-ashburn", "metro-london": "edge-london", "metro-tokyo": "edge-tokyo"}
    elif placement == "regional cloud":
        doc["sites"].append(copy.deepcopy(CLOUD_TOKYO))
        sites[CLOUD_TOKYO["name"]] = doc["sites"][-1]
        doc["network"]["links"].append({"a": "metro-tokyo", "b": CLOUD_TOKYO["name"], "rtt_ms": CLOUD_TOKYO_RTT_MS})
        where = {"metro-us-east": "cloud-us-east", "metro-london": "cloud-eu-west", "metro-tokyo": CLOUD_TOKYO["name"]}
    else:
        where = dict.fromkeys(gpus, "cloud-us-east")
    for metro, site in where.items():
        pools = sites[site]["pools"]
        if pools:
            pools[0]["gpus"] += gpus[metro]
        else:
            pools.append({"name": "reactive", "deployment": "reactive-1b", "gpus": gpus[metro]})
    return capstan.load(doc)  # sites left without pools stay: they still carry the links


rows = []
for placement in ("edge", "regional cloud", "central cloud"):
    for gpu in ("l40s", "h100"):
        r = capstan.run(reactive_world(placement, gpu), set=WINDOW, replications=2)
        c = r.classes.loc["reactive"]
        rows.append({"placement": placement, "gpu": gpu, "gpus": int(r.sites.replicas.sum()),
                     "e2e_p50_ms": c.e2e_p50_ms, "e2e_p95_ms": c.e2e_p95_ms,
                     "e2e_p95_ci95": f"[{c.e2e_p95_ms_ci95_low:.1f}, {c.e2e_p95_ms_ci95_high:.1f}]",
                     "network_ms_mean": c.network_ms_mean, "attainment": c.slo_attainment,
                     "usd_per_1000_user_hours": 1000 * r.kpis["cost.per_user_hour_usd"]})
placements = pd.DataFrame(rows).set_index(["placement", "gpu"])
placements
'''),
    new_code_cell(r'''
fig = Figure(figsize=(9, 3.8), layout="constrained")
ax_latency, ax_cost = fig.subplots(1, 2)
labels = [f"{p}\n{g}" for p, g in placements.index]
ax_latency.bar(labels, placements.e2e_p95_ms, color=["tab:blue", "tab:orange"] * 3)
ax_latency.axhline(BUDGET_MS, color="black", linestyle="--", label=f"{BUDGET_MS} ms SLO")
ax_latency.set_ylabel("reactive e2e p95 (ms)")
ax_latency.legend()
ax_cost.bar(labels, placements.usd_per_1000_user_hours, color=["tab:blue", "tab:orange"] * 3)
ax_cost.set_ylabel("reactive cost per 1000 user-hours (USD)")
for ax in (ax_latency, ax_cost):
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(True, axis="y", alpha=0.3)
fig.suptitle("Reactive behaviour at 100k users: placement and GPU")
fig
'''),
    new_markdown_cell(r'''
## What meeting the budget costs

More GPUs of the same kind shorten the queue, not the service: we grow the reactive pools (GPUs per metro roughly in
proportion to its users) for the edge and the regional cloud, on both GPU types, and look for the cheapest fleet
that holds the 50 ms p95.
'''),
    new_code_cell(r'''
SIZES = [(1, 1, 1), (2, 1, 1), (4, 3, 3), (8, 6, 6)]
rows = []
for placement in ("edge", "regional cloud"):
    for gpu in ("l40s", "h100"):
        for us, london, tokyo in SIZES:
            gpus = {"metro-us-east": us, "metro-london": london, "metro-tokyo": tokyo}
            r = capstan.run(reactive_world(placement, gpu, gpus), set=WINDOW, replications=2)
            c = r.classes.loc["reactive"]
            rows.append({"placement": placement, "gpu": gpu, "gpus": us + london + tokyo,
                         "e2e_p95_ms": c.e2e_p95_ms, "e2e_p95_ms_ci95_low": c.e2e_p95_ms_ci95_low,
                         "e2e_p95_ms_ci95_high": c.e2e_p95_ms_ci95_high, "attainment": c.slo_attainment,
                         "usd_per_1000_user_hours": 1000 * r.kpis["cost.per_user_hour_usd"],
                         "gpu_utilization": float(r.sites.gpu_utilization[r.sites.replicas > 0].mean())})
sizing = pd.DataFrame(rows)
sizing
'''),
    new_code_cell(r'''
fig = Figure(figsize=(7, 4.2), layout="constrained")
ax = fig.subplots()
for (placement, gpu), group in sizing.groupby(["placement", "gpu"]):
    line, = ax.plot(group.gpus, group.e2e_p95_ms, marker="o", linestyle="-" if placement == "edge" else "--",
                    label=f"{placement}, {gpu}")
    ax.fill_between(group.gpus, group.e2e_p95_ms_ci95_low, group.e2e_p95_ms_ci95_high,
                    color=line.get_color(), alpha=0.2)
ax.axhline(BUDGET_MS, color="black", linestyle=":", label=f"{BUDGET_MS} ms SLO")
ax.set_xlabel("reactive GPUs in all")
ax.set_ylabel("reactive e2e p95 (ms)")
ax.grid(True, alpha=0.3)
ax.legend(fontsize="small")
fig
'''),
    new_code_cell(r'''
target = reactive["slo"]["percentile"] / 100
for (placement, gpu), group in sizing.groupby(["placement", "gpu"], sort=False):
    ok = group[group.attainment >= target]
    if ok.empty:
        print(f"{placement}, {gpu}: no size up to {group.gpus.max()} GPUs holds {BUDGET_MS} ms at p95 "
              f"(best p95 {group.e2e_p95_ms.min():.1f} ms)")
    else:
        r = ok.iloc[0]
        print(f"{placement}, {gpu}: {r.gpus} GPUs hold it (p95 {r.e2e_p95_ms:.1f} ms, attainment {r.attainment:.3f}),"
              f" ${r.usd_per_1000_user_hours:.2f} per 1000 user-hours")
'''),
]

# ---------------------------------------------------------------------------------------------------------------
COST = [
    new_markdown_cell(r'''
# What a user-hour of AI interaction really costs

The seed article: *"Current LLM inference costs run approximately \$0.01-0.03 per thousand tokens for capable models.
A single user in an AI-rich environment might generate 10,000-50,000 tokens per hour of interaction. [...]
organizations face AI compute costs of \$5-15 per user-hour."*

Its own figures do not give its conclusion. We do the arithmetic, then measure tokens per user-hour and the cost
of a user-hour in the simulated `consumer_world.json` (100k users at the metros' peaks), self-hosted and on hosted
APIs.
'''),
    new_code_cell(SETUP),
    new_markdown_cell(r'''
## The seed's arithmetic
'''),
    new_code_cell(r'''
tokens_per_user_hour = [10_000, 50_000]
usd_per_1k_tokens = [0.01, 0.03]
claim = pd.DataFrame([{"tokens_per_user_hour": t, "usd_per_1k_tokens": p, "usd_per_user_hour": t / 1000 * p}
                      for t in tokens_per_user_hour for p in usd_per_1k_tokens])
low, high = claim.usd_per_user_hour.min(), claim.usd_per_user_hour.max()
print(f"the seed's own figures give ${low:.2f}-${high:.2f} per user-hour, not $5-15")
print(f"$5 per user-hour needs {5 / 0.03 * 1000:,.0f} tokens per user-hour at $0.03/1k, "
      f"{5 / 0.01 * 1000:,.0f} at $0.01/1k")
claim
'''),
    new_markdown_cell(r'''
## Tokens per user-hour in a simulated world

The scenario's own window, the US East evening (01:00 UTC; London and Tokyo are then off their peaks, so the whole
fleet serves fewer users than at any metro's own peak), 12 minutes after 3 of warm-up, two replications. Dialogue
prompts carry a 1,000-token persona and several turns of history, so input tokens dominate.
'''),
    new_code_cell(r'''
scenario = capstan.load("../scenarios/consumer_world.json")
world = scenario.to_dict()
PEAK = {"simulation.duration_h": 0.25, "simulation.warmup_h": 0.05}
self_hosted = capstan.run(scenario, set=PEAK, replications=2)
k = self_hosted.kpis
print(f"tokens per user-hour: {k['tokens.input_per_user_hour']:,.0f} in + {k['tokens.output_per_user_hour']:,.0f} out "
      f"= {k['tokens.input_per_user_hour'] + k['tokens.output_per_user_hour']:,.0f}")
self_hosted.cost.round(4)
'''),
    new_code_cell(r'''
rows = []
for c in world["classes"]:
    def mean(d):
        return {"constant": lambda: d["value"], "exponential": lambda: d["mean"], "lognormal": lambda: d["mean"],
                "uniform": lambda: (d["min"] + d["max"]) / 2, "weibull": lambda: float("nan")}[d["dist"]]()
    persona = c.get("history", {}).get("persona_tokens", 0)
    rows.append({"class": c["name"], "per_user_hour": c["rate_per_user_hour"],
                 "new_input_tokens": mean(c["prompt_tokens"]), "persona_tokens": persona,
                 "output_tokens": mean(c["output_tokens"]),
                 "tokens_per_user_hour_without_history": c["rate_per_user_hour"] * (
                     mean(c["prompt_tokens"]) + persona + mean(c["output_tokens"]))})
pd.DataFrame(rows).set_index("class")
'''),
    new_markdown_cell(r'''
## Self-hosted against hosted APIs

The same world with dialogue, reactive behaviour and content sent to a hosted API instead of our GPU pools
(moderation stays on its L4s). Prices per million tokens, input/output, from the providers' 2025-26 list prices:
GPT-4o mini 0.15/0.60 and Claude Haiku 4.5 1/5; and the seed's \$0.01-0.03 per 1k tokens, i.e. \$10-30 per million.
Hosted latencies are an **assumption** (400 ms to first token, 10 ms per output token): they decide SLO attainment
but not cost.
'''),
    new_code_cell(r'''
HOSTED = {
    "hosted GPT-4o mini": (0.15, 0.60),
    "hosted Claude Haiku 4.5": (1.0, 5.0),
    "seed's $0.01/1k": (10.0, 10.0),
    "seed's $0.03/1k": (30.0, 30.0),
}
GENERATIVE = ("dialogue", "reactive", "content")


def hosted_world(input_usd_per_mtok, output_usd_per_mtok):
    doc = scenario.to_dict()
    doc["deployments"].append({"name": "api", "hosted": {
        "input_usd_per_mtok": input_usd_per_mtok, "output_usd_per_mtok": output_usd_per_mtok,
        "ttft_ms": 400, "tpot_ms": 10}})
    for c in doc["classes"]:
        if c["name"] in GENERATIVE:
            c["deployment"] = "api"
    kept = {c["deployment"] for c in doc["classes"]}
    for s in doc["sites"]:
        s["pools"] = [p for p in s["pools"] if p["deployment"] in kept]
    doc["deployments"] = [d for d in doc["deployments"] if d["name"] in kept]
    return capstan.load(doc)


results = {"self-hosted (as written)": self_hosted}
for label, (price_in, price_out) in HOSTED.items():
    results[label] = capstan.run(hosted_world(price_in, price_out), set=PEAK, replications=2)

rows = []
for label, r in results.items():
    user_hours = r.summary["users"]["user_hours"]
    usd = r.cost.usd
    rows.append({
        "option": label,
        "tokens_per_user_hour": r.kpis["tokens.input_per_user_hour"] + r.kpis["tokens.output_per_user_hour"],
        "inference_usd_per_user_hour": usd.drop("human_moderation", errors="ignore").sum() / user_hours,
        "moderators_usd_per_user_hour": usd.get("human_moderation", 0.0) / user_hours,
        "usd_per_user_hour": r.kpis["cost.per_user_hour_usd"],
        "ci95_low": r.kpis["cost.per_user_hour_usd_ci95_low"],
        "ci95_high": r.kpis["cost.per_user_hour_usd_ci95_high"],
        "usd_per_million_tokens": r.kpis["cost.per_million_tokens_usd"],
        "dialogue_slo_attainment": r.classes.loc["dialogue", "slo_attainment"],
        "reactive_slo_attainment": r.classes.loc["reactive", "slo_attainment"],
    })
options = pd.DataFrame(rows).set_index("option")
options
'''),
    new_code_cell(r'''
shares = pd.DataFrame({label: r.cost.usd / r.summary["users"]["user_hours"] for label, r in results.items()}).T
fig = Figure(figsize=(9, 4.5), layout="constrained")
ax = fig.subplots()
bottom = pd.Series(0.0, index=shares.index)
for category in shares.columns:
    if shares[category].max() > 0:
        ax.bar(list(shares.index), shares[category], bottom=bottom, label=category)
        bottom += shares[category]
ax.axhspan(low, high, color="tab:green", alpha=0.12, label=f"seed's figures: ${low:.2f}-{high:.2f}")
ax.axhspan(5, 15, color="tab:red", alpha=0.12, label="seed's claim: $5-15")
ax.set_yscale("log")
ax.set_ylabel("USD per user-hour (log scale)")
ax.tick_params(axis="x", labelsize=8)
ax.legend(fontsize="small", loc="upper left")
ax.grid(True, axis="y", alpha=0.3)
fig.suptitle("Cost of a user-hour in the US East evening window, by serving option")
fig
'''),
    new_markdown_cell(r'''
## Over a day, not just at the peak

The self-hosted fleet above is sized for the peak and billed all day, while users follow the diurnal curve. Without
autoscaling, a day's GPU bill spreads over fewer user-hours than the peak suggests; hosted APIs bill per token and
do not have this problem. The ratio is the curve's mean over its peak (the same for every origin: a time shift does
not change a mean).
'''),
    new_code_cell(r'''
diurnal = world["workload"]["diurnal"]
load_factor = sum(diurnal) / len(diurnal) / max(diurnal)
peak = self_hosted.cost.usd / self_hosted.summary["users"]["user_hours"]
gpu_categories = [c for c in peak.index if c.startswith("gpu")]
day_gpu = peak[gpu_categories].sum() / load_factor
day_total = day_gpu + peak.drop(gpu_categories).sum()
print(f"mean load over the day: {load_factor:.0%} of the peak")
print(f"self-hosted GPU cost per user-hour: ${peak[gpu_categories].sum():.4f} at the peak, ${day_gpu:.4f} over the day")
print(f"self-hosted total per user-hour over the day: ${day_total:.4f}")
'''),
    new_code_cell(r'''
inference = options.inference_usd_per_user_hour
seed_low, seed_high = inference["seed's $0.01/1k"], inference["seed's $0.03/1k"]
tokens = k["tokens.input_per_user_hour"] + k["tokens.output_per_user_hour"]
print(f"A user-hour here uses {tokens:,.0f} tokens.")
print(f"Its inference costs ${inference['self-hosted (as written)']:.4f} self-hosted at the peak "
      f"(${day_gpu + inference['self-hosted (as written)'] - peak[gpu_categories].sum():.4f} over a day "
      "without autoscaling),")
print(f"${inference['hosted GPT-4o mini']:.4f} on GPT-4o mini, ${inference['hosted Claude Haiku 4.5']:.4f} on "
      f"Claude Haiku 4.5, and ${seed_low:.2f}-{seed_high:.2f} at the seed's $0.01-0.03 per 1k tokens.")
print(f"Human review of escalated moderation adds ${options.moderators_usd_per_user_hour.iloc[0]:.4f} per user-hour.")
print(f"The seed's $5-15 would take {5 / 0.03 * 1000:,.0f}-{15 / 0.01 * 1000:,.0f} tokens per user-hour "
      "at its own prices.")
'''),
]

NOTEBOOKS = {
    "capacity_100k": CAPACITY,
    "edge_vs_cloud": EDGE_VS_CLOUD,
    "cost_per_user_hour": COST,
}

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def build(cells) -> nbformat.NotebookNode:
    """A notebook from cell templates (sources stripped of their leading and trailing blank lines)."""
    nb = new_notebook(metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for cell in cells:
        cell = nbformat.from_dict(dict(cell))
        cell.source = cell.source.strip("\n")
        nb.cells.append(cell)
    return nb


def execute(nb: nbformat.NotebookNode, timeout_s: int = 600) -> None:
    """Runs `nb` in place in a kernel of this very interpreter, with the notebooks directory as working directory."""
    import nbclient

    with tempfile.TemporaryDirectory() as jupyter_path:
        spec = pathlib.Path(jupyter_path) / "kernels" / "capstan-build"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "capstan", "language": "python",
            "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}}))
        os.environ["JUPYTER_PATH"] = jupyter_path
        client = nbclient.NotebookClient(nb, timeout=timeout_s, kernel_name="capstan-build",
                                         resources={"metadata": {"path": str(HERE)}})
        client.execute()
    nb.metadata["kernelspec"] = KERNELSPEC


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"notebooks to build (default: all of {', '.join(NOTEBOOKS)})")
    parser.add_argument("--execute", action="store_true", help="run each notebook and keep its outputs")
    args = parser.parse_args()
    for name in args.names or NOTEBOOKS:
        nb = build(NOTEBOOKS[name])
        if args.execute:
            start = time.monotonic()
            execute(nb)
            print(f"{name}: executed in {time.monotonic() - start:.0f} s")
        nbformat.validate(nb)
        nbformat.write(nb, HERE / f"{name}.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
