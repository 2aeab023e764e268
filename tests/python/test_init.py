"""capstan init writes a valid, commented starting scenario from flags or from questions on a terminal."""
import json
import os
import pty
import subprocess

import pytest

import capstan
from conftest import cli_binary

CLI = cli_binary()
pytestmark = pytest.mark.skipif(CLI is None, reason="the capstan CLI is not built beside the package")


def _init(*args, stdin=subprocess.DEVNULL):
    return subprocess.run([CLI, "init", *args], capture_output=True, text=True, stdin=stdin)


def _comments(node, found):
    if isinstance(node, dict):
        found.extend(v for k, v in node.items() if k == "$comment")
        for v in node.values():
            _comments(v, found)
    elif isinstance(node, list):
        for v in node:
            _comments(v, found)
    return found


def test_defaults_give_a_valid_commented_scenario_that_runs(tmp_path):
    path = tmp_path / "world.json"
    out = _init(str(path))
    assert out.returncode == 0, out.stderr
    assert f"wrote {path}" in out.stdout
    doc = json.loads(path.read_text())
    assert len(_comments(doc, [])) >= 6  # the file explains itself
    assert [c["name"] for c in doc["classes"]] == ["dialogue", "reactive", "content", "moderation"]
    assert [o["name"] for o in doc["workload"]["origins"]] == ["metro-us-east", "metro-london", "metro-tokyo"]
    assert sum(o["share"] for o in doc["workload"]["origins"]) == 1.0
    s = capstan.load(str(path))
    assert "$comment" not in s.to_dict()  # comments are not part of the scenario
    r = capstan.run(s, set={"simulation.duration_h": 0.25, "simulation.warmup_h": 0.05}, replications=1)
    assert (r.classes["completed"] > 0).all()


def test_flags_choose_metros_classes_gpu_and_users(tmp_path):
    path = tmp_path / "l4.json"
    out = _init(str(path), "--metros", "us-west,frankfurt", "--classes", "dialogue,content", "--gpu", "l4",
                "--users", "2500", "--name", "small_world")
    assert out.returncode == 0, out.stderr
    doc = capstan.load(str(path)).to_dict()
    assert doc["name"] == "small_world" and doc["workload"]["peak_users"] == 2500
    assert {d["gpu"] for d in doc["deployments"]} == {"l4"}
    # Each model on the fewest GPUs it fits: Llama-3-70B's 140 GB of weights need 8 of the L4's 24 GB.
    tp = {d["model"]: d["tensor_parallel"] for d in doc["deployments"]}
    assert tp == {"llama-3-8b": 1, "llama-3-70b": 8}
    regions = {s["name"]: s["region"] for s in doc["sites"]}
    assert regions == {"cloud-us-west": "us-west", "cloud-frankfurt": "eu-central"}
    assert all(p["gpus"] == 2 * tp[next(d["model"] for d in doc["deployments"] if d["name"] == p["deployment"])]
               for s in doc["sites"] for p in s["pools"])


@pytest.mark.parametrize("args, flag", [
    (["--gpu", "h10"], "--gpu"),
    (["--metros", "paris"], "--metros"),
    (["--metros", "london,london"], "--metros"),
    (["--classes", "chat"], "--classes"),
    (["--users", "0"], "--users"),
    (["--users", "lots"], "--users"),
])
def test_bad_choices_exit_2_naming_the_flag_and_write_nothing(tmp_path, args, flag):
    path = tmp_path / "bad.json"
    out = _init(str(path), *args)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith(f"capstan: {flag}: expected ") and out.stderr.count("\n") == 1
    assert not path.exists()


def test_an_existing_file_is_kept_unless_forced(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text("my own work")
    out = _init(str(path))
    assert out.returncode == 2 and "--force" in out.stderr
    assert path.read_text() == "my own work"
    assert _init(str(path), "--force").returncode == 0
    capstan.load(str(path))


def test_a_terminal_is_asked_what_no_flag_gave(tmp_path):
    path = tmp_path / "asked.json"
    leader, follower = pty.openpty()
    try:
        os.write(leader, b"london, tokyo\ndialogue\nl40s\n\n")  # metros, classes, GPU, users (the default)
        out = subprocess.run([CLI, "init", str(path)], stdin=follower, capture_output=True, text=True, timeout=60)
    finally:
        os.close(leader)
        os.close(follower)
    assert out.returncode == 0, out.stderr
    assert "metros" in out.stderr and "GPU kind" in out.stderr  # the questions go to stderr
    doc = capstan.load(str(path)).to_dict()
    assert [o["name"] for o in doc["workload"]["origins"]] == ["metro-london", "metro-tokyo"]
    assert [c["name"] for c in doc["classes"]] == ["dialogue"]
    assert doc["deployments"][0]["gpu"] == "l40s" and doc["workload"]["peak_users"] == 10000
