#!/usr/bin/env bash
# Installs what `make fuzz` needs, skipping whatever is already there: rustup's nightly toolchain (cargo-fuzz builds
# with -Z sanitizer flags) and cargo-fuzz (about 2 minutes, once).
set -euo pipefail
if ! cargo +nightly --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
