"""hookseal.Router (docs/api.md, "The router"): every case of tests/vectors/router/routes.json in the call and the
decorator form, the rest of the rule (unhandled accept / reject, a handler that raises, async handlers, the provider
check, the typo warning, repr), the generated typed routers of hookseal.events, the router behind hookseal.flask and
hookseal.fastapi with a store on a real SQLite file (and Redis under scripts/with-redis.sh), and every shared vector
that verifies dispatched through its provider's typed router."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import pickle
import sys
import threading
import typing
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from fastapi import Depends, FastAPI
from flask import Flask

import hookseal
import hookseal.fastapi
import hookseal.flask
from hookseal.events import CATALOGS, baremeds, elmed, management_api, novamed
from test_vectors import CASES as VECTOR_CASES
from test_vectors import body_of

ROOT = Path(__file__).resolve().parents[3]
ROUTES = ROOT / "tests" / "vectors" / "router" / "routes.json"
KINDS = {"dispatch", "error"}
FIELDS = {"dispatch": {"id", "kind", "routes", "dispatch"}, "error": {"id", "kind", "routes", "error_at", "error"}}
KEY = "nm_router_key"
NOVAMED = hookseal.Verifier("novamed", secret=KEY)
ELMED = hookseal.Verifier("elmed", secret="elmed_router_secret")


class FakeEvent:
    """What the router reads of an event: its provider, type and idempotency key."""

    def __init__(self, event_type: Optional[str], provider: str = "elmed", key: str = "sha256:abc") -> None:
        self.provider = provider
        self.event_type = event_type
        self.idempotency_key = key


def fake(event_type: Optional[str], provider: str = "elmed", key: str = "sha256:abc") -> hookseal.Event:
    return FakeEvent(event_type, provider, key)  # type: ignore[return-value]


def accepted(event_type: Optional[str], key: str = "sha256:abc") -> dict[str, Any]:
    return {"status": "unhandled", "event_type": event_type, "idempotency_key": key}


# --- tests/vectors/router/routes.json -------------------------------------------------------------------------------

def load_routes() -> list[dict[str, Any]]:
    doc = json.loads(ROUTES.read_text())
    assert set(doc) == {"description", "kinds", "cases"}, f"routes.json: unknown top-level fields {set(doc)}"
    assert set(doc["kinds"]) == KINDS, f"routes.json names kinds this runner does not know: {doc['kinds']}"
    for case in doc["cases"]:
        kind = case.get("kind")
        assert kind in KINDS, f"{case.get('id')}: unknown case kind {kind!r}"
        assert set(case) == FIELDS[kind], f"{case['id']}: fields {sorted(case)} where {kind} has {sorted(FIELDS[kind])}"
    assert len({case["id"] for case in doc["cases"]}) == len(doc["cases"]), "routes.json: duplicate ids"
    return list(doc["cases"])


def register(router: hookseal.Router, routes: Any, handler: Callable[[hookseal.Event], Any], form: str) -> None:
    if form == "call":
        assert router.on(routes, handler) is handler
    else:
        assert router.on(routes)(handler) is handler


def run_route_case(case: dict[str, Any], form: str) -> None:
    router = hookseal.Router()
    ran: list[int] = []

    def handler(index: int) -> Callable[[hookseal.Event], Any]:
        def run(event: hookseal.Event) -> Any:
            ran.append(index)
            return {"handler": index, "event_type": event.event_type}

        return run

    if case["kind"] == "error":
        for index, routes in enumerate(case["routes"]):
            if index == case["error_at"]:
                with pytest.raises(hookseal.ConfigError) as raised:
                    register(router, routes, handler(index), form)
                assert raised.value.code == case["error"], f"{case['id']}: {raised.value}"
                return
            register(router, routes, handler(index), form)
        raise AssertionError(f"{case['id']}: error_at {case['error_at']} is past its routes")
    for index, routes in enumerate(case["routes"]):
        register(router, routes, handler(index), form)
    for event_type, expected in case["dispatch"]:
        ran.clear()
        answer = router.dispatch(fake(event_type))
        if expected is None:
            assert ran == [] and answer == accepted(event_type), f"{case['id']}: {event_type!r} ran {ran}"
        else:
            assert ran == [expected], f"{case['id']}: {event_type!r} ran {ran}, expected handler {expected}"
            assert answer == {"handler": expected, "event_type": event_type}


ROUTE_CASES = load_routes()


@pytest.mark.parametrize("form", ["call", "decorator"])
def test_every_routes_vector(form: str) -> None:
    ran = 0
    for case in ROUTE_CASES:
        run_route_case(case, form)
        ran += 1
    assert ran == len(json.loads(ROUTES.read_text())["cases"]) >= 15


# --- the rest of the rule -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern", [5, None, b"order.created", [5], ["ok", None], {"a": 1}])
def test_a_pattern_that_is_not_a_string_or_a_list_of_them_is_invalid(pattern: Any) -> None:
    with pytest.raises(hookseal.ConfigError) as raised:
        hookseal.Router().on(pattern, print)
    assert raised.value.code == "invalid_option"


@pytest.mark.parametrize("pattern", ["", "*.created", "ord*er", "**"])
def test_an_invalid_pattern_is_named_in_the_message(pattern: str) -> None:
    with pytest.raises(hookseal.ConfigError, match="pattern") as raised:
        hookseal.Router().on(pattern)
    assert raised.value.code == "invalid_option"
    assert pattern == "" or repr(pattern) in raised.value.message


def test_a_pattern_registered_twice_says_it_already_has_a_handler() -> None:
    router = hookseal.Router()
    router.on("claim.decision", print)
    with pytest.raises(hookseal.ConfigError, match="'claim.decision' already has a handler"):
        router.on(["order:*", "claim.decision"], print)
    assert router.patterns == ("claim.decision",)  # the failed call registered nothing


@pytest.mark.parametrize("form", ["call", "decorator"])
def test_a_handler_that_is_not_callable_is_invalid(form: str) -> None:
    router = hookseal.Router()
    with pytest.raises(hookseal.ConfigError) as raised:
        if form == "call":
            router.on("order.created", "not a function")  # type: ignore[call-overload]
        else:
            router.on("order.created")("not a function")  # type: ignore[type-var]
    assert raised.value.code == "invalid_option" and "'order.created'" in raised.value.message
    assert router.patterns == ()


def test_a_decorator_registered_in_between_is_still_refused() -> None:
    router = hookseal.Router()
    later = router.on("order.created")
    router.on("order.created", print)
    with pytest.raises(hookseal.ConfigError, match="already has a handler"):
        later(print)


def test_the_router_options_are_checked() -> None:
    with pytest.raises(hookseal.ConfigError) as raised:
        hookseal.Router(unhandled="ignore")  # type: ignore[arg-type]
    assert raised.value.code == "invalid_option"
    with pytest.raises(hookseal.ConfigError) as raised:
        hookseal.Router("elmd")
    assert raised.value.code == "unknown_provider"
    with pytest.raises(hookseal.ConfigError) as raised:
        hookseal.Router(5)  # type: ignore[arg-type]
    assert raised.value.code == "invalid_option"


def test_patterns_provider_unhandled_and_repr() -> None:
    router = hookseal.Router("novamed", unhandled="reject")
    router.on(["order:*", "refill:denied"], print)
    router.on("*", print)
    assert router.patterns == ("order:*", "refill:denied", "*")
    assert (router.provider, router.unhandled) == ("novamed", "reject")
    assert repr(router) == "Router(provider='novamed', unhandled='reject', patterns=['order:*', 'refill:denied', '*'])"
    assert "print" not in repr(router) and "built-in" not in repr(router)
    assert repr(hookseal.Router()) == "Router(provider=None, unhandled='accept', patterns=[])"


def test_unhandled_accept_answers_and_logs_one_line(caplog: pytest.LogCaptureFixture) -> None:
    router = hookseal.Router("elmed")
    with caplog.at_level(logging.INFO, logger="hookseal"):
        assert router.dispatch(fake("order.created", key="sha256:k1")) == accepted("order.created", "sha256:k1")
        assert router.dispatch(fake(None, key="sha256:k2")) == accepted(None, "sha256:k2")
    assert [r.getMessage() for r in caplog.records] == [
        "no handler for the delivery sha256:k1 from elmed (order.created): accepted",
        "no handler for the delivery sha256:k2 from elmed (null): accepted",
    ]
    assert all(r.levelno == logging.INFO for r in caplog.records)


def test_unhandled_reject_raises_unhandled_event_error() -> None:
    router = hookseal.Router(unhandled="reject")
    router.on("order.created", print)
    with pytest.raises(hookseal.UnhandledEventError) as raised:
        router.dispatch(fake("order.shipped", key="sha256:k3"))
    error = raised.value
    assert (error.code, error.event_type, error.idempotency_key, error.provider) == (
        "unhandled_event", "order.shipped", "sha256:k3", "elmed")
    assert error.http_status == 501 and isinstance(error, Exception) and not isinstance(error, ValueError)
    assert str(error) == "unhandled_event: no handler for the delivery sha256:k3 from elmed (order.shipped)"
    assert type(error).__module__ == "hookseal"
    again = pickle.loads(pickle.dumps(error))
    assert (again.code, again.event_type, again.idempotency_key, again.provider) == (
        "unhandled_event", "order.shipped", "sha256:k3", "elmed")
    with pytest.raises(hookseal.UnhandledEventError) as raised:
        router.dispatch(fake(None))
    assert raised.value.event_type is None and "(null)" in str(raised.value)


def test_a_handler_that_raises_propagates() -> None:
    router = hookseal.Router()

    @router.on("order.created")
    def boom(event: hookseal.Event) -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        router.dispatch(fake("order.created"))


def test_an_async_handler_returns_its_coroutine_as_is() -> None:
    router = hookseal.Router()

    @router.on("order.*")
    async def later(event: hookseal.Event) -> str:
        await asyncio.sleep(0)
        return f"async {event.event_type}"

    answer = router.dispatch(fake("order.created"))
    assert asyncio.iscoroutine(answer)
    assert asyncio.run(answer) == "async order.created"


def processed(event_type: Optional[str], key: str = "sha256:abc") -> dict[str, Any]:
    return {"status": "processed", "event_type": event_type, "idempotency_key": key}


def test_a_handler_that_returns_none_answers_processed() -> None:
    router = hookseal.Router()
    ran: list[Optional[str]] = []

    @router.on("order.created")
    def quiet(event: hookseal.Event) -> None:
        ran.append(event.event_type)

    router.on("*", lambda event: ran.append(event.event_type))  # list.append's None too
    assert router.dispatch(fake("order.created", key="sha256:k4")) == processed("order.created", "sha256:k4")
    assert router.dispatch(fake(None, key="sha256:k5")) == processed(None, "sha256:k5")
    assert ran == ["order.created", None]
    router = hookseal.Router()
    router.on("*", lambda event: {})  # a falsy answer is the handler's own, not None
    assert router.dispatch(fake("order.created")) == {}


def test_an_async_handler_that_returns_none_answers_processed_once_awaited() -> None:
    router = hookseal.Router()
    ran: list[str] = []

    @router.on("order.*")
    async def quiet(event: hookseal.Event) -> None:
        await asyncio.sleep(0)
        ran.append(str(event.event_type))

    answer = router.dispatch(fake("order.shipped", key="sha256:k6"))
    assert asyncio.iscoroutine(answer) and ran == []  # still an awaitable: nothing ran yet
    assert asyncio.run(answer) == processed("order.shipped", "sha256:k6")
    assert ran == ["order.shipped"]


def test_the_router_is_callable_as_dispatch() -> None:
    router = hookseal.Router()
    router.on("*", lambda event: event.event_type)
    assert router(fake("x")) == "x"


def test_another_providers_event_is_a_config_error() -> None:
    router = hookseal.Router("elmed")
    router.on("*", print)
    with pytest.raises(hookseal.ConfigError) as raised:
        router.dispatch(fake("order:shipped", provider="novamed"))
    assert raised.value.code == "invalid_option"
    assert raised.value.message == "a router for elmed was given a novamed event"
    assert hookseal.Router().dispatch(fake("order:shipped", provider="novamed")) == accepted("order:shipped")


def test_an_undocumented_exact_pattern_warns_with_the_nearest_name() -> None:
    router = hookseal.Router("elmed")
    with pytest.warns(UserWarning) as caught:
        router.on("order.status_change", print)
    assert [str(w.message) for w in caught] == [
        "hookseal: elmed documents no event 'order.status_change'; did you mean 'order.status_changed'?"]
    assert caught[0].filename == __file__  # it points at the on() call
    with pytest.warns(UserWarning) as caught:
        router.on("completely.different")(print)
    assert [str(w.message) for w in caught] == ["hookseal: elmed documents no event 'completely.different'"]
    assert caught[0].filename == __file__
    assert router.patterns == ("order.status_change", "completely.different")  # not an error: providers add events


def test_the_warning_comes_only_once_the_handler_is_registered() -> None:
    router = elmed.Router()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(hookseal.ConfigError) as raised:
            router.on("order.status_change", "x")  # type: ignore[call-overload]
        assert raised.value.code == "invalid_option"
        later = router.on("order.status_change")  # a decorator not applied (yet): nothing registered, no warning
        assert caught == [] and "order.status_change" not in router.patterns
        with pytest.raises(hookseal.ConfigError):
            later("x")  # type: ignore[type-var]
        assert caught == []
    with pytest.warns(UserWarning, match="did you mean 'order.status_changed'") as warned:
        later(print)  # applied: registered, so said now, at this line
    assert [(w.filename, w.lineno) for w in warned] == [(__file__, sys._getframe().f_lineno - 1)]
    assert router.patterns == ("order.status_change",)
    untyped = hookseal.Router("elmed")
    with pytest.warns(UserWarning, match="elmed documents no event 'order.status_change'") as warned:
        decorate = untyped.on(["order.status_changed", "order.status_change"])
        decorate(print)
    assert [(w.filename, w.lineno) for w in warned] == [(__file__, sys._getframe().f_lineno - 1)]
    with pytest.warns(UserWarning, match="elmed documents no event 'order.status_chang'") as warned:
        untyped.on("order.status_chang", print)  # the call form: at the on() call
    assert [(w.filename, w.lineno) for w in warned] == [(__file__, sys._getframe().f_lineno - 1)]
    with pytest.warns(UserWarning, match="elmed documents no event 'prescription.issue'") as warned:
        line = sys._getframe().f_lineno + 2

        @untyped.on("prescription.issue")  # the decorator statement: at its line
        def issued(event: hookseal.Event) -> None: ...

    assert [(w.filename, w.lineno) for w in warned] == [(__file__, line)]
    assert untyped.patterns == ("order.status_changed", "order.status_change", "order.status_chang",
                                "prescription.issue")


def test_documented_prefix_unbound_and_custom_patterns_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hookseal.Router("elmed").on(["order.status_changed", "order.*", "nothing*", "*"], print)
        hookseal.Router().on("order.status_change", print)
        hookseal.Router("standard-webhooks").on("invoice.paid", print)


def test_the_typed_routers_warn_on_their_own_catalog() -> None:
    with pytest.warns(UserWarning, match="^hookseal: custom documents no event 'pharmacy_order_create'; did "
                      "you mean 'pharmacy_order_created'[?]$") as caught:
        management_api.Router().on("pharmacy_order_create", print)
    assert caught[0].filename == __file__
    # The custom preset's catalog is the Management API's, the one custom provider catalogued (as in every runtime).
    with pytest.warns(UserWarning, match="^hookseal: custom documents no event 'pharmacy_order_create'; did "):
        hookseal.Router("custom").on("pharmacy_order_create", print)
    with pytest.warns(UserWarning, match="novamed documents no event 'order:shiped'; did you mean 'order:shipped'"):
        novamed.Router().on("order:shiped")(print)


# --- the generated modules ------------------------------------------------------------------------------------------

def catalog_events(slug: str) -> list[str]:
    return list(json.loads((ROOT / "catalog" / f"{slug}.schema.json").read_text())["x-hookseal"]["events"])


def test_the_generated_modules_list_every_catalog_event() -> None:
    modules = {"elmed": elmed, "baremeds": baremeds, "novamed": novamed, "management-api": management_api}
    assert list(CATALOGS) == list(modules)
    for slug, module in modules.items():
        assert list(module.EVENT_TYPES) == catalog_events(slug) == list(CATALOGS[slug])
        literals = [value for literal in typing.get_args(module.EventType) for value in typing.get_args(literal)]
        assert literals == list(module.EVENT_TYPES)
    presets = [m.Router().provider for m in modules.values()]
    assert presets == ["elmed", "baremeds", "novamed", "custom"]
    assert [m.PROVIDER for m in modules.values()] == presets


def test_typed_data_keys_follow_the_catalog() -> None:
    assert elmed.OrderStatusChangedData.__required_keys__ == frozenset()
    assert "status" in elmed.OrderStatusChangedData.__optional_keys__
    assert baremeds.Metadata.__required_keys__ == {"source", "environment", "webhook_version", "request_id",
                                                   "dispatched_by", "retry"}
    assert baremeds.Metadata.__optional_keys__ == {"webhook_key"}
    assert "shipping_address" in novamed.OrderShippedData.__optional_keys__
    assert novamed.ShippingAddress.__optional_keys__ == {"line1", "city", "state", "zip"}


def test_typed_narrows_an_event_of_its_provider_only() -> None:
    body = json.dumps({"event": "order.status_changed", "data": {"status": "IN_TRANSIT"}}).encode()
    event = ELMED.verify(body, hookseal.sign("elmed", body, secret="elmed_router_secret"))
    typed = elmed.typed(event)
    assert typed is event  # type: ignore[comparison-overlap]
    if typed.event_type == "order.status_changed":
        assert typed.data["status"] == "IN_TRANSIT"
    with pytest.raises(hookseal.ConfigError) as raised:
        novamed.typed(event)
    assert raised.value.code == "invalid_option" and "novamed.typed() was given a elmed event" in raised.value.message


def test_a_typed_router_refuses_another_providers_event() -> None:
    router = elmed.Router(unhandled="reject")
    with pytest.raises(hookseal.ConfigError, match="a router for elmed was given a novamed event"):
        router.dispatch(fake("order:shipped", provider="novamed"))
    with pytest.raises(hookseal.UnhandledEventError):
        router.dispatch(fake("order.created"))
    assert isinstance(router, hookseal.Router) and router.unhandled == "reject"


# --- the shared vectors, dispatched ---------------------------------------------------------------------------------

TYPED_ROUTERS: dict[str, Callable[[], hookseal.Router]] = {
    "elmed": elmed.Router, "baremeds": baremeds.Router, "novamed": novamed.Router, "custom": management_api.Router,
}
CATALOG_OF = {"elmed": "elmed", "baremeds": "baremeds", "novamed": "novamed", "custom": "management-api"}


def test_every_verified_vector_dispatches_to_its_one_handler() -> None:
    exact_hits: dict[str, int] = {provider: 0 for provider in TYPED_ROUTERS}
    dispatched = 0
    for case in VECTOR_CASES:
        [(kind, _)] = case["expect"].items()
        if kind != "event":
            continue
        event = hookseal.Verifier(case["provider"], **case["options"]).verify(
            body_of(case), [tuple(pair) for pair in case["headers"]], now=case.get("now"))
        ran: list[str] = []
        make = TYPED_ROUTERS.get(case["provider"])
        router = make() if make is not None else hookseal.Router(case["provider"])
        documented = CATALOGS[CATALOG_OF[case["provider"]]] if make is not None else ()
        for event_type in documented:
            router.on(event_type, lambda e, t=event_type: ran.append(t))
        router.on("*", lambda e: ran.append("*"))
        router.dispatch(event)
        expected = event.event_type if event.event_type in documented else "*"
        assert ran == [expected], f"{case['name']}: {event.event_type!r} ran {ran}"
        if expected != "*":
            exact_hits[case["provider"]] += 1
        dispatched += 1
    assert dispatched == sum(1 for case in VECTOR_CASES if "event" in case["expect"]) > 100
    assert all(exact_hits.values()), f"a provider with a catalog never reached an exact handler: {exact_hits}"


# --- with a store, through Flask and FastAPI ------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> hookseal.Store:
    if request.param == "redis":
        url = os.environ.get("HOOKSEAL_TEST_REDIS_URL", "")
        if not url:
            pytest.fail("HOOKSEAL_TEST_REDIS_URL is not set: run under scripts/with-redis.sh", pytrace=False)
        return hookseal.Store(url)
    return hookseal.Store(f"sqlite://{tmp_path / 'router.db'}")


def delivery(event_type: str, event_id: Optional[str] = None) -> tuple[str, bytes, dict[str, str]]:
    event_id = event_id or "evt_" + uuid.uuid4().hex
    body = json.dumps({"event_type": event_type, "event_id": event_id, "data": {"order_id": "ord_1"}}).encode()
    return event_id, body, hookseal.sign("novamed", body, secret=KEY)


class Handlers:
    """One router per unhandled mode, counting runs; `order:cancelled` raises the first time it runs for a key."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, str]] = []
        self.failed: set[str] = set()
        self.accepting = novamed.Router()
        self.rejecting = novamed.Router(unhandled="reject")
        for router in (self.accepting, self.rejecting):
            router.on("order:shipped", self.shipped)
            router.on("order:cancelled", self.cancelled)
            router.on("refill:*", self.refill)
            router.on("order:processing", self.quiet)
            router.on("medication_request:approved", self.quiet_async)

    def shipped(self, event: novamed.OrderShipped) -> dict[str, Any]:
        self.runs.append(("order:shipped", event.idempotency_key))
        return {"processed": event.idempotency_key, "order_id": event.data.get("order_id")}

    def cancelled(self, event: hookseal.Event) -> dict[str, str]:
        self.runs.append(("order:cancelled", event.idempotency_key))
        if event.idempotency_key not in self.failed:
            self.failed.add(event.idempotency_key)
            raise RuntimeError("the first attempt fails")
        return {"processed": event.idempotency_key}

    def quiet(self, event: hookseal.Event) -> None:
        self.runs.append((str(event.event_type), event.idempotency_key))

    async def quiet_async(self, event: hookseal.Event) -> None:
        await asyncio.sleep(0)
        self.runs.append((str(event.event_type), event.idempotency_key))

    async def refill(self, event: hookseal.Event) -> dict[str, str]:
        await asyncio.sleep(0)
        self.runs.append((str(event.event_type), event.idempotency_key))
        return {"refill": event.idempotency_key, "thread": threading.current_thread().name}


class AsyncFlask(Flask):
    """Flask runs async views through asgiref (flask[async]); without it installed, asyncio.run does the same."""

    def async_to_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *args, **kwargs: asyncio.run(func(*args, **kwargs))


def flask_app(store: Optional[hookseal.Store], handlers: Handlers) -> Flask:
    app = AsyncFlask(__name__)
    webhook = hookseal.flask.webhook
    app.add_url_rule("/accept", view_func=webhook(NOVAMED, store=store)(handlers.accepting), methods=["POST"])
    app.add_url_rule("/reject", endpoint="reject", view_func=webhook(NOVAMED, store=store)(handlers.rejecting),
                     methods=["POST"])

    @app.post("/view")
    @webhook(NOVAMED, store=store, namespace="view")
    def view(event: hookseal.Event) -> Any:
        return handlers.rejecting.dispatch(event)

    return app


def flask_post(app: Flask, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    response = app.test_client().post(path, data=body, headers=headers)
    return response.status_code, response.get_json()


def asgi_post(app: FastAPI, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    """One request through the whole ASGI app (its middleware and exception handlers), without a server."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        + [(b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    status: list[int] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    try:
        asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    except Exception:
        # Starlette answers an endpoint's exception 500, then re-raises it for the server to log: as uvicorn would.
        if status != [500]:
            raise
    raw = b"".join(chunks)
    return status[0], json.loads(raw) if raw.startswith(b"{") else raw.decode()


def fastapi_app(store: Optional[hookseal.Store], handlers: Handlers) -> FastAPI:
    app = FastAPI()
    endpoint = hookseal.fastapi.endpoint
    app.add_api_route("/accept", endpoint(NOVAMED, handlers.accepting, store=store), methods=["POST"])
    app.add_api_route("/reject", endpoint(NOVAMED, handlers.rejecting, store=store), methods=["POST"],
                      name="reject")
    if store is not None:
        @app.post("/view")
        @hookseal.fastapi.exactly_once(store, namespace="view")
        async def view(event: hookseal.Event = Depends(hookseal.fastapi.webhook(NOVAMED))) -> Any:
            return handlers.rejecting.dispatch(event)
    else:
        @app.post("/view")
        async def view_without_store(event: hookseal.Event = Depends(hookseal.fastapi.webhook(NOVAMED))) -> Any:
            answer = handlers.rejecting.dispatch(event)
            return (await answer) if asyncio.iscoroutine(answer) else answer

    return app


Post = Callable[[str, bytes, dict[str, str]], tuple[int, Any]]


@pytest.fixture(params=["flask", "fastapi"])
def receiver(request: pytest.FixtureRequest, store: hookseal.Store) -> Iterator[tuple[Post, Handlers, hookseal.Store]]:
    handlers = Handlers()
    if request.param == "flask":
        app = flask_app(store, handlers)
        yield (lambda path, body, headers: flask_post(app, path, body, headers)), handlers, store
    else:
        api = fastapi_app(store, handlers)
        yield (lambda path, body, headers: asgi_post(api, path, body, headers)), handlers, store


@pytest.mark.parametrize("path", ["/accept", "/reject", "/view"])
def test_a_duplicate_dispatches_nothing(receiver: tuple[Post, Handlers, hookseal.Store], path: str) -> None:
    post, handlers, _ = receiver
    key, body, headers = delivery("order:shipped")
    assert post(path, body, headers) == (200, {"processed": key, "order_id": "ord_1"})
    assert post(path, body, headers) == (200, {"status": "duplicate", "idempotency_key": key})
    assert handlers.runs == [("order:shipped", key)]


@pytest.mark.parametrize("path", ["/accept", "/reject", "/view"])
def test_a_raising_handler_releases_and_its_retry_runs_it(receiver: tuple[Post, Handlers, hookseal.Store],
                                                          path: str) -> None:
    post, handlers, _ = receiver
    key, body, headers = delivery("order:cancelled")
    status, _ = post(path, body, headers)
    assert status == 500
    assert post(path, body, headers) == (200, {"processed": key})
    assert post(path, body, headers) == (200, {"status": "duplicate", "idempotency_key": key})
    assert handlers.runs == [("order:cancelled", key), ("order:cancelled", key)]


@pytest.mark.parametrize("path", ["/reject", "/view"])
def test_unhandled_reject_is_501_and_released(receiver: tuple[Post, Handlers, hookseal.Store], path: str,
                                              caplog: pytest.LogCaptureFixture) -> None:
    post, handlers, store = receiver
    key, body, headers = delivery("medication_request:filled")
    with caplog.at_level(logging.INFO, logger="hookseal"):
        assert post(path, body, headers) == (501, {"error": "unhandled_event"})
        assert post(path, body, headers) == (501, {"error": "unhandled_event"})  # released: not a duplicate
    assert handlers.runs == []
    line = f"no handler for the delivery {key} from novamed (medication_request:filled): refused 501 unhandled_event"
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("no handler")] == [line, line]
    claim = store.claim("view" if path == "/view" else "novamed", key)
    assert claim.status == "claimed"
    store.release(claim)


def test_unhandled_accept_is_200_and_completed(receiver: tuple[Post, Handlers, hookseal.Store]) -> None:
    post, handlers, store = receiver
    key, body, headers = delivery("medication_request:filled")
    answer = {"status": "unhandled", "event_type": "medication_request:filled", "idempotency_key": key}
    assert post("/accept", body, headers) == (200, answer)
    assert post("/accept", body, headers) == (200, {"status": "duplicate", "idempotency_key": key})
    assert store.claim("novamed", key).status == "duplicate"
    assert handlers.runs == []


@pytest.mark.parametrize("path", ["/accept", "/view"])
def test_an_async_handler_is_awaited_once(receiver: tuple[Post, Handlers, hookseal.Store], path: str) -> None:
    post, handlers, _ = receiver
    key, body, headers = delivery("refill:approved")
    status, answer = post(path, body, headers)
    assert (status, answer["refill"]) == (200, key)
    assert post(path, body, headers) == (200, {"status": "duplicate", "idempotency_key": key})
    assert handlers.runs == [("refill:approved", key)]


@pytest.mark.parametrize("event_type", ["order:processing", "medication_request:approved"])  # sync, async
@pytest.mark.parametrize("path", ["/accept", "/reject", "/view"])
def test_a_handler_returning_none_is_processed_and_completed(receiver: tuple[Post, Handlers, hookseal.Store],
                                                             path: str, event_type: str) -> None:
    post, handlers, store = receiver
    key, body, headers = delivery(event_type)
    assert post(path, body, headers) == (200, {"status": "processed", "event_type": event_type, "idempotency_key": key})
    assert post(path, body, headers) == (200, {"status": "duplicate", "idempotency_key": key})
    assert store.claim("view" if path == "/view" else "novamed", key).status == "duplicate"
    assert handlers.runs == [(event_type, key)]


@pytest.mark.parametrize("framework", ["flask", "fastapi"])
def test_without_a_store_reject_is_501_and_accept_200(framework: str) -> None:
    handlers = Handlers()
    if framework == "flask":
        app = flask_app(None, handlers)
        post: Post = lambda path, body, headers: flask_post(app, path, body, headers)  # noqa: E731
    else:
        api = fastapi_app(None, handlers)
        post = lambda path, body, headers: asgi_post(api, path, body, headers)  # noqa: E731
    key, body, headers = delivery("refill:denied")
    status, answer = post("/accept", body, headers)
    assert (status, answer["refill"]) == (200, key)
    key, body, headers = delivery("order:delivered")
    for path in ("/reject", "/view"):
        assert post(path, body, headers) == (501, {"error": "unhandled_event"})
    assert post("/accept", body, headers) == (200, {"status": "unhandled", "event_type": "order:delivered",
                                                    "idempotency_key": key})
    key, body, headers = delivery("order:shipped")
    assert post("/reject", body, headers) == (200, {"processed": key, "order_id": "ord_1"})
    status, _ = post("/accept", b"{}", {"x-api-key": "wrong"})
    assert status == 401  # refusals still come first


def test_fastapi_runs_a_plain_handler_in_the_thread_pool() -> None:
    seen: list[str] = []
    router = hookseal.Router("novamed")

    def handler(event: hookseal.Event) -> dict[str, bool]:
        seen.append(threading.current_thread().name)
        return {"ok": True}

    router.on("*", handler)
    api = FastAPI()
    api.add_api_route("/n", hookseal.fastapi.endpoint(NOVAMED, router), methods=["POST"])
    _, body, headers = delivery("order:created")
    assert asgi_post(api, "/n", body, headers) == (200, {"ok": True})
    assert seen and seen[0] != threading.current_thread().name


def test_a_router_of_another_provider_fails_at_setup() -> None:
    with pytest.raises(hookseal.ConfigError) as raised:
        hookseal.flask.webhook(NOVAMED)(elmed.Router())
    assert raised.value.code == "invalid_option"
    assert raised.value.message == "hookseal.flask.webhook: a router for elmed was given a novamed verifier"
    with pytest.raises(hookseal.ConfigError, match="hookseal.fastapi.endpoint: a router for elmed was given a novamed"):
        hookseal.fastapi.endpoint(NOVAMED, hookseal.Router("elmed"))
    hookseal.flask.webhook(NOVAMED)(hookseal.Router())  # an unbound router serves any verifier


def test_the_router_views_are_named_after_the_provider() -> None:
    router = novamed.Router()
    view = hookseal.flask.webhook(NOVAMED)(router)
    assert view.__name__ == "novamed_webhook" and view.__wrapped__ is router  # type: ignore[attr-defined]
    assert hookseal.fastapi.endpoint(NOVAMED, novamed.Router()).__name__ == "novamed_webhook"
