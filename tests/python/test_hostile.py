"""Hostile and careless input through the command line: each case exits 2 with one line naming what is wrong (or 0
where the input is valid), within a bounded time, and writes no report."""
import json
import subprocess

import pytest

from conftest import REPO, cli_binary

MINIMAL = REPO / "tests" / "data" / "minimal.json"


def _run(tmp_path, *args, timeout=120):
    out = tmp_path / "out"
    proc = subprocess.run([str(cli_binary()), "run", str(MINIMAL), "-o", str(out), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)
    return proc, out


def test_a_uniform_with_min_equal_to_max_runs_as_that_constant(tmp_path):
    # Boost's uniform sampler redraws while a draw is not below max: min == max once hung a valid scenario.
    proc, out = _run(tmp_path, "--set", 'classes.0.prompt_tokens={"dist": "uniform", "min": 50, "max": 50}',
                     timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    cls = next(iter(report["classes"].values()))
    assert cls["prompt_tokens_mean"] == 50 and cls["prompt_tokens_max"] == 50


@pytest.mark.parametrize("seed", ["-1", "18446744073709551616", "1e3", "abc", ""])
def test_a_seed_out_of_range_is_refused(tmp_path, seed):
    proc, out = _run(tmp_path, "--seed", seed, timeout=30)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines and "--seed" in lines[0]
    if seed:  # an empty value is CLI11's own "needs an argument"
        assert "0 to 18446744073709551615" in lines[0] and len(lines) <= 2
    assert not (out / "report.json").exists()


def test_the_largest_seed_is_accepted(tmp_path):
    proc, out = _run(tmp_path, "--seed", "18446744073709551615", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "report.json").read_text())["manifest"]["seed"] == 18446744073709551615


def test_an_override_number_that_overflows_a_double_names_its_field(tmp_path):
    proc, out = _run(tmp_path, "--set", "workload.peak_users=1e999", timeout=30)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "minimal.json: /workload/peak_users:" in lines[0] and '"1e999"' in lines[0]
    assert "json.exception" not in lines[0]
    assert not (out / "report.json").exists()
