#!/usr/bin/env python3
"""Writes tests/vectors/store/scenarios.json: the dedupe store's conformance scenarios (docs/exactly-once.md), run by
every runtime against every backend. `--check` (make test) fails when the committed file differs."""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "scenarios.json"

LONG = {"repeat": "é", "times": 100000}
LONG_OTHER = {"repeat": "é", "times": 99999, "then": "e"}

SCENARIOS = [
    {
        "name": "first-claim-wins",
        "description": "the first claim processes; a second copy meanwhile is in_progress with the lease left; after "
        "complete, every copy is a duplicate",
        "steps": [
            {"claim": "evt_1", "as": "a", "expect": "claimed"},
            {"claim": "evt_1", "as": "b", "expect": "in_progress", "retry_after": [55, 60]},
            {"complete": "a", "expect": True},
            {"claim": "evt_1", "expect": "duplicate"},
            {"claim": "evt_1", "expect": "duplicate"},
        ],
    },
    {
        "name": "release-lets-the-retry-in",
        "description": "a handler that failed releases its claim: the provider's retry is processed, then done",
        "steps": [
            {"claim": "evt_2", "as": "a", "expect": "claimed"},
            {"release": "a", "expect": True},
            {"claim": "evt_2", "as": "b", "expect": "claimed"},
            {"complete": "b", "expect": True},
            {"claim": "evt_2", "expect": "duplicate"},
        ],
    },
    {
        "name": "complete-acts-once",
        "description": "complete and release report whether they acted: a second complete, or a release after "
        "complete, does nothing",
        "steps": [
            {"claim": "evt_3", "as": "a", "expect": "claimed"},
            {"complete": "a", "expect": True},
            {"complete": "a", "expect": False},
            {"release": "a", "expect": False},
            {"claim": "evt_3", "expect": "duplicate"},
        ],
    },
    {
        "name": "stale-token-after-release",
        "description": "a released claim's token no longer holds the key: its complete is refused and a new claim "
        "is unaffected",
        "steps": [
            {"claim": "evt_4", "as": "a", "expect": "claimed"},
            {"release": "a", "expect": True},
            {"complete": "a", "expect": False},
            {"claim": "evt_4", "as": "b", "expect": "claimed"},
            {"release": "a", "expect": False},
            {"complete": "b", "expect": True},
            {"claim": "evt_4", "expect": "duplicate"},
        ],
    },
    {
        "name": "lease-expiry-and-takeover",
        "description": "a worker that died holds the key only for its lease; then another takes it over, and the "
        "dead worker's late complete and release are refused",
        "lease": 0.3,
        "steps": [
            {"claim": "evt_5", "as": "a", "expect": "claimed"},
            {"claim": "evt_5", "expect": "in_progress", "retry_after": [1, 1]},
            {"wait": 0.5},
            {"claim": "evt_5", "as": "b", "expect": "claimed"},
            {"complete": "a", "expect": False},
            {"release": "a", "expect": False},
            {"complete": "b", "expect": True},
            {"claim": "evt_5", "expect": "duplicate"},
        ],
    },
    {
        "name": "lease-expiry-without-takeover",
        "description": "a claim whose lease ran out no longer holds the key even when nobody took it over "
        "(Redis has already expired it): complete is refused and the key is claimable",
        "lease": 0.3,
        "steps": [
            {"claim": "evt_6", "as": "a", "expect": "claimed"},
            {"wait": 0.5},
            {"complete": "a", "expect": False},
            {"claim": "evt_6", "as": "b", "expect": "claimed"},
            {"complete": "b", "expect": True},
            {"claim": "evt_6", "expect": "duplicate"},
        ],
    },
    {
        "name": "retention",
        "description": "a done key is a duplicate for the retention, then forgotten (claimable again)",
        "retention": 0.3,
        "steps": [
            {"claim": "evt_7", "as": "a", "expect": "claimed"},
            {"complete": "a", "expect": True},
            {"claim": "evt_7", "expect": "duplicate"},
            {"wait": 0.5},
            {"claim": "evt_7", "as": "b", "expect": "claimed"},
            {"complete": "b", "expect": True},
        ],
    },
    {
        "name": "namespaces-are-separate",
        "description": "one key in two namespaces (two endpoints of one provider) is two records",
        "steps": [
            {"claim": "evt_8", "namespace": "x", "as": "a", "expect": "claimed"},
            {"claim": "evt_8", "namespace": "y", "as": "b", "expect": "claimed"},
            {"complete": "a", "expect": True},
            {"claim": "evt_8", "namespace": "x", "expect": "duplicate"},
            {"claim": "evt_8", "namespace": "y", "expect": "in_progress", "retry_after": [55, 60]},
        ],
    },
    {
        "name": "keys-of-any-length-and-bytes",
        "description": "the sender chooses the key: an empty one, 200,000 bytes, NUL, emoji and case all stay "
        "distinct (the store keeps a digest)",
        "steps": [
            {"claim": "", "as": "empty", "expect": "claimed"},
            {"claim": LONG, "as": "long", "expect": "claimed"},
            {"claim": LONG_OTHER, "as": "long2", "expect": "claimed"},
            {"claim": "a\u0000b", "as": "nul", "expect": "claimed"},
            {"claim": "a", "as": "plain", "expect": "claimed"},
            {"claim": "A", "as": "upper", "expect": "claimed"},
            {"claim": "\U0001f48a order", "as": "emoji", "expect": "claimed"},
            {"complete": "long", "expect": True},
            {"claim": LONG, "expect": "duplicate"},
            {"claim": LONG_OTHER, "expect": "in_progress", "retry_after": [55, 60]},
            {"complete": "nul", "expect": True},
            {"claim": "a\u0000b", "expect": "duplicate"},
            {"claim": "a", "expect": "in_progress", "retry_after": [55, 60]},
        ],
    },
    {
        "name": "bad-namespaces",
        "description": "a namespace is 1 to 64 of A-Z a-z 0-9 . _ : - (invalid_option otherwise)",
        "steps": [
            {"claim": "evt_9", "namespace_raw": "", "expect_error": "invalid_option"},
            {"claim": "evt_9", "namespace_raw": "two words", "expect_error": "invalid_option"},
            {"claim": "evt_9", "namespace_raw": "n" * 65, "expect_error": "invalid_option"},
            {"claim": "evt_9", "namespace_raw": "caf\u00e9", "expect_error": "invalid_option"},
            {"claim": "evt_9", "namespace_raw": "a/b", "expect_error": "invalid_option"},
            {"claim": "evt_9", "as": "a", "expect": "claimed"},
        ],
    },
]

URLS = [
    {"name": "memory", "url": "memory:", "expect": {"backend": "memory", "describe": "memory:"}},
    {"name": "memory-with-lease", "url": "memory:?lease=2.5&retention=10",
     "expect": {"backend": "memory", "describe": "memory:?lease=2.5&retention=10"}},
    {"name": "sqlite-absolute", "url": "sqlite:///nonexistent-hookseal-dir/x.db",
     "expect": {"backend": "sqlite", "describe": "sqlite:///nonexistent-hookseal-dir/x.db"}},
    {"name": "sqlite-relative", "url": "sqlite://relative.db", "expect": {"backend": "sqlite", "describe": "sqlite://relative.db"}},
    {"name": "redis-password-hidden", "url": "redis://:hunter2@127.0.0.1:1/0",
     "expect": {"backend": "redis", "describe": "redis://***@127.0.0.1:1/0", "not_in_describe": "hunter2"}},
    {"name": "redis-user-password-hidden", "url": "redis://app:s3cr3t-pw@127.0.0.1:1/2",
     "expect": {"backend": "redis", "describe": "redis://***@127.0.0.1:1/2", "not_in_describe": "s3cr3t-pw"}},
    {"name": "rediss", "url": "rediss://127.0.0.1:1/0", "expect": {"backend": "redis", "describe": "rediss://127.0.0.1:1/0"}},
    {"name": "unknown-scheme", "url": "mysql://root:hunter2@db/app",
     "expect": {"config_error": "invalid_option", "not_in_message": "hunter2"}},
    {"name": "http-url", "url": "http://example.invalid/store", "expect": {"config_error": "invalid_option"}},
    {"name": "empty", "url": "", "expect": {"config_error": "invalid_option"}},
    {"name": "memory-without-colon", "url": "memory", "expect": {"config_error": "invalid_option"}},
    {"name": "sqlite-without-path", "url": "sqlite://", "expect": {"config_error": "invalid_option"}},
    {"name": "sqlite-in-memory", "url": "sqlite:///:memory:", "expect": {"config_error": "invalid_option"}},
    {"name": "redis-without-host", "url": "redis://:hunter2@/0",
     "expect": {"config_error": "invalid_option", "not_in_message": "hunter2"}},
    {"name": "redis-bad-port", "url": "redis://:hunter2@127.0.0.1:notaport/0",
     "expect": {"config_error": "invalid_option", "not_in_message": "hunter2"}},
    {"name": "lease-not-a-number", "url": "memory:?lease=abc", "expect": {"config_error": "invalid_option"}},
    {"name": "lease-zero", "url": "memory:?lease=0", "expect": {"config_error": "invalid_option"}},
    {"name": "lease-negative", "url": "memory:?lease=-1", "expect": {"config_error": "invalid_option"}},
    {"name": "retention-over-a-year", "url": "memory:?retention=40000000", "expect": {"config_error": "invalid_option"}},
    {"name": "lease-twice", "url": "memory:?lease=1&lease=2", "expect": {"config_error": "invalid_option"}},
    {"name": "unknown-parameter", "url": "redis://:hunter2@127.0.0.1:6379/0?timeout=5",
     "expect": {"config_error": "invalid_option", "not_in_message": "hunter2"}},
    {"name": "lease-in-url-and-options", "url": "memory:?lease=2", "options": {"lease": 3},
     "expect": {"config_error": "invalid_option"}},
    {"name": "option-lease-zero", "url": "memory:", "options": {"lease": 0}, "expect": {"config_error": "invalid_option"}},
    {"name": "option-retention-nan", "url": "memory:", "options": {"retention": "NaN"},
     "expect": {"config_error": "invalid_option"}},
]

UNREACHABLE = [
    {"name": "redis-refused", "url": "redis://127.0.0.1:1/0",
     "description": "nothing listens on port 1: connection refused at once"},
    {"name": "redis-refused-password-hidden", "url": "redis://:hunter2@127.0.0.1:1/0", "not_in_message": "hunter2",
     "description": "the failure's message never holds the password"},
    {"name": "sqlite-missing-directory", "url": "sqlite:///nonexistent-hookseal-dir/x.db",
     "description": "the file cannot be created: every claim fails closed until it can"},
]


def main() -> int:
    doc = {
        "description": "hookseal dedupe store scenarios (docs/exactly-once.md); generated by make_scenarios.py. Every "
        "runtime runs every scenario against memory:, a fresh SQLite file and the test Redis; see README.md",
        "counts": {"scenarios": len(SCENARIOS), "urls": len(URLS), "unreachable": len(UNREACHABLE)},
        "scenarios": SCENARIOS,
        "urls": URLS,
        "unreachable": UNREACHABLE,
    }
    text = json.dumps(doc, indent=1, ensure_ascii=True) + "\n"
    if sys.argv[1:] == ["--check"]:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} differs from what make_scenarios.py writes: run it and commit the result", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}: {len(SCENARIOS)} scenarios, {len(URLS)} URLs, {len(UNREACHABLE)} unreachable stores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
