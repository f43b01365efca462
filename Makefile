# hookseal: one Rust core, thin bindings. `make demo` shows it; `make test` checks everything (CI runs it).
CARGO ?= cargo

.PHONY: demo test test-all tools lint vectors-check test-rust test-python python test-node node c-lib php test-php bench bench-python bench-node bench-php cli test-dedupe bench-store bench-router

VENV ?= .venv
VENV_PY := $(VENV)/bin/python
PY_WHEELS := target/wheels/python
# The dedupe store's tests need a Redis: this starts a private redis-server on a free loopback port for one command
# (HOOKSEAL_TEST_REDIS_URL), and stops it afterwards.
WITH_REDIS := ./scripts/with-redis.sh

## The main job: every provider's documented sample events signed, verified, tampered with, replayed.
demo:
	$(CARGO) run --quiet --release --locked -p hookseal-cli -- demo

## Everything CI checks, installing what a fresh machine lacks; it fails if the run leaves `git status` changed.
GIT_STATE := target/git-state-before-test
test:
	@./scripts/git-unchanged.sh save $(GIT_STATE)
	$(MAKE) --no-print-directory test-all
	@./scripts/git-unchanged.sh check $(GIT_STATE)

test-all: tools lint vectors-check catalog-check generated-check test-rust test-python test-node test-c test-php test-wasm test-dedupe test-fuzz \
	test-dist

tools:
	./scripts/ensure-tools.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --manifest-path bench/validators/Cargo.toml -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) clippy -p hookseal --all-targets --features events --locked -- -D warnings

## The vectors are what the generator makes; and the timing verdict (scripts/timing-verdict.py) judges as it should.
vectors-check:
	python3 tests/vectors/generate.py --check
	python3 tests/vectors/store/make_scenarios.py --check
	python3 scripts/test_timing_verdict.py

## The event catalog (catalog/*.schema.json, JSON Schema 2020-12): valid, the shape its README describes, every
## documented sample validating against it, no schema that checks nothing (catalog/check.py, with jsonschema).
.PHONY: catalog-check
catalog-check: $(VENV)/.deps
	$(VENV_PY) catalog/check.py

## The typed events of every language (Python TypedDicts, TypeScript unions, PHP array shapes, Rust serde structs)
## are generated from the catalog and committed: this fails, naming each file, when one drifted (catalog/generate.py).
.PHONY: generate generated-check
generate:
	python3 catalog/generate.py

generated-check:
	python3 catalog/generate.py --check

# The pyo3 and napi crates have no Rust tests (they would need libpython / Node); their host tests exercise them.
test-rust: | tools
	$(WITH_REDIS) $(CARGO) test --workspace --locked --exclude hookseal-python --exclude hookseal-node --exclude hookseal-axum
	# axum (crates/hookseal-axum) on its own: its dev-dependencies would unify features into the core's build above,
	# which must stay the default, serde-free one. Real axum servers on free ports, SQLite files and the Redis.
	$(WITH_REDIS) $(CARGO) test -p hookseal-axum --locked
	# Node's path (cargo feature `host-json`: JSON.parse checks `data`'s grammar): the core's own tests of it.
	$(CARGO) test -p hookseal --features host-json --locked --lib --test host_json --test host_mac --test zero_alloc
	# The typed events (cargo feature `events`), also with the CLI's serde_json features unified in.
	$(CARGO) test -p hookseal -p hookseal-cli --features hookseal/events --locked --test events
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git diff --exit-code -- bindings/c/include || \
		{ echo "bindings/c/include/*.h drifted from the Rust exports (cbindgen): commit the regenerated headers" >&2; exit 1; }; \
	fi

## The C ABI: target/release/libhookseal_ffi.{so,a} and bindings/c/include/hookseal.h (cbindgen, from build.rs).
c-lib:
	$(CARGO) build --release --locked -p hookseal-ffi

## The PHP binding (bindings/php, FFI over the C ABI): checks that PHP loads the library, then every PHPUnit suite
## (vectors, API, 1M-delivery memory loop, examples/php under php -S in both FFI setups). Debian's `phpunit`.
.PHONY: php test-php
php: c-lib
	php -d ffi.enable=1 -r 'require "bindings/php/autoload.php"; new Hookseal\Verifier("elmed", ["secret" => "x"]); echo "hookseal PHP: ok\n";'

test-php: php
	$(WITH_REDIS) phpunit -c bindings/php/phpunit.xml

## The C ABI from C (tests/c): every vector and the header's contract, natively and under valgrind (gcc, valgrind).
.PHONY: test-c
test-c: c-lib
	$(MAKE) -C tests/c

## The Python binding: the wheel built by maturin and installed into .venv, then every test of bindings/python.
python: $(VENV)/.deps
	rm -rf $(PY_WHEELS)
	$(VENV)/bin/maturin build --release --locked --quiet --out $(PY_WHEELS)
	$(VENV)/bin/pip install --quiet --force-reinstall --no-deps $(PY_WHEELS)/hookseal-*.whl

# Order-only on `tools`: a fresh machine gets python3-venv first, without reinstalling the packages on every run.
$(VENV)/.deps: bindings/python/requirements-dev.txt bindings/python/constraints.txt | tools
	test -x $(VENV_PY) || python3 -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check \
		-r bindings/python/requirements-dev.txt -c bindings/python/constraints.txt
	touch $@

test-python: python node_modules/.installed
	$(WITH_REDIS) $(VENV_PY) -m pytest -q bindings/python/tests
	$(VENV_PY) -m mypy.stubtest hookseal
	$(VENV_PY) -m mypy --strict --explicit-package-bases bindings/python/python/hookseal examples/flask examples/fastapi examples/django bindings/python/bench
	# The typed events: a usage file whose `# type: ignore[...]` lines must stay errors (mypy and pyright, strict).
	$(VENV_PY) -m mypy --strict --warn-unused-ignores bindings/python/tests/typing bindings/python/tests/test_router.py
	node_modules/.bin/pyright -p bindings/python/tests/typing --pythonpath $(CURDIR)/$(VENV_PY)

## The Node.js binding: npm packages (package-lock.json) and the napi-rs addon, loaded by require('hookseal').
node: node_modules/.installed
	npm run --silent build
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git diff --exit-code -- bindings/node/native.js bindings/node/native.d.ts || \
		{ echo "bindings/node/native.{js,d.ts} drifted from the Rust exports: commit the regenerated files" >&2; exit 1; }; \
	fi

# `npm install`, not `npm ci`: @napi-rs/cli 3 lists other platforms' optional packages the lock file cannot hold.
node_modules/.installed: package.json package-lock.json | tools
	npm install --no-audit --no-fund --loglevel=error
	touch $@

test-node: node
	$(WITH_REDIS) node --test bindings/node/test/*.test.js
	node_modules/.bin/tsc --noEmit -p bindings/node/test/tsconfig.json

## The WASM build (bindings/wasm): an ES module for browsers and edge workers in bindings/wasm/pkg-web, CommonJS for
## Node in bindings/wasm/pkg-node. rustup has no wasm32 target here, so Debian's rustc-web builds std itself
## (-Z build-std) into its own target dir; panics abort at once (no unwinding, no panic messages in the module).
.PHONY: wasm wasm-toolchain test-wasm bench-wasm
WASM_PKG := bindings/wasm
WASM_OUT := target/wasm/wasm32-unknown-unknown/wasm/hookseal_wasm.wasm
WASM_ENV := RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target/wasm \
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Ctarget-feature=+simd128"
# The features rustc 1.96 enables for wasm32-unknown-unknown, which wasm-bindgen's output uses, and 128-bit SIMD
# (the structural scan of verifyAsync, crates/hookseal/src/structure.rs; docs/decisions.md, "WASM: simd128").
WASM_FEATURES := --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
	--enable-reference-types --enable-multivalue --enable-simd

wasm-toolchain: | tools
	./scripts/ensure-wasm-tools.sh

wasm: node_modules/.installed | wasm-toolchain
	$(WASM_ENV) /usr/bin/cargo build --locked -Z build-std=std,panic_abort --target wasm32-unknown-unknown \
		--profile wasm -p hookseal-wasm
	rm -rf $(WASM_PKG)/pkg-web $(WASM_PKG)/pkg-node
	.tools/bin/wasm-bindgen --target web --out-dir $(WASM_PKG)/pkg-web $(WASM_OUT)
	.tools/bin/wasm-bindgen --target nodejs --out-dir $(WASM_PKG)/pkg-node $(WASM_OUT)
	# npm's binaryen, not Debian's (binaryen 108 corrupts wasm-bindgen's output). Both targets share one module.
	node_modules/.bin/wasm-opt -Oz $(WASM_FEATURES) $(WASM_PKG)/pkg-web/hookseal_wasm_bg.wasm \
		-o $(WASM_PKG)/pkg-web/hookseal_wasm_bg.wasm
	cp $(WASM_PKG)/pkg-web/hookseal_wasm_bg.wasm $(WASM_PKG)/pkg-node/hookseal_wasm_bg.wasm
	node $(WASM_PKG)/build.js

## One vector suite, two builds: the Node binding's suite against pkg-node; then the worker example with real
## Requests, every vector in headless Chromium importing pkg-web, and the WASM-only behaviour.
test-wasm: wasm
	HOOKSEAL_JS_BUILD=$(WASM_PKG)/pkg-node node --test bindings/node/test/vectors.test.js bindings/node/test/router.test.js
	node --test $(WASM_PKG)/test/*.test.js
	node_modules/.bin/tsc --noEmit -p $(WASM_PKG)/test/tsconfig.json

## The WASM benchmark in Node: against WebCrypto and the napi addon (figures in bindings/wasm/README.md); then the
## 1M-delivery memory check through the WASM build (bench_memory.js with HOOKSEAL_JS_BUILD).
bench-wasm: wasm node
	node --expose-gc $(WASM_PKG)/bench/bench_verify.js
	HOOKSEAL_JS_BUILD=$(WASM_PKG)/pkg-node node --expose-gc bindings/node/bench/bench_memory.js
	node --expose-gc $(WASM_PKG)/bench/bench_memory_async.js

## The packages a user installs, written into dist/ (git-ignored; nothing is published): the Python wheel (abi3,
## manylinux_2_34, from the same cargo build as `make python`), the npm package with the x86_64-unknown-linux-gnu
## addon and napi-rs's per-platform package (npm/), the WASM package (hookseal-wasm: the browser/worker build and the
## Node build, picked by `exports` condition), the PHP archive with the prebuilt libhookseal_ffi.so (scripts/dist).
.PHONY: dist test-dist
dist: $(VENV)/.deps node c-lib wasm
	MATURIN=$(VENV)/bin/maturin ./scripts/dist/build.sh

## Each package of dist/ installed into a fresh folder outside the repository, with no cargo or rustc on PATH, and
## that language's README quick start run there (the block after `<!-- quickstart: <language> -->`); then the wheel's
## helpers and stubs, the npm subpaths, the WASM package's conditions, the PHP archive's preload and library lookup,
## and `cargo install --path crates/hookseal-cli` (scripts/dist/test.sh).
test-dist: dist
	./scripts/dist/test.sh

## Exactly once across processes and faults (tests/dedupe, pytest): every example as several processes (gunicorn -w 4,
## two uvicorn, two node, php -S with 4 workers; Django, Fastify, Hono and Laravel too) on one SQLite file and on one
## Redis, 200 concurrent deliveries each;
## a worker killed mid-handler; Redis stopped and paused mid-run; and `hookseal send` / `listen --forward-to` against
## the Flask, Express and PHP examples (test_local_loop.py). It starts (and stops) its own redis-servers.
test-dedupe: python node php cli
	HOOKSEAL_BIN=$(CURDIR)/target/release/hookseal $(VENV_PY) -m pytest -q tests/dedupe

## The router's cost per delivery, beside an if-ladder and verify() (figures in README.md): Rust (criterion), Python,
## Node (napi).
.PHONY: bench-router
bench-router: python node
	$(CARGO) bench -p hookseal --features host-json --locked --bench verify -- 'router-dispatch|verify/elmed/documented-sample'
	$(VENV_PY) bindings/python/bench/bench_router.py
	node bindings/node/bench/bench_router.js

## The dedupe store's cost per delivery (claim + complete) for each backend from each runtime, beside verify().
bench-store: python node php
	$(WITH_REDIS) $(VENV_PY) bindings/python/bench/bench_store.py
	$(WITH_REDIS) node --expose-gc bindings/node/bench/bench_store.js
	$(WITH_REDIS) php -d ffi.enable=1 bindings/php/bench/bench_store.php
	$(WITH_REDIS) $(CARGO) bench -p hookseal-store --locked

## Fuzzing (fuzz/, cargo-fuzz on nightly): every target for FUZZ_SECONDS each (default 60), or FUZZ_RUNS executions
## each (`make fuzz FUZZ_RUNS=10000000`); `make test` runs each for 5 seconds. Crashes land in fuzz/artifacts/.
.PHONY: fuzz fuzz-toolchain test-fuzz
fuzz-toolchain: | tools
	./scripts/ensure-fuzz-tools.sh

fuzz: | fuzz-toolchain
	./fuzz/run.sh

test-fuzz: | fuzz-toolchain
	FUZZ_SECONDS=5 FUZZ_RUNS= ./fuzz/run.sh

## The timing-leak check (crates/hookseal-timing, dudect's Welch t-test): not in `make test`, timing is noisy.
## scripts/timing-verdict.py reads the results: exit 0 every check passed, 1 a difference seen, 2 a control failed.
.PHONY: timing
timing:
	$(CARGO) run --release --locked -p hookseal-timing -- $(ARGS) | python3 scripts/timing-verdict.py

## Criterion benchmarks (not part of `make test`): figures in README.md.
bench:
	$(CARGO) bench -p hookseal --locked

## The core's JSON scan beside the SIMD JSON crates (simd-json, sonic-rs), serde_json, jiter and simdjson itself (C++,
## Debian's libsimdjson-dev), against a bare HMAC-SHA256, on the Rust benchmark's bodies (bench/validators; not in
## `make test`; figures in docs/performance.md).
.PHONY: bench-validators
bench-validators:
	./bench/validators/run.sh

## The Python benchmark: the floor (hmac + orjson.loads), ELMED's snippet and the peers (standardwebhooks, svix,
## stripe, pinned in bindings/python/bench/requirements.txt, installed with this build's wheel into target/bench/python
## by setup.sh) beside hookseal in one table of ratios; then the 1M-delivery memory check (figures in README.md).
bench-python: python
	./bindings/python/bench/setup.sh
	target/bench/python/bin/python bindings/python/bench/bench_verify.py
	$(VENV_PY) bindings/python/bench/bench_memory.py

## The PHP benchmark against ELMED's own snippet (figures in bindings/php/README.md and README.md).
bench-php: php
	php -d ffi.enable=1 bindings/php/bench/bench_verify.php

## The Node benchmark: the floor (createHmac + JSON.parse), ELMED's snippet and the peers (standardwebhooks, svix,
## stripe, @octokit/webhooks-methods, pinned in bindings/node/bench/package-lock.json and installed there) beside
## hookseal in one table of ratios; then the 1M-delivery memory check (figures in README.md).
NODE_BENCH := bindings/node/bench
$(NODE_BENCH)/node_modules/.installed: $(NODE_BENCH)/package.json $(NODE_BENCH)/package-lock.json
	npm ci --prefix $(NODE_BENCH) --no-audit --no-fund --loglevel=error
	touch $@

bench-node: node $(NODE_BENCH)/node_modules/.installed
	node --expose-gc $(NODE_BENCH)/bench_verify.js
	node --expose-gc $(NODE_BENCH)/bench_memory.js

## The `hookseal` command, built into target/release/hookseal.
cli:
	$(CARGO) build --release --locked -p hookseal-cli
