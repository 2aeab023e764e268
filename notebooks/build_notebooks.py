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
TP 4) on H100 pools (part spot) in two AWS regions, moderation on L4s. The edge sites rent bare GPUs at the GPU
catalog's prices; the AWS sites rent whole instances, here p5.48xlarge (8 H100s, two content replicas each) at AWS's
instance-hour prices, so capstan runs US East's 12 spot H100s as two instances, 16 GPUs. This notebook measures that
fleet at the peak, then asks `capstan plan` for the cheapest fleet that meets every SLO. Dialogue must start answering
within **200 ms at p95**; reactive behaviour must finish within **50 ms at p95**, network included.

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
of warm-up, 48,580 after 15 and 48,500 after an hour, and dialogue meets its 200 ms for 37.2%, 36.5% and 38.1% of
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
print(f"the fleet as run: {base.summary['fleet']['gpus']} GPUs on {base.summary['fleet']['nodes']} nodes "
      f"({fleet.gpus.sum()} GPUs as written); its AWS pools:")
for pool, note in base.pools.instance_note.dropna().items():
    print(f"  {pool}: {note}")
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
print(f"planned fleet: {where.gpus.sum()} GPUs (hand-sized: {base.summary['fleet']['gpus']} as run, "
      f"{fleet.gpus.sum()} as written)")
where.pivot_table(index=["kind", "site", "region"], columns="gpu", values="gpus", aggfunc="sum", fill_value=0)
'''),
    new_markdown_cell(r'''
The planner ran 26 candidate fleets (3.1 minutes on this notebook's two cores). Screening ruled out reactive
behaviour on an L40S (at least 56 ms even unloaded, network and the API server included), an A10G or an L4, and
dialogue on an A10G or an L4 (at least 282 and 316 ms), and left out every kind estimated at over 1.5 times the
cheapest: dialogue on H200, B200, H100, A100 (80 and 40 GB), RTX PRO 6000 and L40S, reactive behaviour on RTX PRO
6000, H200, A100 40 GB and B200. Of the kinds it ran, dialogue on MI325X and reactive behaviour on MI300X won: at the
same stage of the search both on MI300X cost \$0.02505 per user-hour and reactive behaviour on A100s \$0.02500,
against \$0.02485 for the winners, which trimming each pool then brought to \$0.02413. The planned fleet has **89
GPUs against the hand-sized 276** (272 as written) and meets every SLO at the peak: dialogue's p95 TTFT 164 ms (the
interval's upper end 168 ms) against 200, reactive's p95 48.1 ms against 50, content's 56.5 s against 60. A user-hour
costs \$0.0241 [0.0241, 0.0242], 15% less than the hand-sized fleet's \$0.0283, which met neither (dialogue's p95 234
ms, reactive's 60 ms). Moving the edge to faster cards is what does it: AMD's MI300X and MI325X rent for two-thirds
to three-quarters of an H100's hourly price in the catalog's 2026 samples and stream memory faster, so far fewer of
them than of L40S hold the SLOs, at a lower price than NVIDIA's datacenter cards. That choice rests on their
datasheet peaks, AMD's own measured GEMM rate and a public stream benchmark, their other kernel figures borrowed from
the H100 class (`docs/scenario.md`, catalog), and on vLLM running on ROCm as on CUDA: an earlier run of this
notebook, before the catalog had them and while the content pools were still priced per GPU, put both deployments on
H200s, at 3% more than the AMD fleet of that run.

The content pools are sized in whole p5.48xlarge, at \$55.04 an instance-hour on demand and \$28.11 spot in US East,
\$71.55 and \$17.99 in EU West: the plan keeps US East's 2 on-demand and 2 spot instances (32 H100s) and moves EU
West's content entirely onto spot, one instance and none on demand, where spot is 75% off. In a 12-minute window under
the scenario's AWS `>20%` rate a reclaim is rare, and `spot_share.ipynb` shows what that bet costs when reclaims come.
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
load. A user-hour costs \$0.033 at 25k users, \$0.027 at 50k and \$0.024 at 100k: the fleet is sized for the peak,
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
* **regional cloud**: the same number of GPUs on AWS machines in the AWS region of each metro: US East, EU West
  (AWS's London region in the catalog) and a Tokyo region that we add (`ap-northeast`, 8 ms from its metro as
  cloud-us-east's direct link is from metro-us-east: an assumption, not a measurement). AWS sells no L40S machine in
  EU West: its L40S instances, the g6e family, are in the catalog for us-east, us-west, eu-central and ap-northeast
  only (G6e is not listed in eu-west-1 or eu-west-2), and capstan refuses an L40S pool on an AWS site in eu-west. So
  London's regional L40S go to Frankfurt (`eu-central`, a site we add 2 ms from the Frankfurt edge site, as each cloud
  region of the scenario is from its metro's edge site: 17 ms from London over the scenario's links, an assumption);
  its H100s stay in EU West, where AWS sells p5;
* **central cloud**: all of them in AWS US East.

The edge sites are `generic`: they rent bare GPUs at the GPU catalog's prices (`models/catalog/data/gpus.json`). The
AWS sites rent instances at AWS's prices per instance-hour (`models/catalog/data/instances.json`): capstan picks the
cheapest per replica that fits, here the one-GPU g6e.xlarge and p5.4xlarge. The cost of a placement is therefore also
the cost of a price list.

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
import json

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
INSTANCES = json.loads((pathlib.Path.cwd().parent / "models" / "catalog" / "data" / "instances.json").read_text())


def aws_regions(gpu):
    """The regions where the instance catalog prices an AWS machine of `gpu`, with the machines."""
    regions = {}
    for name, i in INSTANCES["instances"].items():
        if i["cloud"] == "aws" and i["gpu"] == gpu:
            for region in i["prices"]:
                regions.setdefault(region, []).append(name)
    return regions


# Cloud regions the placements add (assumptions, not measurements): Tokyo's AWS region as far from its metro as
# cloud-us-east is from metro-us-east, and Frankfurt's (eu-central) 2 ms from the Frankfurt edge site, as each cloud
# region of the scenario is from its metro's edge site.
EXTRA_SITES = [{"name": "cloud-ap-northeast", "kind": "cloud", "region": "ap-northeast", "cloud": "aws", "pools": []},
               {"name": "cloud-eu-central", "kind": "cloud", "region": "eu-central", "cloud": "aws", "pools": []}]
EXTRA_LINKS = [{"a": "metro-tokyo", "b": "cloud-ap-northeast", "rtt_ms": 8.0},
               {"a": "edge-frankfurt", "b": "cloud-eu-central", "rtt_ms": 2.0}]
# Each metro's AWS regions, nearest first: the regional placement takes the first that sells a machine of the GPU.
REGIONAL = {"metro-us-east": ["cloud-us-east"], "metro-london": ["cloud-eu-west", "cloud-eu-central"],
            "metro-tokyo": ["cloud-ap-northeast"]}
GPUS = ("l40s", "h100")


def with_cloud_regions(doc):
    doc = copy.deepcopy(doc)
    doc["sites"] += copy.deepcopy(EXTRA_SITES)
    doc["network"]["links"] += copy.deepcopy(EXTRA_LINKS)
    return doc


cloud_world = with_cloud_regions(world)
REGION = {s["name"]: s["region"] for s in cloud_world["sites"]}


def regional_site(metro, gpu):
    return next(site for site in REGIONAL[metro] if REGION[site] in aws_regions(gpu))


for gpu in GPUS:
    print(f"AWS machines of {gpu} in the catalog: " + "; ".join(
        f"{region} ({', '.join(names)})" for region, names in sorted(aws_regions(gpu).items())))
edge_sites = [s["name"] for s in world["sites"] if any(p["deployment"] == "reactive-1b" for p in s["pools"])]
rows = []
for origin in world["workload"]["origins"]:
    paths = rtt_ms(cloud_world, origin["name"])
    nearest_edge = min(edge_sites, key=lambda s: paths.get(s, float("inf")))
    sites = [("edge", nearest_edge)] + [(f"regional cloud, {gpu}", regional_site(origin["name"], gpu)) for gpu in GPUS]
    for placement, site in sites + [("central cloud", "cloud-us-east")]:
        network = origin["last_mile_rtt_ms"] + paths[site]
        rows.append({"origin": origin["name"], "placement": placement, "site": site, "region": REGION[site],
                     "last_mile_ms": origin["last_mile_rtt_ms"], "rtt_ms": paths[site], "network_ms": network,
                     "left_for_serving_ms": BUDGET_MS - network})
budget = pd.DataFrame(rows).set_index(["origin", "placement"])
budget
'''),
    new_markdown_cell(r'''
Whatever the placement, the last mile takes 24-30 ms of the 50. An edge site saves only the few milliseconds
between the metro and its cloud region (2-5 ms), except for London's L40S: the nearest AWS region that sells them is
Frankfurt, 17 ms away, which leaves 5 ms for serving. The central cloud is out of the question for London and Tokyo
before any GPU work. At the edge, what is left for serving is 16-23 ms: a queue, a prefill of ~120 tokens and 4
decode steps.

## Simulated placements
'''),
    new_code_cell(r'''
OFF = {"name": "off", "hosted": {"input_usd_per_mtok": 0, "output_usd_per_mtok": 0, "ttft_ms": 1, "tpot_ms": 0}}


def reactive_world(placement, gpu="l40s", gpus_per_metro=None, cache=True):
    """consumer_world with only the reactive class, its pools placed as asked, with or without its response cache."""
    doc = with_cloud_regions(scenario.to_dict())
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
        where = {metro: regional_site(metro, gpu) for metro in gpus}
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
    for gpu in GPUS:
        r = capstan.run(reactive_world(placement, gpu), set=WINDOW, replications=2)
        c = r.classes.loc["reactive"]
        machines = r.pools.instance.fillna("bare GPU")
        rows.append({"placement": placement, "gpu": gpu, "gpus": int(r.sites.replicas.sum()),
                     "sites": ", ".join(r.pools.index.str.split("/").str[0]),
                     "machines": ", ".join(sorted(set(machines))),
                     "usd_per_gpu_hour": r.pools.cost_usd.sum() / r.pools.gpu_hours.sum(),
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

The GPU decides whether the budget can be held; where AWS sells the GPU, and at what price, decides what it costs.
With the scenario's cache, 69.8% of reactive requests are hits, and the p95 is a miss's latency: the 10 L40S as
written (edge) reach 60.1 ms at p95 (70.1% within 50 ms), and no L40S fleet up to 20 GPUs holds the budget (best p95
57.7 ms at the edge, 68.6 ms in the regional cloud, where London's misses travel to Frankfurt and only the hits,
69.8%, make it). Three H100s, one per metro, hold it at the edge (p95 47.9 ms) and in the regional cloud (49.9 ms,
95.4% within 50 ms). At the edge they cost \$0.10 per 1000 user-hours, half the \$0.21 of the 10 L40S as written;
in the regional cloud \$0.25, about two and a half times as much, for AWS rents a single H100 as a p5.4xlarge at
\$6.88-8.94 an hour (\$8.02 a GPU-hour on average over the three regions' 10 H100s as written) where the edge sites'
bare H100s cost the GPU catalog's \$3.00-3.60 (\$3.27 on average): that gap is the price lists', not the placement's.
On L40S the two lists are close (\$2.25 a GPU-hour on AWS's g6e.xlarge against \$2.03 at the edge). The edge saves 2 ms over the
regional cloud on H100s; the central cloud misses the budget on either GPU (p95 205-217 ms): the share it meets is US
East's, all of its requests on H100s (44.6%) and only its cache hits on L40S (31.3%).

Without the cache every request reaches a GPU, and the smallest fleet no longer holds: 3 L40S saturate (p95 176 ms
at the edge, 196 ms in the regional cloud), the 10 as written read 66.2 ms at p95 (none within 50 ms), and 3 H100s,
99% busy, miss too (65.1 ms at the edge, 62.7% within 50 ms; 67.1 ms in the regional cloud); 10 H100s hold it at the
edge (48.5 ms) and just miss in the regional cloud (50.5 ms, 87.7% within). The cache takes about 70% of the load
off the GPUs, and with it a third of the H100s suffice; it cannot make a 4-token answer on an L40S fast enough. The
seed's case for the edge is worth the few milliseconds between a metro and its cloud region (the 2 ms that decide
whether 10 H100s without a cache hold the budget), and, against AWS, what AWS sells where (no L40S in London) and
what it charges for a single H100.
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
all day. A self-hosted fleet bills per node-hour whether or not users are there: a node is a machine, on the AWS
sites a p5.48xlarge of 8 H100s at its instance-hour price, on the edge sites a bare GPU at the GPU catalog's price.
In the window above the scenario's dialogue pools autoscale; the bound below is a fleet that does not scale at all:
every pool at its written size, rounded up to whole instances (the report's `fleet` section prices it), for 24
hours, over a day's user-hours. What the autoscaled pools bill over a simulated day is the question of
`autoscaling_day.ipynb`. The human reviewers are paid for the hours of the scenario's 24-hour staffing, which follows
the world's load; network egress follows the users.
'''),
    new_code_cell(r'''
diurnal = world["workload"]["diurnal"]
load_factor = sum(diurnal) / len(diurnal) / max(diurnal)
# Users are peak_users x share x diurnal(local hour), linear between hours: a day holds peak_users x sum(diurnal).
day_user_hours = world["workload"]["peak_users"] * sum(diurnal)
fleet = self_hosted.summary["fleet"]
fixed_usd_per_hour = sum(fleet[f"{basis}_usd_per_hour"]
                         for basis in ("on_demand", "spot", "reserved_1y", "reserved_3y", "owned"))
window = self_hosted.cost.usd / self_hosted.summary["users"]["user_hours"]
gpu_categories = [c for c in window.index if c.startswith("gpu")]
day_gpu = 24 * fixed_usd_per_hour / day_user_hours
moderation = next(c for c in world["classes"] if c["name"] == "moderation")
staffing = moderation["review"]["reviewers"]
reviewer_hours = sum(staffing) if isinstance(staffing, list) else 24 * staffing
day_moderators = reviewer_hours * world.get("cost", {}).get("reviewer_usd_per_hour", 15) / day_user_hours
day_total = day_gpu + day_moderators + window.drop(gpu_categories + ["human_moderation"]).sum()  # egress follows users
print(f"mean load over the day: {load_factor:.0%} of the peak, {day_user_hours:,.0f} user-hours")
print(f"the fleet as written: {fleet['gpus']} GPUs on {fleet['nodes']} nodes, ${fixed_usd_per_hour:,.2f} per hour")
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
deadline (end-to-end p95 within 60 s), which makes it the candidate for spot capacity. The hand-sized fleet runs it in
two AWS regions, each with an on-demand and a spot pool; the spot pools are interrupted as the worst bucket of
AWS's Spot Instance Advisor (`>20%` a month), with a 120 s notice, replacements requested 120 s after a reclaim and
on-demand fallback after 600 s without spot (docs/fleet.md gives the models). The notebook starts from the world's
first, hand-sized fleet (`hand_sized_fleet.json`: dialogue and reactive behaviour on L40S at the edge), which misses
both latency SLOs; the scenario now ships the fleet `capstan plan` found (`capacity_100k.ipynb`).

On an AWS site a pool's node is a machine AWS rents: here a **p5.48xlarge**, 8 H100s running two replicas of
tensor-parallel 4, which boots, is interrupted and is billed as one. The fleet as written asks for 44 H100s; capstan
rounds each pool up to whole instances, so it runs **6 p5.48xlarge (48 H100s)**: 4 in US East (2 on demand, 2 spot)
and 2 in EU West (1 and 1). We keep the 6 instances and each region's share of them, and vary **how many are spot**
(0 to all 6) and **where** (spread over both regions in proportion to their size, or packed into US East first), under
the scenario's interruption rate and under stress cases. The seed article says spot saves 60-70%; capstan prices spot
from its instance catalog, and we compare.

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
import math
import textwrap

# 45 minutes of the US East evening after 15 minutes of warm-up.
WINDOW = {"simulation.start_hour_utc": 1, "simulation.warmup_h": 0.25, "simulation.duration_h": 1.0}
scenario = hand_sized_world(set=WINDOW)
world = scenario.to_dict()
content = next(c for c in world["classes"] if c["name"] == "content")
deployment = next(d for d in world["deployments"] if d["name"] == content["deployment"])
TP = deployment["tensor_parallel"]
# A minute of the world as written says which machine capstan rents for each content pool.
probe = capstan.run(scenario, replications=1, set={"simulation.warmup_h": 0, "simulation.duration_h": 0.02}).pools
as_written = pd.DataFrame([
    {"site": s["name"], "cloud": s["cloud"], "region": s["region"], "pool": p["name"], "capacity": p["capacity"],
     "gpus_written": p["gpus"], **probe.loc[f"{s['name']}/{p['name']}", ["instance", "gpus_per_node",
                                                                      "replicas_per_node", "usd_per_node_hour"]],
     "interruptions": json.dumps(p.get("interruptions", ""))}
    for s in world["sites"] for p in s["pools"] if p["deployment"] == deployment["name"]])
INSTANCE = as_written.instance.iloc[0]
GPUS_PER_NODE = int(as_written.gpus_per_node.iloc[0])
as_written["nodes"] = [math.ceil(g / GPUS_PER_NODE) for g in as_written.gpus_written]  # whole instances
as_written["gpus"] = as_written.nodes * GPUS_PER_NODE
REGION_NODES = as_written.groupby("site", sort=False).nodes.sum().to_dict()
TOTAL_NODES = sum(REGION_NODES.values())
TOTAL_GPUS = TOTAL_NODES * GPUS_PER_NODE
print(f"content: {content['rate_per_user_hour']:g} per user-hour on {deployment['name']} ({deployment['model']}, "
      f"{deployment['gpu']} x{TP}), SLO {content['slo']['metric']} p{content['slo']['percentile']:.0f} <= "
      f"{content['slo']['threshold_ms'] / 1000:.0f} s")
print(f"as capstan runs it: {TOTAL_NODES} {INSTANCE} ({TOTAL_GPUS} GPUs, {as_written.gpus_written.sum()} written), "
      f"{TOTAL_NODES * int(as_written.replicas_per_node.iloc[0])} replicas")
print(textwrap.fill(probe.instance_note["cloud-us-east/content-spot"], 120))
as_written.set_index(["site", "pool"])
'''),
    new_markdown_cell(r'''
## What the catalog says spot saves

capstan bills a spot pool's instances at the instance's spot price in its region (`models/catalog/data/instances.json`,
which a scenario may override) and an on-demand instance, fallback instances included, at the on-demand price.
'''),
    new_code_cell(r'''
catalog = json.loads((pathlib.Path.cwd().parent / "models" / "catalog" / "data" / "instances.json").read_text())
machine = catalog["instances"][INSTANCE]
REGIONS = dict(zip(as_written.site, as_written.region))
prices = pd.DataFrame({site: machine["prices"][region] for site, region in REGIONS.items()}).T[["on_demand", "spot"]]
prices["spot_discount"] = 1 - prices.spot / prices.on_demand
prices["on_demand_per_gpu"] = prices.on_demand / GPUS_PER_NODE
prices["spot_per_gpu"] = prices.spot / GPUS_PER_NODE
all_on_demand = sum(n * prices.on_demand[s] for s, n in REGION_NODES.items())
all_spot = sum(n * prices.spot[s] for s, n in REGION_NODES.items())
CATALOG_DISCOUNT = 1 - all_spot / all_on_demand
print(f"the {TOTAL_NODES} {INSTANCE}: ${all_on_demand:.2f}/h all on demand, ${all_spot:.2f}/h all spot: "
      f"{CATALOG_DISCOUNT:.1%} saved at catalog prices, before any interruption")
print(textwrap.fill(f"catalog note: {machine['price_note']}", 120))
prices
'''),
    new_markdown_cell(r'''
## Fleets and interruption processes

Per GPU, a p5.48xlarge costs \$6.88 an hour on demand and \$3.51 spot in US East, \$8.94 and \$2.25 in EU West (AWS's
London region): spot is 49% off in US East and 75% off in EU West, 59.1% over this fleet's 4 and 2 instances.

Each fleet keeps 4 instances in US East and 2 in EU West (as written) and makes 0 to 6 of them spot (3, as written).
*Both regions* spreads the spot instances in proportion to the regions' sizes; *US East first* packs them into US East
until its 4 are spot. With 0, 1 or 6 spot instances the two are the same fleet.
'''),
    new_code_cell(r'''
OFF = {"name": "off", "hosted": {"input_usd_per_mtok": 0, "output_usd_per_mtok": 0, "ttft_ms": 1, "tpot_ms": 0}}
US, EU = REGION_NODES


def layout(spot_nodes, spread):
    """Spot instances per site: in proportion to the regions' sizes, or US East first."""
    if spread == "both regions":
        us = round(spot_nodes * REGION_NODES[US] / TOTAL_NODES)
    else:
        us = min(spot_nodes, REGION_NODES[US])
    return {US: us, EU: spot_nodes - us}


def content_world(spot):
    """consumer_world with only the content class, its regions holding `spot[site]` spot instances each."""
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
                    s["pools"].append({**pools[capacity], "instance": INSTANCE, "gpus": nodes * GPUS_PER_NODE})
    return capstan.load(doc)


FLEETS = {}
for n in range(TOTAL_NODES + 1):
    for spread in ("both regions", "US East first"):
        spot = layout(n, spread)
        if spot not in FLEETS.values():
            FLEETS[(n, spread)] = spot
pd.DataFrame([{"spot_instances": n, "spread": spread, "spot_share": n / TOTAL_NODES,
               **{f"spot in {site}": k for site, k in spot.items()}}
              for (n, spread), spot in FLEETS.items()]).set_index(["spot_instances", "spread"])
'''),
    new_markdown_cell(r'''
Four interruption processes, all `poisson` (docs/fleet.md): each spot node, here an instance, is reclaimed at a
constant rate.

* **AWS `>20%`**, the scenario's: 25% of instances interrupted in a month, 3.9e-4 per instance-hour. An instance lasts
  2,540 hours on average, so an hour of 6 spot instances expects 0.002 interruptions.
* **stress, 1 per node-hour**: every spot instance lasts an hour on average. No spot market we know of is this bad; it
  shows what interruptions cost when they happen.
* **stress, 1 per node-hour, 2 at once** (`reclaim_nodes: 2`): the same rate per instance, but a reclaim takes two
  instances of the pool together (16 H100s), as when a provider takes back a block of capacity.
* **stress, 4 per node-hour**: an instance lasts 15 minutes on average, to find where the fleet breaks.

A reclaim takes both replicas of the instance. Replacement and fallback stay as written. Under `poisson` spot is always
obtainable, so fallback never starts: a reclaimed instance's capacity comes back when its replacement, requested 120 s
after the reclaim, has booted (180 s) and loaded its 140 GB of weights (70 s at 2 GB/s, then 30 s of engine start).
'''),
    new_code_cell(r'''
PROCESSES = {
    "AWS >20%": {"model": "poisson", "aws_bucket": ">20%"},
    "1/node-h": {"model": "poisson", "per_node_hour": 1.0},
    "1/node-h x2": {"model": "poisson", "per_node_hour": 1.0, "reclaim_nodes": 2},
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
        "billed_instance_hours": r.pools.gpu_hours.sum() / GPUS_PER_NODE,
        "ready_share": r.pools.ready_gpus_mean.sum() / TOTAL_GPUS,
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
        if n == 0 and rows and rows[0]["spot_instances"] == 0:
            rows.append({**rows[0], "process": process})  # no spot instance: the process changes nothing
            continue
        overrides = {f"sites.{site}.pools.content-spot.interruptions": interruptions for site, k in spot.items() if k}
        r = capstan.run(fleet, set=overrides, replications=REPLICATIONS)
        rows.append({"spot_instances": n, "spot_share": n / TOTAL_NODES, "spread": spread, "process": process,
                     **row(r)})
runs = pd.DataFrame(rows)
baseline = runs[runs.spot_instances == 0].set_index("process").usd_per_1000_user_hours
runs["saving"] = 1 - runs.usd_per_1000_user_hours / runs.process.map(baseline)
runs.set_index(["process", "spot_instances", "spread"])
'''),
    new_code_cell(r'''
COLORS = dict(zip(PROCESSES, ["tab:green", "tab:blue", "tab:purple", "tab:red"]))
spread_over_both = runs[runs.spread.eq("both regions") | runs.spot_instances.isin([0, TOTAL_NODES])]
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
ax_interruptions.set_ylabel("spot instances reclaimed in 45 minutes")
for ax in (ax_cost, ax_slo, ax_interruptions):
    ax.set_xlabel("spot share of the content instances (%)")
    ax.grid(True, alpha=0.3)
ax_cost.legend(fontsize="small")
fig.suptitle(f"Content fleet of {TOTAL_NODES} {INSTANCE} ({TOTAL_GPUS} H100s), spot spread over both regions")
fig
'''),
    new_markdown_cell(r'''
At the catalog's prices the saving is the spot share times the discount of the regions the spot instances are in, and
interruptions hardly move it:

* Under the scenario's AWS `>20%` rate no instance was reclaimed in any replication of any fleet. The content fleet
  costs \$6.259 per 1000 user-hours all on demand, \$4.408 as written (3 of 6 instances on spot, 2 in US East and 1
  in EU West: 29.6% saved) and \$2.558 all on spot (59.1% saved, the catalog's figure), with every content request
  within 60 s (p95 29.7 s).
* At 1 reclaim per instance-hour the all-spot fleet loses 3.6 instances in 45 minutes and has 91.4% of its GPUs ready
  on average. A reclaim takes two replicas at once, a quarter of US East's, and fleets with 2 or more of US East's 4
  instances on spot drop requests after 30 s in a queue (the scenario's `max_queue_s`): 84 of 86,882 with 2, 216 with
  3 and 333 with all 4, whatever EU West holds. Attainment stays at 0.993 or more and the p95 at most 37.2 s.
* With reclaims taking 2 instances at once (16 H100s), the drops grow: 428 with 2 of US East's instances on spot,
  1,130 with 3 and 964 with all 4, and more when both of EU West's instances are spot and go together (1,737 and
  1,199); attainment falls to 0.962 at the lowest, the p95 rises to 47.4 s.
* At 4 per instance-hour the all-spot fleet has 68.0% of its GPUs ready, migrates 799 requests, drops 2,125 on queue
  timeouts and reads an attainment of 0.953 with a p95 of 53.1 s.

Every fleet holds content's SLO under every process tried, the all-spot fleet at 4 per instance-hour by the smallest
margin (0.953 against 0.95). No request was lost in any run: every relocated request found a ready replica. The bill
barely reacts to interruptions because a reclaimed instance is billed through its notice and its replacement from
its request; only an instance reclaimed while it still boots goes at once and leaves 120 s unbilled before its
replacement. At 4 per instance-hour the all-spot fleet is billed 4.38 of its nominal 4.5 instance-hours while only
68% of its GPUs are ready: that gap, not cheaper capacity, is why its saving reads 60.3%.
'''),
    new_markdown_cell(r'''
## Where: both regions or US East first

The same fleets side by side under the stress processes (under the scenario's own rate nothing is reclaimed, and
placement changes only the bill: the first table above has those runs).
'''),
    new_code_cell(r'''
on_demand = capstan.run(content_world(FLEETS[(0, "both regions")]), replications=REPLICATIONS)
print("all on demand, how busy each region is:")
print(on_demand.pools[["ready_gpus_mean", "batch_occupancy", "kv_occupancy"]].to_string())
differ = [n for n in range(TOTAL_NODES + 1) if (n, "US East first") in FLEETS]
spread = runs[runs.spot_instances.isin(differ) & runs.process.ne("AWS >20%")]
spread.pivot_table(index=["process", "spot_instances"], columns="spread", sort=False,
                   values=["usd_per_1000_user_hours", "slo_attainment", "e2e_p95_s", "interruptions", "migrated",
                           "dropped_queue_timeout"])
'''),
    new_markdown_cell(r'''
Where the spot instances sit decides the bill as much as the latency. EU West's spot discount is worth twice US East's
(\$53.56 an instance-hour against \$26.93), so spreading over both regions is cheaper at every count: \$4.408 against
\$4.867 per 1000 user-hours with 3 spot instances, \$3.021 against \$3.480 with 5 (under the scenario's rate). It is
also gentler under stress, for what decides the drops is how many of US East's 4 instances are spot: US East is the
busy region in this window (44% of its running slots in use against 8% in EU West), and spreading puts fewer spot
instances there at every count where the two layouts differ. At 4 per instance-hour with 3 spot instances, *US East first* (all 3 in US East) drops
1,076 requests on queue timeouts and reads a p95 of 51.7 s, *both regions* (2 in US East) 210 and 36.5 s; with the
same random numbers, fleets with the same US East pool drop the same requests (*3, US East first* and *4, both
regions*: 1,076) unless EU West loses capacity too. The exception is a reclaim of two instances at once with both of
EU West's instances on spot (*5, both regions*): EU West loses its whole pool together and the fleet drops 1,737
requests, against 964 for *5, US East first*.

## Against the seed's 60-70%

The saving of all-spot over all-on-demand under each process, at the catalog's prices and with the spot price set to
a uniform 25%, 50%, 60% and 70% off on-demand in both regions (a scenario's `catalog` section overrides an instance's
prices, here through `capstan.sweep`).
'''),
    new_code_cell(r'''
DISCOUNTS = [None, 0.25, 0.5, 0.6, 0.7]  # None: the catalog's own spot prices


def price_override(discount):
    if discount is None:
        return {}
    name = INSTANCE.replace(".", "\\.")  # a dot inside a name of an override path is written \.
    return {f"catalog.instances.{name}.prices.{region}": {
                "on_demand": prices.on_demand[site], "spot": round(prices.on_demand[site] * (1 - discount), 4)}
            for site, region in REGIONS.items()}


all_spot_fleet = content_world(FLEETS[(TOTAL_NODES, "both regions")])
points = [{**price_override(d), **{f"sites.{site}.pools.content-spot.interruptions": interruptions for site in REGIONS},
           "simulation.seed": world["simulation"]["seed"]}
          for d in DISCOUNTS for interruptions in PROCESSES.values()]
priced = capstan.sweep(all_spot_fleet, points=points, replications=REPLICATIONS)
priced.insert(0, "spot_discount", [f"catalog ({CATALOG_DISCOUNT:.1%})" if d is None else f"{d:.0%}"
                                   for d in DISCOUNTS for _ in PROCESSES])
priced.insert(1, "process", [p for _ in DISCOUNTS for p in PROCESSES])
priced["usd_per_1000_user_hours"] = 1000 * priced["cost.per_user_hour_usd"]
priced["saving_vs_all_on_demand"] = 1 - priced.usd_per_1000_user_hours / priced.process.map(baseline)
priced.pivot_table(index="spot_discount", columns="process", values="saving_vs_all_on_demand", sort=False)
'''),
    new_markdown_cell(r'''
capstan's saving is what its price list says. All on spot saves 59.1% at the catalog's prices (59.2% under the first
two stress processes, 60.3% at 4 per instance-hour for the billing gap above), and 25.0-27.0%, 50.0-51.4%, 60.0-61.1%
and 70.0-70.8% with spot priced 25%, 50%, 60% and 70% below on-demand in both regions. The catalog's p5.48xlarge
prices (AWS's list prices after its June 2025 cut against a November 2025 sample of average spot prices) put spot 49%
off in US East and 75% off in EU West, 59.1% over this fleet: close to the seed's 60-70%, and that close only because
a third of the fleet is in EU West, where spot is cheapest (in US East alone it would be 49%). The 25% row is what bare H100s on a generic site would save
at the GPU catalog's prices (a GCP A3 sample). At every interruption rate tried, interruptions cost latency and
dropped requests, not money.

## In the whole world

The content fleet is one part of the world's bill. The scenario as written (every class, its 3 content instances of 6
on spot, AWS `>20%`) in the same window:
'''),
    new_code_cell(r'''
whole = capstan.run(scenario, replications=REPLICATIONS)
world_usd = 1000 * whole.kpis["cost.per_user_hour_usd"]
by_fleet = runs.set_index(["process", "spot_instances", "spread"])
written_spot = int(as_written[as_written.capacity == "spot"].nodes.sum())
as_written_content = by_fleet.loc[("AWS >20%", written_spot, "both regions")]
all_spot_content = by_fleet.loc[("AWS >20%", TOTAL_NODES, "both regions")]
print(f"the world: ${world_usd:.2f} per 1000 user-hours "
      f"[{1000 * whole.kpis['cost.per_user_hour_usd_ci95_low']:.2f}, "
      f"{1000 * whole.kpis['cost.per_user_hour_usd_ci95_high']:.2f}]")
print(f"its content fleet as written ({written_spot} of {TOTAL_NODES} instances spot): "
      f"${as_written_content.usd_per_1000_user_hours:.2f} ({as_written_content.usd_per_1000_user_hours / world_usd:.1%} "
      "of it)")
saved = as_written_content.usd_per_1000_user_hours - all_spot_content.usd_per_1000_user_hours
print(f"all of it on spot would save ${saved:.2f} per 1000 user-hours, {saved / world_usd:.1%} of the world's cost; "
      f"all of it on demand would add ${baseline['AWS >20%'] - as_written_content.usd_per_1000_user_hours:.2f}")
whole.cost.round(2)
'''),
    new_markdown_cell(r'''
Content is 14.5% of the world's \$30.49 per 1000 user-hours; human review of escalated moderation, 82 reviewers
staffed through the window and paid by the hour, is about 70% of the bill. Moving the other 3 content instances to
spot would save \$1.85 per 1000 user-hours, 6.1% of the world's cost; the 3 spot instances already in the scenario
save as much, \$1.85, against an all-on-demand content fleet.
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
two minutes of CPU per run; two runs share the two cores), in four versions of its dialogue pools:

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

Over the day the autoscaled dialogue pools bill 2,540 GPU-hours against 5,136 for the same pools held at their
written sizes: 50.5% fewer. That takes 30.7% off the world's GPU bill and 13.4% off its cost per user-hour (\$33.02
against \$38.14 per 1000 user-hours; the other \$21.49 is almost all human review of escalated moderation: the
scenario staffs 1,466 reviewer-hours a day at \$15, paid whether or not items come, the same in every fleet). The rest
of the GPU bill is the same in every fleet too, above all the content fleet's six p5.48xlarge at AWS's instance-hour
prices, which is why halving the dialogue GPU-hours takes less than a third off it. Ashburn and Tokyo bill 48% of their
fixed GPU-hours, London 61%, Frankfurt 25% (it serves almost nothing and stays at its minimum of 4).

**The SLO price.** Dialogue's 200 ms TTFT holds for 42.6% of requests autoscaled, against 63.5% fixed. No fleet meets
the SLO in any minute of the day (`intervals_met_share` is 0 for all four): even the fixed fleet's p95 never falls
below 210.3 ms in a minute; with prompts that carry a persona and history, the tail of dialogue's TTFT on L40S sits
above 200 ms (`capacity_100k.ipynb` moves dialogue to faster cards for that). Of the 20.9 points that autoscaling
loses, cold starts account for about 0.5: with instant nodes the autoscaled fleet reaches 43.1% (one replication, so
only the order of magnitude counts). The rest comes with the target itself: the autoscaler keeps a quarter of each
replica's running slots busy (20.5% of the slots in use over the day against 8.6% in the fixed fleet), and with
fuller batches a turn starts later (TTFT p50 203.3 ms against 187.9 ms).

The schedule, which climbs each metro's curve an hour at a time, bills about as much (2,615 GPU-hours, 13.0% off the
cost per user-hour) with 160 cold starts against the autoscaler's 282, and meets 200 ms as often (42.8%), but its p95
rises, up to 267.1 ms in a minute, in the hours its pools step down below what the autoscaler holds. The autoscaler's
extra starts are nodes started and released again as the metric swings around its target, the short spikes on the
rising side of its curves; with instant nodes it starts even more (420). No dialogue request was dropped or lost in
any fleet; the autoscaler's scale-downs moved 73 requests off draining nodes to other replicas.
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
