#!/usr/bin/env bash
# make bench-validators: the core's JSON scan beside simd-json, sonic-rs, serde_json, jiter and a bare HMAC-SHA256
# (src/main.rs), then simdjson itself (simdjson.cpp, Debian's libsimdjson-dev) on the same bodies. Not part of
# `make test`: these are timings. Installs libsimdjson-dev and g++ when they are missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

need_apt=()
dpkg -s libsimdjson-dev >/dev/null 2>&1 || need_apt+=(libsimdjson-dev)
command -v g++ >/dev/null || need_apt+=(g++)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

out=target/bench/validators
# -C target-cpu=native: sonic-rs only uses SIMD so (simd-json picks its kernel at run time). The core's scan then
# runs its word loop, vectorised by LLVM for AVX2; shipped builds (baseline x86-64) run its SSE2 compares.
RUSTFLAGS="-C target-cpu=native" cargo build --release --locked --quiet \
  --manifest-path bench/validators/Cargo.toml --target-dir "$out"
g++ -O3 -march=native -std=c++17 -o "$out/simdjson" bench/validators/simdjson.cpp -lsimdjson

bodies=$(mktemp -d)
trap 'rm -rf "$bodies"' EXIT
grep -m1 "model name" /proc/cpuinfo || true
"$out/release/hookseal-bench-validators" "$bodies"
echo "simdjson $(dpkg-query -W -f='${Version}' libsimdjson-dev) (Debian's libsimdjson-dev), on the same bodies:"
"$out/simdjson" "$bodies"
