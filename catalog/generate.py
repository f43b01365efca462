#!/usr/bin/env python3
"""Generates every language's typed events from the catalog (catalog/*.schema.json), or checks the committed files.

    python3 catalog/generate.py           writes them
    python3 catalog/generate.py --check   exits 1, naming each file, when one differs, is missing or is left over

One module per language in catalog/gen/ (python.py, typescript.py, php.py, rust.py), each with
``outputs(providers) -> {path relative to the repository: text}`` and ``OWNED``: the folders or files it alone
writes, so that a file it no longer makes is found too. All of them read the one model of catalog/gen/model.py.
Standard library only: it runs before any virtualenv exists."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "gen"))

import model  # noqa: E402

LANGUAGES = ["python", "typescript", "php", "rust"]


def generated() -> Dict[Path, str]:
    providers = model.load_all()
    files: Dict[Path, str] = {}
    for language in LANGUAGES:
        module = importlib.import_module(language)
        for relative, text in module.outputs(providers).items():
            path = ROOT / relative
            if path in files:
                raise SystemExit(f"catalog/generate.py: two generators write {relative}")
            files[path] = text
    return files


def owned() -> List[Path]:
    """Every file now in the generators' folders (a leftover there is drift too)."""
    found: List[Path] = []
    for language in LANGUAGES:
        for entry in importlib.import_module(language).OWNED:
            path = ROOT / entry
            if path.is_dir():
                found.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            elif path.exists():
                found.append(path)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = parser.parse_args()
    files = generated()
    if args.check:
        drift = [f"{p.relative_to(ROOT)}: differs" for p, text in files.items()
                 if not p.exists() or p.read_text(encoding="utf-8") != text]  # fmt: skip
        drift += [f"{p.relative_to(ROOT)}: not generated any more" for p in owned() if p not in files]
        if drift:
            print("the typed events drifted from the catalog (run `python3 catalog/generate.py` and commit):",
                  *drift, sep="\n  ", file=sys.stderr)  # fmt: skip
            return 1
        print(f"catalog/generate.py --check: {len(files)} generated files match the catalog")
        return 0
    for path in owned():
        if path not in files:
            path.unlink()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    print(f"catalog/generate.py: {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
