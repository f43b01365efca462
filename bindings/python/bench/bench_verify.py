"""hookseal against the providers' own Python snippets, per verified delivery with the data materialised.

What is compared (same body bytes and the same plain-dict headers on both sides):

* ELMED (HMAC-SHA256): the snippet from ELMED's documentation (``verify_signature`` below, verbatim) followed by
  ``json.loads(body)``, against ``Verifier("elmed").verify(body, headers)`` reading ``.idempotency_key`` and
  ``.data``. hookseal does more per call: it also hashes the whole body for the idempotency key (``sha256:<hex>``),
  checks the envelope (one JSON object, no duplicate top-level keys, a string ``event``) and converts the headers.
* NovaMed (shared key in ``x-api-key``): ``hmac.compare_digest`` on the key followed by ``json.loads(body)``, against
  ``Verifier("novamed").verify(body, headers)`` (key compared as SHA-256 digests, envelope checked, ``event_id``
  as the idempotency key).

Bodies of about 1 KiB, 64 KiB and 1 MiB are the documented samples (tests/samples/) with line items added to
``data``; the 1 MiB body stays within the default ``max_body_bytes`` (1048576, inclusive). Each measurement is
calibrated like ``timeit``'s autorange (>= 0.2 s per repeat), then the two sides are timed alternately, REPEAT times,
so that the machine's noise hits both alike; ``timeit`` turns the garbage collector off while timing, for both.

Run: ``make bench-python`` (runs this and bench_memory.py), or ``.venv/bin/python bindings/python/bench/bench_verify.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import platform
import statistics
import sys
import timeit
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import hookseal

SAMPLES = Path(__file__).resolve().parents[3] / "tests" / "samples"
ELMED_SECRET = "whsec_elmed_bench_0123456789abcdef"
NOVAMED_KEY = "nm_live_bench_key_0123456789abcdef"
SIZES = [("1 KiB", 1024), ("64 KiB", 64 * 1024), ("1 MiB", 1024 * 1024)]
REPEAT = 21
MIN_SECONDS_PER_REPEAT = 0.2

Headers = dict[str, str]
Call = Callable[[], object]


# --- The providers' snippets -------------------------------------------------------------------------------------

# ELMED's documentation, verbatim.
def verify_signature(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def elmed_snippet(body: bytes, headers: Headers) -> Any:
    """The documented handler: check the signature, then parse the body for its data."""
    if not verify_signature(ELMED_SECRET, body, headers.get("X-ELMED-Signature", "")):
        raise ValueError("signature mismatch")
    return json.loads(body)["data"]


def novamed_snippet(body: bytes, headers: Headers) -> Any:
    """NovaMed's documented check (``x-api-key`` equals the key), made constant-time, then the parsed data."""
    if not hmac.compare_digest(headers["x-api-key"], NOVAMED_KEY):
        raise ValueError("key mismatch")
    return json.loads(body)["data"]


def hookseal_call(verifier: hookseal.Verifier, body: bytes, headers: Headers) -> Any:
    event = verifier.verify(body, headers)
    _ = event.idempotency_key  # read, as a handler would to deduplicate
    return event.data


# --- Bodies and headers --------------------------------------------------------------------------------------------

PRODUCTS = [
    ("Amoxicillin 500 mg capsules, 21", 8450),
    ("Atorvastatin 20 mg tablets, 30", 12999),
    ("Metformin 850 mg tablets, 56", 6320),
    ("Salbutamol 100 mcg inhaler, 200 doses", 9875),
    ("Omeprazole 20 mg capsules, 28", 5410),
    ("Levothyroxine 50 mcg tablets, 28", 7150),
]


def line_item(n: int) -> dict[str, Any]:
    name, cents = PRODUCTS[n % len(PRODUCTS)]
    return {
        "line_id": n + 1,
        "sku": f"SKU-{100000 + n * 37 % 900000:06d}",
        "name": name,
        "qty": 1 + n % 3,
        "unit_price": cents / 100,
        "currency": "ZAR",
        "dispensed": n % 4 != 0,
    }


def grow(envelope: dict[str, Any], target: int) -> bytes:
    """The envelope serialised (``json.dumps`` defaults, as ``requests.post(json=...)`` sends it) with as many line
    items in ``data["items"]`` as fit in ``target`` bytes."""
    items: list[dict[str, Any]] = []
    envelope["data"]["items"] = items
    size = len(json.dumps(envelope).encode())
    while True:
        item = line_item(len(items))
        extra = len(json.dumps(item).encode()) + (2 if items else 0)  # ", " between items
        if size + extra > target:
            break
        items.append(item)
        size += extra
    body = json.dumps(envelope).encode()
    assert len(body) == size <= target, (len(body), size, target)
    return body


def sample(provider: str, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / provider / name).read_bytes())
    return loaded


def elmed_body(target: int) -> bytes:
    return grow(sample("elmed", "order.status_changed.json"), target)


def novamed_body(target: int) -> bytes:
    return grow(sample("novamed", "order.shipped.json"), target)


def elmed_headers(body: bytes) -> Headers:
    signed = hookseal.sign("elmed", body, secret=ELMED_SECRET)
    return {"Content-Type": "application/json", "X-ELMED-Signature": signed["X-ELMED-Signature"]}


def novamed_headers() -> Headers:
    return {"Content-Type": "application/json", "x-api-key": NOVAMED_KEY}


def realistic_elmed_headers(body: bytes) -> Headers:
    """What a Flask app behind a load balancer sees: 12 headers, the signature among them."""
    signed = hookseal.sign("elmed", body, secret=ELMED_SECRET)
    return {
        "Host": "api.clinic.example",
        "User-Agent": "ELMED-Webhooks/1.4 (+https://elmed.example/webhooks)",
        "Accept": "*/*",
        "Accept-Encoding": "gzip, deflate",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "X-Forwarded-For": "203.0.113.24, 10.0.3.17",
        "X-Forwarded-Proto": "https",
        "X-Request-Id": "9f1c2e4a-6b7d-4c8e-9a0b-1d2e3f405162",
        "Traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "X-ELMED-Event": signed["X-ELMED-Event"],
        "X-ELMED-Signature": signed["X-ELMED-Signature"],
    }


# --- Checks and timing ---------------------------------------------------------------------------------------------


def sanity_check(
    label: str, snippet: Callable[[bytes, Headers], Any], verifier: hookseal.Verifier, body: bytes, headers: Headers
) -> None:
    """Both sides accept the delivery, produce the same data, and refuse it with the auth header tampered."""
    event = verifier.verify(body, headers)
    expected = json.loads(body)["data"]
    if not (snippet(body, headers) == expected == event.data):
        sys.exit(f"{label}: the two sides disagree on the data")
    if verifier.provider == "elmed" and event.idempotency_key != "sha256:" + hashlib.sha256(body).hexdigest():
        sys.exit(f"{label}: unexpected idempotency key {event.idempotency_key!r}")
    auth = "X-ELMED-Signature" if verifier.provider == "elmed" else "x-api-key"
    tampered = dict(headers, **{auth: headers[auth][:-1] + ("0" if headers[auth][-1] != "0" else "1")})
    try:
        snippet(body, tampered)
    except ValueError:
        pass
    else:
        sys.exit(f"{label}: the snippet accepted a tampered {auth}")
    try:
        verifier.verify(body, tampered)
    except hookseal.VerificationError:
        pass
    else:
        sys.exit(f"{label}: hookseal accepted a tampered {auth}")


def calibrate(call: Call) -> int:
    """Loops per repeat, as ``timeit.Timer.autorange`` picks them (1, 2, 5, 10, 20, ...) but for >= 0.2 s."""
    timer = timeit.Timer(call)
    decade = 1
    while True:
        for number in (decade, 2 * decade, 5 * decade):
            if timer.timeit(number) >= MIN_SECONDS_PER_REPEAT:
                return number
        decade *= 10


@dataclass
class Timing:
    best_us: float
    median_us: float


def measure(snippet: Call, ours: Call) -> tuple[Timing, Timing]:
    """Per-call microseconds, best and median of REPEAT runs, the two sides alternating."""
    numbers = calibrate(snippet), calibrate(ours)
    timers = timeit.Timer(snippet), timeit.Timer(ours)
    runs: tuple[list[float], list[float]] = ([], [])
    for _ in range(REPEAT):
        for side in (0, 1):
            runs[side].append(timers[side].timeit(numbers[side]) / numbers[side] * 1e6)
    left, right = (Timing(min(r), statistics.median(r)) for r in runs)
    return left, right


@dataclass
class Row:
    label: str
    size: int
    snippet: Timing
    ours: Timing

    @property
    def ratio_best(self) -> float:
        return self.snippet.best_us / self.ours.best_us

    @property
    def ratio_median(self) -> float:
        return self.snippet.median_us / self.ours.median_us


def bench(
    label: str,
    snippet: Callable[[bytes, Headers], Any],
    verifier: hookseal.Verifier,
    body: bytes,
    headers: Headers,
) -> Row:
    sanity_check(label, snippet, verifier, body, headers)
    left, right = measure(lambda: snippet(body, headers), lambda: hookseal_call(verifier, body, headers))
    row = Row(label, len(body), left, right)
    print(f"  measured {label:<28} snippet {left.best_us:10.2f} us  hookseal {right.best_us:10.2f} us", file=sys.stderr)
    return row


def table(rows: list[Row]) -> str:
    head = (
        f"{'case':<28} {'body bytes':>10} | {'snippet best':>12} {'median':>10} | {'hookseal best':>13} {'median':>10}"
        f" | {'ratio best':>10} {'median':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.label:<28} {r.size:>10} | {r.snippet.best_us:>12.2f} {r.snippet.median_us:>10.2f} |"
            f" {r.ours.best_us:>13.2f} {r.ours.median_us:>10.2f} | {r.ratio_best:>9.2f}x {r.ratio_median:>6.2f}x"
        )
    return "\n".join(lines)


def main() -> int:
    load_at_start = os.getloadavg()[0]
    elmed = hookseal.Verifier("elmed", secret=ELMED_SECRET)
    novamed = hookseal.Verifier("novamed", secret=NOVAMED_KEY)
    rows: list[Row] = []
    for name, target in SIZES:
        body = elmed_body(target)
        rows.append(bench(f"elmed {name}", elmed_snippet, elmed, body, elmed_headers(body)))
    body = elmed_body(1024)
    rows.append(bench("elmed 1 KiB, 12 headers", elmed_snippet, elmed, body, realistic_elmed_headers(body)))
    # The header-conversion cost on its own: hookseal with 2 headers against hookseal with 12, alternating.
    two, twelve = elmed_headers(body), realistic_elmed_headers(body)
    few, many = measure(lambda: hookseal_call(elmed, body, two), lambda: hookseal_call(elmed, body, twelve))
    for name, target in SIZES:
        body = novamed_body(target)
        rows.append(bench(f"novamed {name}", novamed_snippet, novamed, body, novamed_headers()))

    print(f"Python {platform.python_version()} ({platform.python_implementation()}, {platform.machine()}),"
          f" hookseal {hookseal.__version__};"
          f" load average {load_at_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end, {os.cpu_count()} CPUs")
    print(f"Per-call microseconds, best and median of {REPEAT} repeats (each >= {MIN_SECONDS_PER_REPEAT} s);"
          " ratio = snippet / hookseal (> 1: hookseal faster).")
    print("snippet = provider's check + json.loads(body); hookseal = verify(body, headers), .idempotency_key, .data")
    print("headers = {Content-Type, auth header} unless noted; 12 headers = a realistic proxied request.")
    print()
    print(table(rows))
    print()
    print(f"Header conversion (hookseal, elmed 1 KiB): 2 headers {few.best_us:.2f} us, 12 headers {many.best_us:.2f} us"
          f" (best; medians {few.median_us:.2f} / {many.median_us:.2f}): {many.best_us - few.best_us:+.2f} us for"
          " 10 more headers.")
    small, large = rows[0], rows[2]
    fast = small.ratio_best >= 5.0
    not_slower = large.ratio_best >= 1.0
    print(
        f"Verdict: 1 KiB ELMED {small.ratio_best:.2f}x (median {small.ratio_median:.2f}x) vs target >= 5x:"
        f" {'MET' if fast else 'NOT MET'}; 1 MiB ELMED {large.ratio_best:.2f}x (median {large.ratio_median:.2f}x)"
        f" vs target >= 1x (no slower): {'MET' if not_slower else 'NOT MET'}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
