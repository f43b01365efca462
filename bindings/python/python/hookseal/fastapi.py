"""FastAPI / Starlette: a dependency that verifies a webhook and gives the endpoint its event.

    from fastapi import Depends
    from hookseal.fastapi import webhook

    elmed = hookseal.Verifier("elmed", secret=os.environ["ELMED_WEBHOOK_SECRET"])

    @app.post("/webhooks/elmed")
    async def on_elmed(event: hookseal.Event = Depends(webhook(elmed))):
        ...

The dependency reads the raw body (at most ``max_body_bytes``; ``await request.body()`` still works afterwards),
verifies it against the request's headers, and returns the event. A refused delivery never reaches the endpoint: it
is answered ``{"error": "<code>"}`` (the shape every hookseal helper answers, Flask, Express, PHP and the fetch API
alike) with 401 (not genuine: signature or key), 413 (``payload_too_large``) or 400 (anything else refused), and the
reason is logged on the ``hookseal`` logger, one line (never a secret)::

    refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: <why>

The dependency raises :class:`WebhookRefused`, an ``HTTPException`` whose answer hookseal gives itself: nothing to
register. (FastAPI renders every ``HTTPException`` as ``{"detail": ...}`` and offers a dependency no other way to
shape its answer, so on its first refusal the dependency adds :func:`refusal_handler` to the running app's exception
handlers for ``WebhookRefused`` only; a handler the app registered for ``WebhookRefused`` itself is kept, and an
app-wide ``HTTPException`` handler still sees every other ``HTTPException``.) Large bodies are verified in a worker
thread (the core releases the GIL while hashing), so the event loop keeps serving other requests.

Exactly once (docs/exactly-once.md): a dependency cannot answer 200 "duplicate" without the endpoint running, so the
store is a decorator placed under the route decorator, on an endpoint that takes its event from the dependency:

    store = hookseal.AsyncStore(os.environ["HOOKSEAL_STORE"])   # or a hookseal.Store (its calls go to a thread)

    @app.post("/webhooks/elmed")
    @exactly_once(store)
    async def on_elmed(event: hookseal.Event = Depends(webhook(elmed))):
        ...

FastAPI still sees the endpoint's own signature (``functools.wraps``), so every dependency and parameter resolves as
before; the decorator finds the ``hookseal.Event`` among the arguments, claims its idempotency key in ``namespace``
(default: the event's provider) and then

- the endpoint returned: the key is marked done and the endpoint's answer goes out (a failing ``complete`` is logged,
  the answer still goes out). A ``Response`` with a status of 500 or more releases the key instead;
- the endpoint raised (``HTTPException`` too): the key is released, so the provider's retry is processed, and the
  exception propagates as FastAPI handles it;
- a duplicate: 200 ``{"status": "duplicate", "idempotency_key": "..."}``, the endpoint does not run;
- in progress on another worker: 503 ``{"error": "in_progress"}`` with ``Retry-After`` (the lease time left);
- the store unreachable: 503 ``{"error": "store_unavailable"}`` with ``Retry-After: 5``; the endpoint does not run.

A plain ``def`` endpoint runs in Starlette's thread pool, as FastAPI would run it.

A :class:`hookseal.Router` (one handler per event type, each called with the event) is an endpoint of its own
through :func:`endpoint`, with or without a store; a router bound to another provider than the verifier's is a
``ConfigError`` (``invalid_option``) there, at start-up::

    router = hookseal.events.elmed.Router()          # or hookseal.Router("elmed", unhandled="reject")

    @router.on("order.status_changed")
    async def status_changed(event: hookseal.events.elmed.OrderStatusChanged) -> dict[str, str]: ...

    app.add_api_route("/webhooks/elmed", endpoint(elmed, router, store=store), methods=["POST"])

An async handler is awaited, a plain ``def`` one runs in the thread pool. An endpoint of yours may also return
``router.dispatch(event)`` under ``@exactly_once``, which awaits an awaitable answer. A handler that returns None is
answered 200 ``{"status": "processed", "event_type": ..., "idempotency_key": ...}`` (``Router.dispatch``'s answer for
it). An event without a handler is, with ``unhandled="accept"``, answered 200 ``{"status": "unhandled",
"event_type": ..., "idempotency_key": ...}`` and its key marked done; with ``unhandled="reject"``
(:class:`hookseal.UnhandledEventError`, raised by the router) answered 501 ``{"error": "unhandled_event"}``, the key
released so that the provider's retry reaches a deploy that handles it, and logged ``no handler for the delivery
<key> from elmed (order.created): refused 501 unhandled_event``; without a store too (the ``webhook`` dependency
installs that answer as it does refusals').
"""

# Annotations stay strings (Python 3.9 cannot evaluate every ParamSpec alias); FastAPI resolves the dependency's own
# against this module's globals.
from __future__ import annotations

import functools
import inspect
import logging
import sys
from typing import Any, Awaitable, Callable, Coroutine, Dict, List, Optional, TypeVar, Union, overload

try:
    from fastapi import Depends, HTTPException, Request
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response
except ImportError as _missing:  # pragma: no cover - depends on what is installed
    raise ImportError(f"hookseal.fastapi needs FastAPI: pip install 'hookseal[fastapi]' ({_missing})") from _missing

from . import _answers
from ._errors import StoreError, VerificationError, payload_too_large
from ._hookseal import Claim, Event, Store, Verifier
from ._router import Router, UnhandledEventError
from ._store import AsyncStore

if sys.version_info >= (3, 10):
    from typing import ParamSpec
else:  # pragma: no cover - Python 3.9: FastAPI depends on typing_extensions
    from typing_extensions import ParamSpec

__all__ = ["webhook", "verify_request", "exactly_once", "endpoint", "WebhookRefused", "refusal_handler"]

_P = ParamSpec("_P")
R = TypeVar("R")

logger = logging.getLogger("hookseal")

# From this size on, verification runs in Starlette's thread pool instead of blocking the event loop.
THREAD_FROM_BYTES = 256 * 1024


async def verify_request(verifier: Verifier, request: Request) -> Event:
    """Reads and verifies the request; raises :class:`hookseal.VerificationError`."""
    body = await _read_body(request, verifier.max_body_bytes)
    headers = request.headers.raw  # the bytes as sent (Starlette's str view decodes them as latin-1)
    if len(body) >= THREAD_FROM_BYTES:
        return await run_in_threadpool(verifier.verify, body, headers)
    return verifier.verify(body, headers)


class WebhookRefused(HTTPException):
    """A refused delivery, raised by the :func:`webhook` dependency: ``status_code`` is the code's status (401, 413,
    400), ``detail`` the code, ``error`` the :class:`hookseal.VerificationError` (its ``message`` is for logs).
    Answered ``{"error": "<code>"}`` by :func:`refusal_handler`."""

    error: VerificationError

    def __init__(self, error: VerificationError) -> None:
        super().__init__(status_code=error.http_status, detail=error.code)
        self.error = error


async def refusal_handler(request: Request, exc: Exception) -> JSONResponse:
    """The answer to :class:`WebhookRefused`: ``{"error": "<code>"}`` with the code's status (the dependency installs
    it; ``app.add_exception_handler(WebhookRefused, refusal_handler)`` does the same by hand)."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = exc.error.code if isinstance(exc, WebhookRefused) else "internal_error"
    return JSONResponse({"error": code}, status_code=status)


def webhook(verifier: Verifier) -> Callable[[Request], Awaitable[Event]]:
    """A dependency for ``Depends(...)`` that returns the verified event or answers the refusal."""

    async def verified_event(request: Request) -> Event:
        try:
            event = await verify_request(verifier, request)
            _answer_unhandled_as_501(request)
            return event
        except VerificationError as error:
            logger.warning(
                "refused a delivery from %s (%s %s): %s", verifier.provider, request.method, request.url.path, error
            )
            _answer_refusals_as_json(request)
            raise WebhookRefused(error) from None

    return verified_event


_not_installed_logged = False


def _answer_refusals_as_json(request: Request) -> None:
    """Makes the app answer WebhookRefused with refusal_handler. Starlette's exception middleware copies the app's
    handlers when the app starts and hands the table it looks exceptions up in to the request, in the scope: adding
    to the app's own table now would only count from a restart, so the entry goes into both."""
    global _not_installed_logged
    handlers = getattr(request.scope.get("app"), "exception_handlers", None)
    if isinstance(handlers, dict):
        handlers.setdefault(WebhookRefused, refusal_handler)
    tables = request.scope.get("starlette.exception_handlers")
    if isinstance(tables, tuple) and tables and isinstance(tables[0], dict):
        tables[0].setdefault(WebhookRefused, refusal_handler)
    elif not _not_installed_logged:  # a Starlette without that table: say so once, the answer is {"detail": code}
        _not_installed_logged = True
        logger.error(
            "hookseal.fastapi could not install its refusal answer on this app, so refusals are answered "
            '{"detail": code}: add app.add_exception_handler(WebhookRefused, hookseal.fastapi.refusal_handler)'
        )


async def unhandled_handler(request: Request, exc: Exception) -> JSONResponse:
    """The answer to :class:`hookseal.UnhandledEventError` raised by an endpoint (a router with
    ``unhandled="reject"``): 501 ``{"error": "unhandled_event"}``, logged (the dependency installs it)."""
    if isinstance(exc, UnhandledEventError):
        return _response(_answers.unhandled(exc))
    return JSONResponse({"error": "internal_error"}, status_code=500)


def _answer_unhandled_as_501(request: Request) -> None:
    """As _answer_refusals_as_json, for UnhandledEventError (where the table is missing it stays a 500)."""
    handlers = getattr(request.scope.get("app"), "exception_handlers", None)
    if isinstance(handlers, dict):
        handlers.setdefault(UnhandledEventError, unhandled_handler)
    tables = request.scope.get("starlette.exception_handlers")
    if isinstance(tables, tuple) and tables and isinstance(tables[0], dict):
        tables[0].setdefault(UnhandledEventError, unhandled_handler)


def endpoint(
    verifier: Verifier,
    router: Router,
    *,
    store: Union[AsyncStore, Store, None] = None,
    namespace: Optional[str] = None,
) -> Callable[..., Coroutine[Any, Any, Any]]:
    """An endpoint that verifies the delivery and dispatches its event to ``router`` (with a ``store``, once per
    event): ``app.add_api_route(path, endpoint(verifier, router, store=store), methods=["POST"])`` (see the module's
    documentation). Its name, FastAPI's default operation name, is ``<provider>_webhook``."""
    router._check_verifier(verifier.provider, "hookseal.fastapi.endpoint")
    dependency = webhook(verifier)
    once = None if store is None else (store if isinstance(store, AsyncStore) else AsyncStore(store))

    async def webhook_endpoint(event: Event = Depends(dependency)) -> Any:
        handler = router._handler_for(event)
        # As FastAPI runs endpoints: an async handler in the loop, a plain one (or the unhandled answer) in a thread.
        is_async = handler is not None and _is_coroutine_function(handler)
        run = functools.partial(router.dispatch, event)
        if once is not None:
            return await _once(once, event.provider if namespace is None else namespace, event, run, is_async)
        try:
            answer = run() if is_async else await run_in_threadpool(run)
            return (await answer) if inspect.isawaitable(answer) else answer
        except UnhandledEventError as error:
            return _response(_answers.unhandled(error))

    webhook_endpoint.__name__ = webhook_endpoint.__qualname__ = verifier.provider.replace("-", "_") + "_webhook"
    return webhook_endpoint


def _is_coroutine_function(function: object) -> bool:
    """As FastAPI decides: a coroutine function, or an object whose ``__call__`` is one."""
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(getattr(function, "__call__", None))


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise payload_too_large(limit)
    chunks: List[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise payload_too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    # Starlette keeps a read body here; setting it lets the endpoint still call `await request.body()`.
    request._body = body
    return body


_Once = Callable[_P, Coroutine[Any, Any, Union[R, JSONResponse]]]


class _Decorator:
    """What :func:`exactly_once` returns: an async endpoint stays async, a sync one becomes async (it runs in the
    thread pool, as FastAPI would run it)."""

    def __init__(self, store: AsyncStore, namespace: Optional[str]) -> None:
        self._store = store
        self._namespace = namespace

    @overload
    def __call__(self, endpoint: Callable[_P, Coroutine[Any, Any, R]]) -> _Once[_P, R]: ...
    @overload
    def __call__(self, endpoint: Callable[_P, R]) -> _Once[_P, R]: ...
    def __call__(self, endpoint: Callable[_P, Any]) -> _Once[_P, Any]:
        store, namespace = self._store, self._namespace
        is_async = _is_coroutine_function(endpoint)

        @functools.wraps(endpoint)
        async def once(*args: _P.args, **kwargs: _P.kwargs) -> Any:
            event = _event_argument(endpoint, args, kwargs)
            run = functools.partial(endpoint, *args, **kwargs)
            return await _once(store, event.provider if namespace is None else namespace, event, run, is_async)

        return once


def exactly_once(store: Union[AsyncStore, Store], *, namespace: Optional[str] = None) -> _Decorator:
    """Makes an endpoint run once per event across every worker sharing ``store`` (see the module's documentation).
    Place it under ``@app.post(...)``; the endpoint takes its event from ``Depends(webhook(verifier))``."""
    return _Decorator(store if isinstance(store, AsyncStore) else AsyncStore(store), namespace)


def _event_argument(endpoint: Callable[..., Any], args: tuple[Any, ...], kwargs: Dict[str, Any]) -> Event:
    events = [value for value in (*args, *kwargs.values()) if isinstance(value, Event)]
    if len(events) != 1:
        name = getattr(endpoint, "__qualname__", repr(endpoint))
        raise TypeError(
            f"hookseal.fastapi.exactly_once: {name} received {len(events)} hookseal.Event arguments, where it needs "
            "one: a parameter `event: hookseal.Event = Depends(hookseal.fastapi.webhook(verifier))`"
        )
    return events[0]


async def _once(store: AsyncStore, namespace: str, event: Event, run: Callable[[], Any], is_async: bool) -> Any:
    """Claims the event, runs the endpoint if the claim was won, completes or releases (docs/exactly-once.md)."""
    key = event.idempotency_key
    try:
        claim = await store.claim(namespace, key)
    except StoreError as error:
        return _response(_answers.unavailable(event.provider, error))
    early = _answers.not_claimed(claim, key)
    if early is not None:
        return _response(early)
    # What a sync endpoint's thread returned: Starlette's thread pool lets a cancelled caller go only once the thread
    # has finished, so when the request is cancelled its work may be done, and that decides complete or release.
    ran: List[bool] = []

    def run_and_note() -> Any:
        answer = run()
        if not inspect.isawaitable(answer):  # an async handler's coroutine has not run yet: it is awaited below
            ran.append(_succeeded(answer))
        return answer

    try:
        answer = run() if is_async else await run_in_threadpool(run_and_note)
        while inspect.isawaitable(answer):  # an async endpoint's, then an async handler's it returned
            answer = await answer
    except UnhandledEventError as error:  # a router refused it: released, so that the retry reaches its handler
        await _finish(store, claim, key, done=False)
        return _response(_answers.unhandled(error))
    except Exception:
        await _finish(store, claim, key, done=False)
        raise
    except BaseException:  # cancelled: an await here would be cancelled too, so settle without waiting
        store._settle_soon(claim, done=bool(ran) and ran[0])
        raise
    await _finish(store, claim, key, done=_succeeded(answer))
    return answer


def _succeeded(answer: Any) -> bool:
    """A returned answer completes the key, unless it is a 5xx (the provider retries it, and the retry must run)."""
    return not (isinstance(answer, Response) and answer.status_code >= 500)


def _response(answer: _answers.Answer) -> JSONResponse:
    headers = None if answer.retry_after is None else {"Retry-After": str(answer.retry_after)}
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


async def _finish(store: AsyncStore, claim: Claim, key: str, *, done: bool) -> None:
    acted, failure = None, None
    try:
        acted = await (store.complete(claim) if done else store.release(claim))
    except StoreError as error:
        failure = error
    _answers.finished(claim, key, done=done, acted=acted, error=failure)
