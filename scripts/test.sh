#!/usr/bin/env bash
# Runs every test: the Catch2 unit and validation tests through ctest, then
# the Python tests (bindings, sweeps, Dask, notebooks) through pytest.
# Builds first if needed (after scripts/setup.sh has installed the packages).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${CAPSTAN_BUILD_DIR:-build}
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=/usr/bin/python3
fi
cmake --build "$build_dir" -j"$(nproc)"
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)"
if [ -d tests/python ] && ls tests/python/test_*.py >/dev/null 2>&1; then
  # Two workers (pytest-xdist, installed by setup.sh): the notebooks and the
  # other suites overlap instead of queueing behind one another.
  parallel=()
  /usr/bin/python3 -c "import xdist" 2>/dev/null && parallel=(-n 2)
  PYTHONPATH="$PWD/$build_dir/python${PYTHONPATH:+:$PYTHONPATH}" CAPSTAN_BUILD_DIR="$PWD/$build_dir" \
    /usr/bin/python3 -m pytest -q "${parallel[@]}" --durations=12 tests/python
fi
