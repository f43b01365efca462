"""hookseal.Store, Claim, AsyncStore and StoreError beyond the scenario vectors (test_store_vectors.py): types, reprs
that never show a password, error classes and codes, keys as str or bytes, misuse, threads, and the GIL (and the event
loop) left free while a store call waits."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import hookseal

PASSWORD = "hunter2"


def redis_url() -> str:
    url = os.environ.get("HOOKSEAL_TEST_REDIS_URL", "")
    if not url:
        pytest.fail("HOOKSEAL_TEST_REDIS_URL is not set: run the tests under scripts/with-redis.sh (make test does)",
                    pytrace=False)
    return url


def fresh_namespace() -> str:
    return "t" + uuid.uuid4().hex[:16]


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return {"memory": "memory:", "sqlite": f"sqlite://{tmp_path / 'api.db'}", "redis": ""}[request.param] or redis_url()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers: a Redis that hangs (a paused or overloaded server).
    Every store call to it waits for the core's timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    listener.close()


# --- types and values ----------------------------------------------------------------------------------------------

def test_a_claim_and_its_fields(store_url: str) -> None:
    store = hookseal.Store(store_url)
    namespace = fresh_namespace()
    claim = store.claim(namespace, "evt_1")
    assert type(claim) is hookseal.Claim and claim.__module__ == "hookseal"
    assert (claim.status, claim.retry_after, claim.namespace) == ("claimed", None, namespace)
    second = store.claim(namespace, "evt_1")
    assert second.status == "in_progress" and type(second.retry_after) is int and 59 <= second.retry_after <= 60
    assert store.complete(claim) is True
    duplicate = store.claim(namespace, "evt_1")
    assert (duplicate.status, duplicate.retry_after) == ("duplicate", None)
    assert repr(duplicate) == f"Claim(status='duplicate', namespace='{namespace}')"
    assert repr(second).startswith(f"Claim(status='in_progress', namespace='{namespace}', retry_after=")


def test_store_attributes() -> None:
    store = hookseal.Store("memory:", lease=2.5, retention=10)
    assert (store.backend, store.url, store.lease, store.retention) == ("memory", "memory:", 2.5, 10.0)
    assert type(store.lease) is float and type(store.retention) is float
    defaults = hookseal.Store("memory:")
    assert (defaults.lease, defaults.retention) == (60.0, 7 * 24 * 3600.0)
    from_url = hookseal.Store("memory:?lease=0.5&retention=3")
    assert (from_url.lease, from_url.retention) == (0.5, 3.0)
    assert hookseal.Store("sqlite:///tmp/x.db").backend == "sqlite"


def test_claims_cannot_be_made_by_hand() -> None:
    with pytest.raises(TypeError):
        hookseal.Claim()


def test_public_names() -> None:
    for name in ("Store", "AsyncStore", "Claim", "StoreError"):
        assert name in hookseal.__all__ and getattr(hookseal, name).__module__ == "hookseal"


# --- keys ----------------------------------------------------------------------------------------------------------

def test_a_str_key_is_its_utf8_bytes(store_url: str) -> None:
    store = hookseal.Store(store_url)
    namespace = fresh_namespace()
    claim = store.claim(namespace, "évt_1")
    assert store.claim(namespace, "évt_1".encode()).status == "in_progress"
    assert store.complete(claim)
    assert store.claim(namespace, b"\xc3\xa9vt_1").status == "duplicate"
    # Bytes that are not UTF-8 are a key like any other, distinct from their neighbours.
    for key in (b"\xff\xfe", b"\xff\xff", b"\x00", b""):
        assert store.claim(namespace, key).status == "claimed"


def test_other_key_types_are_type_errors() -> None:
    store = hookseal.Store("memory:")
    for key in (5, None, bytearray(b"evt"), ["evt"]):
        with pytest.raises(TypeError, match="key must be str or bytes"):
            store.claim("ns", key)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.claim(5, "evt")  # type: ignore[arg-type]


def test_an_idempotency_key_of_an_event_is_a_key() -> None:
    body = b'{"event":"order.status_changed","data":{}}'
    event = hookseal.Verifier("elmed", secret="s").verify(body, hookseal.sign("elmed", body, secret="s"))
    store = hookseal.Store("memory:")
    assert store.claim("elmed", event.idempotency_key).status == "claimed"
    assert store.claim("elmed", event.idempotency_key).status == "in_progress"


# --- misuse --------------------------------------------------------------------------------------------------------

def test_only_a_won_claim_can_be_completed_or_released() -> None:
    store = hookseal.Store("memory:")
    won = store.claim("ns", "evt")
    in_progress = store.claim("ns", "evt")
    for operation in (store.complete, store.release):
        with pytest.raises(ValueError, match="'claimed'.*not 'in_progress'") as error:
            operation(in_progress)
        assert not isinstance(error.value, hookseal.ConfigError)
    assert store.complete(won)
    duplicate = store.claim("ns", "evt")
    with pytest.raises(ValueError, match="not 'duplicate'"):
        store.release(duplicate)
    with pytest.raises(TypeError):
        store.complete("evt")  # type: ignore[arg-type]


def test_a_claim_of_one_store_does_nothing_to_another() -> None:
    one, other = hookseal.Store("memory:"), hookseal.Store("memory:")
    claim = one.claim("ns", "evt")
    assert other.complete(claim) is False and other.release(claim) is False
    assert one.complete(claim) is True


@pytest.mark.parametrize("value", [True, False, "5", "NaN", [1], {"s": 1}, 1j])
def test_a_lease_or_retention_of_the_wrong_type_is_invalid_option(value: Any) -> None:
    for name in ("lease", "retention"):
        with pytest.raises(hookseal.ConfigError, match=f"{name} must be a number of seconds") as error:
            hookseal.Store("memory:", **{name: value})
        assert (error.value.code, error.value.http_status) == ("invalid_option", 500)


@pytest.mark.parametrize("value", [0, -1, 0.0004, float("nan"), float("inf"), 40_000_000, 10**400])
def test_a_lease_out_of_range_is_invalid_option(value: Any) -> None:
    with pytest.raises(hookseal.ConfigError) as error:
        hookseal.Store("memory:", lease=value)
    assert error.value.code == "invalid_option"


def test_a_lease_in_the_url_and_as_an_option_is_invalid_option() -> None:
    with pytest.raises(hookseal.ConfigError, match="both"):
        hookseal.Store("memory:?lease=2", lease=2)
    with pytest.raises(hookseal.ConfigError, match="both"):
        hookseal.AsyncStore("memory:?retention=2", retention=2)


def test_a_url_that_is_not_a_str_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        hookseal.Store(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hookseal.Store(b"memory:")  # type: ignore[arg-type]


def test_bad_namespaces_are_invalid_option() -> None:
    store = hookseal.Store("memory:")
    for namespace in ("", "two words", "n" * 65, "café", "a/b"):
        with pytest.raises(hookseal.ConfigError) as error:
            store.claim(namespace, "evt")
        assert error.value.code == "invalid_option"
    assert store.claim("n" * 64, "evt").status == "claimed"
    assert store.claim("A-z.0_9:x", "evt").status == "claimed"


# --- errors and secrets --------------------------------------------------------------------------------------------

def test_store_error_is_an_exception_with_a_code_not_a_value_error() -> None:
    assert issubclass(hookseal.StoreError, Exception) and not issubclass(hookseal.StoreError, ValueError)
    assert issubclass(hookseal.ConfigError, ValueError)
    store = hookseal.Store("redis://127.0.0.1:1/0")
    with pytest.raises(hookseal.StoreError) as error:
        store.claim("ns", "evt")
    value = error.value
    assert type(value) is hookseal.StoreError and type(value).__module__ == "hookseal"
    assert (value.code, value.http_status) == ("store_unavailable", 503)
    assert str(value) == f"store_unavailable: {value.message}" and "redis://127.0.0.1:1/0" in value.message
    assert repr(value) == f"StoreError('store_unavailable', {value.message!r})"
    copy = pickle.loads(pickle.dumps(value))
    assert (type(copy), copy.code, copy.message, copy.http_status) == (
        hookseal.StoreError, value.code, value.message, 503)


def test_store_errors_made_in_python_answer_like_the_cores() -> None:
    assert hookseal.StoreError("store_unavailable", "m").http_status == 503
    assert hookseal.StoreError("store_unavailable", "m", 599).http_status == 599


def test_a_password_never_shows(silent_server: int) -> None:
    for url in (f"redis://:{PASSWORD}@127.0.0.1:1/0", f"redis://app:{PASSWORD}@127.0.0.1:1/3",
                f"rediss://:{PASSWORD}@127.0.0.1:1/0", f"redis://:{PASSWORD}@127.0.0.1:{silent_server}/0"):
        for store in (hookseal.Store(url), hookseal.AsyncStore(url)):
            shown = [repr(store), str(store), store.url, f"{store}", f"{store!r}"]
            assert all(PASSWORD not in text for text in shown), shown
            assert store.url.startswith(url.split(":", 1)[0] + "://***@127.0.0.1:")
            assert repr(store) == f"{type(store).__name__}(backend='redis', url={store.url!r})"
        with pytest.raises(hookseal.StoreError) as error:
            hookseal.Store(url).claim("ns", "evt")  # refused, a TLS handshake to nothing, or a timeout
        texts = [str(error.value), repr(error.value), error.value.message, repr(error.value.args)]
        assert all(PASSWORD not in text for text in texts), texts
    for url in (f"mysql://root:{PASSWORD}@db/app", f"redis://:{PASSWORD}@/0", f"redis://:{PASSWORD}@h:port/0",
                f"redis://:{PASSWORD}@127.0.0.1:6379/0?timeout=5"):
        with pytest.raises(hookseal.ConfigError) as config:
            hookseal.Store(url)
        assert PASSWORD not in str(config.value) and PASSWORD not in repr(config.value), url


def test_an_unusable_sqlite_file_fails_closed(tmp_path: Path) -> None:
    store = hookseal.Store(f"sqlite://{tmp_path / 'missing-dir' / 'x.db'}")
    with pytest.raises(hookseal.StoreError) as error:
        store.claim("ns", "evt")
    assert error.value.code == "store_unavailable"


# --- threads and the GIL -------------------------------------------------------------------------------------------

def test_many_threads_one_winner(store_url: str) -> None:
    store = hookseal.Store(store_url)
    namespace = fresh_namespace()
    barrier = threading.Barrier(16)

    def claim(_: int) -> str:
        barrier.wait()
        return store.claim(namespace, "evt_race").status

    with ThreadPoolExecutor(16) as pool:
        statuses = sorted(pool.map(claim, range(16)))
    assert statuses == ["claimed"] + ["in_progress"] * 15


def test_the_gil_is_released_while_a_store_call_waits(silent_server: int) -> None:
    # Two threads whose claims each wait for a Redis that never answers: with the GIL held, the second would start
    # only when the first gave up, and the main thread would not run at all meanwhile.
    url = f"redis://127.0.0.1:{silent_server}/0"

    def claim() -> float:
        # A store each: after a failure, a store's own claims fail at once for a second (the core's fail-fast).
        store = hookseal.Store(url)
        started = time.monotonic()
        with pytest.raises(hookseal.StoreError):
            store.claim("ns", "evt")
        return time.monotonic() - started

    alone = claim()
    assert alone >= 0.5  # the core's timeout, not a refusal
    with ThreadPoolExecutor(2) as pool:
        started = time.monotonic()
        waits = [pool.submit(claim) for _ in range(2)]
        spins = 0
        while not all(w.done() for w in waits):
            spins += 1  # Python keeps running in this thread
        both = time.monotonic() - started
    assert min(w.result() for w in waits) >= 0.5
    assert both < 1.5 * alone, (both, alone)
    assert spins > 10_000


@contextlib.contextmanager
def locked_by_another_process(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holds the SQLite file's write lock for ``seconds`` (or until the block ends). It must be another
    process: POSIX file locks do not exclude each other within one, so this process's sqlite3 module would not stop
    the store's own copy of SQLite."""
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        yield holder
    finally:
        holder.kill()
        holder.wait()


LOCK_HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
"""


def test_a_locked_sqlite_file_is_waited_for_without_the_gil(tmp_path: Path) -> None:
    # Another process writing: the claim waits for its lock (the busy timeout), and Python code keeps running.
    path = tmp_path / "locked.db"
    store = hookseal.Store(f"sqlite://{path}")
    assert store.claim("ns", "warm-up").status == "claimed"  # the file and its schema exist
    with locked_by_another_process(path, 0.6), ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        waiting = pool.submit(store.claim, "ns", "evt")
        spins = 0
        while not waiting.done():
            spins += 1
        assert waiting.result().status == "claimed"
        assert time.monotonic() - started >= 0.4
    assert spins > 10_000


def test_a_file_locked_past_the_busy_timeout_is_store_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    store = hookseal.Store(f"sqlite://{path}")
    assert store.claim("ns", "warm-up").status == "claimed"
    with locked_by_another_process(path, 30):
        started = time.monotonic()
        with pytest.raises(hookseal.StoreError) as error:
            store.claim("ns", "evt")
        assert error.value.code == "store_unavailable"
        assert 1 <= time.monotonic() - started < 5
        # For a second after a failure the store's claims fail at once (deliveries queued behind a dead store are
        # answered 503 within the bound, instead of each waiting out the timeout); then it is tried again.
        started = time.monotonic()
        with pytest.raises(hookseal.StoreError, match="unreachable"):
            store.claim("ns", "evt")
        assert time.monotonic() - started < 0.1
    time.sleep(1.1)
    assert store.claim("ns", "evt").status == "claimed"  # the store is back


# --- AsyncStore ----------------------------------------------------------------------------------------------------

def test_async_store_wraps_or_opens() -> None:
    store = hookseal.Store("memory:", lease=3)
    wrapped = hookseal.AsyncStore(store)
    assert wrapped.store is store
    assert (wrapped.backend, wrapped.url, wrapped.lease, wrapped.retention) == ("memory", "memory:", 3.0, 604800.0)
    with pytest.raises(hookseal.ConfigError) as error:
        hookseal.AsyncStore(store, lease=1)
    assert error.value.code == "invalid_option"
    opened = hookseal.AsyncStore("memory:?lease=2")
    assert isinstance(opened.store, hookseal.Store) and opened.lease == 2.0

    async def roundtrip() -> None:
        claim = await wrapped.claim("ns", b"evt")
        assert store.claim("ns", "evt").status == "in_progress"  # one store under both
        assert await wrapped.complete(claim) is True
        assert (await wrapped.claim("ns", "evt")).status == "duplicate"
        with pytest.raises(ValueError):
            await wrapped.release(store.claim("ns", "evt"))
        with pytest.raises(hookseal.ConfigError):
            await wrapped.claim("bad namespace", "evt")

    asyncio.run(roundtrip())


def test_async_store_never_blocks_the_event_loop(silent_server: int) -> None:
    store = hookseal.AsyncStore(f"redis://127.0.0.1:{silent_server}/0")

    async def main() -> tuple[int, float]:
        ticks = 0
        claiming = asyncio.ensure_future(store.claim("ns", "evt"))
        started = time.monotonic()
        while not claiming.done():
            await asyncio.sleep(0.01)
            ticks += 1
        with pytest.raises(hookseal.StoreError):
            claiming.result()
        return ticks, time.monotonic() - started

    ticks, waited = asyncio.run(main())
    assert waited >= 0.5 and ticks >= waited * 50, (ticks, waited)  # the loop ticked all along (>= half its pace)


def test_async_claims_race_on_one_loop(store_url: str) -> None:
    store = hookseal.AsyncStore(store_url)
    namespace = fresh_namespace()

    async def main() -> list[str]:
        claims = await asyncio.gather(*(store.claim(namespace, "evt") for _ in range(8)))
        return sorted(claim.status for claim in claims)

    assert asyncio.run(main()) == ["claimed"] + ["in_progress"] * 7


def test_a_cancelled_async_claim_gives_back_the_key_it_won(tmp_path: Path) -> None:
    # A request cancelled while its claim waits (here: for a locked SQLite file) must not leave the key held for the
    # whole lease: the claim the thread still wins is released at once.
    path = tmp_path / "cancel.db"
    store = hookseal.AsyncStore(f"sqlite://{path}")
    assert store.store.claim("ns", "warm-up").status == "claimed"

    async def main() -> list[str]:
        with locked_by_another_process(path, 0.5):
            claiming = asyncio.ensure_future(store.claim("ns", "evt"))
            await asyncio.sleep(0.2)
            claiming.cancel()
            with pytest.raises(asyncio.CancelledError):
                await claiming
            # The lock goes at 0.5 s: the thread's claim goes through then, and is released.
            seen: list[str] = []
            for _ in range(300):
                await asyncio.sleep(0.01)
                claim = await store.claim("ns", "evt")
                seen.append(claim.status)
                if claim.status == "claimed":
                    return seen
        return seen

    seen = asyncio.run(main())
    assert seen[-1] == "claimed" and set(seen) <= {"in_progress", "claimed"}, seen
