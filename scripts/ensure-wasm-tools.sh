#!/usr/bin/env bash
# Installs what `make wasm` and its tests need, skipping whatever is already there (bindings/wasm/README.md,
# "Building"):
#  - Debian's rustc-web, cargo-web and rust-web-src (std's source, for -Z build-std) and lld (wasm-ld): rustup has no
#    wasm32 target on these machines;
#  - Debian's chromium, for the browser test;
#  - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock, into .tools/ (git-ignored; ~5-11 minutes,
#    once; a later run finds it and skips the install).
set -euo pipefail
cd "$(dirname "$0")/.."

# rustc-web 1.96 is in bookworm-security; the crates here need rustc >= 1.88 (jiter, time, sha2, faster-hex).
web_rustc_ok() {
  [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust/library ] && command -v wasm-ld >/dev/null &&
    /usr/bin/rustc --version | awk '{ split($2, v, "."); exit !(v[1] > 1 || (v[1] == 1 && v[2] >= 88)) }'
}
need_apt=()
web_rustc_ok || need_apt+=(rustc-web cargo-web rust-web-src lld)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
if ! web_rustc_ok; then
  echo "ensure-wasm-tools: Debian's rustc-web is older than 1.88 even after apt-get install ($(/usr/bin/rustc --version))" >&2
  exit 1
fi

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ -z "$version" ]; then
  echo "ensure-wasm-tools: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
if [ "$(.tools/bin/wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
  # `--locked` fails for this crate here (bindings/wasm/README.md, "Building"); the version is pinned exactly instead.
  cargo install wasm-bindgen-cli --version "=$version" --root .tools --force
fi
