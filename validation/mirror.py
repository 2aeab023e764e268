#!/usr/bin/env python3
"""The capstan scenario that mirrors each public measurement in validation/figures.json.

    /usr/bin/python3 validation/mirror.py             # rewrite validation/scenarios/ from figures.json
    /usr/bin/python3 validation/mirror.py --check     # exit 1 if a committed scenario differs

One scenario per figure set and load point: one replica of the engine, model,
GPU and tensor parallelism the source ran, a client next to it (no network),
and the source's load:

- online: Poisson arrivals at the rate given for the source's number of
  requests (all of them at once for the rate INF), fixed input and output
  lengths;
- offline: every request sent at once (the source's count), fixed lengths,
  the engine's batch bounded as the source's example run;
- batch1: one request at a time, far apart, with no API server in front
  (the source timed the engine alone).

A set whose precision is fp8 is served with FP8 weights, FP8 GEMMs and an
FP8 KV cache; fp4 with 4-bit float weights (NVFP4, gpt-oss's own MXFP4) on FP4
tensor cores and an FP8 KV cache; the others in the model's own precision
(16 bits, gpt-oss's MXFP4 experts), with the set's kv_cache where it gives
one. expert_parallel and data_parallel_attention are the deployment's
(the sources' "DEP": attention data-parallel, experts parallel, over the GPUs).

Prefix caching is off (the sources' prompts are random tokens or distinct);
KV memory is the share of the GPU the source gave the engine. The figures
are read from each run's per-request log (capstan.run(..., requests=True)) by
scripts/accuracy.py.
"""
import argparse
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent
FIGURES = ROOT / "figures.json"
SCENARIOS = ROOT / "scenarios"

# Time for a point to finish once every request is sent (the slowest offline
# set, 3,000 answers of 2,048 tokens on two A100s, takes about 3.3 hours).
DRAIN_S = 6 * 3600.0
# All at once: requests sent back to back at this rate (a microsecond apart).
AT_ONCE_PER_S = 1e6


def point_name(figure_set, row):
    rate = row["rate_per_s"]
    return figure_set["id"] + ("" if figure_set["kind"] != "online" else f"-qps{'inf' if rate is None else rate}")


def scenario(figure_set, row, source):
    """The scenario dict for one load point of one figure set."""
    kind, n = figure_set["kind"], figure_set["requests"]
    isl, osl = figure_set["input_tokens"], figure_set["output_tokens"]
    engine = {"name": figure_set["engine"]}
    deployment = {"name": "engine", "model": figure_set["model"], "gpu": figure_set["gpu"],
                  "tensor_parallel": figure_set["tensor_parallel"], "engine": engine, "prefix_caching": False,
                  "max_model_len_tokens": max(isl + osl, 2048)}
    if figure_set.get("precision") == "fp8":
        # FP8 weights and GEMMs, and the FP8 KV cache FP8 quantisation brings with it.
        deployment["precision"] = {"weights": "fp8", "activations": "fp8", "kv_cache": "fp8"}
    elif figure_set.get("precision") == "fp4":
        # 4-bit float weights (NVFP4, or the model's own MXFP4) on FP4 tensor cores, an FP8 KV cache.
        weights = "mxfp4" if figure_set["model"].startswith("gpt-oss") else "nvfp4"
        deployment["precision"] = {"weights": weights, "activations": "fp4", "kv_cache": "fp8"}
    elif "kv_cache" in figure_set:
        deployment["precision"] = {"kv_cache": figure_set["kv_cache"]}
    for key in ("expert_parallel", "data_parallel_attention"):
        if figure_set.get(key):
            deployment[key] = True
    if kind == "online":
        rate = row["rate_per_s"]
        stages = ([{"rate_per_s": AT_ONCE_PER_S, "duration_s": n / AT_ONCE_PER_S}] if rate is None
                  else [{"rate_per_s": rate, "duration_s": n / rate}])
        arrivals = {"stages": stages, "process": "constant" if rate is None else "poisson"}
        deployment.update(max_running_seqs=2048, max_batch_tokens=8192, gpu_memory_utilization=0.9)
        replications = 1 if rate is None else 3
    elif kind == "offline":
        arrivals = {"stages": [{"rate_per_s": AT_ONCE_PER_S, "duration_s": n / AT_ONCE_PER_S}], "process": "constant"}
        deployment.update(max_running_seqs=4096, max_batch_tokens=8192, gpu_memory_utilization=0.95)
        replications = 1
    elif kind == "batch1":
        arrivals = {"stages": [{"rate_per_s": 1.0, "duration_s": float(n)}], "process": "constant"}
        deployment.update(max_running_seqs=1, max_batch_tokens=max(isl, 2048))
        engine["request_ms"] = 0
        replications = 1
    else:
        raise ValueError(f"{figure_set['id']}: unknown kind {kind!r}")
    send_s = sum(s["duration_s"] for s in arrivals["stages"])
    published = ", ".join(f"{k} {v}" for k, v in row["published"].items())
    return {
        "name": point_name(figure_set, row),
        "description": (f"Mirrors {source['title']} ({source['where']}): {figure_set['model']} on "
                        f"{figure_set['tensor_parallel']} x {figure_set['published_gpu']}, {figure_set['engine']}, "
                        f"{isl} tokens in and {osl} out, {kind} load; published {published}."),
        "simulation": {"duration_h": (send_s + DRAIN_S) / 3600.0, "warmup_h": 0, "seed": 20261207,
                       "replications": replications, "max_queue_s": DRAIN_S},
        "workload": {"peak_users": 1, "diurnal": [1] * 24,
                     "origins": [{"name": "client", "share": 1, "last_mile_rtt_ms": 0}]},
        "classes": [{"name": "bench", "arrivals": arrivals,
                     "prompt_tokens": {"dist": "constant", "value": isl},
                     "output_tokens": {"dist": "constant", "value": osl},
                     "deployment": "engine", "slo": {"metric": "e2e", "threshold_ms": 1e6}}],
        "deployments": [deployment],
        "sites": [{"name": "server", "region": "us-east",
                   "pools": [{"name": "gpus", "deployment": "engine", "gpus": figure_set["tensor_parallel"]}]}],
        "network": {"links": [{"a": "client", "b": "server", "rtt_ms": 0}]},
    }


def points(figures=None):
    """(figure set, row, scenario dict) for every load point, in the file's order."""
    figures = figures or json.loads(FIGURES.read_text())
    for figure_set in figures["sets"]:
        source = figures["sources"][figure_set["source"]]
        for row in figure_set["rows"]:
            yield figure_set, row, scenario(figure_set, row, source)


METRICS = {"ttft_mean_ms": ("mean TTFT", "ms"), "itl_mean_ms": ("mean ITL", "ms"),
           "throughput_req_per_s": ("throughput", "req/s"), "output_tokens_per_s": ("output throughput", "tok/s"),
           "output_tokens_per_s_per_gpu": ("output throughput per GPU", "tok/s")}


def measure(figure_set, row, requests):
    """capstan's figure for each published metric of a row, from the run's per-request log (a DataFrame).

    Every request must have completed: a point whose requests did not all finish is an error in the mirror.
    Throughputs are per replication (answers over the time from the first request sent to the last answer),
    then averaged; means are over every request of every replication.
    """
    done = requests[requests.outcome == "completed"]
    if len(done) != len(requests) or len(done) == 0:
        raise RuntimeError(f"{point_name(figure_set, row)}: {len(done)} of {len(requests)} requests completed")
    out = {}
    for metric in row["published"]:
        if metric == "ttft_mean_ms":
            out[metric] = float(done.ttft_ms.mean())
        elif metric == "itl_mean_ms":
            out[metric] = float(done.tpot_ms.mean())
        else:
            rates = []
            for _, g in done.groupby("replication"):
                span = float((g.sent_s + g.e2e_ms / 1000.0).max() - g.sent_s.min())
                per = figure_set["output_tokens"] if metric.startswith("output_tokens_per_s") else 1
                gpus = figure_set["tensor_parallel"] if metric == "output_tokens_per_s_per_gpu" else 1
                rates.append(len(g) * per / span / gpus)
            out[metric] = sum(rates) / len(rates)
    return out


class Comparison:
    """One published figure beside capstan's, with the verdict the tolerances give it."""

    def __init__(self, figure_set, row, metric, published, predicted, tolerances):
        self.set, self.row, self.metric = figure_set, row, metric
        self.published, self.predicted = published, predicted
        self.name = f"{point_name(figure_set, row)} {metric}"
        saturated_ms = tolerances["saturated"]["ttft_ms"]
        self.saturated = row["published"].get("ttft_mean_ms", 0) > saturated_ms
        self.kind = "saturated" if self.saturated else ("latency" if metric.endswith("_ms") else "throughput")
        if self.saturated:
            # Past capacity: agree on saturation (TTFT), nothing else compared.
            self.compared = metric == "ttft_mean_ms"
            self.holds = predicted > saturated_ms if self.compared else True
            self.tolerance = "both saturated" if self.compared else "not compared past capacity"
            return
        self.compared = True
        ratio = tolerances[self.kind]["ratio"]
        rounding = 0.5 if (metric.endswith("_ms") or metric == "throughput_req_per_s") else 0.0
        self.holds = (published - rounding) / (1 + ratio) <= predicted <= (published + rounding) * (1 + ratio)
        self.tolerance = f"±{ratio * 100:g}%" + (" after rounding" if rounding else "")

    @property
    def error(self):
        return self.predicted / self.published - 1.0


def compare(run, figures=None):
    """Every Comparison, running each mirror with `run(scenario dict) -> per-request DataFrame`."""
    figures = figures or json.loads(FIGURES.read_text())
    out = []
    for figure_set, row, doc in points(figures):
        predicted = measure(figure_set, row, run(doc))
        for metric, published in row["published"].items():
            out.append(Comparison(figure_set, row, metric, published, predicted[metric], figures["tolerances"]))
    return out


def text(doc):
    return json.dumps(doc, indent=1) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if validation/scenarios/ is not what this writes")
    args = parser.parse_args(argv)
    wanted = {f"{doc['name']}.json": text(doc) for _, _, doc in points()}
    if args.check:
        have = {p.name: p.read_text() for p in SCENARIOS.glob("*.json")}
        stale = sorted(n for n in wanted.keys() | have.keys() if wanted.get(n) != have.get(n))
        if stale:
            print(f"validation/scenarios/ is stale ({len(stale)} files, first {stale[0]}): "
                  "run /usr/bin/python3 validation/mirror.py", file=sys.stderr)
            return 1
        return 0
    SCENARIOS.mkdir(exist_ok=True)
    for old in SCENARIOS.glob("*.json"):
        if old.name not in wanted:
            old.unlink()
    for name, body in wanted.items():
        (SCENARIOS / name).write_text(body)
    print(f"wrote {len(wanted)} scenarios to {SCENARIOS.relative_to(ROOT.parent)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
