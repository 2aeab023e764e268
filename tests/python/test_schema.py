"""docs/scenario.schema.json: generated from the validator's own checks, current,
and in agreement with capstan validate wherever a schema can state the rule."""
import json
import os
import pathlib
import subprocess

import jsonschema
import pytest

from conftest import REPO, cli_binary

CLI = cli_binary()
DATA = REPO / "tests" / "data"
pytestmark = pytest.mark.skipif(CLI is None, reason="the capstan CLI is not built beside the Python package")
SCHEMA = json.loads((REPO / "docs" / "scenario.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
GOOD = [p for p in sorted((REPO / "scenarios").glob("*.json")) if not p.name.endswith(".baseline.json")]
GOOD += [DATA / "minimal.json", DATA / "schema" / "everything.json"]
# And every scenario the repository holds: the validation mirrors too.
GOOD += sorted((REPO / "validation" / "scenarios").glob("*.json"))
BAD = sorted((DATA / "bad").glob("*.json"))
# Bad fixtures whose fault lies across fields or outside the file, which a
# JSON Schema cannot state; capstan validate refuses them (test_cli.py).
BEYOND_A_SCHEMA = {
    "diurnal.json": "a curve of all zeros: each hour in range, the whole not",
    "duplicate_name.json": "two classes of one name",
    "model_too_large.json": "weights larger than the GPU's memory, from the catalog",
    "shares.json": "origin shares that do not sum to 1",
    "unknown_gpu.json": "a GPU the catalog does not have",
    "unknown_model.json": "a model the catalog does not have",
    "unreachable_origin.json": "an origin with no path to a site",
    "empty.json": "not JSON at all",
    "not_json.json": "not JSON at all",
}


def test_schema_is_current():
    build = pathlib.Path(os.environ.get("CAPSTAN_BUILD_DIR", REPO / "build"))
    proc = subprocess.run(["/usr/bin/python3", str(REPO / "scripts" / "scenario_schema.py"), "--build", str(build),
                           "--check"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_schema_is_draft_2020_12_and_describes_fields():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    sim = SCHEMA["properties"]["simulation"]["properties"]
    assert sim["duration_h"]["type"] == "number" and sim["duration_h"]["default"] == 1.0
    assert sim["duration_h"]["maximum"] == 8760 and "hours" in sim["duration_h"]["description"]
    assert set(SCHEMA["required"]) == {"name", "workload", "classes", "deployments"}
    slo = SCHEMA["properties"]["classes"]["items"]["properties"]["slo"]["properties"]
    assert slo["metric"]["enum"] == ["ttft", "tpot", "e2e"]
    kernels = SCHEMA["properties"]["catalog"]["properties"]["gpus"]["additionalProperties"]["properties"]["kernels"]
    assert kernels["properties"]["gemm"]["properties"]["flops_share"]["exclusiveMinimum"] == 0


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_every_good_scenario_is_valid_under_the_schema(path):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(json.loads(path.read_text()))]
    assert errors == []


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_schema_refuses_what_capstan_refuses_where_it_can_say_so(path):
    proc = subprocess.run([CLI, "validate", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    try:
        doc = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        assert path.name in BEYOND_A_SCHEMA
        return
    refused = any(True for _ in VALIDATOR.iter_errors(doc))
    assert refused == (path.name not in BEYOND_A_SCHEMA), BEYOND_A_SCHEMA.get(path.name, "the schema should refuse it")


def test_a_scenario_may_point_at_the_schema(tmp_path):
    doc = json.loads((DATA / "minimal.json").read_text())
    doc["$schema"] = "../docs/scenario.schema.json"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    assert subprocess.run([CLI, "validate", str(path)], capture_output=True, timeout=60).returncode == 0
    doc["$schema"] = 5
    path.write_text(json.dumps(doc))
    proc = subprocess.run([CLI, "validate", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "/$schema" in proc.stderr
    assert any(True for _ in VALIDATOR.iter_errors(doc))


def test_capstan_schema_on_the_scenarios_folder_describes_the_format_not_their_values(tmp_path):
    # The glob takes the baselines too: they are left out, with a note, and the schema the three scenarios
    # give accepts each of them (a classifier's class may leave output_tokens out).
    proc = subprocess.run([CLI, "schema", *map(str, sorted((REPO / "scenarios").glob("*.json")))],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "a regress baseline, not a scenario: left out" in proc.stderr
    validator = jsonschema.Draft202012Validator(json.loads(proc.stdout))
    for path in sorted((REPO / "scenarios").glob("*.json")):
        if path.name.endswith(".baseline.json"):
            continue
        assert not list(validator.iter_errors(json.loads(path.read_text()))), path.name
    # A bound one field sets on another is the validator's, not the schema's: training_sim's one hour
    # does not cap every scenario's warm-up below an hour.
    one = subprocess.run([CLI, "schema", str(REPO / "scenarios" / "training_sim.json")], capture_output=True,
                         text=True, timeout=300)
    longer = json.loads((REPO / "scenarios" / "training_sim.json").read_text())
    longer["simulation"].update(duration_h=3, warmup_h=2)
    assert not list(jsonschema.Draft202012Validator(json.loads(one.stdout)).iter_errors(longer))
