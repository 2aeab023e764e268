#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS (default 60) from the committed
# corpus (tests/fuzz/corpus, the reference scenarios and the bad fixtures;
# tests/fuzz/inputs_corpus for inputs_fuzz).
# New inputs go to a scratch directory, not the repository; a finding (a
# crash, a sanitizer report, an input over the time or memory limit, an
# exception that is not an input error) is written to OUT and fails the run.
#   bash scripts/fuzz.sh BUILD_DIR [SECONDS] [OUT]
# BUILD_DIR is a clang build with -DCAPSTAN_FUZZ=ON -DCAPSTAN_SANITIZE=ON (.ci/run makes one).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: fuzz.sh BUILD_DIR [SECONDS] [OUT]}
seconds=${2:-60}
out=${3:-$build/fuzz-findings}
mkdir -p "$out"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in validate_fuzz run_fuzz inputs_fuzz; do
  # The scenario targets start from scenarios; the inputs target from its own seeds (a kind byte, then a file).
  if [ "$target" = inputs_fuzz ]; then seeds=(tests/fuzz/inputs_corpus); else seeds=(tests/fuzz/corpus scenarios tests/data/bad); fi
  mkdir -p "$scratch/$target"
  echo "fuzz: $target for ${seconds} s"
  # -timeout: seconds per input (a hang); -rss_limit_mb: memory (the sanitizers' own use included).
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz/$target" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=3072 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$out/$target-" \
      "$scratch/$target" "${seeds[@]}" >"$scratch/$target.log" 2>&1; then
    tail -60 "$scratch/$target.log"
    echo "fuzz: $target found a problem; the input is in $out" >&2
    exit 1
  fi
  grep -E "^stat::|DONE" "$scratch/$target.log" | head -8
done
echo "fuzz: no findings"
