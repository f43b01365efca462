"""Checks the event catalog (catalog/*.schema.json) against itself and against the providers' documented samples.

    .venv/bin/python catalog/check.py        (make catalog-check; make test runs it)

What it checks, failing on any missing or unknown case:
- exactly the four catalogs (elmed, baremeds, novamed, management-api), each a valid JSON Schema 2020-12 with the
  shape catalog/README.md describes: `x-hookseal` (provider, source, event_field, events), one `if`/`then` per
  event type and one `$defs` entry per event type, nothing more and nothing less;
- every documented sample payload (tests/samples/<provider>/*.json) validates against its provider's catalog, its
  event type is in the catalog and marked documented, and every event marked documented has a sample;
- the schemas are not vacuous: each documented sample with one of its `data` fields given a value of another type is
  refused, for every field whose type the catalog states;
- the catalog stays open: an unknown event type, and a known one with an extra field, still validate.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any, Dict, List

from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog"
SAMPLES = ROOT / "tests" / "samples"

# catalog file -> (hookseal preset, samples folder or None)
EXPECTED = {
    "elmed": ("elmed", "elmed"),
    "baremeds": ("baremeds", "baremeds"),
    "novamed": ("novamed", "novamed"),
    "management-api": ("custom", None),
}

failures: List[str] = []


def fail(message: str) -> None:
    failures.append(message)


def wrong_value(schema: Dict[str, Any]) -> Any:
    """A value the field's stated type excludes, or None when the catalog states no type."""
    stated = schema.get("type")
    if stated is None:
        return None
    types = {stated} if isinstance(stated, str) else set(stated)
    for candidate, kind in ((["not", "this"], "array"), ({"not": "this"}, "object"), ("not this", "string")):
        if kind not in types:
            return candidate
    return None


def resolve(root: Dict[str, Any], schema: Dict[str, Any]) -> Dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return root["$defs"][ref[len("#/$defs/"):]]
    return schema


def check_catalog(name: str, preset: str, samples_dir: str | None) -> None:
    path = CATALOG / f"{name}.schema.json"
    try:
        schema = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        fail(f"{path}: cannot read it: {error}")
        return
    where = path.relative_to(ROOT)
    if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
        fail(f"{where}: $schema is not JSON Schema 2020-12")
    try:
        Draft202012Validator.check_schema(schema)
    except Exception as error:  # jsonschema's SchemaError: the message says what is wrong
        fail(f"{where}: not a valid schema: {error}")
        return
    meta = schema.get("x-hookseal", {})
    if meta.get("provider") != preset:
        fail(f"{where}: x-hookseal.provider is {meta.get('provider')!r}, not {preset!r}")
    events: List[str] = meta.get("events", [])
    field = meta.get("event_field")
    if not events or len(set(events)) != len(events):
        fail(f"{where}: x-hookseal.events is empty or repeats an event")
    if schema.get("required") != [field]:
        fail(f"{where}: the envelope must require only its event field {field!r}")
    defs = schema.get("$defs", {})
    branches = {}
    for branch in schema.get("allOf", []):
        event = branch.get("if", {}).get("properties", {}).get(field, {}).get("const")
        target = branch.get("then", {}).get("$ref", "")
        branches[event] = target
    if sorted(branches, key=str) != sorted(events):
        fail(f"{where}: the if/then branches ({sorted(branches, key=str)}) are not the events ({sorted(events)})")
    event_defs = {key for key, value in defs.items() if "x-hookseal-documented" in value}
    if event_defs != set(events):
        fail(f"{where}: the event $defs ({sorted(event_defs)}) are not the events ({sorted(events)})")
    for event, target in branches.items():
        if target != f"#/$defs/{event}":
            fail(f"{where}: the branch for {event!r} refers to {target!r}")
    validator = Draft202012Validator(schema)

    documented = {event for event in events if defs.get(event, {}).get("x-hookseal-documented") is True}
    seen = set()
    if samples_dir is not None:
        for sample_path in sorted((SAMPLES / samples_dir).glob("*.json")):
            sample = json.loads(sample_path.read_text())
            event = sample.get(field)
            label = sample_path.relative_to(ROOT)
            if event not in events:
                fail(f"{label}: its event {event!r} is not in {where}")
                continue
            if event not in documented:
                fail(f"{label}: a documented sample, but {where} marks {event!r} undocumented")
            seen.add(event)
            errors = sorted(validator.iter_errors(sample), key=str)
            for error in errors:
                fail(f"{label}: does not validate against {where}: {error.message} at {list(error.absolute_path)}")
            # Not vacuous: each typed data field with a value of another type is refused.
            data_schema = resolve(schema, defs.get(event, {}).get("properties", {}).get("data", {}))
            mutated_any = False
            for key, field_schema in resolve(schema, data_schema).get("properties", {}).items():
                bad = wrong_value(resolve(schema, field_schema))
                if bad is None or key not in sample.get("data", {}):
                    continue
                broken = copy.deepcopy(sample)
                broken["data"][key] = bad
                mutated_any = True
                if validator.is_valid(broken):
                    fail(f"{label}: data.{key} = {bad!r} still validates: its type is not checked")
            if not mutated_any:
                fail(f"{label}: no data field has a stated type: the schema for {event!r} checks nothing")
    for event in sorted(documented - seen):
        fail(f"{where}: {event!r} is marked documented but tests/samples has no sample of it")

    # Open: an unknown event type validates, and a known one with a field the catalog does not list.
    if not validator.is_valid({field: "hookseal.unknown_event", "data": {"anything": 1}}):
        fail(f"{where}: an unknown event type does not validate (the catalog must stay open)")
    for event in events:
        extra = {field: event, "data": {"field_added_later": True}, "added_later": 1}
        target = defs.get(event, {}).get("properties", {}).get("data", {})
        if resolve(schema, target).get("required"):
            continue  # a documented payload's required fields are missing here: covered by the samples above
        if not validator.is_valid(extra):
            fail(f"{where}: {event!r} with an unknown field does not validate (the catalog must stay open)")


def main() -> int:
    present = {path.name.removesuffix(".schema.json") for path in CATALOG.glob("*.schema.json")}
    for unknown in sorted(present - set(EXPECTED)):
        fail(f"catalog/{unknown}.schema.json: not a catalog this check knows (add it to EXPECTED)")
    for name, (preset, samples) in EXPECTED.items():
        if name not in present:
            fail(f"catalog/{name}.schema.json is missing")
            continue
        check_catalog(name, preset, samples)
    if failures:
        for message in failures:
            print(f"catalog: {message}", file=sys.stderr)
        return 1
    print(f"catalog: {len(EXPECTED)} catalogs valid; every documented sample validates, and none checks nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
