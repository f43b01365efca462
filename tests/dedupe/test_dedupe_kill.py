"""A worker killed in the middle of its handler: the claim it took stays for its lease, then runs out, and the
provider's retry is processed, once.

The receiver starts with a short lease (``?lease=6``) and a handler that sleeps 30 s; one delivery is sent, and once
the handler logged ``processing <key>`` the worker is SIGKILLed (nothing of its cleanup runs: no release):

- Flask under gunicorn -w 4, SQLite: every worker of the master is killed (the one in the handler among them); the
  master boots new ones, which answer the retry sent within the lease 503 in_progress. After the lease, gunicorn is
  restarted without the delay (the same store and port) and the retries are processed once.
- Express, one process, Redis: the process is killed and a fresh one (without the delay) started on the same port;
  it answers within the lease 503 in_progress, after it processes the retries once.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from typing import Callable, Dict, Sequence

import pytest

import dedupe_support as support

LEASE = 6.0  # seconds: long enough for gunicorn to boot new workers within it on a loaded machine
LONG_DELAY_MS = 30000  # the first handler's sleep: it is killed long before it ends
MARGIN = 0.5  # seconds kept between "within the lease" and the lease's end (the claim precedes its log line)


@pytest.mark.parametrize(("example", "backend"), [("flask", "sqlite"), ("express", "redis")])
def test_worker_killed_mid_handler_is_processed_once_after_its_lease(
    example: str,
    backend: str,
    store_url: Callable[..., str],
    launch_example: Callable[..., support.Example],
    example_command_factory: Callable[..., support.Command],
    events: Callable[[int], Sequence[bytes]],
) -> None:
    store = store_url(backend, lease=LEASE)
    server = launch_example(example, store, delay_ms=LONG_DELAY_MS, processes=1).servers[0]
    body = events(1)[0]
    key = support.body_key(body)
    headers = support.elmed_headers(body)

    # The first delivery: its handler claims the key, logs `processing <key>` and sleeps.
    first: Dict[str, support.Answer] = {}

    def send_first() -> None:
        first["answer"] = support.request(
            server.port, "POST", "/webhooks/elmed", body, headers, timeout=LONG_DELAY_MS / 1000 + 10
        )

    sender = threading.Thread(target=send_first, daemon=True)
    sender.start()
    server.wait_for_log(rf"processing {re.escape(key)}", timeout=20)
    claimed_by = time.monotonic()  # the claim was taken before the line was logged

    # The crash.
    if example == "flask":
        workers = server.workers()
        assert workers, f"gunicorn (pid {server.proc.pid if server.proc else '?'}) has no workers to kill"
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
    else:
        server.kill()
    sender.join(timeout=10)
    assert not sender.is_alive(), "the first delivery was still waiting 10 s after its worker was killed"
    crashed = first["answer"]
    assert crashed.status is None or crashed.status >= 500, f"the killed worker answered: {crashed.describe()}"
    if example == "express":
        server.start(command=example_command_factory(example, store, delay_ms=0))  # the same port

    # A retry within the lease: the dead worker's claim still holds.
    retry = support.request(server.port, "POST", "/webhooks/elmed", body, headers, timeout=LEASE)
    elapsed = time.monotonic() - claimed_by
    print(f"the retry within the lease was answered {elapsed:.2f} s after the claim: {retry.describe()}")
    if elapsed >= LEASE - MARGIN:
        pytest.fail(
            f"the retry was answered {elapsed:.2f} s after the claim, too late to test the lease of {LEASE} s (the "
            f"{example} workers took too long to come back): {retry.describe()}",
            pytrace=False,
        )
    assert retry.kind == "in_progress", f"within the lease ({elapsed:.2f} s after the claim): {retry.describe()}"
    retry_after = support.retry_after_seconds(retry)
    assert 1 <= retry_after <= support.ceil_seconds(LEASE), f"Retry-After {retry_after} for a lease of {LEASE} s"

    # After the lease: the key is claimable again; of several copies at once exactly one is processed.
    time.sleep(max(0.0, claimed_by + LEASE + MARGIN - time.monotonic()))
    if example == "flask":
        server.stop()
        server.start(command=example_command_factory(example, store, delay_ms=0))  # the same store and port
    deliveries = support.storm(support.Balancer([server.port]), [body], 5)
    support.check_exactly_once(deliveries, server.log(), new=[0], already_processed={key: 1})
