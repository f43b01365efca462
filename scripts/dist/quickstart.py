#!/usr/bin/env python3
"""Prints one language's README quick start: the fenced code block right after its marker line.

    python3 scripts/dist/quickstart.py README.md python > quickstart.py

The marker is an HTML comment on its own line, `<!-- quickstart: <language> -->` (python, node, wasm, php, rust),
followed (blank lines allowed) by a fenced block whose info string is one the language takes (```python, ```js,
```mjs, ```php, ```rust). Exit 1, saying why, when the marker is missing or repeated, no block follows it, the block
is of another language, or it is never closed: `make test-dist` then fails instead of testing nothing.
"""

import re
import sys

FENCES = {
    "python": {"python", "py"},
    "node": {"js", "javascript", "cjs"},
    "wasm": {"mjs"},
    "php": {"php"},
    "rust": {"rust"},
}


def quickstart(text: str, language: str) -> str:
    marker = f"<!-- quickstart: {language} -->"
    lines = text.splitlines()
    found = [i for i, line in enumerate(lines) if line.strip() == marker]
    if not found:
        raise ValueError(f"no `{marker}` line: the {language} quick start is not marked")
    if len(found) > 1:
        raise ValueError(f"`{marker}` appears {len(found)} times (lines {', '.join(str(i + 1) for i in found)})")
    i = found[0] + 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    opening = re.fullmatch(r"(`{3,})\s*([\w+-]*).*", lines[i]) if i < len(lines) else None
    if opening is None:
        raise ValueError(f"line {found[0] + 1}: `{marker}` is not followed by a fenced code block")
    fence, info = opening.group(1), opening.group(2)
    if info not in FENCES[language]:
        expected = " or ".join(f"```{name}" for name in sorted(FENCES[language]))
        raise ValueError(f"line {i + 1}: the block after `{marker}` is ```{info}, not {expected}")
    body = []
    for line in lines[i + 1:]:
        if line.strip() == fence:
            return "\n".join(body) + "\n"
        body.append(line)
    raise ValueError(f"line {i + 1}: the {language} quick start's code block is never closed")


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[2] not in FENCES:
        print(f"usage: {sys.argv[0]} README.md {{{','.join(FENCES)}}}", file=sys.stderr)
        return 2
    path, language = sys.argv[1], sys.argv[2]
    try:
        with open(path, encoding="utf-8") as file:
            sys.stdout.write(quickstart(file.read(), language))
    except (OSError, ValueError) as error:
        print(f"{path}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
