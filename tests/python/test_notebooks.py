"""Every notebook in notebooks/ runs top to bottom, and its committed copy shows its outputs and plots."""
import importlib.util
import json
import sys

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

from conftest import REPO  # noqa: E402

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 900  # capacity_100k plans a fleet in one cell (about five minutes here)


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    # A kernelspec for this very interpreter, so the kernel sees the same packages and (through the
    # inherited PYTHONPATH that conftest set) the same capstan build, whatever 'python3' means here.
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "capstan-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "capstan tests", "language": "python",
        "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}}))
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(root))
    mp.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    yield "capstan-test"
    mp.undo()


def test_every_notebook_of_the_builder_is_committed():
    # The builder is the source of the notebooks; each of its notebooks must be committed (and so run below).
    spec = importlib.util.spec_from_file_location("build_notebooks", REPO / "notebooks" / "build_notebooks.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert {p.stem for p in NOTEBOOKS} == set(builder.NOTEBOOKS)


def _images(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if "image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_copy_shows_outputs(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "not executed top to bottom"
    assert not [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert _images(nb), "no plot in the committed copy"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, kernel_name):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name=kernel_name,
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    assert _images(nb)
