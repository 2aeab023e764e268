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
