"""The framework helpers with a store (docs/exactly-once.md, "What the framework helpers answer"): Flask through its
test client, FastAPI on a real uvicorn server in a thread (reached over a socket). Every answer of the table: processed
then completed, duplicate without the handler, in_progress with Retry-After, a handler that raised (500, released, its
retry processed), a store that cannot be reached (503 store_unavailable, handler not run), a complete that fails after
the handler returned (logged, the answer still goes out), and FastAPI still resolving the endpoint's own parameters and
dependencies through the decorator."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from flask import Flask

import hookseal
import hookseal.fastapi
import hookseal.flask

KEY = "nm_store_helpers_key"
NOVAMED = hookseal.Verifier("novamed", secret=KEY)
UNREACHABLE = "redis://127.0.0.1:1/0"

LOCK_HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(60)
"""


def lock_from_another_process(path: Path) -> subprocess.Popen[str]:
    """Holds the SQLite file's write lock from another process (within one process POSIX locks do not exclude)."""
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    return holder


def delivery(action: str = "ok", event_id: Optional[str] = None) -> tuple[str, bytes, dict[str, str]]:
    """A signed NovaMed delivery with a fresh event_id (its idempotency key) and what the handler should do."""
    event_id = event_id or "evt_" + uuid.uuid4().hex
    body = json.dumps({"event_type": "order:shipped", "event_id": event_id, "data": {"action": action}}).encode()
    return event_id, body, hookseal.sign("novamed", body, secret=KEY)


def duplicate(key: str) -> dict[str, str]:
    return {"status": "duplicate", "idempotency_key": key}


class Boom(Exception):
    pass


# --- Flask ---------------------------------------------------------------------------------------------------------

class FlaskReceiver:
    """A Flask app with one view per store under test, counting the view's runs by key."""

    def __init__(self, store: Any, namespace: Optional[str] = None) -> None:
        self.runs: list[str] = []
        self.app = Flask(__name__)
        self.lockers: list[subprocess.Popen[str]] = []
        self.locked_path: Optional[Path] = None

        @self.app.post("/novamed")
        @hookseal.flask.webhook(NOVAMED, store=store, namespace=namespace)
        def on_novamed(event: hookseal.Event) -> Any:
            self.runs.append(event.idempotency_key)
            action = event.data["action"]
            if action == "raise":
                raise Boom("the handler failed")
            if action == "answer-503":
                return {"status": "try later"}, 503
            if action == "lock-store":  # the store becomes unusable while the handler runs
                assert self.locked_path is not None
                self.lockers.append(lock_from_another_process(self.locked_path))
            return {"status": "processed", "idempotency_key": event.idempotency_key}

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        response = self.app.test_client().post("/novamed", data=body, headers=headers)
        assert response.mimetype == "application/json", response.data
        return response.status_code, dict(response.headers), response.get_json()


@pytest.fixture(params=["memory", "sqlite", "redis"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> hookseal.Store:
    import os

    if request.param == "redis":
        url = os.environ.get("HOOKSEAL_TEST_REDIS_URL", "")
        if not url:
            pytest.fail("HOOKSEAL_TEST_REDIS_URL is not set: run under scripts/with-redis.sh", pytrace=False)
        return hookseal.Store(url)
    return hookseal.Store("memory:" if request.param == "memory" else f"sqlite://{tmp_path / 'helpers.db'}")


def test_flask_processes_once_then_answers_duplicate(any_store: hookseal.Store) -> None:
    receiver = FlaskReceiver(any_store)
    key, body, headers = delivery()
    assert receiver.post(body, headers)[::2] == (200, {"status": "processed", "idempotency_key": key})
    # The key is done in the store (under the verifier's preset name), and a retry never reaches the view.
    assert any_store.claim("novamed", key).status == "duplicate"
    for _ in range(2):
        status, _, answer = receiver.post(body, headers)
        assert (status, answer) == (200, duplicate(key))
    assert receiver.runs == [key]


def test_flask_in_progress_elsewhere_is_503_with_retry_after() -> None:
    store = hookseal.Store("memory:", lease=5)
    receiver = FlaskReceiver(store)
    key, body, headers = delivery()
    other_worker = store.claim("novamed", key)
    status, response_headers, answer = receiver.post(body, headers)
    assert (status, answer) == (503, {"error": "in_progress"})
    assert response_headers["Retry-After"] in {"4", "5"}
    assert receiver.runs == []
    assert store.complete(other_worker)
    assert receiver.post(body, headers)[::2] == (200, duplicate(key))


def test_flask_a_handler_that_raises_is_released_and_its_retry_processed() -> None:
    store = hookseal.Store("memory:")
    receiver = FlaskReceiver(store)
    receiver.app.testing = False  # answer the exception with a 500 as production does, not re-raise it in the test
    key, body, headers = delivery("raise")
    response = receiver.app.test_client().post("/novamed", data=body, headers=headers)
    assert response.status_code == 500
    assert receiver.runs == [key]
    # Released: the provider's retry is processed (claimed again), not answered in_progress or duplicate.
    claim = store.claim("novamed", key)
    assert claim.status == "claimed"
    assert store.release(claim)
    response = receiver.app.test_client().post("/novamed", data=body, headers=headers)
    assert response.status_code == 500 and receiver.runs == [key, key]


def test_flask_the_exception_propagates_as_flask_handles_it() -> None:
    store = hookseal.Store("memory:")
    receiver = FlaskReceiver(store)
    receiver.app.testing = True  # the test client re-raises the view's exception
    key, body, headers = delivery("raise")
    with pytest.raises(Boom):
        receiver.post(body, headers)
    assert store.claim("novamed", key).status == "claimed"


def test_flask_an_answer_of_500_or_more_releases_the_key() -> None:
    store = hookseal.Store("memory:")
    receiver = FlaskReceiver(store)
    key, body, headers = delivery("answer-503")
    assert receiver.post(body, headers)[::2] == (503, {"status": "try later"})
    assert store.claim("novamed", key).status == "claimed"


def test_flask_store_unavailable_is_503_and_the_view_does_not_run(caplog: pytest.LogCaptureFixture) -> None:
    receiver = FlaskReceiver(hookseal.Store(UNREACHABLE))
    _, body, headers = delivery()
    with caplog.at_level(logging.ERROR, logger="hookseal"):
        status, response_headers, answer = receiver.post(body, headers)
    assert (status, answer, response_headers["Retry-After"]) == (503, {"error": "store_unavailable"}, "5")
    assert receiver.runs == []
    logged = [r.getMessage() for r in caplog.records if r.name == "hookseal"]
    assert "refused a delivery from novamed (POST /novamed): store_unavailable: " in "\n".join(logged), logged


def test_flask_a_failing_complete_is_logged_and_the_answer_still_goes_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "flaky.db"
    store = hookseal.Store(f"sqlite://{path}")
    receiver = FlaskReceiver(store)
    receiver.locked_path = path
    key, body, headers = delivery("lock-store")
    try:
        with caplog.at_level(logging.ERROR, logger="hookseal"):
            status, _, answer = receiver.post(body, headers)
        assert (status, answer) == (200, {"status": "processed", "idempotency_key": key})
        messages = [r.getMessage() for r in caplog.records if r.name == "hookseal"]
        assert any(key in m and "not marked done" in m for m in messages), messages
    finally:
        for locker in receiver.lockers:
            locker.kill()
            locker.wait()
    assert receiver.runs == [key]


def test_flask_namespace_separates_endpoints() -> None:
    store = hookseal.Store("memory:")
    first, second = FlaskReceiver(store, namespace="novamed-orders"), FlaskReceiver(store, namespace="novamed-rx")
    key, body, headers = delivery()
    assert first.post(body, headers)[0] == 200 and second.post(body, headers)[0] == 200
    assert first.runs == second.runs == [key]
    assert store.claim("novamed-orders", key).status == "duplicate"
    assert store.claim("novamed", key).status == "claimed"  # the default namespace was not used


def test_flask_accepts_an_async_store_through_its_store() -> None:
    store = hookseal.AsyncStore("memory:")
    receiver = FlaskReceiver(store)
    key, body, headers = delivery()
    assert receiver.post(body, headers)[0] == 200
    assert receiver.post(body, headers)[::2] == (200, duplicate(key))


def test_flask_refusals_still_come_first() -> None:
    receiver = FlaskReceiver(hookseal.Store(UNREACHABLE))
    _, body, _ = delivery()
    status, _, answer = receiver.post(body, {"x-api-key": "wrong"})
    assert (status, answer) == (401, {"error": "key_mismatch"})


# --- FastAPI -------------------------------------------------------------------------------------------------------

class FastAPIReceiver:
    def __init__(self, tmp: Path) -> None:
        self.runs: list[tuple[str, str]] = []  # (endpoint, key)
        self.on_loop: list[bool] = []  # for each run of the sync endpoint: did it run on the event loop's thread?
        self.lockers: list[subprocess.Popen[str]] = []
        self.store = hookseal.AsyncStore("memory:?lease=5")
        self.sync_store = hookseal.Store("memory:")
        self.flaky_path = tmp / "flaky.db"
        self.flaky = hookseal.AsyncStore(f"sqlite://{self.flaky_path}")
        api = self.api = FastAPI()
        verified = hookseal.fastapi.webhook(NOVAMED)

        def act(endpoint: str, event: hookseal.Event) -> Any:
            self.runs.append((endpoint, event.idempotency_key))
            action = event.data["action"]
            if action == "raise":
                raise Boom("the handler failed")
            if action == "http-409":
                raise HTTPException(status_code=409, detail="conflict")
            if action == "answer-500":
                return JSONResponse({"status": "failed"}, status_code=500)
            if action == "lock-store":
                self.lockers.append(lock_from_another_process(self.flaky_path))
            return {"status": "processed", "idempotency_key": event.idempotency_key}

        @api.post("/async")
        @hookseal.fastapi.exactly_once(self.store)
        async def on_async(event: hookseal.Event = Depends(verified)) -> Any:
            await asyncio.sleep(0)
            return act("async", event)

        @api.post("/sync")
        @hookseal.fastapi.exactly_once(self.sync_store, namespace="sync-endpoint")
        def on_sync(event: hookseal.Event = Depends(verified)) -> Any:
            try:
                asyncio.get_running_loop()
                self.on_loop.append(True)
            except RuntimeError:
                self.on_loop.append(False)
            return act("sync", event)

        @api.post("/unavailable")
        @hookseal.fastapi.exactly_once(hookseal.AsyncStore(UNREACHABLE))
        async def on_unavailable(event: hookseal.Event = Depends(verified)) -> Any:
            return act("unavailable", event)

        @api.post("/flaky")
        @hookseal.fastapi.exactly_once(self.flaky)
        async def on_flaky(event: hookseal.Event = Depends(verified)) -> Any:
            return act("flaky", event)

        def tenant(x_tenant: str = Header()) -> str:
            return "tenant:" + x_tenant

        @api.post("/params/{order}")
        @hookseal.fastapi.exactly_once(self.store, namespace="params")
        async def on_params(order: int, request: Request, q: str = "none", who: str = Depends(tenant),
                            event: hookseal.Event = Depends(verified)) -> Any:
            self.runs.append(("params", event.idempotency_key))
            raw = await request.body()  # the request is the endpoint's own parameter, body still readable
            return {"order": order, "q": q, "who": who,
                    "same_body": json.loads(raw)["event_id"] == event.idempotency_key}

        @api.post("/no-event")
        @hookseal.fastapi.exactly_once(self.store)
        async def on_no_event(request: Request) -> Any:
            return {"status": "ran"}

    def close(self) -> None:
        for locker in self.lockers:
            locker.kill()
            locker.wait()


@pytest.fixture(scope="module")
def fastapi_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPIReceiver, int]]:
    receiver = FastAPIReceiver(tmp_path_factory.mktemp("fastapi-store"))
    server = uvicorn.Server(uvicorn.Config(receiver.api, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    port: int = server.servers[0].sockets[0].getsockname()[1]
    yield receiver, port
    server.should_exit = True
    thread.join(5)
    receiver.close()


def post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        content_type = response.getheader("Content-Type", "")
        answer = json.loads(raw) if content_type.startswith("application/json") else raw.decode()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, answer
    finally:
        conn.close()


def test_fastapi_processes_once_then_answers_duplicate(fastapi_receiver: tuple[FastAPIReceiver, int]) -> None:
    receiver, port = fastapi_receiver
    key, body, headers = delivery()
    assert post(port, "/async", body, headers)[::2] == (200, {"status": "processed", "idempotency_key": key})
    assert receiver.store.store.claim("novamed", key).status == "duplicate"  # completed, in the provider's namespace
    for _ in range(2):
        status, response_headers, answer = post(port, "/async", body, headers)
        assert (status, answer) == (200, duplicate(key))
        assert response_headers["content-type"] == "application/json"
    assert [run for run in receiver.runs if run[1] == key] == [("async", key)]


def test_fastapi_in_progress_elsewhere_is_503_with_retry_after(fastapi_receiver: tuple[FastAPIReceiver, int]) -> None:
    receiver, port = fastapi_receiver
    key, body, headers = delivery()
    other_worker = receiver.store.store.claim("novamed", key)
    status, response_headers, answer = post(port, "/async", body, headers)
    assert (status, answer, response_headers["retry-after"] in {"4", "5"}) == (503, {"error": "in_progress"}, True)
    assert all(run[1] != key for run in receiver.runs)
    assert receiver.store.store.release(other_worker)
    assert post(port, "/async", body, headers)[::2] == (200, {"status": "processed", "idempotency_key": key})


@pytest.mark.parametrize("path", ["/async", "/sync"])
def test_fastapi_a_handler_that_raises_is_500_released_and_its_retry_processed(
    fastapi_receiver: tuple[FastAPIReceiver, int], path: str
) -> None:
    receiver, port = fastapi_receiver
    key, body, headers = delivery("raise")
    assert post(port, path, body, headers)[0] == 500
    assert post(port, path, body, headers)[0] == 500  # released: the retry ran the handler again
    assert [run for run in receiver.runs if run[1] == key] == [(path[1:], key)] * 2
    store = receiver.store.store if path == "/async" else receiver.sync_store
    namespace = "novamed" if path == "/async" else "sync-endpoint"
    assert store.claim(namespace, key).status == "claimed"


def test_fastapi_an_http_exception_propagates_and_releases(fastapi_receiver: tuple[FastAPIReceiver, int]) -> None:
    receiver, port = fastapi_receiver
    key, body, headers = delivery("http-409")
    assert post(port, "/async", body, headers)[::2] == (409, {"detail": "conflict"})
    assert receiver.store.store.claim("novamed", key).status == "claimed"


def test_fastapi_a_response_of_500_or_more_releases(fastapi_receiver: tuple[FastAPIReceiver, int]) -> None:
    receiver, port = fastapi_receiver
    key, body, headers = delivery("answer-500")
    assert post(port, "/async", body, headers)[::2] == (500, {"status": "failed"})
    assert receiver.store.store.claim("novamed", key).status == "claimed"


def test_fastapi_sync_endpoint_runs_in_the_thread_pool_once(fastapi_receiver: tuple[FastAPIReceiver, int]) -> None:
    receiver, port = fastapi_receiver
    key, body, headers = delivery()
    assert post(port, "/sync", body, headers)[::2] == (200, {"status": "processed", "idempotency_key": key})
    assert post(port, "/sync", body, headers)[::2] == (200, duplicate(key))
    assert receiver.sync_store.claim("sync-endpoint", key).status == "duplicate"
    assert receiver.on_loop and not any(receiver.on_loop)  # a plain def never blocks the event loop


def test_fastapi_store_unavailable_is_503_and_the_endpoint_does_not_run(
    fastapi_receiver: tuple[FastAPIReceiver, int], caplog: pytest.LogCaptureFixture
) -> None:
    receiver, port = fastapi_receiver
    key, body, headers = delivery()
    with caplog.at_level(logging.ERROR, logger="hookseal"):
        status, response_headers, answer = post(port, "/unavailable", body, headers)
    assert (status, answer, response_headers["retry-after"]) == (503, {"error": "store_unavailable"}, "5")
    assert all(run[1] != key for run in receiver.runs)
    logged = [r.getMessage() for r in caplog.records if r.name == "hookseal"]
    assert "refused a delivery from novamed: store_unavailable: " in "\n".join(logged), logged


def test_fastapi_a_failing_complete_is_logged_and_the_answer_still_goes_out(
    fastapi_receiver: tuple[FastAPIReceiver, int], caplog: pytest.LogCaptureFixture
) -> None:
    receiver, port = fastapi_receiver
    key, body, headers = delivery("lock-store")
    with caplog.at_level(logging.ERROR, logger="hookseal"):
        answer = post(port, "/flaky", body, headers)
    receiver.close()
    assert answer[::2] == (200, {"status": "processed", "idempotency_key": key})
    messages = [r.getMessage() for r in caplog.records if r.name == "hookseal"]
    assert any(key in m and "not marked done" in m for m in messages), messages


def test_fastapi_still_resolves_the_endpoints_own_parameters(fastapi_receiver: tuple[FastAPIReceiver, int]) -> None:
    receiver, port = fastapi_receiver
    key, body, headers = delivery()
    status, _, answer = post(port, "/params/42?q=hello", body, {**headers, "x-tenant": "clinic-7"})
    assert (status, answer) == (200, {"order": 42, "q": "hello", "who": "tenant:clinic-7", "same_body": True})
    # Validation of those parameters still happens before anything is claimed.
    status, _, answer = post(port, "/params/not-a-number", *delivery()[1:])
    assert status == 422
    assert post(port, "/params/42", body, {**headers, "x-tenant": "clinic-7"})[::2] == (200, duplicate(key))
    # FastAPI sees the endpoint's signature: its parameters are in the OpenAPI schema.
    parameters = receiver.api.openapi()["paths"]["/params/{order}"]["post"]["parameters"]
    assert {p["name"] for p in parameters} == {"order", "q", "x-tenant"}


def test_fastapi_an_endpoint_without_an_event_fails_loudly(fastapi_receiver: tuple[FastAPIReceiver, int]) -> None:
    receiver, port = fastapi_receiver
    _, body, headers = delivery()
    assert post(port, "/no-event", body, headers)[0] == 500  # uvicorn's answer to an unhandled exception
    endpoint = next(getattr(route, "endpoint") for route in receiver.api.routes
                    if getattr(route, "path", "") == "/no-event")
    with pytest.raises(TypeError, match="received 0 hookseal.Event arguments"):
        asyncio.run(endpoint(request=None))


def test_fastapi_refusals_still_come_first(fastapi_receiver: tuple[FastAPIReceiver, int]) -> None:
    _, port = fastapi_receiver
    _, body, _ = delivery()
    assert post(port, "/unavailable", body, {"x-api-key": "wrong"})[::2] == (401, {"error": "key_mismatch"})


def test_fastapi_decorator_keeps_the_endpoint_identity() -> None:
    store = hookseal.AsyncStore("memory:")

    async def endpoint(event: hookseal.Event) -> dict[str, str]:
        """Docs."""
        return {"key": event.idempotency_key}

    wrapped = hookseal.fastapi.exactly_once(store)(endpoint)
    assert wrapped.__name__ == "endpoint" and wrapped.__doc__ == "Docs." and wrapped.__wrapped__ is endpoint  # type: ignore[attr-defined]
    assert asyncio.iscoroutinefunction(wrapped)


def verified_event(action: str = "ok") -> hookseal.Event:
    _, body, headers = delivery(action)
    return NOVAMED.verify(body, headers)


def test_fastapi_a_cancelled_endpoint_releases_its_claim() -> None:
    # A request task cancelled inside the endpoint (a shutdown, a timeout middleware): its claim is given back at once.
    store = hookseal.AsyncStore("memory:")
    event = verified_event()
    entered = asyncio.Event()

    async def endpoint(event: hookseal.Event) -> dict[str, str]:
        entered.set()
        await asyncio.sleep(30)
        return {}

    wrapped = hookseal.fastapi.exactly_once(store)(endpoint)

    async def main() -> str:
        task = asyncio.ensure_future(wrapped(event=event))
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(200):
            await asyncio.sleep(0.01)
            claim = await store.claim("novamed", event.idempotency_key)
            if claim.status != "in_progress":
                return claim.status
        return "in_progress"

    assert asyncio.run(main()) == "claimed"


def test_fastapi_an_object_with_an_async_call_is_awaited() -> None:
    class Endpoint:
        async def __call__(self, event: hookseal.Event) -> dict[str, str]:
            return {"key": event.idempotency_key}

    store = hookseal.AsyncStore("memory:")
    event = verified_event()
    wrapped = hookseal.fastapi.exactly_once(store)(Endpoint())
    assert asyncio.run(wrapped(event=event)) == {"key": event.idempotency_key}
    duplicate_answer = asyncio.run(wrapped(event=event))
    assert isinstance(duplicate_answer, JSONResponse)
    assert json.loads(bytes(duplicate_answer.body)) == duplicate(event.idempotency_key)
