#!/usr/bin/env bash
# The GPU items of calibration, as one unattended run on a machine with a
# CUDA GPU (docs/calibration.md, "Calibrating on a GPU machine"):
#
#   1. the device and its clocks;
#   2. every kernel check, then a profile, for Llama-3-8B and Llama-3.2-1B
#      (and, while time is left, Llama-3.2-3B and Llama-3-70B at TP 8);
#   3. each profile against one real PyTorch decoder layer.
#
# It uses a capstan built beforehand (CAPSTAN_BUILD_DIR, default build/): the
# command-line program and the CUDA module it opens at run time. Where the
# module cannot find cuBLAS it looks for the libraries on the machine, and
# where it still cannot load it is rebuilt here with nvcc for sm_90.
#
# Usage: scripts/calibrate_on_gpu.sh OUT_DIR [CATALOG_GPU] [SECONDS]
#   OUT_DIR      profiles (<gpu>_<model>_tp<N>.json), comparisons and one log
#   CATALOG_GPU  the catalog GPU the device stands for (default: matched from
#                the device name by capstan calibrate)
#   SECONDS      wall-clock budget; optional models are skipped past it (480)
#
# Every step has its own time limit and the run goes on past a failed step,
# so whatever was measured comes back. Exit status: 0 every required step
# done, 1 otherwise.
set -u
out=${1:?usage: calibrate_on_gpu.sh OUT_DIR [CATALOG_GPU] [SECONDS]}
gpu=${2:-}
budget=${3:-480}
build=${CAPSTAN_BUILD_DIR:-build}
mkdir -p "$out"
log="$out/calibration.log"
start=$(date +%s)
status=0

say() { echo "[$(($(date +%s) - start)) s] $*" | tee -a "$log"; }
step() {  # step LIMIT_S REQUIRED(0/1) COMMAND...
  local limit=$1 required=$2
  shift 2
  say "\$ $*"
  timeout "$limit" "$@" >>"$log" 2>&1
  local rc=$?
  say "exit $rc"
  if [ "$rc" -ne 0 ] && [ "$required" -eq 1 ]; then status=1; fi
  return "$rc"
}

say "host $(hostname), $(uname -r), capstan $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
nvidia-smi -q >"$out/nvidia-smi.txt" 2>&1 || say "nvidia-smi failed"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.limit,temperature.gpu \
  --format=csv >>"$log" 2>&1

# The CUDA module and the cuBLAS it needs.
module="$build/libcapstan_gpu.so"
if ldd "$module" 2>/dev/null | grep -q "not found"; then
  for lib in libcublasLt.so.13 libcublas.so.13 libcudart.so.13; do
    found=$(find /usr/local /opt /usr/lib -name "$lib" 2>/dev/null | head -1)
    [ -n "$found" ] && export LD_LIBRARY_PATH="$(dirname "$found")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  done
  say "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
fi
export CAPSTAN_GPU_LIBRARY="$module"
probe=$("$build/capstan" device 2>&1)
echo "$probe" >>"$log"
if echo "$probe" | grep -q "could not be loaded"; then
  say "the prebuilt module does not load here; rebuilding it with nvcc for sm_90"
  cu=models/calibration/cuda
  if step 240 1 nvcc -O3 -DNDEBUG -std=c++17 -gencode arch=compute_90,code=[compute_90,sm_90] \
      -Xcompiler=-fPIC -Xcompiler=-fvisibility=hidden -I. -shared \
      $cu/gpu_entry.cu $cu/device_probe.cu $cu/gemm.cu $cu/attention.cu $cu/elementwise.cu $cu/measure.cu \
      $cu/reference.cpp -lcublas -lcublasLt -o /tmp/libcapstan_gpu.so; then
    export CAPSTAN_GPU_LIBRARY=/tmp/libcapstan_gpu.so
  fi
fi
step 60 1 "$build/capstan" device || { say "no usable GPU"; exit 1; }

gpu_flag=()
[ -n "$gpu" ] && gpu_flag=(--gpu "$gpu")
prefix=${gpu:-gpu}

calibrate() {  # calibrate LIMIT_S REQUIRED MODEL TP
  local limit=$1 required=$2 model=$3 tp=$4
  local file="$out/${prefix}_${model}_tp${tp}.json"
  step "$limit" "$required" "$build/capstan" calibrate --model "$model" --tp "$tp" "${gpu_flag[@]}" -o "$file" &&
    step 120 "$required" python3 scripts/compare_torch_layer.py --profile "$file" \
      --json "$out/torch_${model}_tp${tp}.json"
}

calibrate 240 1 llama-3-8b 1
calibrate 180 1 llama-3.2-1b 1
for extra in "llama-3.2-3b 1" "llama-3-70b 8"; do
  elapsed=$(($(date +%s) - start))
  if [ "$elapsed" -gt "$budget" ]; then say "skipping $extra: $elapsed s of $budget used"; continue; fi
  # shellcheck disable=SC2086
  calibrate $((budget - elapsed + 30)) 0 $extra
done
say "done, status $status"
exit "$status"
