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


def _scenario(tmp_path, edit, name="scenario.json", raw=None):
    """minimal.json with `edit(doc)` applied, written to tmp_path/name (or `raw` text as it is)."""
    path = tmp_path / name
    if raw is not None:
        path.write_bytes(raw if isinstance(raw, bytes) else raw.encode())
        return path
    doc = json.loads(MINIMAL.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    return path


def _run_file(path, tmp_path, *args, timeout=60):
    """`capstan run` under a 4 GiB address-space limit: a case that tries to exhaust memory fails instead."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    out = tmp_path / "out"
    proc = subprocess.run([str(cli_binary()), "run", str(path), "-o", str(out), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, preexec_fn=limit)
    return proc, out


def _refused(proc, out, file, pointer, expected):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"{file}: {pointer}: expected " in lines[0] and expected in lines[0], lines[0]
    assert not (out / "report.json").exists() and not (out / "timeseries.csv").exists()


def _set(path, value):
    def edit(doc):
        *parents, last = path
        at = doc
        for p in parents:
            at = at.setdefault(p, {}) if isinstance(at, dict) else at[p]
        at[last] = value
    return edit


HOSTILE = {
    # (2) a session too short for the clock: arrivals would stall it
    "session of 1e-300 minutes": (_set(["workload", "session"], {"duration_min": {"dist": "constant", "value": 1e-300}}),
                                  "/workload/session/duration_min", "a mean of at least 1 s"),
    # (7) a KV footprint so small that its block count overflows
    "bytes_per_param 1e-300": (_set(["catalog"], {"models": {"llama-3-8b": {"bytes_per_param": 1e-300}}}),
                               "/catalog/models/llama-3-8b/bytes_per_param", "[0.125, 8]"),
    # (9) a GPU so slow that an iteration overflows the replica's clock
    "a GPU at 1e-9 TFLOP/s": (_set(["catalog"], {"gpus": {"h100": {"bf16_tflops": 1e-9, "hbm_tb_per_s": 1e-9}}}),
                              "/deployments/0/gpu", "at most an hour"),
    # (9) a run too short to measure
    "duration_h 1e-15": (_set(["simulation"], {"duration_h": 1e-15}), "/simulation/duration_h", "[0.0002777777778"),
    "no measured window": (_set(["simulation"], {"duration_h": 1, "warmup_h": 1}), "/simulation/warmup_h", "[0, "),
    # (9) room for less than one KV block beside the weights
    "KV room under one block": (
        # Llama-3-8B's weights and one 16-token sequence fit in 18.85% of an H100, 1024 tokens do not.
        lambda doc: doc["deployments"][0].update({"max_model_len_tokens": 16, "block_size_tokens": 1024,
                                                  "gpu_memory_utilization": 0.1885}),
        "/deployments/0", "a KV cache of whole blocks"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_scenarios_are_refused_at_their_field(tmp_path, case):
    edit, pointer, expected = HOSTILE[case]
    path = _scenario(tmp_path, edit)
    proc, out = _run_file(path, tmp_path)
    _refused(proc, out, path, pointer, expected)


def test_heavy_tailed_sessions_do_not_wrap_the_clock(tmp_path):
    # (8) Weibull shape 0.1: about 0.8% of sessions last past 2^63 ns; they are cut at 10^9 s, not wrapped to 1 ns.
    path = _scenario(tmp_path, _set(["workload", "session"], {"duration_min": {"dist": "weibull", "shape": 0.1,
                                                                               "scale": 20}}))
    proc, out = _run_file(path, tmp_path, "--set", "simulation.duration_h=0.5", timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    # About peak_users x the half hour measured, never near 0 (a wrapped clock) nor over it.
    user_hours = report["users"]["user_hours"]
    assert 0.2 * 1000 * 0.5 < user_hours <= 1.01 * 1000 * 0.5 * 1.5, user_hours


@pytest.mark.parametrize("text, pointer, expected", [
    ('{"name": "a", "name": "b"}', "/name", 'each key once in an object, found "name" a second time'),
    ('{"workload": {"peak_users": 1, "peak_users": 2}}', "/workload/peak_users", "each key once"),
    ('{"classes": [{"slo": {"metric": "ttft", "metric": "e2e"}}]}', "/classes/0/slo/metric", "each key once"),
])
def test_a_repeated_key_is_refused_at_its_pointer(tmp_path, text, pointer, expected):
    # (12) json::parse would take the last one silently
    path = _scenario(tmp_path, None, raw=text)
    proc, out = _run_file(path, tmp_path)
    _refused(proc, out, path, pointer, expected)


def test_a_nul_byte_is_refused_not_read_past(tmp_path):
    # (12) anything after a NUL byte used to be ignored
    text = MINIMAL.read_bytes()
    path = _scenario(tmp_path, None, raw=text[:-2] + b"\x00" + text[-2:])
    proc, out = _run_file(path, tmp_path)
    assert proc.returncode == 2 and "a NUL byte at line" in proc.stderr and len(proc.stderr.splitlines()) == 1


@pytest.mark.parametrize("key", ["bad\nkey", "bad\rkey", "nul\u0000key", "tab\tkey", "caf\u00e9\u0301 " * 20])
def test_every_error_is_one_line_of_utf8(tmp_path, key):
    # (13) a control character in a key (or a long multi-byte one, cut for the message) never splits or breaks the line
    path = _scenario(tmp_path, lambda doc: doc["workload"].update({key: 1}))
    proc = subprocess.run([str(cli_binary()), "validate", str(path)], capture_output=True, timeout=30)
    assert proc.returncode == 2
    line = proc.stderr.decode("utf-8")  # raises on invalid UTF-8
    assert line.endswith("\n") and line.count("\n") == 1 and "\r" not in line and "\x00" not in line, line


def test_a_file_name_with_a_newline_stays_on_one_line(tmp_path):
    path = _scenario(tmp_path, lambda doc: doc.update({"nmae": 1}), name="two\nlines.json")
    proc = subprocess.run([str(cli_binary()), "validate", str(path)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "two\\nlines.json" in proc.stderr


def test_a_deeply_nested_override_names_its_field(tmp_path):
    # (15) the pointer is the field set, not /0/0/... inside the value
    value = "[" * 100 + "]" * 100
    proc, out = _run(tmp_path, "--set", f"workload.peak_users={value}", timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert "minimal.json: /workload/peak_users: expected values nested at most 64 levels deep" in proc.stderr
    assert "/0/0" not in proc.stderr and len(proc.stderr.splitlines()) == 1


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "text"])
def test_a_profile_that_is_not_a_profile_file_is_refused_without_echoing_it(tmp_path, kind):
    # (3) a device reads forever, a FIFO blocks, and a parse error once echoed the file's first bytes
    import os
    if kind == "fifo":
        profile = tmp_path / "profile.fifo"
        os.mkfifo(profile)
    elif kind == "text":
        profile = tmp_path / "secret.txt"
        profile.write_text("TOPSECRET-CONTENT and more\n")
    else:
        profile = "/dev/zero"
    path = _scenario(tmp_path, lambda doc: doc["deployments"][0].update({"profile": str(profile)}))
    proc, out = _run_file(path, tmp_path, timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and str(profile) in proc.stderr and "TOPSECRET" not in proc.stderr
    assert not (out / "report.json").exists()


def test_outputs_are_written_together_or_not_at_all(tmp_path):
    # (11) when one output cannot be written, none is: no new file beside an old report, no temporary left
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text("old")
    (out / "report.json.tmp").mkdir()  # the report's temporary cannot be opened as a file
    proc = subprocess.run([str(cli_binary()), "run", str(MINIMAL), "-o", str(out)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "cannot write" in proc.stderr and "Is a directory" in proc.stderr and "nothing written" in proc.stderr
    assert (out / "report.json").read_text() == "old"
    assert not (out / "timeseries.csv").exists() and not (out / "timeseries.csv.tmp").exists()


def _estimate_gib(stderr):
    import re
    return float(re.search(r"found an estimated ([0-9.e+-]+) GiB", stderr).group(1))


def test_a_run_over_the_memory_budget_is_refused_with_what_drives_it(tmp_path):
    # (4) a fleet of 40,000 spot GPUs (80,000 node slots) under a 64 MiB budget
    args = ["--set", "sites.cloud.pools.main.gpus=40000", "--set", "sites.cloud.pools.main.capacity=spot"]
    proc, out = _run(tmp_path, *args, "--max-memory", "64M", timeout=60)
    _refused(proc, out, MINIMAL, "/sites", "a run within the memory budget of 0.0625 GiB (--max-memory")
    assert "80000 node slots" in proc.stderr and "replication(s) at once" in proc.stderr
    # Its breakdown adds up to its total: replications x their parts, plus the run's own.
    import re
    m = re.search(r"found an estimated ([0-9.e+-]+) GiB: (\d+) replication\(s\) at once .*? x ([0-9.e+-]+) GiB .*"
                  r"plus ([0-9.e+-]+) GiB for the run", proc.stderr)
    assert m, proc.stderr
    total, at_once, each, base = float(m[1]), int(m[2]), float(m[3]), float(m[4])
    assert at_once * each + base == pytest.approx(total, rel=0.01)  # the three significant figures printed
    # The same through validate, and with room to spare it runs.
    proc = subprocess.run([str(cli_binary()), "validate", str(MINIMAL), *args, "--max-memory", "64M"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "/sites" in proc.stderr
    proc = subprocess.run([str(cli_binary()), "validate", str(MINIMAL), *args, "--max-memory", "4G"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_an_open_loop_burst_is_estimated_by_what_it_sends(tmp_path):
    # A benchmark's "all at once": 3,000 requests at a million a second. The estimate counts the 3,000 it sends,
    # not a million a second for max_queue_s; the same rate held for an hour is still refused.
    doc = json.loads(MINIMAL.read_text())
    doc["simulation"] = {"duration_h": 0.1, "max_queue_s": 3600}
    doc["classes"][0].pop("rate_per_user_hour")
    doc["classes"][0]["arrivals"] = {"stages": [{"rate_per_s": 1e6, "duration_s": 0.003}], "process": "constant"}
    path = tmp_path / "burst.json"
    path.write_text(json.dumps(doc))
    ok = subprocess.run([str(cli_binary()), "validate", str(path), "--max-memory", "64M"],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    doc["classes"][0]["arrivals"]["stages"][0]["duration_s"] = 3600
    path.write_text(json.dumps(doc))
    refused = subprocess.run([str(cli_binary()), "validate", str(path), "--max-memory", "64M"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "/simulation/max_queue_s" in refused.stderr, refused.stderr


@pytest.mark.parametrize("size", ["5x", "0", "1K", "2048T", "-1G", "G"])
def test_a_bad_memory_budget_is_refused(tmp_path, size):
    proc, out = _run(tmp_path, "--max-memory", size, timeout=30)
    assert proc.returncode == 2 and "--max-memory" in proc.stderr and not (out / "report.json").exists()


def test_the_memory_estimate_errs_high_but_not_wildly(tmp_path):
    # The estimate against the peak resident memory of the run it describes (80,000 node slots, one replication).
    args = ["--set", "sites.cloud.pools.main.gpus=40000", "--set", "sites.cloud.pools.main.capacity=spot",
            "--set", "simulation.duration_h=0.05", "--replications", "1", "--threads", "1"]
    proc, _ = _run(tmp_path, *args, "--max-memory", "1M", timeout=60)
    estimate = _estimate_gib(proc.stderr) * 2**30
    # Linux keeps a forked child's peak from before its exec, so the run is started by a small launcher, not by
    # this (large) test process, and the launcher reports the run's own peak.
    launcher = ("import os, subprocess, sys\n"
                "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
                "_, status, usage = os.wait4(p.pid, 0)\n"
                "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)\n")
    proc = subprocess.run(["/usr/bin/python3", "-c", launcher, str(cli_binary()), "run", str(MINIMAL), "-o",
                           str(tmp_path / "out"), *args], capture_output=True, text=True, timeout=300)
    code, peak_kib = map(int, proc.stdout.split())
    assert code == 0
    peak = peak_kib * 1024
    assert peak <= estimate <= 4 * peak, (peak, estimate)


@pytest.mark.parametrize("fixture", sorted(p.name for p in (REPO / "tests" / "data" / "bad").glob("*.json")))
def test_every_bad_fixture_gets_one_line_and_no_report(tmp_path, fixture):
    path = REPO / "tests" / "data" / "bad" / fixture
    proc, out = _run_file(path, tmp_path, timeout=30)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"capstan: {path}: ") and "expected " in lines[0], proc.stderr
    assert not out.exists() or not any(out.iterdir())


def test_the_python_run_takes_a_memory_budget_too():
    import capstan
    scenario = capstan.load(MINIMAL)
    big = {"sites.cloud.pools.main.gpus": 40000, "sites.cloud.pools.main.capacity": "spot"}
    with pytest.raises(capstan.ScenarioError, match="memory budget of 0.0625 GiB"):
        capstan.run(scenario, set=big, max_memory=64 * 2**20)
    with pytest.raises(ValueError):
        capstan.run(scenario, max_memory=10)
    assert capstan.run(scenario, replications=1, max_memory=2**30).summary["cost"]["per_user_hour_usd"] > 0


# ---- issue 23, item 13: the new inputs, tried again ----

TINY = REPO / "tests" / "python" / "data" / "tiny.json"


def _cli(*args, timeout=120, **kwargs):
    return subprocess.run([str(cli_binary()), *map(str, args)], capture_output=True, text=True, timeout=timeout, **kwargs)


def _one_line(proc):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def _tiny_with(tmp_path, edit, name="s.json"):
    doc = json.loads(TINY.read_text())
    edit(doc)
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("blocked", ["report.json", "timeseries.csv", "report.html"])
def test_an_output_file_that_is_a_directory_is_refused_before_the_run(tmp_path, blocked):
    out = tmp_path / "out"
    (out / blocked).mkdir(parents=True)
    line = _one_line(_cli("run", TINY, "-o", out))
    assert f"{out / blocked}: expected a path for an output file" in line and "found a directory" in line
    assert sorted(p.name for p in out.iterdir()) == [blocked]  # nothing beside it, not even a temporary


def test_a_plan_whose_manifest_or_plan_is_a_directory_writes_nothing(tmp_path):
    out = tmp_path / "plan"
    (out / "plan.json").mkdir(parents=True)
    line = _one_line(_cli("plan", TINY, "-o", out, "--k8s", tmp_path / "k8s"))
    assert "plan.json: expected a path for an output file" in line
    assert sorted(p.name for p in out.iterdir()) == ["plan.json"] and not (tmp_path / "k8s").exists()
    # A manifest's path taken by a directory: found when the manifests are written, before any of them is.
    out2, k8s = tmp_path / "plan2", tmp_path / "k8s2"
    (k8s / "cloud-main.yaml").mkdir(parents=True)
    line = _one_line(_cli("plan", TINY, "-o", out2, "--k8s", k8s))
    assert "cloud-main.yaml: expected a path for an output file" in line
    assert not (out2 / "plan.txt").exists() and not (out2 / "frontier.csv").exists()


@pytest.mark.parametrize("name", [b"f\nn", b"u\xff"])
def test_an_output_directory_that_cannot_be_made_is_one_line_of_utf8(tmp_path, name):
    import os
    blocker = os.path.join(os.fsencode(tmp_path), name)
    with open(blocker, "wb") as f:
        f.write(b"a file in the way")
    proc = subprocess.run([os.fsencode(str(cli_binary())), b"run", os.fsencode(str(TINY)), b"-o",
                           os.path.join(blocker, b"sub")], capture_output=True, timeout=120)
    assert proc.returncode == 2
    err = proc.stderr.decode("utf-8")  # raises if it is not UTF-8
    assert len(err.splitlines()) == 1 and "expected an output directory capstan can make" in err


@pytest.mark.parametrize("kind", ["space", "baseline", "spot trace"])
def test_a_syntax_error_is_placed_at_its_line_and_column(tmp_path, kind):
    bad = '{\n  "a": 1,\n  x\n}'
    if kind == "space":
        (tmp_path / "space.json").write_text(bad)
        proc = _cli("plan", TINY, "--space", tmp_path / "space.json", "-o", tmp_path / "out")
    elif kind == "baseline":
        (tmp_path / "b.baseline.json").write_text(bad)
        proc = _cli("regress", tmp_path / "b.baseline.json")
    else:
        (tmp_path / "spot.json").write_text(bad)
        path = _tiny_with(tmp_path, lambda d: d["sites"][0]["pools"].append(
            {"name": "spot", "deployment": "small", "gpus": 1, "capacity": "spot",
             "interruptions": {"model": "trace", "file": "spot.json"}}))
        proc = _cli("validate", path)
    assert "expected valid JSON, found a syntax error at line 3, column 3" in _one_line(proc)


def test_a_baseline_of_absurd_values_is_refused_at_its_figure(tmp_path):
    baseline = json.loads((REPO / "scenarios" / "training_sim.baseline.json").read_text())
    baseline["scenario"] = str(REPO / "scenarios" / "training_sim.json")
    figure = next(iter(baseline["figures"]))
    baseline["figures"][figure]["replications"] = [1e300, -1e300]
    path = tmp_path / "absurd.baseline.json"
    path.write_text(json.dumps(baseline))
    line = _one_line(_cli("regress", path))
    assert f"{path}: /figures/" in line and "/replications/0: expected a number in [-1e+15, 1e+15]" in line


def _trace_class(tmp_path, rows, header="timestamp_s,prompt_tokens,output_tokens"):
    (tmp_path / "t.csv").write_text(header + "\n" + "".join(rows))

    def edit(doc):
        cls = doc["classes"][0]
        for key in ("rate_per_user_hour", "prompt_tokens", "output_tokens"):
            cls.pop(key)
        cls["trace"] = {"file": "t.csv"}
    return _tiny_with(tmp_path, edit)


@pytest.mark.parametrize("stamp", ["2262-04-12 00:00:00", "9999-12-31 23:59:59", "2023-02-30 10:00:00",
                                   "2023-04-31 10:00:00", "1969-12-31 23:59:59", "9300000000", "1e19"])
def test_a_trace_time_out_of_range_or_not_a_date_is_refused_at_its_line(tmp_path, stamp):
    path = _trace_class(tmp_path, ["2023-01-01 00:00:00,10,10\n", f"{stamp},10,10\n"],
                        header="TIMESTAMP,ContextTokens,GeneratedTokens")
    line = _one_line(_cli("validate", path))
    assert "t.csv: line 3: expected a timestamp" in line and "out of order" not in line


def test_a_leap_day_is_a_date(tmp_path):
    path = _trace_class(tmp_path, ["2024-02-28 23:59:59,10,10\n", "2024-02-29 00:00:01,10,10\n"],
                        header="TIMESTAMP,ContextTokens,GeneratedTokens")
    assert _cli("validate", path).returncode == 0


def test_a_header_of_millions_of_commas_is_refused_without_exhausting_memory(tmp_path):
    import resource
    (tmp_path / "t.csv").write_text("," * 20_000_000 + "\n")
    path = _trace_class(tmp_path, [])
    (tmp_path / "t.csv").write_text("," * 20_000_000 + "\n")

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    line = _one_line(_cli("validate", path, preexec_fn=limit))
    assert "line 1: expected at most 1000 comma-separated fields, found 20000001" in line


def test_a_trace_bunched_at_one_instant_counts_against_the_memory_budget(tmp_path):
    path = _trace_class(tmp_path, ["5,100,50\n"] * 1_000_000)
    proc = _cli("run", path, "-o", tmp_path / "out", "--max-memory", "100M")
    line = _one_line(proc)
    assert "/simulation/max_queue_s: expected a run within the memory budget" in line
    assert "1001000 requests waiting or running" in line and "1000000 trace rows" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("interruptions, found", [
    ({"model": "poisson", "per_node_hour": 1000}, "(per_node_hour x nodes x duration_h)"),
    ({"model": "bathtub", "scale": 0.3, "early_h": 1e-13, "late_h": 1e-13, "max_lifetime_h": 1e-13},
     "nodes x duration_h / the mean lifetime of"),
])
def test_a_fleet_whose_reclaims_would_never_finish_is_refused_with_the_bound(tmp_path, interruptions, found):
    path = _tiny_with(tmp_path, lambda d: d["sites"][0]["pools"].append(
        {"name": "spot", "deployment": "small", "gpus": 100000, "capacity": "spot", "interruptions": interruptions}))
    line = _one_line(_cli("validate", path, timeout=60))
    assert "/sites/0/pools/1/interruptions: expected at most 10000000 spot reclaims in a run" in line and found in line


def test_an_autoscaler_looking_too_often_at_too_many_nodes_is_refused(tmp_path):
    def edit(doc):
        doc["simulation"]["duration_h"] = 24
        doc["sites"][0]["pools"] = [{"name": "big", "deployment": "small", "gpus": 1, "autoscale": {
            "min_gpus": 1, "max_gpus": 100000, "metric": "batch_occupancy", "target": 0.5, "period_s": 1}}]
    line = _one_line(_cli("validate", _tiny_with(tmp_path, edit)))
    assert "/sites/0/pools/0/autoscale/period_s: expected at most 5000000000 node looks" in line


def test_an_hourly_schedule_up_to_100000_gpus_runs(tmp_path):
    # Starting and releasing 100,000 nodes an hour once took quadratic time; the subprocess timeout guards a hang.
    def edit(doc):
        doc["simulation"]["duration_h"] = 6
        doc["sites"][0]["pools"] = [{"name": "s", "deployment": "small", "gpus": 1,
                                     "autoscale": {"schedule": [1 if h % 2 else 100000 for h in range(24)]}}]
    proc = _cli("run", _tiny_with(tmp_path, edit), "-o", tmp_path / "out", "--no-html", timeout=300)
    assert proc.returncode == 0, proc.stderr
    pools = json.loads((tmp_path / "out" / "report.json").read_text())["pools"]
    assert pools["cloud/s"]["cold_starts"] == 2 * 99999  # starts at 100,000, then climbs back twice in six hours


def test_a_tiny_autoscale_target_scales_at_least_as_far_as_a_small_one(tmp_path):
    ready = {}
    for target in (1e-12, 1e-3):
        path = _tiny_with(tmp_path, lambda d, t=target: d["sites"][0].update(pools=[
            {"name": "a", "deployment": "small", "gpus": 1,
             "autoscale": {"min_gpus": 1, "max_gpus": 8, "metric": "batch_occupancy", "target": t}}]),
            name=f"t{target}.json")
        out = tmp_path / f"out{target}"
        assert _cli("run", path, "-o", out, "--no-html").returncode == 0
        ready[target] = json.loads((out / "report.json").read_text())["pools"]["cloud/a"]["ready_gpus_mean"]
    assert ready[1e-12] >= ready[1e-3] > 4


def test_an_error_inside_a_spot_trace_names_the_trace_not_the_scenario(tmp_path):
    # The scenario's errors are collected in one pass; a file it names reports its own, at its own pointer.
    (tmp_path / "spot.json").write_text('{"metadata": {"gap_seconds": -5}, "data": [1]}')
    path = _tiny_with(tmp_path, lambda d: d["sites"][0]["pools"].append(
        {"name": "spot", "deployment": "small", "gpus": 1, "capacity": "spot",
         "interruptions": {"model": "trace", "file": "spot.json"}}))
    line = _one_line(_cli("validate", path))
    assert line.startswith(f"capstan: {tmp_path / 'spot.json'}: /metadata/gap_seconds: expected a number in [1, ")
