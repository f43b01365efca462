"""Redis going away or stalling under two FastAPI (uvicorn) processes and two Express processes.

- Stopped: every delivery is answered 503 store_unavailable with a Retry-After, each within 3 s (the handler never
  runs without the guarantee, and a dead store never makes the receiver hang past the provider's deadline); once
  Redis is back (with its data: this server keeps an append-only file), the retries of the new events are processed
  once each and the events processed before the outage stay duplicates.
- Paused (``CLIENT PAUSE 3000 ALL``: Redis accepts connections and answers nothing): a delivery answers within about
  3 s (store_unavailable after the store's command timeout, or processed once the pause ended), and meanwhile the
  same process answers ``GET /healthz`` within 0.5 s: the store call does not block the event loop. Once the pause
  is over, the refused delivery's retries are processed once.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, Sequence

import pytest

import dedupe_support as support

OUTAGE_ANSWER_LIMIT = 3.0  # seconds for a 503 store_unavailable while Redis is down
RECOVERY_DEADLINE = 20.0  # seconds for every retry to settle once Redis is back
PAUSE_MS = 3000
PAUSED_ANSWER_LIMIT = PAUSE_MS / 1000 + 1.0  # "about 3 s": the pause, plus the handler and a loaded machine
HEALTHZ_LIMIT = 0.5
HEALTHZ_TIMEOUT = 2.0  # a probe waiting longer than this has failed anyway
RETRIES = ("in_progress", "store_unavailable")
# A claim that timed out on the receiver's side can still be run by Redis when the pause ends: a claim nobody holds,
# answered in_progress until its lease runs out (as a dead worker's). A short lease keeps that wait short.
PAUSED_LEASE = 2.0


@pytest.mark.parametrize("example", ["fastapi", "express"])
def test_redis_stopped_fails_closed_and_fast_then_recovers(
    example: str,
    redis_server: Callable[..., support.RedisServer],
    store_url: Callable[..., str],
    launch_example: Callable[..., support.Example],
    events: Callable[[int], Sequence[bytes]],
) -> None:
    redis = redis_server(persist=True)
    receiver = launch_example(example, store_url("redis", redis=redis))
    balancer = receiver.balancer()
    bodies = events(10)
    old, new = range(0, 5), range(5, 10)

    before = support.storm(balancer, [bodies[i] for i in old], 1)
    support.check_exactly_once(before, receiver.log(), new=range(5))
    records = redis.command("DBSIZE")
    assert records > 0, "the store wrote nothing to Redis"

    redis.stop()
    outage = [support.Delivery(i, bodies[i], support.elmed_headers(bodies[i])) for i in [*new, *old]]
    with ThreadPoolExecutor(max_workers=len(outage)) as pool:
        list(pool.map(lambda d: support.deliver(balancer, d, retry_on=(), timeout=10), outage))
    wrong = [f"not 503 store_unavailable with a Retry-After: {d.describe()}" for d in outage
             if d.final.kind != "store_unavailable"]  # fmt: skip
    slow = [f"later than {OUTAGE_ANSWER_LIMIT} s: {d.describe()}" for d in outage
            if d.final.elapsed > OUTAGE_ANSWER_LIMIT]  # fmt: skip
    if wrong or slow:
        pytest.fail("with Redis stopped:\n  " + "\n  ".join(wrong + slow), pytrace=False)
    handled = support.processing_keys(receiver.log())
    assert len(handled) == len(old), f"a handler ran without the store: {handled}"

    redis.start()
    assert redis.command("DBSIZE") == records, "Redis came back without the records written before it stopped"
    deadline = time.monotonic() + RECOVERY_DEADLINE
    after = [support.Delivery(i, bodies[i], support.elmed_headers(bodies[i])) for i in [*new, *old] for _ in "ab"]
    with ThreadPoolExecutor(max_workers=len(after)) as pool:
        list(
            pool.map(
                lambda d: support.deliver(balancer, d, retry_on=RETRIES, max_tries=1000, deadline=deadline), after
            )
        )
    support.check_exactly_once(after, receiver.log(), new=new, done=old, allowed_retries=RETRIES)


@pytest.mark.parametrize("example", ["fastapi", "express"])
def test_redis_paused_answers_in_time_and_keeps_the_event_loop_free(
    example: str,
    redis_server: Callable[..., support.RedisServer],
    store_url: Callable[..., str],
    launch_example: Callable[..., support.Example],
    events: Callable[[int], Sequence[bytes]],
) -> None:
    redis = redis_server()
    receiver = launch_example(example, store_url("redis", redis=redis, lease=PAUSED_LEASE))
    ports = receiver.ports
    bodies = events(2 * len(ports))

    # Each process answers /healthz, and has its store connection open (one delivery processed) before the pause.
    for index, port in enumerate(ports):
        health = support.request(port, "GET", "/healthz", timeout=HEALTHZ_TIMEOUT)
        assert health.status == 200 and health.body == {"status": "ok"}, health.describe()
        warm = support.Delivery(index, bodies[index], support.elmed_headers(bodies[index]))
        support.deliver(support.Balancer([port]), warm)
        assert warm.final.kind == "processed", warm.describe()

    paused = [
        support.Delivery(len(ports) + i, bodies[len(ports) + i], support.elmed_headers(bodies[len(ports) + i]))
        for i in range(len(ports))
    ]
    probes: List[List[support.Answer]] = [[] for _ in ports]

    def rehearse(index: int) -> None:
        """One delivery to ports[index], and /healthz probes to the same process every 0.1 s while it waits."""
        port = ports[index]
        sender = threading.Thread(
            target=support.deliver,
            args=(support.Balancer([port]), paused[index]),
            kwargs={"retry_on": (), "timeout": PAUSED_ANSWER_LIMIT + 5},
            daemon=True,
        )
        sender.start()
        time.sleep(0.1)  # the delivery has reached the handler, which waits on Redis
        while sender.is_alive():
            probes[index].append(support.request(port, "GET", "/healthz", timeout=HEALTHZ_TIMEOUT))
            time.sleep(0.1)
        sender.join()

    redis.pause(PAUSE_MS)
    paused_at = time.monotonic()
    rehearsals = [threading.Thread(target=rehearse, args=(i,), daemon=True) for i in range(len(ports))]
    for thread in rehearsals:
        thread.start()
    for thread in rehearsals:
        thread.join(timeout=PAUSED_ANSWER_LIMIT + 10)
    assert not any(thread.is_alive() for thread in rehearsals), "a delivery during the pause never ended"

    problems = []
    for index, delivery in enumerate(paused):
        answer = delivery.final
        if answer.kind not in ("store_unavailable", "processed") or answer.elapsed > PAUSED_ANSWER_LIMIT:
            problems.append(f"the delivery during the pause: {answer.describe()}")
        ended = answer.sent_at + answer.elapsed
        overlapping = [p for p in probes[index] if p.sent_at + p.elapsed < ended]
        for probe in probes[index]:
            if probe.status != 200 or probe.body != {"status": "ok"} or probe.elapsed > HEALTHZ_LIMIT:
                problems.append(f"GET /healthz while a delivery waited on Redis: {probe.describe()}")
        if answer.elapsed > 0.5 and not overlapping:
            problems.append(f"port {answer.port}: no /healthz probe was answered while the delivery waited")
    summary = [
        f"port {d.final.port}: {d.final.kind} after {d.final.elapsed:.2f} s, {len(probes[i])} probes, slowest "
        f"{max((p.elapsed for p in probes[i]), default=0):.3f} s"
        for i, d in enumerate(paused)
    ]
    print("\n".join(["Redis paused:", *summary]))
    if problems:
        pytest.fail("\n  ".join(["Redis paused:", *summary, *problems]), pytrace=False)

    # Once the pause is over, a delivery refused during it is processed on its retry, and only once.
    time.sleep(max(0.0, paused_at + PAUSE_MS / 1000 + 0.2 - time.monotonic()))
    deadline = time.monotonic() + RECOVERY_DEADLINE
    for delivery in paused:
        support.deliver(receiver.balancer(), delivery, retry_on=RETRIES, max_tries=1000, deadline=deadline)
    support.check_exactly_once(
        paused, receiver.log(), new=[d.event for d in paused], allowed_retries=RETRIES, orphaned_claims=True
    )
