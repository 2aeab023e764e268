#!/usr/bin/env python3
"""Fits the H200 kernel figures of models/catalog/data/gpus.json to the
measurements committed in models/profiles/.

    /usr/bin/python3 scripts/fit_kernel_figures.py

Reads the four H200 calibration profiles (cuBLAS GEMMs and element-wise
kernels timed by `capstan calibrate`) and the FlashAttention-2 grids timed by
scripts/measure_attention_torch.py, fits the roofline forms of
models/calibration/roofline.h by least squares on log time (every shape
weighs the same, whatever its duration), and prints each group's figures with
the median and 90th-percentile error of the fit. The printed figures are
what gpus.json holds for the h200 (rounded); the C++ test "kernel figures:
the H200 roofline reproduces its measurements" checks them against the same
files. Needs python3-numpy and python3-scipy (Debian).
"""
import json
import pathlib

import numpy as np
from scipy.optimize import least_squares

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROFILES = ROOT / "models" / "profiles"
PEAK_FLOPS = 989e12  # H200 SXM datasheet, dense BF16
HBM = 4.8e12         # H200 SXM datasheet, bytes/s
SMS = 132
GEMM_TILES = [(64, 64), (64, 128), (128, 128), (128, 256)]
PREFILL_TILE_ROWS = 128
FA2_LARGE_FLOPS = 330e12  # FlashAttention-2's rate on the H200 grid's 8192-token chunks (315-336 TFLOP/s)


def report(name, params, err):
    err = np.abs(err)
    print(f"{name}: " + ", ".join(f"{k} = {v:.4g}" for k, v in params.items()) +
          f"  (median error {np.median(err):.1%}, p90 {np.percentile(err, 90):.1%}, n = {len(err)})")


def fit(model, x0, lo, hi, t):
    r = least_squares(lambda th: np.log(model(th) / t), x0, bounds=(lo, hi))
    return r.x, model(r.x) / t - 1.0


def gemm():
    rows, ceilings = [], []
    for path in sorted(PROFILES.glob("h200_*.json")):
        p = json.loads(path.read_text())
        ceilings.append(p["ceilings"]["gemm_tflops"])
        for x in p["timings"]:
            if x["operator"].endswith("_gemm"):
                s = x["shape"]
                rows.append((s["m"], s["n"], s["k"], x["median_us"] * 1e-6))
    m, n, k, t = np.array(rows, dtype=float).T
    share = max(ceilings) * 1e12 / PEAK_FLOPS  # cuBLAS bf16 8192^3, the best of the profiles
    bytes_ = (k * n + m * k + m * n) * 2.0

    def model(th):
        floor_us, bw_share, p = th
        tc = np.min([np.ceil(np.ceil(m / a) * np.ceil(n / b) / SMS) * 2 * a * b * k / (PEAK_FLOPS * share / SMS)
                     for a, b in GEMM_TILES], axis=0)
        tm = bytes_ / (HBM * bw_share)
        return floor_us * 1e-6 + (tc ** p + tm ** p) ** (1 / p)

    th, err = fit(model, [5, 0.75, 3], [0, 0.05, 1], [50, 1.5, 64], t)
    report("gemm", {"flops_share": share, "bandwidth_share": th[1], "floor_us": th[0],
                    "transition_exponent": th[2]}, err)


def elementwise():
    # capstan's own element-wise kernels, with the bytes they move: add+RMSNorm
    # reads x and the residual and writes both (4 passes), SiLU-gate reads two
    # and writes one, KV append reads K and V and writes them. RoPE is left
    # out: capstan's kernel computes its sines in the kernel and is not the
    # table lookup a serving engine runs.
    rows = []
    for path in sorted(PROFILES.glob("h200_*_tp1.json")):
        p = json.loads(path.read_text())
        md = p["model"]
        hidden, inter = md["hidden"], md["intermediate"]
        kv = md["kv_heads"] * md["head_dim"]
        per_token = {"add_rmsnorm": 4 * hidden * 2, "silu_gate": 3 * inter * 2, "kv_append": 4 * kv * 2}
        for x in p["timings"]:
            if x["operator"] in per_token:
                rows.append((x["shape"]["tokens"] * per_token[x["operator"]], x["median_us"] * 1e-6))
    b, t = np.array(rows, dtype=float).T
    th, err = fit(lambda th: th[0] * 1e-6 + b / (HBM * th[1]), [4, 0.8], [0, 0.05], [50, 1.5], t)
    report("elementwise", {"launch_floor_us": th[0], "bandwidth_share": th[1]}, err)


def attention_grid(operator):
    rows = []
    for path in sorted((PROFILES / "h200-2026-11-30").glob("attention_torch_*.json")):
        d = json.loads(path.read_text())
        dims = d["dims"]
        for x in d["timings"]:
            if x["operator"] == operator and x["backend"] == "flash":
                rows.append((dims["heads"], x.get("chunk", x.get("batch")), x.get("prefix", x.get("context")),
                             x["flops"], x["bytes"], x["median_us"] * 1e-6))
    return np.array(rows, dtype=float).T


# FlashAttention-3 paper (Shah et al., 2024, arXiv 2407.08608), Figure 5(d):
# FlashAttention-2's forward pass on an H100 SXM5, causal, head dimension 128,
# 16 heads, batch 16384 / L, in TFLOP/s, as the figure's bar labels give them.
FA3_PAPER_FA2_H100_CAUSAL = {512: 191, 1024: 260, 2048: 298, 4096: 319, 8192: 333, 16384: 335}
H100_HBM = 3.35e12


def prefill_attention():
    heads, chunk, prefix, flops, bytes_, t = attention_grid("prefill_attention")
    tiles = heads * np.ceil(chunk / PREFILL_TILE_ROWS)
    hbm = np.full_like(t, HBM)
    # The paper's points: MHA (KV heads = heads), no prefix, batch chunks of L.
    for length, tflops in FA3_PAPER_FA2_H100_CAUSAL.items():
        batch, h, d = 16384 // length, 16, 128
        f = batch * 2.0 * h * d * length * length
        b = batch * (2 * h * d * 2 * length + 2 * h * d * 2 * length)
        heads, chunk, prefix = np.append(heads, h), np.append(chunk, length), np.append(prefix, 0)
        flops, bytes_, t = np.append(flops, f), np.append(bytes_, b), np.append(t, f / (tflops * 1e12))
        tiles = np.append(tiles, h * batch * np.ceil(length / PREFILL_TILE_ROWS))
        hbm = np.append(hbm, H100_HBM)

    def model(th):
        floor_us, fshare, kvshare, saturating, kv_saturating = th
        compute = PEAK_FLOPS * fshare * np.minimum(1.0, tiles / (saturating * SMS))
        stream = hbm * kvshare * np.minimum(1.0, tiles / (kv_saturating * SMS))
        return floor_us * 1e-6 + np.maximum(flops / compute, bytes_ / stream)

    th, err = fit(model, [8, 0.3, 0.8, 1, 1], [0, 0.01, 0.01, 0.01, 0.01], [100, 1.5, 1.0, 100, 100], t)
    n = len(FA3_PAPER_FA2_H100_CAUSAL)
    report("prefill_attention", {"floor_us": th[0], "flops_share": th[1], "kv_bandwidth_share": th[2],
                                 "saturating_tiles_per_sm": th[3], "kv_saturating_tiles_per_sm": th[4]}, err)
    report("  of which the FA3 paper's H100 points", {}, err[-n:])


def decode_attention():
    """Not a least-squares fit: SDPA's flash decode (each KV head's query
    group packed into the query rows) is short of parallel work at 1-4
    sequences and bound by compute on mostly empty 128-row tiles from about
    32 sequences on, neither of which a serving engine's decode kernel is. So:
    the bandwidth share is the median streaming rate where SDPA is neither
    (4-16 sequences of 8192 tokens or more), the floor the grid's fastest
    launch, and the per-sequence cost the slope of the 128-token column (1 to
    512 sequences) less its K and V at that share."""
    rows = []
    for path in sorted((PROFILES / "h200-2026-11-30").glob("attention_torch_*.json")):
        d = json.loads(path.read_text())
        for x in d["timings"]:
            if x["operator"] == "decode_attention" and x["backend"] == "flash":
                rows.append((x["batch"], x["context"], x["bytes"], x["median_us"] * 1e-6))
    seqs, context, bytes_, t = np.array(rows, dtype=float).T
    parallel = (seqs >= 4) & (seqs <= 16) & (context >= 8192)
    share = float(np.median(bytes_[parallel] / t[parallel] / HBM))
    floor_us = float(t.min() * 1e6)
    column = np.where(context == 128)[0]  # one row of 1 and one of 512 sequences per model
    one, most = column[seqs[column] == 1], column[seqs[column] == 512]
    per_seq = float(np.mean((t[most] - t[one] - (bytes_[most] - bytes_[one]) / (HBM * share)) / 511 * 1e6))
    model = (floor_us + per_seq * seqs) * 1e-6 + bytes_ / (HBM * share)
    report("decode_attention", {"floor_us": floor_us, "per_sequence_us": per_seq, "bandwidth_share": share},
           model / t - 1.0)


if __name__ == "__main__":
    gemm()
    elementwise()
    prefill_attention()
    decode_attention()
