"""Kubernetes manifests against the upstream schemas: tests/k8s/validate.mjs checks each document with the npm
packages kubernetes-models, @kubernetes-models/karpenter, /keda and /gke (installed by scripts/setup.sh with
`npm ci --prefix tests/k8s`). Here, that it passes a known-good set and names the document it refuses."""
import pytest

# A known-good set in the style capstan plan --k8s writes: one document per kind it emits.
NODE_POOL = """\
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: west-site-main
  labels:
    app.kubernetes.io/name: "vllm"
    capstan.io/site: "west-site"
spec:
  template:
    metadata:
      labels:
        capstan.io/site: "west-site"
    spec:
      requirements:
        - key: "karpenter.sh/capacity-type"
          operator: "In"
          values: ["spot", "on-demand"]
        - key: "karpenter.k8s.aws/instance-gpu-count"
          operator: "In"
          values: ["1"]
      nodeClassRef:
        group: "karpenter.k8s.aws"
        kind: "EC2NodeClass"
        name: "default"
      taints:
        - key: "nvidia.com/gpu"
          value: "present"
          effect: "NoSchedule"
  limits:
    nvidia.com/gpu: "4"
  disruption:
    consolidationPolicy: "WhenEmpty"
    consolidateAfter: "300s"
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: west-site-main
  labels:
    app.kubernetes.io/name: "vllm"
spec:
  replicas: 2
  selector:
    matchLabels:
      capstan.io/site: "west-site"
  template:
    metadata:
      labels:
        capstan.io/site: "west-site"
    spec:
      nodeSelector:
        karpenter.sh/nodepool: "west-site-main"
      tolerations:
        - key: "nvidia.com/gpu"
          operator: "Exists"
          effect: "NoSchedule"
      containers:
        - name: "vllm"
          image: "vllm/vllm-openai:latest"
          args: ["--model", "Qwen/Qwen2.5-7B-Instruct", "--gpu-memory-utilization", "0.9"]
          ports:
            - name: "http"
              containerPort: 8000
          resources:
            requests:
              nvidia.com/gpu: 1
            limits:
              nvidia.com/gpu: 1
          readinessProbe:
            httpGet:
              path: "/health"
              port: 8000
            periodSeconds: 5
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: west-site-main
spec:
  selector:
    capstan.io/site: "west-site"
  ports:
    - name: "http"
      port: 80
      targetPort: "http"
"""

HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: west-site-main
spec:
  scaleTargetRef:
    apiVersion: "apps/v1"
    kind: "Deployment"
    name: "west-site-main"
  minReplicas: 1
  maxReplicas: 4
  metrics:
    - type: "Pods"
      pods:
        metric:
          name: "vllm_num_requests_waiting"
        target:
          type: "AverageValue"
          averageValue: "5"
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
"""

SCALED_OBJECT = """\
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: east-site-main
spec:
  scaleTargetRef:
    name: "east-site-main"
  minReplicaCount: 1
  maxReplicaCount: 4
  triggers:
    - type: "prometheus"
      metadata:
        serverAddress: "http://prometheus.monitoring:9090"
        query: "sum(vllm:num_requests_waiting{pod=~\\"east-site-main-.*\\"})"
        threshold: "5"
"""


def test_a_known_good_set_passes(tmp_path, validate):
    west = tmp_path / "west-site-main.yaml"
    west.write_text("---\n".join([NODE_POOL, DEPLOYMENT, SERVICE, HPA]))
    east = tmp_path / "east-site-main.yaml"
    east.write_text("---\n" + SCALED_OBJECT + "---\n")  # a leading and a trailing separator: no empty document
    proc = validate(west, east)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        f"ok {west}#1 karpenter.sh/v1 NodePool west-site-main",
        f"ok {west}#2 apps/v1 Deployment west-site-main",
        f"ok {west}#3 v1 Service west-site-main",
        f"ok {west}#4 autoscaling/v2 HorizontalPodAutoscaler west-site-main",
        f"ok {east}#1 keda.sh/v1alpha1 ScaledObject east-site-main",
    ]


@pytest.mark.parametrize("broken, error", [
    # A wrong type: the values of a requirement are a list.
    (NODE_POOL.replace('values: ["spot", "on-demand"]', 'values: "spot"'),
     "spec.template.spec.requirements[0].values must be array"),
    # A value outside the enum (Karpenter v1 has WhenEmpty and WhenEmptyOrUnderutilized).
    (NODE_POOL.replace('"WhenEmpty"', '"WhenIdle"'), "spec.disruption.consolidationPolicy must be equal to one of"),
    # A misspelt field, which the models' own validate() lets through and the API server refuses.
    (NODE_POOL.replace("  limits:\n", "  limit:\n"), "unknown field spec.limit"),
], ids=["wrong-type", "enum", "misspelt-field"])
def test_a_broken_node_pool_fails_and_is_named(tmp_path, validate, broken, error):
    f = tmp_path / "west-site-main.yaml"
    f.write_text("---\n".join([DEPLOYMENT, broken]))
    proc = validate(f)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"ok {f}#1 apps/v1 Deployment west-site-main"
    assert lines[1].startswith(f"FAIL {f}#2 karpenter.sh/v1 NodePool west-site-main: {error}"), lines[1]
    assert len(lines) == 2


# ---------------------------------------------------------------------------------------------------------------
# What capstan writes: consumer_world's fleet (the fleet capstan plan found, docs/scenarios/consumer_world.md), as
# `capstan plan --k8s` writes it for the plan.json it would reproduce, on each site's own cloud and on each cloud.

import json  # noqa: E402
import math  # noqa: E402
import subprocess  # noqa: E402

import yaml  # noqa: E402

from conftest import REPO, capstan, cli_binary  # noqa: E402

WORLD = REPO / "scenarios" / "consumer_world.json"


def _write(manifests, directory):
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in manifests.items():
        (directory / name).write_text(text)
    return sorted(directory.glob("*.yaml"))


def _docs(text):
    return {d["kind"]: d for d in yaml.safe_load_all(text) if d}


def _catalog_instances():
    out = subprocess.run([cli_binary(), "catalog", "instances", "--format", "json"], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def _pools(summary):
    return {key: pool for key, pool in summary["pools"].items()}


@pytest.mark.parametrize("cloud", ["", "aws", "gcp", "azure", "generic"])
def test_consumer_worlds_manifests_pass_the_official_schemas_on_every_cloud(tmp_path, validate, cloud):
    files = _write(capstan.manifests(WORLD, cloud=cloud), tmp_path / (cloud or "own"))
    assert len(files) == 13  # every pool with nodes
    proc = validate(*files)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    documents = sum(1 for f in files for d in yaml.safe_load_all(f.read_text()) if d)
    lines = proc.stdout.splitlines()
    assert len(lines) == documents and all(line.startswith("ok ") for line in lines), proc.stdout
    # Every pool's Deployment and Service; node objects for the four content pools of its two cloud sites, on the
    # clouds that have them (--cloud moves the sites on a cloud; the generic edge sites stay where they are).
    kinds = [line.split()[3] for line in lines]
    assert kinds.count("Deployment") == kinds.count("Service") == 13
    node_kind = {"": "NodePool", "aws": "NodePool", "azure": "NodePool", "gcp": "ComputeClass"}.get(cloud)
    assert kinds.count("NodePool") + kinds.count("ComputeClass") == (4 if node_kind else 0)
    if node_kind:
        assert kinds.count(node_kind) == 4


def test_the_node_objects_name_machines_that_exist_and_hold_what_was_simulated():
    world = capstan.load(WORLD)
    doc = world.to_dict()
    instances = _catalog_instances()
    by_api = {v.get("api_name", k): v for k, v in instances.items()}
    r = capstan.run(world, set={"simulation.duration_h": 0.05, "simulation.warmup_h": 0}, replications=1)
    for name, text in capstan.manifests(WORLD).items():
        kinds = _docs(text)
        site = next(s for s in doc["sites"] if name.startswith(s["name"] + "-"))
        pool = next(p for p in site["pools"] if name == f"{site['name']}-{p['name']}.yaml")
        simulated = r.summary["pools"][f"{site['name']}/{pool['name']}"]
        dep = kinds["Deployment"]["spec"]
        # One pod per simulated replica, each on the GPUs of its tensor-parallel degree.
        replicas = pool["gpus"] // simulated["gpus_per_node"] * simulated["replicas_per_node"]
        assert dep["replicas"] == replicas
        container = dep["template"]["spec"]["containers"][0]
        deployment = next(d for d in doc["deployments"] if d["name"] == pool["deployment"])
        assert container["resources"]["limits"]["nvidia.com/gpu"] == str(deployment.get("tensor_parallel", 1))
        assert {"name": "dshm", "mountPath": "/dev/shm"} in container["volumeMounts"]
        assert container["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "hf-token"
        assert container["startupProbe"]["httpGet"]["path"] == "/health"
        assert "--task" not in container["args"]  # deprecated in vLLM 0.10; the classifier runs as a pooling model
        if deployment["model"] == "toxic-bert":
            args = container["args"]
            assert args[args.index("--runner") + 1] == "pooling" and args[args.index("--convert") + 1] == "classify"
        grace = dep["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace >= pool.get("notice_s", 0)  # a spot pool's notice fits in it
        assert kinds["Service"]["spec"]["selector"] == dep["selector"]["matchLabels"]
        if site.get("cloud", "generic") == "generic":
            assert "NodePool" not in kinds and dep["template"]["spec"]["nodeSelector"]["capstan.io/pool"]
            continue
        node_pool = kinds["NodePool"]["spec"]
        reqs = {q["key"]: q["values"] for q in node_pool["template"]["spec"]["requirements"]}
        [instance] = reqs["node.kubernetes.io/instance-type"]
        assert instance == simulated["instance"] and instance in by_api
        assert by_api[instance]["gpus"] == simulated["gpus_per_node"]
        # The GPU limit is the simulated node slots: twice the largest size for a spot pool (replacements beside
        # draining nodes), the largest size otherwise.
        slots = pool["gpus"] // simulated["gpus_per_node"] * (2 if pool.get("capacity") == "spot" else 1)
        assert node_pool["limits"]["nvidia.com/gpu"] == str(slots * simulated["gpus_per_node"])
        spot = pool.get("capacity") == "spot"
        fallback = pool.get("replacement", {}).get("fallback") == "on_demand"
        assert reqs["karpenter.sh/capacity-type"] == (["spot", "on-demand"] if spot and fallback else
                                                     ["spot"] if spot else ["on-demand"])
        assert node_pool["template"]["spec"]["terminationGracePeriod"] == f"{grace}s"


def test_autoscalers_are_keda_objects_on_the_series_vllm_exports():
    doc = capstan.load(WORLD).to_dict()
    manifests = capstan.manifests(WORLD)
    metrics = {"queue_per_replica": "vllm:num_requests_waiting", "batch_occupancy": "vllm:num_requests_running",
               "kv_occupancy": "vllm:kv_cache_usage_perc", "gpu_busy": "DCGM_FI_DEV_GPU_UTIL"}
    seen = 0
    for site in doc["sites"]:
        for pool in site["pools"]:
            kinds = _docs(manifests[f"{site['name']}-{pool['name']}.yaml"])
            if "autoscale" not in pool:
                assert "ScaledObject" not in kinds
                continue
            seen += 1
            spec = kinds["ScaledObject"]["spec"]
            a = pool["autoscale"]
            deployment = next(d for d in doc["deployments"] if d["name"] == pool["deployment"])
            tp = deployment.get("tensor_parallel", 1)
            assert spec["minReplicaCount"] == a["min_gpus"] // tp and spec["maxReplicaCount"] == a["max_gpus"] // tp
            [trigger] = spec["triggers"]
            assert trigger["type"] == "prometheus" and metrics[a["metric"]] in trigger["metadata"]["query"]
            target = a["target"] * (deployment["max_running_seqs"] if a["metric"] == "batch_occupancy" else 1)
            assert math.isclose(float(trigger["metadata"]["threshold"]), target, rel_tol=1e-6)
            behavior = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
            assert behavior["scaleDown"]["stabilizationWindowSeconds"] == a.get("scale_down_delay_s", 300)
    assert seen == 3


def test_an_hourly_schedule_becomes_cron_windows_in_utc():
    # Two GPUs from 08:00 to 18:00 local (UTC-5), one otherwise: one cron window, 13:00 to 23:00 UTC.
    schedule = [1] * 8 + [2] * 10 + [1] * 6
    world = capstan.load(WORLD, set={"sites.edge-ashburn.pools.moderation.autoscale":
                                     {"schedule": schedule, "utc_offset_h": -5}})
    kinds = _docs(capstan.manifests(world)["edge-ashburn-moderation.yaml"])
    spec = kinds["ScaledObject"]["spec"]
    assert spec["minReplicaCount"] == 1 and spec["maxReplicaCount"] == 2
    assert spec["triggers"] == [{"type": "cron", "metadata": {"timezone": "Etc/UTC", "start": "0 13 * * *",
                                                              "end": "0 23 * * *", "desiredReplicas": "2"}}]


def test_another_cloud_runs_the_same_replicas_on_its_own_machines():
    instances = _catalog_instances()
    for cloud, kind in (("gcp", "ComputeClass"), ("azure", "NodePool"), ("aws", "NodePool")):
        own = capstan.manifests(WORLD)
        for name, text in capstan.manifests(WORLD, cloud=cloud).items():
            kinds = _docs(text)
            assert kinds["Deployment"]["spec"]["replicas"] == _docs(own[name])["Deployment"]["spec"]["replicas"]
            if name.startswith("edge-"):  # the generic edge sites stay on their own nodes
                assert kinds.keys() == _docs(own[name]).keys() and kind not in kinds
                continue
            node = kinds[kind]["spec"]
            if kind == "ComputeClass":
                machine = node["priorities"][0]["machineType"]
                assert node["priorities"][0]["gpu"]["count"] == instances[machine]["gpus"]
            else:
                reqs = {q["key"]: q["values"] for q in node["template"]["spec"]["requirements"]}
                key = "karpenter.azure.com/sku-name" if cloud == "azure" else "node.kubernetes.io/instance-type"
                [machine] = reqs[key]
            entry = instances[machine.lower()]
            assert entry["cloud"] == cloud


def test_a_cloud_that_sells_no_machine_for_a_pool_is_refused_before_any_simulation(tmp_path):
    # Two AWS sites on A10Gs (AWS's g5): GCP rents no A10G.
    scenario = REPO / "tests" / "python" / "data" / "two_sites.json"
    on_aws = ["--set", "sites.west-site.cloud=aws", "--set", "sites.east-site.cloud=aws", "--set",
              "deployments.small.gpu=a10g"]
    proc = subprocess.run([cli_binary(), "plan", str(scenario), *on_aws, "-o", str(tmp_path / "plan"), "--k8s",
                           str(tmp_path / "k8s"), "--cloud", "gcp"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--cloud: expected a cloud that sells the plan's machines, found gcp (no instance of it carries 1x a10g" \
        in proc.stderr
    assert not (tmp_path / "plan").exists() and not (tmp_path / "k8s").exists()
    proc = subprocess.run([cli_binary(), "plan", str(scenario), "--cloud", "gcp", "-o", str(tmp_path / "plan")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--cloud: expected --k8s DIR beside it" in proc.stderr
    with pytest.raises(capstan.ScenarioError, match="no instance of it carries 1x a10g"):
        capstan.manifests(scenario, set=[s for s in on_aws if s != "--set"], cloud="gcp")


def test_plan_writes_its_manifests_for_the_cloud_it_is_asked(tmp_path, validate):
    # Two AWS sites, their fleet fixed (one candidate to run), written for GCP with --cloud.
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"pools": {"west-site/main": {"fixed": True}, "east-site/main": {"fixed": True}}}))
    scenario = REPO / "tests" / "python" / "data" / "two_sites.json"
    proc = subprocess.run([cli_binary(), "plan", str(scenario), "--space", str(space), "--set", "sites.west-site.cloud=aws",
                           "--set", "sites.east-site.cloud=aws", "-o", str(tmp_path / "plan"), "--k8s",
                           str(tmp_path / "k8s"), "--cloud", "gcp"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = sorted((tmp_path / "k8s").glob("*.yaml"))
    assert [f.name for f in files] == ["east-site-main.yaml", "west-site-main.yaml"]
    assert validate(*files).returncode == 0
    for f in files:
        kinds = _docs(f.read_text())
        assert set(kinds) == {"ComputeClass", "Deployment", "Service"}
        [priority] = kinds["ComputeClass"]["spec"]["priorities"]
        assert priority == {"machineType": "g2-standard-4", "spot": False, "gpu": {"type": "nvidia-l4", "count": 1}}
        assert kinds["Deployment"]["spec"]["template"]["spec"]["nodeSelector"] == {
            "cloud.google.com/compute-class": f.stem}
    # The plan itself stays on AWS: its instances are AWS's.
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text())
    assert {s["cloud"] for s in plan["sites"]} == {"aws"}


def test_the_documented_pod_and_node_details_and_the_reports_prices(tmp_path):
    # docs/clouds.md: the engine version's image, a 5 s preStop pause before the grace, each replica's share of nine
    # tenths of its machine's CPUs and memory, empty nodes consolidated after the scale-down window, and a startup
    # window of at least twice the engine's start; the report prices each pool's node and the fleet by basis.
    world = capstan.load(WORLD)
    doc = world.to_dict()
    instances = _catalog_instances()
    r = capstan.run(world, set={"simulation.duration_h": 0.05, "simulation.warmup_h": 0}, replications=1).summary
    manifests = capstan.manifests(WORLD)
    for site in doc["sites"]:
        for pool in site["pools"]:
            kinds = _docs(manifests[f"{site['name']}-{pool['name']}.yaml"])
            spec = kinds["Deployment"]["spec"]["template"]["spec"]
            container = spec["containers"][0]
            deployment = next(d for d in doc["deployments"] if d["name"] == pool["deployment"])
            assert container["image"] == f"vllm/vllm-openai:v{deployment['engine']['version']}"
            assert container["lifecycle"]["preStop"] == {"sleep": {"seconds": 5}}
            start = container["startupProbe"]
            assert start["periodSeconds"] * start["failureThreshold"] >= 2 * pool["cold_start"]["engine_start_s"]
            simulated = r["pools"][f"{site['name']}/{pool['name']}"]
            if site["cloud"] == "generic":
                assert simulated["instance"] is None and "cpu" not in container["resources"]["requests"]
                continue
            machine = instances[simulated["instance"].lower()]
            price = machine["prices"][site["region"]][pool.get("capacity", "on_demand")]
            assert simulated["usd_per_node_hour"] == pytest.approx(price, rel=1e-12)
            assert simulated["instance_note"].startswith(f"named {simulated['instance']} ")
            per_node = simulated["replicas_per_node"]
            assert container["resources"]["requests"]["cpu"] == str(int(0.9 * machine["vcpus"] / per_node))
            assert container["resources"]["requests"]["memory"] == f"{int(0.9 * machine['memory_gib'] / per_node)}Gi"
            assert kinds["NodePool"]["spec"]["disruption"] == {"consolidationPolicy": "WhenEmpty",
                                                               "consolidateAfter": "300s"}
    # The fleet at the start, by basis: the content pools' instances at their prices, the edge's bare GPUs per GPU.
    fleet = r["fleet"]
    assert fleet["reserved_1y_usd_per_hour"] == fleet["reserved_3y_usd_per_hour"] == fleet["owned_usd_per_hour"] == 0
    spot = sum(p["usd_per_node_hour"] * (p["gpus"] // p["gpus_per_node"])
               for s in doc["sites"] for p in [dict(q, **r["pools"][f"{s['name']}/{q['name']}"]) for q in s["pools"]]
               if p.get("capacity") == "spot")
    assert fleet["spot_usd_per_hour"] == pytest.approx(spot, rel=1e-12)
