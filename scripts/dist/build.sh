#!/usr/bin/env bash
# `make dist`: the packages a user installs, written into dist/ (git-ignored) from what `make node`, `make c-lib` and
# `make wasm` built (the Makefile runs those first) and the wheel maturin packs from the same cargo build as
# `make python`. Nothing is published: these are the files a release would publish.
#
#   dist/hookseal-<v>-cp39-abi3-manylinux_2_34_x86_64.whl  pip install <file>           (CPython 3.9+, glibc 2.34+)
#   dist/hookseal-<v>.tgz                  npm install <file>: require('hookseal'), hookseal/express, hookseal/fetch,
#                                          with the x86_64-unknown-linux-gnu addon inside
#   dist/hookseal-linux-x64-gnu-<v>.tgz    the same addon as napi-rs's per-platform package (npm/linux-x64-gnu)
#   dist/hookseal-wasm-<v>.tgz             npm install <file>: the browser/worker build and the Node build, by condition
#   dist/hookseal-php-<v>.tar.gz           hookseal-php/: src/, autoload.php, preload.php, lib/libhookseal_ffi.so, ...
#
#     scripts/dist/build.sh            (MATURIN: the maturin to use, default .venv/bin/maturin)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

MATURIN=${MATURIN:-.venv/bin/maturin}
# The lowest manylinux tag maturin's auditwheel check accepts for a build on this Debian 12 (glibc 2.36): the module
# uses symbols versioned GLIBC_2.34 (pthread_key_create, dlsym, ... moved into libc in 2.34). Pinned rather than
# left to maturin's guess, so a build that starts needing a newer glibc fails here instead of quietly narrowing the
# wheel's audience.
MANYLINUX=${MANYLINUX:-manylinux_2_34}
VERSION=$(node -p 'require("./package.json").version')
ADDON=bindings/node/hookseal.linux-x64-gnu.node
FFI_LIB=target/release/libhookseal_ffi.so
FFI_HEADER=bindings/c/include/hookseal_ffi.h

fail() {
	echo "make dist: $*" >&2
	exit 1
}

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/hookseal-dist-stage-XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

for file in "$ADDON" "$FFI_LIB" "$FFI_HEADER" bindings/wasm/pkg-web/index.js bindings/wasm/pkg-node/main.mjs; do
	[ -f "$file" ] || fail "$file is missing: run make node c-lib wasm first (make dist does)"
done

rm -rf dist
mkdir dist

# Python: the abi3 wheel, the framework helpers (hookseal.flask, hookseal.fastapi), _hookseal.pyi and py.typed.
# The cargo build is the one `make python` made (same profile, features and flags: cargo has nothing to redo).
"$MATURIN" build --release --locked --quiet --compatibility "$MANYLINUX" --auditwheel check --out dist
wheel=$(cd dist && ls hookseal-"$VERSION"-*.whl)
[ "$wheel" = "hookseal-$VERSION-cp39-abi3-${MANYLINUX}_x86_64.whl" ] || fail "unexpected wheel name $wheel"

# Node: the root package.json is both the workspace and the package; its `files` keep tests and Rust sources out.
# napi-rs's layout for other platforms: npm/<platform>/package.json, generated from package.json's `napi` config by
# `napi create-npm-dirs`; checked here to be what the CLI writes, so a new target or version cannot leave it stale.
mkdir "$STAGE/napi"
cp package.json "$STAGE/napi/"
node_modules/.bin/napi create-npm-dirs --cwd "$STAGE/napi" >/dev/null 2>&1 || fail "napi create-npm-dirs failed"
diff -r npm "$STAGE/napi/npm" >&2 ||
	fail "npm/ differs from what napi create-npm-dirs writes for package.json: run node_modules/.bin/napi create-npm-dirs"
npm pack --silent --pack-destination dist >/dev/null
# The per-platform package (what a CI matrix publishes once per target, beside the main package's
# optionalDependencies): the folder napi-rs generated plus the addon.
cp -r npm/linux-x64-gnu "$STAGE/linux-x64-gnu"
cp "$ADDON" "$STAGE/linux-x64-gnu/"
(cd "$STAGE/linux-x64-gnu" && npm pack --silent --pack-destination "$ROOT/dist" >/dev/null)

# WASM: one package over both builds (bindings/wasm/package.json: exports by condition), assembled by build.js.
(cd bindings/wasm && npm pack --silent --pack-destination "$ROOT/dist" >/dev/null)

# PHP: hookseal-php/ with the library in lib/ and the FFI header in include/, where Ffi.php looks first (after
# HOOKSEAL_FFI_LIB / HOOKSEAL_FFI_HEADER). Reproducible: sorted, owned by root, dated at the last commit.
php_dir="$STAGE/php/hookseal-php"
mkdir -p "$php_dir/lib" "$php_dir/include"
cp -r bindings/php/src "$php_dir/src"
cp bindings/php/autoload.php bindings/php/preload.php bindings/php/ffi-header.php bindings/php/composer.json \
	bindings/php/README.md "$php_dir/"
cp "$FFI_LIB" "$php_dir/lib/"
cp "$FFI_HEADER" "$php_dir/include/"
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$STAGE/php" -cf - hookseal-php |
	gzip -9n >"dist/hookseal-php-$VERSION.tar.gz"

for file in "$wheel" "hookseal-$VERSION.tgz" "hookseal-linux-x64-gnu-$VERSION.tgz" "hookseal-wasm-$VERSION.tgz" \
	"hookseal-php-$VERSION.tar.gz"; do
	[ -f "dist/$file" ] || fail "dist/$file was not written"
	printf '%10s  dist/%s\n' "$(stat -c %s "dist/$file")" "$file"
done
