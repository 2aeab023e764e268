#!/usr/bin/env python3
"""Time the attention kernels a serving engine uses, over calibration's grid.

capstan's own attention microkernels (models/calibration/cuda/attention.cu)
are simple and validated, not fast: the figure a forecast needs is what a
production kernel reaches. This script times PyTorch's fused attention
(scaled_dot_product_attention with each fused backend it has: FlashAttention-2
and cuDNN) at a model's attention dimensions, bf16:

- prefill: one sequence, a chunk of new tokens after a cached prefix, causal
  aligned to the lower right (the chunk's tokens see the whole prefix), the
  grouped-query heads left to the kernel (enable_gqa);
- decode: a batch of one-token queries over equal contexts; the query heads
  of each KV head form that head's query rows, so the cache is read once per
  KV head, as a paged decode kernel reads it.

Timing follows the calibration harness: warm-up launches, L2 flushed before
each repeat, CUDA events around one launch, the median of the repeats.

Usage, on a machine with a CUDA GPU and torch:
    python3 scripts/measure_attention_torch.py --model llama-3-8b -o attention_h200_llama-3-8b.json

Writes JSON: the device, torch and backend versions, and per shape the
median microseconds, FLOPs and bytes (the formulas of docs/calibration.md's
operator table), FLOP/s and bytes/s. Exit status: 0 done, 1 no GPU or torch,
2 bad input.
"""
import argparse
import datetime
import json
import statistics
import sys
from pathlib import Path

CATALOG = Path(__file__).resolve().parent.parent / "models" / "catalog" / "data" / "models.json"


def model_dims(name):
    with open(CATALOG) as f:
        catalog = json.load(f)
    models = catalog.get("models", catalog)
    if name not in models:
        raise KeyError(f"unknown model '{name}' (known: {', '.join(sorted(models))})")
    m = models[name]
    arch = m.get("architecture", m)
    return {k: arch[k] for k in ("heads", "kv_heads", "head_dim")}


def prefill_cost(d, chunk, prefix):
    flops = 4.0 * d["heads"] * d["head_dim"] * chunk * (prefix + chunk / 2.0)
    nbytes = 2.0 * d["kv_heads"] * d["head_dim"] * 2 * (prefix + chunk) + 2.0 * d["heads"] * d["head_dim"] * 2 * chunk
    return flops, nbytes


def decode_cost(d, batch, context):
    flops = 4.0 * d["heads"] * d["head_dim"] * batch * context
    nbytes = 2.0 * d["kv_heads"] * d["head_dim"] * 2 * batch * context + 2.0 * d["heads"] * d["head_dim"] * 2 * batch
    return flops, nbytes


def timer(torch, flush, repeats):
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

    def time(fn):
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(repeats):
            flush.zero_()
            start.record()
            fn()
            stop.record()
            stop.synchronize()
            times.append(start.elapsed_time(stop) * 1e3)
        return statistics.median(times)
    return time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="catalog model, e.g. llama-3-8b")
    ap.add_argument("-o", "--output", required=True, help="where to write the JSON")
    ap.add_argument("--repeats", type=int, default=25)
    ap.add_argument("--max-kv-gib", type=float, default=8.0, help="skip decode shapes whose cache exceeds this")
    args = ap.parse_args()
    try:
        d = model_dims(args.model)
    except (OSError, KeyError, ValueError) as e:
        print(f"measure_attention_torch: {e}", file=sys.stderr)
        return 2
    try:
        import torch
        import torch.nn.functional as F
        from torch.nn.attention import SDPBackend, sdpa_kernel
        from torch.nn.attention.bias import causal_lower_right
    except ImportError as e:
        print(f"measure_attention_torch: torch is not usable here ({e})", file=sys.stderr)
        return 1
    if not torch.cuda.is_available():
        print("measure_attention_torch: no CUDA GPU visible to torch", file=sys.stderr)
        return 1
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(0)
    flush = torch.empty(2 * getattr(props, "L2_cache_size", 64 << 20), dtype=torch.uint8, device=dev)
    time = timer(torch, flush, args.repeats)
    bf16 = torch.bfloat16
    h, kv, hd = d["heads"], d["kv_heads"], d["head_dim"]
    group = h // kv
    backends = {"flash": SDPBackend.FLASH_ATTENTION, "cudnn": SDPBackend.CUDNN_ATTENTION}
    rows, failures = [], {}

    prefill_shapes = [(c, p) for c in (16, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
                      for p in (0, 512, 2048, 4096, 8192, 16384) if c + p <= 32768]
    decode_shapes = [(b, c) for b in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
                     for c in (128, 512, 1024, 2048, 4096, 8192, 16384, 32768)
                     if b * c * 2 * kv * hd * 2 <= args.max_kv_gib * (1 << 30)]
    def measure(operator, name, shape, run, cost):
        """Times `run` under one backend and records it, or records why that backend cannot run it."""
        try:
            with sdpa_kernel([backends[name]]):
                us = time(run)
        except (RuntimeError, TypeError) as e:
            failures.setdefault(f"{operator} {name}", str(e).splitlines()[0][:300])
            return
        flops, nbytes = cost
        rows.append({"operator": operator, "backend": name, **shape, "median_us": us, "flops": flops,
                     "bytes": nbytes, "tflops": flops / us / 1e6, "gb_per_s": nbytes / us / 1e3})

    with torch.no_grad():
        for name in backends:
            for chunk, prefix in prefill_shapes:
                q = torch.randn(1, h, chunk, hd, device=dev, dtype=bf16)
                k = torch.randn(1, kv, prefix + chunk, hd, device=dev, dtype=bf16)
                v = torch.randn_like(k)
                bias = causal_lower_right(chunk, prefix + chunk)
                measure("prefill_attention", name, {"chunk": chunk, "prefix": prefix},
                        lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=bias, enable_gqa=True),
                        prefill_cost(d, chunk, prefix))
            for batch, context in decode_shapes:
                q = torch.randn(batch, kv, group, hd, device=dev, dtype=bf16)
                k = torch.randn(batch, kv, context, hd, device=dev, dtype=bf16)
                v = torch.randn_like(k)
                measure("decode_attention", name, {"batch": batch, "context": context},
                        lambda: F.scaled_dot_product_attention(q, k, v), decode_cost(d, batch, context))
                del q, k, v
            torch.cuda.empty_cache()
    result = {
        "kind": "capstan-attention-measurement",
        "created_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "device": props.name, "sm_count": props.multi_processor_count,
        "torch": torch.__version__, "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "model": args.model, "dims": d, "repeats": args.repeats, "statistic": "median",
        "l2_flush_bytes": flush.numel(), "failures": failures, "timings": rows,
    }
    with open(args.output, "w") as f:
        json.dump(result, f, indent=1)
    for op in ("prefill_attention", "decode_attention"):
        for name in backends:
            sel = [r for r in rows if r["operator"] == op and r["backend"] == name]
            if sel:
                best = max(r["tflops"] if op == "prefill_attention" else r["gb_per_s"] for r in sel)
                unit = "TFLOP/s" if op == "prefill_attention" else "GB/s"
                print(f"{op:18} {name:6} {len(sel):3} shapes, best {best:8.1f} {unit}")
    for k, v in failures.items():
        print(f"not measured: {k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
