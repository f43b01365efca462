#!/usr/bin/env bash
# `make test` must leave the checkout as it found it: no tracked file rewritten by a build (a lock file, a generated
# header), no new file outside .gitignore. `save` records the state before the run, `check` compares after it and
# fails, naming the files, when the run changed anything. Outside a git checkout (a source tarball) it does nothing.
#
#     scripts/git-unchanged.sh save|check STATE_FILE
set -euo pipefail
mode=$1 state=$2
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || exit 0

snapshot() {
  # What git reports, and the content of every changed or untracked file (a file already dirty before the run that
  # the run changes again is caught too).
  git status --porcelain=v1 --untracked-files=all
  git status --porcelain=v1 -z --untracked-files=all | tr '\0' '\n' | sed -n 's/^.. //p' | while IFS= read -r f; do
    if [ -f "$f" ]; then printf '%s %s\n' "$(sha256sum < "$f" | cut -c1-64)" "$f"; fi
  done
}

case $mode in
  save) mkdir -p "$(dirname "$state")"; snapshot > "$state" ;;
  check)
    if ! diff -u "$state" <(snapshot) > "$state.diff"; then
      echo "make test changed the checkout (git status below): a build rewrote a tracked file or left a file" \
        "outside .gitignore. Commit the file as the build writes it, or ignore it." >&2

      sed -n '3,$p' "$state.diff" >&2
      exit 1
    fi
    echo "git status: unchanged by make test" ;;
  *) echo "usage: $0 save|check STATE_FILE" >&2; exit 2 ;;
esac
