#!/usr/bin/env bash
# Runs every fuzz target (or those named) with cargo-fuzz: for FUZZ_SECONDS each (default 60), or for FUZZ_RUNS
# executions each when that is set. Seeds the corpora from tests/vectors first (seed.py); an input that panics,
# runs over 2 s or uses over 2 GB fails the run and is saved in fuzz/artifacts/<target>/ (commit it as a regression
# vector in tests/vectors/adversarial.json). Prints each target's executions at the end. FUZZ_SANITIZER (default
# address) and FUZZ_MAX_LEN (default 8192) pass through to cargo-fuzz and libFuzzer: the targets that hash every input
# run several times faster without AddressSanitizer (`FUZZ_SANITIZER=none`).
set -euo pipefail
cd "$(dirname "$0")"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(headers envelope verify_raw verify_signed sign_verify)
if [ -n "${FUZZ_RUNS:-}" ]; then limit=(-runs="$FUZZ_RUNS"); else limit=(-max_total_time="${FUZZ_SECONDS:-60}"); fi
python3 seed.py
sanitizer=${FUZZ_SANITIZER:-address}
max_len=${FUZZ_MAX_LEN:-8192}
# Each sanitizer builds into its own folder, so that runs with different ones do not rebuild each other's targets.
build=(-O -s "$sanitizer" --target-dir "target/sanitizer-$sanitizer")
cargo +nightly fuzz build "${build[@]}"
summary=()
for target in "${targets[@]}"; do
  log=$(mktemp)
  started=$(date +%s)
  set +e
  cargo +nightly fuzz run "${build[@]}" "$target" "corpus/$target" -- -max_len="$max_len" -timeout=2 -rss_limit_mb=2048 \
    -print_final_stats=1 "${limit[@]}" 2>&1 | tee "$log" | grep -E '^(#[0-9]+ +(DONE|INITED)|==[0-9]+==|thread|stat::)'
  status=${PIPESTATUS[0]}
  set -e
  runs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log" | tail -1)
  rm -f "$log"
  if [ "$status" -ne 0 ]; then
    echo "fuzz/run.sh: $target FAILED after ${runs:-?} executions (input saved under fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  summary+=("$(printf '%-14s %12s executions in %5s s (sanitizer %s, max_len %s)' "$target" "${runs:-?}" \
    "$(( $(date +%s) - started ))" "$sanitizer" "$max_len")")
done
printf 'fuzz/run.sh: %s\n' "${summary[@]}"
