#!/usr/bin/env python3
"""Compare a calibration profile's prediction with one real decoder layer.

Builds one Llama-style decoder layer in PyTorch (bf16) with the profile's
model dimensions (one GPU's share under its tensor parallelism; the
all-reduces are left out on both sides), times it at a few batch shapes
(decode batch x context, prefill chunk after a prefix) and prints the
measured time next to the time the profile predicts for the same operators:

    per layer: 2 x add_rmsnorm, qkv_gemm, rope, kv_append, attention,
               o_gemm, gate_up_gemm, silu_gate, down_gemm

priced with the same formulas as models/calibration/operators.cpp and the
profile's fitted costs (GEMMs interpolated inside their measured rows, as
CalibratedModel does). The layer is captured in a CUDA graph (as vLLM runs
decode) and timed like the calibration harness: warm-up, L2 flushed before
each repeat, CUDA events, median of the repeats.

Usage, on a machine with a CUDA GPU and torch:
    python3 scripts/compare_torch_layer.py --profile models/profiles/h100_llama-3-8b_tp1.json
    python3 scripts/compare_torch_layer.py --profile P.json --decode 1x1024 64x2048 --prefill 512+0 --json out.json

Exit status: 0 all shapes within --tolerance, 1 some outside it, 2 bad input.
"""
import argparse
import bisect
import json
import math
import statistics
import sys

LAYER_OPS = ["add_rmsnorm", "add_rmsnorm", "qkv_gemm", "rope", "kv_append", "o_gemm",
             "gate_up_gemm", "silu_gate", "down_gemm"]
GEMMS = {"qkv_gemm", "o_gemm", "gate_up_gemm", "down_gemm", "lm_head_gemm"}


# ---- the prediction: operators.cpp's formulas, CalibratedModel's pricing ----

class Dims:
    def __init__(self, model, tp):
        self.layers = model["layers"]
        self.hidden = model["hidden"]
        self.head_dim = model["head_dim"]
        self.heads = model["heads"] / tp
        self.kv_heads = max(1.0, float(model["kv_heads"] // tp))
        self.intermediate = model["intermediate"] / tp
        self.bpp = model["bytes_per_param"]
        self.tp = tp
        q_cols = model["heads"] * model["head_dim"]
        kv_gpu = max(1, model["kv_heads"] // tp)
        self.gemm_kn = {
            "qkv_gemm": (self.hidden, q_cols // tp + 2 * kv_gpu * self.head_dim),
            "o_gemm": (q_cols // tp, self.hidden),
            "gate_up_gemm": (self.hidden, 2 * model["intermediate"] // tp),
            "down_gemm": (model["intermediate"] // tp, self.hidden),
        }

    def gemm(self, op, rows):
        k, n = self.gemm_kn[op]
        return 2.0 * rows * k * n, (k * n + rows * k + rows * n) * self.bpp

    def elementwise_bytes(self, op, tokens):
        b = self.bpp
        if op == "add_rmsnorm":
            return 4.0 * tokens * self.hidden * b
        if op == "rope":
            return 2.0 * tokens * (self.heads + self.kv_heads) * self.head_dim * b
        if op == "silu_gate":
            return 3.0 * tokens * self.intermediate * b
        if op == "kv_append":
            return 4.0 * tokens * self.kv_heads * self.head_dim * b
        raise ValueError(op)

    def decode(self, seqs, context_tokens):
        flops = 4.0 * self.heads * self.head_dim * context_tokens
        kv = 2.0 * self.kv_heads * self.head_dim * self.bpp * context_tokens
        qo = 2.0 * self.heads * self.head_dim * self.bpp * seqs
        return flops, kv + qo

    def prefill(self, chunk, prefix):
        flops = 4.0 * self.heads * self.head_dim * chunk * (prefix + chunk / 2.0)
        kv = 2.0 * self.kv_heads * self.head_dim * self.bpp * (prefix + chunk)
        qo = 2.0 * self.heads * self.head_dim * self.bpp * chunk
        return flops, kv + qo


def op_seconds(fit, rows, flops, nbytes, use_table=True):
    table = fit.get("table")
    if use_table and table and table["rows"][0] <= rows <= table["rows"][-1]:
        xs, ys = table["rows"], table["seconds"]
        if len(xs) == 1:
            return ys[0]
        hi = min(max(bisect.bisect_right(xs, rows), 1), len(xs) - 1)
        lo = hi - 1
        w = (rows - xs[lo]) / (xs[hi] - xs[lo])
        return ys[lo] + w * (ys[hi] - ys[lo])
    return fit["c0_s"] + fit["s_per_flop"] * flops + fit["s_per_byte"] * nbytes


def predict_layer_seconds(profile, kind, a, b):
    """One layer's time: kind 'decode' (a = batch, b = context per sequence,
    attention over b + 1 tokens with the new one) or 'prefill' (a = chunk,
    b = prefix)."""
    d = Dims(profile["model"], profile["tensor_parallel"])
    fits = profile["fit"]
    tokens = a
    total = 0.0
    for op in LAYER_OPS:
        if op in GEMMS:
            flops, nbytes = d.gemm(op, tokens)
            total += op_seconds(fits[op], tokens, flops, nbytes)
        else:
            total += op_seconds(fits[op], tokens, 0.0, d.elementwise_bytes(op, tokens))
    if kind == "decode":
        flops, nbytes = d.decode(a, a * (b + 1))
        total += op_seconds(fits["decode_attention"], a, flops, nbytes, use_table=False)
    else:
        flops, nbytes = d.prefill(a, b)
        total += op_seconds(fits["prefill_attention"], a, flops, nbytes)
    return total


# ---- the measurement: one decoder layer in PyTorch ------------------------

def build_layer(torch, profile, device):
    m, tp = profile["model"], profile["tensor_parallel"]
    hidden, hd = m["hidden"], m["head_dim"]
    heads, kv_heads = m["heads"] // tp, max(1, m["kv_heads"] // tp)
    inter = m["intermediate"] // tp
    dt = torch.bfloat16
    g = torch.Generator(device=device).manual_seed(1234)

    def weight(rows, cols):
        return (torch.randn(rows, cols, device=device, generator=g, dtype=torch.float32) / math.sqrt(cols)).to(dt)

    w = {
        "qkv": weight((heads + 2 * kv_heads) * hd, hidden),
        "o": weight(hidden, heads * hd),
        "gate_up": weight(2 * inter, hidden),
        "down": weight(hidden, inter),
        "norm1": torch.ones(hidden, device=device, dtype=dt),
        "norm2": torch.ones(hidden, device=device, dtype=dt),
    }
    inv_freq = 1.0 / (500000.0 ** (torch.arange(0, hd, 2, device=device, dtype=torch.float32) / hd))
    return w, (hidden, hd, heads, kv_heads, inter), inv_freq


def rms_norm(torch, x, weight, eps=1e-5):
    xf = x.float()
    return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype) * weight


def rope(torch, x, cos, sin):
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


ATTENTION_PATHS = set()


def attention_for(torch, F, kind, batch, heads, kv_heads, group, q_len, kv_len, hd, device):
    """Attention as a serving engine runs it: the KV cache read once per KV
    head, never expanded to the query heads.

    Decode: the query heads of one KV head form that head's query rows (one
    token each, attending to the whole context), so a plain non-causal
    scaled_dot_product_attention over the unexpanded cache is exact and
    PyTorch picks its flash kernel. Prefill: causal after the prefix (the
    mask aligned to the lower right), with grouped-query heads left to the
    kernel (enable_gqa). Where this PyTorch cannot, the cache is expanded and
    an explicit mask used, and the path taken is printed."""
    if kind == "decode":
        def decode(q, k_cache, v_cache):
            qg = q.reshape(batch, kv_heads, group, hd)
            return F.scaled_dot_product_attention(qg, k_cache, v_cache).reshape(batch, heads, 1, hd)
        ATTENTION_PATHS.add("decode: query groups over the unexpanded cache")
        return decode
    try:
        from torch.nn.attention.bias import causal_lower_right
        bias = causal_lower_right(q_len, kv_len)
        q = torch.randn(batch, heads, q_len, hd, device=device, dtype=torch.bfloat16)
        k = torch.randn(batch, kv_heads, kv_len, hd, device=device, dtype=torch.bfloat16)
        F.scaled_dot_product_attention(q, k, k, attn_mask=bias, enable_gqa=True)
        ATTENTION_PATHS.add("prefill: lower-right causal bias, enable_gqa")
        return lambda q, k_cache, v_cache: F.scaled_dot_product_attention(
            q, k_cache, v_cache, attn_mask=bias, enable_gqa=True)
    except (ImportError, TypeError, RuntimeError) as e:
        qi = torch.arange(q_len, device=device).unsqueeze(1)
        kj = torch.arange(kv_len, device=device).unsqueeze(0)
        mask = kj <= (kv_len - q_len) + qi  # causal after the prefix
        ATTENTION_PATHS.add(f"prefill: expanded cache and explicit mask ({type(e).__name__}: {e})")

        def expanded(q, k_cache, v_cache):
            kk = k_cache.repeat_interleave(group, dim=1) if group > 1 else k_cache
            vv = v_cache.repeat_interleave(group, dim=1) if group > 1 else v_cache
            return F.scaled_dot_product_attention(q, kk, vv, attn_mask=mask)
        return expanded


def make_forward(torch, F, w, dims, inv_freq, kind, a, b, device):
    """Static inputs and a forward() that runs one layer on them."""
    hidden, hd, heads, kv_heads, inter = dims
    dt = torch.bfloat16
    if kind == "decode":
        batch, context, q_len, kv_len = a, b, 1, b + 1
        positions = torch.full((batch, 1), context, device=device)
    else:
        batch, chunk, prefix = 1, a, b
        q_len, kv_len = chunk, prefix + chunk
        positions = torch.arange(prefix, prefix + chunk, device=device).unsqueeze(0)
    tokens = batch * q_len
    x = torch.randn(tokens, hidden, device=device, dtype=dt)
    residual = torch.randn(tokens, hidden, device=device, dtype=dt)
    k_cache = torch.randn(batch, kv_heads, kv_len, hd, device=device, dtype=dt)
    v_cache = torch.randn(batch, kv_heads, kv_len, hd, device=device, dtype=dt)
    angles = positions.unsqueeze(-1).float() * inv_freq  # [batch, q_len, hd/2]
    cos = angles.cos().to(dt).unsqueeze(1)  # [batch, 1, q_len, hd/2]
    sin = angles.sin().to(dt).unsqueeze(1)
    group = heads // kv_heads
    new_slots = slice(kv_len - q_len, kv_len)
    attention = attention_for(torch, F, kind, batch, heads, kv_heads, group, q_len, kv_len, hd, device)

    def forward():
        r = x + residual
        h = rms_norm(torch, r, w["norm1"])
        qkv = F.linear(h, w["qkv"]).view(batch, q_len, heads + 2 * kv_heads, hd).transpose(1, 2)
        q = rope(torch, qkv[:, :heads], cos, sin)
        k = rope(torch, qkv[:, heads:heads + kv_heads], cos, sin)
        v = qkv[:, heads + kv_heads:]
        k_cache[:, :, new_slots] = k  # the KV append
        v_cache[:, :, new_slots] = v
        attn = attention(q, k_cache, v_cache)
        o = F.linear(attn.transpose(1, 2).reshape(tokens, heads * hd), w["o"])
        r2 = o + r
        h2 = rms_norm(torch, r2, w["norm2"])
        gu = F.linear(h2, w["gate_up"])
        act = F.silu(gu[:, :inter]) * gu[:, inter:]
        return F.linear(act, w["down"]) + r2

    return forward


def time_layer(torch, forward, repeats, use_graph, flush):
    for _ in range(3):
        forward()
    torch.cuda.synchronize()
    run = forward
    if use_graph:
        graph = torch.cuda.CUDAGraph()
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            forward()  # warm the allocator on the capture stream
        torch.cuda.current_stream().wait_stream(stream)
        with torch.cuda.graph(graph):
            forward()
        run = graph.replay
        run()
        torch.cuda.synchronize()
    times = []
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(repeats):
        flush.zero_()
        start.record()
        run()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) * 1e-3)
    return statistics.median(times)


def parse_pair(text, sep):
    try:
        left, right = text.split(sep)
        return int(left), int(right)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected A{sep}B with integers, found '{text}'")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", required=True, help="calibration profile JSON (capstan calibrate -o)")
    ap.add_argument("--decode", nargs="*", default=["1x1024", "8x2048", "64x1024", "256x512"],
                    type=lambda s: parse_pair(s, "x"), help="decode shapes BATCHxCONTEXT")
    ap.add_argument("--prefill", nargs="*", default=["512+0", "2048+0", "1024+4096"],
                    type=lambda s: parse_pair(s, "+"), help="prefill shapes CHUNK+PREFIX")
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--no-graph", action="store_true", help="time eager PyTorch instead of a CUDA graph")
    ap.add_argument("--tolerance", type=float, default=0.10, help="relative error counted as agreement")
    ap.add_argument("--json", help="write the comparison here")
    args = ap.parse_args()
    # argparse applies `type` to string defaults only one at a time; normalise.
    decode = [parse_pair(s, "x") if isinstance(s, str) else s for s in args.decode]
    prefill = [parse_pair(s, "+") if isinstance(s, str) else s for s in args.prefill]

    try:
        with open(args.profile) as f:
            profile = json.load(f)
        for key in ("model", "tensor_parallel", "fit", "device"):
            profile[key]
    except (OSError, ValueError, KeyError) as e:
        print(f"compare_torch_layer: cannot read profile {args.profile}: {e}", file=sys.stderr)
        return 2

    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        print("compare_torch_layer: torch is not installed here (run this on the GPU machine)", file=sys.stderr)
        return 1
    if not torch.cuda.is_available():
        print("compare_torch_layer: no CUDA GPU visible to torch", file=sys.stderr)
        return 1
    device = torch.device("cuda")
    torch.manual_seed(0)
    props = torch.cuda.get_device_properties(0)
    l2 = getattr(props, "L2_cache_size", 64 << 20)
    flush = torch.empty(max(2 * l2, 32 << 20), dtype=torch.uint8, device=device)
    w, dims, inv_freq = build_layer(torch, profile, device)

    print(f"profile {args.profile}: {profile['model']['name']} tp={profile['tensor_parallel']} "
          f"measured on {profile['device']['name']}; torch {torch.__version__} on {props.name}")
    print(f"{'shape':>22} {'torch us':>10} {'predicted us':>13} {'error':>8}")
    rows, worst = [], 0.0
    with torch.no_grad():
        for kind, shapes in (("decode", decode), ("prefill", prefill)):
            for a, b in shapes:
                fwd = make_forward(torch, F, w, dims, inv_freq, kind, a, b, device)
                measured = time_layer(torch, fwd, args.repeats, not args.no_graph, flush)
                predicted = predict_layer_seconds(profile, kind, a, b)
                err = (predicted - measured) / measured
                worst = max(worst, abs(err))
                label = f"decode {a}x{b}" if kind == "decode" else f"prefill {a}+{b}"
                print(f"{label:>22} {measured * 1e6:10.1f} {predicted * 1e6:13.1f} {100 * err:7.1f}%")
                rows.append({"kind": kind, "a": a, "b": b, "measured_s": measured, "predicted_s": predicted,
                             "rel_error": err})
    for path in sorted(ATTENTION_PATHS):
        print(f"attention path: {path}")
    print(f"worst |error| {100 * worst:.1f}% (goal within {100 * args.tolerance:.0f}%)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"profile": args.profile, "device": props.name, "torch": torch.__version__,
                       "cuda_graph": not args.no_graph,
                       "attention_paths": sorted(ATTENTION_PATHS), "shapes": rows}, f, indent=1)
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
