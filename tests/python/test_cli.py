"""The capstan command line on good and bad scenario files: exit status,
pointed messages, and that a failed run writes no report at all."""
import json
import pathlib
import subprocess

import pytest

from conftest import REPO, cli_binary

BAD = REPO / "tests" / "data" / "bad"
CLI = cli_binary()
pytestmark = pytest.mark.skipif(CLI is None, reason="the capstan CLI is not built beside the Python package")


def _pointers():
    """(file, pointer) pairs from the table in tests/data/bad/README.md."""
    rows = []
    for line in (BAD / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].endswith(".json"):
            rows.append((cells[0], "" if cells[2] == "(none)" else cells[2]))
    return rows


CASES = _pointers()


def test_every_fixture_is_listed():
    assert sorted(name for name, _ in CASES) == sorted(p.name for p in BAD.glob("*.json"))


@pytest.mark.parametrize("name,pointer", CASES)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_scenario_exits_2_with_a_pointed_message_and_no_report(tmp_path, name, pointer, command):
    out = tmp_path / "out"
    args = [CLI, command, str(BAD / name)] + (["-o", str(out)] if command == "run" else [])
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    message = proc.stderr.strip()
    assert str(BAD / name) in message
    assert "expected" in message and "found" in message
    if pointer:
        assert f": {pointer}: expected" in message
    assert not out.exists(), "a failed run must not write a report"
    assert message.count("\n") == 0, "one error, one line"


def test_unreadable_path_exits_2(tmp_path):
    missing = tmp_path / "no_such_world.json"
    proc = subprocess.run([CLI, "run", str(missing), "-o", str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert str(missing) in proc.stderr and "a readable file" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_bad_override_exits_2(tmp_path):
    proc = subprocess.run([CLI, "validate", str(REPO / "scenarios" / "training_sim.json"),
                           "--set", "workload.peak_userz=10"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "peak_users" in proc.stderr  # the nearest known name is suggested


def test_run_writes_report_and_timeseries(tmp_path, tiny_path):
    out = tmp_path / "out"
    proc = subprocess.run([CLI, "run", tiny_path, "-o", str(out), "--replications", "2", "--threads", "2"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["schema_version"] == 1
    assert report["manifest"]["replications"] == 2
    for name, cls in report["classes"].items():
        low, high = cls["latency_ms"]["e2e"]["p95_ci95"]
        assert low <= cls["latency_ms"]["e2e"]["p95"] <= high
    header = (out / "timeseries.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["minute", "users"] and "busy_gpus" in header and "cost_usd_per_hour" in header
    assert "requests" in proc.stdout  # the summary table


def test_same_seed_same_report_whatever_the_threads(tmp_path, tiny_path):
    reports = []
    for threads in ("1", "2"):
        out = tmp_path / threads
        subprocess.run([CLI, "run", tiny_path, "-o", str(out), "--replications", "3", "--threads", threads],
                       check=True, capture_output=True)
        reports.append((out / "report.json").read_bytes())
    assert reports[0] == reports[1]


def test_calibrate_without_a_gpu_exits_1_with_a_clear_message(tmp_path):
    probe = subprocess.run([CLI, "device"], capture_output=True, text=True)
    if probe.returncode == 0:
        pytest.skip("a GPU is present")
    proc = subprocess.run([CLI, "calibrate", "--model", "llama-3-8b", "-o", str(tmp_path / "p.json")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "no CUDA-capable GPU" in proc.stderr + proc.stdout
    assert not (tmp_path / "p.json").exists()
