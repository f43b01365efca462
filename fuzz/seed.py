#!/usr/bin/env python3
"""Seeds the fuzz corpora (fuzz/corpus/<target>/) from the conformance vectors (tests/vectors/), in each target's
input format (fuzz/src/lib.rs): every vector's delivery becomes a starting point, so the fuzzers begin from bodies
and headers that verify, and from each way they are refused. Standard library only; rewrites the seed files
(named seed-*) and leaves what the fuzzers added."""

from __future__ import annotations

import base64
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
CORPUS = ROOT / "fuzz" / "corpus"
MAX_LEN = 8 * 1024  # bigger bodies are cut: the fuzzers run with -max_len=8192

# fuzz/src/lib.rs presets(): the selector byte of each provider's first preset, and of custom's per scheme.
SELECTOR = {"elmed": 0, "baremeds": 1, "novamed": 2, "standard-webhooks": 3}
CUSTOM = {"hmac-sha256": 4, "shared-key": 5, "standard-webhooks": 6}
SCHEMES = ["hmac-sha256", "shared-key", "standard-webhooks"]


def body_of(case: dict) -> bytes:
    body = case["body"].encode("utf-8") if "body" in case else base64.b64decode(case["body_base64"])
    return body[:MAX_LEN]


def selector(case: dict) -> int:
    if case["provider"] == "custom":
        return CUSTOM.get(case["options"].get("scheme") or "", 4)
    return SELECTOR.get(case["provider"], 0)


def headers_block(case: dict) -> bytes:
    lines = [f"{name}: {value}".encode("utf-8") for name, value in case["headers"] if "\n" not in name + value]
    return b"".join(line + b"\n" for line in lines) + b"\n"


def main() -> None:
    manifest = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))
    seeds: dict[str, dict[str, bytes]] = {t: {} for t in ["headers", "envelope", "verify_raw", "verify_signed",
                                                           "sign_verify"]}
    for file in manifest["files"]:
        for case in json.loads((VECTORS / file).read_text(encoding="utf-8"))["cases"]:
            name = case["name"]
            body = body_of(case)
            block = headers_block(case)
            seeds["headers"][name] = bytes([selector(case)]) + block
            seeds["verify_raw"][name] = bytes([selector(case)]) + block + body
            seeds["envelope"][name] = body
            seeds["verify_signed"][name] = bytes([selector(case)]) + body
            secret = case["options"].get("secret")
            if isinstance(secret, str) and len(secret.encode()) < 256:
                scheme = case["options"].get("scheme") or "hmac-sha256"
                index = SCHEMES.index(scheme) if scheme in SCHEMES else 0
                raw = secret.encode("utf-8")
                seeds["sign_verify"][name] = bytes([index, len(raw)]) + raw + body
    for target, files in seeds.items():
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("seed-*"):
            old.unlink()
        for name, data in files.items():
            (folder / f"seed-{name}").write_bytes(data)
    print(f"fuzz/seed.py: {sum(len(f) for f in seeds.values())} seeds for {len(seeds)} targets in {CORPUS}")


if __name__ == "__main__":
    main()
