"""The event catalog (catalog/*.schema.json) read into one small model that every language's generator walks, so
that the four generators agree on names, order, optionality and nullability.

Only the JSON Schema the catalogs use is understood (catalog/README.md, "Shape"): `type` (a name, or a list with
"null"), `properties`/`required`, `items`, `$ref` to a `$defs` entry, `format`, `description`; anything else is an
error here, so a catalog that grows a construct makes the generators fail loudly instead of emitting a wrong type."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Union

CATALOG = Path(__file__).resolve().parent.parent
# The order every generator emits providers in (and the file stems).
SLUGS = ["elmed", "baremeds", "novamed", "management-api"]
_KNOWN = {"type", "description", "properties", "required", "additionalProperties", "items", "$ref", "format",
          "x-hookseal-documented"}  # fmt: skip


@dataclass(frozen=True)
class Scalar:
    kind: str  # "string" | "integer" | "number" | "boolean"
    nullable: bool = False
    format: Optional[str] = None


@dataclass(frozen=True)
class Open:
    """A value of any JSON type (the catalog gives none): `unknown` / `Any` / `mixed` / `serde_json::Value`."""

    nullable: bool = True


@dataclass(frozen=True)
class Array:
    items: "Type"
    nullable: bool = False


@dataclass(frozen=True)
class Ref:
    """A shared object of the provider's (`$defs/<name>`, e.g. Baremeds' `medication`): see Provider.shared."""

    name: str
    nullable: bool = False


@dataclass
class Field:
    name: str
    type: "Type"
    required: bool
    description: str = ""


@dataclass
class Object:
    fields: List[Field]
    description: str = ""
    nullable: bool = False


Type = Union[Scalar, Open, Array, Ref, Object]


@dataclass
class Event:
    type: str  # the event type as sent, e.g. "order.status_changed"
    name: str  # PascalCase of it, unique within the provider, e.g. "OrderStatusChanged"
    description: str
    documented: bool  # the document prints its payload
    data: Optional[Object]  # None: open data (the document prints no payload)


@dataclass
class Provider:
    slug: str  # the catalog file's stem: elmed, baremeds, novamed, management-api
    name: str  # PascalCase of the slug: Elmed, Baremeds, Novamed, ManagementApi
    preset: str  # the hookseal preset that verifies it (custom for the Management API)
    source: str
    event_field: str
    events: List[Event]
    shared: Dict[str, Object] = field(default_factory=dict)  # $defs objects referenced by name, in file order
    metadata: Optional[Object] = None  # the envelope's `metadata` where the catalog types it (Baremeds)


def pascal(text: str) -> str:
    """`order.status_changed` -> `OrderStatusChanged`, `medication_request:approved` -> `MedicationRequestApproved`."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def load(slug: str) -> Provider:
    path = CATALOG / f"{slug}.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    meta = schema["x-hookseal"]
    defs = schema["$defs"]
    events = [e for e in meta["events"]]
    provider = Provider(slug, pascal(slug), meta["provider"], meta["source"], meta["event_field"], [])
    root_metadata = schema.get("properties", {}).get("metadata")
    if root_metadata is not None and root_metadata.get("properties"):
        provider.metadata = _object_or_none(root_metadata, f"{slug}: metadata", defs)
    event_defs = set(events) | {f"{e}.data" for e in events}
    for name, definition in defs.items():
        if name not in event_defs:
            obj = _type(definition, f"{slug}: $defs/{name}")
            if not isinstance(obj, Object):
                raise ValueError(f"{slug}: $defs/{name} is shared but not an object")
            provider.shared[name] = obj
    names = set()
    for event_type in events:
        definition = defs[event_type]
        _check_keys(definition, f"{slug}: $defs/{event_type}")
        props = definition.get("properties", {})
        documented = bool(definition.get("x-hookseal-documented"))
        data = _object_or_none(props.get("data"), f"{slug}: {event_type}.data", defs) if documented else None
        name = pascal(event_type)
        if name in names:
            raise ValueError(f"{slug}: two event types make the name {name}")
        names.add(name)
        provider.events.append(
            Event(event_type, name, definition.get("description", ""), documented, data)
        )
    return provider


def load_all() -> List[Provider]:
    return [load(slug) for slug in SLUGS]


def _object_or_none(node: Optional[dict], where: str, defs: dict) -> Optional[Object]:
    if node is None:
        return None
    if "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    result = _type(node, where)
    if not isinstance(result, Object):
        raise ValueError(f"{where} is not an object")
    return result


def _check_keys(node: dict, where: str) -> None:
    unknown = set(node) - _KNOWN
    if unknown:
        raise ValueError(f"{where}: the generators do not know {sorted(unknown)}")


def _type(node: dict, where: str) -> Type:
    _check_keys(node, where)
    if "$ref" in node:
        return Ref(node["$ref"].rsplit("/", 1)[-1])
    raw = node.get("type")
    kinds = [raw] if isinstance(raw, str) else list(raw or [])
    nullable = "null" in kinds
    kinds = [k for k in kinds if k != "null"]
    if not kinds:
        return Open()
    if len(kinds) > 1:
        raise ValueError(f"{where}: several non-null types {kinds}")
    kind = kinds[0]
    if kind == "object":
        required = set(node.get("required", []))
        fields = [
            Field(name, _type(sub, f"{where}.{name}"), name in required, sub.get("description", ""))
            for name, sub in node.get("properties", {}).items()
        ]
        return Object(fields, node.get("description", ""), nullable)
    if kind == "array":
        items = node.get("items")
        return Array(_type(items, f"{where}[]") if items is not None else Open(), nullable)
    if kind in ("string", "integer", "number", "boolean"):
        return Scalar(kind, nullable, node.get("format"))
    raise ValueError(f"{where}: unknown type {kind!r}")
