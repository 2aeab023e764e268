"""The roofline against the public figures its kernel figures were built from
and against the H200 measurements committed in models/profiles/
(scripts/accuracy.py computes both; docs/accuracy.md is its output)."""
import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("accuracy", ROOT / "scripts" / "accuracy.py")
accuracy = importlib.util.module_from_spec(spec)
spec.loader.exec_module(accuracy)


@pytest.mark.parametrize("figure", accuracy.public_figures(), ids=lambda f: f.what)
def test_public_figure_is_reproduced(figure):
    assert figure.holds(), (f"{figure.what}: published {figure.published} {figure.unit} ({figure.source}), "
                            f"capstan {figure.predicted:.4g}, outside ±{figure.tolerance:.0%}")


def test_every_fitted_h200_operator_family_within_fifteen_percent():
    # The accuracy goal per operator family: a median error of at most 15%.
    for family, pairs in accuracy.h200_families().items():
        median, _, n = accuracy.summary(pairs)
        assert n >= 100, family
        if family.startswith("decode"):
            # Not fitted, and SDPA's decode is slower than a serving engine's
            # at 1-4 and at 32+ sequences (docs/accuracy.md): the derivation's
            # residual, 19.7%, guarded against regressions.
            assert median <= 0.20, f"{family}: median error {median:.1%}"
        else:
            assert median <= 0.15, f"{family}: median error {median:.1%}"


def test_gemm_mid_sizes_hold_better_than_before_tiles():
    # 129-4096 rows: where whole waves of tiles matter most. The plain roofline
    # (one corner, no tiles) is 7.6% off in the median there; the tiled one
    # must do better.
    median, _, _ = accuracy.summary(accuracy.h200_families()["GEMM, 129-4096 rows"])
    assert median < 0.076


def test_accuracy_page_is_current():
    assert (ROOT / "docs" / "accuracy.md").read_text() == accuracy.render(), \
        "docs/accuracy.md is stale: PYTHONPATH=build/python /usr/bin/python3 scripts/accuracy.py --write"


def test_roofline_from_python():
    import capstan
    r = capstan.Roofline("h100", "llama-3-8b")
    parts = r.breakdown(8, 8 * 1000, [(256, 512)])
    assert sum(parts.values()) == pytest.approx(r.iteration(8, 8 * 1000, [(256, 512)]), rel=1e-12)
    # vLLM's scheduling overlaps the GPU's work (asynchronous scheduling) and
    # this batch replays a CUDA graph: no host time shows.
    assert parts["host"] == pytest.approx(0.0, abs=1e-12)
    assert r.attention_kernel == "fa3"
    # Without graphs, batch 1 of an 8B model is launch-bound: its step is the launches' host time.
    eager = capstan.Roofline("h100", "llama-3-8b", enforce_eager=True)
    assert eager.iteration(1, 0) == pytest.approx(eager.launches(1) * 37e-6, rel=1e-9)
    assert capstan.Roofline("a100-80gb", "llama-3-8b", engine="sglang").attention_kernel == "fa2"
    with pytest.raises(ValueError, match="unknown engine"):
        capstan.Roofline("h100", "llama-3-8b", engine="no-such-engine")
    assert "h100" in r.provenance
    # A scenario's catalog section applies: a GEMM share halved slows the GEMMs.
    slow = capstan.Roofline("h100", "llama-3-8b", catalog='{"gpus": {"h100": {"kernels": {"gemm": {"flops_share": 0.4}}}}}')
    assert slow.gemm_seconds("gate_up_gemm", 4096) > 1.5 * r.gemm_seconds("gate_up_gemm", 4096)
    with pytest.raises(ValueError, match="unknown GPU"):
        capstan.Roofline("no-such-gpu", "llama-3-8b")
    with pytest.raises(ValueError, match="flops_share"):
        capstan.Roofline("h100", "llama-3-8b", catalog='{"gpus": {"h100": {"kernels": {"gemm": {"flops_share": 9}}}}}')
    with pytest.raises(ValueError, match="unknown operator"):
        r.gemm_seconds("no_gemm", 1)


# Real engines, end to end: validation/figures.json against capstan's runs of the mirrors.
REAL = accuracy.real_engines()
FIGURES = accuracy.json.loads(accuracy.mirror.FIGURES.read_text())


def test_every_real_engine_figure_holds_or_is_a_recorded_miss():
    # A figure outside its tolerance must be listed in `misses` with why; a listed figure that now holds must
    # leave the list (the page would otherwise explain a miss that is gone).
    missed = {c.name for c in REAL if not c.holds}
    recorded = [m["figure"] for m in FIGURES["misses"]]
    assert len(recorded) == len(set(recorded))
    assert missed - set(recorded) == set(), "outside tolerance and not recorded in validation/figures.json misses"
    assert set(recorded) - missed == set(), "recorded as misses but now within tolerance: remove them"
    assert all(m["why"].strip() for m in FIGURES["misses"])


def test_real_engine_figures_cover_the_gpus_and_cite_their_sources():
    for s in FIGURES["sets"]:
        assert s["source"] in FIGURES["sources"], s["id"]
        assert s["rows"], s["id"]
    sources = FIGURES["sources"].values()
    assert all(src["where"] and src["says"] for src in sources)
    compared = [c for c in REAL if c.compared and not c.saturated]
    # At least the H100, H200 and A100 have measurements of their own; every set's figures are compared.
    assert {c.set["gpu"] for c in compared} >= {"h100", "h200", "a100-80gb"}
    assert len(compared) >= 100
    # Most figures hold: the misses are the exception the page explains, not the rule.
    assert sum(c.holds for c in compared) >= 0.85 * len(compared)


def test_real_engine_median_error_is_at_most_ten_percent():
    # The goal docs/accuracy.md reports against: the median error over the figures below the engines' capacity.
    import statistics
    compared = [c for c in REAL if c.compared and not c.saturated]
    assert statistics.median(abs(c.error) for c in compared) <= 0.10


def test_mirror_scenarios_are_current():
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, str(ROOT / "validation" / "mirror.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_a_mirror_that_leaves_requests_unanswered_is_an_error():
    # measure() refuses a run whose requests did not all complete: a mirror that cuts its run short would
    # otherwise read a throughput from the requests that happened to finish.
    import pandas as pd
    s = FIGURES["sets"][0]
    log = pd.DataFrame({"replication": [0, 0], "sent_s": [0.0, 0.1], "outcome": ["completed", "dropped:queue_timeout"],
                        "ttft_ms": [20.0, None], "tpot_ms": [8.0, None], "e2e_ms": [100.0, None]})
    with pytest.raises(RuntimeError, match="1 of 2 requests completed"):
        accuracy.mirror.measure(s, s["rows"][0], log)
