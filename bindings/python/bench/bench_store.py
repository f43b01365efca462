"""What exactly-once costs per delivery: ``claim`` + ``complete`` of a fresh key on each backend, next to ``verify()``
alone and ``verify()`` + ``claim`` + ``complete`` (what ``hookseal.flask.webhook(verifier, store=...)`` does around a
view), from Python.

Backends: ``memory:``, SQLite on disk (a file in a fresh temporary directory: WAL, ``synchronous=NORMAL``, one
connection per process) and Redis on loopback (``$HOOKSEAL_TEST_REDIS_URL``: run under ``scripts/with-redis.sh``;
required). Every delivery claims a key never claimed before (a fresh namespace per run), so each claim takes the write
path, as a first delivery does; ``duplicate`` rows time the claim of a key that is done (a retry). The body is a
1 KiB ELMED delivery (its key is the body's SHA-256, computed by ``verify``).

Each case runs ``RUNS`` times, alternating with the others, so that the machine's noise hits them alike; a run times a
batch of deliveries and reports the time per delivery. The table shows the median of the runs and their range
(fastest to slowest run). ``redis, 4 threads`` is four threads sharing one Store: the GIL is released during every
store call, so their network waits overlap (time per delivery = wall time / deliveries of all threads).

Run: ``scripts/with-redis.sh .venv/bin/python bindings/python/bench/bench_store.py``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import hookseal

SECRET = "whsec_elmed_bench_0123456789abcdef"
RUNS = 9
THREADS = 4


@dataclass
class Case:
    name: str
    deliveries: int  # per run
    run: Callable[[int], None]  # does `deliveries` deliveries for run number N
    times: list[float]


def body_of_about(size: int, n: int) -> bytes:
    data = {"order_number": f"ORD-{n:08d}", "status": "IN_TRANSIT", "note": ""}
    envelope = {"event": "order.status_changed", "timestamp": "2026-03-29T14:00:00", "data": data}
    data["note"] = "x" * max(0, size - len(json.dumps(envelope).encode()))
    return json.dumps(envelope).encode()


def main() -> int:
    redis_url = os.environ.get("HOOKSEAL_TEST_REDIS_URL", "")
    if not redis_url:
        print("HOOKSEAL_TEST_REDIS_URL is not set: run under scripts/with-redis.sh", file=sys.stderr)
        return 2
    directory = tempfile.mkdtemp(prefix="hookseal-bench-")
    stores = {
        "memory": hookseal.Store("memory:"),
        "sqlite": hookseal.Store(f"sqlite://{directory}/bench.db"),
        "redis": hookseal.Store(redis_url),
    }
    verifier = hookseal.Verifier("elmed", secret=SECRET)
    # Distinct bodies (distinct keys), signed once up front: signing is not what is measured.
    pool_size = 4000
    deliveries = [(body, hookseal.sign("elmed", body, secret=SECRET))
                  for body in (body_of_about(1024, n) for n in range(pool_size))]
    keys = ["sha256:" + uuid.uuid4().hex * 2 for _ in range(pool_size)]
    sizes = {"memory": 4000, "sqlite": 1000, "redis": 1000}

    def fresh_namespace() -> str:
        return "b" + uuid.uuid4().hex[:20]

    def verify_only(count: int) -> Callable[[int], None]:
        def run(_: int) -> None:
            for body, headers in deliveries[:count]:
                verifier.verify(body, headers).idempotency_key
        return run

    def claim_complete(store: hookseal.Store, count: int) -> Callable[[int], None]:
        def run(_: int) -> None:
            namespace = fresh_namespace()
            for key in keys[:count]:
                store.complete(store.claim(namespace, key))
        return run

    def verify_claim_complete(store: hookseal.Store, count: int) -> Callable[[int], None]:
        def run(_: int) -> None:
            namespace = fresh_namespace()
            for body, headers in deliveries[:count]:
                event = verifier.verify(body, headers)
                store.complete(store.claim(namespace, event.idempotency_key))
        return run

    def duplicate_claim(store: hookseal.Store, count: int) -> Callable[[int], None]:
        namespace = fresh_namespace()
        for key in keys[:count]:
            store.complete(store.claim(namespace, key))

        def run(_: int) -> None:
            for key in keys[:count]:
                store.claim(namespace, key)
        return run

    def threaded_claim_complete(store: hookseal.Store, count: int) -> Callable[[int], None]:
        executor = ThreadPoolExecutor(THREADS)

        def run(_: int) -> None:
            namespace = fresh_namespace()
            share = count // THREADS

            def part(i: int) -> None:
                for key in keys[i * share:(i + 1) * share]:
                    store.complete(store.claim(namespace, key))

            list(executor.map(part, range(THREADS)))
        return run

    cases = [Case("verify() alone (1 KiB ELMED)", 4000, verify_only(4000), [])]
    for backend, store in stores.items():
        n = sizes[backend]
        cases.append(Case(f"{backend}: claim + complete", n, claim_complete(store, n), []))
        cases.append(Case(f"{backend}: verify() + claim + complete", n, verify_claim_complete(store, n), []))
        cases.append(Case(f"{backend}: claim of a duplicate", n, duplicate_claim(store, n), []))
    cases.append(Case(f"redis, {THREADS} threads: claim + complete", 1000,
                      threaded_claim_complete(stores["redis"], 1000), []))

    for case in cases:  # warm-up: connections opened, SQLite schema made, caches filled
        case.run(-1)
    for run in range(RUNS):
        for case in cases:
            started = time.perf_counter()
            case.run(run)
            case.times.append((time.perf_counter() - started) / case.deliveries)

    print(f"hookseal {hookseal.__version__}, Python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs; {RUNS} runs each; µs per delivery: median (fastest run – slowest run)")
    width = max(len(case.name) for case in cases)
    for case in cases:
        us = [t * 1e6 for t in case.times]
        print(f"  {case.name:<{width}}  {statistics.median(us):9.2f}  ({min(us):.2f} – {max(us):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
