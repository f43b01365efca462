#!/usr/bin/env bash
# `make test-dist`: each package of dist/ (scripts/dist/build.sh) installed as a user installs it, into a fresh folder
# outside the repository, with no cargo or rustc on PATH (only python3, node, npm and php are), and that language's
# README quick start run there: the fenced block after its `<!-- quickstart: <language> -->` marker
# (scripts/dist/quickstart.py, which fails when a marker is missing). Installs are offline, from the local files,
# except the Python frameworks a quick start imports (from PyPI, at bindings/python/constraints.txt's versions).
# Then what a quick start does not show: the wheel's helpers and stubs, the npm subpaths, napi-rs's per-platform
# package, the WASM package's conditions (require, import, browser), the PHP archive's preload and library lookup,
# and `cargo install --path crates/hookseal-cli`.
#
#     scripts/dist/test.sh             (HOOKSEAL_README: the README to take the quick starts from, default README.md;
#                                       KEEP=1 keeps the fresh folder and prints it)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
README=$(realpath "${HOOKSEAL_README:-README.md}")
VERSION=$(node -p 'require("./package.json").version')
DIST=$ROOT/dist

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hookseal-dist-test-XXXXXX")
WORK=$(realpath "$WORK")
case "$WORK/" in "$ROOT"/*) echo "test-dist: $WORK is inside the repository" >&2; exit 1 ;; esac
cleanup() {
	if [ "${KEEP:-}" = 1 ]; then echo "test-dist: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

step() { printf 'test-dist: %s\n' "$*"; }
fail() {
	echo "test-dist: FAILED: $*" >&2
	exit 1
}

# The user's PATH: a folder of links to the four runtimes, nothing else (no cargo, no rustc, no repository tools).
mkdir -p "$WORK/bin" "$WORK/home"
python=$(python3 -c 'import sys; print(sys.executable)') # the interpreter itself, not a pyenv shim
ln -s "$python" "$WORK/bin/python3"
for tool in node npm php; do
	ln -s "$(command -v "$tool")" "$WORK/bin/$tool"
done
USER_PATH=$WORK/bin
# Run as the user: that PATH, a fresh HOME (no npm or pip configuration, an empty npm cache), no hookseal variables.
as_user() {
	env -u HOOKSEAL_FFI_LIB -u HOOKSEAL_FFI_HEADER -u HOOKSEAL_JS_BUILD -u NAPI_RS_NATIVE_LIBRARY_PATH \
		-u NODE_PATH -u PYTHONPATH -u VIRTUAL_ENV -u RUSTC -u CARGO -u CARGO_HOME -u RUSTUP_HOME \
		PATH="${EXTRA_PATH:+$EXTRA_PATH:}$USER_PATH" HOME="$WORK/home" npm_config_update_notifier=false "$@"
}
if as_user /bin/sh -c 'command -v cargo || command -v rustc || command -v rustup'; then
	fail "cargo or rustc is on the user's PATH"
fi

quickstart() { # language, output file
	python3 "$ROOT/scripts/dist/quickstart.py" "$README" "$1" >"$2" || fail "README.md has no runnable $1 quick start"
}

npm_project() { # folder under $WORK, then the tarballs to install there, offline; leaves the shell in that folder
	mkdir "$WORK/$1"
	cd "$WORK/$1"
	shift
	as_user npm init -y >/dev/null
	as_user npm install --offline --no-audit --no-fund --loglevel=error "$@" >/dev/null
}

wheel=hookseal-$VERSION-cp39-abi3-manylinux_2_34_x86_64.whl
for file in "$wheel" "hookseal-$VERSION.tgz" "hookseal-linux-x64-gnu-$VERSION.tgz" "hookseal-wasm-$VERSION.tgz" \
	"hookseal-php-$VERSION.tar.gz"; do
	[ -f "$DIST/$file" ] || fail "dist/$file is missing (make dist)"
done

# --- Python -------------------------------------------------------------------------------------------------------
step "python: $wheel into a new venv"
mkdir "$WORK/python"
cd "$WORK/python"
as_user python3 -m venv venv
VENV_BIN=$WORK/python/venv/bin
EXTRA_PATH=$VENV_BIN as_user pip install --quiet --disable-pip-version-check --no-index "$DIST/$wheel"
EXTRA_PATH=$VENV_BIN as_user python - <<'EOF' || fail "the installed wheel lacks files"
import importlib.metadata as metadata, pathlib, sys
files = {str(f) for f in metadata.files("hookseal")}
needed = ["hookseal/__init__.py", "hookseal/flask.py", "hookseal/fastapi.py", "hookseal/django.py", "hookseal/py.typed",
          "hookseal/_hookseal.pyi", "hookseal/_hookseal.abi3.so"]
missing = [f for f in needed if f not in files]
if missing:
    sys.exit(f"missing from the wheel: {missing}")
import hookseal
if not pathlib.Path(hookseal.__file__).is_relative_to(sys.prefix):
    sys.exit(f"hookseal imported from {hookseal.__file__}, not the venv")
EOF
quickstart python quickstart.py
# The frameworks only when the quick start imports them (the wheel's extras), at the versions the repository tests.
frameworks=$(sed -n -E 's/^\s*(from|import)\s+(flask|fastapi|uvicorn)\b.*/\2/p' quickstart.py | sort -u | tr '\n' ' ')
if [ -n "$frameworks" ]; then
	step "python: installing $frameworks(constraints.txt) for the quick start"
	# shellcheck disable=SC2086
	EXTRA_PATH=$VENV_BIN as_user pip install --quiet --disable-pip-version-check $frameworks \
		-c "$ROOT/bindings/python/constraints.txt"
fi
step "python: README quick start"
EXTRA_PATH=$VENV_BIN as_user python quickstart.py || fail "the Python quick start failed"
# The framework helpers from the installed wheel, through its extras (which must name the frameworks): a Flask view
# under @webhook answers a genuine delivery and refuses a tampered one with {"error": code}; hookseal.fastapi imports.
step "python: the wheel's [flask,fastapi] extras and helpers"
EXTRA_PATH=$VENV_BIN as_user pip install --quiet --disable-pip-version-check "$DIST/$wheel[flask,fastapi]" \
	-c "$ROOT/bindings/python/constraints.txt"
EXTRA_PATH=$VENV_BIN as_user python - <<'EOF' || fail "the wheel's framework helpers do not work"
import flask, hookseal, hookseal.fastapi
from hookseal.flask import webhook
verifier = hookseal.Verifier("elmed", secret="s3cret")
app = flask.Flask(__name__)
@app.post("/elmed")
@webhook(verifier)
def on_elmed(event):
    return {"event_type": event.event_type}
body = b'{"event":"claim.decision","data":{"claim_id":31}}'
client = app.test_client()
good = client.post("/elmed", data=body, headers=hookseal.sign("elmed", body, secret="s3cret"))
bad = client.post("/elmed", data=body + b" ", headers=hookseal.sign("elmed", body, secret="s3cret"))
assert (good.status_code, good.get_json()) == (200, {"event_type": "claim.decision"}), good.data
assert (bad.status_code, bad.get_json()) == (401, {"error": "signature_mismatch"}), bad.data
assert callable(hookseal.fastapi.webhook) and callable(hookseal.fastapi.exactly_once)
EOF

# --- Node (napi addon) --------------------------------------------------------------------------------------------
tgz=$DIST/hookseal-$VERSION.tgz
step "node: hookseal-$VERSION.tgz"
node - "$tgz" <<'EOF' || fail "the npm tarball is not what a user should get"
// What `npm pack` put in: package.json without "private", the linux-x64-gnu addon, JavaScript and types only.
const { execFileSync } = require('node:child_process');
const tgz = process.argv[2];
const files = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).trim().split('\n');
const pkg = JSON.parse(execFileSync('tar', ['-xOzf', tgz, 'package/package.json'], { encoding: 'utf8' }));
const problems = [];
if ('private' in pkg) problems.push('package.json has "private"');
if (!files.includes('package/bindings/node/hookseal.linux-x64-gnu.node')) problems.push('no linux-x64-gnu addon');
const allowed = /^package\/(package\.json|README\.md|bindings\/node\/([\w-]+\.(js|d\.ts)|hookseal\.[\w-]+\.node))$/;
for (const file of files) if (!allowed.test(file)) problems.push(`unexpected file ${file}`);
for (const sub of ['express', 'fetch', 'fastify', 'hono']) {
  for (const file of [`bindings/node/${sub}.js`, `bindings/node/${sub}.d.ts`]) {
    if (!files.includes(`package/${file}`)) problems.push(`no ${file}`);
  }
  if (!pkg.exports[`./${sub}`] || !pkg.exports[`./${sub}`].types) problems.push(`no typed ./${sub} export`);
}
if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
EOF
npm_project node "$tgz"
quickstart node quickstart.js
step "node: README quick start"
as_user node quickstart.js || fail "the Node quick start failed"
as_user node -e "
  const path = require('node:path');
  const main = require.resolve('hookseal');
  if (!main.startsWith(path.join(process.cwd(), 'node_modules', 'hookseal') + path.sep)) throw new Error(main);
  for (const sub of ['hookseal/express', 'hookseal/fetch', 'hookseal/fastify', 'hookseal/hono']) require(sub);
  if (typeof require('hookseal/express').webhook !== 'function') throw new Error('hookseal/express: no webhook');
  if (typeof require('hookseal/fetch').verifyRequest !== 'function') throw new Error('hookseal/fetch: no verify');
  // Neither Fastify nor Hono is installed here (optional peers): the subpaths load without them.
  if (typeof require('hookseal/fastify').webhook !== 'function') throw new Error('hookseal/fastify: no webhook');
  if (typeof require('hookseal/hono').webhook !== 'function') throw new Error('hookseal/hono: no webhook');
" || fail "the npm package's subpaths"

# napi-rs's per-platform package: with the main package's own addon gone, its loader finds the addon there.
step "node: hookseal-linux-x64-gnu-$VERSION.tgz (the per-platform package napi-rs's loader falls back to)"
npm_project node-platform "$tgz" "$DIST/hookseal-linux-x64-gnu-$VERSION.tgz"
rm node_modules/hookseal/bindings/node/hookseal.linux-x64-gnu.node
as_user node -e "
  const { Verifier, sign } = require('hookseal');
  const body = '{\"event\":\"a.b\",\"data\":{}}';
  new Verifier('elmed', { secret: 's' }).verify(body, sign('elmed', body, { secret: 's' }));
" || fail "require('hookseal') did not load the addon from hookseal-linux-x64-gnu"

# --- WASM ---------------------------------------------------------------------------------------------------------
step "wasm: hookseal-wasm-$VERSION.tgz"
npm_project wasm "$DIST/hookseal-wasm-$VERSION.tgz"
quickstart wasm quickstart.mjs
step "wasm: README quick start (an ES module, under Node: the package's node condition)"
as_user node quickstart.mjs || fail "the WASM quick start failed under Node"
cat >check.cjs <<'EOF'
// require(): the Node build, loaded synchronously; init() / initSync() there so browser code runs unchanged.
const assert = require('node:assert/strict');
const wasm = require('hookseal-wasm');
assert.match(require.resolve('hookseal-wasm'), /\/pkg-node\/main\.js$/);
assert.equal(typeof wasm.init, 'function');
assert.equal(typeof wasm.initSync, 'function');
const body = '{"event":"a.b","data":{}}';
const event = new wasm.Verifier('elmed', { secret: 's' }).verify(body, wasm.sign('elmed', body, { secret: 's' }));
assert.equal(event.eventType, 'a.b');
assert.equal(typeof require('hookseal-wasm/fetch').verifyRequest, 'function');
wasm.init().then(() => console.log('require: ok'));
EOF
cat >check.mjs <<'EOF'
// import: an ES module over the same Node build (the same classes as require() gives).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import init, { initSync, Verifier, VerificationError, sign } from 'hookseal-wasm';
import { verifyRequest } from 'hookseal-wasm/fetch';
assert.match(import.meta.resolve('hookseal-wasm'), /\/pkg-node\/main\.mjs$/);
await init();
initSync();
assert.equal(Verifier, createRequire(import.meta.url)('hookseal-wasm').Verifier);
const body = '{"event":"a.b","data":{}}';
const headers = sign('elmed', body, { secret: 's' });
const request = new Request('https://clinic.example/hook', { method: 'POST', body, headers });
assert.equal((await verifyRequest(new Verifier('elmed', { secret: 's' }), request)).eventType, 'a.b');
assert.throws(() => new Verifier('elmed', { secret: 's' }).verify('{}', headers), VerificationError);
console.log('import: ok');
EOF
cat >browser.mjs <<'EOF'
// The browser condition picks the ES module for browsers and workers (pkg-web). Under Node its init() cannot fetch
// the module from a file: URL, and says what to do instead; given the bytes, it works.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import init, { Verifier, sign } from 'hookseal-wasm';
for (const specifier of ['hookseal-wasm', 'hookseal-wasm/fetch']) {
  assert.match(import.meta.resolve(specifier), /\/pkg-web\/(index|fetch)\.js$/, specifier);
}
await assert.rejects(init(), (error) => {
  assert.match(error.message, /under Node/);
  assert.match(error.message, /without the browser condition/);
  return true;
});
await init(await readFile(new URL(import.meta.resolve('hookseal-wasm/hookseal_wasm_bg.wasm'))));
const body = '{"event":"a.b","data":{}}';
const headers = sign('elmed', body, { secret: 's' });
assert.equal(new Verifier('elmed', { secret: 's' }).verify(body, headers).eventType, 'a.b');
console.log('browser condition: ok');
EOF
as_user node check.cjs || fail "require('hookseal-wasm')"
as_user node check.mjs || fail "import from 'hookseal-wasm' under Node"
as_user node --conditions=browser browser.mjs || fail "hookseal-wasm under the browser condition"
# The types each condition resolves to (TypeScript from the workspace, as a user's own would be).
cat >types-node.mts <<'EOF'
import init, { initSync, Verifier, type Event } from 'hookseal-wasm';
import { verifyRequest } from 'hookseal-wasm/fetch';
await init();
initSync();
const event: Promise<Event> = verifyRequest(new Verifier('elmed', { secret: 's' }), new Request('https://a.example'));
void event;
EOF
cat >types-node.cts <<'EOF'
import wasm = require('hookseal-wasm');
void wasm.init();
wasm.initSync();
new wasm.Verifier('elmed', { secret: 's' });
EOF
cat >types-browser.ts <<'EOF'
import init, { initSync, Verifier } from 'hookseal-wasm';
import { errorResponse } from 'hookseal-wasm/fetch';
await init(new URL('https://cdn.example/hookseal_wasm_bg.wasm'));
initSync(new Uint8Array(0));
void new Verifier('elmed', { secret: 's' });
void errorResponse;
EOF
tsc=$ROOT/node_modules/typescript/bin/tsc
tsconfig() { # file, module, moduleResolution, customConditions (JSON list), files (JSON list)
	cat >"$1" <<EOF
{"compilerOptions": {"noEmit": true, "strict": true, "skipLibCheck": false, "target": "es2022", "types": [],
  "lib": ["es2022", "dom"], "module": "$2", "moduleResolution": "$3", "customConditions": $4}, "files": $5}
EOF
}
tsconfig tsconfig.node.json nodenext nodenext '[]' '["types-node.mts", "types-node.cts"]'
tsconfig tsconfig.browser.json es2022 bundler '["browser"]' '["types-browser.ts"]'
as_user node "$tsc" -p tsconfig.node.json || fail "hookseal-wasm's types under Node (nodenext: import and require)"
as_user node "$tsc" -p tsconfig.browser.json || fail "hookseal-wasm's types for browsers (bundler, browser condition)"

# --- PHP ----------------------------------------------------------------------------------------------------------
step "php: hookseal-php-$VERSION.tar.gz"
mkdir "$WORK/php"
cd "$WORK/php"
tar -xzf "$DIST/hookseal-php-$VERSION.tar.gz"
for file in src/Verifier.php src/Ffi.php autoload.php preload.php ffi-header.php composer.json README.md \
	lib/libhookseal_ffi.so include/hookseal_ffi.h; do
	[ -f "hookseal-php/$file" ] || fail "hookseal-php/$file is missing from the archive"
done
quickstart php quickstart.php
grep -q '^<?php' quickstart.php || sed -i '1i <?php' quickstart.php
step "php: README quick start (php -d ffi.enable=1, no HOOKSEAL_FFI_LIB)"
as_user php -d ffi.enable=1 quickstart.php || fail "the PHP quick start failed"
cat >lookup.php <<'EOF'
<?php
// The library and header came from the package's lib/ and include/, without HOOKSEAL_FFI_LIB.
require 'hookseal-php/autoload.php';
$package = __DIR__ . '/hookseal-php';
$expected = [Hookseal\Ffi::libraryPath() => "$package/lib/", Hookseal\Ffi::headerPath() => "$package/include/"];
foreach ($expected as $path => $dir) {
    if (!str_starts_with($path, $dir)) {
        throw new RuntimeException("$path is not in $dir");
    }
}
echo "library lookup: ok\n";
EOF
as_user php -d ffi.enable=1 lookup.php || fail "Ffi.php did not find the package's library"
cat >preloaded.php <<'EOF'
<?php
// Run with opcache.preload=hookseal-php/preload.php: the scope is declared, FFI::cdef stays forbidden.
$ffi = FFI::scope('HOOKSEAL');
$body = '{"event":"a.b","data":{}}';
$headers = Hookseal\sign('elmed', $body, ['secret' => 's']);
$event = (new Hookseal\Verifier('elmed', ['secret' => 's']))->verify($body, $headers);
if ($event->eventType !== 'a.b') {
    throw new RuntimeException('unexpected event');
}
echo "preload: ok\n";
EOF
# preload.php's two setups: an ordinary user's server (preload.php declares the scope itself with FFI::load; run as
# nobody when this runs as root), and PHP-FPM's root master (ffi.preload reads the header ffi-header.php writes; PHP
# requires opcache.preload_user under root, and refuses FFI::load then).
preload=(-d ffi.enable=preload -d opcache.enable=1 -d opcache.enable_cli=1 -d opcache.preload_user="$(id -un)"
	-d opcache.preload="$WORK/php/hookseal-php/preload.php")
if [ "$(id -u)" != 0 ]; then
	as_user php "${preload[@]}" preloaded.php || fail "preload.php from the archive (FFI::load)"
else
	chmod a+rx "$WORK" "$WORK/bin" "$WORK/php"
	chmod -R a+rX "$WORK/php/hookseal-php" "$WORK/php/preloaded.php"
	runuser -u nobody -- env -u HOOKSEAL_FFI_LIB -u HOOKSEAL_FFI_HEADER PATH="$USER_PATH" HOME=/nonexistent \
		php -d ffi.enable=preload -d opcache.enable=1 -d opcache.enable_cli=1 \
		-d opcache.preload="$WORK/php/hookseal-php/preload.php" preloaded.php ||
		fail "preload.php from the archive (FFI::load, as nobody)"
fi
as_user php hookseal-php/ffi-header.php "$WORK/php/hookseal.h" || fail "ffi-header.php from the archive"
grep -qF "#define FFI_LIB \"$WORK/php/hookseal-php/lib/libhookseal_ffi.so\"" hookseal.h ||
	fail "ffi-header.php does not name the package's library"
as_user php "${preload[@]}" -d ffi.preload="$WORK/php/hookseal.h" preloaded.php ||
	fail "preload.php from the archive (ffi.preload)"
# Without the library, the error names every place it looked.
mv hookseal-php/lib hookseal-php/lib.away
message=$(as_user php -d ffi.enable=1 -r 'require "hookseal-php/autoload.php";
	try { new Hookseal\Verifier("elmed", ["secret" => "s"]); } catch (RuntimeException $e) { echo $e->getMessage(); }')
mv hookseal-php/lib.away hookseal-php/lib
for part in HOOKSEAL_FFI_LIB "hookseal-php/lib/libhookseal_ffi.so" "target/release/libhookseal_ffi.so"; do
	case "$message" in *"$part"*) ;; *) fail "the library-not-found message does not mention $part: $message" ;; esac
done

# --- CLI ----------------------------------------------------------------------------------------------------------
# `cargo install --path` builds in the workspace's target/ (cargo's rule for --path): seconds once `make cli` or the
# release builds above ran; it needs cargo, so it runs with the ordinary PATH.
step "cli: cargo install --path crates/hookseal-cli"
cd "$ROOT"
cargo install --quiet --locked --path crates/hookseal-cli --root "$WORK/cli" 2>&1 |
	grep -v 'be sure to add' >&2 || true
[ -x "$WORK/cli/bin/hookseal" ] || fail "cargo install --path crates/hookseal-cli installed no hookseal"
as_user "$WORK/cli/bin/hookseal" --help >/dev/null || fail "hookseal --help"

step "every package installed and its quick start ran, outside the repository, without cargo or rustc"
