#!/usr/bin/env python3
"""capstan's roofline against public figures and committed measurements.

    PYTHONPATH=build/python /usr/bin/python3 scripts/accuracy.py            # print docs/accuracy.md
    PYTHONPATH=build/python /usr/bin/python3 scripts/accuracy.py --write    # rewrite it

Every figure the roofline's kernel figures were built from (models/catalog/
data/gpus.json), and the H200 measurements committed in models/profiles/,
priced by capstan's own model (capstan.Roofline) and set side by side with
the error. tests/python/test_accuracy.py checks each figure against its
tolerance and that docs/accuracy.md is what this script prints.
"""
import argparse
import json
import math
import pathlib
import statistics
import sys

import capstan

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "validation"))
import mirror  # noqa: E402  (validation/mirror.py: the scenarios that mirror public engine measurements)

PROFILES = ROOT / "models" / "profiles"
H200_RUN = PROFILES / "h200-2026-11-30"
DOC = ROOT / "docs" / "accuracy.md"


def model(name, layers, hidden, heads, kv_heads, head_dim, intermediate, vocab=32000):
    return {"models": {name: {"layers": layers, "hidden": hidden, "heads": heads, "kv_heads": kv_heads,
                              "head_dim": head_dim, "intermediate": intermediate, "vocab": vocab,
                              "source": "a test shape"}}}


def merged(*parts):
    out = {}
    for p in parts:
        for section, entries in p.items():
            out.setdefault(section, {}).update(entries)
    return json.dumps(out)


SQUARE = model("square-8192", 1, 8192, 64, 8, 128, 8192)  # o_gemm: K = N = 8192
FA_BENCH = model("fa-bench", 1, 2048, 16, 16, 128, 8192)  # the FlashAttention papers' 16 heads of 128
LLAMA2_7B = model("llama-2-7b", 32, 4096, 32, 32, 128, 11008, 32000)


class PublicFigure:
    """One published figure, capstan's prediction of it, and the tolerance a test allows."""

    def __init__(self, what, source, unit, published, predicted, tolerance, why):
        self.what, self.source, self.unit = what, source, unit
        self.published, self.predicted, self.tolerance, self.why = published, predicted, tolerance, why

    @property
    def error(self):
        return self.predicted / self.published - 1.0

    def holds(self):
        """Within tolerance as a ratio either way: a time 30% short is a rate 43% high."""
        return abs(math.log(self.predicted / self.published)) <= math.log(1.0 + self.tolerance)


def gemm_tflops(gpu):
    r = capstan.Roofline(gpu, "square-8192", catalog=merged(SQUARE))
    return 2 * 8192 ** 3 / r.gemm_seconds("o_gemm", 8192) / 1e12


def fa_tflops(gpu, length, causal=True, kernel="fa2"):
    # An engine running the given prefill attention kernel on every architecture.
    engine = {"engines": {"vllm": {"kernels": {"attention": {a: kernel for a in ("ampere", "ada", "hopper")}}}}}
    r = capstan.Roofline(gpu, "fa-bench", catalog=merged(FA_BENCH, engine))
    batch = 16384 // length
    if causal:
        flops = batch * 2.0 * 16 * 128 * length * length
        return flops / r.prefill_attention_seconds([(length, 0)] * batch) / 1e12
    # Non-causal attention does the FLOPs of a causal chunk after half its length.
    flops = batch * 4.0 * 16 * 128 * length * length
    return flops / r.prefill_attention_seconds([(length, length // 2)] * batch) / 1e12


def public_figures():
    out = []
    out.append(PublicFigure(
        "cuBLAS bf16 GEMM 8192^3, H100 SXM", "published cuBLAS benchmarks of H100 SXM (gpus.json, h100)", "TFLOP/s",
        795, gemm_tflops("h100"), 0.02, "one figure, read to 3 digits"))
    out.append(PublicFigure(
        "cuBLAS bf16 GEMM 8192^3, A100", "public cuBLAS benchmark of an A100 (gpus.json, a100-80gb)", "TFLOP/s",
        271, gemm_tflops("a100-80gb"), 0.02, "one figure, read to 3 digits"))
    out.append(PublicFigure(
        "cuBLAS bf16 GEMM 8192^3, H200 SXM", "capstan calibrate on an H200 (models/profiles/h200_*.json)", "TFLOP/s",
        809.7, gemm_tflops("h200"), 0.02, "median of 25 timings"))
    for length, tflops in {512: 191, 1024: 260, 2048: 298, 4096: 319, 8192: 333, 16384: 335}.items():
        out.append(PublicFigure(
            f"FlashAttention-2 forward, causal, {length} tokens x {16384 // length}, H100 SXM5",
            "FlashAttention-3 paper (arXiv 2407.08608), Figure 5d", "TFLOP/s", tflops, fa_tflops("h100", length),
            0.35, "the 90th percentile of the attention fit's residual"))
    for length, tflops in {512: 292, 1024: 423, 2048: 521, 4096: 579, 8192: 602, 16384: 616}.items():
        out.append(PublicFigure(
            f"FlashAttention-3 forward, causal, {length} tokens x {16384 // length}, H100 SXM5",
            "FlashAttention-3 paper (arXiv 2407.08608), Figure 5", "TFLOP/s", tflops,
            fa_tflops("h100", length, kernel="fa3"), 0.20,
            "the figures the FA3 share was fitted to; its largest residual"))
    out.append(PublicFigure(
        "FlashAttention-2 forward, non-causal, 16k tokens, A100", "FlashAttention-2 paper (arXiv 2307.08691), "
        "section 4.1: up to 230 TFLOP/s, 73% of peak", "TFLOP/s", 230, fa_tflops("a100-80gb", 16384, causal=False),
        0.35, "the 90th percentile of the attention fit's residual"))
    r = capstan.Roofline("h100", "llama-2-7b", catalog=merged(LLAMA2_7B), engine="tensorrt-llm")
    out.append(PublicFigure(
        "Llama-2-7B, batch 1, one output token after 128, H100 (TensorRT-LLM)", "NVIDIA NeMo inference benchmarks",
        "ms", 7.0, r.iteration(1, 128) * 1e3, 0.15, "'about 7 ms' read from a chart"))
    eager = capstan.Roofline("h100", "llama-2-7b", catalog=merged(LLAMA2_7B), enforce_eager=True)
    out.append(PublicFigure(
        "Llama-2-7B, batch 1, one decode step without CUDA graphs (vLLM, 100 tokens in 1.2 s)",
        "vllm-project/vllm pull request 1440", "ms", 12.0, eager.iteration(1, 128) * 1e3, 0.03,
        "the figure the engine's launch_us was derived from; host-bound on any GPU"))
    r = capstan.Roofline("h100", "llama-2-7b", catalog=merged(LLAMA2_7B))
    out.append(PublicFigure(
        "vLLM host time per step at batch 32, no-op model", "tenstorrent/vllm pull request 305", "ms",
        0.62, r.overhead_seconds(32) * 1e3, 0.01, "the figure the per-sequence time was derived from"))
    a100_40 = json.dumps({"gpus": {"a100-80gb": {"hbm_tb_per_s": 1.555}}})
    r = capstan.Roofline("a100-80gb", "llama-3-8b", catalog=a100_40)
    size = 1 << 30
    out.append(PublicFigure(
        "bandwidthTest device-to-device, 1 GiB, A100-SXM4-40GB", "CUDA samples bandwidthTest (public run, "
        "router-gao/cuda-demo)", "GB/s", 1157.5, 2 * size / r.elementwise_seconds(2 * size) / 1e9, 0.01,
        "one figure, the launch floor negligible at 1 GiB"))
    # TensorRT-LLM's all-reduce kernels as SGLang ported them, H100 SXM, fp32 messages; the 2-32 KiB
    # timings (host-timed launches without a CUDA graph) are in the fit but not held here.
    timings_us = {2: {128: 4.5, 1024: 7.9, 2048: 12.5, 4096: 19.9}, 4: {128: 4.8, 1024: 13.9, 2048: 20.2, 4096: 31.1},
                  8: {128: 7.8, 1024: 16.7, 2048: 22.1, 4096: 33.8}}
    for tp, by_size in timings_us.items():
        r = capstan.Roofline("h100", "llama-3-8b", tensor_parallel=tp)
        for kib, us in by_size.items():
            wire = 2 * (tp - 1) / tp * kib * 1024
            out.append(PublicFigure(
                f"all-reduce of {kib} KiB over {tp} H100 SXM (TensorRT-LLM's kernel)",
                "sgl-project/sglang pull request 2904 (sgl-kernel/tests/test_trt_reduce.py)", "us", us,
                r.all_reduce_seconds(wire) * 1e6, 0.33,
                "the timings the interconnect figures were fitted to; their largest ratio from 128 KiB on, 1.32"))
    return out


def relative_errors(pairs):
    return [abs(p / m - 1.0) for m, p in pairs]


def summary(pairs):
    e = relative_errors(pairs)
    return statistics.median(e), sorted(e)[max(0, math.ceil(0.9 * len(e)) - 1)], len(e)


def h200_families():
    """{family: [(measured_s, predicted_s)]} over the committed H200 measurements."""
    fam = {"GEMM (cuBLAS)": [], "GEMM, 129-4096 rows": [], "element-wise": [], "prefill attention (FlashAttention-2)": [],
           "decode attention (FlashAttention-2)": []}
    for path in sorted(PROFILES.glob("h200_*.json")):
        p = json.loads(path.read_text())
        md = p["model"]
        name = md["name"]
        r = capstan.Roofline("h200", name, tensor_parallel=p["tensor_parallel"])
        kv = max(1, md["kv_heads"] // p["tensor_parallel"]) * md["head_dim"]
        per_token = {"add_rmsnorm": 4 * md["hidden"] * 2, "silu_gate": 3 * md["intermediate"] // p["tensor_parallel"] * 2,
                     "kv_append": 4 * kv * 2}
        for x in p["timings"]:
            op = x["operator"]
            if op.endswith("_gemm"):
                pair = (x["median_us"] * 1e-6, r.gemm_seconds(op, x["shape"]["m"]))
                fam["GEMM (cuBLAS)"].append(pair)
                if 129 <= x["shape"]["m"] <= 4096:
                    fam["GEMM, 129-4096 rows"].append(pair)
            elif op in per_token and p["tensor_parallel"] == 1:
                fam["element-wise"].append((x["median_us"] * 1e-6,
                                            r.elementwise_seconds(x["shape"]["tokens"] * per_token[op])))
    # The grids timed FlashAttention-2 (SDPA's flash backend): price that kernel.
    fa2 = json.dumps({"engines": {"vllm": {"kernels": {"attention": {"hopper": "fa2"}}}}})
    for path in sorted(H200_RUN.glob("attention_torch_*.json")):
        d = json.loads(path.read_text())
        r = capstan.Roofline("h200", d["model"], catalog=fa2)
        for x in d["timings"]:
            if x["backend"] != "flash":
                continue
            if x["operator"] == "prefill_attention":
                fam["prefill attention (FlashAttention-2)"].append(
                    (x["median_us"] * 1e-6, r.prefill_attention_seconds([(x["chunk"], x["prefix"])])))
            else:
                fam["decode attention (FlashAttention-2)"].append(
                    (x["median_us"] * 1e-6, r.decode_attention_seconds(x["batch"], x["batch"] * x["context"])))
    return fam


def layer_seconds(r, md, tp, kind, a, b):
    """One decoder layer as compare_torch_layer.py times it (no all-reduce)."""
    hidden, inter = md["hidden"], md["intermediate"] // tp
    heads = md["heads"] // tp
    kv = max(1, md["kv_heads"] // tp)
    d = md["head_dim"]
    tokens = a  # decode: one per sequence; prefill: the chunk
    t = 2 * (r.elementwise_seconds(3 * tokens * hidden * 2) + r.elementwise_seconds(2 * tokens * hidden * 2))
    t += r.elementwise_seconds((2 * (heads + kv) + 1) * tokens * d * 2)  # RoPE
    t += r.elementwise_seconds(4 * tokens * kv * d * 2)                   # KV append
    t += r.elementwise_seconds(3 * tokens * inter * 2)                    # SiLU-gate
    for op in ("qkv_gemm", "o_gemm", "gate_up_gemm", "down_gemm"):
        t += r.gemm_seconds(op, tokens)
    if kind == "decode":
        t += r.decode_attention_seconds(a, a * b)
    else:
        t += r.prefill_attention_seconds([(a, b)])
    return t


def h200_layers():
    rows = []
    for path in sorted(H200_RUN.glob("layer_torch_*.json")):
        d = json.loads(path.read_text())
        p = json.loads((ROOT / d["profile"]).read_text())
        md, tp = p["model"], p["tensor_parallel"]
        # PyTorch's SDPA runs FlashAttention-2: price that kernel.
        r = capstan.Roofline("h200", md["name"], tensor_parallel=tp,
                             catalog=json.dumps({"engines": {"vllm": {"kernels": {"attention": {"hopper": "fa2"}}}}}))
        for s in d["shapes"]:
            rows.append((md["name"], tp, s["kind"], s["a"], s["b"], s["measured_s"],
                         layer_seconds(r, md, tp, s["kind"], s["a"], s["b"]), s["predicted_s"]))
    return rows


# The held-out end-to-end workload: Llama-3-8B on one A100, 512 tokens in and
# 128 out, Poisson arrivals, one replica with chunked prefill (2048 tokens).
E2E_SCENARIO = {
    "name": "a100_512_128",
    "description": "Llama-3-8B on one A100 at 512 prompt and 128 output tokens.",
    "simulation": {"duration_h": 0.25, "warmup_h": 0.05, "start_hour_utc": 0, "seed": 3, "replications": 1,
                   "interval_s": 60, "max_queue_s": 120},
    "workload": {"peak_users": 1000, "diurnal": [1.0] * 24,
                 "session": {"duration_min": {"dist": "constant", "value": 600}},
                 "origins": [{"name": "clients", "share": 1.0, "utc_offset_h": 0, "last_mile_rtt_ms": 0}]},
    "classes": [{"name": "bench", "rate_per_user_hour": 36, "prompt_tokens": {"dist": "constant", "value": 512},
                 "output_tokens": {"dist": "constant", "value": 128}, "deployment": "llama", "priority": 0,
                 "slo": {"metric": "ttft", "threshold_ms": 1000, "percentile": 50}}],
    "deployments": [{"name": "llama", "model": "llama-3-8b", "gpu": "a100-80gb", "tensor_parallel": 1,
                     "max_running_seqs": 256, "max_batch_tokens": 2048, "prefix_caching": False}],
    "sites": [{"name": "dc", "kind": "cloud", "region": "us-east",
               "pools": [{"name": "one", "deployment": "llama", "gpus": 1, "capacity": "on_demand"}]}],
    "network": {"links": [{"a": "clients", "b": "dc", "rtt_ms": 1}]},
    "routing": {"policy": "least_loaded", "max_spill_sites": 0},
    "cost": {"egress_usd_per_gb": 0.09, "bytes_per_token": 4},
}
E2E_USERS = [400, 800, 1200, 1600, 1800, 2000, 2200, 2400]


def end_to_end():
    """[(offered req/s, completed req/s, TTFT p50, TPOT p50, e2e p50 in ms)] over the loads."""
    rows = []
    measured_s = (E2E_SCENARIO["simulation"]["duration_h"] - E2E_SCENARIO["simulation"]["warmup_h"]) * 3600
    for users in E2E_USERS:
        result = capstan.run(E2E_SCENARIO, set={"workload.peak_users": users}, threads=1)
        c = result.summary["classes"]["bench"]
        lat = c["latency_ms"]
        rows.append((users * 36 / 3600, c["completed"] / measured_s, lat["ttft"]["p50"], lat["tpot"]["p50"],
                     lat["e2e"]["p50"]))
    return rows


def real_engines():
    """Every public measurement of validation/figures.json beside capstan's run of its mirror."""
    return mirror.compare(lambda doc: capstan.run(doc, requests=True, threads=2).requests)


def pct(x):
    return f"{x * 100:+.1f}%"


def real_engine_lines():
    figures = json.loads(mirror.FIGURES.read_text())
    comparisons = real_engines()
    compared = [c for c in comparisons if c.compared and not c.saturated]
    errors = [abs(c.error) for c in compared]
    lines = ["", "## Real engines, end to end", "",
             "Public measurements of serving engines (not of simulators), each mirrored by a capstan scenario",
             "of the same engine, model, GPU, tensor parallelism, lengths and load (`validation/figures.json`",
             "has every figure with its source and settings; `validation/mirror.py` writes the scenarios to",
             "`validation/scenarios/`; run one with `capstan run validation/scenarios/<name>.json --requests-csv",
             "FILE`). No capstan figure was fitted to these. The sources:", ""]
    for key, s in figures["sources"].items():
        lines.append(f"- **{s['title']}** ({s['where']}): {s['says']}."
                     + (f" Lengths: {s['lengths']}." if "lengths" in s else "")
                     + (f" Not published: {s['settings_not_published']}." if "settings_not_published" in s else ""))
    lines += ["", f"Median error over the {len(errors)} figures below the engines' capacity: "
              f"**{statistics.median(errors) * 100:.1f}%** (mean {statistics.mean(errors) * 100:.1f}%).", "",
              "| GPU | figures | median error | mean error | within tolerance |", "|---|---|---|---|---|"]
    for gpu in sorted({c.set["gpu"] for c in comparisons}):
        mine = [c for c in compared if c.set["gpu"] == gpu]
        e = [abs(c.error) for c in mine]
        lines.append(f"| {gpu} | {len(mine)} | {statistics.median(e) * 100:.1f}% | {statistics.mean(e) * 100:.1f}% | "
                     f"{sum(c.holds for c in mine)} of {len(mine)} |")
    lines += ["", "| metric | figures | median error | mean error | bias (median signed) |", "|---|---|---|---|---|"]
    for metric, (label, unit) in mirror.METRICS.items():
        mine = [c for c in compared if c.metric == metric]
        if not mine:
            continue
        e = [abs(c.error) for c in mine]
        lines.append(f"| {label} ({unit}) | {len(mine)} | {statistics.median(e) * 100:.1f}% | "
                     f"{statistics.mean(e) * 100:.1f}% | {pct(statistics.median([c.error for c in mine]))} |")
    saturated = [c for c in comparisons if c.saturated and c.compared]
    agree = sum(c.holds for c in saturated)
    lines += ["", f"Past capacity (published mean TTFT over a second): capstan agrees that {agree} of the "
              f"{len(saturated)} points are saturated.", ""]
    lines += ["Tolerances: " + "; ".join(f"{k}: {v['why']}" for k, v in figures["tolerances"].items()) + ".", ""]
    misses = {m["figure"]: m["why"] for m in figures["misses"]}
    lines += ["| point | model | GPU x TP | in / out | load | figure | published | capstan | error | tolerance |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for c in comparisons:
        s, r = c.set, c.row
        label, unit = mirror.METRICS[c.metric]
        load = {"online": f"{r['rate_per_s']} req/s" if r["rate_per_s"] is not None else "all at once",
                "offline": f"{s['requests']} at once", "batch1": "one at a time"}[s["kind"]]
        verdict = c.tolerance + ("" if c.holds else " **missed**")
        model = s["model"] + (" (fp8)" if s.get("precision") == "fp8" else "")
        lines.append(f"| {mirror.point_name(s, r)} | {model} | {s['gpu']} x {s['tensor_parallel']} | "
                     f"{s['input_tokens']} / {s['output_tokens']} | {load} | {label} | {c.published:g} {unit} | "
                     f"{c.predicted:.4g} {unit} | {pct(c.error)} | {verdict} |")
    if misses:
        lines += ["", "Figures outside their tolerance (`misses` in validation/figures.json), and what is known of why:", ""]
        reasons = {}
        for name, why in misses.items():
            reasons.setdefault(why, []).append(name)
        for why, names in reasons.items():
            lines.append(f"- {why}: " + ", ".join(f"`{n}`" for n in names) + ".")
    return lines


def render():
    lines = ["# How accurate capstan's service times are", "",
             "Generated by `scripts/accuracy.py` from capstan's own model (`capstan.Roofline`), the kernel",
             "figures in `models/catalog/data/gpus.json` and the measurements committed in `models/profiles/`;",
             "`tests/python/test_accuracy.py` checks that this page is what the script prints, and that every",
             "figure below holds within its tolerance. Rebuild it with",
             "`PYTHONPATH=build/python /usr/bin/python3 scripts/accuracy.py --write`.", "",
             "The roofline prices each operator of an iteration from a GPU's datasheet peaks and the shares",
             "of them real kernels reach (`models/calibration/roofline.h` has the forms): GEMMs in whole",
             "waves of output tiles over the GPU's SMs with a smooth bend between the memory and compute",
             "bounds; prefill attention at a rate that falls when a chunk has too few query tiles to fill",
             "the SMs, and bounded by streaming the prefix's KV; decode attention with a floor and a",
             "per-sequence cost; element-wise kernels with the bytes serving engines' kernels move and a",
             "launch floor; and the serving framework's time per iteration, growing with the batch.", "",
             "## Public figures the kernel figures were built from", "",
             "| figure | source | published | capstan | error | test tolerance |",
             "|---|---|---|---|---|---|"]
    for f in public_figures():
        lines.append(f"| {f.what} | {f.source} | {f.published:g} {f.unit} | {f.predicted:.4g} {f.unit} | "
                     f"{pct(f.error)} | ±{f.tolerance * 100:g}% ({f.why}) |")
    lines += real_engine_lines()
    lines += ["", "## Kernels measured on an H200", "",
              "Every timing in the four H200 calibration profiles (cuBLAS 13.1 GEMMs and capstan's element-wise",
              "kernels, 2026-11-30) and in the FlashAttention-2 grids of `models/profiles/h200-2026-11-30/`,",
              "against the h200's roofline. The h200's kernel figures were fitted to these same timings",
              "(`scripts/fit_kernel_figures.py`), so this is the fit's residual, not a held-out check; RoPE",
              "is left out (capstan's RoPE kernel computes its sines and is not the table lookup serving",
              "engines run). Decode attention is not a least-squares fit: SDPA's decode is short of",
              "parallel work at 1-4 sequences and bound by compute on mostly empty 128-row tiles from",
              "about 32 sequences on, which a serving engine's decode kernel is not; its figures are the",
              "streaming rate where it is neither, its fastest launch and its per-sequence slope",
              "(gpus.json), and the model is faster than SDPA at both ends.", "",
              "| family | shapes | median error | 90th percentile |", "|---|---|---|---|"]
    for name, pairs in h200_families().items():
        med, p90, n = summary(pairs)
        lines.append(f"| {name} | {n} | {med * 100:.1f}% | {p90 * 100:.1f}% |")
    lines += ["", "## Whole decoder layers on an H200 (held out)", "",
              "One Llama decoder layer run by PyTorch 2.11 (bf16, CUDA graph, FlashAttention-2 through SDPA;",
              "`scripts/compare_torch_layer.py`, `models/profiles/h200-2026-11-30/layer_torch_*.json`),",
              "which no figure was fitted to, against the roofline's layer (the same operators; no",
              "all-reduce) and against the calibrated profile's prediction recorded at the time. The",
              "PyTorch layer is eager code: each RMSNorm is eight kernels in fp32, each RoPE seven, where a",
              "serving engine runs one; about 30 element-wise launches a layer against the roofline's",
              "seven. That, not the GEMMs or attention, is most of the roofline's shortfall here, worst",
              "where element-wise work weighs most (small models, prefill).", "",
              "| model | tp | shape | measured (us) | roofline (us) | error | profile's error |",
              "|---|---|---|---|---|---|---|"]
    rows = h200_layers()
    for name, tp, kind, a, b, measured, predicted, profile in rows:
        shape = f"decode {a} x {b}" if kind == "decode" else f"prefill {a} after {b}"
        lines.append(f"| {name} | {tp} | {shape} | {measured * 1e6:.1f} | {predicted * 1e6:.1f} | "
                     f"{pct(predicted / measured - 1)} | {pct(profile / measured - 1)} |")
    med, p90, n = summary([(m, p) for *_, m, p, _ in rows])
    pmed, pp90, _ = summary([(m, q) for *_, m, _, q in rows])
    lines += ["", f"Median error over the {n} layers: roofline {med * 100:.1f}% (90th percentile {p90 * 100:.1f}%), "
              f"calibrated profiles {pmed * 100:.1f}% ({pp90 * 100:.1f}%).", "",
              "## End to end: Llama-3-8B on one A100, 512 tokens in, 128 out", "",
              "The workload the held-out reference measures (a serving engine's operator profiles and a",
              "validated simulator on them, kept out of this repository on purpose): one A100, Poisson",
              "arrivals of 512-token prompts and 128-token answers, chunked prefill of 2048 tokens. capstan's",
              "figures below are for comparison when that reference is measured again; when it was last",
              "compared, it put the capacity at 14-15 requests per second and the earlier roofline at 21-22.", "",
              "| offered (req/s) | completed (req/s) | TTFT p50 (ms) | TPOT p50 (ms) | e2e p50 (ms) |",
              "|---|---|---|---|---|"]
    e2e = end_to_end()
    for offered, done, ttft, tpot, total in e2e:
        lines.append(f"| {offered:.1f} | {done:.1f} | {ttft:.0f} | {tpot:.1f} | {total:.0f} |")
    stable = [done for offered, done, ttft, *_ in e2e if ttft < 1000]
    lines += ["", f"The replica keeps up to about {max(stable):.0f} requests per second completed (the highest load",
              "whose median TTFT stays under a second); past it the queue grows for the whole run.", "",
              "## What is not shown here", "",
              "- The L40S, L4 and A10G borrow the closest architecture's kernel figures (gpus.json says which",
              "  per group). The L40S is checked end to end above only in FP8 (the TensorRT-LLM page's",
              "  figures for it), and its all-reduces over PCIe take NVLink's shares; the L4 and A10G have no",
              "  public measurement of a serving engine in our sources and no figure above checks them. The",
              "  A100's kernel figures beyond its GEMM, bandwidth and attention headlines are borrowed too,",
              "  though its end-to-end figures above hold. FP8 GEMMs reach bf16's share of the FP8 peak (no",
              "  per-precision figure in our sources). Calibrate (`capstan calibrate`, docs/calibration.md)",
              "  before trusting a plan on a borrowed GPU.",
              "- vLLM and SGLang end to end: the public tables we found (the SGLang repository's v0.3.0",
              "  against vLLM v0.6.0 on ShareGPT) give medians over a length distribution they do not",
              "  publish, and vLLM 0.6's multi-step scheduling is not the engine of the catalog's profile;",
              "  they are not mirrored. MLPerf Inference's Llama-2-70B and Mixtral results and NVIDIA NIM's",
              "  FP8 tables are not mirrored yet.",
              "- The reference workload above has capstan's side only.", ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="rewrite docs/accuracy.md")
    args = ap.parse_args()
    text = render()
    if args.write:
        DOC.write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
