"""What the router costs per delivery in Python: ``Router.dispatch`` of a verified ELMED event, next to the if-ladder
the examples used before (``if event.event_type == ...``, calling the same handlers), a dict of handlers, and ``verify()`` itself.

The router holds what a receiver's does: a handler for each of ELMED's six event types, two prefixes and ``*``; each
handler returns a small dict (as a Flask view would). Cases: an exact type (``claim.decision``), a prefix match
(``claim.appealed``, caught by ``claim.*``), and the catch-all (``x.y``). Each case runs ``RUNS`` times, interleaved with the others; a run times a
batch and reports the time per dispatch; the table shows the median and the range (fastest to slowest run).

Run: ``.venv/bin/python bindings/python/bench/bench_router.py`` (``make bench-router`` runs every language's).
"""

from __future__ import annotations

import platform
import statistics
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List

import hookseal
from hookseal.events import elmed

SECRET = "whsec_elmed_bench_0123456789abcdef"
RUNS = 9
BATCH = 200_000
SAMPLE = (Path(__file__).resolve().parents[3] / "tests" / "samples" / "elmed" / "claim.decision.json").read_bytes()


def event_of(event_type: str) -> hookseal.Event:
    body = SAMPLE.replace(b"claim.decision", event_type.encode())
    return hookseal.verify("elmed", body, hookseal.sign("elmed", body, secret=SECRET), secret=SECRET)


def handler(number: int) -> Callable[[Any], Dict[str, int]]:
    answer = {"handler": number}
    return lambda event: answer


def router() -> hookseal.Router:
    r = hookseal.Router("elmed")
    for i, event_type in enumerate(elmed.EVENT_TYPES):
        r.on(event_type, handler(i))
    r.on(["claim.*", "order.*"], handler(10))
    r.on("*", handler(11))
    return r


HANDLERS = {number: handler(number) for number in (0, 1, 2, 3, 4, 5, 10, 11)}  # the ladder calls them, as a router


def ladder(event: Any) -> Dict[str, int]:
    t = event.event_type
    if t == "prescription.issued":
        return HANDLERS[0](event)
    elif t == "prescription.dispensed":
        return HANDLERS[1](event)
    elif t == "consultation.completed":
        return HANDLERS[2](event)
    elif t == "order.status_changed":
        return HANDLERS[3](event)
    elif t == "claim.decision":
        return HANDLERS[4](event)
    elif t == "referral.created":
        return HANDLERS[5](event)
    elif t is not None and (t.startswith("claim.") or t.startswith("order.")):
        return HANDLERS[10](event)
    return HANDLERS[11](event)


def per_call(fn: Callable[[], object], batch: int) -> float:
    start = time.perf_counter()
    for _ in range(batch):
        fn()
    return (time.perf_counter() - start) / batch


def main() -> None:
    r = router()
    table = {t: handler(i) for i, t in enumerate(elmed.EVENT_TYPES)}
    body = SAMPLE
    headers = hookseal.sign("elmed", body, secret=SECRET)
    verifier = hookseal.Verifier("elmed", secret=SECRET)
    cases: Dict[str, Callable[[], object]] = {}
    for label, event_type in [("exact", "claim.decision"), ("prefix", "claim.appealed"), ("any", "x.y")]:
        event = event_of(event_type)
        assert r.dispatch(event) == ladder(event), label
        cases[f"Router.dispatch, {label}"] = partial(r.dispatch, event)
        cases[f"if-ladder, {label}"] = partial(ladder, event)
        if label == "exact":
            cases["dict of handlers, exact"] = partial(lambda e: table[e.event_type](e), event)
    cases["verify() of the 297-byte sample, for scale"] = lambda: verifier.verify(body, headers)
    results: Dict[str, List[float]] = {name: [] for name in cases}
    for _ in range(RUNS):
        for name, fn in cases.items():
            batch = BATCH if not name.startswith("verify") else BATCH // 10
            results[name].append(per_call(fn, batch))
    print(f"Python {platform.python_version()}, hookseal router, {RUNS} runs (median, fastest-slowest), ns per call")
    for name, values in results.items():
        ns = [v * 1e9 for v in values]
        print(f"  {name:<44} {statistics.median(ns):8.0f}   ({min(ns):.0f}-{max(ns):.0f})")


if __name__ == "__main__":
    main()
