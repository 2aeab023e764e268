"""The capstan command line on good and bad scenario files: exit status,
pointed messages, and that a failed run writes no report at all."""
import json
import pathlib
import subprocess

import pytest

import capstan

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


def test_set_before_the_positionals_takes_one_value(tmp_path, tiny_path):
    # `--set key=value` takes its one value: a scenario or baseline after it is still the positional.
    out = tmp_path / "out"
    proc = subprocess.run([CLI, "run", "--set", "simulation.replications=1", "--set", "simulation.seed=3", tiny_path,
                           "-o", str(out), "--no-html"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "report.json").read_text())["manifest"]["replications"] == 1
    proc = subprocess.run([CLI, "validate", "--set", "workload.peak_users=10", tiny_path], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    # regress: the baseline after --set is a baseline, not a malformed override (a bad key is named as such).
    proc = subprocess.run([CLI, "regress", "--set", "workload.peak_userz=10",
                           str(REPO / "scenarios" / "design_review.baseline.json")], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 2 and "peak_users" in proc.stderr and "override" not in proc.stderr.split(":")[0]


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


def test_requests_csv_has_a_row_per_ended_request(tmp_path, tiny_path):
    import pandas as pd
    out = tmp_path / "out"
    log = tmp_path / "requests.csv"
    proc = subprocess.run([CLI, "run", tiny_path, "-o", str(out), "--replications", "2", "--threads", "2",
                           "--no-html", "--requests-csv", str(log)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = pd.read_csv(log)
    assert list(rows.columns) == ["replication", "sent_s", "class", "origin", "site", "replica", "prompt_tokens",
                                  "cached_tokens", "output_tokens", "ttft_ms", "tpot_ms", "e2e_ms", "outcome"]
    assert sorted(rows.replication.unique()) == [0, 1]
    report = json.loads((out / "report.json").read_text())
    for name, cls in report["classes"].items():
        mine = rows[rows["class"] == name]
        # Per class, the mean over replications of each outcome's rows is the report's figure.
        completed = mine.outcome.str.startswith("completed").groupby(mine.replication).sum().mean()
        assert completed == pytest.approx(cls["completed"])
        dropped = mine.outcome.str.startswith("dropped").groupby(mine.replication).sum().reindex([0, 1], fill_value=0)
        assert dropped.mean() == pytest.approx(cls["dropped"])
        answered = mine[mine.outcome.str.startswith("completed")]
        assert (answered.ttft_ms <= answered.e2e_ms + 1e-6).all()
        assert (answered.cached_tokens < answered.prompt_tokens).all()
    # Without the flag there is no such file, and the report is the same.
    again = tmp_path / "again"
    subprocess.run([CLI, "run", tiny_path, "-o", str(again), "--replications", "2", "--threads", "2", "--no-html"],
                   check=True, capture_output=True)
    assert (again / "report.json").read_bytes() == (out / "report.json").read_bytes()


def test_requests_dataframe_is_the_cli_log(tmp_path, tiny_path):
    # capstan.run(..., requests=True).requests holds what --requests-csv writes, row for row.
    import pandas as pd
    log = tmp_path / "requests.csv"
    subprocess.run([CLI, "run", tiny_path, "-o", str(tmp_path / "out"), "--replications", "2", "--threads", "1",
                    "--no-html", "--requests-csv", str(log)], check=True, capture_output=True, timeout=300)
    r = capstan.run(tiny_path, replications=2, threads=2, requests=True)
    pd.testing.assert_frame_equal(r.requests, pd.read_csv(log, keep_default_na=False, na_values=[""]))
    assert len(r.requests) > 0
    assert capstan.run(tiny_path, replications=1).requests is None


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
    # Without a driver it says so, not that the driver's version is insufficient.
    if not pathlib.Path("/proc/driver/nvidia").exists():
        assert "no NVIDIA driver is installed" in probe.stdout + probe.stderr
        assert "insufficient" not in probe.stdout + probe.stderr


def test_a_scenario_served_only_by_a_hosted_api_runs_without_sites(tmp_path):
    scenario = {
        "name": "hosted-only",
        "simulation": {"duration_h": 0.1, "replications": 2},
        "workload": {"peak_users": 50, "diurnal": [1] * 24,
                     "origins": [{"name": "metro", "share": 1, "last_mile_rtt_ms": 20}]},
        "classes": [{"name": "chat", "rate_per_user_hour": 30,
                     "prompt_tokens": {"dist": "constant", "value": 100},
                     "output_tokens": {"dist": "constant", "value": 50},
                     "deployment": "api", "slo": {"metric": "ttft", "threshold_ms": 1000}}],
        "deployments": [{"name": "api", "hosted": {
            "input_usd_per_mtok": 0.15, "output_usd_per_mtok": 0.6,
            "ttft_ms": {"dist": "lognormal", "mean": 450, "cv": 0.6}, "tpot_ms": 12,
            "rate_limit": {"requests_per_minute": 10, "max_retries": 1}}}],
    }
    path = tmp_path / "hosted.json"
    path.write_text(json.dumps(scenario))
    out = tmp_path / "out"
    proc = subprocess.run([CLI, "run", str(path), "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "GPU busy" not in proc.stdout  # no empty site table
    report = json.loads((out / "report.json").read_text())
    chat = report["classes"]["chat"]
    # About 25 calls a minute against 10: most are refused after their retry.
    assert chat["dropped_by_reason"]["rate_limited"] > 0
    assert chat["latency_ms"]["ttft"]["p95"] > chat["latency_ms"]["ttft"]["p50"]  # a distribution, not a constant
    assert report["deployments"]["api"]["rate_limit_retries"] > 0


def test_a_trace_is_read_relative_to_its_scenario_and_a_bad_row_exits_2(tmp_path, tiny_dict):
    trace = (REPO / "tests" / "data" / "traces" / "azure_format.csv").read_text()
    (tmp_path / "trace.csv").write_text(trace)
    cls = tiny_dict["classes"][0]
    for drawn in ("rate_per_user_hour", "prompt_tokens", "output_tokens", "history", "response_cache"):
        cls.pop(drawn, None)
    cls["trace"] = {"file": "trace.csv"}
    scenario = tmp_path / "replay.json"
    scenario.write_text(json.dumps(tiny_dict))
    proc = subprocess.run([CLI, "run", str(scenario), "-o", str(tmp_path / "out")], capture_output=True, text=True,
                          cwd="/", timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["classes"][cls["name"]]["requests"] > 0

    lines = trace.splitlines()
    lines[5] = lines[5].replace(",", ";", 1)
    (tmp_path / "trace.csv").write_text("\n".join(lines) + "\n")
    proc = subprocess.run([CLI, "run", str(scenario), "-o", str(tmp_path / "bad")], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2
    assert f"{tmp_path / 'trace.csv'}: line 6: expected 3 comma-separated fields" in proc.stderr
    assert not (tmp_path / "bad" / "report.json").exists()


def test_an_unknown_subcommand_names_the_known_ones():
    proc = subprocess.run([CLI, "regres"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert 'unknown subcommand "regres" (did you mean "regress"?' in proc.stderr
    for known in ("run", "validate", "sweep", "regress", "catalog"):
        assert known in proc.stderr


def test_the_catalog_lists_prices_and_sources():
    proc = subprocess.run([CLI, "catalog", "gpus"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "h100" in proc.stdout and "datasheet" in proc.stdout and "by region" in proc.stdout
    gpus = json.loads(subprocess.run([CLI, "catalog", "gpus", "--format", "json"], capture_output=True, text=True,
                                     timeout=60).stdout)
    assert gpus["h100"]["price"]["on_demand_usd_per_hour"] > 0 and gpus["h100"]["source"]
    clouds = subprocess.run([CLI, "catalog", "clouds"], capture_output=True, text=True, timeout=60).stdout
    assert "aws" in clouds and "120" in clouds  # the AWS spot notice
    engines = subprocess.run([CLI, "catalog", "engines"], capture_output=True, text=True, timeout=60).stdout
    assert "vllm" in engines and "0.15.1" in engines and "default: vllm" in engines
    doc = json.loads(subprocess.run([CLI, "catalog", "engines", "--format", "json"], capture_output=True, text=True,
                                    timeout=60).stdout)
    assert doc["engines"]["tensorrt-llm"]["kernels"]["rope_in_attention"] is True
    assert subprocess.run([CLI, "catalog", "tpus"], capture_output=True, timeout=60).returncode == 2


def test_a_hugging_face_config_imports_and_runs_as_a_scenario_model(tmp_path):
    config = REPO / "tests" / "data" / "schema" / "tiny_config.json"
    proc = subprocess.run([CLI, "catalog", "import", str(config)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    entry = json.loads(proc.stdout)
    assert entry["experts"] == 16 and entry["experts_per_token"] == 4 and entry["expert_intermediate"] == 128
    # The tiny model's parameters, by hand: attention, router, experts and norms per layer; tied embeddings.
    hidden, layers, vocab = 512, 4, 32000
    attention = hidden * 8 * 64 + 2 * hidden * 2 * 64 + 8 * 64 * hidden
    per_layer = attention + hidden * 16 + 2 * hidden
    total = layers * (per_layer + 16 * 3 * hidden * 128) + vocab * hidden + hidden
    active = layers * (per_layer + 4 * 3 * hidden * 128) + vocab * hidden + hidden
    assert entry["total_parameters"] == total and entry["active_parameters"] == active
    # The printed entry is one a scenario takes as it is, and so is the config by path.
    doc = json.loads((REPO / "tests" / "data" / "minimal.json").read_text())
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "config.json").write_text(config.read_text())
    doc["catalog"] = {"models": {"printed": entry, "by-path": {"hf_config": "cfg/config.json"}}}
    doc["deployments"] = [{"name": "chat", "model": "by-path", "gpu": "h100"}]
    (tmp_path / "s.json").write_text(json.dumps(doc))
    proc = subprocess.run([CLI, "run", str(tmp_path / "s.json"), "-o", str(tmp_path / "out"), "--no-html"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["classes"]["dialogue"]["completed"] > 0
    # A config capstan does not model: status 2, one line naming the config and its pointer, no report.
    bad = json.loads(config.read_text())
    bad["architectures"] = ["DeepseekV32ForCausalLM"]
    (tmp_path / "cfg" / "config.json").write_text(json.dumps(bad))
    proc = subprocess.run([CLI, "run", str(tmp_path / "s.json"), "-o", str(tmp_path / "out2")], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "config.json: /architectures/0: expected" in proc.stderr
    assert "sparse attention" in proc.stderr and not (tmp_path / "out2").exists()
    proc = subprocess.run([CLI, "catalog", "import", str(tmp_path / "cfg" / "config.json")], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "/architectures/0" in proc.stderr and proc.stdout == ""


def test_sweep_prints_a_table_of_its_points(tmp_path, tiny_path):
    # One row per point: the swept value, each class's SLO percentile and attainment, the cost per user-hour,
    # the same figures sweep.csv holds.
    import csv
    proc = subprocess.run([CLI, "sweep", tiny_path, "-o", str(tmp_path), "--replications", "1", "--no-plots",
                           "--grid", "workload.peak_users=100,200,400"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split() and line.split()[0] == "workload.peak_users")
    assert "$/user-hour" in lines[header] and "attained" in lines[header]
    rows = [line.split() for line in lines[header + 1:header + 4]]
    table = list(csv.DictReader((tmp_path / "sweep.csv").open()))
    assert [r[0] for r in rows] == [t["workload.peak_users"] for t in table]
    for row, point in zip(rows, table):
        assert float(row[-1]) == pytest.approx(float(point["cost.per_user_hour_usd"]), abs=5e-6)
    assert "3 points" in proc.stdout
