"""Memory over 1,000,000 ELMED deliveries: hookseal's resident set size must stay flat.

Each delivery is a ~1 KiB ELMED body (the documented order.status_changed sample with line items) carrying its own
sequence number, so every body, signature and idempotency key differs. Deliveries are signed (with ``hmac``, not
hookseal) in batches of BATCH ahead of verifying them; each batch replaces the previous one, so generation costs
little and holds a constant amount of memory. Every 10th delivery has a wrong signature and must raise
``hookseal.VerificationError`` (``signature_mismatch``), so the error path runs too. Each accepted event's
``.data`` (materialised as Python objects) and ``.idempotency_key`` are read, checked and dropped.

RSS (VmRSS from /proc/self/status) is reported before, after a 10,000-delivery warm-up, every 200,000 deliveries
and at the end, always at the same point (a batch just verified). The script exits 1 if RSS at the end exceeds RSS
after the warm-up by more than 5 MiB.

Run: ``make bench-python`` (runs this and bench_verify.py), or
``.venv/bin/python bindings/python/bench/bench_memory.py [--count N]`` (default 1,000,000).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import hookseal

SAMPLE = Path(__file__).resolve().parents[3] / "tests" / "samples" / "elmed" / "order.status_changed.json"
SECRET = "whsec_elmed_bench_0123456789abcdef"
BATCH = 10_000
WARM_UP = 10_000
REPORT_EVERY = 200_000
MAX_GROWTH_MIB = 5.0
BAD_EVERY = 10  # every 10th delivery (index % 10 == 9) carries a wrong signature

Delivery = tuple[int, bytes, dict[str, str]]


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmRSS in /proc/self/status")


def template() -> tuple[bytes, bytes]:
    """The ~1 KiB body split around its sequence number, which goes in ``data["delivery_seq"]``."""
    envelope: dict[str, Any] = json.loads(SAMPLE.read_bytes())
    envelope["data"]["items"] = [
        {"line_id": n + 1, "sku": f"SKU-{100417 + n * 37:06d}", "name": name, "qty": 1 + n % 3,
         "unit_price": price, "currency": "ZAR", "dispensed": n % 4 != 0}
        for n, (name, price) in enumerate([
            ("Amoxicillin 500 mg capsules, 21", 84.5),
            ("Atorvastatin 20 mg tablets, 30", 129.99),
            ("Metformin 850 mg tablets, 56", 63.2),
            ("Salbutamol 100 mcg inhaler, 200 doses", 98.75),
            ("Omeprazole 20 mg capsules, 28", 54.1),
        ])
    ]
    envelope["data"]["delivery_seq"] = 0
    head, tail = json.dumps(envelope).encode().split(b'"delivery_seq": 0')
    return head + b'"delivery_seq": ', tail


def make_batch(start: int, count: int, head: bytes, tail: bytes) -> list[Delivery]:
    key = SECRET.encode()
    batch: list[Delivery] = []
    for seq in range(start, start + count):
        body = head + str(seq).encode() + tail
        digest = hmac.new(key, body, hashlib.sha256).hexdigest()
        if seq % BAD_EVERY == BAD_EVERY - 1:
            digest = digest[::-1]  # right shape, wrong value
        headers = {"Content-Type": "application/json", "X-ELMED-Signature": "sha256=" + digest}
        batch.append((seq, body, headers))
    return batch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1_000_000, help="deliveries to verify (default 1,000,000)")
    args = parser.parse_args()
    count: int = args.count
    if count <= 0:
        parser.error("--count must be positive")

    head, tail = template()
    verifier = hookseal.Verifier("elmed", secret=SECRET)
    sample_body = head + b"0" + tail
    # hookseal's signer and the hmac used here agree, so the batches are genuine deliveries.
    assert hookseal.sign("elmed", sample_body, secret=SECRET)["X-ELMED-Signature"] == make_batch(0, 1, head, tail)[0][2][
        "X-ELMED-Signature"
    ]

    print(f"Python {platform.python_version()}, hookseal {hookseal.__version__}; {count:,} ELMED deliveries of"
          f" ~{len(sample_body)} bytes, every {BAD_EVERY}th with a wrong signature, batches of {BATCH:,}")
    print(f"{'deliveries':>16} {'RSS MiB':>9}")
    before = rss_mib()
    print(f"{'before':>16} {before:>9.1f}")

    warm_up = min(WARM_UP, count)
    after_warm_up = after = before
    accepted = refused = 0
    verify_seconds = generate_seconds = 0.0
    started = time.perf_counter()
    done = 0
    while done < count:
        size = min(BATCH, count - done, warm_up - done if done < warm_up else BATCH)
        t0 = time.perf_counter()
        batch = make_batch(done, size, head, tail)
        t1 = time.perf_counter()
        for seq, body, headers in batch:
            try:
                event = verifier.verify(body, headers)
            except hookseal.VerificationError as err:
                if err.code != "signature_mismatch" or seq % BAD_EVERY != BAD_EVERY - 1:
                    sys.exit(f"delivery {seq}: unexpected {err!r}")
                refused += 1
                continue
            if event.data["delivery_seq"] != seq or not event.idempotency_key.startswith("sha256:"):
                sys.exit(f"delivery {seq}: wrong event {event!r}")
            accepted += 1
        t2 = time.perf_counter()
        generate_seconds += t1 - t0
        verify_seconds += t2 - t1
        done += size
        # Every reading is taken at the same point: a batch just verified, still held.
        if done == warm_up:
            after_warm_up = rss_mib()
            print(f"{'warm-up ' + format(done, ','):>16} {after_warm_up:>9.1f}")
        if done == count:
            after = rss_mib()
        elif done % REPORT_EVERY == 0:
            print(f"{done:>16,} {rss_mib():>9.1f}")
        del batch
    elapsed = time.perf_counter() - started
    print(f"{'after ' + format(count, ','):>16} {after:>9.1f}")

    growth = after - after_warm_up
    print(f"accepted {accepted:,}, refused {refused:,} (signature_mismatch)")
    print(f"elapsed {elapsed:.2f} s: verifying {verify_seconds:.2f} s ({count / verify_seconds:,.0f} deliveries/s),"
          f" generating and signing {generate_seconds:.2f} s; overall {count / elapsed:,.0f} deliveries/s")
    verdict = "flat" if growth <= MAX_GROWTH_MIB else "GREW"
    print(f"RSS after - RSS after warm-up = {growth:+.1f} MiB (limit {MAX_GROWTH_MIB:.0f} MiB): {verdict}")
    return 0 if growth <= MAX_GROWTH_MIB else 1


if __name__ == "__main__":
    sys.exit(main())
