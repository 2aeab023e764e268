"""capstan.load / capstan.run on the tiny scenario: the happy path."""
import copy
import json
import re
import shutil
import subprocess
import threading

import pandas as pd
import pytest

import capstan
from capstan import _core
from conftest import REPO, cli_binary

LATENCY_COLUMNS = [f"{m}_{s}_ms" for m in ("ttft", "tpot", "e2e") for s in ("mean", "p50", "p90", "p95", "p99")]


@pytest.fixture(scope="module")
def result(tiny):
    return capstan.run(tiny)


@pytest.fixture(scope="module")
def replicated(tiny):
    return capstan.run(tiny, replications=3, threads=2)


def test_module_metadata():
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", capstan.__version__)
    assert capstan.ScenarioError is _core.ScenarioError
    probe = capstan.gpu_probe()
    assert isinstance(probe["available"], bool)
    if not probe["available"]:
        assert probe["message"]
    for f in (capstan.load, capstan.run, capstan.sweep, _core.run, _core.validate, _core.gpu_probe):
        assert f.__doc__ and len(f.__doc__) > 40


def test_load_keeps_source_and_canonical_json(tiny, tiny_path, tiny_dict):
    assert tiny.source == tiny_path and tiny.path == tiny_path
    assert tiny.name == "tiny"
    assert tiny.description.startswith("Test fixture")
    canonical = tiny.to_dict()
    # Canonical means every field present: at least what the file gave.
    assert canonical["workload"]["peak_users"] == tiny_dict["workload"]["peak_users"]
    assert [c["name"] for c in canonical["classes"]] == ["dialogue"]


def test_load_dict_gives_same_scenario_as_file(tiny, tiny_dict):
    from_dict = capstan.load(tiny_dict)
    assert from_dict.source == "<dict>" and from_dict.path is None
    assert from_dict.to_dict() == tiny.to_dict()


def test_canonical_json_is_a_fixed_point(tiny):
    again = capstan.load(tiny.to_dict())
    assert again.json == capstan.load(json.loads(again.json)).json
    assert again.to_dict() == tiny.to_dict()


def test_load_with_overrides(tiny, tiny_path):
    s = capstan.load(tiny_path, set={"workload.peak_users": 300})
    assert s.overrides == ("workload.peak_users=300",)
    assert s.to_dict()["workload"]["peak_users"] == 300
    assert tiny.to_dict()["workload"]["peak_users"] == 200  # the original is unchanged
    assert capstan.load(s) is s


def test_run_report_shape(result):
    report = result.summary
    assert report["schema_version"] == 1
    for key in ("capstan_version", "scenario_sha256", "seed", "replications", "service_time_model"):
        assert key in report["manifest"]
    assert report["manifest"]["seed"] == 7 and report["manifest"]["replications"] == 1
    assert re.fullmatch(r"[0-9a-f]{64}", report["manifest"]["scenario_sha256"])
    assert set(report) >= {"classes", "sites", "tokens", "cost"}
    # One replication: no intervals anywhere.
    assert "_ci95" not in result.report_json


def test_run_classes_frame(result):
    classes = result.classes
    assert list(classes.index) == ["dialogue"] and classes.index.name == "class"
    row = classes.loc["dialogue"]
    for column in ["requests", "completed", "dropped", "network_ms_mean", "slo_attainment"] + LATENCY_COLUMNS:
        assert column in classes.columns, column
    assert row["requests"] > 0
    assert 0 <= row["completed"] <= row["requests"] and row["dropped"] >= 0
    for metric in ("ttft", "tpot", "e2e"):
        p = [row[f"{metric}_{s}_ms"] for s in ("p50", "p90", "p95", "p99")]
        assert p == sorted(p) and p[0] > 0
    assert row["ttft_p95_ms"] <= row["e2e_p95_ms"]
    assert 0 <= row["slo_attainment"] <= 1
    assert row["slo_metric"] == "ttft" and row["slo_threshold_ms"] == 200 and row["slo_percentile"] == 95
    # The user to site round trip is last mile plus link: part of every latency.
    assert row["network_ms_mean"] >= 30 - 1e-9


def test_run_sites_cost_tokens(result):
    sites = result.sites
    assert list(sites.index) == ["cloud"]
    for column in ("gpu_utilization", "kv_occupancy", "queue_length_mean"):
        assert 0 <= sites.loc["cloud", column]
    assert sites.loc["cloud", "gpu_utilization"] <= 1 and sites.loc["cloud", "kv_occupancy"] <= 1
    cost = result.cost
    assert cost.index.name == "category" and len(cost) >= 1
    assert (cost["usd"] >= 0).all()
    assert cost["usd"].sum() == pytest.approx(result.summary["cost"]["total_usd"], rel=1e-9)
    assert cost["share"].sum() == pytest.approx(1.0)
    kpis = result.kpis
    assert kpis["cost.total_usd"] > 0 and kpis["cost.per_user_hour_usd"] > 0
    assert kpis["tokens.input_per_user_hour"] > kpis["tokens.output_per_user_hour"] > 0


def test_run_timeseries(result, tiny):
    ts = result.timeseries
    minutes = round(tiny.to_dict()["simulation"]["duration_h"] * 60)
    assert len(ts) == minutes
    for column in ("minute", "users", "requests_dialogue", "p95_ttft_ms_dialogue", "busy_gpus", "cost_usd_per_hour"):
        assert column in ts.columns, column
    assert ts["minute"].is_monotonic_increasing
    assert (ts["busy_gpus"] <= 2 + 1e-9).all()
    # Requests by interval add up to the class's count (no warm-up in the tiny scenario).
    assert ts["requests_dialogue"].sum() == result.classes.loc["dialogue", "requests"]


def test_frames_have_the_dtypes_and_indices_pandas_users_expect(replicated):
    classes = replicated.classes
    assert classes["slo_met"].dtype == bool and classes["slo_met_share"].dtype == "float64"
    assert classes["slo_met"].loc["dialogue"] == (classes["slo_met_share"].loc["dialogue"] == 1.0)
    assert str(classes["deployment"].dtype) == "string" and str(classes["slo_metric"].dtype) == "string"
    numeric = classes.drop(columns=["slo_met", "deployment", "slo_metric"])
    assert (numeric.dtypes == "float64").all(), numeric.dtypes[numeric.dtypes != "float64"]
    # Latencies, tidy: (class, metric) rows of float64 percentiles, the same figures as the wide frame.
    latency = replicated.latency
    assert latency.index.names == ["class", "metric"] and set(latency.index) == {
        ("dialogue", m) for m in ("ttft", "tpot", "e2e")}
    assert list(latency.columns) == ["mean", "p50", "p90", "p95", "p99"] and (latency.dtypes == "float64").all()
    assert latency.loc[("dialogue", "ttft"), "p95"] == classes.loc["dialogue", "ttft_p95_ms"]
    # Every figure in long form, with its interval; a row is all float.
    figures = replicated.figures
    assert figures.index.names == ["section", "name", "figure"]
    assert (figures.dtypes == "float64").all()
    row = figures.loc[("classes", "dialogue", "latency_ms/ttft/p95")]
    assert row["mean"] == classes.loc["dialogue", "ttft_p95_ms"]
    assert row["ci95_low"] == classes.loc["dialogue", "ttft_p95_ms_ci95_low"]
    assert figures.loc[("cost", "", "per_user_hour_usd"), "mean"] == replicated.summary["cost"]["per_user_hour_usd"]
    assert figures.loc[("classes", "dialogue")].dtypes["mean"] == "float64"
    # The time series is indexed by the time since the run's start.
    ts = replicated.timeseries
    assert isinstance(ts.index, pd.TimedeltaIndex) and ts.index.name == "time"
    assert (ts.index == pd.to_timedelta(ts["minute"], unit="min")).all()
    assert ts.index[1] - ts.index[0] == pd.Timedelta(minutes=1)


def _starved(tiny_dict) -> dict:
    """The tiny scenario with a second class whose client gives up after 1 ms: nothing of it ever completes."""
    d = copy.deepcopy(tiny_dict)
    content = copy.deepcopy(d["classes"][0])
    content.update(name="content", deployment="big", timeout_s=0.001)
    d["classes"].append(content)
    d["deployments"].append({"name": "big", "model": "llama-3.2-1b", "gpu": "l4"})
    d["sites"][0]["pools"].append({"name": "big", "deployment": "big", "gpus": 1})
    d["simulation"]["warmup_h"] = 0.05
    return d


def test_a_class_that_completed_nothing_has_missing_latencies_not_zero(tiny_dict):
    r = capstan.run(_starved(tiny_dict), replications=2)
    content = r.summary["classes"]["content"]
    assert content["completed"] == 0 and content["dropped"] > 0
    for metric in ("ttft", "tpot", "e2e"):
        for stat in ("mean", "p50", "p90", "p95", "p99"):
            assert content["latency_ms"][metric][stat] is None, (metric, stat)
        assert content["latency_ms"][metric]["p95_ci95"] == [None, None]
    assert content["slo"]["percentile_ms"] is None and content["network_ms_mean"] is None
    # Drops count as misses: nothing attained, nothing met.
    assert content["slo"]["attainment"] == 0 and content["slo"]["met"] == 0
    # The served class still has its figures.
    assert r.summary["classes"]["dialogue"]["slo"]["percentile_ms"] > 0
    # NaN in pandas, "-" in the table, empty in timeseries.csv (a gap in plots).
    assert r.classes.loc["content", ["ttft_p95_ms", "slo_percentile_ms"]].isna().all()
    assert r.latency.loc["content"].isna().all().all()
    assert not r.classes.loc["content", "slo_met"]
    line = next(l for l in r.table.splitlines() if l.startswith("content "))
    assert " - " in line and "0.0ms" not in line
    assert r.timeseries["p95_ttft_ms_content"].isna().all()
    # The warm-up minutes have no percentile either: missing, never 0.
    dialogue = r.timeseries["p95_ttft_ms_dialogue"]
    warm = r.timeseries["minute"] < 3
    assert dialogue[warm].isna().all() and (dialogue[~warm] > 0).all()
    header, first = r.timeseries_csv.splitlines()[:2]
    column = header.split(",").index("p95_ttft_ms_content")
    assert first.split(",")[column] == ""


def test_sweep_and_plan_report_a_starved_class_as_missing(tiny_dict):
    df = capstan.sweep(_starved(tiny_dict), grid={"workload.peak_users": [100, 200]})
    assert df["content.slo_percentile_ms"].isna().all() and df["content.ttft_p95_ms"].isna().all()
    assert (df["dialogue.slo_percentile_ms"] > 0).all()
    p = capstan.plan(_starved(tiny_dict), space={"pools": {"cloud/big": {"min_gpus": 1, "max_gpus": 1}}})
    assert not p.feasible
    assert "content completed no request" in p.table and "0.0 ms" not in p.table
    assert p.frontier["content.percentile_ms_ci95_high"].isna().all()


def test_a_plan_has_its_text_in_table_and_its_verdict_as_a_dict(tiny):
    p = capstan.plan(tiny)
    assert p.feasible and isinstance(p.table, str) and "cost per user-hour" in p.table and repr(p) == p.table
    planned = {f"{s['name']}/{q['name']}": q["gpus"] for s in p.scenario.to_dict()["sites"] for q in s["pools"]}
    assert p.summary == {"feasible": True, "message": p.message, "simulations": p.simulations, "gpus": planned}


def test_a_class_with_no_request_has_nothing_to_miss(tiny_dict):
    d = copy.deepcopy(tiny_dict)
    quiet = copy.deepcopy(d["classes"][0])
    quiet.update(name="quiet", rate_per_user_hour=0)
    d["classes"].append(quiet)
    c = capstan.run(d).summary["classes"]["quiet"]
    assert c["requests"] == 0 and c["latency_ms"]["ttft"]["p95"] is None and c["slo"]["percentile_ms"] is None
    assert c["slo"]["attainment"] == 1 and c["slo"]["met"] == 1


def test_a_file_with_relative_traces_runs_and_hashes_alike_from_python_and_the_cli(tiny_dict, tmp_path):
    # A scenario names its request and spot availability traces relative to itself: Python loads it from any
    # directory, and its hash (which leaves the traces' paths out, their bytes in) is the CLI's.
    cli = cli_binary()
    if cli is None:
        pytest.skip("the capstan CLI is not built beside the package")
    (tmp_path / "traces").mkdir()
    shutil.copy(REPO / "tests" / "data" / "traces" / "azure_format.csv", tmp_path / "traces" / "requests.csv")
    (tmp_path / "traces" / "spot.json").write_text('{"metadata": {"gap_seconds": 60}, "data": [1, 0, 1]}')
    d = copy.deepcopy(tiny_dict)
    d["classes"][0].pop("rate_per_user_hour"), d["classes"][0].pop("prompt_tokens"), d["classes"][0].pop("output_tokens")
    d["classes"][0]["trace"] = {"file": "traces/requests.csv", "loop": True}
    d["sites"][0]["pools"].append({"name": "spot", "deployment": "small", "gpus": 1, "capacity": "spot",
                                   "interruptions": {"model": "trace", "file": "traces/spot.json"}})
    path = tmp_path / "s.json"
    path.write_text(json.dumps(d))
    r = capstan.run(str(path))
    assert r.pools.loc["cloud/spot", "interruptions"] == 1
    out = subprocess.run([cli, "run", str(path), "-o", str(tmp_path / "out"), "--no-html"], cwd="/",
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["manifest"]["scenario_sha256"] == r.manifest["scenario_sha256"]
    assert report["classes"] == r.summary["classes"]
    # The trace's bytes are hashed: another spot trace gives another hash.
    (tmp_path / "traces" / "spot.json").write_text('{"metadata": {"gap_seconds": 60}, "data": [1, 1, 1]}')
    assert capstan.run(str(path)).manifest["scenario_sha256"] != r.manifest["scenario_sha256"]


def test_run_is_repeatable_and_seed_overrides(tiny):
    a, b = capstan.run(tiny), capstan.run(tiny)
    assert a.report_json == b.report_json and a.timeseries_csv == b.timeseries_csv
    c = capstan.run(tiny, seed=8)
    assert c.manifest["seed"] == 8
    assert c.summary["classes"] != a.summary["classes"]


def test_run_from_path_dict_and_scenario_agree(tiny, tiny_path, tiny_dict):
    a = capstan.run(tiny)
    assert capstan.run(tiny_path).summary == a.summary
    assert capstan.run(tiny_dict).summary == a.summary


def test_set_changes_the_run(tiny, result):
    bigger = capstan.run(tiny, set={"workload.peak_users": 400})
    assert bigger.manifest["scenario_sha256"] != result.manifest["scenario_sha256"]
    assert bigger.classes.loc["dialogue", "requests"] > result.classes.loc["dialogue", "requests"]
    # The same override as a CLI-style string.
    same = capstan.run(tiny, set=["workload.peak_users=400"])
    assert same.report_json == bigger.report_json


def test_replications_give_intervals(replicated):
    assert replicated.manifest["replications"] == 3
    row = replicated.classes.loc["dialogue"]
    for column in ("ttft_p95_ms", "e2e_p50_ms", "slo_attainment", "requests"):
        assert row[f"{column}_ci95_low"] <= row[column] <= row[f"{column}_ci95_high"], column
    kpis = replicated.kpis
    assert kpis["cost.per_user_hour_usd_ci95_low"] <= kpis["cost.per_user_hour_usd"] <= kpis[
        "cost.per_user_hour_usd_ci95_high"]
    assert {"usd", "usd_ci95_low", "usd_ci95_high"} <= set(replicated.cost.columns)


def test_results_do_not_depend_on_threads(tiny, replicated):
    one = capstan.run(tiny, replications=3, threads=1)
    assert one.report_json == replicated.report_json


def test_progress_is_reported(tiny):
    calls = []
    capstan.run(tiny, replications=3, threads=1, progress=lambda done, total: calls.append((done, total)))
    assert sorted(calls) == [(1, 3), (2, 3), (3, 3)]


def test_progress_exception_propagates(tiny):
    def fail(done, total):
        raise KeyError("stop")

    with pytest.raises(KeyError):
        capstan.run(tiny, replications=2, threads=1, progress=fail)


def test_gil_is_released_during_a_run(tiny):
    # The main thread counts while a run goes on in another thread; the progress callback
    # records the count after each replication. A run holding the GIL would leave the
    # count frozen between its first and last replication.
    counter = [0]
    seen = []
    finished = threading.Event()

    def work():
        try:
            capstan.run(tiny, replications=4, threads=1,
                        set={"simulation.duration_h": 0.5},
                        progress=lambda done, total: seen.append(counter[0]))
        finally:
            finished.set()

    t = threading.Thread(target=work)
    t.start()
    while not finished.is_set():
        counter[0] += 1
    t.join()
    assert len(seen) == 4
    assert seen[-1] > seen[0]


def test_save_writes_the_cli_files(result, tmp_path):
    result.save(tmp_path / "out")
    assert json.loads((tmp_path / "out" / "report.json").read_text()) == result.summary
    assert pd.read_csv(tmp_path / "out" / "timeseries.csv").equals(result.timeseries.reset_index(drop=True))
    assert (tmp_path / "out" / "summary.txt").read_text() == result.table
    assert "dialogue" in repr(result)


def test_requests_follow_the_class_rate(tiny):
    # Inside a session a class fires as a Poisson process at rate_per_user_hour, so arrivals per
    # simulated user-hour estimate that rate; over 8 hours the count is ~48k and its relative
    # standard error ~0.5%, so 3% is far outside noise.
    r = capstan.run(tiny, set={"simulation.duration_h": 8})
    rate = tiny.to_dict()["classes"][0]["rate_per_user_hour"]
    per_user_hour = r.summary["requests"]["arrived"] / r.summary["users"]["user_hours"]
    assert per_user_hour == pytest.approx(rate, rel=0.03)


POOL_FIGURES = ["gpu_hours", "ready_gpus_mean", "interruptions", "cold_starts", "requests_migrated", "requests_lost",
                "fallback_gpu_hours", "gpu_utilization", "batch_occupancy", "kv_occupancy"]


def test_pools_frame_with_spot_interruptions(tiny_dict):
    # The tiny scenario plus a spot pool reclaimed at 20 per node-hour: over a quarter hour its two
    # nodes see about ten reclaims, so none at all would mean the interruption model never ran.
    tiny_dict["sites"][0]["pools"].append({
        "name": "spot", "deployment": "small", "gpus": 2, "capacity": "spot",
        "interruptions": {"model": "poisson", "per_node_hour": 20}})
    r = capstan.run(tiny_dict, replications=2, threads=1)
    pools = r.pools
    assert pools.index.name == "pool" and list(pools.index) == ["cloud/main", "cloud/spot"]
    assert list(pools["capacity"]) == ["on_demand", "spot"]
    for column in POOL_FIGURES:
        for name in (column, column + "_ci95_low", column + "_ci95_high"):
            assert name in pools.columns, name
    spot, main = pools.loc["cloud/spot"], pools.loc["cloud/main"]
    assert spot["interruptions"] > 0 and spot["cold_starts"] > 0
    assert main["interruptions"] == 0 and main["cold_starts"] == 0
    # The on-demand pool's two GPUs are up and billed the whole quarter hour.
    assert main["gpu_hours"] == pytest.approx(0.5) and main["ready_gpus_mean"] == pytest.approx(2.0)
    # Reclaimed spot nodes are down while their replacements boot.
    assert 0 <= spot["ready_gpus_mean"] < 2
    assert "ready_gpus:cloud/spot" in r.timeseries.columns
    classes = r.classes
    for column in ("lost", "dropped_by_reason_queue_timeout", "dropped_by_reason_too_long",
                   "dropped_by_reason_no_capacity", "dropped_by_reason_interrupted"):
        assert column in classes.columns, column
    req = r.summary["requests"]
    assert req["arrived"] == pytest.approx(req["completed"] + req["dropped"] + req["lost"] + req["in_flight"])
