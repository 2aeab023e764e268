#!/usr/bin/env python3
"""Writes docs/scenario.schema.json, the JSON Schema (draft 2020-12) of scenario files.

    /usr/bin/python3 scripts/scenario_schema.py [--build build] [--check]

The types, ranges, defaults, choices and required fields come from the
validator itself: `capstan schema` records every check it makes while it
validates the reference scenarios and tests/data/schema/everything.json
(which reaches every branch of the format), the latter once per kind of
distribution at every field that takes one. The descriptions and units come
from the field tables of docs/scenario.md. --check compares with the file
instead of writing it (exit 1 when they differ).
"""
import argparse
import copy
import json
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "scenario.schema.json"
EVERYTHING = ROOT / "tests" / "data" / "schema" / "everything.json"
DISTRIBUTIONS = [
    {"dist": "constant", "value": 30},
    {"dist": "exponential", "mean": 30, "min_value": 1, "max_value": 300},
    {"dist": "uniform", "min": 10, "max": 50},
    {"dist": "lognormal", "mean": 30, "cv": 0.5},
    {"dist": "weibull", "shape": 1.5, "scale": 30},
]

# Where each heading's tables of docs/scenario.md sit in a scenario; the
# catalog section's four tables are its GPU entries, their kernel figures,
# its model entries and its engine entries.
SECTIONS = {
    "Top level": [""], "simulation": ["/simulation"], "workload": ["/workload"],
    "origins[]": ["/workload/origins/*"], "classes": ["/classes/*"], "review": ["/classes/*/review"],
    "trace": ["/classes/*/trace"], "response_cache": ["/classes/*/response_cache"],
    "deployments": ["/deployments/*", "/deployments/*"], "sites": ["/sites/*"], "pools[]": ["/sites/*/pools/*"],
    "interruptions": ["/sites/*/pools/*/interruptions"], "replacement": ["/sites/*/pools/*/replacement"],
    "cold_start": ["/sites/*/pools/*/cold_start"], "autoscale": ["/sites/*/pools/*/autoscale"],
    "network": ["/network"], "routing": ["/routing"], "cost": ["/cost"],
    "catalog": ["/catalog/gpus/{}", "/catalog/gpus/{}/kernels", "/catalog/models/{}", "/catalog/engines/{}"],
    "instances": ["/catalog/instances/{}"],
}


def variants(tmp: pathlib.Path) -> list[str]:
    """everything.json once per distribution kind at each field that takes a distribution."""
    base = json.loads(EVERYTHING.read_text())
    for name in ("trace.csv", "availability.json", "tiny_config.json"):
        (tmp / name).write_text((EVERYTHING.parent / name).read_text())
    paths = []
    for i, dist in enumerate(DISTRIBUTIONS):
        doc = copy.deepcopy(base)
        doc["workload"]["session"]["duration_min"] = dist
        for c in doc["classes"]:
            if "prompt_tokens" in c:
                c["prompt_tokens"] = dist
                c["output_tokens"] = dist
        hosted = next(d for d in doc["deployments"] if "hosted" in d)["hosted"]
        hosted["ttft_ms"] = dist
        hosted["tpot_ms"] = dict(dist)
        for site in doc["sites"]:
            for pool in site.get("pools", []):
                if "replacement" in pool:
                    pool["replacement"]["delay_s"] = dist
        path = tmp / f"variant_{i}.json"
        path.write_text(json.dumps(doc))
        paths.append(str(path))
    return paths


def recorded(build: pathlib.Path) -> dict:
    scenarios = [str(p) for p in sorted((ROOT / "scenarios").glob("*.json")) if not p.name.endswith(".baseline.json")]
    scenarios += [str(ROOT / "tests" / "data" / "minimal.json"), str(EVERYTHING)]
    with tempfile.TemporaryDirectory() as tmp:
        scenarios += variants(pathlib.Path(tmp))
        out = subprocess.run([str(build / "capstan"), "schema", *scenarios], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"capstan schema failed: {out.stderr}")
    return json.loads(out.stdout)


def doc_fields() -> dict[str, tuple[str, str]]:
    """{folded pointer: (unit, meaning)} from the field tables of docs/scenario.md."""
    text = (ROOT / "docs" / "scenario.md").read_text().splitlines()
    fields, heading, table_index, header = {}, None, {}, None
    for line in text:
        m = re.match(r"^#{2,4} (.*)$", line)
        if m:
            heading = m.group(1).split(" (")[0].strip("` ")
            header = None
            continue
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            if cells and cells[0] == "field":
                header = cells
                bases = SECTIONS.get(heading)
                table_index[heading] = table_index.get(heading, -1) + 1
            continue
        if set(line) <= set("|-: ") or not bases or table_index[heading] >= len(bases):
            continue
        base = bases[table_index[heading]]
        unit = cells[header.index("unit")] if "unit" in header else ""
        meaning = cells[-1]
        previous = None
        for name in re.findall(r"`([^`]+)`", cells[0]):
            if name.startswith(".") and previous is not None:
                name = previous.rsplit(".", 1)[0] + name
            previous = name
            pointer = base + "/" + name.replace("[].", "/*/").replace(".", "/")
            fields[pointer] = (unit, meaning)
    return fields


def plain(text: str) -> str:
    """Markdown to plain text: links to their words, code marks dropped."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return text.replace("`", "")


def describe(node: dict, pointer: str, fields: dict) -> None:
    if pointer in fields:
        unit, meaning = fields[pointer]
        parts = [plain(meaning).rstrip(".") + "."] if meaning else []
        if unit and unit not in ("name", "object", "bool", "string", "integer") and "distribution" not in unit:
            parts.append(f"Unit: {plain(unit)}.")
        elif "distribution" in unit:
            parts.append(f"A distribution ({plain(unit)}).")
        if parts:
            node["description"] = " ".join(parts)
    for key, child in node.get("properties", {}).items():
        describe(child, f"{pointer}/{key}", fields)
    if isinstance(node.get("additionalProperties"), dict):
        describe(node["additionalProperties"], f"{pointer}/{{}}", fields)
    if isinstance(node.get("items"), dict):
        describe(node["items"], f"{pointer}/*", fields)


def optional_throughout(node: dict) -> None:
    """A scenario's catalog section patches the built-in entries field by field (RFC 7386): nothing in it is
    required where an entry of that name exists, which a schema cannot know."""
    node.pop("required", None)
    for child in list(node.get("properties", {}).values()) + [node.get("additionalProperties"), node.get("items")]:
        if isinstance(child, dict):
            optional_throughout(child)
    for child in node.get("anyOf", []):
        optional_throughout(child)


def schema(build: pathlib.Path) -> dict:
    s = recorded(build)
    optional_throughout(s["properties"]["catalog"])
    describe(s, "", doc_fields())
    s["$id"] = "https://capstan.invalid/docs/scenario.schema.json"
    s["title"] = "capstan scenario"
    s["description"] = ("A capstan scenario (docs/scenario.md). Generated by scripts/scenario_schema.py from the "
                        "checks capstan's validator makes; rules across fields (a class's deployment exists, "
                        "shares sum to 1) are the validator's alone: run capstan validate.")
    return s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    text = json.dumps(schema(pathlib.Path(args.build)), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if args.check:
        if OUT.read_text() != text:
            print(f"{OUT} is stale: /usr/bin/python3 scripts/scenario_schema.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
