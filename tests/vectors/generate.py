#!/usr/bin/env python3
"""Generate hookseal's shared conformance test vectors.

Python 3.11+, standard library only.  Run from anywhere:

    python3 tests/vectors/generate.py

It rewrites every *.json file beside this script (and removes any other *.json
file there, so that manifest.json always lists exactly the files present).

Every signature is computed here with Python's ``hmac`` module, so the vectors
are an oracle independent of the Rust core.  The only pasted signature is the
public Standard Webhooks test vector, which the script asserts it reproduces.

Each case's expectation is written out by hand below (error codes, and the
scalar fields of every expected event).  As a self-check the script also runs a
small reference verifier written from docs/providers.md and docs/decisions.md over
every case and refuses to write anything if the two disagree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent
MIB = 1024 * 1024


def unix(s: str) -> int:
    """Unix seconds for an ISO 8601 date-time; no offset means UTC."""
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    ts = dt.timestamp()
    assert ts == int(ts), s
    return int(ts)


# ---------------------------------------------------------------------------
# Provider sample payloads, byte for byte as the provider documents show them
# (pretty-printed, two-space indent, no trailing newline).
# ---------------------------------------------------------------------------

SAMPLES_DIR = OUT_DIR.parent / "samples"


def samples(provider: str, names: list[str]) -> dict[str, str]:
    """The providers' documented sample payloads, byte for byte, from tests/samples/ (shared with the Rust tests,
    benches and the CLI demo). File names spell `:` as `.`."""
    return {n: (SAMPLES_DIR / provider / (n.replace(":", ".") + ".json")).read_text(encoding="utf-8") for n in names}


ELMED_SAMPLES = samples("elmed", ["prescription.issued", "prescription.dispensed", "consultation.completed",
                                  "order.status_changed", "claim.decision"])

ELMED_REFERRAL = """{
  "event": "referral.created",
  "timestamp": "2026-03-29T15:10:00",
  "data": {
    "referral_id": 9,
    "patient_id": 7,
    "doctor_user_id": 3,
    "specialist_user_id": 11,
    "specialty": "cardiology",
    "created_at": "2026-03-29T15:09:58"
  }
}"""

BAREMEDS_SAMPLES = samples("baremeds", ["prescription_submitted", "prescription_dosage_changed", "encounter_cancelled",
                                        "message_created", "order_changed", "case_assigned_to_clinician"])

NOVAMED_SAMPLES = samples("novamed", ["order:shipped", "medication_request:approved"])

NOVAMED_CLINIC = "550e8400-e29b-41d4-a716-446655440000"
OTHER_CLINIC = "7c9e6679-7425-40de-944b-e07fc1f90ae7"

# The Management API documents event names and the X-Webhook-Test header but no body;
# these payloads are illustrative (the verifier only needs the generic custom envelope).
MGMT_ORDER_CREATED_TEST = """{
  "event_type": "pharmacy_order_created",
  "event_id": "whtest_01HQZK8M3V6T2R9Y4N7C5B1XWE",
  "timestamp": "2026-03-29T09:15:00Z",
  "data": {
    "order_id": "po_000123",
    "pharmacy_id": "ph_042",
    "patient_id": "pt_777",
    "status": "created",
    "items": [
      {
        "sku": "SKU-AMOX-500",
        "quantity": 2
      }
    ]
  }
}"""
MGMT_ORDER_UPDATED = """{
  "notification_type": "pharmacy_order_updated",
  "id": "ntf_5f1d2c3b4a",
  "timestamp": "2026-03-29T09:20:00Z",
  "data": {
    "order_id": "po_000123",
    "previous_status": "created",
    "status": "dispatched"
  }
}"""
MGMT_STOCK_UPDATED = """{
  "notification_type": "pharmacy_sku_stock_updated",
  "timestamp": "2026-03-29T09:25:00Z",
  "data": {
    "sku": "SKU-AMOX-500",
    "pharmacy_id": "ph_042",
    "stock_level": 17
  }
}"""

# ---------------------------------------------------------------------------
# Secrets and signing helpers (independent of the Rust core)
# ---------------------------------------------------------------------------

ELMED_SECRET = "elmed_whsk_4f9c2a7e1b6d3c8a5e0f"
ELMED_OLD_SECRET = "elmed_whsk_old_0a1b2c3d4e5f6a7b"
WRONG_SECRET = "not-the-configured-secret"
BAREMEDS_KEY = "bm_live_9d2f7c41e8a35b06"
BAREMEDS_OLD_KEY = "bm_live_old_3e5a7c9b"
NOVAMED_KEY = "nm_key_2f8a61c0d94b37e5"
NOVAMED_OLD_KEY = "nm_key_old_18c4"
CUSTOM_SECRET = "custom-signing-secret-7781"
MGMT_HEADER_VALUE = "mgmt-header-value-3c1e9a"

SW_PUBLIC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_PUBLIC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_PUBLIC_TS = 1614265330
SW_PUBLIC_BODY = b'{"test": 2432232314}'
SW_PUBLIC_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
SW_OLD_SECRET = "whsec_" + base64.b64encode(
    hashlib.sha256(b"hookseal standard-webhooks rotated-out key").digest()).decode()
SW_WRONG_SECRET = "whsec_" + base64.b64encode(
    hashlib.sha256(b"hookseal standard-webhooks wrong key").digest()).decode()

ELMED_BASE_NOW = unix("2026-03-29T10:45:00")
assert ELMED_BASE_NOW == 1774781100
SW_NOW = 1774781100  # fresh deliveries on the standard-webhooks scheme use this


def hmac_raw(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()


def hmac_hex(secret: str, body: bytes) -> str:
    return hmac_raw(secret.encode("utf-8"), body).hex()


def hmac_b64(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac_raw(secret.encode("utf-8"), body)).decode()


def sw_key(secret: str) -> bytes:
    # As the reference libraries decode it: padding optional, stray bits in the last character ignored (Python's
    # binascii ignores them), anything outside the alphabet refused.
    s = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    if len(s) % 4 == 1:
        raise ValueError("not base64")
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)


def sw_sig(secret: str, msg_id: str, ts, body: bytes) -> str:
    content = f"{msg_id}.{ts}.".encode("utf-8") + body
    return "v1," + base64.b64encode(hmac_raw(sw_key(secret), content)).decode()


assert sw_sig(SW_PUBLIC_SECRET, SW_PUBLIC_ID, SW_PUBLIC_TS, SW_PUBLIC_BODY) == SW_PUBLIC_SIG, \
    "the public Standard Webhooks test vector must be reproduced"


def digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def b(text: str) -> bytes:
    return text.encode("utf-8")


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, (old, text)
    return text.replace(old, new)


def elmed_sig(body: bytes, secret: str = ELMED_SECRET) -> str:
    return "sha256=" + hmac_hex(secret, body)


def elmed_headers(body: bytes, secret: str = ELMED_SECRET, event: str | None = "auto",
                  extra: list | None = None) -> list:
    h = [["Content-Type", "application/json"], ["X-ELMED-Signature", elmed_sig(body, secret)]]
    if event == "auto":
        event = json.loads(body)["event"]
    if event is not None:
        h.append(["X-ELMED-Event", event])
    return h + (extra or [])


def sw_headers(body: bytes, msg_id: str, ts, secret: str = SW_PUBLIC_SECRET,
               sig: str | None = None, extra: list | None = None) -> list:
    return [
        ["webhook-id", msg_id],
        ["webhook-timestamp", str(ts)],
        ["webhook-signature", sig if sig is not None else sw_sig(secret, msg_id, ts, body)],
        ["Content-Type", "application/json"],
    ] + (extra or [])


# ---------------------------------------------------------------------------
# Case registry
# ---------------------------------------------------------------------------

FILE_DESCRIPTIONS = {
    "elmed.json": "ELMED preset: HMAC-SHA256 hex in X-ELMED-Signature, X-ELMED-Event cross-check, body-digest idempotency, every documented sample event",
    "baremeds.json": "Baremeds-EHR preset: shared key in X-Webhook-Key, insecure default `xxx`, metadata.webhook_key, metadata.request_id and metadata.retry, every documented sample event",
    "novamed.json": "NovaMed preset: shared key in x-api-key, event_type/event_id envelope, expected clinic_id, both documented sample events",
    "standard-webhooks.json": "standard-webhooks preset: webhook-id/-timestamp/-signature, whsec_ secrets, v1 signature lists, the public spec test vector, 300 s default window",
    "custom.json": "custom preset: each scheme, configurable header/prefix/encoding, event-type and idempotency-key field precedence, Management API deliveries",
    "headers.json": "header handling shared by every preset: case-insensitive names, trimmed values, repeated headers, candidate lists and the 16-candidate cap, hex/base64 shapes, X-Webhook-Test",
    "envelope.json": "envelope parsing: strict JSON object, duplicate keys, wrong field types, nulls, nesting depth, numbers kept as JSON text, size limits and the order of checks",
    "tolerance.json": "optional replay window: ISO 8601 with and without offsets, Unix seconds, inclusive symmetric bounds, missing/unparseable timestamps, defaults per preset",
    "options.json": "constructor options: strict names and types, null as unset, preset-specific options, secrets, and every configuration error code",
    "adversarial.json": "hostile input, answered with a contract code (or an event, where the input is legal) in bounded time: 100,000 signatures in a header, a 1 MiB header, 100,000-deep nesting, 1 MiB of whitespace, 1e400, lone surrogates, NUL bytes, invalid UTF-8",
}
FILES: dict[str, list] = {f: [] for f in FILE_DESCRIPTIONS}
NAMES: set[str] = set()

AUTO = object()
DIGEST = object()
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Ev:
    """Hand-written expectation of a verified event."""

    def __init__(self, event_type, key, source, timestamp, *, is_test=False, is_retry=False,
                 clinic_id=None, data=AUTO, metadata=AUTO):
        self.event_type, self.key, self.source, self.timestamp = event_type, key, source, timestamp
        self.is_test, self.is_retry, self.clinic_id = is_test, is_retry, clinic_id
        self.data, self.metadata = data, metadata


class Err:
    def __init__(self, code):
        self.code = code


class Cfg:
    def __init__(self, code):
        self.code = code


REDACTED = "[redacted]"


def redact_meta(meta, provider):
    """Baremeds' metadata.webhook_key equals the configured key: every runtime shows its value as "[redacted]"
    (docs/decisions.md), in `metadata` and in `data` when data falls back to the whole body."""
    if provider == "baremeds" and isinstance(meta, dict) and isinstance(meta.get("webhook_key"), str):
        return {**meta, "webhook_key": REDACTED}
    return meta


def redact_body(body, provider):
    if isinstance(body, dict) and "metadata" in body:
        return {**body, "metadata": redact_meta(body["metadata"], provider)}
    return body


def add(file, name, description, provider, options, body: bytes, headers, expect, *,
        now=None, body_repeat=None):
    assert file in FILES, file
    assert NAME_RE.match(name), name
    assert name not in NAMES, f"duplicate case name {name}"
    NAMES.add(name)
    assert isinstance(body, bytes)
    full_body = body * (body_repeat or 1)

    case = {"name": name, "description": description, "provider": provider, "options": options}
    try:
        text = body.decode("utf-8")
        as_text = "\x00" not in text
    except UnicodeDecodeError:
        as_text = False
    if as_text:
        case["body"] = text
    else:
        case["body_base64"] = base64.b64encode(body).decode("ascii")
    if body_repeat is not None:
        assert isinstance(body_repeat, int) and body_repeat >= 1
        case["body_repeat"] = body_repeat
    assert all(isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h)
               for h in headers), headers
    case["headers"] = headers
    if now is not None:
        case["now"] = now

    if isinstance(expect, Ev):
        parsed = json.loads(full_body)
        data = expect.data
        if data is AUTO:
            data = parsed["data"] if "data" in parsed else redact_body(parsed, provider)
        metadata = expect.metadata
        if metadata is AUTO:
            metadata = redact_meta(parsed.get("metadata"), provider) if provider == "baremeds" else None
        key = digest(full_body) if expect.key is DIGEST else expect.key
        if expect.key is DIGEST:
            assert expect.source == "body_sha256"
        case["expect"] = {"event": {
            "provider": provider,
            "event_type": expect.event_type,
            "idempotency_key": key,
            "idempotency_key_source": expect.source,
            "timestamp": expect.timestamp,
            "data": data,
            "is_test": expect.is_test,
            "is_retry": expect.is_retry,
            "metadata": metadata,
            "clinic_id": expect.clinic_id,
        }}
    elif isinstance(expect, Err):
        case["expect"] = {"error": expect.code}
    elif isinstance(expect, Cfg):
        case["expect"] = {"config_error": expect.code}
    else:
        raise TypeError(expect)
    FILES[file].append(case)


# ===========================================================================
# elmed.json
# ===========================================================================
F = "elmed.json"
ELMED = {"secret": ELMED_SECRET}
ISSUED = b(ELMED_SAMPLES["prescription.issued"])

for ev_name, text in list(ELMED_SAMPLES.items()) + [("referral.created", ELMED_REFERRAL)]:
    body = b(text)
    ts = json.loads(body)["timestamp"]
    slug = ev_name.replace(".", "-").replace("_", "-")
    extra = " (sample constructed by us: ELMED lists the event but shows no payload)" if ev_name == "referral.created" else " (the provider's documented sample payload)"
    if ev_name == "claim.decision":
        extra += "; `850.00` stays in the raw body and parses as the number 850"
    add(F, f"elmed-{slug}-valid",
        f"ELMED `{ev_name}` delivery signed sha256=<hex> over the raw body verifies; idempotency key is the body digest" + extra,
        "elmed", ELMED, body, elmed_headers(body), Ev(ev_name, DIGEST, "body_sha256", ts))

add(F, "elmed-uppercase-hex-valid",
    "the hex signature is accepted in upper case",
    "elmed", ELMED, ISSUED,
    [["X-ELMED-Signature", "sha256=" + hmac_hex(ELMED_SECRET, ISSUED).upper()],
     ["X-ELMED-Event", "prescription.issued"]],
    Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00"))

add(F, "elmed-prefix-uppercase-valid",
    "the `sha256=` prefix is matched ASCII case-insensitively (`SHA256=`)",
    "elmed", ELMED, ISSUED,
    [["X-ELMED-Signature", "SHA256=" + hmac_hex(ELMED_SECRET, ISSUED)]],
    Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00"))

add(F, "elmed-event-header-absent-valid",
    "X-ELMED-Event is optional: without it the body's `event` is used unchecked",
    "elmed", ELMED, ISSUED, elmed_headers(ISSUED, event=None),
    Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00"))

add(F, "elmed-event-header-mismatch",
    "X-ELMED-Event present and different from the body's `event` is event_mismatch (the signature is valid)",
    "elmed", ELMED, ISSUED, elmed_headers(ISSUED, event="prescription.dispensed"),
    Err("event_mismatch"))

add(F, "elmed-event-header-case-differs",
    "X-ELMED-Event must equal the body's `event` exactly; a case difference is event_mismatch",
    "elmed", ELMED, ISSUED, elmed_headers(ISSUED, event="Prescription.Issued"),
    Err("event_mismatch"))

add(F, "elmed-event-header-padded-valid",
    "surrounding whitespace in the X-ELMED-Event value is ignored before the comparison",
    "elmed", ELMED, ISSUED, elmed_headers(ISSUED, event="  prescription.issued\t"),
    Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00"))

add(F, "elmed-signature-header-missing",
    "no X-ELMED-Signature header is missing_header",
    "elmed", ELMED, ISSUED, [["Content-Type", "application/json"], ["X-ELMED-Event", "prescription.issued"]],
    Err("missing_header"))

add(F, "elmed-signature-prefix-missing",
    "a correct hex digest without the `sha256=` prefix cannot be decoded: malformed_header",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", hmac_hex(ELMED_SECRET, ISSUED)]],
    Err("malformed_header"))

add(F, "elmed-signature-wrong-prefix",
    "a `sha1=` prefix is not the configured prefix: malformed_header",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", "sha1=" + hmac_hex(ELMED_SECRET, ISSUED)]],
    Err("malformed_header"))

add(F, "elmed-signature-hex-too-short",
    "a hex digest of 63 digits (wrong length) is malformed_header",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", "sha256=" + hmac_hex(ELMED_SECRET, ISSUED)[:-1]]],
    Err("malformed_header"))

add(F, "elmed-signature-hex-too-long",
    "a hex digest of 66 digits (wrong length) is malformed_header",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", "sha256=" + hmac_hex(ELMED_SECRET, ISSUED) + "00"]],
    Err("malformed_header"))

add(F, "elmed-signature-not-hex",
    "64 characters that are not hex digits are malformed_header",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", "sha256=" + "zz" + hmac_hex(ELMED_SECRET, ISSUED)[2:]]],
    Err("malformed_header"))

add(F, "elmed-signature-wrong-secret",
    "a well-formed signature made with another secret is signature_mismatch",
    "elmed", ELMED, ISSUED, elmed_headers(ISSUED, secret=WRONG_SECRET),
    Err("signature_mismatch"))

tampered = replace_once(ELMED_SAMPLES["prescription.issued"], '"patient_id": 7', '"patient_id": 8')
add(F, "elmed-tampered-body",
    "one byte of the body changed after signing (patient_id 7 -> 8) is signature_mismatch",
    "elmed", ELMED, b(tampered),
    [["X-ELMED-Signature", elmed_sig(ISSUED)], ["X-ELMED-Event", "prescription.issued"]],
    Err("signature_mismatch"))

add(F, "elmed-body-reserialized",
    "the signature covers the raw bytes: the same JSON re-serialized compactly no longer verifies",
    "elmed", ELMED, json.dumps(json.loads(ISSUED), separators=(",", ":")).encode(),
    [["X-ELMED-Signature", elmed_sig(ISSUED)]],
    Err("signature_mismatch"))

ROT = {"secrets": [ELMED_SECRET, ELMED_OLD_SECRET]}
add(F, "elmed-rotation-new-secret-valid",
    "with secrets [new, old] a delivery signed with the new secret passes",
    "elmed", ROT, ISSUED, elmed_headers(ISSUED, secret=ELMED_SECRET),
    Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00"))

add(F, "elmed-rotation-old-secret-valid",
    "with secrets [new, old] a delivery signed with the old secret passes",
    "elmed", ROT, ISSUED, elmed_headers(ISSUED, secret=ELMED_OLD_SECRET),
    Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00"))

add(F, "elmed-rotation-neither-secret",
    "with secrets [new, old] a delivery signed with neither is signature_mismatch",
    "elmed", ROT, ISSUED, elmed_headers(ISSUED, secret=WRONG_SECRET),
    Err("signature_mismatch"))

add(F, "elmed-both-signatures-during-rotation-valid",
    "a provider sending both old and new signatures in one header (`,`-separated) passes with only the old secret configured",
    "elmed", {"secret": ELMED_OLD_SECRET}, ISSUED,
    [["X-ELMED-Signature", elmed_sig(ISSUED, ELMED_SECRET) + "," + elmed_sig(ISSUED, ELMED_OLD_SECRET)]],
    Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00"))

with_id = replace_once(ELMED_SAMPLES["prescription.dispensed"], '"event": "prescription.dispensed",\n',
                       '"event": "prescription.dispensed",\n  "id": "evt_should_be_ignored",\n  "event_id": "evt_also_ignored",\n')
add(F, "elmed-ignores-id-fields",
    "ELMED's idempotency key is always the body digest, even when the body happens to carry `id`/`event_id`",
    "elmed", ELMED, b(with_id), elmed_headers(b(with_id)),
    Ev("prescription.dispensed", DIGEST, "body_sha256", "2026-03-29T11:00:00"))

add(F, "elmed-retry-same-bytes-same-key",
    "a retry re-sends the same bytes, so its key equals the first attempt's body digest; is_retry stays false outside Baremeds",
    "elmed", ELMED, ISSUED, elmed_headers(ISSUED),
    Ev("prescription.issued", "sha256:" + hashlib.sha256(ISSUED).hexdigest(), "body_sha256", "2026-03-29T10:45:00"))

fractional = b('{\n  "event": "prescription.issued",\n  "timestamp": "2026-03-29T10:45:00.123456",\n  "data": {\n    "prescription_id": 43\n  }\n}')
add(F, "elmed-fractional-timestamp-kept",
    "the timestamp (fractional seconds, no UTC offset) is reported exactly as sent",
    "elmed", ELMED, fractional, elmed_headers(fractional),
    Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00.123456"))

# ===========================================================================
# baremeds.json
# ===========================================================================
F = "baremeds.json"
BM = {"secret": BAREMEDS_KEY}
def request_id(text: str) -> str:
    """A shipped Baremeds sample's metadata.request_id (each sample has its own; the docs' `"uuid"` is a placeholder)."""
    return json.loads(text)["metadata"]["request_id"]


SUBMITTED_TEXT = BAREMEDS_SAMPLES["prescription_submitted"]
SUBMITTED = b(SUBMITTED_TEXT)
SUBMITTED_ID = request_id(SUBMITTED_TEXT)
SUBMITTED_REQ = f'"request_id": "{SUBMITTED_ID}"'


def bm_headers(key=BAREMEDS_KEY, extra=None):
    return [["Content-Type", "application/json"], ["X-Webhook-Key", key]] + (extra or [])


for ev_name, text in BAREMEDS_SAMPLES.items():
    add(F, "baremeds-" + ev_name.replace("_", "-") + "-valid",
        f"Baremeds `{ev_name}` documented sample with the right X-Webhook-Key verifies; key from metadata.request_id, metadata reported as sent, is_retry false",
        "baremeds", BM, b(text), bm_headers(),
        Ev(ev_name, request_id(text), "request_id", "2026-01-30T12:00:00Z"))

retry = b(replace_once(SUBMITTED_TEXT, '"retry": false', '"retry": true'))
add(F, "baremeds-retry-true",
    "metadata.retry true is reported as is_retry",
    "baremeds", BM, retry, bm_headers(),
    Ev("prescription_submitted", SUBMITTED_ID, "request_id", "2026-01-30T12:00:00Z", is_retry=True))

no_req = b(replace_once(SUBMITTED_TEXT, f'    {SUBMITTED_REQ},\n', ""))
add(F, "baremeds-without-request-id",
    "metadata without request_id: the idempotency key falls back to the body digest",
    "baremeds", BM, no_req, bm_headers(),
    Ev("prescription_submitted", DIGEST, "body_sha256", "2026-01-30T12:00:00Z"))

no_meta = b('{\n  "event": "order_changed",\n  "timestamp": "2026-01-30T12:00:00Z",\n  "data": {\n    "order_number": "ORDER124",\n    "status": "updated"\n  }\n}')
add(F, "baremeds-without-metadata",
    "no metadata object: metadata is null, is_retry false, key is the body digest",
    "baremeds", BM, no_meta, bm_headers(),
    Ev("order_changed", DIGEST, "body_sha256", "2026-01-30T12:00:00Z", metadata=None))

req_uuid = b(replace_once(SUBMITTED_TEXT, SUBMITTED_REQ, '"request_id": "3f2b8c1e-5d4a-4e7b-9a60-1c2d3e4f5a6b"'))
add(F, "baremeds-request-id-uuid",
    "a real UUID request_id is the idempotency key verbatim",
    "baremeds", BM, req_uuid, bm_headers(),
    Ev("prescription_submitted", "3f2b8c1e-5d4a-4e7b-9a60-1c2d3e4f5a6b", "request_id", "2026-01-30T12:00:00Z"))

req_num = b(replace_once(SUBMITTED_TEXT, SUBMITTED_REQ, '"request_id": 42'))
add(F, "baremeds-request-id-number",
    "a numeric request_id is kept as its JSON text (`42` gives the key \"42\")",
    "baremeds", BM, req_num, bm_headers(),
    Ev("prescription_submitted", "42", "request_id", "2026-01-30T12:00:00Z"))


def with_webhook_key(text, key):
    return b(replace_once(text, '    "retry": false\n', f'    "retry": false,\n    "webhook_key": {json.dumps(key)}\n'))


wk_ok = with_webhook_key(SUBMITTED_TEXT, BAREMEDS_KEY)
add(F, "baremeds-webhook-key-matches",
    "metadata.webhook_key equal to the configured key passes; its value shows as \"[redacted]\" in metadata (it is the secret)",
    "baremeds", BM, wk_ok, bm_headers(),
    Ev("prescription_submitted", SUBMITTED_ID, "request_id", "2026-01-30T12:00:00Z"))

wk_no_data = b('{"event": "order_changed", "metadata": {"request_id": "req-nodata-1", "webhook_key": ' + json.dumps(BAREMEDS_KEY) + '}}')
add(F, "baremeds-webhook-key-redacted-in-whole-body-data",
    "no `data`: data is the whole body, and the metadata.webhook_key inside it is shown as \"[redacted]\" too",
    "baremeds", BM, wk_no_data, bm_headers(),
    Ev("order_changed", "req-nodata-1", "request_id", None))

empty_rid = b('{"event": "order_changed", "data": {}, "metadata": {"request_id": ""}}')
add(F, "baremeds-empty-request-id-is-absent",
    "an empty metadata.request_id names nothing: the key falls back to the body digest",
    "baremeds", BM, empty_rid, bm_headers(), Ev("order_changed", DIGEST, "body_sha256", None))

wk_bad = with_webhook_key(SUBMITTED_TEXT, "optional-key")
add(F, "baremeds-webhook-key-mismatch",
    "metadata.webhook_key different from every configured key is key_mismatch even though X-Webhook-Key is right",
    "baremeds", BM, wk_bad, bm_headers(), Err("key_mismatch"))

add(F, "baremeds-header-wrong-webhook-key-right",
    "a wrong X-Webhook-Key is key_mismatch even when metadata.webhook_key is right (the header is checked first)",
    "baremeds", BM, wk_ok, bm_headers(key="wrong-key-value"), Err("key_mismatch"))

wk_null = b(replace_once(SUBMITTED_TEXT, '    "retry": false\n', '    "retry": false,\n    "webhook_key": null\n'))
add(F, "baremeds-webhook-key-null",
    "metadata.webhook_key null counts as absent",
    "baremeds", BM, wk_null, bm_headers(),
    Ev("prescription_submitted", SUBMITTED_ID, "request_id", "2026-01-30T12:00:00Z"))

BM_ROT = {"secrets": [BAREMEDS_KEY, BAREMEDS_OLD_KEY]}
add(F, "baremeds-rotation-old-key-valid",
    "with secrets [new, old] the old key in X-Webhook-Key passes",
    "baremeds", BM_ROT, SUBMITTED, bm_headers(key=BAREMEDS_OLD_KEY),
    Ev("prescription_submitted", SUBMITTED_ID, "request_id", "2026-01-30T12:00:00Z"))

wk_old = with_webhook_key(SUBMITTED_TEXT, BAREMEDS_OLD_KEY)
add(F, "baremeds-rotation-webhook-key-old-valid",
    "metadata.webhook_key must match a configured key, not necessarily the one in the header",
    "baremeds", BM_ROT, wk_old, bm_headers(key=BAREMEDS_KEY),
    Ev("prescription_submitted", SUBMITTED_ID, "request_id", "2026-01-30T12:00:00Z"))

add(F, "baremeds-rotation-neither-key",
    "with secrets [new, old] a third key is key_mismatch",
    "baremeds", BM_ROT, SUBMITTED, bm_headers(key="bm_live_someone_else"), Err("key_mismatch"))

add(F, "baremeds-insecure-default-allowed",
    "the provider default key `xxx` works when allow_insecure_default is true",
    "baremeds", {"secret": "xxx", "allow_insecure_default": True}, SUBMITTED, bm_headers(key="xxx"),
    Ev("prescription_submitted", SUBMITTED_ID, "request_id", "2026-01-30T12:00:00Z"))

add(F, "baremeds-allow-insecure-with-real-key",
    "allow_insecure_default true with an ordinary key is harmless",
    "baremeds", {"secret": BAREMEDS_KEY, "allow_insecure_default": True}, SUBMITTED, bm_headers(),
    Ev("prescription_submitted", SUBMITTED_ID, "request_id", "2026-01-30T12:00:00Z"))

add(F, "baremeds-key-header-missing",
    "no X-Webhook-Key header is missing_header",
    "baremeds", BM, SUBMITTED, [["Content-Type", "application/json"]], Err("missing_header"))

add(F, "baremeds-wrong-key-same-length",
    "a wrong key of the same length is key_mismatch",
    "baremeds", BM, SUBMITTED, bm_headers(key="bm_live_0000000000000000"), Err("key_mismatch"))

add(F, "baremeds-wrong-key-prefix-of-right-one",
    "a key that is a prefix of the configured key (different length) is key_mismatch",
    "baremeds", BM, SUBMITTED, bm_headers(key=BAREMEDS_KEY[:8]), Err("key_mismatch"))

add(F, "baremeds-key-case-differs",
    "shared keys are compared exactly: the key in upper case is key_mismatch",
    "baremeds", BM, SUBMITTED, bm_headers(key=BAREMEDS_KEY.upper()), Err("key_mismatch"))

add(F, "baremeds-insecure-default-sent-not-configured",
    "a delivery carrying `xxx` to a verifier configured with a real key is key_mismatch",
    "baremeds", BM, SUBMITTED, bm_headers(key="xxx"), Err("key_mismatch"))

add(F, "baremeds-test-delivery",
    "X-Webhook-Test: TRUE (any case) marks the event is_test",
    "baremeds", BM, SUBMITTED, bm_headers(extra=[["X-Webhook-Test", "TRUE"]]),
    Ev("prescription_submitted", SUBMITTED_ID, "request_id", "2026-01-30T12:00:00Z", is_test=True))

wk_bad_no_event = b(replace_once(wk_bad.decode(), '  "event": "prescription_submitted",\n', ""))
add(F, "baremeds-order-webhook-key-before-missing-field",
    "order of checks: metadata.webhook_key (key_mismatch) is checked before the required `event` (missing_field)",
    "baremeds", BM, wk_bad_no_event, bm_headers(), Err("key_mismatch"))

# ===========================================================================
# novamed.json
# ===========================================================================
F = "novamed.json"
NM = {"secret": NOVAMED_KEY}
SHIPPED_TEXT = NOVAMED_SAMPLES["order:shipped"]
SHIPPED = b(SHIPPED_TEXT)


def nm_headers(key=NOVAMED_KEY, name="x-api-key", extra=None):
    return [["Content-Type", "application/json"], [name, key]] + (extra or [])


for ev_name, text in NOVAMED_SAMPLES.items():
    parsed = json.loads(text)
    add(F, "novamed-" + ev_name.replace(":", "-").replace("_", "-") + "-valid",
        f"NovaMed `{ev_name}` documented sample verifies; key from event_id, clinic_id reported",
        "novamed", NM, b(text), nm_headers(),
        Ev(ev_name, parsed["event_id"], "event_id", parsed["timestamp"], clinic_id=NOVAMED_CLINIC))

add(F, "novamed-clinic-id-matches",
    "with clinic_id configured, a delivery for that clinic passes",
    "novamed", {"secret": NOVAMED_KEY, "clinic_id": NOVAMED_CLINIC}, SHIPPED, nm_headers(),
    Ev("order:shipped", "evt_abc123xyz", "event_id", "2025-01-15T10:30:00.000Z", clinic_id=NOVAMED_CLINIC))

add(F, "novamed-clinic-id-mismatch",
    "with clinic_id configured, a delivery for another clinic is clinic_mismatch",
    "novamed", {"secret": NOVAMED_KEY, "clinic_id": OTHER_CLINIC}, SHIPPED, nm_headers(),
    Err("clinic_mismatch"))

no_clinic = b(replace_once(SHIPPED_TEXT, f'  "clinic_id": "{NOVAMED_CLINIC}",\n', ""))
add(F, "novamed-clinic-id-absent-expected",
    "with clinic_id configured, a delivery without clinic_id is clinic_mismatch",
    "novamed", {"secret": NOVAMED_KEY, "clinic_id": NOVAMED_CLINIC}, no_clinic, nm_headers(),
    Err("clinic_mismatch"))

add(F, "novamed-clinic-id-absent-not-expected",
    "without a configured clinic_id, a delivery without clinic_id passes with clinic_id null",
    "novamed", NM, no_clinic, nm_headers(),
    Ev("order:shipped", "evt_abc123xyz", "event_id", "2025-01-15T10:30:00.000Z", clinic_id=None))

clinic_null = b(replace_once(SHIPPED_TEXT, f'"clinic_id": "{NOVAMED_CLINIC}"', '"clinic_id": null'))
add(F, "novamed-clinic-id-null-expected",
    "clinic_id null counts as absent: with clinic_id configured it is clinic_mismatch",
    "novamed", {"secret": NOVAMED_KEY, "clinic_id": NOVAMED_CLINIC}, clinic_null, nm_headers(),
    Err("clinic_mismatch"))

clinic_upper = b(replace_once(SHIPPED_TEXT, f'"clinic_id": "{NOVAMED_CLINIC}"', f'"clinic_id": "{NOVAMED_CLINIC.upper()}"'))
add(F, "novamed-clinic-id-case-differs",
    "clinic ids are compared exactly (an upper-cased UUID is another clinic)",
    "novamed", {"secret": NOVAMED_KEY, "clinic_id": NOVAMED_CLINIC}, clinic_upper, nm_headers(),
    Err("clinic_mismatch"))

no_eid = b(replace_once(SHIPPED_TEXT, '  "event_id": "evt_abc123xyz",\n', ""))
add(F, "novamed-without-event-id",
    "no event_id: the idempotency key is the body digest",
    "novamed", NM, no_eid, nm_headers(),
    Ev("order:shipped", DIGEST, "body_sha256", "2025-01-15T10:30:00.000Z", clinic_id=NOVAMED_CLINIC))

eid_null = b(replace_once(SHIPPED_TEXT, '"event_id": "evt_abc123xyz"', '"event_id": null'))
add(F, "novamed-event-id-null",
    "event_id null counts as absent: the key is the body digest",
    "novamed", NM, eid_null, nm_headers(),
    Ev("order:shipped", DIGEST, "body_sha256", "2025-01-15T10:30:00.000Z", clinic_id=NOVAMED_CLINIC))

eid_num = b(replace_once(SHIPPED_TEXT, '"event_id": "evt_abc123xyz"', '"event_id": 123'))
add(F, "novamed-event-id-number",
    "a numeric event_id is kept as its JSON text: `123` gives the key \"123\"",
    "novamed", NM, eid_num, nm_headers(),
    Ev("order:shipped", "123", "event_id", "2025-01-15T10:30:00.000Z", clinic_id=NOVAMED_CLINIC))

eid_empty = b(replace_once(SHIPPED_TEXT, '"event_id": "evt_abc123xyz"', '"event_id": ""'))
add(F, "novamed-event-id-empty-is-absent",
    "an empty event_id names nothing (it would make every such delivery a duplicate): the key is the body digest",
    "novamed", NM, eid_empty, nm_headers(),
    Ev("order:shipped", DIGEST, "body_sha256", "2025-01-15T10:30:00.000Z", clinic_id=NOVAMED_CLINIC))

type_empty = b(replace_once(SHIPPED_TEXT, '"event_type": "order:shipped"', '"event_type": ""'))
add(F, "novamed-event-type-empty",
    "an empty event_type names no event: missing_field",
    "novamed", NM, type_empty, nm_headers(), Err("missing_field"))

no_type = b(replace_once(SHIPPED_TEXT, '  "event_type": "order:shipped",\n', ""))
add(F, "novamed-event-type-missing",
    "no event_type is missing_field",
    "novamed", NM, no_type, nm_headers(), Err("missing_field"))

event_not_type = b(replace_once(SHIPPED_TEXT, '"event_type": "order:shipped"', '"event": "order:shipped"'))
add(F, "novamed-event-instead-of-event-type",
    "NovaMed's event type is `event_type`; a body with only `event` is missing_field",
    "novamed", NM, event_not_type, nm_headers(), Err("missing_field"))

add(F, "novamed-order-missing-field-before-clinic",
    "order of checks: missing_field comes before clinic_mismatch",
    "novamed", {"secret": NOVAMED_KEY, "clinic_id": OTHER_CLINIC}, no_type, nm_headers(),
    Err("missing_field"))

clinic_num = b(replace_once(SHIPPED_TEXT, f'"clinic_id": "{NOVAMED_CLINIC}"', '"clinic_id": 550'))
add(F, "novamed-clinic-id-not-string",
    "clinic_id must be a string: a number is invalid_json",
    "novamed", NM, clinic_num, nm_headers(), Err("invalid_json"))

add(F, "novamed-wrong-key",
    "a wrong x-api-key is key_mismatch",
    "novamed", NM, SHIPPED, nm_headers(key="your-api-key-here"), Err("key_mismatch"))

add(F, "novamed-key-header-missing",
    "no x-api-key header is missing_header",
    "novamed", NM, SHIPPED, [["Content-Type", "application/json"]], Err("missing_header"))

add(F, "novamed-header-name-uppercase-valid",
    "header names match case-insensitively (`X-API-KEY`)",
    "novamed", NM, SHIPPED, nm_headers(name="X-API-KEY"),
    Ev("order:shipped", "evt_abc123xyz", "event_id", "2025-01-15T10:30:00.000Z", clinic_id=NOVAMED_CLINIC))

NM_ROT = {"secrets": [NOVAMED_KEY, NOVAMED_OLD_KEY]}
add(F, "novamed-rotation-old-key-valid",
    "shared-key rotation: with secrets [new, old] the old key passes",
    "novamed", NM_ROT, SHIPPED, nm_headers(key=NOVAMED_OLD_KEY),
    Ev("order:shipped", "evt_abc123xyz", "event_id", "2025-01-15T10:30:00.000Z", clinic_id=NOVAMED_CLINIC))

add(F, "novamed-rotation-neither-key",
    "shared-key rotation: a key matching neither secret is key_mismatch",
    "novamed", NM_ROT, SHIPPED, nm_headers(key="nm_key_unknown"), Err("key_mismatch"))

meta_nm = b(replace_once(SHIPPED_TEXT, '  "data": {\n', '  "metadata": {\n    "request_id": "req-1",\n    "retry": true\n  },\n  "data": {\n'))
add(F, "novamed-ignores-metadata",
    "metadata, metadata.retry and metadata.request_id are Baremeds-only: NovaMed reports metadata null, is_retry false, key from event_id",
    "novamed", NM, meta_nm, nm_headers(),
    Ev("order:shipped", "evt_abc123xyz", "event_id", "2025-01-15T10:30:00.000Z", clinic_id=NOVAMED_CLINIC))

# ===========================================================================
# standard-webhooks.json
# ===========================================================================
F = "standard-webhooks.json"
SW = {"secret": SW_PUBLIC_SECRET}
PUB_HEADERS = [["webhook-id", SW_PUBLIC_ID], ["webhook-timestamp", str(SW_PUBLIC_TS)],
               ["webhook-signature", SW_PUBLIC_SIG]]
PUB_EVENT = Ev(None, SW_PUBLIC_ID, "webhook_id", None)

add(F, "standard-webhooks-public-vector-valid",
    "the Standard Webhooks spec's public test vector verifies at its own timestamp; no `type`, `timestamp` or `data` in the body: event_type and timestamp null, data is the whole body",
    "standard-webhooks", SW, SW_PUBLIC_BODY, PUB_HEADERS, PUB_EVENT, now=SW_PUBLIC_TS)

add(F, "standard-webhooks-public-vector-stale",
    "the public test vector a day later is timestamp_out_of_tolerance (default 300 s window)",
    "standard-webhooks", SW, SW_PUBLIC_BODY, PUB_HEADERS, Err("timestamp_out_of_tolerance"),
    now=SW_PUBLIC_TS + 86400)

add(F, "standard-webhooks-public-vector-future",
    "the public test vector checked an hour before its timestamp (a timestamp in the future beyond tolerance) is timestamp_out_of_tolerance",
    "standard-webhooks", SW, SW_PUBLIC_BODY, PUB_HEADERS, Err("timestamp_out_of_tolerance"),
    now=SW_PUBLIC_TS - 3600)

add(F, "standard-webhooks-secret-without-prefix-valid",
    "the secret may be given without the `whsec_` prefix",
    "standard-webhooks", {"secret": SW_PUBLIC_SECRET[len("whsec_"):]}, SW_PUBLIC_BODY, PUB_HEADERS,
    PUB_EVENT, now=SW_PUBLIC_TS)

TYPED = b('{"type": "invoice.paid", "timestamp": "2026-03-29T10:44:58Z", "data": {"invoice_id": "in_123", "amount": 4200, "currency": "ZAR"}}')
add(F, "standard-webhooks-typed-envelope-valid",
    "the recommended envelope {type, timestamp, data}: event_type from `type`, timestamp as sent, data the `data` field, key the webhook-id",
    "standard-webhooks", SW, TYPED, sw_headers(TYPED, "msg_2Lq8tVn3Xw9Kp4Rz", SW_NOW),
    Ev("invoice.paid", "msg_2Lq8tVn3Xw9Kp4Rz", "webhook_id", "2026-03-29T10:44:58Z"), now=SW_NOW)

ids_body = b('{"type": "user.created", "id": "usr_123", "event_id": "evt_999", "data": {"id": "usr_123"}}')
add(F, "standard-webhooks-key-is-webhook-id",
    "the idempotency key is the webhook-id header even when the body has `id`/`event_id`",
    "standard-webhooks", SW, ids_body, sw_headers(ids_body, "msg_ids_body_01", SW_NOW),
    Ev("user.created", "msg_ids_body_01", "webhook_id", None), now=SW_NOW)

good = sw_sig(SW_PUBLIC_SECRET, "msg_multi_01", SW_NOW, TYPED)
wrong = sw_sig(SW_WRONG_SECRET, "msg_multi_01", SW_NOW, TYPED)
add(F, "standard-webhooks-signature-list-one-valid",
    "webhook-signature is a space-separated list; one valid v1 entry is enough",
    "standard-webhooks", SW, TYPED, sw_headers(TYPED, "msg_multi_01", SW_NOW, sig=f"{wrong} {good}"),
    Ev("invoice.paid", "msg_multi_01", "webhook_id", "2026-03-29T10:44:58Z"), now=SW_NOW)

add(F, "standard-webhooks-signature-header-repeated",
    "webhook-signature sent twice: every occurrence is read, the second one is valid",
    "standard-webhooks", SW, TYPED,
    [["webhook-id", "msg_multi_01"], ["webhook-timestamp", str(SW_NOW)],
     ["webhook-signature", wrong], ["webhook-signature", good]],
    Ev("invoice.paid", "msg_multi_01", "webhook_id", "2026-03-29T10:44:58Z"), now=SW_NOW)

add(F, "standard-webhooks-joined-header-trailing-comma",
    "repeated headers joined by a proxy as `a, b`: the trailing `,` after the first entry is ignored",
    "standard-webhooks", SW, TYPED, sw_headers(TYPED, "msg_multi_01", SW_NOW, sig=f"{wrong}, {good}"),
    Ev("invoice.paid", "msg_multi_01", "webhook_id", "2026-03-29T10:44:58Z"), now=SW_NOW)

add(F, "standard-webhooks-only-v1-entries-count",
    "an entry with another version (`v2`) is not a candidate even if its bytes are right; the remaining v1 is wrong: signature_mismatch",
    "standard-webhooks", SW, TYPED,
    sw_headers(TYPED, "msg_multi_01", SW_NOW, sig="v2," + good[3:] + " " + wrong),
    Err("signature_mismatch"), now=SW_NOW)

add(F, "standard-webhooks-wrong-secret",
    "a well-formed signature made with another key is signature_mismatch",
    "standard-webhooks", SW, TYPED, sw_headers(TYPED, "msg_wrong_01", SW_NOW, secret=SW_WRONG_SECRET),
    Err("signature_mismatch"), now=SW_NOW)

add(F, "standard-webhooks-wrong-secret-and-stale",
    "the signature is checked before the window: a bad signature on a stale delivery is signature_mismatch, not timestamp_out_of_tolerance",
    "standard-webhooks", SW, TYPED, sw_headers(TYPED, "msg_wrong_02", SW_NOW - 7200, secret=SW_WRONG_SECRET),
    Err("signature_mismatch"), now=SW_NOW)

add(F, "standard-webhooks-id-tampered",
    "the webhook-id is part of the signed content: changing it is signature_mismatch",
    "standard-webhooks", SW, TYPED,
    sw_headers(TYPED, "msg_tampered_02", SW_NOW, sig=sw_sig(SW_PUBLIC_SECRET, "msg_tampered_01", SW_NOW, TYPED)),
    Err("signature_mismatch"), now=SW_NOW)

add(F, "standard-webhooks-timestamp-tampered",
    "the webhook-timestamp is part of the signed content: changing it (within the window) is signature_mismatch",
    "standard-webhooks", SW, TYPED,
    [["webhook-id", "msg_ts_01"], ["webhook-timestamp", str(SW_NOW - 10)],
     ["webhook-signature", sw_sig(SW_PUBLIC_SECRET, "msg_ts_01", SW_NOW, TYPED)]],
    Err("signature_mismatch"), now=SW_NOW)

add(F, "standard-webhooks-body-tampered",
    "the public vector's body with one digit changed is signature_mismatch",
    "standard-webhooks", SW, b'{"test": 2432232315}', PUB_HEADERS, Err("signature_mismatch"), now=SW_PUBLIC_TS)

for missing in ("webhook-id", "webhook-timestamp", "webhook-signature"):
    add(F, f"standard-webhooks-{missing}-missing",
        f"no `{missing}` header is missing_header",
        "standard-webhooks", SW, SW_PUBLIC_BODY, [h for h in PUB_HEADERS if h[0] != missing],
        Err("missing_header"), now=SW_PUBLIC_TS)

add(F, "standard-webhooks-timestamp-not-integer",
    "webhook-timestamp must be an integer number of seconds: `1614265330.5` is malformed_header",
    "standard-webhooks", SW, SW_PUBLIC_BODY,
    [["webhook-id", SW_PUBLIC_ID], ["webhook-timestamp", "1614265330.5"], ["webhook-signature", SW_PUBLIC_SIG]],
    Err("malformed_header"), now=SW_PUBLIC_TS)

add(F, "standard-webhooks-timestamp-iso",
    "webhook-timestamp as an ISO date is not an integer: malformed_header",
    "standard-webhooks", SW, SW_PUBLIC_BODY,
    [["webhook-id", SW_PUBLIC_ID], ["webhook-timestamp", "2021-02-25T15:02:10Z"], ["webhook-signature", SW_PUBLIC_SIG]],
    Err("malformed_header"), now=SW_PUBLIC_TS)

add(F, "standard-webhooks-signature-not-base64",
    "a v1 entry that is not base64 is malformed_header",
    "standard-webhooks", SW, SW_PUBLIC_BODY,
    [["webhook-id", SW_PUBLIC_ID], ["webhook-timestamp", str(SW_PUBLIC_TS)], ["webhook-signature", "v1,not*base64*at*all!"]],
    Err("malformed_header"), now=SW_PUBLIC_TS)

add(F, "standard-webhooks-signature-wrong-length",
    "a v1 entry decoding to 16 bytes instead of 32 is malformed_header",
    "standard-webhooks", SW, SW_PUBLIC_BODY,
    [["webhook-id", SW_PUBLIC_ID], ["webhook-timestamp", str(SW_PUBLIC_TS)],
     ["webhook-signature", "v1," + base64.b64encode(bytes(range(16))).decode()]],
    Err("malformed_header"), now=SW_PUBLIC_TS)

add(F, "standard-webhooks-malformed-and-wrong",
    "one malformed v1 entry and one well-formed wrong entry: signature_mismatch",
    "standard-webhooks", SW, TYPED,
    sw_headers(TYPED, "msg_multi_01", SW_NOW, sig="v1,@@@@ " + wrong),
    Err("signature_mismatch"), now=SW_NOW)

SW_ROT = {"secrets": [SW_PUBLIC_SECRET, SW_OLD_SECRET]}
add(F, "standard-webhooks-rotation-old-secret-valid",
    "with secrets [new, old] a delivery signed with the old whsec_ key passes",
    "standard-webhooks", SW_ROT, TYPED, sw_headers(TYPED, "msg_rot_01", SW_NOW, secret=SW_OLD_SECRET),
    Ev("invoice.paid", "msg_rot_01", "webhook_id", "2026-03-29T10:44:58Z"), now=SW_NOW)

add(F, "standard-webhooks-rotation-neither-secret",
    "with secrets [new, old] a delivery signed with a third key is signature_mismatch",
    "standard-webhooks", SW_ROT, TYPED, sw_headers(TYPED, "msg_rot_02", SW_NOW, secret=SW_WRONG_SECRET),
    Err("signature_mismatch"), now=SW_NOW)

add(F, "standard-webhooks-header-names-mixed-case",
    "Webhook-Id / WEBHOOK-TIMESTAMP / Webhook-Signature match case-insensitively; values are trimmed",
    "standard-webhooks", SW, SW_PUBLIC_BODY,
    [["Webhook-Id", " " + SW_PUBLIC_ID + " "], ["WEBHOOK-TIMESTAMP", str(SW_PUBLIC_TS) + " "],
     ["Webhook-Signature", "  " + SW_PUBLIC_SIG]],
    PUB_EVENT, now=SW_PUBLIC_TS)

add(F, "standard-webhooks-test-delivery",
    "X-Webhook-Test: true marks a Standard Webhooks event is_test too",
    "standard-webhooks", SW, TYPED, sw_headers(TYPED, "msg_test_01", SW_NOW, extra=[["X-Webhook-Test", "true"]]),
    Ev("invoice.paid", "msg_test_01", "webhook_id", "2026-03-29T10:44:58Z", is_test=True), now=SW_NOW)

arr = b('[{"type": "invoice.paid"}]')
add(F, "standard-webhooks-array-body",
    "nothing in the body is required, but it must still be a JSON object: an array is invalid_json",
    "standard-webhooks", SW, arr, sw_headers(arr, "msg_arr_01", SW_NOW), Err("invalid_json"), now=SW_NOW)

type_num = b('{"type": 5, "data": {}}')
add(F, "standard-webhooks-type-not-string",
    "`type` present but not a string is invalid_json",
    "standard-webhooks", SW, type_num, sw_headers(type_num, "msg_type_01", SW_NOW), Err("invalid_json"), now=SW_NOW)

type_null = b('{"type": null, "data": {"x": 1}}')
add(F, "standard-webhooks-type-null",
    "`type` null counts as absent: event_type null, the delivery passes",
    "standard-webhooks", SW, type_null, sw_headers(type_null, "msg_type_02", SW_NOW),
    Ev(None, "msg_type_02", "webhook_id", None), now=SW_NOW)

data_absent = b('{"type": "ping", "message": "hello"}')
add(F, "standard-webhooks-data-absent",
    "no `data` field: data is the whole body object",
    "standard-webhooks", SW, data_absent, sw_headers(data_absent, "msg_ping_01", SW_NOW),
    Ev("ping", "msg_ping_01", "webhook_id", None), now=SW_NOW)

svix_sig = sw_sig(SW_PUBLIC_SECRET, "msg_svix_01", SW_NOW, TYPED)
add(F, "standard-webhooks-svix-header-names",
    "Svix sends the same scheme as svix-id / svix-timestamp / svix-signature: read where the webhook-* headers are absent",
    "standard-webhooks", SW, TYPED,
    [["svix-id", "msg_svix_01"], ["svix-timestamp", str(SW_NOW)], ["svix-signature", svix_sig],
     ["Content-Type", "application/json"]],
    Ev("invoice.paid", "msg_svix_01", "webhook_id", "2026-03-29T10:44:58Z"), now=SW_NOW)
add(F, "standard-webhooks-svix-stale",
    "the window applies to svix-timestamp the same way: an hour old is timestamp_out_of_tolerance",
    "standard-webhooks", SW, TYPED,
    [["svix-id", "msg_svix_01"], ["svix-timestamp", str(SW_NOW)], ["svix-signature", svix_sig]],
    Err("timestamp_out_of_tolerance"), now=SW_NOW + 3600)

# Interop with the reference libraries (Python's and JavaScript's standardwebhooks) and with Svix.
# Secrets: base64 as they decode it, padding optional and stray bits in the last character ignored.
INTEROP_KEY = bytes(range(1, 33))  # 32 bytes: 43 base64 characters and one `=`; the 43rd carries 2 unused bits
INTEROP_B64 = base64.b64encode(INTEROP_KEY).decode()
assert INTEROP_B64.endswith("=") and len(INTEROP_B64) == 44
INTEROP_SECRET = "whsec_" + INTEROP_B64
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
last = ALPHABET.index(INTEROP_B64[42])
assert last & 0b11 == 0, "the canonical encoding leaves the unused bits zero"
STRAY = INTEROP_B64[:42] + ALPHABET[last | 0b11]  # the same key, its 2 unused bits set, unpadded
assert base64.b64decode(STRAY + "=") == INTEROP_KEY, "Python's base64 (what the reference library uses) agrees"
interop_body = b('{"type": "invoice.paid", "data": {"invoice_id": "in_interop"}}')
interop_content = f"msg_interop_01.{SW_NOW}.".encode() + interop_body
interop_sig = "v1," + base64.b64encode(hmac_raw(INTEROP_KEY, interop_content)).decode()
interop_headers = [["webhook-id", "msg_interop_01"], ["webhook-timestamp", str(SW_NOW)],
                   ["webhook-signature", interop_sig]]
interop_event = Ev("invoice.paid", "msg_interop_01", "webhook_id", None)
for case, secret, description in (
    ("secret-canonical-valid", INTEROP_SECRET, "a 32-byte key's canonical base64 (43 characters and `=`) is the key"),
    ("secret-unpadded-valid", INTEROP_SECRET.rstrip("="),
     "padding is optional: the same secret without its `=` is the same key"),
    ("secret-stray-bits-valid", "whsec_" + STRAY,
     "stray bits in the last base64 character are ignored, as the reference libraries ignore them: the same key"),
    ("secret-stray-bits-padded-valid", "whsec_" + STRAY + "=",
     "stray bits with the padding present: still the same key"),
    ("secret-stray-bits-no-prefix-valid", STRAY, "stray bits, without `whsec_`: the same key"),
):
    add(F, "standard-webhooks-" + case, description, "standard-webhooks", {"secret": secret}, interop_body,
        interop_headers, interop_event, now=SW_NOW)

# webhook-timestamp: a non-negative integer of seconds, digits only; anything else is malformed_header, whether the
# window is on (300 s by default) or off (tolerance 0).
for label, value in (("negative", f"-{SW_NOW}"), ("plus-sign", f"+{SW_NOW}"), ("exponent", "1.7747811e9"),
                     ("hex", hex(SW_NOW)), ("inner-space", f"{SW_NOW // 1000} {SW_NOW % 1000:03d}"),
                     ("empty", ""), ("letters", "now"), ("overflow", "9" * 30)):
    for window, options in (("", SW), ("-window-off", {"secret": SW_PUBLIC_SECRET, "tolerance": 0})):
        add(F, f"standard-webhooks-timestamp-{label}{window}",
            f"webhook-timestamp `{value}` is not a non-negative integer of seconds: malformed_header"
            + (" (with the window off too)" if window else ""),
            "standard-webhooks", options, TYPED,
            [["webhook-id", "msg_ts_shape"], ["webhook-timestamp", value],
             ["webhook-signature", sw_sig(SW_PUBLIC_SECRET, "msg_ts_shape", value, TYPED)]],
            Err("malformed_header"), now=SW_NOW)
add(F, "standard-webhooks-timestamp-zero-window-off",
    "0 is a non-negative integer: with the window off, a delivery stamped 0 (1970) passes",
    "standard-webhooks", {"secret": SW_PUBLIC_SECRET, "tolerance": 0}, TYPED, sw_headers(TYPED, "msg_ts_zero", 0),
    Ev("invoice.paid", "msg_ts_zero", "webhook_id", "2026-03-29T10:44:58Z"), now=SW_NOW)
add(F, "standard-webhooks-timestamp-leading-zeros",
    "digits only: leading zeros are still the same whole number of seconds (and what was signed is the header as sent)",
    "standard-webhooks", SW, TYPED, sw_headers(TYPED, "msg_ts_zeros", f"00{SW_NOW}"),
    Ev("invoice.paid", "msg_ts_zeros", "webhook_id", "2026-03-29T10:44:58Z"), now=SW_NOW)

# Svix's header names beside the standard ones.
add(F, "standard-webhooks-svix-names-any-case",
    "svix-* names match case-insensitively, as every header name does",
    "standard-webhooks", SW, TYPED,
    [["Svix-Id", "msg_svix_01"], ["SVIX-TIMESTAMP", str(SW_NOW)], ["Svix-Signature", svix_sig]],
    Ev("invoice.paid", "msg_svix_01", "webhook_id", "2026-03-29T10:44:58Z"), now=SW_NOW)
add(F, "standard-webhooks-webhook-names-win-over-svix",
    "where both are present the webhook-* headers are read and the svix-* ones ignored",
    "standard-webhooks", SW, TYPED,
    sw_headers(TYPED, "msg_both_01", SW_NOW,
               extra=[["svix-id", "msg_other"], ["svix-timestamp", "1"], ["svix-signature", "v1,bm90IGl0"]]),
    Ev("invoice.paid", "msg_both_01", "webhook_id", "2026-03-29T10:44:58Z"), now=SW_NOW)
add(F, "standard-webhooks-svix-signature-webhook-id",
    "each header is read on its own: webhook-id and webhook-timestamp with svix-signature verify",
    "standard-webhooks", SW, TYPED,
    [["webhook-id", "msg_mixed_01"], ["webhook-timestamp", str(SW_NOW)],
     ["svix-signature", sw_sig(SW_PUBLIC_SECRET, "msg_mixed_01", SW_NOW, TYPED)]],
    Ev("invoice.paid", "msg_mixed_01", "webhook_id", "2026-03-29T10:44:58Z"), now=SW_NOW)
add(F, "standard-webhooks-svix-timestamp-malformed",
    "svix-timestamp follows the same rule as webhook-timestamp: `-1` is malformed_header",
    "standard-webhooks", SW, TYPED,
    [["svix-id", "msg_svix_01"], ["svix-timestamp", "-1"], ["svix-signature", svix_sig]],
    Err("malformed_header"), now=SW_NOW)
add(F, "standard-webhooks-svix-wrong-secret",
    "svix-signature made with another secret is signature_mismatch",
    "standard-webhooks", SW, TYPED,
    [["svix-id", "msg_svix_01"], ["svix-timestamp", str(SW_NOW)],
     ["svix-signature", sw_sig(SW_WRONG_SECRET, "msg_svix_01", SW_NOW, TYPED)]],
    Err("signature_mismatch"), now=SW_NOW)

only_v2 = b('{"type": "invoice.paid", "data": {}}')
add(F, "standard-webhooks-no-v1-entry",
    "a webhook-signature list with no v1 entry (only another version) holds nothing hookseal can check: malformed_header",
    "standard-webhooks", SW, only_v2,
    sw_headers(only_v2, "msg_v2_01", SW_NOW, sig="v2," + sw_sig(SW_PUBLIC_SECRET, "msg_v2_01", SW_NOW, only_v2)[3:]),
    Err("malformed_header"), now=SW_NOW)

# ===========================================================================
# custom.json
# ===========================================================================
F = "custom.json"
CH = {"secret": CUSTOM_SECRET, "scheme": "hmac-sha256", "header": "X-Signature"}


def ch_headers(body, secret=CUSTOM_SECRET, header="X-Signature", prefix="", enc="hex", extra=None):
    sig = hmac_hex(secret, body) if enc == "hex" else hmac_b64(secret, body)
    return [["Content-Type", "application/json"], [header, prefix + sig]] + (extra or [])


def add_custom_event(name, description, body_text, event_type, key, source, timestamp=None, options=CH, **kw):
    body = b(body_text)
    add(F, name, description, "custom", options, body, ch_headers(body),
        Ev(event_type, key, source, timestamp, **kw))


add_custom_event("custom-event-field-and-event-id",
                 "hmac-sha256 hex with no prefix (the default): event type from `event`, key from `event_id` (source event_id)",
                 '{"event": "subscription.renewed", "event_id": "evt_0001", "timestamp": "2026-03-29T10:00:00Z", "data": {"plan": "pro"}}',
                 "subscription.renewed", "evt_0001", "event_id", "2026-03-29T10:00:00Z")
add_custom_event("custom-event-type-field-and-id",
                 "event type from `event_type`, key from `id` (source event_id)",
                 '{"event_type": "refund.issued", "id": "rf_42", "data": {"amount": 100}}',
                 "refund.issued", "rf_42", "event_id")
add_custom_event("custom-type-field-and-request-id",
                 "event type from `type`, key from `metadata.request_id` (source request_id); metadata is still null for custom",
                 '{"type": "lab.result_ready", "metadata": {"request_id": "req-77"}, "data": {"lab_id": 5}}',
                 "lab.result_ready", "req-77", "request_id")
add_custom_event("custom-notification-type-field-and-digest",
                 "event type from `notification_type`, no id field at all: key is the body digest",
                 '{"notification_type": "patient_doctor_meeting_updated", "data": {"meeting_id": "m_9", "state": "ended"}}',
                 "patient_doctor_meeting_updated", DIGEST, "body_sha256")
add_custom_event("custom-event-beats-event-type",
                 "`event` wins over `event_type` when both are present",
                 '{"event_type": "second", "event": "first", "id": "x1"}',
                 "first", "x1", "event_id")
add_custom_event("custom-event-type-beats-type",
                 "`event_type` wins over `type` and `notification_type`",
                 '{"notification_type": "fourth", "type": "third", "event_type": "second", "id": "x2"}',
                 "second", "x2", "event_id")
add_custom_event("custom-type-beats-notification-type",
                 "`type` wins over `notification_type`",
                 '{"notification_type": "fourth", "type": "third", "id": "x3"}',
                 "third", "x3", "event_id")
add_custom_event("custom-null-event-falls-through",
                 "a null `event` counts as absent: the next present name (`type`) is used",
                 '{"event": null, "type": "third", "id": "x4"}',
                 "third", "x4", "event_id")
add_custom_event("custom-event-id-beats-id",
                 "`event_id` wins over `id` and `metadata.request_id`",
                 '{"event": "e", "id": "id_2", "event_id": "eid_1", "metadata": {"request_id": "req_3"}}',
                 "e", "eid_1", "event_id")
add_custom_event("custom-id-beats-request-id",
                 "`id` wins over `metadata.request_id` (both give a key; id's source is event_id)",
                 '{"event": "e", "metadata": {"request_id": "req_3"}, "id": "id_2"}',
                 "e", "id_2", "event_id")
add_custom_event("custom-numeric-id",
                 "a numeric `id` is kept as its JSON text",
                 '{"event": "e", "id": 42}',
                 "e", "42", "event_id")
add_custom_event("custom-ignores-baremeds-fields",
                 "custom never reports metadata, is_retry or clinic_id, and ignores metadata.webhook_key",
                 '{"event": "e", "clinic_id": "c_1", "metadata": {"retry": true, "webhook_key": "anything"}, "data": [1, 2]}',
                 "e", DIGEST, "body_sha256", None, clinic_id=None, is_retry=False)

missing_all = b('{"id": "x5", "data": {"kind": "unknown"}}')
add(F, "custom-event-type-missing",
    "none of event/event_type/type/notification_type: missing_field",
    "custom", CH, missing_all, ch_headers(missing_all), Err("missing_field"))

CB64 = {"secret": CUSTOM_SECRET, "scheme": "hmac-sha256", "header": "X-Hub-Signature-256", "prefix": "sha256=", "encoding": "base64"}
b64_body = b('{"event": "invoice.paid", "id": "inv_001"}')
add(F, "custom-base64-with-prefix-valid",
    "hmac-sha256 with encoding base64 and prefix `sha256=`",
    "custom", CB64, b64_body, ch_headers(b64_body, header="X-Hub-Signature-256", prefix="sha256=", enc="base64"),
    Ev("invoice.paid", "inv_001", "event_id", None))

add(F, "custom-base64-unpadded-valid",
    "base64 padding is optional",
    "custom", CB64, b64_body,
    [["X-Hub-Signature-256", "sha256=" + hmac_b64(CUSTOM_SECRET, b64_body).rstrip("=")]],
    Ev("invoice.paid", "inv_001", "event_id", None))

# a body whose standard-base64 signature contains '+' or '/', to pin the alphabet
n = 0
while True:
    urlsafe_body = b('{"event": "invoice.paid", "id": "inv_%03d"}' % n)
    std_sig = hmac_b64(CUSTOM_SECRET, urlsafe_body)
    if "+" in std_sig or "/" in std_sig:
        break
    n += 1
add(F, "custom-base64-urlsafe-alphabet",
    "base64 means the standard alphabet: the same digest in the URL-safe alphabet (`-`/`_`) is malformed_header",
    "custom", CB64, urlsafe_body,
    [["X-Hub-Signature-256", "sha256=" + std_sig.replace("+", "-").replace("/", "_")]],
    Err("malformed_header"))

add(F, "custom-base64-given-hex",
    "with encoding base64 a hex digest (64 characters, decodes to 48 bytes) is malformed_header",
    "custom", CB64, b64_body, [["X-Hub-Signature-256", "sha256=" + hmac_hex(CUSTOM_SECRET, b64_body)]],
    Err("malformed_header"))

add(F, "custom-hex-given-base64",
    "with encoding hex (default) a base64 digest is malformed_header",
    "custom", CH, b64_body, [["X-Signature", hmac_b64(CUSTOM_SECRET, b64_body)]], Err("malformed_header"))

add(F, "custom-hmac-wrong-secret",
    "custom hmac-sha256 with a signature from another secret is signature_mismatch",
    "custom", CH, b64_body, ch_headers(b64_body, secret=WRONG_SECRET), Err("signature_mismatch"))

MGMT = {"secret": MGMT_HEADER_VALUE, "scheme": "shared-key", "header": "X-Custom-Auth"}
mgmt_test = b(MGMT_ORDER_CREATED_TEST)
add(F, "custom-management-api-test-delivery",
    "Management API test delivery (`pharmacy_order_created`, illustrative body) through custom shared-key header X-Custom-Auth (the integrator's header_key/header_value), with X-Webhook-Test: true -> is_test",
    "custom", MGMT, mgmt_test,
    [["Content-Type", "application/json"], ["X-Custom-Auth", MGMT_HEADER_VALUE], ["X-Webhook-Test", "true"]],
    Ev("pharmacy_order_created", "whtest_01HQZK8M3V6T2R9Y4N7C5B1XWE", "event_id", "2026-03-29T09:15:00Z", is_test=True))

mgmt_upd = b(MGMT_ORDER_UPDATED)
add(F, "custom-management-api-order-updated",
    "Management API `pharmacy_order_updated` (illustrative body) via `notification_type` and `id`; no X-Webhook-Test: is_test false",
    "custom", MGMT, mgmt_upd, [["X-Custom-Auth", MGMT_HEADER_VALUE]],
    Ev("pharmacy_order_updated", "ntf_5f1d2c3b4a", "event_id", "2026-03-29T09:20:00Z"))

mgmt_stock = b(MGMT_STOCK_UPDATED)
add(F, "custom-management-api-stock-updated-digest",
    "Management API `pharmacy_sku_stock_updated` (illustrative body) with no id: body digest",
    "custom", MGMT, mgmt_stock, [["x-custom-auth", MGMT_HEADER_VALUE], ["X-Webhook-Test", "false"]],
    Ev("pharmacy_sku_stock_updated", DIGEST, "body_sha256", "2026-03-29T09:25:00Z"))

add(F, "custom-shared-key-wrong",
    "custom shared-key with the wrong value is key_mismatch",
    "custom", MGMT, mgmt_upd, [["X-Custom-Auth", "guess"]], Err("key_mismatch"))

add(F, "custom-shared-key-header-missing",
    "custom shared-key without its configured header is missing_header (another auth header does not count)",
    "custom", MGMT, mgmt_upd, [["X-Webhook-Key", MGMT_HEADER_VALUE]], Err("missing_header"))

CSW = {"secret": SW_PUBLIC_SECRET, "scheme": "standard-webhooks"}
csw_body = b('{"type": "appointment.booked", "id": "apt_1", "timestamp": "2026-03-29T10:44:00Z", "data": {"slot": "10:45"}}')
add(F, "custom-standard-webhooks-scheme-valid",
    "custom with the standard-webhooks scheme: idempotency key from webhook-id (not the body `id`), event type from `type`",
    "custom", CSW, csw_body, sw_headers(csw_body, "msg_custom_01", SW_NOW),
    Ev("appointment.booked", "msg_custom_01", "webhook_id", "2026-03-29T10:44:00Z"), now=SW_NOW)

csw_notype = SW_PUBLIC_BODY
add(F, "custom-standard-webhooks-scheme-event-type-required",
    "unlike the standard-webhooks preset, custom always requires an event type: the public vector's body has none -> missing_field",
    "custom", CSW, csw_notype, PUB_HEADERS, Err("missing_field"), now=SW_PUBLIC_TS)

csw_event = b('{"event": "appointment.cancelled", "data": {}}')
add(F, "custom-standard-webhooks-scheme-event-name",
    "custom with the standard-webhooks scheme takes the event type from any of its four names (`event` here)",
    "custom", CSW, csw_event, sw_headers(csw_event, "msg_custom_02", SW_NOW),
    Ev("appointment.cancelled", "msg_custom_02", "webhook_id", None), now=SW_NOW)

# ===========================================================================
# headers.json
# ===========================================================================
F = "headers.json"
ISSUED_EV = Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00")
GOOD = elmed_sig(ISSUED)
WRONGS = [elmed_sig(ISSUED, f"wrong-secret-{i}") for i in range(20)]

add(F, "headers-signature-name-lowercase",
    "the signature header name matches case-insensitively (`x-elmed-signature`)",
    "elmed", ELMED, ISSUED, [["x-elmed-signature", GOOD], ["x-elmed-event", "prescription.issued"]], ISSUED_EV)

add(F, "headers-signature-name-uppercase",
    "the signature header name matches case-insensitively (`X-ELMED-SIGNATURE`)",
    "elmed", ELMED, ISSUED, [["X-ELMED-SIGNATURE", GOOD]], ISSUED_EV)

add(F, "headers-signature-value-padded",
    "surrounding whitespace (spaces and a tab) around the signature value is ignored",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", "  " + GOOD + " \t"]], ISSUED_EV)

add(F, "headers-candidates-comma-separated",
    "several candidates separated by `,`; the second one is valid",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", WRONGS[0] + "," + GOOD]], ISSUED_EV)

add(F, "headers-candidates-space-separated",
    "several candidates separated by spaces; the last one is valid",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", WRONGS[0] + " " + WRONGS[1] + " " + GOOD]], ISSUED_EV)

add(F, "headers-candidates-comma-and-space",
    "candidates separated by `, ` (comma and space, as a proxy joins repeated headers); the first one is valid",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", GOOD + ", " + WRONGS[0]]], ISSUED_EV)

add(F, "headers-signature-repeated-second-valid",
    "the signature header sent twice: every occurrence is read, the second one is valid",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", WRONGS[0]], ["X-ELMED-Signature", GOOD]], ISSUED_EV)

add(F, "headers-signature-repeated-different-case",
    "repeated signature headers with differently cased names are the same header",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", WRONGS[0]], ["x-elmed-signature", GOOD]], ISSUED_EV)

add(F, "headers-candidates-all-wrong",
    "several well-formed candidates, none matching: signature_mismatch",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", WRONGS[0] + "," + WRONGS[1]]], Err("signature_mismatch"))

add(F, "headers-candidates-malformed-and-wrong",
    "one malformed candidate and one well-formed wrong candidate: signature_mismatch",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", "sha256=nothex, " + WRONGS[0]]], Err("signature_mismatch"))

add(F, "headers-candidates-malformed-and-valid",
    "one malformed candidate and one valid candidate: passes",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", "sha256=nothex " + GOOD]], ISSUED_EV)

add(F, "headers-candidates-all-malformed",
    "two candidates, both malformed (no prefix; short hex): malformed_header",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", hmac_hex(ELMED_SECRET, ISSUED) + ",sha256=abcdef"]],
    Err("malformed_header"))

add(F, "headers-16-candidates-last-valid",
    "16 candidates (the cap) with the valid one last: passes",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", ",".join(WRONGS[:15] + [GOOD])]], ISSUED_EV)

add(F, "headers-17-candidates",
    "17 candidates is over the cap of 16: malformed_header, even though the first one is valid",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", ",".join([GOOD] + WRONGS[:16])]], Err("malformed_header"))

add(F, "headers-17-candidates-across-repeats",
    "the cap counts candidates per delivery: 9 + 8 candidates in two repeated headers is malformed_header",
    "elmed", ELMED, ISSUED,
    [["X-ELMED-Signature", " ".join([GOOD] + WRONGS[:8])], ["X-ELMED-Signature", " ".join(WRONGS[8:16])]],
    Err("malformed_header"))

add(F, "headers-signature-empty",
    "an empty signature header is malformed_header",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", ""]], Err("malformed_header"))

add(F, "headers-signature-whitespace-only",
    "a whitespace-only signature header is malformed_header",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", "   "]], Err("malformed_header"))

add(F, "headers-signature-separators-only",
    "a signature header holding only separators (`, ,`) has no candidate: malformed_header",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", ", ,"]], Err("malformed_header"))

add(F, "headers-event-header-first-occurrence",
    "X-ELMED-Event is single-valued: the first occurrence counts (it matches; the second does not)",
    "elmed", ELMED, ISSUED,
    [["X-ELMED-Signature", GOOD], ["X-ELMED-Event", "prescription.issued"], ["X-ELMED-Event", "claim.decision"]],
    ISSUED_EV)

add(F, "headers-event-header-first-occurrence-mismatch",
    "X-ELMED-Event is single-valued: the first occurrence counts (it does not match)",
    "elmed", ELMED, ISSUED,
    [["X-ELMED-Signature", GOOD], ["X-ELMED-Event", "claim.decision"], ["X-ELMED-Event", "prescription.issued"]],
    Err("event_mismatch"))

add(F, "headers-shared-key-first-occurrence-valid",
    "the shared-key header is single-valued: the first occurrence (right) counts, the second (wrong) is ignored",
    "baremeds", BM, SUBMITTED, [["X-Webhook-Key", BAREMEDS_KEY], ["X-Webhook-Key", "wrong"]],
    Ev("prescription_submitted", SUBMITTED_ID, "request_id", "2026-01-30T12:00:00Z"))

add(F, "headers-shared-key-first-occurrence-wrong",
    "the shared-key header is single-valued: the first occurrence (wrong) counts even if a later one is right",
    "baremeds", BM, SUBMITTED, [["X-Webhook-Key", "wrong"], ["X-Webhook-Key", BAREMEDS_KEY]], Err("key_mismatch"))

add(F, "headers-shared-key-padded",
    "surrounding whitespace around the shared key is ignored",
    "baremeds", BM, SUBMITTED, [["x-webhook-key", "  " + BAREMEDS_KEY + "  "]],
    Ev("prescription_submitted", SUBMITTED_ID, "request_id", "2026-01-30T12:00:00Z"))

add(F, "headers-shared-key-empty",
    "an empty shared-key value is key_mismatch (present, so not missing_header)",
    "novamed", NM, SHIPPED, [["x-api-key", ""]], Err("key_mismatch"))

add(F, "headers-shared-key-whitespace-only",
    "a whitespace-only shared-key value trims to empty: key_mismatch",
    "novamed", NM, SHIPPED, [["x-api-key", "   "]], Err("key_mismatch"))

add(F, "headers-shared-key-longer",
    "the configured key followed by extra characters is key_mismatch",
    "novamed", NM, SHIPPED, [["x-api-key", NOVAMED_KEY + "0"]], Err("key_mismatch"))

for val, expected_flag, slug, why in [
    ("true", True, "lowercase", "`true`"),
    ("True", True, "capitalized", "`True` (any case)"),
    ("  TRUE\t", True, "padded-uppercase", "` TRUE` with surrounding whitespace"),
    ("false", False, "false", "`false`"),
    ("1", False, "one", "`1` (only the word true counts)"),
    ("yes", False, "yes", "`yes` (only the word true counts)"),
    ("", False, "empty", "an empty value"),
]:
    add(F, f"headers-webhook-test-{slug}",
        f"X-Webhook-Test: {why} -> is_test {str(expected_flag).lower()}",
        "elmed", ELMED, ISSUED, [["X-ELMED-Signature", GOOD], ["X-Webhook-Test", val]],
        Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00", is_test=expected_flag))

add(F, "headers-webhook-test-name-lowercase",
    "`x-webhook-test: true` (lower-case name) -> is_test",
    "novamed", NM, SHIPPED, [["x-api-key", NOVAMED_KEY], ["x-webhook-test", "true"]],
    Ev("order:shipped", "evt_abc123xyz", "event_id", "2025-01-15T10:30:00.000Z", clinic_id=NOVAMED_CLINIC, is_test=True))

add(F, "headers-webhook-test-first-occurrence",
    "X-Webhook-Test is single-valued: the first occurrence (`false`) counts",
    "elmed", ELMED, ISSUED, [["X-ELMED-Signature", GOOD], ["X-Webhook-Test", "false"], ["X-Webhook-Test", "true"]],
    Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00", is_test=False))

add(F, "headers-unrelated-headers-ignored",
    "unrelated headers (another provider's auth header, cookies) do not interfere",
    "elmed", ELMED, ISSUED,
    [["Cookie", "a=b"], ["X-Webhook-Key", "xxx"], ["X-Signature", "sha256=00"], ["X-ELMED-Signature", GOOD]],
    ISSUED_EV)

# ===========================================================================
# envelope.json
# ===========================================================================
F = "envelope.json"


def elmed_case(name, description, body: bytes, expect, headers=None, options=None, **kw):
    add(F, name, description, "elmed", options or ELMED, body,
        headers if headers is not None else elmed_headers(body, event=None), expect, **kw)


elmed_case("envelope-duplicate-event-key",
           "a duplicated envelope key (`event` twice) is invalid_json, never last-one-wins",
           b('{"event": "prescription.issued", "event": "prescription.dispensed", "data": {}}'), Err("invalid_json"))
elmed_case("envelope-duplicate-event-key-same-value",
           "a duplicated `event` key is invalid_json even when both values are equal",
           b('{"event": "prescription.issued", "data": {}, "event": "prescription.issued"}'), Err("invalid_json"))
elmed_case("envelope-duplicate-unknown-key",
           "a duplicated unknown top-level key is invalid_json too",
           b('{"event": "prescription.issued", "x_trace": "a", "data": {}, "x_trace": "b"}'), Err("invalid_json"))

dup_meta = b(replace_once(SUBMITTED_TEXT, '    "retry": false\n', '    "retry": false,\n    "request_id": "other"\n'))
add(F, "envelope-duplicate-key-in-baremeds-metadata",
    "a duplicated key inside Baremeds metadata (request_id twice) is invalid_json",
    "baremeds", BM, dup_meta, bm_headers(), Err("invalid_json"))

elmed_case("envelope-not-json",
           "a body that is not JSON (signed correctly) is invalid_json",
           b("event=prescription.issued&data=42"), Err("invalid_json"))
elmed_case("envelope-empty-body",
           "an empty body (signed correctly) is invalid_json",
           b"", Err("invalid_json"))
elmed_case("envelope-array-body",
           "a JSON array is not an envelope: invalid_json",
           b('[{"event": "prescription.issued", "data": {}}]'), Err("invalid_json"))
elmed_case("envelope-string-body",
           "a JSON string is not an envelope: invalid_json",
           b('"prescription.issued"'), Err("invalid_json"))
elmed_case("envelope-trailing-garbage",
           "trailing non-whitespace after the object is invalid_json",
           b('{"event": "prescription.issued", "data": {}} x'), Err("invalid_json"))
elmed_case("envelope-two-objects",
           "two concatenated objects are invalid_json",
           b('{"event": "prescription.issued", "data": {}}{"event": "claim.decision"}'), Err("invalid_json"))

trailing_ws = b('\r\n {"event": "prescription.issued", "data": {"ok": true}}\n\t \n')
elmed_case("envelope-surrounding-whitespace-valid",
           "JSON whitespace before and after the object is allowed (and part of the digest)",
           trailing_ws, Ev("prescription.issued", DIGEST, "body_sha256", None))

elmed_case("envelope-invalid-utf8-in-string",
           "bytes that are not UTF-8 (0xFF 0xFE) inside a string are invalid_json",
           b'{"event": "prescription.issued", "data": {"name": "\xff\xfe"}}', Err("invalid_json"))
elmed_case("envelope-overlong-utf8",
           "an overlong UTF-8 encoding (0xC0 0xAF for `/`) is not UTF-8: invalid_json",
           b'{"event": "prescription.issued", "data": {"path": "a\xc0\xafb"}}', Err("invalid_json"))
elmed_case("envelope-raw-nul-in-string",
           "a raw NUL byte inside a string is invalid_json (control characters must be escaped)",
           b'{"event": "prescription.issued", "data": {"note": "a\x00b"}}', Err("invalid_json"))
elmed_case("envelope-raw-newline-in-string",
           "a raw line feed inside a string is invalid_json",
           b('{"event": "prescription.issued", "data": {"note": "line1\nline2"}}'), Err("invalid_json"))
elmed_case("envelope-nan",
           "`NaN` is not JSON: invalid_json",
           b('{"event": "claim.decision", "data": {"amount_claimed": NaN}}'), Err("invalid_json"))
elmed_case("envelope-infinity",
           "`Infinity` is not JSON: invalid_json",
           b('{"event": "claim.decision", "data": {"amount_claimed": -Infinity}}'), Err("invalid_json"))
elmed_case("envelope-single-quotes",
           "single-quoted strings are not JSON: invalid_json",
           b("{'event': 'prescription.issued'}"), Err("invalid_json"))
elmed_case("envelope-trailing-comma",
           "a trailing comma in an object is invalid_json",
           b('{"event": "prescription.issued", "data": {},}'), Err("invalid_json"))

elmed_case("envelope-event-not-string",
           "`\"event\": 5` (wrong JSON type) is invalid_json",
           b('{"event": 5, "data": {}}'), Err("invalid_json"))
elmed_case("envelope-event-object",
           "`event` as an object is invalid_json",
           b('{"event": {"name": "prescription.issued"}, "data": {}}'), Err("invalid_json"))
elmed_case("envelope-event-null",
           "`\"event\": null` counts as absent: missing_field",
           b('{"event": null, "data": {}}'), Err("missing_field"))
elmed_case("envelope-event-missing",
           "no `event` at all: missing_field",
           b('{"timestamp": "2026-03-29T10:45:00", "data": {"prescription_id": 42}}'), Err("missing_field"))
elmed_case("envelope-empty-object",
           "`{}` is an object without `event`: missing_field",
           b("{}"), Err("missing_field"))

unknown_ev = b('{\n  "event": "prescription.cancelled",\n  "timestamp": "2026-03-29T16:00:00",\n  "data": {\n    "prescription_id": 42\n  }\n}')
elmed_case("envelope-unknown-event-type-accepted",
           "event types the provider has not documented yet are accepted",
           unknown_ev, Ev("prescription.cancelled", DIGEST, "body_sha256", "2026-03-29T16:00:00"),
           headers=elmed_headers(unknown_ev))

extra_fields = b('{\n  "event": "prescription.issued",\n  "api_version": 2,\n  "timestamp": "2026-03-29T10:45:00",\n  "data": {\n    "prescription_id": 42\n  },\n  "links": {\n    "self": "https://elmed.example/rx/42"\n  }\n}')
elmed_case("envelope-unknown-fields-ignored",
           "unknown envelope fields are ignored",
           extra_fields, Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00"),
           headers=elmed_headers(extra_fields))

escaped = b('{"event": "prescription\\u002eissued", "timestamp": "2026-03-29T10:45:00", "data": {"note": "tab\\there \\"quoted\\" \\u00e9"}}')
elmed_case("envelope-escaped-strings",
           "escapes are decoded: `prescription\\u002eissued` is `prescription.issued` and matches X-ELMED-Event; escaped data strings are decoded",
           escaped, Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00"),
           headers=elmed_headers(escaped, event="prescription.issued"))

unicode_msg = b(replace_once(BAREMEDS_SAMPLES["message_created"], '"message": "Hello from clinician"',
                             '"message": "Grüße aus der Praxis – 患者さんへ 💊 \\ud83d\\ude00"'))
add(F, "envelope-unicode-data-kept",
    "non-ASCII text in data (raw UTF-8 and an escaped surrogate pair) is kept exactly",
    "baremeds", BM, unicode_msg, bm_headers(),
    Ev("message_created", request_id(BAREMEDS_SAMPLES["message_created"]), "request_id", "2026-01-30T12:00:00Z"))

unicode_key = b('{"event": "prescription.issued", "data": {"Pätient-Näme": "Zoë", "camelCase": 1, "snake_case": 2}}')
elmed_case("envelope-data-keys-kept",
           "data keys are kept exactly as sent (non-ASCII, camelCase and snake_case, no re-casing)",
           unicode_key, Ev("prescription.issued", DIGEST, "body_sha256", None))

elmed_case("envelope-data-null",
           "`\"data\": null` is reported as data null (data is the `data` field when present, even null)",
           b('{"event": "prescription.issued", "data": null}'), Ev("prescription.issued", DIGEST, "body_sha256", None, data=None))
elmed_case("envelope-data-absent",
           "no `data` field: data is the whole body object",
           b('{"event": "order.status_changed", "order_id": 88, "status": "DELIVERED"}'),
           Ev("order.status_changed", DIGEST, "body_sha256", None))
elmed_case("envelope-data-array",
           "data may be any JSON value (an array here)",
           b('{"event": "prescription.issued", "data": [1, "two", {"three": 3.5}, null, false]}'),
           Ev("prescription.issued", DIGEST, "body_sha256", None))
elmed_case("envelope-timestamp-absent",
           "no timestamp (and no replay window): timestamp null",
           b('{"event": "prescription.issued", "data": {}}'), Ev("prescription.issued", DIGEST, "body_sha256", None))
elmed_case("envelope-timestamp-null",
           "timestamp null counts as absent: timestamp null",
           b('{"event": "prescription.issued", "timestamp": null, "data": {}}'),
           Ev("prescription.issued", DIGEST, "body_sha256", None))
elmed_case("envelope-timestamp-number",
           "a numeric timestamp is reported as its JSON text",
           b('{"event": "prescription.issued", "timestamp": 1774781100, "data": {}}'),
           Ev("prescription.issued", DIGEST, "body_sha256", "1774781100"))
elmed_case("envelope-timestamp-number-text-kept",
           "a numeric timestamp keeps its exact JSON text (`1774781100.250`, trailing zero included)",
           b('{"event": "prescription.issued", "timestamp": 1774781100.250, "data": {}}'),
           Ev("prescription.issued", DIGEST, "body_sha256", "1774781100.250"))
elmed_case("envelope-timestamp-wrong-type",
           "a timestamp that is neither string nor number (`true`) is invalid_json",
           b('{"event": "prescription.issued", "timestamp": true, "data": {}}'), Err("invalid_json"))

big_id = b(replace_once(SHIPPED_TEXT, '"event_id": "evt_abc123xyz"', '"event_id": 9007199254740993'))
add(F, "envelope-event-id-large-number-text",
    "a numeric event_id beyond 2^53 is kept as its exact JSON text (no float rounding)",
    "novamed", NM, big_id, nm_headers(),
    Ev("order:shipped", "9007199254740993", "event_id", "2025-01-15T10:30:00.000Z", clinic_id=NOVAMED_CLINIC))

eid_obj = b(replace_once(SHIPPED_TEXT, '"event_id": "evt_abc123xyz"', '"event_id": {"id": "evt_abc123xyz"}'))
add(F, "envelope-event-id-wrong-type",
    "an identifier that is neither string nor number is invalid_json",
    "novamed", NM, eid_obj, nm_headers(), Err("invalid_json"))

meta_arr = b('{"event": "order_changed", "data": {}, "metadata": []}')
add(F, "envelope-baremeds-metadata-array",
    "Baremeds `\"metadata\": []` (wrong JSON type) is invalid_json",
    "baremeds", BM, meta_arr, bm_headers(), Err("invalid_json"))

retry_str = b(replace_once(SUBMITTED_TEXT, '"retry": false', '"retry": "yes"'))
add(F, "envelope-baremeds-retry-not-boolean",
    "Baremeds `\"retry\": \"yes\"` (wrong JSON type) is invalid_json",
    "baremeds", BM, retry_str, bm_headers(), Err("invalid_json"))

meta_null = b('{"event": "order_changed", "data": {"order_number": "ORDER125"}, "metadata": null}')
add(F, "envelope-baremeds-metadata-null",
    "Baremeds `\"metadata\": null` counts as absent: metadata null, key is the body digest",
    "baremeds", BM, meta_null, bm_headers(),
    Ev("order_changed", DIGEST, "body_sha256", None, metadata=None))

deep_ok = b('{"event": "prescription.issued", "data": ' + "[" * 150 + "]" * 150 + "}")
elmed_case("envelope-nesting-150-valid",
           "150 nested arrays inside data is within the 200-deep limit",
           deep_ok, Ev("prescription.issued", DIGEST, "body_sha256", None))
deep_bad = b('{"event": "prescription.issued", "data": ' + "[" * 300 + "]" * 300 + "}")
elmed_case("envelope-nesting-300-invalid",
           "300 nested arrays inside data exceeds the 200-deep limit: invalid_json",
           deep_bad, Err("invalid_json"))
deep_obj = b('{"event": "prescription.issued", "data": ' + '{"a": ' * 250 + "1" + "}" * 250 + "}")
elmed_case("envelope-nesting-250-objects-invalid",
           "250 nested objects inside data exceeds the 200-deep limit: invalid_json",
           deep_obj, Err("invalid_json"))

# --- order of checks -------------------------------------------------------
not_json = b("this is not json")
elmed_case("envelope-order-signature-before-json",
           "order of checks: a wrongly signed non-JSON body is signature_mismatch (the body is not parsed before authentication)",
           not_json, Err("signature_mismatch"), headers=[["X-ELMED-Signature", elmed_sig(not_json, WRONG_SECRET)]])
elmed_case("envelope-order-missing-header-before-json",
           "order of checks: an unsigned non-JSON body is missing_header",
           not_json, Err("missing_header"), headers=[])
bad_json_bm = b('{"event": "order_changed", "metadata": {"webhook_key": "nope"}')
add(F, "envelope-order-json-before-baremeds-webhook-key",
    "order of checks: malformed JSON is invalid_json before metadata.webhook_key can be looked at",
    "baremeds", BM, bad_json_bm, bm_headers(), Err("invalid_json"))
no_event_hdr = b('{"timestamp": "2026-03-29T10:45:00", "data": {}}')
elmed_case("envelope-order-missing-field-before-event-mismatch",
           "order of checks: no `event` in the body with an X-ELMED-Event header is missing_field, not event_mismatch",
           no_event_hdr, Err("missing_field"), headers=elmed_headers(no_event_hdr, event="prescription.issued"))

# --- size limits --------------------------------------------------------------
elmed_case("envelope-default-limit-exceeded",
           "the default limit is 1 MiB: a body of 1048577 bytes (spaces) is payload_too_large before any header is looked at",
           b" ", Err("payload_too_large"), headers=[], body_repeat=MIB + 1)

prefix = b('{"event": "prescription.issued", "timestamp": "2026-03-29T10:45:00",')
suffix = b('"data": {"prescription_id": 42, "padding": "spaces"}}')
exact = prefix + b" " * (MIB - len(prefix) - len(suffix)) + suffix
assert len(exact) == MIB
elmed_case("envelope-default-limit-exact-valid",
           "a body of exactly 1048576 bytes (a JSON object padded with whitespace) is within the default limit and verifies",
           exact, Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00"),
           headers=elmed_headers(exact))

small = b('{"event": "prescription.issued", "data": {"prescription_id": 42}}')
SMALL_LIMIT = 32
assert len(small) > SMALL_LIMIT
elmed_case("envelope-limit-small-bad-signature",
           "with max_body_bytes 32 a larger body is payload_too_large; the (invalid) signature is never looked at",
           small, Err("payload_too_large"), headers=[["X-ELMED-Signature", "sha256=zz"]],
           options={"secret": ELMED_SECRET, "max_body_bytes": SMALL_LIMIT})
elmed_case("envelope-limit-small-signature-missing",
           "with max_body_bytes 32 a larger body without any signature header is payload_too_large, not missing_header",
           small, Err("payload_too_large"), headers=[],
           options={"secret": ELMED_SECRET, "max_body_bytes": SMALL_LIMIT})
elmed_case("envelope-limit-equal-valid",
           "a body exactly max_body_bytes long is accepted",
           small, Ev("prescription.issued", DIGEST, "body_sha256", None),
           headers=elmed_headers(small), options={"secret": ELMED_SECRET, "max_body_bytes": len(small)})
elmed_case("envelope-limit-one-over-valid-signature",
           "a body one byte over max_body_bytes is payload_too_large even with a valid signature",
           small, Err("payload_too_large"),
           headers=elmed_headers(small), options={"secret": ELMED_SECRET, "max_body_bytes": len(small) - 1})

# ===========================================================================
# tolerance.json
# ===========================================================================
F = "tolerance.json"
E300 = {"secret": ELMED_SECRET, "tolerance": 300}
ISSUED_TS = unix("2026-03-29T10:45:00")

for offset, expect_ok, slug, why in [
    (0, True, "fresh", "the same second (no UTC offset: read as UTC)"),
    (300, True, "300s-late", "300 s later (the bound is inclusive)"),
    (-300, True, "300s-early", "300 s earlier (symmetric, inclusive)"),
    (301, False, "301s-late", "301 s later"),
    (-301, False, "301s-early", "301 s earlier (a timestamp in the future)"),
    (86400, False, "day-late", "a day later"),
]:
    add(F, f"tolerance-elmed-{slug}",
        f"ELMED with tolerance 300, checked {why}: " + ("passes" if expect_ok else "timestamp_out_of_tolerance"),
        "elmed", E300, ISSUED, elmed_headers(ISSUED),
        Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00") if expect_ok
        else Err("timestamp_out_of_tolerance"),
        now=ISSUED_TS + offset)

add(F, "tolerance-elmed-fractional-seconds",
    "a timestamp with fractional seconds and no offset (`2026-03-29T10:45:00.123456`) is read as UTC and is within 300 s",
    "elmed", E300, fractional, elmed_headers(fractional),
    Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00.123456"), now=ISSUED_TS + 200)

add(F, "tolerance-elmed-other-sample",
    "ELMED claim.decision sample with tolerance 60 checked 30 s after its timestamp passes",
    "elmed", {"secret": ELMED_SECRET, "tolerance": 60}, b(ELMED_SAMPLES["claim.decision"]),
    elmed_headers(b(ELMED_SAMPLES["claim.decision"])),
    Ev("claim.decision", DIGEST, "body_sha256", "2026-03-29T14:00:00"), now=unix("2026-03-29T14:00:30"))

BM300 = {"secret": BAREMEDS_KEY, "tolerance": 300}
BM_TS = unix("2026-01-30T12:00:00+00:00")
add(F, "tolerance-zulu-fresh",
    "a `Z` timestamp (Baremeds sample) within the window passes",
    "baremeds", BM300, SUBMITTED, bm_headers(),
    Ev("prescription_submitted", SUBMITTED_ID, "request_id", "2026-01-30T12:00:00Z"), now=BM_TS + 120)
add(F, "tolerance-zulu-stale",
    "a `Z` timestamp an hour old is timestamp_out_of_tolerance",
    "baremeds", BM300, SUBMITTED, bm_headers(), Err("timestamp_out_of_tolerance"), now=BM_TS + 3600)

plus2 = b('{\n  "event": "prescription.issued",\n  "timestamp": "2026-03-29T12:45:00+02:00",\n  "data": {\n    "prescription_id": 44\n  }\n}')
PLUS2_TS = unix("2026-03-29T12:45:00+02:00")
assert PLUS2_TS == ISSUED_TS
add(F, "tolerance-offset-plus-two-fresh",
    "`+02:00` is honoured: 12:45+02:00 is 10:45Z, so now = 10:45Z passes",
    "elmed", E300, plus2, elmed_headers(plus2),
    Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T12:45:00+02:00"), now=PLUS2_TS)
add(F, "tolerance-offset-plus-two-ignored-would-pass",
    "`+02:00` is honoured: now = 12:45Z (what ignoring the offset would match) is two hours off -> timestamp_out_of_tolerance",
    "elmed", E300, plus2, elmed_headers(plus2), Err("timestamp_out_of_tolerance"), now=PLUS2_TS + 7200)

minus5 = b('{"event_type": "refill:requested", "event_id": "evt_refill_1", "timestamp": "2025-01-15T05:30:00.000-05:00", "clinic_id": "550e8400-e29b-41d4-a716-446655440000", "data": {"refill_id": "rf_1"}}')
add(F, "tolerance-offset-minus-five",
    "a `-05:00` offset with milliseconds (NovaMed): 05:30-05:00 is 10:30Z, checked at 10:32Z with tolerance 300",
    "novamed", {"secret": NOVAMED_KEY, "tolerance": 300}, minus5, nm_headers(),
    Ev("refill:requested", "evt_refill_1", "event_id", "2025-01-15T05:30:00.000-05:00", clinic_id=NOVAMED_CLINIC),
    now=unix("2025-01-15T10:32:00+00:00"))

add(F, "tolerance-novamed-sample-stale",
    "NovaMed sample (`.000Z`) checked 10 minutes later with tolerance 300: timestamp_out_of_tolerance",
    "novamed", {"secret": NOVAMED_KEY, "tolerance": 300}, SHIPPED, nm_headers(),
    Err("timestamp_out_of_tolerance"), now=unix("2025-01-15T10:40:00+00:00"))

no_ts = b('{"event": "prescription.issued", "data": {"prescription_id": 42}}')
add(F, "tolerance-timestamp-missing",
    "with a replay window on, an envelope without timestamp is missing_field",
    "elmed", E300, no_ts, elmed_headers(no_ts), Err("missing_field"), now=ISSUED_TS)

null_ts = b('{"event": "prescription.issued", "timestamp": null, "data": {"prescription_id": 42}}')
add(F, "tolerance-timestamp-null",
    "with a replay window on, timestamp null counts as absent: missing_field",
    "elmed", E300, null_ts, elmed_headers(null_ts), Err("missing_field"), now=ISSUED_TS)

bad_ts = b('{"event": "prescription.issued", "timestamp": "yesterday at noon", "data": {}}')
add(F, "tolerance-timestamp-unparseable",
    "with a replay window on, a timestamp that is neither Unix seconds nor ISO 8601 is timestamp_out_of_tolerance",
    "elmed", E300, bad_ts, elmed_headers(bad_ts), Err("timestamp_out_of_tolerance"), now=ISSUED_TS)

bad_ts2 = b('{"event": "prescription.issued", "timestamp": "29/03/2026 10:45", "data": {}}')
add(F, "tolerance-timestamp-unparseable-dmy",
    "with a replay window on, a day/month/year timestamp is not ISO 8601: timestamp_out_of_tolerance",
    "elmed", E300, bad_ts2, elmed_headers(bad_ts2), Err("timestamp_out_of_tolerance"), now=ISSUED_TS)

add(F, "tolerance-timestamp-unparseable-window-off",
    "without a replay window an unparseable timestamp is not an error: it is reported as sent",
    "elmed", ELMED, bad_ts, elmed_headers(bad_ts),
    Ev("prescription.issued", DIGEST, "body_sha256", "yesterday at noon"))

num_ts = b('{"event": "prescription.issued", "timestamp": 1774781100, "data": {"prescription_id": 42}}')
add(F, "tolerance-unix-number-fresh",
    "a numeric Unix timestamp in the envelope is honoured by the window and reported as its text",
    "elmed", E300, num_ts, elmed_headers(num_ts),
    Ev("prescription.issued", DIGEST, "body_sha256", "1774781100"), now=1774781100 + 299)
add(F, "tolerance-unix-number-stale",
    "a numeric Unix timestamp 301 s old is timestamp_out_of_tolerance",
    "elmed", E300, num_ts, elmed_headers(num_ts), Err("timestamp_out_of_tolerance"), now=1774781100 + 301)

add(F, "tolerance-elmed-default-off",
    "ELMED has no replay window by default: a delivery checked a year later passes",
    "elmed", ELMED, ISSUED, elmed_headers(ISSUED),
    Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00"), now=ISSUED_TS + 365 * 86400)
add(F, "tolerance-baremeds-default-off",
    "Baremeds has no replay window by default",
    "baremeds", BM, SUBMITTED, bm_headers(),
    Ev("prescription_submitted", SUBMITTED_ID, "request_id", "2026-01-30T12:00:00Z"), now=BM_TS + 7 * 86400)
add(F, "tolerance-elmed-zero-is-off",
    "tolerance 0 means off: a day-old ELMED delivery passes",
    "elmed", {"secret": ELMED_SECRET, "tolerance": 0}, ISSUED, elmed_headers(ISSUED),
    Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00"), now=ISSUED_TS + 86400)

add(F, "tolerance-standard-webhooks-zero-is-off",
    "tolerance 0 turns the standard-webhooks default window off: the public vector a year later passes",
    "standard-webhooks", {"secret": SW_PUBLIC_SECRET, "tolerance": 0}, SW_PUBLIC_BODY, PUB_HEADERS,
    PUB_EVENT, now=SW_PUBLIC_TS + 365 * 86400)

SW_T = SW_NOW - 1000
for offset, ok, slug in [(300, True, "300s-late"), (301, False, "301s-late"),
                         (-300, True, "300s-early"), (-301, False, "301s-early")]:
    add(F, f"tolerance-standard-webhooks-{slug}",
        f"standard-webhooks default window (300 s, inclusive, symmetric) checked {abs(offset)} s "
        + ("after" if offset > 0 else "before") + " webhook-timestamp: " + ("passes" if ok else "timestamp_out_of_tolerance"),
        "standard-webhooks", SW, TYPED, sw_headers(TYPED, f"msg_window_{slug.replace('-', '_')}", SW_T),
        Ev("invoice.paid", f"msg_window_{slug.replace('-', '_')}", "webhook_id", "2026-03-29T10:44:58Z") if ok
        else Err("timestamp_out_of_tolerance"), now=SW_T + offset)

add(F, "tolerance-standard-webhooks-custom-600",
    "tolerance 600 on standard-webhooks: 500 s old passes",
    "standard-webhooks", {"secret": SW_PUBLIC_SECRET, "tolerance": 600}, TYPED, sw_headers(TYPED, "msg_600", SW_T),
    Ev("invoice.paid", "msg_600", "webhook_id", "2026-03-29T10:44:58Z"), now=SW_T + 500)

add(F, "tolerance-standard-webhooks-custom-60",
    "tolerance 60 on standard-webhooks: 61 s old is timestamp_out_of_tolerance",
    "standard-webhooks", {"secret": SW_PUBLIC_SECRET, "tolerance": 60}, TYPED, sw_headers(TYPED, "msg_60", SW_T),
    Err("timestamp_out_of_tolerance"), now=SW_T + 61)

stale_body_ts = b('{"type": "invoice.paid", "timestamp": "2020-01-01T00:00:00Z", "data": {}}')
add(F, "tolerance-standard-webhooks-uses-header-not-body",
    "standard-webhooks checks the webhook-timestamp header, not the body's (years old) `timestamp`",
    "standard-webhooks", SW, stale_body_ts, sw_headers(stale_body_ts, "msg_hdr_ts", SW_NOW),
    Ev("invoice.paid", "msg_hdr_ts", "webhook_id", "2020-01-01T00:00:00Z"), now=SW_NOW + 10)

add(F, "tolerance-custom-standard-webhooks-default-300",
    "custom with the standard-webhooks scheme gets the 300 s default window: 301 s old is timestamp_out_of_tolerance",
    "custom", CSW, csw_body, sw_headers(csw_body, "msg_custom_stale", SW_T),
    Err("timestamp_out_of_tolerance"), now=SW_T + 301)

add(F, "tolerance-custom-standard-webhooks-zero",
    "custom with the standard-webhooks scheme and tolerance 0: no window",
    "custom", {"secret": SW_PUBLIC_SECRET, "scheme": "standard-webhooks", "tolerance": 0}, csw_body,
    sw_headers(csw_body, "msg_custom_old", SW_T),
    Ev("appointment.booked", "msg_custom_old", "webhook_id", "2026-03-29T10:44:00Z"), now=SW_T + 86400)

add(F, "tolerance-custom-hmac-window",
    "custom hmac-sha256 with tolerance 300 checks the envelope timestamp",
    "custom", dict(CH, tolerance=300), b(MGMT_ORDER_UPDATED), ch_headers(b(MGMT_ORDER_UPDATED)),
    Err("timestamp_out_of_tolerance"), now=unix("2026-03-29T09:30:00+00:00"))

add(F, "tolerance-order-event-mismatch-first",
    "order of checks: a stale ELMED delivery whose X-ELMED-Event mismatches is event_mismatch",
    "elmed", E300, ISSUED, elmed_headers(ISSUED, event="claim.decision"), Err("event_mismatch"), now=ISSUED_TS + 86400)

add(F, "tolerance-order-clinic-mismatch-first",
    "order of checks: a stale NovaMed delivery for another clinic is clinic_mismatch",
    "novamed", {"secret": NOVAMED_KEY, "clinic_id": OTHER_CLINIC, "tolerance": 300}, SHIPPED, nm_headers(),
    Err("clinic_mismatch"), now=unix("2025-01-16T10:30:00+00:00"))

stale_bad_json = b('{"type": "invoice.paid", "data": ')
add(F, "tolerance-order-json-before-window",
    "order of checks: a correctly signed but stale standard-webhooks delivery with a broken body is invalid_json",
    "standard-webhooks", SW, stale_bad_json, sw_headers(stale_bad_json, "msg_broken", SW_T),
    Err("invalid_json"), now=SW_T + 86400)

add(F, "tolerance-order-missing-field-before-window",
    "order of checks: a stale custom standard-webhooks delivery without an event type is missing_field",
    "custom", CSW, SW_PUBLIC_BODY, PUB_HEADERS, Err("missing_field"), now=SW_PUBLIC_TS + 86400)

# ===========================================================================
# options.json
# ===========================================================================
F = "options.json"
CFG_BODY = b('{"event": "prescription.issued", "data": {}}')


def cfg(name, description, provider, options, code):
    # The verifier is never built, so the delivery does not matter; a plausible one is given anyway.
    add(F, name, description, provider, options, CFG_BODY, [], Cfg(code),
        now=SW_NOW if provider == "standard-webhooks" or options.get("scheme") == "standard-webhooks" else None)


cfg("options-unknown-name", "an unknown option name (a typo of `secret`) is invalid_option",
    "elmed", {"secret": ELMED_SECRET, "secert": ELMED_SECRET}, "invalid_option")
cfg("options-unknown-name-camel-case", "option names are snake_case: `maxBodyBytes` is an unknown option",
    "elmed", {"secret": ELMED_SECRET, "maxBodyBytes": 1024}, "invalid_option")
cfg("options-tolerance-string", "`tolerance: \"300\"` (a string) is invalid_option",
    "elmed", {"secret": ELMED_SECRET, "tolerance": "300"}, "invalid_option")
cfg("options-tolerance-bool", "`tolerance: true` is invalid_option (booleans are not integers)",
    "elmed", {"secret": ELMED_SECRET, "tolerance": True}, "invalid_option")
cfg("options-tolerance-negative", "a negative tolerance is invalid_option",
    "standard-webhooks", {"secret": SW_PUBLIC_SECRET, "tolerance": -1}, "invalid_option")
cfg("options-tolerance-fraction", "a fractional tolerance (`1.5`) is invalid_option",
    "elmed", {"secret": ELMED_SECRET, "tolerance": 1.5}, "invalid_option")
cfg("options-secret-number", "`secret: 5` is invalid_option",
    "elmed", {"secret": 5}, "invalid_option")
cfg("options-secrets-string", "`secrets` must be a list: a string is invalid_option",
    "elmed", {"secrets": ELMED_SECRET}, "invalid_option")
cfg("options-secrets-number-item", "`secrets` must be a list of strings: `[5]` is invalid_option",
    "elmed", {"secrets": [5]}, "invalid_option")
cfg("options-secret-and-secrets", "`secret` and `secrets` together is invalid_option",
    "elmed", {"secret": ELMED_SECRET, "secrets": [ELMED_OLD_SECRET]}, "invalid_option")
cfg("options-secret-empty", "an empty secret is invalid_secret",
    "elmed", {"secret": ""}, "invalid_secret")
cfg("options-secrets-empty-list", "an empty secrets list is invalid_secret",
    "novamed", {"secrets": []}, "invalid_secret")
cfg("options-secrets-empty-item", "an empty string inside secrets is invalid_secret",
    "baremeds", {"secrets": [BAREMEDS_KEY, ""]}, "invalid_secret")
cfg("options-no-secret", "neither `secret` nor `secrets` is invalid_secret",
    "elmed", {}, "invalid_secret")
cfg("options-secret-null", "`secret: null` means not set: no secret at all is invalid_secret",
    "novamed", {"secret": None}, "invalid_secret")
cfg("options-clinic-id-on-elmed", "`clinic_id` outside novamed is invalid_option",
    "elmed", {"secret": ELMED_SECRET, "clinic_id": NOVAMED_CLINIC}, "invalid_option")
cfg("options-clinic-id-not-string", "`clinic_id` must be a string: a number is invalid_option",
    "novamed", {"secret": NOVAMED_KEY, "clinic_id": 42}, "invalid_option")
cfg("options-scheme-on-elmed", "`scheme` outside custom is invalid_option",
    "elmed", {"secret": ELMED_SECRET, "scheme": "hmac-sha256"}, "invalid_option")
cfg("options-header-on-baremeds", "`header` outside custom is invalid_option",
    "baremeds", {"secret": BAREMEDS_KEY, "header": "X-Webhook-Key"}, "invalid_option")
cfg("options-prefix-on-elmed", "`prefix` outside custom is invalid_option (even the preset's own value)",
    "elmed", {"secret": ELMED_SECRET, "prefix": "sha256="}, "invalid_option")
cfg("options-encoding-on-standard-webhooks", "`encoding` outside custom is invalid_option",
    "standard-webhooks", {"secret": SW_PUBLIC_SECRET, "encoding": "base64"}, "invalid_option")
cfg("options-allow-insecure-on-novamed", "`allow_insecure_default: true` outside baremeds is invalid_option",
    "novamed", {"secret": NOVAMED_KEY, "allow_insecure_default": True}, "invalid_option")
cfg("options-allow-insecure-not-bool", "`allow_insecure_default: \"true\"` (a string) is invalid_option",
    "baremeds", {"secret": "xxx", "allow_insecure_default": "true"}, "invalid_option")
cfg("options-whsec-not-base64", "a standard-webhooks secret that is not base64 is invalid_secret",
    "standard-webhooks", {"secret": "whsec_this is not base64!"}, "invalid_secret")
cfg("options-whsec-not-base64-in-rotation", "every secret in the list must be base64 on the standard-webhooks scheme",
    "standard-webhooks", {"secrets": [SW_PUBLIC_SECRET, "whsec_%%%"]}, "invalid_secret")
cfg("options-custom-standard-webhooks-secret-not-base64",
    "custom with the standard-webhooks scheme also requires a base64 secret",
    "custom", {"secret": "plain text secret", "scheme": "standard-webhooks"}, "invalid_secret")
cfg("options-custom-header-with-value", "`header` must be a header name: \"X-Signature: abc\" is invalid_option",
    "custom", {"secret": CUSTOM_SECRET, "scheme": "hmac-sha256", "header": "X-Signature: abc"}, "invalid_option")
cfg("options-custom-header-with-space", "a header name with a space is invalid_option",
    "custom", {"secret": CUSTOM_SECRET, "scheme": "shared-key", "header": "X Auth"}, "invalid_option")
cfg("options-custom-prefix-with-comma", "a prefix holding `,` or whitespace could never match (signatures are split on them): invalid_option",
    "custom", {"secret": CUSTOM_SECRET, "scheme": "hmac-sha256", "header": "X-Signature", "prefix": "t=1, v1="}, "invalid_option")
cfg("options-clinic-id-empty", "an empty clinic_id is invalid_option",
    "novamed", {"secret": NOVAMED_KEY, "clinic_id": ""}, "invalid_option")
cfg("options-max-body-bytes-zero", "`max_body_bytes: 0` is invalid_option (must be positive)",
    "elmed", {"secret": ELMED_SECRET, "max_body_bytes": 0}, "invalid_option")
cfg("options-max-body-bytes-negative", "a negative max_body_bytes is invalid_option",
    "novamed", {"secret": NOVAMED_KEY, "max_body_bytes": -1}, "invalid_option")
cfg("options-max-body-bytes-string", "`max_body_bytes: \"1024\"` is invalid_option",
    "elmed", {"secret": ELMED_SECRET, "max_body_bytes": "1024"}, "invalid_option")
cfg("options-custom-unknown-scheme", "an unknown scheme (`hmac-sha1`) is invalid_option",
    "custom", {"secret": CUSTOM_SECRET, "scheme": "hmac-sha1", "header": "X-Signature"}, "invalid_option")
cfg("options-custom-scheme-not-string", "`scheme: 5` is invalid_option",
    "custom", {"secret": CUSTOM_SECRET, "scheme": 5, "header": "X-Signature"}, "invalid_option")
cfg("options-custom-unknown-encoding", "an unknown encoding (`base32`) is invalid_option",
    "custom", {"secret": CUSTOM_SECRET, "scheme": "hmac-sha256", "header": "X-Signature", "encoding": "base32"}, "invalid_option")
cfg("options-custom-without-scheme", "custom without `scheme` is invalid_option",
    "custom", {"secret": CUSTOM_SECRET, "header": "X-Signature"}, "invalid_option")
cfg("options-custom-hmac-without-header", "custom hmac-sha256 without `header` is invalid_option",
    "custom", {"secret": CUSTOM_SECRET, "scheme": "hmac-sha256"}, "invalid_option")
cfg("options-custom-shared-key-without-header", "custom shared-key without `header` is invalid_option",
    "custom", {"secret": CUSTOM_SECRET, "scheme": "shared-key"}, "invalid_option")
cfg("options-custom-shared-key-with-prefix", "`prefix` with the shared-key scheme is invalid_option",
    "custom", {"secret": CUSTOM_SECRET, "scheme": "shared-key", "header": "X-Auth", "prefix": "Bearer "}, "invalid_option")
cfg("options-custom-shared-key-with-encoding", "`encoding` with the shared-key scheme is invalid_option",
    "custom", {"secret": CUSTOM_SECRET, "scheme": "shared-key", "header": "X-Auth", "encoding": "hex"}, "invalid_option")
cfg("options-custom-standard-webhooks-with-header", "`header` with the standard-webhooks scheme is invalid_option",
    "custom", {"secret": SW_PUBLIC_SECRET, "scheme": "standard-webhooks", "header": "webhook-signature"}, "invalid_option")
cfg("options-custom-standard-webhooks-with-prefix", "`prefix` with the standard-webhooks scheme is invalid_option",
    "custom", {"secret": SW_PUBLIC_SECRET, "scheme": "standard-webhooks", "prefix": "v1,"}, "invalid_option")
cfg("options-unknown-provider", "an unknown provider name is unknown_provider",
    "stripe", {"secret": "whsec_stripe"}, "unknown_provider")
cfg("options-unknown-provider-github", "another unknown provider name is unknown_provider",
    "github", {"secret": "gh-secret"}, "unknown_provider")
cfg("options-baremeds-insecure-default", "Baremeds with the documented default key `xxx` is insecure_default_key",
    "baremeds", {"secret": "xxx"}, "insecure_default_key")
cfg("options-baremeds-insecure-default-in-rotation", "`xxx` anywhere in the secrets list is insecure_default_key",
    "baremeds", {"secrets": [BAREMEDS_KEY, "xxx"]}, "insecure_default_key")
cfg("options-baremeds-insecure-default-explicit-false", "`allow_insecure_default: false` keeps the refusal",
    "baremeds", {"secret": "xxx", "allow_insecure_default": False}, "insecure_default_key")

# valid constructions that pin option semantics
add(F, "options-null-means-unset",
    "null option values mean \"not set\": clinic_id/scheme/tolerance/max_body_bytes null on ELMED is accepted",
    "elmed", {"secret": ELMED_SECRET, "clinic_id": None, "scheme": None, "tolerance": None, "max_body_bytes": None},
    ISSUED, elmed_headers(ISSUED), ISSUED_EV)
add(F, "options-allow-insecure-false-outside-baremeds",
    "only `allow_insecure_default: true` is refused outside baremeds; false is accepted",
    "elmed", {"secret": ELMED_SECRET, "allow_insecure_default": False}, ISSUED, elmed_headers(ISSUED), ISSUED_EV)
add(F, "options-tolerance-null-keeps-default",
    "`tolerance: null` on standard-webhooks keeps the 300 s default: a day-old delivery is timestamp_out_of_tolerance",
    "standard-webhooks", {"secret": SW_PUBLIC_SECRET, "tolerance": None}, SW_PUBLIC_BODY, PUB_HEADERS,
    Err("timestamp_out_of_tolerance"), now=SW_PUBLIC_TS + 86400)
add(F, "options-custom-defaults",
    "custom hmac-sha256 defaults: no prefix, hex encoding",
    "custom", {"secret": CUSTOM_SECRET, "scheme": "hmac-sha256", "header": "X-Sig"}, CFG_BODY,
    [["X-Sig", hmac_hex(CUSTOM_SECRET, CFG_BODY)]], Ev("prescription.issued", DIGEST, "body_sha256", None))
add(F, "options-custom-explicit-defaults",
    "custom hmac-sha256 with prefix \"\" and encoding hex spelled out is the same",
    "custom", {"secret": CUSTOM_SECRET, "scheme": "hmac-sha256", "header": "X-Sig", "prefix": "", "encoding": "hex"},
    CFG_BODY, [["X-Sig", hmac_hex(CUSTOM_SECRET, CFG_BODY)]], Ev("prescription.issued", DIGEST, "body_sha256", None))
add(F, "options-secrets-single-item",
    "`secrets` with one item behaves like `secret`",
    "novamed", {"secrets": [NOVAMED_KEY]}, SHIPPED, nm_headers(),
    Ev("order:shipped", "evt_abc123xyz", "event_id", "2025-01-15T10:30:00.000Z", clinic_id=NOVAMED_CLINIC))
add(F, "options-max-body-bytes-large",
    "max_body_bytes above the default raises the limit: a body of 1 MiB + 1 byte of whitespace around a valid envelope passes",
    "elmed", {"secret": ELMED_SECRET, "max_body_bytes": 2 * MIB},
    exact + b" ", elmed_headers(exact + b" "), Ev("prescription.issued", DIGEST, "body_sha256", "2026-03-29T10:45:00"))


# ===========================================================================
# adversarial.json
# ===========================================================================
# What anyone on the internet can send an endpoint. Every case is signed (where a signature can be) so that the part
# under attack is reached. Header bytes that are not UTF-8, and NUL bytes in headers, cannot be written in this format
# (headers are JSON strings, and the C ABI's header block is NUL-separated): the fuzz targets cover those.
F = "adversarial.json"
ADV_EVENT = b('{"event": "order.status_changed", "data": {}}')

add(F, "adversarial-100000-signatures-in-one-header",
    "a header of 100,000 comma-separated candidates is malformed_header at once (over 8 KiB), never 100,000 "
    "comparisons",
    "elmed", ELMED, ADV_EVENT, [["X-ELMED-Signature", "0," * 100_000]], Err("malformed_header"))
add(F, "adversarial-4000-signatures-within-8kib",
    "4,000 candidates in a header under 8 KiB are malformed_header: at most 16 are considered",
    "elmed", ELMED, ADV_EVENT, [["X-ELMED-Signature", "0," * 4000]], Err("malformed_header"))
add(F, "adversarial-17-valid-looking-signatures",
    "17 well-formed candidates, the valid one last, are malformed_header (the cap is 16), not a match",
    "elmed", ELMED, ADV_EVENT, [["X-ELMED-Signature", ",".join(["sha256=" + "0" * 64] * 16 + [elmed_sig(ADV_EVENT)])]],
    Err("malformed_header"))
add(F, "adversarial-8kib-header-is-the-limit",
    "a signature header of exactly 8192 bytes is read (it fails as a signature); the limit is inclusive",
    "elmed", ELMED, ADV_EVENT, [["X-ELMED-Signature", "sha256=" + "0" * (8192 - 7)]], Err("malformed_header"))
add(F, "adversarial-8kib-shared-key-is-read",
    "an x-api-key of exactly 8192 bytes is compared: key_mismatch",
    "novamed", NM, SHIPPED, nm_headers(key="k" * 8192), Err("key_mismatch"))
add(F, "adversarial-oversize-event-header",
    "an X-ELMED-Event header over 8 KiB is malformed_header, even with a valid signature",
    "elmed", ELMED, ADV_EVENT, elmed_headers(ADV_EVENT, event="e" * 8193), Err("malformed_header"))
add(F, "adversarial-oversize-webhook-id",
    "a webhook-id over 8 KiB is malformed_header",
    "standard-webhooks", SW, SW_PUBLIC_BODY, sw_headers(SW_PUBLIC_BODY, "i" * 8193, SW_PUBLIC_TS),
    Err("malformed_header"), now=SW_PUBLIC_TS)
add(F, "adversarial-100000-signatures-after-a-valid-one",
    "a valid signature followed by 100,000 more candidates is still malformed_header: the cap counts every token",
    "elmed", ELMED, ADV_EVENT, [["X-ELMED-Signature", elmed_sig(ADV_EVENT) + ",x" * 100_000]], Err("malformed_header"))
add(F, "adversarial-100000-standard-webhooks-entries",
    "a webhook-signature of 100,000 space-separated entries is malformed_header",
    "standard-webhooks", SW, SW_PUBLIC_BODY, sw_headers(SW_PUBLIC_BODY, SW_PUBLIC_ID, SW_PUBLIC_TS,
                                                        sig="v1,a " * 100_000),
    Err("malformed_header"), now=SW_PUBLIC_TS)
add(F, "adversarial-1000-repeated-signature-headers",
    "1,000 X-ELMED-Signature headers are malformed_header (the header may occur at most 16 times)",
    "elmed", ELMED, ADV_EVENT, [["X-ELMED-Signature", "sha256=00"]] * 1000, Err("malformed_header"))
add(F, "adversarial-1mib-signature-header",
    "a 1 MiB X-ELMED-Signature value (one token) is malformed_header",
    "elmed", ELMED, ADV_EVENT, [["X-ELMED-Signature", "sha256=" + "a" * MIB]], Err("malformed_header"))
add(F, "adversarial-64kib-shared-key",
    "a 64 KiB x-api-key is malformed_header: over 8 KiB, it is not even hashed",
    "novamed", NM, SHIPPED, nm_headers(key="k" * 65536), Err("malformed_header"))
add(F, "adversarial-non-ascii-header-name",
    "a header name with non-ASCII letters is not the signature header: missing_header",
    "elmed", ELMED, ADV_EVENT, [["X-\u00c9LMED-Signature", elmed_sig(ADV_EVENT)]], Err("missing_header"))

deep_data = b('{"event": "order.status_changed", "data": ' + "[" * 100_000 + "]" * 100_000 + "}")
add(F, "adversarial-100000-deep-data",
    "100,000 nested arrays in data: invalid_json (deeper than 200), with no stack overflow",
    "elmed", ELMED, deep_data, elmed_headers(deep_data, event=None), Err("invalid_json"))
deep_skipped = b('{"event": "order.status_changed", "junk": ' + '{"a": ' * 10_000 + "1" + "}" * 10_000
                 + ', "data": {}}')
add(F, "adversarial-10000-deep-ignored-field",
    "10,000 nested objects in a field hookseal skips: invalid_json (the limit holds where nothing is kept)",
    "elmed", ELMED, deep_skipped, elmed_headers(deep_skipped, event=None), Err("invalid_json"))
add(F, "adversarial-1mib-of-whitespace",
    "a body of 1 MiB of spaces (at the limit), signed: invalid_json",
    "elmed", ELMED, b" ", [["X-ELMED-Signature", elmed_sig(b" " * MIB)]], Err("invalid_json"), body_repeat=MIB)
padded = b" \n\t\r" * 16384 + ADV_EVENT + b"\r\n \t" * 16384
add(F, "adversarial-whitespace-around-the-envelope",
    "128 KiB of JSON whitespace around a valid envelope is legal: the event",
    "elmed", ELMED, padded, elmed_headers(padded), Ev("order.status_changed", DIGEST, "body_sha256", None, data={}))
big_number = b('{"event": "order.status_changed", "big": 1e400, "huge": -1e99999, "data": {}}')
add(F, "adversarial-1e400-in-an-ignored-field",
    "1e400 is legal JSON (numbers are never converted): the event",
    "elmed", ELMED, big_number, elmed_headers(big_number), Ev("order.status_changed", DIGEST, "body_sha256", None))
nm_big = b('{"event_type": "order:shipped", "event_id": 1e400, "clinic_id": "' + NOVAMED_CLINIC + '", "data": {}}')
add(F, "adversarial-1e400-as-event-id",
    "an event_id of 1e400 is kept as its JSON text: the idempotency key is \"1e400\"",
    "novamed", NM, nm_big, nm_headers(), Ev("order:shipped", "1e400", "event_id", None, clinic_id=NOVAMED_CLINIC))
for where, text in [("data", '{"event": "order.status_changed", "data": {"note": "\\ud800"}}'),
                    ("event", '{"event": "\\udc00", "data": {}}'),
                    ("key", '{"event": "order.status_changed", "data": {"\\ud800x": 1}}'),
                    ("reversed-pair", '{"event": "order.status_changed", "data": "\\udc00\\ud800"}')]:
    add(F, f"adversarial-lone-surrogate-in-{where}",
        f"a lone surrogate escape in the {where.replace('-', ' ')} is not Unicode: invalid_json",
        "elmed", ELMED, b(text), elmed_headers(b(text), event=None), Err("invalid_json"))
pair = b('{"event": "order.status_changed", "data": {"note": "\\ud83d\\ude00"}}')
add(F, "adversarial-surrogate-pair-is-legal",
    "an escaped surrogate pair is one character (U+1F600): the event",
    "elmed", ELMED, pair, elmed_headers(pair), Ev("order.status_changed", DIGEST, "body_sha256", None,
                                                  data={"note": "\U0001F600"}))
nul_escape = b('{"event": "order.status_changed", "data": {"note": "a\\u0000b"}}')
add(F, "adversarial-escaped-nul-is-legal",
    "an escaped NUL (\\u0000) inside a string is legal JSON: the event, the NUL in data",
    "elmed", ELMED, nul_escape, elmed_headers(nul_escape), Ev("order.status_changed", DIGEST, "body_sha256", None,
                                                              data={"note": "a\u0000b"}))
for name, raw in [("in-a-string", b'{"event": "order.status_changed", "data": {"note": "a\x00b"}}'),
                  ("after-the-object", ADV_EVENT + b"\x00"),
                  ("before-the-object", b"\x00" + ADV_EVENT)]:
    add(F, f"adversarial-raw-nul-{name}",
        f"a raw NUL byte {name.replace('-', ' ')} is invalid_json",
        "elmed", ELMED, raw, elmed_headers(raw, event=None), Err("invalid_json"))
for name, raw in [("invalid-byte", b'{"event": "order.status_changed", "data": "\xff"}'),
                  ("overlong-slash", b'{"event": "order.status_changed", "data": "\xc0\xaf"}'),
                  ("encoded-surrogate", b'{"event": "order.status_changed", "data": "\xed\xa0\x80"}'),
                  ("truncated-sequence", b'{"event": "order.status_changed", "data": "\xe2\x82"}')]:
    add(F, f"adversarial-utf8-{name}",
        f"a body that is not UTF-8 ({name.replace('-', ' ')}) is invalid_json",
        "elmed", ELMED, raw, elmed_headers(raw, event=None), Err("invalid_json"))


padded_event = b('{"event": " order.status_changed  ", "data": {}}')
add(F, "adversarial-event-type-with-surrounding-whitespace",
    "an event type with surrounding whitespace is compared with X-ELMED-Event without it (a header cannot carry it): "
    "the event, its type as the body has it",
    "elmed", ELMED, padded_event, elmed_headers(padded_event, event="order.status_changed"),
    Ev(" order.status_changed  ", DIGEST, "body_sha256", None, data={}))
# Found by fuzzing (fuzz/fuzz_targets/verify_signed.rs): a body `sign` signed, whose event ends in spaces, was refused
# as event_mismatch. The input as the fuzzer found it (its first byte, the preset selector, removed).
fuzz_found = base64.b64decode("eyJldmVudCI6ICJvcmRlci5zdGF0dXMgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAge30gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAiICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgLCAib3JkZUlfaWQiOiA4OCwgInN0YXR1cyI6ICJERUxJVkVSRUQifQ==")
add(F, "adversarial-fuzz-signed-event-ending-in-spaces",
    "regression (fuzzing): a delivery signed as ELMED signs it, whose event ends in spaces, verifies",
    "elmed", ELMED, fuzz_found, elmed_headers(fuzz_found),
    Ev(json.loads(fuzz_found)["event"], DIGEST, "body_sha256", None))

# ===========================================================================
# Reference verifier (self-check only; written from docs/providers.md + docs/decisions.md)
# ===========================================================================

class RefError(Exception):
    def __init__(self, kind, code):
        super().__init__(code)
        self.kind, self.code = kind, code


def vfail(code):
    raise RefError("error", code)


def cfail(code):
    raise RefError("config_error", code)


PRESETS = {
    "elmed": ("hmac-sha256", "X-ELMED-Signature", "sha256=", "hex"),
    "baremeds": ("shared-key", "X-Webhook-Key", None, None),
    "novamed": ("shared-key", "x-api-key", None, None),
    "standard-webhooks": ("standard-webhooks", None, None, None),
}
OPTION_NAMES = {"secret", "secrets", "clinic_id", "allow_insecure_default", "scheme", "header", "prefix",
                "encoding", "tolerance", "max_body_bytes"}


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def ref_config(provider, options):
    if provider not in PRESETS and provider != "custom":
        cfail("unknown_provider")
    opts = {k: v for k, v in options.items() if v is not None}
    for k, v in opts.items():
        if k not in OPTION_NAMES:
            cfail("invalid_option")
        ok = {
            "secret": isinstance(v, str),
            "secrets": isinstance(v, list) and all(isinstance(x, str) for x in v),
            "clinic_id": isinstance(v, str),
            "allow_insecure_default": isinstance(v, bool),
            "scheme": isinstance(v, str), "header": isinstance(v, str),
            "prefix": isinstance(v, str), "encoding": isinstance(v, str),
            "tolerance": is_int(v) and v >= 0,
            "max_body_bytes": is_int(v) and v > 0,
        }[k]
        if not ok:
            cfail("invalid_option")
    if "clinic_id" in opts and provider != "novamed":
        cfail("invalid_option")
    if isinstance(opts.get("clinic_id"), str) and opts["clinic_id"].strip() == "":
        cfail("invalid_option")
    if opts.get("allow_insecure_default") is True and provider != "baremeds":
        cfail("invalid_option")
    if provider != "custom":
        if any(k in opts for k in ("scheme", "header", "prefix", "encoding")):
            cfail("invalid_option")
        scheme, header, prefix, encoding = PRESETS[provider]
    else:
        scheme = opts.get("scheme")
        if scheme not in ("hmac-sha256", "shared-key", "standard-webhooks"):
            cfail("invalid_option")
        header, prefix, encoding = opts.get("header"), opts.get("prefix", ""), opts.get("encoding", "hex")
        if encoding not in ("hex", "base64"):
            cfail("invalid_option")
        if scheme == "shared-key" and ("prefix" in opts or "encoding" in opts):
            cfail("invalid_option")
        if scheme == "standard-webhooks" and any(k in opts for k in ("header", "prefix", "encoding")):
            cfail("invalid_option")
        if scheme in ("hmac-sha256", "shared-key") and not header:
            cfail("invalid_option")
        if header is not None and not re.fullmatch(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+", header):
            cfail("invalid_option")  # a header name, not "Name: value"
        if re.search(r"[,\s]", prefix or ""):
            cfail("invalid_option")  # signatures are split on `,` and whitespace
    if "secret" in opts and "secrets" in opts:
        cfail("invalid_option")
    secrets = [opts["secret"]] if "secret" in opts else opts.get("secrets")
    if not secrets or any(s == "" for s in secrets):
        cfail("invalid_secret")
    if scheme == "standard-webhooks":
        keys = []
        for s in secrets:
            try:
                keys.append(sw_key(s))
            except (binascii.Error, ValueError):
                cfail("invalid_secret")
    elif scheme == "shared-key":
        # HTTP trims header values: a shared key is compared trimmed and cannot be blank.
        if any(s.strip(" \t\r\n\x0c") == "" for s in secrets):
            cfail("invalid_secret")
        keys = [s.strip(" \t\r\n\x0c").encode("utf-8") for s in secrets]
    else:
        keys = [s.encode("utf-8") for s in secrets]
    if provider == "baremeds" and "xxx" in secrets and opts.get("allow_insecure_default") is not True:
        cfail("insecure_default_key")
    tol = opts.get("tolerance", 300 if scheme == "standard-webhooks" else 0)
    return dict(provider=provider, scheme=scheme, header=header, prefix=prefix, encoding=encoding,
                keys=keys, tolerance=tol, max_body=opts.get("max_body_bytes", MIB),
                clinic_id=opts.get("clinic_id"))


class RawInt(int):
    raw: str


class RawFloat(float):
    raw: str


def _raw_int(s):
    o = RawInt(int(s)); o.raw = s; return o


def _raw_float(s):
    o = RawFloat(float(s)); o.raw = s; return o


class ODict(dict):
    duplicate = False


def _pairs(pairs):
    d = ODict()
    for k, v in pairs:
        if k in d:
            d.duplicate = True
        d[k] = v
    return d


def _bad_constant(name):
    raise ValueError(name)


def has_surrogate(v):
    """A lone surrogate escape (Python's json keeps it as a surrogate code point) is not Unicode: hookseal refuses it."""
    if isinstance(v, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in v)
    if isinstance(v, dict):
        return any(has_surrogate(k) or has_surrogate(x) for k, x in v.items())
    if isinstance(v, list):
        return any(has_surrogate(x) for x in v)
    return False


def depth(v):
    if isinstance(v, dict):
        return 1 + max((depth(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((depth(x) for x in v), default=0)
    return 0


B64_RE = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


def b64_32(s):
    if not B64_RE.match(s):
        return None
    core = s.rstrip("=")
    if len(core) % 4 == 1:
        return None
    try:
        raw = base64.b64decode(core + "=" * (-len(core) % 4), validate=True)
    except binascii.Error:
        return None
    return raw if len(raw) == 32 else None


def raw_text(v):
    if isinstance(v, str):
        return v
    return v.raw


def ref_verify(c, full_body, headers, now):
    if len(full_body) > c["max_body"]:
        vfail("payload_too_large")

    def first(name):
        for k, v in headers:
            if k.lower() == name.lower():
                return v.strip(" \t")
        return None

    def every(name):
        return [v.strip(" \t") for k, v in headers if k.lower() == name.lower()]

    scheme, keys = c["scheme"], c["keys"]
    # Every header the verifier reads is at most 8 KiB (trimmed): longer is malformed_header, found in the one pass.
    read = {"webhook-signature", "svix-signature", "webhook-id", "webhook-timestamp", "svix-id", "svix-timestamp"} \
        if scheme == "standard-webhooks" else {c["header"].lower()}
    if c["provider"] == "elmed":
        read.add("x-elmed-event")
    if any(k.lower() in read and len(v.strip(" \t").encode()) > 8192 for k, v in headers):
        vfail("malformed_header")
    sw_id = sw_ts = None
    if scheme == "hmac-sha256":
        vals = every(c["header"])
        if not vals:
            vfail("missing_header")
        toks = [t for t in re.split(r"[,\s]+", " ".join(vals)) if t]
        if not toks or len(toks) > 16:
            vfail("malformed_header")
        well_formed, matched = False, False
        for t in toks:
            p = c["prefix"]
            if t[:len(p)].lower() != p.lower():
                continue
            t = t[len(p):]
            if c["encoding"] == "hex":
                sig = bytes.fromhex(t) if re.fullmatch(r"[0-9a-fA-F]{64}", t) else None
            else:
                sig = b64_32(t)
            if sig is None:
                continue
            well_formed = True
            if any(hmac.compare_digest(hmac_raw(k, full_body), sig) for k in keys):
                matched = True
        if not matched:
            vfail("signature_mismatch" if well_formed else "malformed_header")
    elif scheme == "shared-key":
        v = first(c["header"])
        if v is None:
            vfail("missing_header")
        if not any(hmac.compare_digest(hashlib.sha256(v.encode()).digest(), hashlib.sha256(k).digest()) for k in keys):
            vfail("key_mismatch")
    else:
        # Svix's own header names are read where the webhook-* ones are absent (as the svix crate does).
        sw_id = first("webhook-id") if first("webhook-id") is not None else first("svix-id")
        sw_ts = first("webhook-timestamp") if first("webhook-timestamp") is not None else first("svix-timestamp")
        sigs = every("webhook-signature") + every("svix-signature")
        if sw_id is None or sw_ts is None or not sigs:
            vfail("missing_header")
        if not re.fullmatch(r"[0-9]{1,18}", sw_ts):  # more digits than any i64: not a time anybody sent
            vfail("malformed_header")
        cands = []
        for e in " ".join(sigs).split():
            e = e[:-1] if e.endswith(",") else e
            ver, _, sig = e.partition(",")
            if ver == "v1":
                cands.append(b64_32(sig))
        if not cands or len(cands) > 16:
            vfail("malformed_header")
        content = f"{sw_id}.{sw_ts}.".encode() + full_body
        if not any(s is not None and any(hmac.compare_digest(hmac_raw(k, content), s) for k in keys) for s in cands):
            vfail("signature_mismatch" if any(s is not None for s in cands) else "malformed_header")

    # JSON
    try:
        text = full_body.decode("utf-8")
        body = json.loads(text, object_pairs_hook=_pairs, parse_int=_raw_int, parse_float=_raw_float,
                          parse_constant=_bad_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        vfail("invalid_json")
    if not isinstance(body, dict) or body.duplicate or depth(body) > 200 or has_surrogate(body):
        vfail("invalid_json")

    def present(obj, k):
        return isinstance(obj, dict) and obj.get(k) is not None

    def named(obj, k):
        """An event type or an id: an empty string counts as absent."""
        return present(obj, k) and obj[k] != ""

    def check_str(obj, k):
        if present(obj, k) and not isinstance(obj[k], str):
            vfail("invalid_json")

    def check_id(obj, k):
        if present(obj, k) and not isinstance(obj[k], (str, RawInt, RawFloat)):
            vfail("invalid_json")

    provider = c["provider"]
    names = {"elmed": ["event"], "baremeds": ["event"], "novamed": ["event_type"],
             "standard-webhooks": ["type"], "custom": ["event", "event_type", "type", "notification_type"]}[provider]
    for k in names:
        check_str(body, k)
    check_id(body, "timestamp")
    meta = None
    if provider == "baremeds" and present(body, "metadata"):
        meta = body["metadata"]
        if not isinstance(meta, dict) or meta.duplicate:
            vfail("invalid_json")
        if present(meta, "retry") and not isinstance(meta["retry"], bool):
            vfail("invalid_json")
        check_id(meta, "request_id")
        check_str(meta, "webhook_key")
    if provider == "novamed":
        check_id(body, "event_id")
        check_str(body, "clinic_id")
    if provider == "custom" and scheme != "standard-webhooks":
        check_id(body, "event_id")
        check_id(body, "id")
        if present(body, "metadata") and isinstance(body["metadata"], dict):
            check_id(body["metadata"], "request_id")

    if meta is not None and present(meta, "webhook_key"):
        wk = meta["webhook_key"].encode()
        if not any(hmac.compare_digest(hashlib.sha256(wk).digest(), hashlib.sha256(k).digest()) for k in keys):
            vfail("key_mismatch")

    event_type = next((body[k] for k in names if named(body, k)), None)
    if event_type is None and provider != "standard-webhooks":
        vfail("missing_field")

    if provider == "elmed":
        hdr = first("X-ELMED-Event")
        # A header cannot carry surrounding whitespace: the body's event is compared without it.
        if hdr is not None and hdr != event_type.strip(" \t\r\n\x0c"):
            vfail("event_mismatch")

    if provider == "novamed" and c["clinic_id"] is not None:
        if not present(body, "clinic_id") or body["clinic_id"] != c["clinic_id"]:
            vfail("clinic_mismatch")

    if c["tolerance"] > 0:
        assert now is not None, "a case with an active window must set now"
        if scheme == "standard-webhooks":
            ts = int(sw_ts)
        else:
            if not present(body, "timestamp"):
                vfail("missing_field")
            t = body["timestamp"]
            if isinstance(t, str):
                try:
                    dt = datetime.fromisoformat(t)
                    if not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", t):
                        raise ValueError(t)
                except ValueError:
                    vfail("timestamp_out_of_tolerance")
                if dt.tzinfo is None:
                    dt = dt.replace(tzinfo=timezone.utc)
                ts = dt.timestamp()
            else:
                ts = float(t)
        if abs(now - ts) > c["tolerance"]:
            vfail("timestamp_out_of_tolerance")

    # event
    if scheme == "standard-webhooks":
        key, source = sw_id, "webhook_id"
    elif provider == "baremeds" and meta is not None and named(meta, "request_id"):
        key, source = raw_text(meta["request_id"]), "request_id"
    elif provider == "novamed" and named(body, "event_id"):
        key, source = raw_text(body["event_id"]), "event_id"
    elif provider == "custom" and named(body, "event_id"):
        key, source = raw_text(body["event_id"]), "event_id"
    elif provider == "custom" and named(body, "id"):
        key, source = raw_text(body["id"]), "event_id"
    elif provider == "custom" and present(body, "metadata") and named(body["metadata"], "request_id"):
        key, source = raw_text(body["metadata"]["request_id"]), "request_id"
    else:
        key, source = digest(full_body), "body_sha256"
    test = first("X-Webhook-Test")
    return {
        "provider": provider,
        "event_type": event_type,
        "idempotency_key": key,
        "idempotency_key_source": source,
        "timestamp": raw_text(body["timestamp"]) if present(body, "timestamp") else None,
        "data": body["data"] if "data" in body else redact_body(body, provider),
        "is_test": test is not None and test.lower() == "true",
        "is_retry": bool(meta is not None and meta.get("retry") is True),
        "metadata": redact_meta(meta, provider) if provider == "baremeds" else None,
        "clinic_id": body.get("clinic_id") if provider == "novamed" else None,
    }


def ref_outcome(case):
    if "body" in case:
        raw = case["body"].encode("utf-8")
    else:
        raw = base64.b64decode(case["body_base64"])
    raw *= case.get("body_repeat", 1)
    try:
        c = ref_config(case["provider"], case["options"])
        if c["tolerance"] > 0:
            assert "now" in case, f"{case['name']}: replay window active but no `now`"
        ev = ref_verify(c, raw, case["headers"], case.get("now"))
        return {"event": ev}
    except RefError as e:
        return {e.kind: e.code}


def canon(v):
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


# ===========================================================================
# Checks and output
# ===========================================================================

VERIFY_CODES = ["missing_header", "malformed_header", "signature_mismatch", "key_mismatch", "payload_too_large",
                "invalid_json", "missing_field", "event_mismatch", "clinic_mismatch", "timestamp_out_of_tolerance"]
CONFIG_CODES = ["invalid_secret", "insecure_default_key", "unknown_provider", "invalid_option"]
EVENT_KEYS = ["provider", "event_type", "idempotency_key", "idempotency_key_source", "timestamp", "data",
              "is_test", "is_retry", "metadata", "clinic_id"]
SOURCES = {"event_id", "request_id", "webhook_id", "body_sha256"}


def self_check():
    problems = []
    counts = {code: 0 for code in VERIFY_CODES + CONFIG_CODES}
    for fname, cases in FILES.items():
        for case in cases:
            exp = case["expect"]
            assert len(exp) == 1
            if "event" in exp:
                ev = exp["event"]
                assert list(ev) == EVENT_KEYS, case["name"]
                assert ev["idempotency_key_source"] in SOURCES
                assert isinstance(ev["is_test"], bool) and isinstance(ev["is_retry"], bool)
                assert ev["metadata"] is None or isinstance(ev["metadata"], dict)
            else:
                (kind, code), = exp.items()
                assert code in (VERIFY_CODES if kind == "error" else CONFIG_CODES), (case["name"], code)
                counts[code] += 1
            scheme_sw = case["provider"] == "standard-webhooks" or case["options"].get("scheme") == "standard-webhooks"
            tol = case["options"].get("tolerance")
            if (scheme_sw or (is_int(tol) and tol > 0)) and "now" not in case:
                problems.append(f"{case['name']}: replay window active but no `now`")
            got = ref_outcome(case)
            if canon(got) != canon(exp):
                problems.append(f"{fname}:{case['name']}: declared {canon(exp)[:300]} but reference gives {canon(got)[:300]}")
    for code, n in counts.items():
        if n < 2:
            problems.append(f"error code {code} appears {n} times (need >= 2)")
    if problems:
        sys.exit("self-check failed:\n  " + "\n  ".join(problems))
    return counts


def dump(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def render() -> dict[str, str]:
    """Every file's text, manifest.json included."""
    out = {}
    written = {}
    for fname, cases in FILES.items():
        out[fname] = dump({"description": FILE_DESCRIPTIONS[fname], "cases": cases})
        written[fname] = len(cases)
    manifest = {
        "description": "hookseal conformance vectors: every other .json file in this directory with its case count; regenerate with `python3 tests/vectors/generate.py`",
        "files": dict(sorted(written.items())),
        "total": sum(written.values()),
    }
    out["manifest.json"] = dump(manifest)
    return out


def main():
    counts = self_check()
    files = render()
    if "--check" in sys.argv[1:]:
        # CI: the committed files must be exactly what this script writes.
        on_disk = {p.name for p in OUT_DIR.glob("*.json")}
        stale = sorted(n for n in files if not (OUT_DIR / n).exists()
                       or (OUT_DIR / n).read_text(encoding="utf-8") != files[n])
        extra = sorted(on_disk - set(files))
        if stale or extra:
            sys.exit(f"tests/vectors is out of date (stale: {stale}, unlisted: {extra}); "
                     "run python3 tests/vectors/generate.py")
        print(f"tests/vectors: {len(files) - 1} files, up to date with generate.py")
        return
    for fname, text in files.items():
        (OUT_DIR / fname).write_text(text, encoding="utf-8")
    for p in sorted(OUT_DIR.glob("*.json")):
        if p.name not in files:
            p.unlink()
    manifest = json.loads(files["manifest.json"])
    print(f"wrote {len(files) - 1} files + manifest.json, {manifest['total']} cases")
    for fname, n in manifest["files"].items():
        print(f"  {fname:24} {n}")
    print("error codes:", ", ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
