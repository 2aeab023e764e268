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
