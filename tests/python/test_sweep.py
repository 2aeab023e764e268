"""capstan.sweep run locally: one row per grid point, common random numbers, same figures as run()."""
import pandas.testing as pdt
import pytest

import capstan
from capstan.sweep import figures

GRID = {"workload.peak_users": [100, 300], "sites.cloud.pools.main.gpus": [1, 2]}


@pytest.fixture(scope="module")
def swept(tiny):
    return capstan.sweep(tiny, grid=GRID)


def test_one_row_per_point_in_product_order(swept):
    assert len(swept) == 4 and swept.index.name == "point"
    assert list(swept.columns[:2]) == list(GRID)
    assert swept[list(GRID)].values.tolist() == [[100, 1], [100, 2], [300, 1], [300, 2]]
    for column in ("cost.per_user_hour_usd", "cost.per_interaction_usd", "cost.per_million_tokens_usd",
                   "dialogue.ttft_p95_ms", "dialogue.e2e_p95_ms", "dialogue.slo_attainment",
                   "cloud.gpu_utilization", "tokens.input_per_user_hour"):
        assert column in swept.columns, column
    assert not any(c.endswith("_ci95_low") for c in swept.columns)  # one replication: no intervals


def test_common_random_numbers(swept, tiny):
    # Every point runs with the scenario's own seed ...
    assert (swept["seed"] == tiny.to_dict()["simulation"]["seed"]).all()
    # ... so the pool size, which the workload does not see, leaves the arrivals unchanged,
    for users, group in swept.groupby("workload.peak_users"):
        assert group["dialogue.requests"].nunique() == 1, users
    # while fewer GPUs are busier.
    for users, group in swept.groupby("workload.peak_users"):
        by_gpus = group.set_index("sites.cloud.pools.main.gpus")["cloud.gpu_utilization"]
        assert by_gpus[1] > by_gpus[2], users


def test_a_point_equals_a_run(swept, tiny):
    r = capstan.run(tiny, set={"workload.peak_users": 300, "sites.cloud.pools.main.gpus": 1})
    row = swept.iloc[2]
    for column, value in figures(r.summary).items():
        assert row[column] == value, column


def test_independent_seeds_on_request(tiny):
    df = capstan.sweep(tiny, grid={"workload.peak_users": [100, 100, 100]}, seed=40, crn=False)
    assert df["seed"].tolist() == [40, 41, 42]
    assert df["dialogue.requests"].nunique() > 1


def test_replicated_sweep_has_intervals(tiny):
    df = capstan.sweep(tiny, grid={"workload.peak_users": [100, 200]}, replications=2, seed=3)
    assert (df["seed"] == 3).all() and (df["replications"] == 2).all()
    for column in ("dialogue.ttft_p95_ms", "cost.per_user_hour_usd", "cloud.gpu_utilization"):
        assert (df[column + "_ci95_low"] <= df[column]).all() and (df[column] <= df[column + "_ci95_high"]).all()


def test_bad_grid_value_fails_before_running(tiny):
    with pytest.raises(capstan.ScenarioError) as info:
        capstan.sweep(tiny, grid={"workload.peak_users": [100, -3]})
    assert info.value.pointer == "/workload/peak_users"


@pytest.mark.parametrize("grid", [{}, {"workload.peak_users": []}, {"workload.peak_users": "100"}, None])
def test_malformed_grid(tiny, grid):
    with pytest.raises(ValueError):
        capstan.sweep(tiny, grid=grid)


def test_points_combined_with_a_grid(tiny):
    points = [{"sites.cloud.pools.main.gpus": 1}, {"sites.cloud.pools.main.gpus": 2, "workload.peak_users": 150}]
    df = capstan.sweep(tiny, points=points, grid={"simulation.interval_s": [60, 300]})
    assert list(df.columns[:3]) == ["sites.cloud.pools.main.gpus", "workload.peak_users", "simulation.interval_s"]
    assert df["sites.cloud.pools.main.gpus"].tolist() == [1, 1, 2, 2]
    assert df["simulation.interval_s"].tolist() == [60, 300, 60, 300]
    # A key a point leaves out keeps the scenario's value, shown as missing.
    assert df["workload.peak_users"].isna().tolist() == [True, True, False, False]
    # The time-series interval changes nothing in the figures.
    pdt.assert_series_equal(df.iloc[0, 3:], df.iloc[1, 3:], check_names=False)


# `capstan sweep` on the command line.
import shutil  # noqa: E402
import subprocess  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from conftest import DATA, cli_binary  # noqa: E402

CLI = cli_binary()
needs_cli = pytest.mark.skipif(CLI is None, reason="the capstan CLI is not built")


@needs_cli
def test_cli_sweep_gives_the_numbers_of_capstan_sweep(tmp_path, tiny):
    out = tmp_path / "sweep"
    proc = subprocess.run([CLI, "sweep", str(DATA / "tiny.json"), "--grid", "workload.peak_users=100,200,300",
                           "--grid", "sites.cloud.pools.main.gpus=1,2", "--replications", "2", "--seed", "5",
                           "-o", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    cli = pd.read_csv(out / "sweep.csv", index_col="point", float_precision="round_trip")
    py = capstan.sweep(tiny, grid={"workload.peak_users": [100, 200, 300], "sites.cloud.pools.main.gpus": [1, 2]},
                       replications=2, seed=5)
    assert list(cli.columns) == list(py.columns)
    assert len(cli) == len(py) == 6
    pd.testing.assert_frame_equal(cli, py, check_dtype=False, rtol=0, atol=0)
    # Common random numbers: every point ran with the seed given.
    assert (cli["seed"] == 5).all()
    for name in ("cost_per_user_hour", "slo_percentiles"):
        for ext in ("png", "svg"):
            assert (out / f"{name}.{ext}").stat().st_size > 1000


@needs_cli
def test_cli_sweep_without_the_python_package_says_so_and_writes_the_csv(tmp_path):
    # A copy of the executable has no build/python beside it to plot with.
    exe = tmp_path / "capstan"
    shutil.copy(CLI, exe)
    env = {"PATH": "/usr/bin:/bin", "CAPSTAN_PYTHON": "/bin/false"}
    proc = subprocess.run([str(exe), "sweep", str(DATA / "tiny.json"), "--grid", "workload.peak_users=100,200",
                           "-o", str(tmp_path / "out")], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "no plots" in proc.stderr and "sweep.csv is written" in proc.stderr
    assert (tmp_path / "out" / "sweep.csv").exists()
    assert not list((tmp_path / "out").glob("*.png"))


@needs_cli
def test_cli_sweep_checks_every_point_before_running(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([CLI, "sweep", str(DATA / "tiny.json"), "--grid", "workload.peak_users=100,-3",
                           "-o", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2
    assert "/workload/peak_users" in proc.stderr
    assert not out.exists()
    proc = subprocess.run([CLI, "sweep", str(DATA / "tiny.json"), "--grid", "workload.peak_users", "-o", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2 and "--grid key.path=value1,value2" in proc.stderr
