"""Shared fixtures for the capstan Python tests.

The package is found on PYTHONPATH (the README's command sets it to <build>/python);
failing that, in the default build trees. Whatever directory it came from is
exported in PYTHONPATH, so Dask worker processes and notebook kernels import
the same build.
"""
import copy
import importlib
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(__file__).resolve().parent / "data"


def _import_capstan():
    try:
        return importlib.import_module("capstan")
    except ImportError:
        pass
    for build in ("build", "build-py"):
        candidate = REPO / build / "python"
        if (candidate / "capstan" / "__init__.py").exists():
            sys.path.insert(0, str(candidate))
            try:
                return importlib.import_module("capstan")
            except ImportError:
                sys.path.pop(0)
    raise ImportError("cannot import capstan: build it (target _core) and set PYTHONPATH=<build>/python")


capstan = _import_capstan()
# Not resolve(): the package files are symlinks into the source tree, the package dir is not.
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(capstan.__file__)))
if PACKAGE_ROOT not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_ROOT, os.environ.get("PYTHONPATH")) if p)
# Figures are built without pyplot, but a stray pyplot import must never look for a display.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def tiny_path() -> str:
    """A one-site, one-class scenario that runs in well under a second."""
    return str(DATA / "tiny.json")


@pytest.fixture(scope="session")
def _tiny_dict(tiny_path):
    with open(tiny_path, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture
def tiny_dict(_tiny_dict) -> dict:
    """The tiny scenario as a fresh dict that a test may change."""
    return copy.deepcopy(_tiny_dict)


@pytest.fixture(scope="session")
def tiny(tiny_path):
    """The tiny scenario, loaded."""
    return capstan.load(tiny_path)


def cli_binary():
    """The capstan CLI next to the Python package in the build tree, if it was built."""
    candidate = pathlib.Path(PACKAGE_ROOT).parent / "capstan"
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


# The Kubernetes manifest validator (tests/k8s/validate.mjs; docs/clouds.md).
K8S = REPO / "tests" / "k8s"
VALIDATOR = K8S / "validate.mjs"


def _missing():
    """Why the validator cannot run here, or None."""
    node = shutil.which("node")
    if node is None:
        return "node is not installed (scripts/setup.sh installs nodejs)"
    if not (K8S / "node_modules").is_dir():
        return "tests/k8s/node_modules is missing: run npm ci --prefix tests/k8s (scripts/setup.sh does)"
    return None


@pytest.fixture(scope="session")
def validate():
    """Runs the validator on some files; returns the finished process. Skips where its packages are not installed,
    except under CI (CI=true), where they must be."""
    why = _missing()
    if why is not None:
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI is set and the manifest validator cannot run: {why}")
        pytest.skip(why)
    node = shutil.which("node")

    def run(*files):
        return subprocess.run([node, str(VALIDATOR), *map(str, files)], capture_output=True, text=True, timeout=120)

    return run
