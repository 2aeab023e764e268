"""capstan.load / capstan.run on the tiny scenario: the happy path."""
import json
import re
import threading

import pandas as pd
import pytest

import capstan
from capstan import _core

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
    assert pd.read_csv(tmp_path / "out" / "timeseries.csv").equals(result.timeseries)
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
