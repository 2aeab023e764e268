#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for capstan (clang and its libFuzzer
# runtime too, for the sanitizer and fuzz build of .ci/run), builds it in Release and runs
# the main job: the consumer_world reference scenario, with its summary.
#   bash scripts/setup.sh            install, build, run
#   CAPSTAN_SKIP_RUN=1 bash ...      install and build only (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libboost-graph-dev libboost-random-dev libeigen3-dev
  nlohmann-json3-dev catch2 libcli11-dev pybind11-dev
  python3 python3-dev python3-numpy python3-pandas python3-matplotlib python3-pytest
  python3-nbclient python3-nbformat python3-ipykernel python3-distributed python3-yaml
  python3-pil python3-scipy python3-jsonschema python3-pytest-xdist chromium
)
# Node.js and npm for the Kubernetes manifest validator (tests/k8s). A Node.js that is
# already here stays: NodeSource's nodejs bundles npm and conflicts with Debian's npm.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "capstan setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
# The validator's schemas, as tests/k8s/package-lock.json pins them.
npm ci --prefix tests/k8s --no-audit --no-fund --loglevel=error

build_dir=${CAPSTAN_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=/usr/bin/python3
cmake --build "$build_dir" -j"$(nproc)"

if [ -z "${CAPSTAN_SKIP_RUN:-}" ]; then
  "$build_dir/capstan" device || true   # says whether a GPU is here; the run does not need one
  "$build_dir/capstan" run scenarios/consumer_world.json -o out/consumer_world
fi
