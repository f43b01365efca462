"""hookseal against the floor, ELMED's documented snippet and the peer libraries, per verified delivery with the data
materialised: one table of ratios per body shape (issue 18; the same bodies and layout as the Node and PHP benches).

Sides (each gets the same body ``bytes``, with the headers of its own scheme in a plain dict):

* floor: what a user writes with Python alone: ``hmac`` HMAC-SHA256 of the body as hex, compared with
  ``hmac.compare_digest`` to the ``X-Signature: sha256=<hex>`` header, then ``orjson.loads(body)`` (the fastest
  parse into native values). Every ratio is to this row.
* ELMED's documentation snippet (``verify_signature`` below, verbatim) + ``json.loads(body)``.
* ``standardwebhooks`` (``Webhook(secret).verify(body, headers)``, which returns the parsed payload) and ``svix``
  (``Webhook(secret).verify(body, headers)``, which returns nothing: ``json.loads(body)`` after it, as its docs
  show), both on Standard Webhooks headers.
* ``stripe``: ``stripe.Webhook.construct_event(body, stripe_signature, secret)`` with its default 300 s tolerance,
  which returns the parsed event. Stripe's scheme is no hookseal preset: compare its row with the floor only.
* hookseal ``custom`` (hmac-sha256, hex, header ``X-Signature``, prefix ``sha256=``: the floor's scheme), ``elmed``
  (reads ``.idempotency_key`` too, the body's SHA-256) and ``standard-webhooks`` (the scheme of standardwebhooks and
  svix, on their very headers). Each reads ``.data``, materialised, as a handler would.

Before timing, every side on every body accepts the genuine delivery, returns the same ``data`` as the floor's parse,
and refuses the delivery with its signature tampered: a side that silently does less fails the run.

Bodies (the same bytes as the Node, PHP and WASM benches, bindings/node/bench/bodies.js; length and SHA-256 prefix
printed): ``records`` (ELMED's sample with line items in ``data.items``) and ``strings`` (the sample with one base64
attachment in ``data.attachment``), at 1 KiB, 64 KiB and 1 MiB, serialised with ``json.dumps``' defaults.

Timing: each side is calibrated like ``timeit``'s autorange (1, 2, 5, 10, ... calls until one sample takes >= 0.2 s,
>= 0.1 s at 1 MiB) after a warm-up, then all sides are timed round after round (REPEAT rounds, the starting side
rotating), so the machine's noise hits all alike. As ``timeit`` does, the garbage collector is off while a sample
runs; a full collection runs before every sample, outside the timed part, so no side pays for another's garbage.
Each cell is the best per-call time, its ratio to the floor (best / best) and the range of the per-round ratios
(side's round / floor's round). Headers with a timestamp (Standard Webhooks, Stripe) are signed anew before every
sample.

Run: ``make bench-python`` (sets up target/bench/python with bindings/python/bench/setup.sh: the pinned peers of
requirements.txt and hookseal from ``make python``'s wheel; then runs this and bench_memory.py), or
``target/bench/python/bin/python bindings/python/bench/bench_verify.py [--repeat N] [--min-seconds S]
[--shapes records,strings] [--sizes 1024,65536,1048576] [--sides floor,custom,...]`` (the options are for quick
looks; the floor always runs).
"""

from __future__ import annotations

import argparse
import base64
import gc
import hashlib
import hmac
import importlib
import importlib.metadata
import itertools
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import hookseal

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "tests" / "samples"
SECRET = "whsec_elmed_bench_0123456789abcdef"  # ELMED, custom and the floor
SW_SECRET = "whsec_" + base64.b64encode(b"hookseal bench standard webhooks key!").decode()
STRIPE_SECRET = "whsec_stripe_bench_0123456789abcdef"
SIZES = [("1 KiB", 1024), ("64 KiB", 64 * 1024), ("1 MiB", 1024 * 1024)]
TARGET = 1.10  # issue 18: hookseal at most 1.1x the floor, at every size, for both shapes
PEERS = ("orjson", "standardwebhooks", "svix", "stripe")

Headers = dict[str, str]
Call = Callable[[bytes, Headers], Any]
JSON_HEADERS: Headers = {"Content-Type": "application/json"}


# --- Bodies --------------------------------------------------------------------------------------------------------

PRODUCTS = [
    ("Amoxicillin 500 mg capsules, 21", 8450),
    ("Atorvastatin 20 mg tablets, 30", 12999),
    ("Metformin 850 mg tablets, 56", 6320),
    ("Salbutamol 100 mcg inhaler, 200 doses", 9875),
    ("Omeprazole 20 mg capsules, 28", 5410),
    ("Levothyroxine 50 mcg tablets, 28", 7150),
]
BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


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


def elmed_sample() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / "elmed" / "order.status_changed.json").read_bytes())
    return loaded


def records_body(target: int) -> bytes:
    """The envelope serialised (``json.dumps`` defaults, as ``requests.post(json=...)`` sends it) with as many line
    items in ``data["items"]`` as fit in ``target`` bytes."""
    envelope = elmed_sample()
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


def strings_body(target: int) -> bytes:
    """The string-heavy shape: one attached document (a referral letter as base64, the way large webhook bodies
    usually get large), sized so that the body is exactly ``target`` bytes. Character i of its text is
    ``BASE64[(i * 7919) % 64]``, as in bodies.js and the Rust benchmark."""
    envelope = elmed_sample()
    attachment = {"filename": "referral-letter.pdf", "content_type": "application/pdf", "content_base64": ""}
    envelope["data"]["attachment"] = attachment
    fill = target - len(json.dumps(envelope).encode())
    assert fill > 0, f"no room for the attachment in {target} bytes"
    attachment["content_base64"] = "".join(BASE64[(i * 7919) % 64] for i in range(fill))
    body = json.dumps(envelope).encode()
    assert len(body) == target, (len(body), target)
    return body


SHAPES: dict[str, Callable[[int], bytes]] = {"records": records_body, "strings": strings_body}


# --- The sides -----------------------------------------------------------------------------------------------------

# ELMED's documentation, verbatim.
def verify_signature(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def custom_headers(body: bytes) -> Headers:
    """The floor's ``X-Signature: sha256=<hex>`` (hookseal custom's scheme)."""
    return dict(JSON_HEADERS, **{"X-Signature": "sha256=" + hmac.new(SECRET.encode(), body, "sha256").hexdigest()})


def elmed_headers(body: bytes) -> Headers:
    return dict(JSON_HEADERS, **{"X-ELMED-Signature": hookseal.sign("elmed", body, secret=SECRET)["X-ELMED-Signature"]})


def sw_headers(body: bytes) -> Headers:
    """Standard Webhooks headers signed now (``id.timestamp.body``, base64), made with ``hmac`` alone."""
    webhook_id = "msg_" + hashlib.sha256(body).hexdigest()[:24]
    seconds = str(int(time.time()))
    key = base64.b64decode(SW_SECRET.removeprefix("whsec_"))
    mac = hmac.new(key, f"{webhook_id}.{seconds}.".encode() + body, "sha256").digest()
    signature = "v1," + base64.b64encode(mac).decode()
    sw = {"webhook-id": webhook_id, "webhook-timestamp": seconds, "webhook-signature": signature}
    return dict(JSON_HEADERS, **sw)


@dataclass
class Side:
    key: str
    name: str
    headers: Callable[[bytes], Headers]
    call: Call
    tamper: str  # the header whose value the sanity check breaks
    timed: bool = False  # its headers carry a timestamp: signed anew before every sample
    hookseal: bool = False
    results: dict[str, Result] = field(default_factory=dict)


@dataclass
class Result:
    best: float  # microseconds per call
    ratio: float  # best / the floor's best
    low: float  # the range of the per-round ratios
    high: float


def load_peers() -> dict[str, Any]:
    # Imported by name: they live in the bench environment only (not in .venv, where mypy checks this file).
    try:
        return {name: importlib.import_module(name) for name in PEERS}
    except ImportError as error:
        sys.exit(
            f"bench_verify.py: a peer library is missing ({error}); run it with target/bench/python/bin/python,"
            " set up by bindings/python/bench/setup.sh (`make bench-python` does both)"
        )


def make_sides(peers: dict[str, Any]) -> list[Side]:
    orjson_loads = peers["orjson"].loads
    sw_webhook = peers["standardwebhooks"].Webhook(SW_SECRET)
    svix_webhook = peers["svix"].Webhook(SW_SECRET)
    stripe = peers["stripe"]
    custom = hookseal.Verifier(
        "custom", secret=SECRET, scheme="hmac-sha256", header="X-Signature", prefix="sha256=", encoding="hex"
    )
    elmed = hookseal.Verifier("elmed", secret=SECRET)
    standard = hookseal.Verifier("standard-webhooks", secret=SW_SECRET)
    key = SECRET.encode()

    def floor(body: bytes, headers: Headers) -> Any:
        expected = "sha256=" + hmac.new(key, body, "sha256").hexdigest()
        if not hmac.compare_digest(expected, headers["X-Signature"]):
            raise ValueError("signature mismatch")
        return orjson_loads(body)["data"]

    def snippet(body: bytes, headers: Headers) -> Any:
        if not verify_signature(SECRET, body, headers["X-ELMED-Signature"]):
            raise ValueError("signature mismatch")
        return json.loads(body)["data"]

    def svix(body: bytes, headers: Headers) -> Any:
        svix_webhook.verify(body, headers)
        return json.loads(body)["data"]

    def stripe_headers(body: bytes) -> Headers:
        header = stripe.WebhookSignature.generate_signature_header(body.decode(), STRIPE_SECRET)
        return dict(JSON_HEADERS, **{"Stripe-Signature": header})

    def elmed_call(body: bytes, headers: Headers) -> Any:
        event = elmed.verify(body, headers)
        _ = event.idempotency_key  # read, as a handler would to deduplicate
        return event.data

    def version(name: str) -> str:
        return importlib.metadata.version(name)

    return [
        Side("floor", "floor: hmac + compare_digest + orjson.loads", custom_headers, floor, "X-Signature"),
        Side("snippet", "ELMED's docs snippet + json.loads", elmed_headers, snippet, "X-ELMED-Signature"),
        Side(
            "standardwebhooks",
            f"standardwebhooks {version('standardwebhooks')}",
            sw_headers,
            lambda body, headers: sw_webhook.verify(body, headers)["data"],
            "webhook-signature",
            timed=True,
        ),
        Side("svix", f"svix {version('svix')} + json.loads", sw_headers, svix, "webhook-signature", timed=True),
        Side(
            "stripe",
            f"stripe {version('stripe')} construct_event",
            stripe_headers,
            lambda body, headers: stripe.Webhook.construct_event(body, headers["Stripe-Signature"], STRIPE_SECRET).data,
            "Stripe-Signature",
            timed=True,
        ),
        Side(
            "custom",
            "hookseal custom (hex)",
            custom_headers,
            lambda body, headers: custom.verify(body, headers).data,
            "X-Signature",
            hookseal=True,
        ),
        Side("elmed", "hookseal elmed", elmed_headers, elmed_call, "X-ELMED-Signature", hookseal=True),
        Side(
            "standard-webhooks",
            "hookseal standard-webhooks",
            sw_headers,
            lambda body, headers: standard.verify(body, headers).data,
            "webhook-signature",
            timed=True,
            hookseal=True,
        ),
    ]


# --- Checks --------------------------------------------------------------------------------------------------------


def tampered(headers: Headers, name: str) -> Headers:
    """A digit of a hex or base64 signature, away from base64's padding bits, changed (a digit in both alphabets)."""
    value = headers[name]
    at = len(value) - 10
    return dict(headers, **{name: value[:at] + ("1" if value[at] == "0" else "0") + value[at + 1 :]})


def plain(value: Any) -> Any:
    """Stripe's objects as the dicts they wrap, for the comparison."""
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) and not isinstance(value, dict) else value


def same_types(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (``1 == 1.0 == True`` in Python)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_types(x, y) for x, y in zip(a, b))
    return bool(a == b)


def sanity_check(side: Side, label: str, body: bytes, expected: Any) -> None:
    """The side accepts the delivery, returns the floor's data, and refuses the delivery with its signature tampered."""
    headers = side.headers(body)
    try:
        data = plain(side.call(body, headers))
    except Exception as error:  # noqa: BLE001 - any refusal of a genuine delivery fails the run
        sys.exit(f"{side.name}, {label}: refused the genuine delivery ({error!r})")
    if not (same_types(data, expected) if side.hookseal else data == expected):
        sys.exit(f"{side.name}, {label}: its data differs from the floor's orjson.loads")
    if side.key == "elmed":
        key = hookseal.Verifier("elmed", secret=SECRET).verify(body, headers).idempotency_key
        if key != "sha256:" + hashlib.sha256(body).hexdigest():
            sys.exit(f"{side.name}, {label}: unexpected idempotency key {key!r}")
    try:
        side.call(body, tampered(headers, side.tamper))
    except hookseal.VerificationError:
        pass
    except Exception:
        if side.hookseal:
            raise
    else:
        sys.exit(f"{side.name}, {label}: accepted a tampered {side.tamper}")


# --- Timing --------------------------------------------------------------------------------------------------------


def time_side(call: Call, body: bytes, headers: Headers, number: int) -> float:
    """Seconds for ``number`` calls, the garbage collector off (as ``timeit``), after a full collection."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in itertools.repeat(None, number):
            call(body, headers)
        return time.perf_counter() - start
    finally:
        gc.enable()


def calibrate(side: Side, body: bytes, headers: Headers, min_seconds: float) -> int:
    """Calls per sample, as ``timeit``'s autorange picks them (1, 2, 5, 10, 20, ...), for >= min_seconds; after a
    warm-up of min_seconds."""
    warm_until = time.perf_counter() + min_seconds
    warm = 0
    while warm < 20 or time.perf_counter() < warm_until:
        side.call(body, headers)
        warm += 1
    decade = 1
    while True:
        for number in (decade, 2 * decade, 5 * decade):
            if time_side(side.call, body, headers, number) >= min_seconds:
                return number
        decade *= 10


def measure(active: list[Side], body: bytes, repeat: int, min_seconds: float) -> list[list[float]]:
    """Per-call microseconds, ``repeat`` rounds of every side, the starting side rotating: ``runs[side][round]``."""
    headers_of = [side.headers(body) for side in active]
    numbers = [calibrate(side, body, headers_of[s], min_seconds) for s, side in enumerate(active)]
    runs = [[0.0] * repeat for _ in active]
    for r in range(repeat):
        for k in range(len(active)):
            s = (r + k) % len(active)
            side = active[s]
            headers = side.headers(body) if side.timed else headers_of[s]
            runs[s][r] = time_side(side.call, body, headers, numbers[s]) / numbers[s] * 1e6
    return runs


# --- Report --------------------------------------------------------------------------------------------------------


def format_time(us: float) -> str:
    if us >= 1000:
        return f"{us / 1000:.2f} ms"
    if us >= 100:
        return f"{us:.0f} µs"
    if us >= 10:
        return f"{us:.1f} µs"
    return f"{us:.2f} µs"


def cell(result: Result, is_floor: bool) -> str:
    if is_floor:
        return format_time(result.best)
    return f"{format_time(result.best)} ({result.ratio:.2f}×, {result.low:.2f}–{result.high:.2f})"


def plain_table(shape: str, rows: list[Side], sizes: list[str]) -> str:
    cells = [[cell(row.results[size], row.key == "floor") for size in sizes] for row in rows]
    name_width = max(len(shape), *(len(row.name) for row in rows))
    widths = [max(len(size), *(len(line[i]) for line in cells)) for i, size in enumerate(sizes)]

    def line(first: str, rest: list[str]) -> str:
        return " | ".join([first.ljust(name_width), *(text.rjust(widths[i]) for i, text in enumerate(rest))])

    head = line(shape, sizes)
    return "\n".join([head, "-" * len(head), *(line(row.name, cells[i]) for i, row in enumerate(rows))])


def markdown_table(shape: str, rows: list[Side], sizes: list[str]) -> str:
    lines = [f"| {shape} | {' | '.join(sizes)} |", "|---|" + "---|" * len(sizes)]
    for row in rows:
        name = f"**{row.name}**" if row.hookseal else row.name
        lines.append(f"| {name} | {' | '.join(cell(row.results[size], row.key == 'floor') for size in sizes)} |")
    return "\n".join(lines)


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    try:
        dirty = git("status", "--porcelain", "--untracked-files=no") != ""
        return git("rev-parse", "--short", "HEAD") + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="hookseal against the floor, ELMED's snippet and the peers")
    parser.add_argument("--repeat", type=int, default=21, help="interleaved rounds (default 21)")
    parser.add_argument("--min-seconds", type=float, default=0.2, help="per sample (default 0.2; at most 0.1 at 1 MiB)")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="records,strings")
    parser.add_argument("--sizes", default=",".join(str(b) for _, b in SIZES), help="1024,65536,1048576")
    parser.add_argument("--sides", default=None, help="floor,snippet,standardwebhooks,svix,stripe,custom,elmed,...")
    args = parser.parse_args()
    if args.repeat < 1 or args.min_seconds <= 0:
        parser.error("--repeat and --min-seconds must be positive")
    return args


def main() -> int:
    args = parse_args()
    peers = load_peers()
    all_sides = make_sides(peers)
    known = [side.key for side in all_sides]
    wanted = known if args.sides is None else args.sides.split(",")
    for key in wanted:
        if key not in known:
            sys.exit(f"bench_verify.py: unknown side {key} ({', '.join(known)})")
    active = [side for side in all_sides if side.key == "floor" or side.key in wanted]
    shapes = args.shapes.split(",")
    for shape in shapes:
        if shape not in SHAPES:
            sys.exit(f"bench_verify.py: unknown shape {shape} ({', '.join(SHAPES)})")
    sizes = [(name, target) for name, target in SIZES if str(target) in args.sizes.split(",")]
    if not sizes:
        sys.exit(f"bench_verify.py: --sizes takes {','.join(str(b) for _, b in SIZES)}")
    size_names = [name for name, _ in sizes]

    load_at_start = os.getloadavg()[0]
    body_lines: list[str] = []
    tables: dict[str, list[Side]] = {}
    for shape in shapes:
        rows = [Side(s.key, s.name, s.headers, s.call, s.tamper, s.timed, s.hookseal) for s in active]
        tables[shape] = rows
        for size_name, target in sizes:
            body = SHAPES[shape](target)
            body_lines.append(f"{shape} {target} -> {len(body)} bytes {hashlib.sha256(body).hexdigest()[:16]}")
            label = f"{shape} {size_name}"
            expected = peers["orjson"].loads(body)["data"]
            for side in rows:
                sanity_check(side, label, body, expected)
            min_seconds = min(args.min_seconds, 0.1) if len(body) > 512 * 1024 else args.min_seconds
            runs = measure(rows, body, args.repeat, min_seconds)
            floor_runs = runs[0]
            floor_best = min(floor_runs)
            for row, run in zip(rows, runs):
                ratios = [us / floor_us for us, floor_us in zip(run, floor_runs)]
                row.results[size_name] = Result(min(run), min(run) / floor_best, min(ratios), max(ratios))
            summary = ", ".join(f"{row.key} {row.results[size_name].ratio:.2f}" for row in rows)
            print(f"  measured {label}: floor {format_time(floor_best)}; ratios {summary}", file=sys.stderr)

    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.system()}"
        f" {platform.machine()}, {os.cpu_count()} CPUs ({cpu_model()}); hookseal {hookseal.__version__} at {commit()};"
        f" {datetime.now(timezone.utc).isoformat(timespec='seconds')}"
    )
    print(
        f"load average {load_at_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; best of {args.repeat}"
        f" interleaved rounds (samples >= {args.min_seconds} s, >= {min(args.min_seconds, 0.1)} s at 1 MiB);"
        " GC off while a sample runs (as timeit), a full collection before every sample"
    )
    print("Peers: " + ", ".join(f"{name} {importlib.metadata.version(name)}" for name in PEERS))
    print("Cells: best time per verified delivery (ratio to the floor, best / best; range of the per-round ratios).")
    print("Bodies (shape target -> length, first 16 hex digits of SHA-256):")
    for line in body_lines:
        print(f"  {line}")
    for shape in shapes:
        print()
        print(plain_table(shape, tables[shape], size_names))
    for shape in shapes:
        print()
        print(markdown_table(shape, tables[shape], size_names))
    print()
    for key in (side.key for side in active if side.hookseal):
        cells = [
            (row.results[size].ratio, f"{shape} {size}")
            for shape in shapes
            for row in tables[shape]
            if row.key == key
            for size in size_names
        ]
        worst, where = max(cells)
        print(
            f"Target (hookseal {key} <= {TARGET:.2f}× the floor at every size, both shapes):"
            f" {'MET' if worst <= TARGET else 'NOT MET'} (worst {worst:.2f}× at {where})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
