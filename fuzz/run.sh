#!/usr/bin/env bash
# Runs every fuzz target (or those named) with cargo-fuzz: for FUZZ_SECONDS each (default 60), or for FUZZ_RUNS
# executions each when that is set. Seeds the corpora from tests/vectors first (seed.py); an input that panics,
# runs over 2 s or uses over 2 GB fails the run and is saved in fuzz/artifacts/<target>/ (commit it as a regression
# vector in tests/vectors/adversarial.json). Prints each target's executions at the end.
set -euo pipefail
cd "$(dirname "$0")"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(headers envelope verify_raw verify_signed sign_verify)
if [ -n "${FUZZ_RUNS:-}" ]; then limit=(-runs="$FUZZ_RUNS"); else limit=(-max_total_time="${FUZZ_SECONDS:-60}"); fi
python3 seed.py
cargo +nightly fuzz build -O
summary=()
for target in "${targets[@]}"; do
  log=$(mktemp)
  started=$(date +%s)
  set +e
  cargo +nightly fuzz run -O "$target" "corpus/$target" -- -max_len=8192 -timeout=2 -rss_limit_mb=2048 \
    -print_final_stats=1 "${limit[@]}" 2>&1 | tee "$log" | grep -E '^(#[0-9]+ +(DONE|INITED)|==[0-9]+==|thread|stat::)'
  status=${PIPESTATUS[0]}
  set -e
  runs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log" | tail -1)
  rm -f "$log"
  if [ "$status" -ne 0 ]; then
    echo "fuzz/run.sh: $target FAILED after ${runs:-?} executions (input saved under fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  summary+=("$(printf '%-14s %12s executions in %5s s' "$target" "${runs:-?}" "$(( $(date +%s) - started ))")")
done
printf 'fuzz/run.sh: %s\n' "${summary[@]}"
