"""capstan.sweep on a Dask cluster of two worker processes on loopback: same frame as a local run,
even when a worker dies in the middle."""
import os
import signal
import threading
import time

import pandas.testing as pdt
import pytest

import capstan

distributed = pytest.importorskip("distributed")

GRID = {"workload.peak_users": [100, 200, 300], "sites.cloud.pools.main.gpus": [1, 2]}
# Longer runs (about a second each) for the worker-death test, so that a task is still going when the
# worker is killed.
SLOW = {"simulation.duration_h": 12.0, "workload.peak_users": 1000}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=40)
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def test_workers_import_the_same_build(client):
    versions = client.run(lambda: __import__("capstan").__file__)
    assert len(versions) == 2
    assert set(versions.values()) == {capstan.__file__}


def test_distributed_sweep_equals_local(client, tiny):
    local = capstan.sweep(tiny, grid=GRID, replications=2)
    remote = capstan.sweep(tiny, grid=GRID, replications=2, client=client)
    pdt.assert_frame_equal(remote, local, check_exact=True)


def test_scenario_error_comes_back_pointed(client, tiny):
    # Validated locally before anything is sent.
    with pytest.raises(capstan.ScenarioError):
        capstan.sweep(tiny, grid={"workload.peak_users": [0]}, client=client)


def test_sweep_survives_a_dead_worker(client, tiny):
    local = capstan.sweep(tiny, grid=GRID, set=SLOW)
    pids = client.run(os.getpid)  # {worker address: pid}, worker processes this test's cluster started
    killed = {}

    def kill_a_busy_worker():
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not killed:
            for address, keys in client.processing().items():
                if address in pids and any(str(k).startswith("capstan-sweep-") for k in keys):
                    killed["pid"], killed["keys"] = pids[address], list(keys)
                    os.kill(pids[address], signal.SIGKILL)
                    return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    remote = capstan.sweep(tiny, grid=GRID, set=SLOW, client=client)
    killer.join()
    assert killed, "no worker was seen running a sweep task"
    pdt.assert_frame_equal(remote, local, check_exact=True)
    # The nanny brought up a replacement: two workers again, one of them new.
    client.wait_for_workers(2, timeout=120)
    assert killed["pid"] not in client.run(os.getpid).values()


def test_a_plan_on_dask_equals_a_local_plan(client):
    from conftest import DATA

    space = {"pools": {p: {"min_gpus": 1, "max_gpus": 4} for p in ("west-site/main", "east-site/main")},
             "deployments": {"small": {"gpus": ["a10g"]}}}
    local = capstan.plan(DATA / "two_sites.json", space=space, manifests=True)
    remote = capstan.plan(DATA / "two_sites.json", space=space, manifests=True, client=client)
    assert local.feasible and remote.feasible
    assert remote.plan_json == local.plan_json
    assert remote.summary == local.summary
    assert remote.manifests == local.manifests and len(local.manifests) == 2
    pdt.assert_frame_equal(remote.frontier, local.frontier)
    # The planned scenario reproduces the plan's cost.
    cost = capstan.run(local.scenario).summary["cost"]["per_user_hour_usd"]
    assert f"cost per user-hour {cost:.5f} USD" in local.table
    assert local.simulations == remote.simulations == len(local.frontier)


def test_a_run_on_dask_equals_a_local_run(client, tiny):
    local = capstan.run(tiny, replications=3, requests=True)
    seen = []
    remote = capstan.run(tiny, replications=3, requests=True, client=client,
                         progress=lambda done, total: seen.append((done, total)))
    assert remote.report_json == local.report_json
    assert remote.timeseries_csv == local.timeseries_csv
    assert remote.table == local.table
    pdt.assert_frame_equal(remote.requests, local.requests, check_exact=True)
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_replications_merge_only_into_their_own_run(tiny):
    from capstan import _core

    parts = [_core.run_replication(text=tiny.text, source=tiny.source, replications=2, replication=r) for r in range(2)]
    report, series, table, _ = _core.merge_replications(text=tiny.text, source=tiny.source, replications=2, parts=parts)
    assert (report, series, table) == _core.run(text=tiny.text, source=tiny.source, replications=2)[:3]
    with pytest.raises(RuntimeError, match="another run"):  # another seed
        _core.merge_replications(text=tiny.text, source=tiny.source, replications=2, seed=5, parts=parts)
    with pytest.raises(RuntimeError, match="out of order"):
        _core.merge_replications(text=tiny.text, source=tiny.source, replications=2, parts=parts[::-1])
    with pytest.raises(RuntimeError, match="truncated"):
        _core.merge_replications(text=tiny.text, source=tiny.source, replications=2, parts=[parts[0], parts[1][:-3]])
    with pytest.raises(RuntimeError, match="merging 1 replications"):
        _core.merge_replications(text=tiny.text, source=tiny.source, replications=2, parts=parts[:1])


def _cli(*args):
    import subprocess

    from conftest import cli_binary

    binary = cli_binary()
    if binary is None:
        pytest.skip("the capstan CLI was not built")
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=600)


def test_the_cli_runs_sweeps_and_plans_on_dask_as_locally(client, tiny_path, tmp_path):
    from conftest import DATA

    address = client.scheduler.address
    local, remote = tmp_path / "local", tmp_path / "remote"
    for out, extra in ((local, []), (remote, ["--dask", address])):
        run = _cli("run", tiny_path, "-o", str(out / "run"), "--no-html", "--replications", "3",
                   "--requests-csv", str(out / "requests.csv"), *extra)
        assert run.returncode == 0, run.stderr
        sweep = _cli("sweep", tiny_path, "-o", str(out / "sweep"), "--no-plots", "--replications", "2",
                     "--grid", "workload.peak_users=100,300", *extra)
        assert sweep.returncode == 0, sweep.stderr
        plan = _cli("plan", str(DATA / "two_sites.json"), "-o", str(out / "plan"), "--replications", "3", *extra)
        assert plan.returncode == 0, plan.stderr
    for name in ("run/report.json", "run/timeseries.csv", "requests.csv", "sweep/sweep.csv", "plan/plan.txt",
                 "plan/frontier.csv", "plan/plan.json"):
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name


def test_the_cli_refuses_before_sending_and_names_an_unreachable_scheduler(client, tiny_path, tmp_path):
    bad = _cli("run", tiny_path, "-o", str(tmp_path / "bad"), "--set", "workload.peak_users=-5",
               "--dask", client.scheduler.address)
    assert bad.returncode == 2 and "peak_users" in bad.stderr
    assert not (tmp_path / "bad").exists()
    # Nothing listens on port 9 (discard) on loopback: refused at once.
    gone = _cli("run", tiny_path, "-o", str(tmp_path / "gone"), "--no-html", "--dask", "tcp://127.0.0.1:9")
    assert gone.returncode == 1
    assert gone.stderr.count("\n") == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in gone.stderr
    assert not (tmp_path / "gone").exists()


def test_a_cli_run_on_dask_survives_a_dead_worker(client, tiny_path, tmp_path):
    import subprocess

    from conftest import cli_binary

    binary = cli_binary()
    if binary is None:
        pytest.skip("the capstan CLI was not built")
    slow = [f"--set={k}={v}" for k, v in SLOW.items()]
    local = _cli("run", tiny_path, "-o", str(tmp_path / "local"), "--no-html", "--replications", "4", *slow)
    assert local.returncode == 0, local.stderr
    client.wait_for_workers(2, timeout=120)
    pids = client.run(os.getpid)
    proc = subprocess.Popen([binary, "run", tiny_path, "-o", str(tmp_path / "remote"), "--no-html", "--replications",
                             "4", *slow, "--dask", client.scheduler.address], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        for address, keys in client.processing().items():
            if address in pids and any(str(k).startswith("capstan-replication-") for k in keys):
                killed = pids[address]
                os.kill(killed, signal.SIGKILL)
                break
        time.sleep(0.02)
    _, err = proc.communicate(timeout=600)
    assert killed is not None, "no worker was seen running a replication"
    assert proc.returncode == 0, err
    for name in ("report.json", "timeseries.csv"):
        assert (tmp_path / "remote" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    client.wait_for_workers(2, timeout=120)
