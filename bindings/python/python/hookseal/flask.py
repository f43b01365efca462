"""Flask: verify a webhook before the view runs.

    from hookseal.flask import webhook

    elmed = hookseal.Verifier("elmed", secret=os.environ["ELMED_WEBHOOK_SECRET"])

    @app.post("/webhooks/elmed")
    @webhook(elmed)
    def on_elmed(event: hookseal.Event):
        ...

The decorator reads the raw body (``request.get_data()``, at most ``max_body_bytes``), verifies it against the
request's headers, and calls the view with the event first. A refused delivery never reaches the view: it gets a
JSON body ``{"error": "<code>"}`` with 401 (not genuine: signature or key), 413 (``payload_too_large``) or 400
(anything else refused), and the reason is logged on the ``hookseal`` logger, one line (never a secret)::

    refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: <why>

``@webhook(...)`` goes below the route decorator, which registers what it is given: placed above, Flask would call
the undecorated view, so that order is refused with a ``TypeError`` when the module is imported.

With a store (``webhook(elmed, store=hookseal.Store(...))``), the view runs once per event across every worker that
shares the store (docs/exactly-once.md): the event's idempotency key is claimed in ``namespace`` (default: the
verifier's preset name) before the view runs, then

- the view returned: the key is marked done and its answer goes out (a failing ``complete`` is logged, the answer
  still goes out: the work was done). An answer with a status of 500 or more releases the key instead, as an
  exception does, since the provider will retry it;
- the view raised: the key is released (so the provider's retry is processed) and the exception propagates (500);
- a duplicate (the key is done): 200 ``{"status": "duplicate", "idempotency_key": "..."}``, the view does not run;
- in progress on another worker: 503 ``{"error": "in_progress"}`` with ``Retry-After`` (the lease time left);
- the store unreachable: 503 ``{"error": "store_unavailable"}`` with ``Retry-After: 5``; the view does not run.

A :class:`hookseal.Router` is a view too (one handler per event type, each called with the event): register it as
the view function, or dispatch to it from one::

    router = hookseal.events.elmed.Router()          # or hookseal.Router("elmed", unhandled="reject")

    @router.on("order.status_changed")
    def status_changed(event: hookseal.events.elmed.OrderStatusChanged) -> dict[str, str]: ...

    app.add_url_rule("/webhooks/elmed", view_func=webhook(elmed, store=store)(router), methods=["POST"])

    @app.post("/webhooks/novamed")                   # or: the router called from a view of yours
    @webhook(novamed, store=store)
    def on_novamed(event: hookseal.Event): return novamed_router.dispatch(event)

The view registered for a router is named ``<provider>_webhook`` (pass ``endpoint=`` for a second one), and a router
bound to another provider than the verifier's is a ``ConfigError`` (``invalid_option``) right there, at start-up.
A handler that returns None is answered 200 ``{"status": "processed", "event_type": ..., "idempotency_key": ...}``
(``Router.dispatch``'s answer for it) and its key marked done. An event without a handler is, with
``unhandled="accept"``, answered 200 ``{"status": "unhandled", "event_type": ..., "idempotency_key": ...}`` and its
key marked done; with ``unhandled="reject"`` (the view raised :class:`hookseal.UnhandledEventError`, with or without
a store) answered 501 ``{"error": "unhandled_event"}``, the key released so that the provider's retry reaches a
deploy that handles it, and logged::

    no handler for the delivery <key> from elmed (order.created): refused 501 unhandled_event

An async handler (or view) is run through the app's ``ensure_sync``, as Flask runs async views
(``pip install 'flask[async]'``).
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union

try:
    from flask import Response, current_app, jsonify, make_response, request
    from flask.sansio.scaffold import Scaffold
    from werkzeug.exceptions import RequestEntityTooLarge
except ImportError as _missing:  # pragma: no cover - depends on what is installed
    raise ImportError(f"hookseal.flask needs Flask: pip install 'hookseal[flask]' ({_missing})") from _missing

from . import _answers
from ._errors import StoreError, VerificationError, payload_too_large
from ._router import Router, UnhandledEventError
from ._store import AsyncStore

if TYPE_CHECKING:
    from typing_extensions import Concatenate, ParamSpec

    from . import Claim, Event, Store, Verifier

    _P = ParamSpec("_P")

R = TypeVar("R")

__all__ = ["webhook", "verify_request", "error_response"]

logger = logging.getLogger("hookseal")


def verify_request(verifier: Verifier) -> Event:
    """Verifies the current request and returns its event; raises :class:`hookseal.VerificationError`.

    For views that want to handle refusals themselves; :func:`webhook` wraps this."""
    # Werkzeug enforces max_content_length while reading, declared (Content-Length) or streamed (chunked), so a huge
    # body is never buffered. A streamed body over it is not refused, though: get_data() silently stops at exactly
    # max_content_length bytes. So read at most one byte more than the limit (the app's MAX_CONTENT_LENGTH, if lower,
    # or the verifier's), and refuse if that byte came.
    app_limit = request.max_content_length
    limit = verifier.max_body_bytes if app_limit is None else min(verifier.max_body_bytes, app_limit)
    request.max_content_length = limit + 1
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise payload_too_large(limit) from None
    if len(body) > limit:
        raise payload_too_large(limit)
    # WSGI hands header values over decoded as latin-1: encoding them back gives the exact bytes that were sent.
    headers = [(name, _wire_bytes(value)) for name, value in request.headers.items()]
    return verifier.verify(body, headers)


def _wire_bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # not from the server (PEP 3333 values are latin-1): a str set by middleware
        return value.encode("utf-8")


def error_response(error: VerificationError) -> tuple[Response, int]:
    """The answer to a refused delivery: ``{"error": code}`` with the code's HTTP status."""
    return jsonify({"error": error.code}), error.http_status


def webhook(
    verifier: Verifier,
    store: Union[Store, AsyncStore, None] = None,
    namespace: Optional[str] = None,
) -> Callable[[Callable[Concatenate[Event, _P], R]], Callable[_P, Union[R, Response, tuple[Response, int]]]]:
    """Decorates a view so that it runs only for a verified delivery, with the event as its first argument; with a
    ``store``, once per event (see the module's documentation; an ``AsyncStore`` is used through its ``Store``). The
    view may be a :class:`hookseal.Router`."""
    sync_store = store.store if isinstance(store, AsyncStore) else store

    def decorate(
        view: Callable[Concatenate[Event, _P], R],
    ) -> Callable[_P, Union[R, Response, tuple[Response, int]]]:
        if isinstance(view, Router):
            view._check_verifier(verifier.provider, "hookseal.flask.webhook")
        registered = _registered_by(view, sys._getframe(1))
        if registered is not None:
            name = getattr(view, "__qualname__", repr(view))
            raise TypeError(
                f"hookseal.flask.webhook: {name} is already registered as a view of {registered} (the route "
                "decorator ran first), so Flask would call it unverified and without its event: place "
                "@webhook(...) below the route decorator, as in\n\n"
                '    @app.post("/webhooks/elmed")\n    @webhook(verifier)\n    def on_elmed(event): ...'
            )

        def verified(*args: _P.args, **kwargs: _P.kwargs) -> Union[R, Response, tuple[Response, int]]:
            try:
                event = verify_request(verifier)
            except VerificationError as error:
                logger.warning(
                    "refused a delivery from %s (%s %s): %s", verifier.provider, request.method, request.path, error
                )
                return error_response(error)
            if sync_store is None:
                try:
                    answer: R = _settled(view(event, *args, **kwargs))
                except UnhandledEventError as error:
                    return _response(_answers.unhandled(error))
                return answer
            scope = verifier.provider if namespace is None else namespace
            return _once(sync_store, scope, event, lambda: _settled(view(event, *args, **kwargs)))

        if isinstance(view, Router):  # an instance has no name of its own: Flask names the endpoint after this one
            verified.__name__ = verified.__qualname__ = verifier.provider.replace("-", "_") + "_webhook"
            verified.__doc__ = f"Dispatches the verified {verifier.provider} delivery to a hookseal.Router."
            verified.__wrapped__ = view  # type: ignore[attr-defined]
            return verified
        return functools.wraps(view)(verified)

    return decorate


def _registered_by(view: object, frame: Optional[FrameType]) -> Optional[str]:
    """The app or blueprint visible where the decorator is applied (the caller's names: a module's ``app``, a
    factory's local, a blueprint) that already routes to ``view``: how ``@webhook`` above ``@app.post`` shows, since
    Flask's route decorator registers the function and hands it back unchanged."""
    if frame is None:
        return None
    seen = {**frame.f_globals, **frame.f_locals}.values()
    for scaffold in (value for value in seen if isinstance(value, Scaffold)):
        if any(registered is view for registered in scaffold.view_functions.values()):
            return repr(scaffold)
        # A blueprint registers on an app later, from a deferred function that holds the view in its closure.
        for deferred in getattr(scaffold, "deferred_functions", ()):
            cells = getattr(deferred, "__closure__", None) or ()
            if any(_cell_holds(cell, view) for cell in cells):
                return repr(scaffold)
    return None


def _cell_holds(cell: object, value: object) -> bool:
    try:
        return getattr(cell, "cell_contents") is value
    except ValueError:  # an empty cell
        return False


def _settled(answer: Any) -> Any:
    """A view's value; an awaitable one (an async handler's coroutine) awaited as Flask runs async views."""
    if not inspect.isawaitable(answer):
        return answer

    async def wait() -> Any:
        return await answer

    return current_app.ensure_sync(wait)()


def _once(store: Store, namespace: str, event: Event, run: Callable[[], object]) -> Response:
    """Claims the event, runs the view if the claim was won, completes or releases (docs/exactly-once.md)."""
    key = event.idempotency_key
    try:
        claim = store.claim(namespace, key)
    except StoreError as error:
        return _response(_answers.unavailable(event.provider, error, f"{request.method} {request.path}"))
    early = _answers.not_claimed(claim, key)
    if early is not None:
        return _response(early)
    try:
        answer = make_response(run())  # what Flask makes of the view's value: its status decides below
    except UnhandledEventError as error:  # a router refused it: released, so that the retry reaches its handler
        _finish(store, claim, key, done=False)
        return _response(_answers.unhandled(error))
    except BaseException:  # also SystemExit: gunicorn's worker timeout aborts the view with it
        _finish(store, claim, key, done=False)
        raise
    _finish(store, claim, key, done=answer.status_code < 500)
    return answer


def _response(answer: _answers.Answer) -> Response:
    response = jsonify(answer.body)
    response.status_code = answer.status
    if answer.retry_after is not None:
        response.headers["Retry-After"] = str(answer.retry_after)
    return response


def _finish(store: Store, claim: Claim, key: str, *, done: bool) -> None:
    acted, failure = None, None
    try:
        acted = store.complete(claim) if done else store.release(claim)
    except StoreError as error:
        failure = error
    _answers.finished(claim, key, done=done, acted=acted, error=failure)
