"""`capstan regress`: baselines made and checked through the command line, deliberate changes caught, and noise
not flagged more often than the level allows."""
import json
import math
import shutil
import subprocess

import pytest

from conftest import DATA, REPO, cli_binary

CLI = cli_binary()
pytestmark = pytest.mark.skipif(CLI is None, reason="the capstan CLI is not built")


def _regress(*args, cwd=None):
    return subprocess.run([CLI, "regress", *map(str, args)], capture_output=True, text=True, timeout=600, cwd=cwd)


@pytest.fixture
def baseline(tmp_path):
    """A baseline of the tiny scenario with 6 replications, made with --update."""
    shutil.copy(DATA / "tiny.json", tmp_path / "tiny.json")
    path = tmp_path / "tiny.baseline.json"
    path.write_text(json.dumps({"scenario": "tiny.json", "replications": 6}))
    made = _regress(path, "--update")
    assert made.returncode == 0, made.stderr
    return path


def _verdicts(proc):
    (result,) = json.loads(proc.stdout)
    return result, {row["figure"]: row["verdict"] for row in result["figures"]}


def test_a_fresh_baseline_holds_and_records_its_manifest(baseline):
    doc = json.loads(baseline.read_text())
    assert doc["manifest"]["scenario_sha256"] and doc["manifest"]["capstan_version"]
    assert doc["seed"] == 7 and doc["replications"] == 6
    figures = doc["figures"]
    assert "/cost/per_user_hour_usd" in figures and "/classes/dialogue/slo/attainment" in figures
    assert all(len(f["replications"]) == 6 for f in figures.values())
    proc = _regress(baseline, "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result, verdicts = _verdicts(proc)
    assert result["cause"] == "none" and result["test"] == "paired t"
    assert set(verdicts.values()) == {"ok"}


def test_a_five_percent_gpu_price_rise_is_caught_as_a_scenario_edit(baseline):
    # The tiny scenario's L4s are in us-east: that region's catalog price, +5%.
    gpus = json.loads(subprocess.run([CLI, "catalog", "gpus", "--format", "json"], capture_output=True, text=True,
                                     check=True).stdout)
    price = dict(gpus["l4"]["price_by_region"]["us-east"])
    price["on_demand_usd_per_hour"] *= 1.05
    proc = _regress(baseline, "--format", "json", "--set",
                    f"catalog.gpus.l4.price_by_region.us-east={json.dumps(price)}")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    result, verdicts = _verdicts(proc)
    assert result["cause"] == "scenario"
    assert verdicts["/cost/breakdown_usd/gpu_on_demand"] == "drift"
    assert verdicts["/cost/total_usd"] == "drift"
    row = next(r for r in result["figures"] if r["figure"] == "/cost/breakdown_usd/gpu_on_demand")
    assert row["change"] == pytest.approx(0.05, rel=1e-9)
    # Latencies did not move: the price is not in the simulation.
    assert verdicts["/classes/dialogue/latency_ms/ttft/p95"] == "ok"


def test_ten_percent_slower_service_is_caught(baseline):
    slower = []
    for field, value in (("hbm_tb_per_s", 0.3), ("bf16_tflops", 121)):  # the L4's datasheet figures
        slower += ["--set", f"catalog.gpus.l4.{field}={value * 0.9}"]
    proc = _regress(baseline, "--format", "markdown", *slower)
    assert proc.returncode == 1
    assert "| `/classes/dialogue/latency_ms/tpot/p50` |" in proc.stdout
    assert "**drift**" in proc.stdout
    assert proc.stdout.startswith("### capstan forecast check: drift")


def test_noise_is_flagged_no_more_often_than_the_level(baseline):
    """With every tolerance at 0, only the statistics decide: re-runs with other seeds (pure noise) must be
    flagged in at most a share `level` of baselines (Holm's correction holds it family-wise). 60 seeds at level
    0.05: 3 expected at the level, and more than 9 has probability below 0.3% under Binomial(60, 0.05)."""
    doc = json.loads(baseline.read_text())
    doc["tolerance"] = {"cost": 0, "latency": 0, "attainment": 0}
    doc["level"] = 0.05
    baseline.write_text(json.dumps(doc))
    runs = [_regress(baseline, "--seed", 1000 + k, "--format", "json") for k in range(60)]
    assert all(r.returncode in (0, 1) for r in runs)
    flagged = sum(r.returncode == 1 for r in runs)
    tail = sum(math.comb(60, k) * 0.05 ** k * 0.95 ** (60 - k) for k in range(10, 61))
    assert tail < 0.003
    assert flagged <= 9
    # Not vacuous: each figure's own p-value is uniform under noise, as a calibrated test's must be. For the
    # cost per user-hour, the mean of 60 uniform p-values lies within 0.5 +- 3 x 0.289 / sqrt(60) but for
    # 0.3% of sets of seeds, and p < 0.05 comes up about 3 times (more than 9 is below 0.3% again).
    p = [next(row["p_value"] for row in json.loads(r.stdout)[0]["figures"] if row["figure"] == "/cost/per_user_hour_usd")
         for r in runs]
    assert abs(sum(p) / len(p) - 0.5) <= 3 * 0.2887 / math.sqrt(60)
    assert sum(x < 0.05 for x in p) <= 9


def test_bad_baselines_exit_2_with_file_and_pointer(tmp_path, baseline):
    bad = tmp_path / "bad.baseline.json"
    bad.write_text(json.dumps({"scenario": "tiny.json", "level": 2}))
    proc = _regress(bad)
    assert proc.returncode == 2
    assert f"{bad}: /level: expected" in proc.stderr
    bad.write_text(json.dumps({"scenario": "tiny.json"}))
    proc = _regress(bad)
    assert proc.returncode == 2 and "capstan regress --update" in proc.stderr
    bad.write_text(json.dumps({"scenario": "missing.json", "figures": {}}))
    proc = _regress(bad, "--update")
    assert proc.returncode == 2 and "missing.json" in proc.stderr
    proc = _regress(baseline, "--set", "classes.dialog.priority=1")
    assert proc.returncode == 2


def test_regress_finds_the_baselines_under_scenarios(tmp_path):
    (tmp_path / "scenarios").mkdir()
    shutil.copy(DATA / "tiny.json", tmp_path / "scenarios" / "tiny.json")
    (tmp_path / "scenarios" / "tiny.baseline.json").write_text(json.dumps({"scenario": "tiny.json"}))
    assert _regress("--update", cwd=tmp_path).returncode == 0
    proc = _regress(cwd=tmp_path)
    assert proc.returncode == 0 and "tiny (scenarios/tiny.baseline.json): no drift" in proc.stdout
    assert _regress(cwd=REPO / "docs").returncode == 2  # no scenarios/ there


def test_the_python_check_gives_the_command_line_verdicts(baseline):
    import capstan

    df = capstan.regress(baseline)
    assert not df.attrs["drifted"] and set(df["verdict"]) == {"ok"}
    assert (df["test"] == "paired t").all()
    gpus = json.loads(subprocess.run([CLI, "catalog", "gpus", "--format", "json"], capture_output=True, text=True,
                                     check=True).stdout)
    price = dict(gpus["l4"]["price_by_region"]["us-east"], on_demand_usd_per_hour=1.0)
    df = capstan.regress([baseline], set={"catalog.gpus.l4.price_by_region.us-east": price})
    assert df.attrs["drifted"]
    row = df.set_index("figure").loc["/cost/breakdown_usd/gpu_on_demand"]
    assert row["verdict"] == "drift" and row["cause"] == "scenario"
    cli = json.loads(_regress(baseline, "--format", "json", "--set",
                              f"catalog.gpus.l4.price_by_region.us-east={json.dumps(price)}").stdout)
    assert dict(zip(df["figure"], df["verdict"])) == {r["figure"]: r["verdict"] for r in cli[0]["figures"]}
    with pytest.raises(capstan.ScenarioError) as bad:
        capstan.regress(baseline.parent / "nowhere.baseline.json")
    assert bad.value.found == "no such file"


def test_markdown_leads_with_the_monthly_change_and_folds_what_did_not_drift(baseline):
    # The same 5% L4 price rise, as the pull-request comment a reviewer reads: the month's dollars first, then only
    # the figures that drifted; the others folded under <details>.
    gpus = json.loads(subprocess.run([CLI, "catalog", "gpus", "--format", "json"], capture_output=True, text=True,
                                     check=True).stdout)
    price = dict(gpus["l4"]["price_by_region"]["us-east"])
    price["on_demand_usd_per_hour"] *= 1.05
    rise = ["--set", f"catalog.gpus.l4.price_by_region.us-east={json.dumps(price)}"]
    result, verdicts = _verdicts(_regress(baseline, "--format", "json", *rise))
    month = next(r for r in result["figures"] if r["figure"] == "/cost/monthly/total_usd")
    assert verdicts["/cost/monthly/total_usd"] == "drift" and month["now"] > month["baseline"]
    proc = _regress(baseline, "--format", "markdown", *rise)
    assert proc.returncode == 1
    text = proc.stdout
    lines = text.splitlines()
    assert lines[0] == "### capstan forecast check: drift"
    delta = month["now"] - month["baseline"]
    assert lines[2].startswith(f"**{result['scenario']}**: +${delta:,.0f} a month (${month['baseline']:,.0f} to "
                               f"${month['now']:,.0f}, +"), lines[2]
    head, folded = text.split("<details>")
    drifted = [f for f, v in verdicts.items() if v == "drift"]
    assert drifted and all(f"| `{f}` |" in head for f in drifted)
    assert all(f"| `{f}` |" in folded and f"| `{f}` |" not in head for f, v in verdicts.items() if v != "drift")
    assert f"{len(verdicts) - len(drifted)} other figures, none drifted" in folded
