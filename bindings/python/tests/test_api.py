"""The Python surface beyond the vectors: body and header types, options, rotation, the clock, errors, reprs, sign,
threads. The vectors (test_vectors.py) pin the verdicts; these pin what only Python has."""

from __future__ import annotations

import email.message
import hashlib
import json
import pickle
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from starlette.datastructures import Headers as StarletteHeaders
from werkzeug.datastructures import EnvironHeaders, Headers as WerkzeugHeaders

import hookseal

SAMPLES = Path(__file__).resolve().parents[3] / "tests" / "samples"
SECRET = "whsk_elmed_test_secret_1f2e3d"
BODY = (SAMPLES / "elmed" / "prescription.issued.json").read_bytes()


@pytest.fixture(scope="module")
def elmed() -> hookseal.Verifier:
    return hookseal.Verifier("elmed", secret=SECRET)


def signed(body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    return hookseal.sign("elmed", body, secret=secret)


def code_of(error: pytest.ExceptionInfo[hookseal.VerificationError] | pytest.ExceptionInfo[hookseal.ConfigError]
            ) -> str:
    return error.value.code


# --- bodies ---------------------------------------------------------------------------------------------------------

def test_bytes_like_bodies_verify(elmed: hookseal.Verifier) -> None:
    for body in (BODY, bytearray(BODY), memoryview(BODY)):
        assert elmed.verify(body, signed()).event_type == "prescription.issued"


def test_a_str_body_is_refused_with_a_type_error(elmed: hookseal.Verifier) -> None:
    with pytest.raises(TypeError, match="raw bytes"):
        elmed.verify(BODY.decode(), signed())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="raw bytes"):
        hookseal.sign("elmed", BODY.decode(), secret=SECRET)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not int"):
        elmed.verify(5, signed())  # type: ignore[arg-type]


def test_bad_bodies_get_the_contract_codes(elmed: hookseal.Verifier) -> None:
    for body, code in [
        (b"not json", "invalid_json"),
        (b"\xff\xfe{\"event\": \"x\"}", "invalid_json"),
        (b"[" * 5000 + b"]" * 5000, "invalid_json"),
        (b'{"event": "x", "data": ' + b"[" * 300 + b"]" * 300 + b"}", "invalid_json"),
        (b'{"timestamp": "2026-01-01T00:00:00", "data": {}}', "missing_field"),
        (b'{"event": "a", "event": "b"}', "invalid_json"),
    ]:
        with pytest.raises(hookseal.VerificationError) as error:
            elmed.verify(body, signed(body))
        assert code_of(error) == code, body[:40]
    small = hookseal.Verifier("elmed", secret=SECRET, max_body_bytes=64)
    with pytest.raises(hookseal.VerificationError) as error:
        small.verify(BODY, signed())
    assert code_of(error) == "payload_too_large"
    assert error.value.http_status == 413


def test_header_bytes_that_are_not_text_get_the_contract_codes(elmed: hookseal.Verifier) -> None:
    # ASGI hands headers over as raw bytes: invalid UTF-8, NUL and oversize values are codes, never a crash.
    for headers, code in [
        ([(b"x-elmed-signature", b"sha256=\xff\xfe\x00")], "malformed_header"),
        ([(b"x-elmed-signature\xff", signed()["X-ELMED-Signature"].encode())], "missing_header"),
        ([(b"x-elmed-signature", b"sha256=" + b"a" * (1 << 20))], "malformed_header"),
        ([(b"x-elmed-signature", b"0," * 100_000)], "malformed_header"),
    ]:
        with pytest.raises(hookseal.VerificationError) as error:
            elmed.verify(BODY, headers)
        assert code_of(error) == code
    novamed = hookseal.Verifier("novamed", secret="nm_key")
    with pytest.raises(hookseal.VerificationError) as error:
        novamed.verify(b'{"event_type": "a", "event_id": "e", "data": {}}', [(b"x-api-key", b"nm_key\x00\xff")])
    assert code_of(error) == "key_mismatch"


def test_data_is_plain_python_values_with_keys_as_sent(elmed: hookseal.Verifier) -> None:
    body = json.dumps({"event": "order.status_changed", "data": {
        "orderId": 88, "Total": 850.00, "big": 2**80, "neg": -5, "exp": 1e300, "none": None, "flags": [True, False],
        "text": "caf\u00e9 \U0001F48A \"quoted\"", "nested": {"a": [{"b": []}]}, "empty": {},
    }}).encode()
    event = elmed.verify(body, signed(body))
    assert event.data == json.loads(body)["data"]
    assert type(event.data["Total"]) is float and type(event.data["big"]) is int and event.data["big"] == 2**80
    assert list(event.data) == list(json.loads(body)["data"])  # key order kept
    deep = b'{"event": "x", "data": ' + b'{"a": ' * 150 + b"1" + b"}" * 150 + b"}"
    value = elmed.verify(deep, signed(deep)).data
    for _ in range(150):
        value = value["a"]
    assert value == 1


def test_many_distinct_short_strings_survive_the_string_cache(elmed: hookseal.Verifier) -> None:
    # Short keys and values come from a fixed-size cache; far more distinct ones than it holds must still come out
    # exactly as sent, in every delivery.
    for round_ in range(3):
        data = {f"k{n}": [f"v{n}", f"v{n % 7}", "s" * (n % 40)] for n in range(20000)}
        data[f"round{round_}"] = {"caf\u00e9": "\U0001F48A", "": "", "a\u0000b": "\\"}
        body = json.dumps({"event": "x", "data": data}).encode()
        assert hookseal.Verifier("elmed", secret=SECRET, max_body_bytes=1 << 21).verify(body, signed(body)).data == data


def test_large_bodies_release_the_gil() -> None:
    big = json.dumps({"event": "order.status_changed", "data": {"blob": "x" * (32 << 20)}}).encode()
    verifier = hookseal.Verifier("elmed", secret=SECRET, max_body_bytes=64 << 20)
    headers = signed(big)
    counter = [0]
    done = threading.Event()

    def spin() -> None:
        # sleep(0) hands the GIL back each turn, so this thread never makes the main one wait for a forced switch.
        while not done.is_set():
            counter[0] += 1
            time.sleep(0)

    # With forced switches this rare, the other thread can only advance while the main one is inside verify if
    # verify released the GIL.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000)
    thread = threading.Thread(target=spin)
    thread.start()
    try:
        progressed = []
        for _ in range(5):
            before = counter[0]
            verifier.verify(big, headers)
            progressed.append(counter[0] - before)
        assert any(progressed), "no other thread ran while a 32 MiB body was verified"
        small = signed()
        before = counter[0]
        hookseal.Verifier("elmed", secret=SECRET).verify(BODY, small)
        assert counter[0] == before, "a small body should not pay for releasing the GIL"
    finally:
        done.set()
        sys.setswitchinterval(interval)
        thread.join()


# --- headers --------------------------------------------------------------------------------------------------------

def test_every_header_container(elmed: hookseal.Verifier) -> None:
    headers = signed()
    pairs = list(headers.items())
    message = email.message.Message()
    for name, value in pairs:
        message[name] = value
    environ = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in pairs if name != "Content-Type"}
    containers: list[Any] = [
        headers,
        {name.lower(): value for name, value in pairs},
        pairs,
        [list(pair) for pair in pairs],
        tuple(pairs),
        iter(pairs),
        [(name.encode(), value.encode()) for name, value in pairs],  # raw ASGI scope headers
        WerkzeugHeaders(pairs),
        EnvironHeaders(environ),  # Flask's request.headers
        StarletteHeaders(headers=dict(pairs)),  # FastAPI's request.headers
        message,  # http.server / urllib
        {name: [value] for name, value in pairs},
    ]
    for container in containers:
        assert elmed.verify(BODY, container).event_type == "prescription.issued", type(container)


def test_repeated_signature_headers_in_multidicts(elmed: hookseal.Verifier) -> None:
    good = signed()["X-ELMED-Signature"]
    bad = "sha256=" + "0" * 64
    for container in (
        WerkzeugHeaders([("X-ELMED-Signature", bad), ("X-ELMED-Signature", good)]),
        StarletteHeaders(raw=[(b"x-elmed-signature", bad.encode()), (b"x-elmed-signature", good.encode())]),
        {"X-ELMED-Signature": [bad, good]},
    ):
        assert elmed.verify(BODY, container).provider == "elmed"


def test_malformed_header_containers_are_type_errors(elmed: hookseal.Verifier) -> None:
    for headers in (None, "X-ELMED-Signature: x", b"raw", 5, [("a", "b", "c")], [("a",)], {"a": 5}, [(5, "x")]):
        with pytest.raises(TypeError):
            elmed.verify(BODY, headers)  # type: ignore[arg-type]


def test_missing_and_malformed_headers(elmed: hookseal.Verifier) -> None:
    for headers, code in [
        ({}, "missing_header"),
        ({"X-ELMED-Signature": "md5=abc"}, "malformed_header"),
        ({"X-ELMED-Signature": "sha256=" + "0" * 64}, "signature_mismatch"),
        ({"X-ELMED-Signature": "sha256=\u00e9" * 3}, "malformed_header"),
    ]:
        with pytest.raises(hookseal.VerificationError) as error:
            elmed.verify(BODY, headers)
        assert code_of(error) == code
        assert error.value.http_status == 401


# --- options, rotation, clock ---------------------------------------------------------------------------------------

def test_rotation_accepts_any_configured_secret() -> None:
    verifier = hookseal.Verifier("elmed", secrets=("new_secret_2026", "old_secret_2025"))
    for secret in ("new_secret_2026", "old_secret_2025"):
        assert verifier.verify(BODY, signed(secret=secret)).event_type == "prescription.issued"
    with pytest.raises(hookseal.VerificationError) as error:
        verifier.verify(BODY, signed(secret="retired_secret_2024"))
    assert code_of(error) == "signature_mismatch"
    assert hookseal.sign("elmed", BODY, secrets=["new_secret_2026", "old"]) == signed(secret="new_secret_2026")


def test_options_are_checked_strictly() -> None:
    for provider, options, code in [
        ("elmed", {"secret": SECRET, "maxBodyBytes": 10}, "invalid_option"),
        ("elmed", {"secret": SECRET, "max_body_bytes": True}, "invalid_option"),
        ("elmed", {"secret": SECRET, "max_body_bytes": 2**70}, "invalid_option"),
        ("elmed", {"secret": SECRET, "tolerance": 30.0}, "invalid_option"),
        ("elmed", {"secrets": ["ok", 5]}, "invalid_option"),
        ("elmed", {"secrets": {"a": "b"}}, "invalid_option"),
        ("elmed", {"secret": b"bytes"}, "invalid_option"),
        ("elmed", {"secret": "\ud800"}, "invalid_option"),
        ("elmed", {"secret": SECRET, "secrets": [SECRET]}, "invalid_option"),
        ("elmed", {}, "invalid_secret"),
        ("baremeds", {"secret": "xxx"}, "insecure_default_key"),
        ("acme", {"secret": SECRET}, "unknown_provider"),
    ]:
        with pytest.raises(hookseal.ConfigError) as error:
            hookseal.Verifier(provider, **options)
        assert code_of(error) == code, options
        assert isinstance(error.value, ValueError)
        assert error.value.http_status == 500
    assert hookseal.Verifier("baremeds", secret="xxx", allow_insecure_default=True).provider == "baremeds"
    assert hookseal.Verifier("elmed", secret=SECRET, tolerance=None, max_body_bytes=10).max_body_bytes == 10


def test_now_fixes_the_clock() -> None:
    verifier = hookseal.Verifier("elmed", secret=SECRET, tolerance=60)
    body = b'{"event": "order.status_changed", "timestamp": 1774781100, "data": {}}'
    headers = signed(body)
    assert verifier.verify(body, headers, now=1774781160).timestamp == "1774781100"
    assert verifier.verify(body, headers, now=1774781160.99).timestamp == "1774781100"  # floats round down
    assert verifier.verify(body, headers, 1774781040).timestamp == "1774781100"
    for now in (1774781161, 1774781039.5):
        with pytest.raises(hookseal.VerificationError) as error:
            verifier.verify(body, headers, now=now)
        assert code_of(error) == "timestamp_out_of_tolerance"
    for bad in (True, "1774781100", [1]):
        with pytest.raises(TypeError):
            verifier.verify(body, headers, now=bad)  # type: ignore[arg-type]
    for huge in (2**64, float("inf"), float("nan")):
        with pytest.raises(ValueError):
            verifier.verify(body, headers, now=huge)


def test_without_now_the_system_clock_is_used() -> None:
    verifier = hookseal.Verifier("elmed", secret=SECRET, tolerance=300)
    fresh = json.dumps({"event": "x", "timestamp": int(time.time()), "data": {}}).encode()
    assert verifier.verify(fresh, signed(fresh)).event_type == "x"
    stale = json.dumps({"event": "x", "timestamp": int(time.time()) - 3600, "data": {}}).encode()
    with pytest.raises(hookseal.VerificationError) as error:
        verifier.verify(stale, signed(stale))
    assert code_of(error) == "timestamp_out_of_tolerance"


# --- events, errors, reprs ------------------------------------------------------------------------------------------

def test_event_fields_and_immutability(elmed: hookseal.Verifier) -> None:
    event = elmed.verify(BODY, {**signed(), "X-Webhook-Test": "TRUE"})
    assert (event.provider, event.event_type, event.idempotency_key_source) == (
        "elmed", "prescription.issued", "body_sha256")
    assert event.idempotency_key.startswith("sha256:") and len(event.idempotency_key) == 71
    assert event.timestamp == json.loads(BODY)["timestamp"]
    assert event.is_test is True and event.is_retry is False
    assert event.metadata is None and event.clinic_id is None
    with pytest.raises(AttributeError):
        event.data = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        hookseal.Event()  # type: ignore[call-arg]


def test_baremeds_metadata_and_novamed_fields() -> None:
    key = "bm_live_9d2f7c41e8a35b06"
    body = json.dumps({"event": "order_changed", "data": {"id": 1}, "metadata": {
        "request_id": "req-77", "retry": True, "webhook_key": key}}).encode()
    event = hookseal.Verifier("baremeds", secret=key).verify(body, {"X-Webhook-Key": key})
    assert (event.idempotency_key, event.idempotency_key_source, event.is_retry) == ("req-77", "request_id", True)
    assert event.metadata == {"request_id": "req-77", "retry": True, "webhook_key": "[redacted]"}
    assert key not in repr(event)

    body = (SAMPLES / "novamed" / "order.shipped.json").read_bytes()
    novamed = hookseal.Verifier("novamed", secret="nm_key_2f8a61c0d94b37e5")
    event = novamed.verify(body, [("x-api-key", "nm_key_2f8a61c0d94b37e5")])
    assert event.idempotency_key == json.loads(body)["event_id"]
    assert event.clinic_id == json.loads(body)["clinic_id"]


def test_secrets_never_appear_in_reprs_or_errors() -> None:
    secret = "whsk_TOPSECRET_do_not_print"
    verifier = hookseal.Verifier("elmed", secret=secret)
    texts = [repr(verifier), str(verifier)]
    with pytest.raises(hookseal.VerificationError) as verification:
        verifier.verify(BODY, signed(secret="another_" + secret))
    texts += [repr(verification.value), str(verification.value), verification.value.message]
    for provider, options in [
        ("standard-webhooks", {"secret": "whsec_" + secret + "!!"}),
        ("elmed", {"secret": secret, "secrets": [secret]}),
        ("elmed", {"secret": secret, "tolerance": secret}),
        ("elmed", {"secret": secret, secret: 1}),
    ]:
        with pytest.raises(hookseal.ConfigError) as config:
            hookseal.Verifier(provider, **options)
        texts += [repr(config.value), str(config.value)]
    shared = hookseal.Verifier("novamed", secret=secret)
    with pytest.raises(hookseal.VerificationError) as mismatch:
        shared.verify(b"{}", {"x-api-key": secret[:-1]})
    texts += [repr(mismatch.value), str(mismatch.value)]
    leaked = [text for text in texts if "TOPSECRET" in text]
    # The one place a caller's text is echoed is an unknown option's name, which is theirs to choose.
    assert leaked == [t for t in texts if "unknown option" in t], leaked


def test_errors_are_value_errors_with_codes_that_survive_pickling(elmed: hookseal.Verifier) -> None:
    with pytest.raises(hookseal.VerificationError) as error:
        elmed.verify(BODY, {})
    assert isinstance(error.value, ValueError)
    assert (error.value.code, error.value.http_status) == ("missing_header", 401)
    assert str(error.value).startswith("missing_header: ")
    copy = pickle.loads(pickle.dumps(error.value))
    assert (type(copy), copy.code, copy.message, copy.http_status) == (
        hookseal.VerificationError, "missing_header", error.value.message, 401)
    assert type(error.value).__module__ == "hookseal" and hookseal.ConfigError.__module__ == "hookseal"


# --- sign -----------------------------------------------------------------------------------------------------------

def test_sign_gives_a_real_deliverys_headers() -> None:
    assert signed() == {
        "Content-Type": "application/json",
        "X-ELMED-Signature": signed()["X-ELMED-Signature"],
        "X-ELMED-Event": "prescription.issued",
    }
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    headers = hookseal.sign("standard-webhooks", b'{"type":"a"}', secret=secret, now=1700000000, webhook_id="msg_1")
    assert (headers["webhook-id"], headers["webhook-timestamp"]) == ("msg_1", "1700000000")
    event = hookseal.Verifier("standard-webhooks", secret=secret).verify(b'{"type":"a"}', headers, now=1700000000)
    assert (event.idempotency_key, event.event_type) == ("msg_1", "a")
    with pytest.raises(hookseal.ConfigError) as error:
        hookseal.sign("elmed", BODY, secret=SECRET, now=1)
    assert code_of(error) == "invalid_option"


# --- threads --------------------------------------------------------------------------------------------------------

def test_one_verifier_is_shared_across_threads(elmed: hookseal.Verifier) -> None:
    bodies = [json.dumps({"event": "x", "data": {"n": n, "pad": "p" * (n * 997 % 40000)}}).encode() for n in range(64)]
    deliveries = [(body, signed(body)) for body in bodies]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda d: elmed.verify(*d).data["n"], deliveries * 8))
    assert results == list(range(64)) * 8


def test_the_stubs_name_exactly_the_options_the_core_knows() -> None:
    import ast

    stub = ast.parse((Path(hookseal.__file__).parent / "_hookseal.pyi").read_text())
    verifier = next(n for n in stub.body if isinstance(n, ast.ClassDef) and n.name == "Verifier")
    new = next(n for n in verifier.body if isinstance(n, ast.FunctionDef) and n.name == "__new__")
    names = [arg.arg for arg in new.args.kwonlyargs]
    assert names, "the stub lists the options"
    for name in names:  # each is known to the core (None means "not set")
        base: dict[str, Any] = {"secret": "s", "scheme": "hmac-sha256", "header": "X-Sig"}
        hookseal.Verifier("custom", **{**base, name: base.get(name)})
    assert sorted(names) == sorted(hookseal._hookseal._OPTION_NAMES), "the stub and the core list other options"
    sign = next(n for n in stub.body if isinstance(n, ast.FunctionDef) and n.name == "sign")
    assert [arg.arg for arg in sign.args.kwonlyargs] == names + ["now", "webhook_id"]


@pytest.mark.parametrize("number", [
    "0", "-0", "7", "-7", "256", "257", "-5", "-6", "9223372036854775807", "-9223372036854775808",
    "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890123", "1.0", "-0.0", "0.1",
    "1E5", "1e-5", "2.5E+3", "1.7976931348623157e308", "1e400", "-1e400", "5e-324", "1e-400", "850.00",
    "123456789012345678", "1234567890123456789", "9007199254740993", "9007199254740993.0", "0.30000000000000004",
    "1e22", "1e23", "8.45e1", "84.50", "1234567890.0987654321", "100000000000000000000000.5", "4.9e-324",
    "2.2250738585072014e-308", "0.000001", "-129.99",
])
def test_numbers_read_as_json_loads_reads_them(elmed: hookseal.Verifier, number: str) -> None:
    body = ('{"event": "x", "data": [%s, {"n": %s}]}' % (number, number)).encode()
    got = elmed.verify(body, signed(body)).data
    expected = json.loads(body)["data"]
    assert [type(got[0]), type(got[1]["n"])] == [type(expected[0])] * 2
    assert repr(got) == repr(expected)


def same_values(got: Any, expected: Any) -> bool:
    """Equal and of the same types all the way down (``1 == 1.0 == True`` in Python), key order included."""
    if type(got) is not type(expected):
        return False
    if isinstance(got, dict):
        return list(got) == list(expected) and all(same_values(got[k], expected[k]) for k in got)
    if isinstance(got, list):
        return len(got) == len(expected) and all(same_values(a, b) for a, b in zip(got, expected))
    return bool(got == expected)


def records(count: int) -> list[dict[str, Any]]:
    """Records whose shapes change the way real ones do: the same keys again, one more, one fewer, another order,
    a duplicate, long and escaped keys, records nested in records."""
    out: list[dict[str, Any]] = []
    for n in range(count):
        name = ["Amoxicillin 500 mg", "Atorvastatin"][n % 2]
        record: dict[str, Any] = {"line_id": n, "sku": f"SKU-{n:06d}", "name": name, "qty": n % 3,
                                  "unit_price": n / 8, "currency": "ZAR", "dispensed": n % 4 == 0}
        if n % 7 == 3:
            record["note"] = None
        if n % 11 == 5:
            del record["qty"]
        if n % 13 == 6:
            record = dict(reversed(list(record.items())))
        if n % 17 == 8:
            record["a key longer than thirty-two bytes, so never cached"] = n
        if n % 19 == 9:
            record["caf\u00e9 \"quoted\"\n"] = "t\u00e9l\u00e9phone \\ \u20ac"
        if n % 23 == 10:
            record["batches"] = [{"lot": f"L{n}", "expires": "2027-01"}, {"lot": f"M{n}", "expires": None}]
        out.append(record)
    return out


@pytest.mark.parametrize("count", [1, 3, 40, 3000])  # small bodies, and large ones (shared values, dict templates)
def test_data_is_what_json_loads_gives_for_records_of_changing_shapes(elmed: hookseal.Verifier, count: int) -> None:
    data = {"items": records(count), "empty": [{}, [], ""], "last": {"line_id": 1}}
    text = json.dumps({"event": "x", "data": data})
    # A duplicate key inside a record: the last one wins, in the first one's place.
    body = text.replace('"line_id": 2,', '"line_id": 2, "qty": 9, "line_id": 22,', 1).encode()
    got = hookseal.Verifier("elmed", secret=SECRET, max_body_bytes=1 << 21).verify(body, signed(body)).data
    assert same_values(got, json.loads(body)["data"])
    again = hookseal.Verifier("elmed", secret=SECRET, max_body_bytes=1 << 21).verify(body, signed(body)).data
    assert same_values(again, got)


@pytest.mark.parametrize("text", ["\U0001F48A", "a\U0001F48Ab" * 3000, "\u00e9\u20ac\uffff"])
def test_strings_with_surrogate_escapes_read_as_json_loads_reads_them(elmed: hookseal.Verifier, text: str) -> None:
    body = json.dumps({"event": "x", "data": {"text": text, "list": [text, {"k": text}]}}).encode()  # \ud83d\udc8a
    assert same_values(elmed.verify(body, signed(body)).data, json.loads(body)["data"])


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_a_body_digest_key_is_the_bodys_sha256_whenever_it_is_read(elmed: hookseal.Verifier, kind: Any) -> None:
    expected = "sha256:" + hashlib.sha256(BODY).hexdigest()
    event = elmed.verify(kind(BODY), signed())
    assert event.idempotency_key_source == "body_sha256"
    assert event.idempotency_key == expected and event.idempotency_key is event.idempotency_key
    assert event.to_dict()["idempotency_key"] == expected and expected in repr(event)
    custom = hookseal.Verifier("custom", secret=SECRET, scheme="hmac-sha256", header="X-ELMED-Signature",
                               prefix="sha256=")
    assert custom.verify(kind(BODY), signed()).idempotency_key == expected  # no id in the envelope
    big = json.dumps({"event": "x", "data": {"blob": "x" * (1 << 20)}}).encode()
    large = hookseal.Verifier("elmed", secret=SECRET, max_body_bytes=1 << 21).verify(kind(big), signed(big))
    with ThreadPoolExecutor(4) as pool:  # read at once by threads: one key, hashed with the GIL released
        keys = list(pool.map(lambda _: large.idempotency_key, range(8)))
    assert keys == ["sha256:" + hashlib.sha256(big).hexdigest()] * 8


def test_errors_made_in_python_answer_like_the_cores() -> None:
    assert hookseal.VerificationError("signature_mismatch", "m").http_status == 401
    assert hookseal.VerificationError("payload_too_large", "m").http_status == 413
    assert hookseal.VerificationError("clinic_mismatch", "m").http_status == 400
    assert hookseal.ConfigError("invalid_option", "m").http_status == 500
    with pytest.raises(ValueError):
        hookseal.VerificationError("no_such_code", "m")


# --- Event.to_dict -------------------------------------------------------------------------------------------------

def test_to_dict_gives_every_field_under_its_snake_case_name(elmed: hookseal.Verifier) -> None:
    event = elmed.verify(BODY, signed())
    fields = event.to_dict()
    names = ["provider", "event_type", "idempotency_key", "idempotency_key_source", "timestamp", "data", "is_test",
             "is_retry", "metadata", "clinic_id"]
    assert list(fields) == names
    assert fields == {name: getattr(event, name) for name in names}
    assert json.loads(json.dumps(fields))["data"] == json.loads(BODY)["data"]
    # Baremeds' metadata and NovaMed's clinic: the same values as the properties, secrets still redacted.
    key = "bm_live_9d2f7c41e8a35b06"
    body = json.dumps({"event": "order_changed", "data": {}, "metadata": {"request_id": "r-1", "webhook_key": key}})
    baremeds = hookseal.Verifier("baremeds", secret=key).verify(body.encode(), {"X-Webhook-Key": key}).to_dict()
    assert baremeds["metadata"] == {"request_id": "r-1", "webhook_key": "[redacted]"} and key not in repr(baremeds)
    novamed_body = (SAMPLES / "novamed" / "order.shipped.json").read_bytes()
    novamed = hookseal.Verifier("novamed", secret="nm_k").verify(novamed_body, {"x-api-key": "nm_k"}).to_dict()
    assert novamed["clinic_id"] == json.loads(novamed_body)["clinic_id"]


# --- hookseal.verify: one call, over a cache of verifiers ----------------------------------------------------------

@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """An empty verifier cache, and the provider of every Verifier hookseal.verify builds from here on."""
    from hookseal import _verify

    monkeypatch.setattr(_verify, "_cache", type(_verify._cache)())
    providers: list[str] = []

    def counting(provider: str, **options: Any) -> hookseal.Verifier:
        providers.append(provider)
        return hookseal.Verifier(provider, **options)

    monkeypatch.setattr(_verify, "Verifier", counting)
    return providers


def test_verify_gives_the_verifiers_verdict(built: list[str], elmed: hookseal.Verifier) -> None:
    event = hookseal.verify("elmed", BODY, signed(), secret=SECRET)
    assert event.to_dict() == elmed.verify(BODY, signed()).to_dict()
    with pytest.raises(hookseal.VerificationError) as refused:
        hookseal.verify("elmed", BODY, signed(secret="other"), secret=SECRET)
    assert code_of(refused) == "signature_mismatch"
    # now= is the clock, not part of the verifier: one verifier for both calls, and the window applies.
    sw = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    headers = hookseal.sign("standard-webhooks", b"{}", secret=sw, now=1_700_000_000)
    assert hookseal.verify("standard-webhooks", b"{}", headers, secret=sw, now=1_700_000_010).event_type is None
    with pytest.raises(hookseal.VerificationError) as stale:
        hookseal.verify("standard-webhooks", b"{}", headers, secret=sw, now=1_700_009_999)
    assert code_of(stale) == "timestamp_out_of_tolerance"
    assert built == ["elmed", "standard-webhooks"]


def test_verify_reuses_its_verifier_in_a_loop(built: list[str]) -> None:
    headers = signed()
    for _ in range(10_000):
        hookseal.verify("elmed", BODY, headers, secret=SECRET)
    assert built == ["elmed"]
    # Another option set is another verifier; the same options in another order are the same one.
    hookseal.verify("elmed", BODY, headers, secrets=[SECRET, "old"], tolerance=0)
    hookseal.verify("elmed", BODY, headers, tolerance=0, secrets=[SECRET, "old"])
    hookseal.verify("elmed", BODY, headers, secrets=(SECRET, "old"), tolerance=0)  # a tuple: not the list's key
    assert built == ["elmed"] * 3


def test_verify_keeps_the_32_most_recently_used(built: list[str]) -> None:
    from hookseal import _verify

    def call(n: int) -> None:
        secret = f"secret-{n}"
        hookseal.verify("elmed", BODY, signed(secret=secret), secret=secret)

    for n in range(32):
        call(n)
    call(0)  # now the most recently used: secret-1 is the oldest
    assert len(built) == 32 and len(_verify._cache) == 32
    call(32)  # evicts secret-1
    assert len(built) == 33 and len(_verify._cache) == 32
    call(0)
    assert len(built) == 33
    call(1)  # built again
    assert len(built) == 34 and len(_verify._cache) == 32


def test_verify_raises_configuration_errors_every_call(built: list[str]) -> None:
    for _ in range(3):
        with pytest.raises(hookseal.ConfigError) as unknown:
            hookseal.verify("acme", BODY, signed(), secret=SECRET)
        assert code_of(unknown) == "unknown_provider"
        with pytest.raises(hookseal.ConfigError) as option:
            hookseal.verify("elmed", BODY, signed(), secret=SECRET, nope=1)  # type: ignore[call-arg]
        assert code_of(option) == "invalid_option"
        with pytest.raises(hookseal.ConfigError) as typed:
            hookseal.verify("elmed", BODY, signed(), secrets={"a": 1})  # type: ignore[arg-type]
        assert code_of(typed) == "invalid_option"
    assert len(built) == 9  # every call tried to build, and nothing was cached
    from hookseal import _verify

    assert len(_verify._cache) == 0


def test_verify_never_shows_its_secrets(built: list[str]) -> None:
    from hookseal import _verify

    secret = "whsk_TOPSECRET_in_the_cache"
    hookseal.verify("elmed", BODY, signed(secret=secret), secret=secret)
    with pytest.raises(hookseal.VerificationError) as refused:
        hookseal.verify("elmed", BODY, signed(), secret=secret)
    texts = [repr(_verify._cache), str(list(_verify._cache)), repr(refused.value), str(refused.value)]
    assert not [text for text in texts if "TOPSECRET" in text]
