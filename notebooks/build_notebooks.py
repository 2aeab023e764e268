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


def hand_sized_world(set=None):
    """consumer_world with its first, hand-sized fleet (hand_sized_fleet.json: its deployments, sites and their
    links) in place of the planned one it ships."""
    import json
    doc = capstan.load("../scenarios/consumer_world.json").to_dict()
    fleet = json.loads(pathlib.Path("hand_sized_fleet.json").read_text())
    doc["deployments"], doc["sites"], doc["network"] = fleet["deployments"], fleet["sites"], fleet["network"]
    return capstan.load(doc, set=set)
'''

# ---------------------------------------------------------------------------------------------------------------
CAPACITY = [
    new_markdown_cell(r'''
# How many GPUs, where, and at what cost per user-hour for 100k concurrent users?

`scenarios/consumer_world.json` describes a consumer virtual world at **100,000 peak concurrent users** in three
metros (US East 45%, London 30%, Tokyo 25%). Its first fleet was sized by hand (`hand_sized_fleet.json`): NPC dialogue
(Llama-3-8B) and reactive behaviour (Llama-3.2-1B) on L40S pools at four edge sites, procedural content (Llama-3-70B,
TP 4) on H100 pools (part spot) in two cloud regions, moderation on L4s. This notebook measures that fleet at the
peak, then asks `capstan plan` for the cheapest fleet that meets every SLO. Dialogue must start answering within **200 ms at p95**; reactive behaviour must finish
within **50 ms at p95**, network included.

Capacity is decided by the peak. The scenario's default window is the US East evening (01:00 UTC = 20:00 in New
York), when London and Tokyo are at a quarter of their own peaks: the world then holds about 59k users, not 100k.
Each edge site must still carry its own metro's evening, so we size with **every metro at its local peak at once**
(London's and Tokyo's clocks aligned with New York's): a world of up to 100k concurrent users, the worst case for the
shared cloud pools too. Every run measures 12 minutes, 20:00-20:12 in every metro, after 15 minutes of warm-up
(below: why that is enough); short windows keep the notebook fast and the confidence intervals say what that costs in precision.
All points of a sweep share their random numbers (the same users arrive at every point), so differences between
points are the fleet's doing, not noise.

The scenario's edge dialogue pools autoscale between a quarter and 1.25 times their written size. The question here
is a **fixed** sizing at the peak, so we take the scenario as a dict and remove `autoscale` from the edge pools
before loading it; what autoscaling saves over a day is the question of `autoscaling_day.ipynb`.

Escalated moderation goes to a staffed queue of human reviewers, paid for every staffed hour. The scenario staffs it
by UTC hour for its own day (82 reviewers at 01:00 UTC, when its world holds about 58k users), which is too few for
a world with every metro at its evening at once: its 12,000 escalations an hour at the peak would outrun the 8,200
that 82 reviewers decide, and the queue would grow without end while the bill read low. We staff this world the same
way the scenario staffs its own: for each hour, the hour's mean escalations at 85% of the reviewers' throughput, here
by New York's local hour (every metro's clock).
'''),
    new_code_cell(SETUP),
    new_code_cell(r'''
import math

doc = hand_sized_world().to_dict()
for site in doc["sites"]:
    if site["kind"] == "edge":
        for pool in site["pools"]:
            pool.pop("autoscale", None)  # fixed pools, sized for the peak
moderation = next(c for c in doc["classes"] if c["name"] == "moderation")
REVIEW_UTILIZATION = 0.85  # the scenario's own staffing rule (docs/scenarios/consumer_world.md)


def reviewers(peak_users):
    """Reviewers by local hour for every metro at the same local time: the hour's mean escalations at 85%."""
    diurnal = doc["workload"]["diurnal"]
    per_user_hour = moderation["rate_per_user_hour"] * moderation["escalation_share"]
    return [math.ceil(peak_users * (diurnal[h] + diurnal[(h + 1) % 24]) / 2 * per_user_hour
                      / (REVIEW_UTILIZATION * moderation["review"]["items_per_hour"])) for h in range(24)]


moderation["review"].update(reviewers=reviewers(doc["workload"]["peak_users"]), utc_offset_h=-5)
print(f"reviewers staffed, 19:00-21:00 New York time: {moderation['review']['reviewers'][19:21]} "
      f"(the scenario as written: 82 at 01:00 UTC)")
scenario = capstan.load(doc)
# 12 minutes (01:00-01:12 UTC) after 15 minutes of warm-up, every metro at its local evening peak (New York's clock).
PEAK = {"simulation.start_hour_utc": 0.75, "simulation.warmup_h": 0.25, "simulation.duration_h": 0.45,
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
## How long a warm-up?

A run starts with every user in a new session. Dialogue prompts carry the session's persona and up to 6 turns of
history, so prompts, and the time to prefill them, grow over a session's first turns (one every 3 minutes at 20 turns
per user-hour). capstan starts each user already in session with the turns it has had (a Poisson number over its
session's age, `docs/serving.md`), so prompts have their steady length from the first minute; what a warm-up still
fills is the queues and the prefix caches, which start empty as a fleet just started does. The same 12 minutes after
warm-ups of different lengths, one replication each:
'''),
    new_code_cell(r'''
rows = []
for warmup_h in (0.05, 0.25, 1.0):
    r = capstan.run(scenario, replications=1, set={
        **PEAK, "simulation.start_hour_utc": (1 - warmup_h) % 24, "simulation.warmup_h": warmup_h,
        "simulation.duration_h": warmup_h + 0.2})
    d = r.classes.loc["dialogue"]
    rows.append({"warmup_h": warmup_h, "input_tokens_per_user_hour": r.kpis["tokens.input_per_user_hour"],
                 "dialogue_ttft_p50_ms": d.ttft_p50_ms, "dialogue_ttft_p95_ms": d.ttft_p95_ms,
                 "dialogue_slo_attainment": d.slo_attainment})
pd.DataFrame(rows).set_index("warmup_h")
'''),
    new_markdown_cell(r'''
The warm-up's length barely moves what the window measures: a user-hour reads 48,660 input tokens after 3 minutes
of warm-up, 48,580 after 15 and 48,500 after an hour, and dialogue meets its 200 ms for 37.2%, 36.6% and 38.1% of
requests, differences within one replication's noise. (Before users started with their history, 3 minutes of
warm-up read 39,300 tokens and flattered dialogue at 89%: the first turns of new sessions.) Every run below warms up
for 15 minutes, which fills the queues and the replicas' prefix caches.

## The hand-sized fleet, at the peak

Two replications, so that each figure comes with its 95% interval.
'''),
    new_code_cell(r'''
base = capstan.run(scenario, set=PEAK, replications=2)
cols = ["requests", "ttft_p50_ms", "ttft_p95_ms", "e2e_p95_ms", "network_ms_mean", "cache_hit_ratio", "slo_metric",
        "slo_threshold_ms", "slo_percentile_ms", "slo_attainment"]
base.classes[cols]
'''),
    new_code_cell(r'''
print(f"{base.summary['users']['mean_concurrent']:,.0f} concurrent users on average in the window")
print(f"cost per user-hour ${base.kpis['cost.per_user_hour_usd']:.4f} "
      f"[{base.kpis['cost.per_user_hour_usd_ci95_low']:.4f}, {base.kpis['cost.per_user_hour_usd_ci95_high']:.4f}]")
review = base.classes.loc["moderation"]
user_hours = base.summary["users"]["user_hours"]
print(f"human review: {review.review_items_decided:,.0f} items decided, "
      f"reviewers {review.review_reviewer_utilization:.0%} busy, wait p95 {review.review_wait_p95_s / 60:.1f} min, "
      f"SLA met for {review.review_sla_attainment:.1%}; "
      f"${base.cost.usd['human_moderation'] / user_hours:.4f} of the cost per user-hour, "
      f"GPUs ${base.cost.usd[[c for c in base.cost.index if c.startswith('gpu')]].sum() / user_hours:.4f}")
base.sites[["replicas", "gpu_utilization", "kv_occupancy", "queue_length_mean"]]
'''),
    new_markdown_cell(r'''
## The cheapest fleet that meets both SLOs

More L40S do not get there: with every edge pool serving dialogue and reactive behaviour at twice its size (496 GPUs;
a separate run at the same peak, two replications), dialogue's p95 falls only from 234 to 216 ms and reactive's from
60 to 58 ms. Both are bound by one request's time on an L40S plus the network, not by queueing. So we let
`capstan.plan` choose every pool's size and, for dialogue and reactive behaviour, the GPU kind among every catalog
GPU the model fits (`docs/plan.md`). It first screens each kind with the service-time model and a queueing
approximation: a kind whose unloaded latency already misses an SLO is not run, nor one estimated at more than 1.5
times the cheapest. Then it runs candidate fleets of this peak world, three replications each with the same random
numbers, from the screened sizes: growing pools whose classes miss, shrinking each deployment's pools together, and
finally trimming each pool alone. A fleet meets an SLO when the upper end of the 95% interval of its percentile is
within the threshold.
'''),
    new_code_cell(r'''
import time

space = {"deployments": {"dialogue-8b": {"gpus": "all"}, "reactive-1b": {"gpus": "all"}}}
started = time.monotonic()
planned = capstan.plan(scenario, space=space, set=PEAK)
print(f"{planned.simulations} candidate fleets simulated in {(time.monotonic() - started) / 60:.1f} minutes")
print(planned.table)
'''),
    new_code_cell(r'''
from capstan.plan_plots import frontier

frontier(planned.frontier)
'''),
    new_code_cell(r'''
plan_world = planned.scenario.to_dict()
where = pd.DataFrame([
    {"site": s["name"], "kind": s["kind"], "region": s["region"], "pool": p["name"], "gpu": p["gpu"],
     "gpus": p["gpus"], "capacity": p["capacity"]} for s in plan_world["sites"] for p in s["pools"]])
print(f"planned fleet: {where.gpus.sum()} GPUs (hand-sized: {fleet.gpus.sum()})")
where.pivot_table(index=["kind", "site", "region"], columns="gpu", values="gpus", aggfunc="sum", fill_value=0)
'''),
    new_markdown_cell(r'''
The planner ran 25 candidate fleets (4.7 minutes on this notebook's two cores). Screening ruled out reactive
behaviour on an L40S (at least 56 ms even unloaded, network and the API server included), an A10G or an L4, and
dialogue on an A10G or an L4 (at least 282 and 316 ms), and left out every kind estimated at over 1.5 times the
cheapest: dialogue on H200, B200, H100, A100, RTX PRO 6000 and L40S, reactive behaviour on RTX PRO 6000, H200 and
B200. Of the kinds it ran, dialogue on MI325X and reactive behaviour on MI300X won; both on MI300X cost 2.3% more,
and reactive behaviour on A100s 2.0% more. The planned fleet has **85 GPUs against the hand-sized 272** and meets
every SLO at the peak: dialogue's p95 TTFT 163 ms (the interval's upper end 167 ms) against 200, reactive's p95
48.1 ms against 50, content's 57 s against 60. A user-hour costs \$0.0232 [0.0231, 0.0232], 14% less than the
hand-sized fleet's \$0.0269, which met neither (dialogue's p95 234 ms, reactive's 60 ms). Moving the edge to faster
cards is what does it: AMD's MI300X and MI325X rent for two-thirds to three-quarters of an H100's hourly price in the
catalog's 2026 samples and stream memory faster, so far fewer of them than of L40S hold the SLOs, at a lower price
than NVIDIA's datacenter cards. That choice rests on their datasheet peaks, AMD's own measured GEMM rate and a public
stream benchmark, their other kernel figures borrowed from the H100 class (`docs/scenario.md`, catalog), and on
vLLM running on ROCm as on CUDA: an earlier run of this notebook, before the catalog had them, put both deployments
on H200s at \$0.0239, 3% more. The plan also moves most of the content onto spot (20 of US East's 28 H100s, and all 8
of EU West's, none on demand there): in a 12-minute window under the scenario's AWS `>20%` rate a reclaim is rare,
and `spot_share.ipynb`
shows what that bet costs when reclaims come.
The scenario ships the NVIDIA fleet the planner found for its own window, the US East evening, before those GPUs
were in the catalog (`docs/scenarios/consumer_world.md` says why it keeps it).

## The same fleet from 25k to 100k users

A fleet sized for the peak is idle off it: the cost per user-hour falls as load rises. The planned fleet at a quarter
of the load shows what it costs to hold a peak-sized fleet. Reviewers are a schedule, not a fleet: we staff them to
each load by the rule above, so that the cost's fall is the GPUs'.
'''),
    new_code_cell(r'''
# Reviewers are staffed to each load (a schedule, not a fleet); the GPUs stay as sized for the peak.
loads = [{"workload.peak_users": users, "classes.moderation.review.reviewers": reviewers(users)}
         for users in (25000, 50000, 100000)]
print("reviewers at 20:00:", {p["workload.peak_users"]: p["classes.moderation.review.reviewers"][20] for p in loads})
load = capstan.sweep(planned.scenario, points=loads, set=PEAK, replications=2)
load[["workload.peak_users", "dialogue.network_ms_mean", "dialogue.ttft_p50_ms", "dialogue.ttft_p95_ms",
      "dialogue.slo_attainment", "edge-ashburn.queue_length_mean", "reactive.e2e_p95_ms", "cost.per_user_hour_usd"]]
'''),
    new_code_cell(r'''
capstan.plot.latency_vs_load(load, metric="ttft", classes=["dialogue", "reactive"],
                             slo_ms={"dialogue": 200}, title="TTFT against load, the planned fleet")
'''),
    new_code_cell(r'''
capstan.plot.cost_vs_load(load, title="Cost per user-hour against load, the planned fleet")
'''),
    new_markdown_cell(r'''
At every load the planned fleet holds both SLOs: dialogue's p95 TTFT is 94 ms at 25k users, 97 ms at 50k and 164 ms
at 100k (98.1% within 200 ms: the peak it was sized for), where Ashburn's queue grows from 0.2 requests on average to
1.7; reactive behaviour's p95 stays at 47-48 ms, its time bound by the network and one request on an MI300X, not by
load. A user-hour costs \$0.030 at 25k users, \$0.025 at 50k and \$0.023 at 100k: the fleet is sized for the peak,
and the reviewers (35 at 25k users, 139 at 100k) are about \$0.021 of it at every load.
'''),
]

# ---------------------------------------------------------------------------------------------------------------
EDGE_VS_CLOUD = [
    new_markdown_cell(r'''
# Edge or cloud: meeting a 50 ms budget for reactive behaviour, and what it costs

The seed article says reactive behaviour must complete **in under 50 ms**, and that this pushes inference to the
edge. `consumer_world.json` gives the reactive class 60 interactions per user-hour, prompts of about 120 tokens,
answers of 4 tokens, served by Llama-3.2-1B, with the SLO *end-to-end p95 <= 50 ms, network included*. The notebook starts from the world's first, hand-sized fleet (`hand_sized_fleet.json`: dialogue and reactive
behaviour on L40S at the edge), which misses both latency SLOs; the scenario now ships the fleet `capstan plan` found
(`capacity_100k.ipynb`).

We compare three placements of the reactive pools, each on two GPU types:

* **edge**: the scenario as written, reactive pools at the Ashburn, London and Tokyo edge sites;
* **regional cloud**: the same GPUs in the cloud region of each metro (a Tokyo cloud region is added, as far from
  its metro as the other cloud regions are from theirs: an assumption, not a measurement);
* **central cloud**: all of them in US East.

Only the reactive class runs: the other classes are switched to a zero-rate placeholder (moderation without its
staffed reviewers, who are paid by the hour whether or not items arrive), so that each run is fast and the cost is
the reactive fleet's alone. They run on their own pools in the full world, so this changes nothing for reactive
latency. Each run is 9 minutes after 2 minutes of warm-up (reactive prompts carry no history, so a short warm-up
does) with every metro at its local evening peak (100k users, as in `capacity_100k.ipynb`), all placements with the
same random numbers.

The reactive class keeps the scenario's **response cache**: each site that serves it holds an LRU of 10,000 answers
(10-minute TTL) over 50,000 distinct prompts of Zipf popularity, and a hit answers in 1 ms with no GPU work. We keep
it because it is part of the world as written, and it does not decide the comparison: a hit takes the network round
trip and 1 ms wherever the cache sits, and with about 70% of requests hits the p95 falls among the misses, which the
placement and the GPU still decide. The cache's figures are assumptions of the scenario, not measurements, so the
last section repeats the comparison without it.
'''),
    new_code_cell(SETUP),
    new_code_cell(r'''
import copy
import heapq

scenario = hand_sized_world()
world = scenario.to_dict()
reactive = next(c for c in world["classes"] if c["name"] == "reactive")
BUDGET_MS = reactive["slo"]["threshold_ms"]
WINDOW = {"simulation.start_hour_utc": 1, "simulation.duration_h": 0.15, "simulation.warmup_h": 0.03,
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


print(f"reactive: {reactive['rate_per_user_hour']:g} per user-hour, SLO {reactive['slo']['metric']} "
      f"p{reactive['slo']['percentile']:.0f} <= {BUDGET_MS:g} ms")
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


def reactive_world(placement, gpu="l40s", gpus_per_metro=None, cache=True):
    """consumer_world with only the reactive class, its pools placed as asked, with or without its response cache."""
    doc = copy.deepcopy(scenario.to_dict())
    for c in doc["classes"]:
        if c["name"] == "reactive" and not cache:
            del c["response_cache"]
        if c["name"] != "reactive":
            c["rate_per_user_hour"], c["deployment"] = 0, "off"
            for field in ("history", "response_cache", "review", "escalation_share"):
                c.pop(field, None)  # no history, no cache, and no reviewers paid by the staffed hour
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
                     "network_ms_mean": c.network_ms_mean, "cache_hit_ratio": c.cache_hit_ratio,
                     "attainment": c.slo_attainment,
                     "usd_per_1000_user_hours": 1000 * r.kpis["cost.per_user_hour_usd"]})
placements = pd.DataFrame(rows).set_index(["placement", "gpu"])
placements
'''),
    new_code_cell(r'''
fig = Figure(figsize=(9, 3.8), layout="constrained")
ax_latency, ax_cost = fig.subplots(1, 2)
labels = [f"{p}\n{g}" for p, g in placements.index]
ax_latency.bar(labels, placements.e2e_p95_ms, color=["tab:blue", "tab:orange"] * 3)
ax_latency.axhline(BUDGET_MS, color="black", linestyle="--", label=f"{BUDGET_MS:g} ms SLO")
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
ax.axhline(BUDGET_MS, color="black", linestyle=":", label=f"{BUDGET_MS:g} ms SLO")
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
        print(f"{placement}, {gpu}: no size up to {group.gpus.max()} GPUs holds {BUDGET_MS:g} ms at p95 "
              f"(best p95 {group.e2e_p95_ms.min():.1f} ms)")
    else:
        r = ok.iloc[0]
        print(f"{placement}, {gpu}: {r.gpus} GPUs hold it (p95 {r.e2e_p95_ms:.1f} ms, attainment {r.attainment:.3f}),"
              f" ${r.usd_per_1000_user_hours:.2f} per 1000 user-hours")
'''),
    new_markdown_cell(r'''
## Without the response cache

The same edge and regional fleets, smallest and as written, with the reactive class's `response_cache` removed:
every request reaches a GPU.
'''),
    new_code_cell(r'''
rows = []
for placement in ("edge", "regional cloud"):
    for gpu in ("l40s", "h100"):
        for us, london, tokyo in (SIZES[0], SIZES[2]):
            gpus = {"metro-us-east": us, "metro-london": london, "metro-tokyo": tokyo}
            r = capstan.run(reactive_world(placement, gpu, gpus, cache=False), set=WINDOW, replications=2)
            c = r.classes.loc["reactive"]
            rows.append({"placement": placement, "gpu": gpu, "gpus": us + london + tokyo,
                         "e2e_p95_ms": c.e2e_p95_ms, "attainment": c.slo_attainment,
                         "gpu_utilization": float(r.sites.gpu_utilization[r.sites.replicas > 0].mean())})
no_cache = pd.DataFrame(rows).set_index(["placement", "gpu", "gpus"])
with_cache = sizing.set_index(["placement", "gpu", "gpus"]).loc[no_cache.index]
pd.concat({"with the cache": with_cache[["e2e_p95_ms", "attainment", "gpu_utilization"]],
           "without": no_cache}, axis=1)
'''),
    new_markdown_cell(r'''
## The answer

The GPU decides, not the placement. With the scenario's cache, 69.8% of reactive requests are hits, and the p95 is a
miss's latency: the 10 L40S as written (edge) reach 60.1 ms at p95 (70.1% within 50 ms), and no L40S fleet up to 20
GPUs holds the budget (best p95 57.7 ms at the edge, 59.7 ms in the regional cloud, where only the hits, about 70%,
make it). Three H100s, one per metro, hold it at the edge (p95 47.9 ms) and in the regional cloud (49.9 ms, 95.4%
within 50 ms) for \$0.10 per 1000 user-hours, half the \$0.21 of the 10 L40S as written. The edge saves 2 ms over
the regional cloud; the central cloud misses the budget on either GPU (p95 205-217 ms): the share it meets is US
East's, all of its requests on H100s (44.6%) and only its cache hits on L40S (31.3%).

Without the cache every request reaches a GPU, and the smallest fleet no longer holds: 3 L40S saturate (p95 176 ms),
the 10 as written read 66.2 ms at p95 (none within 50 ms), and 3 H100s, 99% busy, miss too (65.1 ms at the edge,
62.7% within 50 ms; 67.1 ms in the regional cloud); 10 H100s hold it at the edge (48.5 ms) and just miss in the
regional cloud (50.5 ms, 87.7% within). The cache takes about 70% of the load off the GPUs, and with it a third of
the H100s suffice; it cannot make a 4-token answer on an L40S fast enough, and the seed's case for the edge is worth
only the few milliseconds between a metro and its cloud region: the 2 ms that decide whether 10 H100s without a cache
hold the budget.
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
of a user-hour in the simulated `consumer_world.json` (100k peak users in three metros), self-hosted and on hosted
APIs. The notebook starts from the world's first, hand-sized fleet (`hand_sized_fleet.json`: dialogue and reactive
behaviour on L40S at the edge), which misses both latency SLOs; the scenario now ships the fleet `capstan plan` found
(`capacity_100k.ipynb`).
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

The scenario as written, in its own window: the US East evening (01:00 UTC; London and Tokyo are then off their
peaks, so the world holds fewer users than its 100k peak), with its edge dialogue pools autoscaling as the scenario
says. We measure 12 minutes (01:00-01:12 UTC) after an hour of warm-up, two replications. Dialogue prompts carry a
1,000-token persona and up to 6 turns of history, so input tokens dominate; the hour of warm-up lets the autoscaled
pools settle from their written size to the evening's load.
'''),
    new_code_cell(r'''
scenario = hand_sized_world()
world = scenario.to_dict()
WINDOW = {"simulation.start_hour_utc": 0, "simulation.warmup_h": 1.0, "simulation.duration_h": 1.2}
self_hosted = capstan.run(scenario, set=WINDOW, replications=2)
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
but not cost. The reactive class keeps its response cache in front of the API (one cache for a hosted deployment):
a hit answers within the network round trip and bills no API tokens, so about 70% of reactive requests meet their
50 ms on any option, and the hosted options bill only the misses.
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
    results[label] = capstan.run(hosted_world(price_in, price_out), set=WINDOW, replications=2)

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
## Over a day, not just in the evening

Users follow the diurnal curve: a day holds the curve's mean of user-hours, not its peak (the mean is the same for
every origin: a time shift does not change it). Hosted APIs bill per token, so their cost per user-hour is the same
all day. A self-hosted fleet bills per GPU-hour whether or not users are there. In the window above the scenario's
dialogue pools autoscale; the bound below is a fleet that does not scale at all: every pool at its written size
(the report's `fleet` section prices it) for 24 hours, over a day's user-hours. What the autoscaled pools bill over a
simulated day is the question of `autoscaling_day.ipynb`. The human reviewers are paid for the hours of the
scenario's 24-hour staffing, which follows the world's load; network egress follows the users.
'''),
    new_code_cell(r'''
diurnal = world["workload"]["diurnal"]
load_factor = sum(diurnal) / len(diurnal) / max(diurnal)
# Users are peak_users x share x diurnal(local hour), linear between hours: a day holds peak_users x sum(diurnal).
day_user_hours = world["workload"]["peak_users"] * sum(diurnal)
fleet = self_hosted.summary["fleet"]
fixed_usd_per_hour = fleet["on_demand_usd_per_hour"] + fleet["spot_usd_per_hour"]
window = self_hosted.cost.usd / self_hosted.summary["users"]["user_hours"]
gpu_categories = [c for c in window.index if c.startswith("gpu")]
day_gpu = 24 * fixed_usd_per_hour / day_user_hours
moderation = next(c for c in world["classes"] if c["name"] == "moderation")
staffing = moderation["review"]["reviewers"]
reviewer_hours = sum(staffing) if isinstance(staffing, list) else 24 * staffing
day_moderators = reviewer_hours * world.get("cost", {}).get("reviewer_usd_per_hour", 15) / day_user_hours
day_total = day_gpu + day_moderators + window.drop(gpu_categories + ["human_moderation"]).sum()  # egress follows users
print(f"mean load over the day: {load_factor:.0%} of the peak, {day_user_hours:,.0f} user-hours")
print(f"the fleet as written: {fleet['gpus']} GPUs, ${fixed_usd_per_hour:,.2f} per hour")
print(f"self-hosted GPU cost per user-hour: ${window[gpu_categories].sum():.4f} in the window "
      f"({self_hosted.summary['users']['mean_concurrent']:,.0f} users, dialogue pools autoscaled), "
      f"${day_gpu:.4f} over a day with every pool fixed at its written size")
print(f"human review: {reviewer_hours:,} reviewer-hours a day, ${day_moderators:.4f} per user-hour over the day, "
      f"${window['human_moderation']:.4f} in the window")
print(f"self-hosted total per user-hour over that day: ${day_total:.4f}")
'''),
    new_code_cell(r'''
inference = options.inference_usd_per_user_hour
seed_low, seed_high = inference["seed's $0.01/1k"], inference["seed's $0.03/1k"]
tokens = k["tokens.input_per_user_hour"] + k["tokens.output_per_user_hour"]
print(f"A user-hour here uses {tokens:,.0f} tokens.")
print(f"Its inference costs ${inference['self-hosted (as written)']:.4f} self-hosted in the US East evening window "
      f"(${day_gpu + inference['self-hosted (as written)'] - window[gpu_categories].sum():.4f} over a day with every "
      "pool fixed at its written size),")
print(f"${inference['hosted GPT-4o mini']:.4f} on GPT-4o mini, ${inference['hosted Claude Haiku 4.5']:.4f} on "
      f"Claude Haiku 4.5, and ${seed_low:.2f}-{seed_high:.2f} at the seed's $0.01-0.03 per 1k tokens.")
print(f"Human review of escalated moderation adds ${options.moderators_usd_per_user_hour.iloc[0]:.4f} per user-hour "
      f"in the window, ${day_moderators:.4f} over a day.")
print(f"The seed's $5-15 would take {5 / 0.03 * 1000:,.0f}-{15 / 0.01 * 1000:,.0f} tokens per user-hour "
      "at its own prices.")
'''),
]

# ---------------------------------------------------------------------------------------------------------------
SPOT = [
    new_markdown_cell(r'''
# How much spot, and where?

Procedural content (Llama-3-70B, tensor-parallel 4, on H100s) is the one class of `consumer_world.json` with a loose
deadline (end-to-end p95 within 60 s), which makes it the candidate for spot capacity. The hand-sized fleet runs it on 44 H100s
in two AWS regions, each with an on-demand and a spot pool; the spot pools are interrupted as the worst bucket of
AWS's Spot Instance Advisor (`>20%` a month), with a 120 s notice, replacements requested 120 s after a reclaim and
on-demand fallback after 600 s without spot (docs/fleet.md gives the models). The notebook starts from the world's first, hand-sized fleet (`hand_sized_fleet.json`: dialogue and reactive
behaviour on L40S at the edge), which misses both latency SLOs; the scenario now ships the fleet `capstan plan` found
(`capacity_100k.ipynb`).

We keep the 44 GPUs and each region's share of them, and vary **how many are spot** (0 to all 11 nodes) and **where**
(spread over both regions in proportion to their size, or packed into US East first), under the scenario's
interruption rate and under stress cases. The seed article says spot saves 60-70%; capstan prices spot from its GPU
catalog, and we compare.

Only the content class runs: the other classes are switched to a zero-rate placeholder, as in `edge_vs_cloud.ipynb`
(moderation without its staffed reviewers, who are paid by the hour whether or not items arrive), so that each run is
fast and the cost is the content fleet's alone, spread over the world's user-hours. Each run is the
US East evening from 01:00 UTC, 45 minutes after 15 minutes of warm-up (content prompts carry no history, so a short
warm-up does), with 5 replications and the same random numbers for every fleet.
'''),
    new_code_cell(SETUP),
    new_code_cell(r'''
import copy
import json

# 45 minutes of the US East evening after 15 minutes of warm-up.
WINDOW = {"simulation.start_hour_utc": 1, "simulation.warmup_h": 0.25, "simulation.duration_h": 1.0}
scenario = hand_sized_world(set=WINDOW)
world = scenario.to_dict()
content = next(c for c in world["classes"] if c["name"] == "content")
deployment = next(d for d in world["deployments"] if d["name"] == content["deployment"])
TP = deployment["tensor_parallel"]
as_written = pd.DataFrame([
    {"site": s["name"], "cloud": s["cloud"], "region": s["region"], "pool": p["name"], "capacity": p["capacity"],
     "gpus": p["gpus"], "nodes": p["gpus"] // TP, "interruptions": json.dumps(p.get("interruptions", "")),
     "replacement": json.dumps(p.get("replacement", ""))}
    for s in world["sites"] for p in s["pools"] if p["deployment"] == deployment["name"]])
REGION_NODES = as_written.groupby("site", sort=False).nodes.sum().to_dict()
TOTAL_NODES = sum(REGION_NODES.values())
print(f"content: {content['rate_per_user_hour']:g} per user-hour on {deployment['name']} ({deployment['model']}, "
      f"{deployment['gpu']} x{TP}), SLO {content['slo']['metric']} p{content['slo']['percentile']:.0f} <= "
      f"{content['slo']['threshold_ms'] / 1000:.0f} s; {TOTAL_NODES} nodes, {TOTAL_NODES * TP} GPUs")
as_written.set_index(["site", "pool"])
'''),
    new_markdown_cell(r'''
## What the catalog says spot saves

capstan bills a spot pool's nodes at the spot price of its region in the GPU catalog
(`models/catalog/data/gpus.json`, which a scenario may override) and an on-demand node, fallback nodes included, at
the on-demand price.
'''),
    new_code_cell(r'''
catalog = json.loads((pathlib.Path.cwd().parent / "models" / "catalog" / "data" / "gpus.json").read_text())
gpu = catalog["gpus"][deployment["gpu"]]
REGIONS = dict(zip(as_written.site, as_written.region))
prices = pd.DataFrame({site: gpu["price_by_region"][region] for site, region in REGIONS.items()}).T
prices["spot_discount"] = 1 - prices.spot_usd_per_hour / prices.on_demand_usd_per_hour
gpus = {site: n * TP for site, n in REGION_NODES.items()}
all_on_demand = sum(gpus[s] * prices.on_demand_usd_per_hour[s] for s in gpus)
all_spot = sum(gpus[s] * prices.spot_usd_per_hour[s] for s in gpus)
print(f"the {TOTAL_NODES * TP} GPUs: ${all_on_demand:.2f}/h all on demand, ${all_spot:.2f}/h all spot: "
      f"{1 - all_spot / all_on_demand:.1%} saved at catalog prices, before any interruption")
print(f"catalog note: {gpu['price_note']}")
prices
'''),
    new_markdown_cell(r'''
## Fleets and interruption processes

Each fleet keeps 7 nodes in US East and 4 in EU West (as written) and makes 0, 3, 5 (as written), 8 or 11 of them
spot. *Both regions* spreads the spot nodes in proportion to the regions' sizes; *US East first* packs them into US
East until its 7 nodes are spot. With 0 or 11 spot nodes the two are the same fleet.
'''),
    new_code_cell(r'''
OFF = {"name": "off", "hosted": {"input_usd_per_mtok": 0, "output_usd_per_mtok": 0, "ttft_ms": 1, "tpot_ms": 0}}
US, EU = REGION_NODES


def layout(spot_nodes, spread):
    """Spot nodes per site: in proportion to the regions' sizes, or US East first."""
    if spread == "both regions":
        us = round(spot_nodes * REGION_NODES[US] / TOTAL_NODES)
    else:
        us = min(spot_nodes, REGION_NODES[US])
    return {US: us, EU: spot_nodes - us}


def content_world(spot):
    """consumer_world with only the content class, its regions holding `spot[site]` spot nodes each."""
    doc = copy.deepcopy(world)
    for c in doc["classes"]:
        if c["name"] != "content":
            c["rate_per_user_hour"], c["deployment"] = 0, "off"
            for field in ("history", "response_cache", "review", "escalation_share"):
                c.pop(field, None)  # no history, no cache, and no reviewers paid by the staffed hour
            c["output_tokens"] = {"dist": "constant", "value": 1}
    doc["deployments"] = [d for d in doc["deployments"] if d["name"] == deployment["name"]] + [OFF]
    for s in doc["sites"]:
        pools = {p["capacity"]: p for p in s["pools"] if p["deployment"] == deployment["name"]}
        s["pools"] = []
        if s["name"] in REGION_NODES:
            for capacity, nodes in (("on_demand", REGION_NODES[s["name"]] - spot[s["name"]]),
                                    ("spot", spot[s["name"]])):
                if nodes:
                    s["pools"].append({**pools[capacity], "gpus": nodes * TP})
    return capstan.load(doc)


FLEETS = {}
for n in (0, 3, 5, 8, 11):
    for spread in ("both regions", "US East first"):
        spot = layout(n, spread)
        if spot not in FLEETS.values():
            FLEETS[(n, spread)] = spot
pd.DataFrame([{"spot_nodes": n, "spread": spread, "spot_share": n / TOTAL_NODES,
               **{f"spot nodes in {site}": k for site, k in spot.items()}}
              for (n, spread), spot in FLEETS.items()]).set_index(["spot_nodes", "spread"])
'''),
    new_markdown_cell(r'''
Four interruption processes, all `poisson` (docs/fleet.md): each spot node is reclaimed at a constant rate.

* **AWS `>20%`**, the scenario's: 25% of instances interrupted in a month, 3.9e-4 per node-hour. A node lasts 2,540
  hours on average, so an hour of 11 spot nodes expects 0.004 interruptions.
* **stress, 1 per node-hour**: every spot node lasts an hour on average. No spot market we know of is this bad; it
  shows what interruptions cost when they happen.
* **stress, 1 per node-hour, 3 nodes at once** (`reclaim_nodes: 3`): the same rate per node, but a reclaim takes
  three nodes of the pool together, as when a provider takes back a block of capacity.
* **stress, 4 per node-hour**: a node lasts 15 minutes on average, to find where the fleet breaks.

Replacement and fallback stay as written. Under `poisson` spot is always obtainable, so fallback never starts: a
reclaimed node's capacity comes back when its replacement, requested 120 s after the reclaim, has booted (180 s)
and loaded its 140 GB of weights (70 s at 2 GB/s, then 30 s of engine start).
'''),
    new_code_cell(r'''
PROCESSES = {
    "AWS >20%": {"model": "poisson", "aws_bucket": ">20%"},
    "1/node-h": {"model": "poisson", "per_node_hour": 1.0},
    "1/node-h x3": {"model": "poisson", "per_node_hour": 1.0, "reclaim_nodes": 3},
    "4/node-h": {"model": "poisson", "per_node_hour": 4.0},
}
REPLICATIONS = 5


def row(r):
    """The figures we keep from one run of a content-only world."""
    c = r.classes.loc["content"]
    spot_pools = r.pools[r.pools.capacity == "spot"]
    user_hours = r.summary["users"]["user_hours"]
    return {
        "usd_per_1000_user_hours": 1000 * r.kpis["cost.per_user_hour_usd"],
        "ci95_low": 1000 * r.kpis["cost.per_user_hour_usd_ci95_low"],
        "ci95_high": 1000 * r.kpis["cost.per_user_hour_usd_ci95_high"],
        "gpu_on_demand": 1000 * r.cost.usd["gpu_on_demand"] / user_hours,
        "gpu_spot": 1000 * r.cost.usd["gpu_spot"] / user_hours,
        "slo_attainment": c.slo_attainment, "e2e_p95_s": c.e2e_p95_ms / 1000,
        "billed_gpu_hours": r.pools.gpu_hours.sum(), "ready_share": r.pools.ready_gpus_mean.sum() / (TOTAL_NODES * TP),
        "interruptions": spot_pools.interruptions.sum(), "cold_starts": spot_pools.cold_starts.sum(),
        "requests": c.requests, "migrated": spot_pools.requests_migrated.sum(), "lost": c.lost,
        "dropped_interrupted": c.dropped_by_reason_interrupted,
        "dropped_queue_timeout": c.dropped_by_reason_queue_timeout,
        "dropped_no_capacity": c.dropped_by_reason_no_capacity,
        "fallback_gpu_hours": spot_pools.fallback_gpu_hours.sum(),
    }


rows = []
for (n, spread), spot in FLEETS.items():
    fleet = content_world(spot)
    for process, interruptions in PROCESSES.items():
        if n == 0 and rows and rows[0]["spot_nodes"] == 0:
            rows.append({**rows[0], "process": process})  # no spot node: the process changes nothing
            continue
        overrides = {f"sites.{site}.pools.content-spot.interruptions": interruptions for site, k in spot.items() if k}
        r = capstan.run(fleet, set=overrides, replications=REPLICATIONS)
        rows.append({"spot_nodes": n, "spot_share": n / TOTAL_NODES, "spread": spread, "process": process, **row(r)})
runs = pd.DataFrame(rows)
baseline = runs[runs.spot_nodes == 0].set_index("process").usd_per_1000_user_hours
runs["saving"] = 1 - runs.usd_per_1000_user_hours / runs.process.map(baseline)
runs.set_index(["process", "spot_nodes", "spread"])
'''),
    new_code_cell(r'''
COLORS = dict(zip(PROCESSES, ["tab:green", "tab:blue", "tab:purple", "tab:red"]))
spread_over_both = runs[runs.spread.eq("both regions") | runs.spot_nodes.isin([0, TOTAL_NODES])]
fig = Figure(figsize=(11, 4), layout="constrained")
ax_cost, ax_slo, ax_interruptions = fig.subplots(1, 3)
for process, group in spread_over_both.groupby("process", sort=False):
    group = group.sort_values("spot_share")
    ax_cost.plot(100 * group.spot_share, group.usd_per_1000_user_hours, marker="o", color=COLORS[process],
                 label=process)
    ax_cost.fill_between(100 * group.spot_share, group.ci95_low, group.ci95_high, color=COLORS[process], alpha=0.15)
    ax_slo.plot(100 * group.spot_share, group.slo_attainment, marker="o", color=COLORS[process], label=process)
    ax_interruptions.plot(100 * group.spot_share, group.interruptions, marker="o", color=COLORS[process],
                          label=process)
ax_slo.axhline(content["slo"]["percentile"] / 100, color="black", linestyle=":", label="SLO percentile")
ax_cost.set_ylabel("content cost per 1000 user-hours (USD)")
ax_slo.set_ylabel("content SLO attainment (e2e <= 60 s)")
ax_interruptions.set_ylabel("spot nodes reclaimed in 45 minutes")
for ax in (ax_cost, ax_slo, ax_interruptions):
    ax.set_xlabel("spot share of the content GPUs (%)")
    ax.grid(True, alpha=0.3)
ax_cost.legend(fontsize="small")
fig.suptitle("Content fleet of 44 H100s, spot spread over both regions")
fig
'''),
    new_markdown_cell(r'''
At the catalog's prices the saving is the spot share times the discount, and interruptions hardly move it:

* Under the scenario's AWS `>20%` rate no node was reclaimed in any replication of any fleet. The content fleet costs
  \$2.358 per 1000 user-hours all on demand, \$2.089 as written (5 of 11 nodes on spot: 11.4% saved) and \$1.770 all
  on spot (24.9% saved, the catalog's figure), with every content request within 60 s (p95 31.8 s).
* At 1 reclaim per node-hour the all-spot fleet loses 6.8 nodes in 45 minutes and has 91.5% of its GPUs ready on
  average, yet content meets its SLO in every fleet (attainment 0.999 or more, p95 at most 33.8 s); fewer than two
  requests per run migrate and none is lost. A reclaimed node has 120 s of notice to finish what it runs, and a
  content request takes under 34 s at p95.
* With reclaims taking 3 nodes at once, every fleet with 3 or more of US East's 7 nodes on spot drops requests after
  30 s in a queue (the scenario's `max_queue_s`): 516 of 86,882 with 3, 707 with 5, and 1,344 with all 7, which also
  migrate 81; attainment 0.985, 0.978 and 0.963, all within the SLO.
* At 4 per node-hour the all-spot fleet has 65.2% of its GPUs ready, migrates 1,044 requests, drops 3,309 on queue
  timeouts and reads an attainment of 0.924: the p95 of the requests it completes is 57.7 s, but with the dropped
  ones counted fewer than 95% finish within 60 s, and the SLO is missed. So is it by the fleet with 8 spot nodes
  packed into US East (attainment 0.932); the same 8 spread over both regions hold it (0.963).

No request was lost in any run: every relocated request found a ready replica. The bill barely reacts to
interruptions because a reclaimed node is billed through its notice and its replacement from its request; only a
node reclaimed while it still boots goes at once and leaves 120 s unbilled before its replacement. At 4 per node-hour
the all-spot fleet is billed 32.0 of its nominal 33 GPU-hours while only 65% of its GPUs are ready: that gap, not
cheaper capacity, is why its saving reads 27.2%.
'''),
    new_markdown_cell(r'''
## Where: both regions or US East first

The same fleets side by side under the stress processes (under the scenario's own rate nothing is reclaimed, so
placement changes nothing).
'''),
    new_code_cell(r'''
on_demand = capstan.run(content_world(FLEETS[(0, "both regions")]), replications=REPLICATIONS)
print("all on demand, how busy each region is:")
print(on_demand.pools[["ready_gpus_mean", "batch_occupancy", "kv_occupancy"]].to_string())
spread = runs[runs.spot_nodes.isin([3, 5, 8]) & runs.process.ne("AWS >20%")]
spread.pivot_table(index=["process", "spot_nodes"], columns="spread", sort=False,
                   values=["usd_per_1000_user_hours", "slo_attainment", "e2e_p95_s", "interruptions", "migrated",
                           "dropped_queue_timeout"])
'''),
    new_markdown_cell(r'''
With independent reclaims at 1 per node-hour the placement makes no difference beyond noise (p95 within 0.5 s, no
drops). Under the harsher processes packing spot into US East is worse: at 4 per node-hour with 5 spot nodes, *US East
first* drops 1,626 requests on queue timeouts and reads a p95 of 52.4 s, *both regions* none and 35.1 s. What decides
is how many of US East's 7 nodes are spot, for US East is the busy region in this window (53% of its running slots
in use against 8% in EU West): *5, US East first* and *8, both regions* hold the same US East pool (5 spot of 7) and,
with the same random numbers, drop the same 1,626 requests; *8, US East first* (all 7) drops 2,939, and *11*, with
EU West's 4 on spot as well, 3,309.
Spreading is also a little cheaper, since EU West's spot discount is worth more per GPU-hour (\$0.82 against
\$0.75): \$2.089 against \$2.099 per 1000 user-hours at 5 spot nodes.

## Against the seed's 60-70%

The saving of all-spot over all-on-demand under each process, at the catalog's price and with the spot price cut to
the seed's 60-70% off on-demand (a scenario's `catalog` section overrides the price, here through `capstan.sweep`).
'''),
    new_code_cell(r'''
DISCOUNTS = [None, 0.5, 0.6, 0.7]  # None: the catalog's own spot prices


def price_override(discount):
    if discount is None:
        return {}
    return {f"catalog.gpus.{deployment['gpu']}.price_by_region.{region}": {
                "on_demand_usd_per_hour": prices.on_demand_usd_per_hour[site],
                "spot_usd_per_hour": round(prices.on_demand_usd_per_hour[site] * (1 - discount), 4)}
            for site, region in REGIONS.items()}


all_spot_fleet = content_world(FLEETS[(TOTAL_NODES, "both regions")])
points = [{**price_override(d), **{f"sites.{site}.pools.content-spot.interruptions": interruptions for site in REGIONS},
           "simulation.seed": world["simulation"]["seed"]}
          for d in DISCOUNTS for interruptions in PROCESSES.values()]
priced = capstan.sweep(all_spot_fleet, points=points, replications=REPLICATIONS)
priced.insert(0, "spot_discount", [prices.spot_discount.mean() if d is None else d
                                   for d in DISCOUNTS for _ in PROCESSES])
priced.insert(1, "process", [p for _ in DISCOUNTS for p in PROCESSES])
priced["usd_per_1000_user_hours"] = 1000 * priced["cost.per_user_hour_usd"]
priced["saving_vs_all_on_demand"] = 1 - priced.usd_per_1000_user_hours / priced.process.map(baseline)
priced.pivot_table(index="spot_discount", columns="process", values="saving_vs_all_on_demand", sort=False)
'''),
    new_markdown_cell(r'''
capstan's saving is what its price list says. All on spot saves 24.9% at the catalog's prices (25.0-25.2% under the
first two stress processes, 27.2% at 4 per node-hour for the billing gap above), and 50.0-51.5%, 60.0-61.2% and
70.0-70.9% with spot priced 50%, 60% and 70% below on-demand. The seed's 60-70% holds here only if spot H100s cost
60-70% less than on-demand ones; the catalog's H100 entry, a 2025-26 sample of GCP A3 list prices, has them 25% off
(its note: H100 spot is reported 50-65% off elsewhere). At every interruption rate tried, interruptions cost latency
and dropped requests, not money.

## In the whole world

The content fleet is one part of the world's bill. The scenario as written (every class, its 5 content nodes of 11 on
spot, AWS `>20%`) in the same window:
'''),
    new_code_cell(r'''
whole = capstan.run(scenario, replications=REPLICATIONS)
world_usd = 1000 * whole.kpis["cost.per_user_hour_usd"]
as_written_content = runs.set_index(["process", "spot_nodes", "spread"]).loc[("AWS >20%", 5, "both regions")]
all_spot_content = runs.set_index(["process", "spot_nodes", "spread"]).loc[("AWS >20%", TOTAL_NODES, "both regions")]
print(f"the world: ${world_usd:.2f} per 1000 user-hours "
      f"[{1000 * whole.kpis['cost.per_user_hour_usd_ci95_low']:.2f}, "
      f"{1000 * whole.kpis['cost.per_user_hour_usd_ci95_high']:.2f}]")
print(f"its content fleet as written: ${as_written_content.usd_per_1000_user_hours:.2f} "
      f"({as_written_content.usd_per_1000_user_hours / world_usd:.1%} of it)")
saved = as_written_content.usd_per_1000_user_hours - all_spot_content.usd_per_1000_user_hours
print(f"all of it on spot would save ${saved:.2f} per 1000 user-hours, {saved / world_usd:.1%} of the world's cost; "
      f"all of it on demand would add ${baseline['AWS >20%'] - as_written_content.usd_per_1000_user_hours:.2f}")
whole.cost.round(2)
'''),
    new_markdown_cell(r'''
Content is 7.4% of the world's \$28.17 per 1000 user-hours; human review of escalated moderation, 82 reviewers
staffed through the window and paid by the hour, is about three quarters of the bill. Moving the other 6 content nodes
to spot would save \$0.32 per 1000 user-hours, 1.1% of the world's cost; the 5 spot nodes already in the scenario save
\$0.27 against an all-on-demand content fleet.
'''),
]

# ---------------------------------------------------------------------------------------------------------------
DAY = [
    new_markdown_cell(r'''
# What does autoscaling save over a day?

In `consumer_world.json`'s hand-sized fleet the four edge dialogue pools (Llama-3-8B on L40S) autoscale as a Kubernetes HPA would: every
15 s each pool sums the share of its replicas' running slots in use (`batch_occupancy`), aims at 0.25 per replica,
scales up at once and down after a 300 s window, between a quarter and 1.25 times its written size. A new node
cold-starts: 180 s of boot, 8 s to read 16 GB of weights, 30 s of engine start (docs/fleet.md). The notebook starts from the world's first, hand-sized fleet (`hand_sized_fleet.json`: dialogue and reactive
behaviour on L40S at the edge), which misses both latency SLOs; the scenario now ships the fleet `capstan plan` found
(`capacity_100k.ipynb`).

We simulate a whole day of the world at its 100k peak, one replication per fleet (a day at 100k users takes about
three minutes of CPU per run; two runs share the two cores), in four versions of its dialogue pools:

* **autoscaled**: the scenario as written;
* **fixed**: `autoscale` removed, every pool at its written size all day;
* **scheduled**: a 24-hour `schedule` per pool that follows its metro's diurnal curve: for each local hour, the
  written size times the larger of the curve's values at the start and the end of the hour (the written size at the
  metro's 20:00 peak), never under the autoscaler's minimum;
* **autoscaled, instant nodes**: as written, but a new node serves the moment it is asked for (no boot, no load, no
  engine start): what cold starts cost, isolated.

Each run warms up for an hour (the autoscaled pools settle from their written size) and then measures 24 hours from 01:00 UTC. With a single replication there are no intervals; every fleet sees the
same users (common random numbers).
'''),
    new_code_cell(SETUP),
    new_code_cell(r'''
import copy
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

scenario = hand_sized_world()
world = scenario.to_dict()
DAY = {"simulation.start_hour_utc": 0, "simulation.warmup_h": 1.0, "simulation.duration_h": 25.0}
DIALOGUE = [(s["name"], p["name"]) for s in world["sites"] for p in s["pools"] if p["deployment"] == "dialogue-8b"]
POOLS = [f"{site}/{pool}" for site, pool in DIALOGUE]
# The metro whose evening each edge pool carries (Frankfurt takes London's spill).
METRO = {"edge-ashburn": "metro-us-east", "edge-london": "metro-london", "edge-frankfurt": "metro-london",
         "edge-tokyo": "metro-tokyo"}
origins = {o["name"]: o for o in world["workload"]["origins"]}
diurnal = world["workload"]["diurnal"]
pd.DataFrame([{"pool": f"{s['name']}/{p['name']}", "metro": METRO[s["name"]], "gpus": p["gpus"],
               **{k: p["autoscale"][k] for k in ("min_gpus", "max_gpus", "metric", "target", "period_s",
                                                 "scale_down_delay_s")}}
              for s in world["sites"] for p in s["pools"] if p["deployment"] == "dialogue-8b"]).set_index("pool")
'''),
    new_code_cell(r'''
def variant(kind):
    """consumer_world with its dialogue pools fixed, scheduled, autoscaled, or autoscaled with instant nodes."""
    doc = copy.deepcopy(world)
    for s in doc["sites"]:
        for p in s["pools"]:
            if p["deployment"] != "dialogue-8b":
                continue
            if kind == "fixed":
                del p["autoscale"]
            elif kind == "scheduled":
                low = p["autoscale"]["min_gpus"]
                hourly = [max(a, b) for a, b in zip(diurnal, diurnal[1:] + diurnal[:1])]  # the hour's start or end
                p["autoscale"] = {"schedule": [max(low, math.ceil(p["gpus"] * d)) for d in hourly],
                                  "utc_offset_h": origins[METRO[s["name"]]]["utc_offset_h"]}
            elif kind == "autoscaled, instant nodes":
                p["cold_start"] = {"boot_s": 0, "weight_load_gb_per_s": 100000, "engine_start_s": 0}
    return capstan.load(doc)


VARIANTS = ["autoscaled", "fixed", "scheduled", "autoscaled, instant nodes"]
fleets = {kind: variant(kind) for kind in VARIANTS}
schedules = pd.DataFrame({f"{s['name']}/{p['name']}": p["autoscale"]["schedule"]
                          for s in fleets["scheduled"].to_dict()["sites"] for p in s["pools"]
                          if p["deployment"] == "dialogue-8b"})
schedules.index.name = "local hour"
schedules.T
'''),
    new_code_cell(r'''
%%time
with ThreadPoolExecutor(max_workers=2) as pool:  # one replication each, one core each
    futures = {kind: pool.submit(capstan.run, fleet, set=DAY, replications=1, threads=1)
               for kind, fleet in fleets.items()}
    results = {kind: f.result() for kind, f in futures.items()}
'''),
    new_code_cell(r'''
rows = []
for kind, r in results.items():
    d = r.classes.loc["dialogue"]
    dialogue_pools = r.pools.loc[POOLS]
    user_hours = r.summary["users"]["user_hours"]
    rows.append({
        "fleet": kind,
        "usd_per_1000_user_hours": 1000 * r.kpis["cost.per_user_hour_usd"],
        "gpu_usd_per_1000_user_hours": 1000 * r.cost.usd[[c for c in r.cost.index if c.startswith("gpu")]].sum()
                                       / user_hours,
        "dialogue_gpu_hours": dialogue_pools.gpu_hours.sum(),
        "dialogue_batch_occupancy": (dialogue_pools.batch_occupancy * dialogue_pools.gpu_hours).sum()
                                    / dialogue_pools.gpu_hours.sum(),
        "dialogue_cold_starts": dialogue_pools.cold_starts.sum(),
        "dialogue_migrated": dialogue_pools.requests_migrated.sum(),
        "dialogue_dropped": d.dropped, "dialogue_lost": d.lost,
        "dialogue_ttft_p50_ms": d.ttft_p50_ms, "dialogue_ttft_p95_ms": d.ttft_p95_ms,
        "dialogue_slo_attainment": d.slo_attainment, "dialogue_intervals_met_share": d.slo_intervals_met_share,
        "reactive_slo_attainment": r.classes.loc["reactive", "slo_attainment"],
    })
day = pd.DataFrame(rows).set_index("fleet")
print(f"{results['fixed'].summary['users']['user_hours']:,.0f} user-hours in the day")
day.T
'''),
    new_code_cell(r'''
fixed = day.loc["fixed"]
for kind in ("autoscaled", "scheduled"):
    v = day.loc[kind]
    print(f"{kind} against fixed: {1 - v.dialogue_gpu_hours / fixed.dialogue_gpu_hours:.1%} fewer dialogue GPU-hours, "
          f"{1 - v.gpu_usd_per_1000_user_hours / fixed.gpu_usd_per_1000_user_hours:.1%} off the GPU bill, "
          f"{1 - v.usd_per_1000_user_hours / fixed.usd_per_1000_user_hours:.1%} off the cost per user-hour; "
          f"dialogue attainment {v.dialogue_slo_attainment:.3f} against {fixed.dialogue_slo_attainment:.3f}")
instant = day.loc["autoscaled, instant nodes"]
print(f"cold starts: {day.loc['autoscaled', 'dialogue_slo_attainment']:.3f} with them, "
      f"{instant.dialogue_slo_attainment:.3f} with instant nodes")
'''),
    new_code_cell(r'''
per_pool = pd.concat({figure: pd.DataFrame({kind: r.pools.loc[POOLS, figure] for kind, r in results.items()})
                      for figure in ("gpu_hours", "cold_starts")}, axis=1)
per_pool[("gpu_hours", "autoscaled / fixed")] = per_pool[("gpu_hours", "autoscaled")] / per_pool[("gpu_hours", "fixed")]
per_pool[["gpu_hours", "cold_starts"]]
'''),
    new_markdown_cell(r'''
## Ready GPUs over the day

Each pool's ready GPUs (`ready_gpus:<site>/<pool>` in the time series, one value a minute) against the users of the
metro it serves (the scenario's curve: peak users x the metro's share x the diurnal curve at its local hour).
'''),
    new_code_cell(r'''
STYLE = {"autoscaled": ("tab:blue", "-"), "scheduled": ("tab:orange", "-"), "fixed": ("black", "--"),
         "autoscaled, instant nodes": ("tab:green", ":")}
fig = Figure(figsize=(11, 7), layout="constrained")
axes = fig.subplots(2, 2, sharex=True).ravel()
for ax, pool in zip(axes, POOLS):
    site = pool.split("/")[0]
    for kind, r in results.items():
        ts = r.timeseries
        color, style = STYLE[kind]
        ax.plot(ts.minute / 60, ts[f"ready_gpus:{pool}"], color=color, linestyle=style, linewidth=1.2, label=kind)
    metro = origins[METRO[site]]
    hours = np.arange(0, 25.01, 0.25)
    local = (hours + metro["utc_offset_h"]) % 24
    users = world["workload"]["peak_users"] * metro["share"] * np.interp(local, np.arange(25), diurnal + diurnal[:1])
    users_ax = ax.twinx()
    users_ax.fill_between(hours, users, color="tab:gray", alpha=0.15, linewidth=0)
    users_ax.set_ylabel(f"users in {METRO[site]}", color="tab:gray")
    users_ax.set_ylim(0, None)
    ax.set_zorder(users_ax.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.axvspan(0, 1, color="tab:gray", alpha=0.08)
    ax.set_title(pool)
    ax.set_ylabel("ready GPUs")
    ax.set_ylim(0, None)
    ax.grid(True, alpha=0.3)
for ax in axes[2:]:
    ax.set_xlabel("hours from 00:00 UTC (the first hour is warm-up)")
axes[0].legend(fontsize="small", loc="lower left")
fig.suptitle("Dialogue pools over a day at 100k peak users")
fig
'''),
    new_code_cell(r'''
fig = Figure(figsize=(11, 3.8), layout="constrained")
ax = fig.subplots()
for kind, r in results.items():
    ts = r.timeseries[r.timeseries.minute >= 60]
    color, style = STYLE[kind]
    ax.plot(ts.minute / 60, ts["p95_ttft_ms_dialogue"].rolling(15, center=True).mean(), color=color,
            linestyle=style, linewidth=1.2, label=kind)
ax.axhline(200, color="black", linestyle=":", label="200 ms SLO")
ax.set_xlabel("hours from 00:00 UTC")
ax.set_ylabel("dialogue TTFT p95 (ms), 15-minute mean")
ax.grid(True, alpha=0.3)
ax.legend(fontsize="small", ncol=5)
measured = {kind: r.timeseries[r.timeseries.minute >= 60].p95_ttft_ms_dialogue for kind, r in results.items()}
print("dialogue TTFT p95 of each minute after the warm-up, lowest and highest (ms):")
print(pd.DataFrame({"lowest": {k: v.min() for k, v in measured.items()},
                    "highest": {k: v.max() for k, v in measured.items()}}).round(1).to_string())
fig
'''),
    new_markdown_cell(r'''
## What autoscaling saves, and what it costs

Over the day the autoscaled dialogue pools bill 2,549 GPU-hours against 5,136 for the same pools held at their
written sizes: 50.4% fewer. That takes 37.8% off the world's GPU bill and 14.6% off its cost per user-hour (\$29.89
against \$34.99 per 1000 user-hours; the other \$21.49 is almost all human review of escalated moderation: the
scenario staffs 1,466 reviewer-hours a day at \$15, paid whether or not items come, the same in every fleet).
Ashburn and Tokyo bill 49% of their fixed GPU-hours, London 61%, Frankfurt 25% (it serves almost nothing and stays at
its minimum of 4).

**The SLO price.** Dialogue's 200 ms TTFT holds for 42.8% of requests autoscaled, against 63.5% fixed. No fleet meets
the SLO in any minute of the day (`intervals_met_share` is 0 for all four): even the fixed fleet's p95 never falls
below 210.0 ms in a minute; with prompts that carry a persona and history, the tail of dialogue's TTFT on L40S sits
above 200 ms (`capacity_100k.ipynb` moves dialogue to faster cards for that). Of the 20.7 points that autoscaling
loses, cold starts account for about 0.3: with instant nodes the autoscaled fleet reaches 43.1% (one replication, so
only the order of magnitude counts). The rest comes with the target itself: the autoscaler keeps a quarter of each
replica's running slots busy (20.4% of the slots in use over the day against 8.6% in the fixed fleet), and with
fuller batches a turn starts later (TTFT p50 203.2 ms against 187.9 ms).

The schedule, which climbs each metro's curve an hour at a time, bills about as much (2,615 GPU-hours, 14.2% off the
cost per user-hour) with 160 cold starts against the autoscaler's 350, and meets 200 ms as often (42.8%), but its p95
rises, up to 268.0 ms in a minute, in the hours its pools step down below what the autoscaler holds. The autoscaler's
extra starts are nodes started and released again as the metric swings around its target, the short spikes on the
rising side of its curves; with instant nodes it starts even more (391). No dialogue request was dropped or lost in
any fleet; the autoscaler's scale-downs moved 107 requests off draining nodes to other replicas.
'''),
]

# ---------------------------------------------------------------------------------------------------------------
MODEL_PRECISION = [
    new_markdown_cell(r'''
# Which model and precision for NPC dialogue?

An NPC's dialogue turn in `consumer_world.json` carries a 1,000-token persona and up to six turns of history, adds
about 40 new tokens and answers with about 150; players start 20 turns an hour, and the first token must reach them
within 200 ms at the 95th percentile, the 30 ms last mile and the 4 ms from the metro to the edge site included. We
serve 5,000 players in one metro from one edge site and ask what the model and its precision cost: Llama-3.1-8B
(dense) and Qwen3-30B-A3B (a mixture of 128 experts, 8 per token, 3.3B parameters active), each in bf16 and in FP8
(FP8 weights, FP8 GEMMs and an FP8 KV cache), and gpt-oss-20b (32 experts, 4 per token, 3.6B active) as OpenAI
publishes it, its experts' weights in MXFP4 and every other layer attending over only the last 128 tokens, on H100s
and on L40S. For each we find the smallest pool that holds the SLO (its 95% interval under 200 ms) and read its
cost per user-hour.

capstan prices latency and cost, not what an answer is worth: which model writes the better NPC is for an
evaluation, not a simulator.
'''),
    new_code_cell(SETUP),
    new_code_cell(r'''
import json

world = json.loads(pathlib.Path("../scenarios/consumer_world.json").read_text())
dialogue = dict(next(c for c in world["classes"] if c["name"] == "dialogue"), deployment="npc")
FP8 = {"weights": "fp8", "activations": "fp8", "kv_cache": "fp8"}
PLAYERS = 5000


def npc_world(model, gpu, tensor_parallel, precision, replicas):
    deployment = {"name": "npc", "model": model, "gpu": gpu, "tensor_parallel": tensor_parallel,
                  "max_running_seqs": 64, "max_batch_tokens": 2048, "max_model_len_tokens": 4096}
    if precision:
        deployment["precision"] = precision
    return {"name": "npc-dialogue",
            "simulation": {"duration_h": 0.35, "warmup_h": 0.1, "seed": 7, "replications": 2},
            "workload": {"peak_users": PLAYERS, "diurnal": [1] * 24, "session": world["workload"]["session"],
                         "origins": [{"name": "metro", "share": 1, "last_mile_rtt_ms": 30}]},
            "classes": [dialogue], "deployments": [deployment],
            "sites": [{"name": "edge", "kind": "edge", "region": "us-east",
                       "pools": [{"name": "npc", "deployment": "npc", "gpus": replicas * tensor_parallel}]}],
            "network": {"links": [{"a": "metro", "b": "edge", "rtt_ms": 4}]}}


def holds(summary):
    # The planner's rule: the SLO percentile's 95% interval under the threshold, drops within its allowance.
    c = summary["classes"]["dialogue"]
    return (c["slo"]["percentile_ms_ci95"][1] <= c["slo"]["threshold_ms"]
            and (c["dropped"] + c["lost"]) / c["requests"] <= 1 - c["slo"]["percentile"] / 100)


# bf16 Qwen3-30B-A3B (61 GB of weights) needs two L40S per replica; everything else fits one GPU.
VARIANTS = [("llama-3.1-8b", None, "h100", 1), ("llama-3.1-8b", FP8, "h100", 1),
            ("llama-3.1-8b", None, "l40s", 1), ("llama-3.1-8b", FP8, "l40s", 1),
            ("qwen3-30b-a3b", None, "h100", 1), ("qwen3-30b-a3b", FP8, "h100", 1),
            ("qwen3-30b-a3b", None, "l40s", 2), ("qwen3-30b-a3b", FP8, "l40s", 1),
            ("gpt-oss-20b", None, "h100", 1), ("gpt-oss-20b", None, "l40s", 1)]
MAX_REPLICAS = 64
rows = []
for model, precision, gpu, tp in VARIANTS:
    for replicas in range(1, MAX_REPLICAS + 1):
        summary = capstan.run(npc_world(model, gpu, tp, precision, replicas)).summary
        if holds(summary):
            break
    c = summary["classes"]["dialogue"]
    native = "mxfp4" if model.startswith("gpt-oss") else "bf16"  # gpt-oss ships its experts in MXFP4
    rows.append({"model": model, "precision": "fp8" if precision else native, "gpu": f"{gpu} x{tp}",
                 "holds": holds(summary), "gpus": replicas * tp, "ttft_p95_ms": c["slo"]["percentile_ms"],
                 "slo_attainment": c["slo"]["attainment"],
                 "usd_per_1000_user_hours": 1000 * summary["cost"]["per_user_hour_usd"]})
fleets = pd.DataFrame(rows).set_index(["model", "precision", "gpu"])
fleets
'''),
    new_code_cell(r'''
held = fleets[fleets.holds]
fig = Figure(figsize=(8, 3.6))
ax = fig.subplots()
labels = [f"{m.rsplit('-', 1)[0] if m.startswith('gpt') else m.split('-')[0]} {p}\n{g}" for m, p, g in held.index]
colours = {"bf16": "#4c72b0", "fp8": "#dd8452", "mxfp4": "#55a868"}
ax.bar(range(len(held)), held.usd_per_1000_user_hours, color=[colours[p] for _, p, _ in held.index])
ax.set_xticks(range(len(held)), labels, fontsize="small")
ax.set_ylabel("USD per 1000 user-hours")
ax.set_title(f"NPC dialogue for {PLAYERS:,} players, p95 TTFT within 200 ms")
for i, (gpus, usd) in enumerate(zip(held.gpus, held.usd_per_1000_user_hours)):
    ax.annotate(f"{gpus} GPUs", (i, usd), ha="center", va="bottom", fontsize="small")
fig
'''),
    new_markdown_cell(r'''
**On H100s, FP8 is the cheaper way to serve either model.** Llama-3.1-8B holds the SLO on 3 H100s in bf16 and on 2 in
FP8, Qwen3-30B-A3B on 4 and on 2: \$1.79 and \$2.38 per 1000 user-hours in bf16 against \$1.20 for both in FP8. FP8
halves the weights a decode step reads and doubles the tensor cores' peak for the prompt's prefill, and at this
scale a pool of a few GPUs rounds to whole ones, so the two models end on the same 2 H100s.

**On L40S, bf16 barely holds the SLO at all.** A turn's prompt is 1,000 to about 2,200 tokens (the persona and the
history), and an L40S prefills it in bf16 with so little of the 200 ms left after the network and the API server
that Llama-3.1-8B holds the SLO only on 60 of them, each nearly idle (p95 193 ms, 96.8% of turns within 200 ms):
\$22.00 per 1000 user-hours, twelve times the H100s'. In FP8 it needs 6 (\$2.21), close to the H100s' bill at the
L40S's lower price. Qwen3-30B-A3B in bf16 needs two L40S a replica (61 GB of weights) and holds the SLO with none of
the pools tried, up to 128 GPUs (p95 237 ms there); in FP8 on one L40S it needs 35 (\$12.84). Its 3.3B active
parameters are not what a decode step reads: a batch of a few dozen turns routes its tokens to nearly all 128
experts, so each step reads nearly all 30 GB of FP8 weights against the dense 8B model's 8 GB, and on the L40S's
864 GB/s (an H100 has 3,350) every turn's prefill waits behind those longer steps.

**gpt-oss-20b matches FP8 on H100s, costs the least on L40S, and is the least certain.** With 3.6B active parameters, its experts in
MXFP4 (about a quarter of bf16's bytes) and half its layers attending over only the last 128 tokens, it holds the SLO
on 2 H100s (\$1.20 per 1000 user-hours, as the FP8 models) and on 5 L40S (\$1.85), the only L40S pool under \$2. But
the accuracy page finds capstan 25% to 100% fast on gpt-oss on Hopper against TensorRT-LLM's published throughput
(its MXFP4 experts run there through dequantising kernels whose rate no public source measures) and 24% to 52% fast
on B200: read its rows as a lower bound on the fleet until a calibration on your GPUs says otherwise.

What these figures rest on (`docs/accuracy.md`): FP8 and the mixture of experts are checked against TensorRT-LLM's
published FP8 throughput on H100, H200 and L40S, where Mixtral-8x7B in FP8 on H100 holds within ±25% at every point
and Llama-3.1-8B in FP8 reads 15-22% slow with long answers; capstan routes tokens to experts uniformly, and
prefill-heavy mixture-of-experts batches read up to a third fast there, so Qwen3's bills lean optimistic. The L40S's
kernel figures are borrowed from the closest architecture: calibrate one (`docs/calibration.md`) before buying on
the L40S rows.
'''),
]

NOTEBOOKS = {
    "capacity_100k": CAPACITY,
    "edge_vs_cloud": EDGE_VS_CLOUD,
    "cost_per_user_hour": COST,
    "spot_share": SPOT,
    "autoscaling_day": DAY,
    "model_precision": MODEL_PRECISION,
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


def execute(nb: nbformat.NotebookNode, timeout_s: int = 900) -> None:
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
