#!/usr/bin/env bash
# The Python benchmark's own environment, target/bench/python (git-ignored, as all of target/): the pinned peers of
# bindings/python/bench/requirements.txt, and hookseal from the wheel that `make python` built (target/wheels/python),
# so the benchmark runs this checkout's code. Each install is skipped when it is already there; nothing here touches
# .venv, which `make test` uses.
set -euo pipefail
cd "$(dirname "$0")/../../.."

venv=${HOOKSEAL_BENCH_VENV:-target/bench/python}
requirements=bindings/python/bench/requirements.txt
wheels=target/wheels/python

test -x "$venv/bin/python" || python3 -m venv "$venv"

# The peers: installed again only when requirements.txt changed since the last install.
if ! cmp -s "$requirements" "$venv/.requirements"; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/.requirements"
fi

# hookseal: the one wheel `make python` left, installed again when it is another build.
shopt -s nullglob
built=("$wheels"/hookseal-*.whl)
if [ ${#built[@]} -ne 1 ]; then
  echo "setup.sh: expected one hookseal wheel in $wheels (run \`make python\` first), found ${#built[@]}" >&2
  exit 1
fi
digest=$(sha256sum "${built[0]}" | cut -d' ' -f1)
if [ "$digest" != "$(cat "$venv/.hookseal-wheel" 2>/dev/null || true)" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "${built[0]}"
  echo "$digest" > "$venv/.hookseal-wheel"
fi
