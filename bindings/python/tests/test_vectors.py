"""Every case of tests/vectors/ through the Python API (format: tests/vectors/README.md).

Loading fails on a file missing from or unlisted in manifest.json, a miscounted file, a duplicate name, an unknown
field or an expectation that is not exactly one of event / error / config_error; every case then runs as a test.
"""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import pytest

import hookseal

VECTORS = Path(__file__).resolve().parents[3] / "tests" / "vectors"
CASE_FIELDS = {"name", "description", "provider", "options", "body", "body_base64", "body_repeat", "headers", "now",
               "expect"}
REQUIRED_FIELDS = {"name", "description", "provider", "options", "headers", "expect"}
EVENT_FIELDS = ("provider", "event_type", "idempotency_key", "idempotency_key_source", "timestamp", "data", "is_test",
                "is_retry", "metadata", "clinic_id")
ERROR_CODES = {"missing_header", "malformed_header", "signature_mismatch", "key_mismatch", "payload_too_large",
               "invalid_json", "missing_field", "event_mismatch", "clinic_mismatch", "timestamp_out_of_tolerance"}
CONFIG_ERROR_CODES = {"invalid_secret", "insecure_default_key", "unknown_provider", "invalid_option"}


def load_cases() -> list[dict[str, Any]]:
    manifest = json.loads((VECTORS / "manifest.json").read_text())
    assert set(manifest) == {"description", "files", "total"}, "manifest.json has unknown fields"
    on_disk = {p.name for p in VECTORS.glob("*.json")} - {"manifest.json"}
    assert on_disk == set(manifest["files"]), "vector files on disk and in manifest.json differ"
    cases: list[dict[str, Any]] = []
    names: set[str] = set()
    for file, count in sorted(manifest["files"].items()):
        doc = json.loads((VECTORS / file).read_text())
        assert set(doc) == {"description", "cases"}, f"{file}: unknown top-level fields"
        assert len(doc["cases"]) == count, f"{file}: case count differs from manifest.json"
        for case in doc["cases"]:
            name = case.get("name")
            assert set(case) <= CASE_FIELDS, f"{name}: unknown fields {set(case) - CASE_FIELDS}"
            assert REQUIRED_FIELDS <= set(case), f"{name}: missing fields {REQUIRED_FIELDS - set(case)}"
            assert ("body" in case) != ("body_base64" in case), f"{name}: exactly one of body / body_base64"
            assert name not in names, f"duplicate case name {name}"
            names.add(name)
            expect = case["expect"]
            assert isinstance(expect, dict) and len(expect) == 1, f"{name}: expect has exactly one kind"
            [(kind, value)] = expect.items()
            if kind == "event":
                assert sorted(value) == sorted(EVENT_FIELDS), f"{name}: an event has exactly the 10 fields"
            elif kind == "error":
                assert value in ERROR_CODES, f"{name}: unknown error code {value}"
            elif kind == "config_error":
                assert value in CONFIG_ERROR_CODES, f"{name}: unknown config error code {value}"
            else:
                raise AssertionError(f"{name}: unknown expectation {kind}")
            cases.append(case)
    assert len(cases) == manifest["total"], "manifest total differs from the cases read"
    return cases


CASES = load_cases()


def test_every_vector_is_loaded() -> None:
    # The parametrized test below runs exactly these; a vector file that fails to load fails collection.
    assert len(CASES) >= 300
    assert {c["expect"].keys().__iter__().__next__() for c in CASES} == {"event", "error", "config_error"}


def body_of(case: dict[str, Any]) -> bytes:
    one = case["body"].encode() if "body" in case else base64.b64decode(case["body_base64"], validate=True)
    repeat = case.get("body_repeat", 1)
    assert isinstance(repeat, int) and repeat >= 1
    return one * repeat


def same_json(got: Any, expected: Any) -> bool:
    """JSON equality with Python's types: the expectation was read by json.loads, as the body's values must be, so an
    int stays an int and a float a float (850.00 == 850.0 as floats), and bool is never a number."""
    if isinstance(expected, float):
        return type(got) is float and not math.isnan(expected) and got == expected
    if isinstance(expected, dict):
        return (isinstance(got, dict) and got.keys() == expected.keys()
                and all(same_json(got[k], expected[k]) for k in expected))
    if isinstance(expected, list):
        return (isinstance(got, list) and len(got) == len(expected)
                and all(same_json(g, e) for g, e in zip(got, expected)))
    return type(got) is type(expected) and got == expected


def event_as_dict(event: hookseal.Event) -> dict[str, Any]:
    return {field: getattr(event, field) for field in EVENT_FIELDS}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case: dict[str, Any]) -> None:
    [(kind, expected)] = case["expect"].items()
    try:
        verifier = hookseal.Verifier(case["provider"], **case["options"])
    except hookseal.ConfigError as error:
        assert (kind, expected) == ("config_error", error.code), f"configuration refused: {error}"
        return
    assert kind != "config_error", f"expected ConfigError({expected}), the verifier was built"

    headers = [tuple(pair) for pair in case["headers"]]
    body = body_of(case)
    try:
        event = verifier.verify(body, headers, now=case.get("now"))
    except hookseal.VerificationError as error:
        assert (kind, expected) == ("error", error.code), f"delivery refused: {error}"
        return
    got = event_as_dict(event)
    assert kind == "event", f"expected VerificationError({expected}), verified {got}"
    assert same_json(got, expected), f"event differs:\n  got      {got}\n  expected {expected}"
