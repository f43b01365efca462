# hookseal: one Rust core, thin bindings. `make demo` shows it; `make test` checks everything (CI runs it).
CARGO ?= cargo

.PHONY: demo test tools lint vectors-check test-rust bench cli

## The main job: every provider's documented sample events signed, verified, tampered with, replayed.
demo:
	$(CARGO) run --quiet --release --locked -p hookseal-cli -- demo

## Everything CI checks, installing what a fresh machine lacks.
test: tools lint vectors-check test-rust

tools:
	./scripts/ensure-tools.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

vectors-check:
	python3 tests/vectors/generate.py --check

test-rust:
	$(CARGO) test --workspace --locked

## Criterion benchmarks (not part of `make test`): figures in README.md.
bench:
	$(CARGO) bench -p hookseal --locked

## The `hookseal` command, built into target/release/hookseal.
cli:
	$(CARGO) build --release --locked -p hookseal-cli
