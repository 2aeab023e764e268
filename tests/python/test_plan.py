"""`capstan plan`: against brute force over a small space, on fresh seeds, with an infeasible space, and its
outputs (plan.json that reproduces the plan, the frontier, Kubernetes manifests that parse)."""
import itertools
import json
import subprocess

import pytest
import yaml

import capstan
from conftest import DATA, cli_binary

CLI = cli_binary()
pytestmark = pytest.mark.skipif(CLI is None, reason="the capstan CLI is not built")
SCENARIO = DATA / "two_sites.json"
POOLS = ("west-site/main", "east-site/main")


def _plan(tmp_path, *args):
    out = tmp_path / "plan"
    proc = subprocess.run([CLI, "plan", str(SCENARIO), "-o", str(out), *map(str, args)], capture_output=True,
                          text=True, timeout=900)
    return proc, out


def _feasible(report):
    """The planner's rule: each class's SLO percentile interval under its threshold, drops within its allowance."""
    for c in report["classes"].values():
        slo = c["slo"]
        if slo["percentile_ms_ci95"][1] > slo["threshold_ms"]:
            return False
        if (c["dropped"] + c["lost"]) / c["requests"] > 1 - slo["percentile"] / 100:
            return False
    return True


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plan")
    space = tmp / "space.json"
    space.write_text(json.dumps({"pools": {p: {"min_gpus": 1, "max_gpus": 4} for p in POOLS}}))
    proc, out = _plan(tmp, "--space", space, "--k8s", tmp / "k8s")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, out, tmp / "k8s"


def test_the_plan_costs_no_more_than_the_brute_force_cheapest(planned):
    proc, out, _ = planned
    plan = json.loads((out / "plan.json").read_text())
    chosen = {f"{s['name']}/{p['name']}": p["gpus"] for s in plan["sites"] for p in s["pools"]}
    scenario = capstan.load(SCENARIO)
    best = None
    for west, east in itertools.product(range(1, 5), range(1, 5)):
        r = capstan.run(scenario, set={"sites.west-site.pools.main.gpus": west, "sites.east-site.pools.main.gpus": east},
                        replications=3, seed=3)
        if _feasible(r.summary):
            cost = r.summary["cost"]["per_user_hour_usd"]
            if best is None or cost < best[0]:
                best = (cost, r.summary["cost"]["per_user_hour_usd_ci95"], (west, east))
    assert best is not None
    ran = capstan.run(capstan.load(out / "plan.json"))
    planned_cost = ran.summary["cost"]["per_user_hour_usd"]
    half_width = (best[1][1] - best[1][0]) / 2
    assert planned_cost <= best[0] + half_width, (chosen, best)
    assert "simulations" in proc.stdout


def test_plan_json_reproduces_the_plan_and_holds_on_fresh_seeds(planned):
    proc, out, _ = planned
    text = (out / "plan.txt").read_text()
    run = subprocess.run([CLI, "run", str(out / "plan.json"), "-o", str(out / "rerun")], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    report = json.loads((out / "rerun" / "report.json").read_text())
    assert f"cost per user-hour {report['cost']['per_user_hour_usd']:.5f} USD" in text
    for seed in (101, 202, 303):  # seeds the search never saw
        r = capstan.run(capstan.load(out / "plan.json"), seed=seed)
        for name, c in r.summary["classes"].items():
            assert c["slo"]["percentile_ms"] <= c["slo"]["threshold_ms"], (seed, name)


def test_the_frontier_and_the_runners_up(planned):
    _, out, _ = planned
    lines = (out / "frontier.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["candidate", *POOLS]
    assert "feasible" in header and "frontier" in header and "dialogue.percentile_ms_ci95_high" in header
    rows = [dict(zip(header, line.split(","))) for line in lines[1:]]
    assert any(r["frontier"] == "1" for r in rows) and any(r["feasible"] == "0" for r in rows)
    text = (out / "plan.txt").read_text()
    assert "runners-up:" in text and ("misses dialogue's SLO percentile" in text or "costs +" in text)
    assert (out / "frontier.png").stat().st_size > 1000


def test_kubernetes_manifests_parse_and_carry_the_plan(planned, validate):
    _, out, k8s = planned
    plan = json.loads((out / "plan.json").read_text())
    files = sorted(k8s.glob("*.yaml"))
    assert [f.name for f in files] == ["east-site-main.yaml", "west-site-main.yaml"]
    proc = validate(*files)  # the official schemas (docs/clouds.md)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for f in files:
        docs = list(yaml.safe_load_all(f.read_text()))
        kinds = {d["kind"]: d for d in docs}
        # The test world's sites are generic (your own nodes, found by their labels): no node objects.
        assert set(kinds) == {"Deployment", "Service"}
        for d in docs:
            assert d["apiVersion"] and d["metadata"]["name"] == f.stem
        # The same plan with its sites on AWS: one L4 a replica, on AWS's cheapest L4 machine per replica.
        on_aws = capstan.manifests(out / "plan.json", set={"sites.west-site.cloud": "aws", "sites.east-site.cloud": "aws"})
        pool = next(d for d in yaml.safe_load_all(on_aws[f.name]) if d["kind"] == "NodePool")
        reqs = {r["key"]: r for r in pool["spec"]["template"]["spec"]["requirements"]}
        assert reqs["karpenter.sh/capacity-type"]["values"] == ["on-demand"]
        assert reqs["node.kubernetes.io/instance-type"]["values"] == ["g6.xlarge"]
        assert pool["spec"]["template"]["spec"]["nodeClassRef"]["name"]
        dep = kinds["Deployment"]
        assert dep["spec"]["selector"]["matchLabels"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()
        container = dep["spec"]["template"]["spec"]["containers"][0]
        args = container["args"]
        assert args[args.index("--model") + 1] == "meta-llama/Llama-3.2-1B-Instruct"
        assert args[args.index("--tensor-parallel-size") + 1] == "1"
        assert args[args.index("--max-model-len") + 1] == "4096"
        assert "--enable-prefix-caching" in args
        assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
        site = f.stem.rsplit("-main", 1)[0]
        gpus = next(p["gpus"] for s in plan["sites"] if s["name"] == site for p in s["pools"])
        assert dep["spec"]["replicas"] == gpus


def test_an_infeasible_space_gets_a_clear_answer_and_exit_1(tmp_path):
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"pools": {p: {"min_gpus": 1, "max_gpus": 1} for p in POOLS}}))
    proc, out = _plan(tmp_path, "--space", space)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "no plan in this space meets dialogue's SLO; the closest is" in proc.stdout
    assert not (out / "plan.json").exists() and (out / "frontier.csv").exists()


def test_a_bad_space_exits_2(tmp_path):
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"pools": {"west-site/mian": {"max_gpus": 2}}}))
    proc, _ = _plan(tmp_path, "--space", space)
    assert proc.returncode == 2
    assert f"{space}: /pools/west-site~1mian" in proc.stderr and 'did you mean "west-site/main"' in proc.stderr


def test_gpu_kinds_are_chosen_as_brute_force_would(tmp_path):
    kinds = ["l4", "l40s", "h100", "a10g"]
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"pools": {p: {"min_gpus": 1, "max_gpus": 4} for p in POOLS},
                                 "deployments": {"small": {"gpus": kinds[1:]}}}))
    proc, out = _plan(tmp_path, "--space", space)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "GPU kinds and capacities tried" in proc.stdout
    plan = json.loads((out / "plan.json").read_text())
    planned_gpu = plan["deployments"][0]["gpu"]
    assert all(p["gpu"] == planned_gpu for s in plan["sites"] for p in s["pools"])
    planned_cost = capstan.run(capstan.load(out / "plan.json")).summary["cost"]["per_user_hour_usd"]
    scenario = capstan.load(SCENARIO)
    best = None
    for gpu, west, east in itertools.product(kinds, range(1, 5), range(1, 5)):
        r = capstan.run(scenario, set={"deployments.small.gpu": gpu, "sites.west-site.pools.main.gpu": gpu,
                                       "sites.east-site.pools.main.gpu": gpu, "sites.west-site.pools.main.gpus": west,
                                       "sites.east-site.pools.main.gpus": east}, replications=3, seed=3)
        if _feasible(r.summary):
            cost = r.summary["cost"]["per_user_hour_usd"]
            if best is None or cost < best[0]:
                best = (cost, r.summary["cost"]["per_user_hour_usd_ci95"], gpu)
    half_width = (best[1][1] - best[1][0]) / 2
    assert planned_cost <= best[0] + half_width, (planned_gpu, best)
    # A GPU the model cannot fit at any degree up to 8 is left out, and an unknown one is an input error.
    space.write_text(json.dumps({"deployments": {"small": {"gpus": ["h10"]}}}))
    proc, _ = _plan(tmp_path, "--space", space)
    assert proc.returncode == 2 and 'did you mean "h100"' in proc.stderr


def test_serving_precisions_are_chosen_as_brute_force_would(tmp_path):
    fp8 = {"weights": "fp8", "activations": "fp8", "kv_cache": "fp8"}
    kinds = ["l4", "l40s", "a100-80gb"]
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"pools": {p: {"min_gpus": 1, "max_gpus": 4} for p in POOLS},
                                 "deployments": {"small": {"gpus": kinds[1:], "precisions": [fp8]}}}))
    proc, out = _plan(tmp_path, "--space", space, "--k8s", tmp_path / "k8s")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Every kind with and without FP8 is weighed, but FP8 on the A100 (no FP8 tensor cores) is left out.
    assert "small on l4 x1 in fp8" in proc.stdout and "small on l40s x1 in fp8" in proc.stdout
    assert "a100-80gb x1 in fp8" not in proc.stdout and "small on a100-80gb x1" in proc.stdout
    plan = json.loads((out / "plan.json").read_text())
    deployment = plan["deployments"][0]
    planned_cost = capstan.run(capstan.load(out / "plan.json")).summary["cost"]["per_user_hour_usd"]
    scenario = capstan.load(SCENARIO)
    best = None
    for gpu, precision, west, east in itertools.product(kinds, [None, fp8], range(1, 5), range(1, 5)):
        if gpu == "a100-80gb" and precision:
            continue
        overrides = {"deployments.small.gpu": gpu, "sites.west-site.pools.main.gpu": gpu,
                     "sites.east-site.pools.main.gpu": gpu, "sites.west-site.pools.main.gpus": west,
                     "sites.east-site.pools.main.gpus": east}
        if precision:
            overrides["deployments.small.precision"] = precision
        r = capstan.run(scenario, set=overrides, replications=3, seed=3)
        if _feasible(r.summary):
            cost = r.summary["cost"]["per_user_hour_usd"]
            if best is None or cost < best[0]:
                best = (cost, r.summary["cost"]["per_user_hour_usd_ci95"], gpu, precision)
    half_width = (best[1][1] - best[1][0]) / 2
    assert planned_cost <= best[0] + half_width, (deployment.get("gpu"), deployment.get("precision"), best)
    # The manifests serve what was planned.
    args = [a for f in (tmp_path / "k8s").glob("*.yaml") for d in yaml.safe_load_all(f.read_text())
            if d and d["kind"] == "Deployment" for a in d["spec"]["template"]["spec"]["containers"][0]["args"]]
    assert ("--kv-cache-dtype" in args) == (deployment.get("precision", {}).get("kv_cache") == "fp8")
    # A precision the deployment cannot take is an input error at its pointer.
    space.write_text(json.dumps({"deployments": {"small": {"precisions": [{"weights": "fp6"}]}}}))
    proc, _ = _plan(tmp_path, "--space", space)
    assert proc.returncode == 2 and "/deployments/small/precisions/0/weights" in proc.stderr


def test_the_manifests_serve_the_deployments_precision_and_expert_parallelism(tmp_path):
    # A mixture of experts in FP8 with expert parallelism: vLLM is told all three.
    doc = json.loads(SCENARIO.read_text())
    doc["deployments"][0].update({"model": "qwen3-30b-a3b", "gpu": "h100", "expert_parallel": True,
                                  "precision": {"weights": "fp8", "activations": "fp8", "kv_cache": "fp8"}})
    for site in doc["sites"]:
        for pool in site["pools"]:
            pool.update(gpu="h100", gpus=1)
    scenario, space = tmp_path / "moe.json", tmp_path / "space.json"
    scenario.write_text(json.dumps(doc))
    space.write_text(json.dumps({"pools": {p: {"min_gpus": 1, "max_gpus": 2} for p in POOLS}}))
    proc = subprocess.run([CLI, "plan", str(scenario), "--space", str(space), "-o", str(tmp_path / "plan"),
                           "--k8s", str(tmp_path / "k8s")], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for f in (tmp_path / "k8s").glob("*.yaml"):
        args = next(d for d in yaml.safe_load_all(f.read_text()) if d and d["kind"] == "Deployment")[
            "spec"]["template"]["spec"]["containers"][0]["args"]
        assert args[args.index("--quantization") + 1] == "fp8"
        assert args[args.index("--kv-cache-dtype") + 1] == "fp8"
        assert "--enable-expert-parallel" in args


def test_an_availability_target_buys_the_gpus_that_stop_the_drops(tmp_path):
    # A 50 ms queue limit: a small fleet meets the p95 (its drops within the 5% allowance) but drops requests.
    space = tmp_path / "space.json"
    plans = {}
    for availability in (0.9, 0.9999):
        space.write_text(json.dumps({"availability": availability}))
        proc, out = _plan(tmp_path, "--space", space, "--set", "simulation.max_queue_s=0.05")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        plan = capstan.load(out / "plan.json")
        report = capstan.run(plan).summary
        c = report["classes"]["dialogue"]
        completed = 1 - (c["dropped"] + c["lost"]) / c["requests"]
        assert completed >= availability
        plans[availability] = (completed, report["cost"]["per_user_hour_usd"])
    # The lax target is met by a fleet that drops more than the strict one allows, so the strict one costs more.
    assert plans[0.9][0] < 0.9999
    assert plans[0.9999][1] > plans[0.9][1]


def test_a_budget_below_the_cheapest_plan_gets_no_plan_and_exit_1(tmp_path):
    proc, out = _plan(tmp_path)
    assert proc.returncode == 0
    cost = capstan.run(capstan.load(out / "plan.json")).summary["cost"]["per_user_hour_usd_ci95"][1]
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"budget_usd_per_user_hour": cost * 0.9}))
    proc, out = _plan(tmp_path, "--space", space)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "no plan in this space meets every SLO within the budget" in proc.stdout
    assert not (out / "plan.json").exists()
    space.write_text(json.dumps({"budget_usd_per_user_hour": cost * 1.01}))
    proc, _ = _plan(tmp_path, "--space", space)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sites_and_capacities_are_chosen_as_brute_force_would(tmp_path):
    # West may be left out (east serves it over 60 ms) and may run on spot nodes that a Poisson process reclaims.
    spot = {"interruptions": {"model": "poisson", "per_node_hour": 0.2}, "replacement": {"delay_s": 120}}
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"pools": {
        "west-site/main": {"min_gpus": 0, "max_gpus": 4, "capacity": ["on_demand", "spot"], "spot": spot},
        "east-site/main": {"min_gpus": 0, "max_gpus": 4}}}))
    proc, out = _plan(tmp_path, "--space", space, "--k8s", tmp_path / "k8s")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "west-site/main as spot, fallback none:" in proc.stdout
    planned = capstan.run(capstan.load(out / "plan.json")).summary["cost"]["per_user_hour_usd"]
    scenario = capstan.load(SCENARIO)
    best = None
    for capacity, west, east in itertools.product(("on_demand", "spot"), range(0, 5), range(0, 5)):
        overrides = {"sites.west-site.pools.main.gpus": west, "sites.east-site.pools.main.gpus": east}
        if capacity == "spot":
            overrides.update({"sites.west-site.pools.main.capacity": "spot",
                              "sites.west-site.pools.main.interruptions": spot["interruptions"],
                              "sites.west-site.pools.main.replacement": spot["replacement"]})
        try:
            r = capstan.run(scenario, set=overrides, replications=3, seed=3)
        except capstan.ScenarioError:
            assert west == east == 0  # no GPUs anywhere for dialogue: refused at validation
            continue
        if _feasible(r.summary):
            cost = r.summary["cost"]["per_user_hour_usd"]
            if best is None or cost < best[0]:
                best = (cost, r.summary["cost"]["per_user_hour_usd_ci95"], (capacity, west, east))
    half_width = (best[1][1] - best[1][0]) / 2
    assert planned <= best[0] + half_width, best
    # The manifests follow the plan: spot nodes for a spot pool, none for a pool left out.
    plan = json.loads((out / "plan.json").read_text())
    pools = {s["name"]: s["pools"][0] for s in plan["sites"]}
    for site, pool in pools.items():
        f = tmp_path / "k8s" / f"{site}-main.yaml"
        assert f.exists() == (pool["gpus"] > 0)
        if f.exists():
            # The plan's sites on GCP, whose L4 machines (g2) have a public spot price.
            on_gcp = capstan.manifests(out / "plan.json", set={f"sites.{s}.cloud": "gcp" for s in pools})
            compute_class = next(d for d in yaml.safe_load_all(on_gcp[f.name]) if d["kind"] == "ComputeClass")
            spots = [p["spot"] for p in compute_class["spec"]["priorities"]]
            assert spots == ([True] if pool.get("capacity") == "spot" else [False])


def test_a_site_left_out_and_a_spot_fallback_reach_the_manifests(tmp_path):
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"pools": {
        "west-site/main": {"min_gpus": 0, "max_gpus": 0},
        "east-site/main": {"capacity": ["spot"], "fallback": ["on_demand"],
                           "spot": {"interruptions": {"model": "poisson", "per_node_hour": 0.01}}}}}))
    # The sites on GCP: each pool on GCP's cheapest L4 machine that fits, in a ComputeClass.
    proc, out = _plan(tmp_path, "--space", space, "--set", "sites.west-site.cloud=gcp", "--set",
                      "sites.east-site.cloud=gcp", "--k8s", tmp_path / "k8s")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(left out)" in proc.stdout and "chosen: east-site/main: spot, fallback on_demand" in proc.stdout
    plan = json.loads((out / "plan.json").read_text())
    east = next(s for s in plan["sites"] if s["name"] == "east-site")["pools"][0]
    assert east["capacity"] == "spot" and east["replacement"]["fallback"] == "on_demand"
    assert [f.name for f in (tmp_path / "k8s").glob("*.yaml")] == ["east-site-main.yaml"]
    compute_class = next(d for d in yaml.safe_load_all((tmp_path / "k8s" / "east-site-main.yaml").read_text())
                         if d["kind"] == "ComputeClass")
    # Spot first, on demand while spot is unobtainable, and back to spot when it returns.
    assert [p["spot"] for p in compute_class["spec"]["priorities"]] == [True, False]
    assert {p["machineType"] for p in compute_class["spec"]["priorities"]} == {"g2-standard-4"}
    assert compute_class["spec"]["activeMigration"]["optimizeRulePriority"] is True


@pytest.mark.parametrize("entry, pointer, expected", [
    ({"fallback": ["none"]}, "/pools/east-site~1main/fallback", "a fallback only for a pool that may be spot"),
    ({"capacity": ["spot"]}, "/pools/east-site~1main/capacity", "no spot pool in the scenario"),
    ({"capacity": ["spto"]}, "/pools/east-site~1main/capacity/0", 'did you mean "spot"'),
    ({"capacity": ["spot"], "spot": {"interruptions": {"model": "poisson", "per_node_hour": -1}}},
     "/pools/east-site~1main/spot", "a capacity the scenario accepts"),
])
def test_a_bad_capacity_choice_exits_2(tmp_path, entry, pointer, expected):
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"pools": {"east-site/main": entry}}))
    proc, _ = _plan(tmp_path, "--space", space)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{space}: {pointer}" in proc.stderr and expected in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1


def test_the_sequential_test_stops_hopeless_candidates_and_keeps_the_plan(tmp_path):
    # Eight replications per candidate: on one thread they run in rounds, with the sequential test after each;
    # on four threads all at once (no test). The plan is the same, and only candidates the full run rejects
    # stop early (docs/plan.md).
    space = {"pools": {p: {"min_gpus": 1, "max_gpus": 4} for p in POOLS}}
    staged = capstan.plan(SCENARIO, space=space, replications=8, threads=1)
    whole = capstan.plan(SCENARIO, space=space, replications=8, threads=4)
    assert staged.feasible and whole.feasible
    assert staged.plan_json == whole.plan_json and staged.summary == whole.summary
    stopped = staged.frontier[staged.frontier["replications"] < 8]
    assert len(stopped) > 0, staged.frontier
    assert set(whole.frontier["replications"]) == {8}
    full = whole.frontier.set_index([f"{p}" for p in POOLS])
    for _, row in stopped.iterrows():
        assert row["feasible"] == 0
        assert full.loc[tuple(row[p] for p in POOLS), "feasible"] == 0


def test_a_reserved_base_is_chosen_where_it_is_cheaper_and_billed_for_the_month(tmp_path):
    # Two AWS sites at fixed sizes; west may be on demand or reserved for one or three years. A fixed pool is used all
    # the time, so the three-year price, the lowest, must win, and its month is its nodes at that price every hour.
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"pools": {
        "west-site/main": {"fixed": True, "capacity": ["on_demand", "reserved_1y", "reserved_3y"]},
        "east-site/main": {"fixed": True}}}))
    proc, out = _plan(tmp_path, "--space", space, "--set", "sites.west-site.cloud=aws", "--set",
                      "sites.east-site.cloud=aws")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "chosen: west-site/main: reserved_3y" in proc.stdout
    assert "a month at the diurnal curve" in proc.stdout and "gpu_reserved_3y" in proc.stdout
    plan = json.loads((out / "plan.json").read_text())
    west = next(s for s in plan["sites"] if s["name"] == "west-site")["pools"][0]
    assert west["capacity"] == "reserved_3y"
    catalog = json.loads(subprocess.run([CLI, "catalog", "instances", "--format", "json"], capture_output=True,
                                        text=True, check=True).stdout)
    r = capstan.run(capstan.load(out / "plan.json")).summary
    assert r["pools"]["west-site/main"]["instance"] == "g6.xlarge"
    price = catalog["g6.xlarge"]["prices"]["us-west"]["reserved_3y"]
    nodes = west["gpus"]  # one L4 a g6.xlarge
    assert r["cost"]["monthly"]["breakdown_usd"]["gpu_reserved_3y"] == pytest.approx(nodes * price * 730, rel=1e-9)
    window_h = r["manifest"]["duration_h"] - r["manifest"]["warmup_h"]
    assert r["cost"]["breakdown_usd"]["gpu_reserved_3y"] == pytest.approx(nodes * price * window_h, rel=1e-9)
