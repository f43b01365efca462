"""Django: verify a webhook before the view runs, with a decorator for function views or a class-based view.

    from hookseal.django import webhook, WebhookView

    elmed = hookseal.Verifier("elmed", secret=os.environ["ELMED_WEBHOOK_SECRET"])

    @webhook(elmed)                                   # views.py
    def on_elmed(request: HttpRequest, event: hookseal.Event) -> HttpResponse:
        ...

    class NovaMedWebhook(WebhookView):                # or WebhookMixin on a View class of yours
        verifier = novamed
        def post(self, request: HttpRequest, event: hookseal.Event) -> dict[str, str]: ...

    urlpatterns = [path("webhooks/elmed", on_elmed), path("webhooks/novamed", NovaMedWebhook.as_view())]

The decorated view is called as ``view(request, event, *args, **kwargs)``: Django's request first, then the verified
event, then the URL's arguments; a method other than POST is answered 405 (``Allow: POST``) without calling it. A
class-based view's ``post`` is called as ``post(self, request, event, *args, **kwargs)``; its default dispatches the
event to the class's ``router``. Only POST is verified; any other method goes to the view class's own handler (none:
405, as Django answers). Either may return an ``HttpResponse`` or a dict (or list), answered as JSON with 200.

Both are exempt from Django's CSRF check (``csrf_exempt``; the class through ``as_view()``): a provider sends no CSRF
token and no cookie, so ``CsrfViewMiddleware`` would refuse every delivery with 403. The signature (or key) is what
authenticates the request instead, so nothing else changes: leave the middleware on for the rest of the site.

The decorator reads the raw body (at most ``max_body_bytes``, kept as ``request.body``: a larger Content-Length is
refused before anything is read; a body without one is read a bounded piece at a time, never whole, and refused as
soon as it passes the limit), verifies it against the request's headers as the exact bytes sent, and only then calls
the view. ``settings.DATA_UPLOAD_MAX_MEMORY_SIZE``, if lower than the verifier's limit, is the limit (a body over it
is answered 413 ``payload_too_large``, not Django's 400). A refused delivery never reaches the view: it gets a JSON body
``{"error": "<code>"}`` with 401 (not genuine: signature or key), 413 (``payload_too_large``) or 400 (anything else
refused), and the reason is logged on the ``hookseal`` logger, one line (never a secret)::

    refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: <why>

A request whose Content-Length is not a number of bytes (``12abc``, ``+12``; spaces or tabs around it are fine, as
gunicorn and uvicorn take them) is broken HTTP, not a delivery: gunicorn and uvicorn answer it 400 before Django; on a
laxer server hookseal raises Django's ``BadRequest``, which Django answers 400 (logged on ``django.request``), instead
of the 500 Django's own ``int()`` would give on ``12abc``. No contract code fits it (hookseal's codes are about
deliveries), so the body is Django's 400 page, not JSON.

Chunked bodies (``Transfer-Encoding: chunked``, no Content-Length): WSGI has no standard for them, and Django reads no
body without a Content-Length. gunicorn decodes the chunks and ends ``wsgi.input`` at the body's end (saying so with
``wsgi.input_terminated``): hookseal reads that stream, even when something read Django's empty view of the body first
(a middleware logging ``request.body``, ``request.POST`` on a chunked form; ``request.POST`` is parsed again from the
real bytes afterwards). A WSGI server that does not decode them (Django's ``runserver``, uWSGI without chunked input
support) hands Django 0 bytes: hookseal raises :class:`ChunkedBodyUnsupportedError` (a ``RuntimeError``: 500, and the
provider retries) naming the fix (gunicorn, or a proxy that buffers the body and sends its Content-Length, as nginx
does), instead of a 401 that would blame the secret. Under ASGI, Django has buffered the body already.

When something read the body as a stream before hookseal (Django REST Framework's ``request.data``, a parser, a
middleware's ``request.read()``, ``request.POST`` on a multipart body), its bytes are gone and no signature can be
checked on them: hookseal raises :class:`BodyAlreadyReadError` (a ``RuntimeError``, which Django answers 500, never a
401 that would hide the bug) saying so and how to fix it. Under DRF, verify first: decorate a plain Django view (or
``@api_view`` over ``@webhook``, which hands the view DRF's request), or call :func:`verify_request` before anything
reads ``request.data``. :class:`WebhookMixin` is for Django's ``View``: on a DRF ``APIView`` it would replace DRF's
``dispatch`` (no authentication, permissions or renderer), so ``as_view()`` refuses it (``ImproperlyConfigured``).

With a store (``webhook(elmed, store=hookseal.Store(...))``, or ``store = ...`` on the class), the view runs once per
event across every worker that shares the store (docs/exactly-once.md): the event's idempotency key is claimed in
``namespace`` (default: the verifier's preset name) before the view runs, then

- the view returned: the key is marked done and its answer goes out (a failing ``complete`` is logged, the answer
  still goes out: the work was done). An answer with a status of 500 or more releases the key instead, as an
  exception does, since the provider will retry it. An answer Django renders after the view (a ``TemplateResponse``,
  DRF's ``Response``) settles the key once rendered: one whose rendering fails (a 500) releases it, so that the retry
  is processed rather than answered ``duplicate``. One never rendered is settled when the request ends: released if
  an exception reached Django's handler (a ``process_template_response`` middleware raised: Django's 500), else by
  the view's own status (a middleware answered another response instead);
- the view raised: the key is released (so the provider's retry is processed) and the exception propagates (500);
- a duplicate (the key is done): 200 ``{"status": "duplicate", "idempotency_key": "..."}``, the view does not run;
- in progress on another worker: 503 ``{"error": "in_progress"}`` with ``Retry-After`` (the lease time left);
- the store unreachable: 503 ``{"error": "store_unavailable"}`` with ``Retry-After: 5``; the view does not run.

A :class:`hookseal.Router` is a view too (one handler per event type, each called with the event): decorate it, or
give it to the class-based view::

    router = hookseal.events.elmed.Router()          # or hookseal.Router("elmed", unhandled="reject")

    @router.on("order.status_changed")
    def status_changed(event: hookseal.events.elmed.OrderStatusChanged) -> dict[str, str]: ...

    path("webhooks/elmed", webhook(elmed, store=store)(router))
    path("webhooks/elmed", WebhookView.as_view(verifier=elmed, store=store, router=router))   # the same

A router bound to another provider than the verifier's is a ``ConfigError`` (``invalid_option``) right there, at
start-up. A handler that returns None is answered 200 ``{"status": "processed", "event_type": ...,
"idempotency_key": ...}`` and its key marked done. An event without a handler is, with ``unhandled="accept"``,
answered 200 ``{"status": "unhandled", ...}``; with ``unhandled="reject"`` (:class:`hookseal.UnhandledEventError`,
from the router or raised by a view) answered 501 ``{"error": "unhandled_event"}``, the key released so that the
provider's retry reaches a deploy that handles it, and logged::

    no handler for the delivery <key> from elmed (order.created): refused 501 unhandled_event

Async: an ``async def`` view stays async (Django runs it on its event loop under ASGI, in a loop of its own under
WSGI); its store calls go through :class:`hookseal.AsyncStore` (worker threads), and a large body is verified in a
thread. A class-based view is async when its ``post`` is ``async def``. An async router handler under a sync view is
run with asgiref's ``async_to_sync``, as Django runs async code from sync code.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from io import BytesIO
from typing import Any, Awaitable, Callable, ClassVar, Concatenate, Coroutine, Optional, ParamSpec, Protocol, Union
from typing import overload  # Python 3.10+: Django 5 needs it

try:
    from asgiref.sync import async_to_sync, iscoroutinefunction, sync_to_async
    from django.conf import settings
    from django.core.exceptions import BadRequest, ImproperlyConfigured
    from django.core.handlers.wsgi import LimitedStream
    from django.core.signals import got_request_exception
    from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse
    from django.http.response import HttpResponseBase
    from django.template.response import SimpleTemplateResponse
    from django.views import View
    from django.views.decorators.csrf import csrf_exempt
except ImportError as _missing:  # pragma: no cover - depends on what is installed
    raise ImportError(f"hookseal.django needs Django: pip install 'hookseal[django]' ({_missing})") from _missing

from . import _answers
from ._errors import StoreError, VerificationError, payload_too_large
from ._hookseal import Claim, Event, Store, Verifier
from ._router import Router, UnhandledEventError
from ._store import AsyncStore


__all__ = [
    "webhook",
    "WebhookMixin",
    "WebhookView",
    "verify_request",
    "error_response",
    "BodyAlreadyReadError",
    "ChunkedBodyUnsupportedError",
]

_P = ParamSpec("_P")

logger = logging.getLogger("hookseal")

# From this size on, an async view verifies in a worker thread instead of blocking the event loop (as hookseal.fastapi).
THREAD_FROM_BYTES = 256 * 1024
# How much of a body is asked of the stream at a time.
_CHUNK = 64 * 1024
# Set in the WSGI environ once hookseal has read a chunked body from wsgi.input (a second verify_request reuses it).
_READ_WSGI_INPUT = "hookseal.read_wsgi_input"
# On Django's request: the claims whose answers render after the view (settled at the end of the request at the latest).
_PENDING = "_hookseal_pending"


class BodyAlreadyReadError(RuntimeError):
    """The request's body was read as a stream before hookseal could read it (DRF's ``request.data``, a parser,
    ``request.read()``, ``request.POST`` on a multipart body): its raw bytes are gone, so no signature can be checked.
    A programming error, answered 500 by Django; the message says how to fix it."""


class ChunkedBodyUnsupportedError(RuntimeError):
    """A chunked request (no Content-Length) on a WSGI server that does not decode chunked bodies for the application
    (it sets no ``wsgi.input_terminated``: Django's ``runserver``, uWSGI by default): Django sees 0 bytes, so no
    signature can be checked. A deployment error, answered 500 by Django (the provider retries); the message says how
    to fix it."""


class _DRFRequest(Protocol):
    """Django REST Framework's ``Request``, which wraps Django's (duck-typed: hookseal does not import DRF)."""

    _request: HttpRequest


def _django_request(request: Union[HttpRequest, _DRFRequest]) -> HttpRequest:
    wrapped = getattr(request, "_request", None)
    return wrapped if isinstance(wrapped, HttpRequest) else request  # type: ignore[return-value]


def verify_request(verifier: Verifier, request: Union[HttpRequest, _DRFRequest]) -> Event:
    """Verifies ``request`` (Django's, or DRF's wrapping it) and returns its event; raises
    :class:`hookseal.VerificationError`, or :class:`BodyAlreadyReadError` when the body was already consumed.

    For views that want to handle refusals themselves; :func:`webhook` and :class:`WebhookMixin` wrap this. Afterwards
    ``request.body`` (and ``request.POST``) still work: the bytes read are kept on the request, as Django keeps them."""
    http = _django_request(request)
    body = _read_body(http, _limit(verifier))
    # WSGI and Django's ASGI handler both hand header values over decoded as latin-1: encoding them back gives the
    # exact bytes that were sent. request.headers maps META's HTTP_* names (and CONTENT_TYPE) back to header names.
    headers = [(name, _wire_bytes(value)) for name, value in http.headers.items()]
    return verifier.verify(body, headers)


def _limit(verifier: Verifier) -> int:
    """The verifier's limit, or Django's DATA_UPLOAD_MAX_MEMORY_SIZE when lower: past it request.body would raise."""
    django_limit = getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None)
    limit: int = verifier.max_body_bytes
    return limit if django_limit is None else min(limit, int(django_limit))


def _read_body(request: HttpRequest, limit: int) -> bytes:
    sent = str(request.META.get("CONTENT_LENGTH") or "")
    # HTTP's optional whitespace around the value (a server hands it over stripped, gunicorn and uvicorn do) is not
    # part of the number; a sign is (Django's int() takes "+12", gunicorn and uvicorn refuse it 400, as RFC 9110's
    # 1*DIGIT does).
    declared = sent.strip(" \t")
    if sent and not (declared.isascii() and declared.isdigit()):
        # Broken HTTP (gunicorn and uvicorn answer it 400 before Django): 400 here too, not the ValueError (500) that
        # Django's int() would raise in request.body.
        raise BadRequest("hookseal.django: the request's Content-Length is not a number of bytes")
    if declared and int(declared) > limit:
        raise payload_too_large(limit)  # refused unread
    environ = getattr(request, "environ", None)
    if not declared and isinstance(environ, dict):  # WSGI without a Content-Length: chunked, or no body at all
        if environ.get("wsgi.input_terminated"):
            return _read_wsgi_input(request, environ, limit)
        if "chunked" in str(request.META.get("HTTP_TRANSFER_ENCODING", "")).lower():
            raise _not_decoded(request)
    # Django's private state, stable for a decade: _body holds what request.body read; _read_started says a stream
    # read began without it (DRF's request.data, request.read(), a multipart POST): then the bytes are gone.
    if hasattr(request, "_body"):
        body: bytes = request._body
    elif getattr(request, "_read_started", False):
        raise _consumed(request)
    else:
        # Not request.body, which reads an ASGI body without a Content-Length (chunked) whole when
        # DATA_UPLOAD_MAX_MEMORY_SIZE is None: read at most one byte past the limit.
        body = _keep(request, _read_at_most(request, limit))
    if len(body) > limit:  # read by request.body before hookseal (a middleware), with no Content-Length (ASGI)
        raise payload_too_large(limit)
    return body


def _read_wsgi_input(request: HttpRequest, environ: dict[str, Any], limit: int) -> bytes:
    """A chunked body under gunicorn (or mod_wsgi), which decodes the chunks and ends wsgi.input at the body's end.
    Django's WSGIRequest reads at most Content-Length bytes, none here: the real bytes are still in wsgi.input even
    when something read Django's empty view of them first (a middleware logging request.body, request.POST)."""
    kept = getattr(request, "_body", b"")
    if kept or environ.get(_READ_WSGI_INPUT):  # bytes read and kept (by hookseal, or a middleware that read them)
        body: bytes = kept
    elif not hasattr(request, "_body") and getattr(request, "_read_started", False) and not _empty_view(request):
        raise _consumed(request)  # Django's stream was replaced, then read: what it held is gone
    else:
        body = _read_at_most(environ["wsgi.input"], limit)
        environ[_READ_WSGI_INPUT] = True
        _keep(request, body)
        # A request.POST read before parsed the 0 bytes Django saw: let it parse the real ones.
        request.__dict__.pop("_post", None)
        request.__dict__.pop("_files", None)
    if len(body) > limit:
        raise payload_too_large(limit)
    return body


def _empty_view(request: HttpRequest) -> bool:
    """Django's own stream of a request without Content-Length: 0 bytes of wsgi.input, so reading it took nothing."""
    stream = getattr(request, "_stream", None)
    return isinstance(stream, LimitedStream) and stream.limit == 0


def _keep(request: HttpRequest, body: bytes) -> bytes:
    """Keeps the bytes read as request.body keeps them, so that the view can still use request.body and POST."""
    request._body = body
    request._stream = BytesIO(body)
    return body


def _read_at_most(stream: Any, limit: int) -> bytes:
    """Reads to the stream's end, or one byte past ``limit`` (then refused: a body is never cut to the limit)."""
    chunks = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise payload_too_large(limit)
    return b"".join(chunks)


def _not_decoded(request: HttpRequest) -> ChunkedBodyUnsupportedError:
    return ChunkedBodyUnsupportedError(
        f"hookseal.django: this request ({request.method} {request.path}) has a chunked body (Transfer-Encoding: "
        "chunked, no Content-Length), and this WSGI server does not decode chunked bodies for the application (it "
        "sets no wsgi.input_terminated; Django's runserver and uWSGI do not), so Django sees 0 bytes and no signature "
        "can be checked on them. Serve the webhooks with gunicorn, which decodes chunked bodies, or behind a proxy "
        "that buffers request bodies and sends their Content-Length (nginx does by default)."
    )


def _consumed(request: HttpRequest) -> BodyAlreadyReadError:
    return BodyAlreadyReadError(
        f"hookseal.django: the body of this request ({request.method} {request.path}) was already read as a stream, "
        "so its raw bytes are gone and no signature can be checked on them. Under Django REST Framework, reading "
        "request.data does this with any parser that reads the stream (MultiPartParser, FileUploadParser, a custom "
        "one); elsewhere request.read(), request.POST on a multipart body, or a middleware. Verify before anything "
        "parses the body: use @hookseal.django.webhook(verifier) or hookseal.django.WebhookView on a plain Django "
        "view (not a DRF APIView), or call hookseal.django.verify_request(verifier, request) before reading "
        "request.data (reading request.body before request.data also keeps the bytes)."
    )


def _wire_bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # not from the server (its values are latin-1): a str set by middleware or a test
        return value.encode("utf-8")


def error_response(error: VerificationError) -> JsonResponse:
    """The answer to a refused delivery: ``{"error": code}`` with the code's HTTP status."""
    return JsonResponse({"error": error.code}, status=error.http_status)


def _refused(verifier: Verifier, request: HttpRequest, error: VerificationError) -> JsonResponse:
    logger.warning("refused a delivery from %s (%s %s): %s", verifier.provider, request.method, request.path, error)
    return error_response(error)


def _response(answer: _answers.Answer) -> JsonResponse:
    response = JsonResponse(answer.body, status=answer.status)
    if answer.retry_after is not None:
        response.headers["Retry-After"] = str(answer.retry_after)
    return response


def _as_response(value: Any) -> Any:
    """A view's value as Django answers it: a dict or list becomes JSON (200). Anything else that is not a response
    is left for Django to refuse (its 'didn't return an HttpResponse object' error)."""
    if isinstance(value, dict):
        return JsonResponse(value)
    if isinstance(value, list):
        return JsonResponse(value, safe=False)
    return value


def _succeeded(answer: Any) -> bool:
    """A response below 500 completes the key; a 5xx (the provider retries it) or no response at all releases it."""
    return isinstance(answer, HttpResponseBase) and answer.status_code < 500


def _settled(answer: Any) -> Any:
    """A value; an awaitable one (an async router handler's coroutine under a sync view) run to its end."""
    if not inspect.isawaitable(answer):
        return answer

    async def wait() -> Any:
        return await answer

    return async_to_sync(wait)()


# --- the sync and async paths, shared by the decorator and the class-based view --------------------------------------


def _handle(
    verifier: Verifier,
    store: Optional[Store],
    namespace: Optional[str],
    request: HttpRequest,
    run: Callable[[Event], Any],
) -> Any:
    """Verifies, claims (with a store), runs ``run(event)`` and answers (docs/exactly-once.md)."""
    try:
        event = verify_request(verifier, request)
    except VerificationError as error:
        return _refused(verifier, request, error)
    if store is None:
        try:
            return _as_response(_settled(run(event)))
        except UnhandledEventError as error:
            return _response(_answers.unhandled(error))
    key = event.idempotency_key
    try:
        claim = store.claim(verifier.provider if namespace is None else namespace, key)
    except StoreError as error:
        return _response(_answers.unavailable(event.provider, error, f"{request.method} {request.path}"))
    early = _answers.not_claimed(claim, key)
    if early is not None:
        return _response(early)
    try:
        answer = _as_response(_settled(run(event)))
    except UnhandledEventError as error:  # a router refused it: released, so that the retry reaches its handler
        _finish(store, claim, key, done=False)
        return _response(_answers.unhandled(error))
    except BaseException:  # also SystemExit: gunicorn's worker timeout aborts the view with it
        _finish(store, claim, key, done=False)
        raise
    _settle(request, answer, lambda done: _finish(store, claim, key, done=done))
    return answer


def _settle(request: HttpRequest, answer: Any, finish: Callable[[bool], None]) -> None:
    """Settles the claim on the view's answer. Django renders a TemplateResponse (DRF's Response is one) after the
    view returned, and its rendering may fail (a 500): such an answer settles once rendered, so that a failure
    releases the key instead of marking done an event whose answer was a 500 (its retry would be a duplicate).

    One that is never rendered (a process_template_response middleware returned another response, or raised) is
    settled at the end of the request: released if an exception reached Django's handler, else by the view's own
    status, so that the retry is never held off (503 in_progress) until the lease runs out."""
    if not isinstance(answer, SimpleTemplateResponse) or answer.is_rendered:
        finish(_succeeded(answer))
        return
    pending = _Pending(answer, finish)
    # Run inside render(), after the content was rendered (a callback is not kept when the response is pickled).
    answer.add_post_render_callback(pending.rendered)
    _catch_failed_render(answer, pending)
    http = _django_request(request)
    pendings: list[_Pending] = http.__dict__.setdefault(_PENDING, [])
    pendings.append(pending)
    if len(pendings) == 1:
        # Django's handler adds request.close to the closers of the response that goes out (whichever it is), which
        # the server calls once it sent it: the end of the request, under WSGI and ASGI alike.
        close = http.close

        def close_then_settle() -> None:
            try:
                close()
            finally:
                for left in pendings:
                    left.settle(_succeeded(left.answer))
                pendings.clear()  # the answers are not kept past the request

        http.close = close_then_settle  # type: ignore[method-assign]


class _Pending:
    """A claim waiting for its answer to render; settled once, whichever comes first."""

    def __init__(self, answer: SimpleTemplateResponse, finish: Callable[[bool], None]) -> None:
        self.answer = answer
        self._finish = finish
        self._lock = threading.Lock()
        self._settled = False

    def settle(self, done: bool) -> None:
        with self._lock:
            if self._settled:
                return
            self._settled = True
        self._finish(done)

    def rendered(self, response: HttpResponseBase) -> None:
        self.settle(_succeeded(response))


def _catch_failed_render(answer: SimpleTemplateResponse, pending: _Pending) -> None:
    """Releases the claim when rendering fails, even if a process_exception middleware answers it (Django's
    got_request_exception is not sent then). The wrapper removes itself first: a rendered response is left as it was
    (picklable, for the cache middleware's post-render callback)."""
    own = answer.__dict__.get("render")

    def render_or_release() -> SimpleTemplateResponse:
        if own is None:
            answer.__dict__.pop("render", None)
        else:
            answer.render = own  # type: ignore[method-assign]
        try:
            return answer.render()
        except BaseException:
            pending.settle(False)
            raise

    answer.render = render_or_release  # type: ignore[method-assign]


def _release_on_exception(sender: Any, request: Any = None, **kwargs: Any) -> None:
    """Django's got_request_exception: an exception reached the handler (a template-response middleware raised, the
    rendering failed): the answer that goes out is Django's 500, so a claim still waiting is released."""
    if request is not None:
        for pending in getattr(_django_request(request), _PENDING, ()):
            pending.settle(False)


got_request_exception.connect(_release_on_exception, dispatch_uid="hookseal.django.release_on_exception")


def _finish(store: Store, claim: Claim, key: str, *, done: bool) -> None:
    acted, failure = None, None
    try:
        acted = store.complete(claim) if done else store.release(claim)
    except StoreError as error:
        failure = error
    _answers.finished(claim, key, done=done, acted=acted, error=failure)


async def _handle_async(
    verifier: Verifier,
    store: Optional[AsyncStore],
    namespace: Optional[str],
    request: HttpRequest,
    run: Callable[[Event], Awaitable[Any]],
) -> Any:
    """_handle for an async view."""
    try:
        event = await _verify_async(verifier, request)
    except VerificationError as error:
        return _refused(verifier, request, error)
    if store is None:
        try:
            return _as_response(await _awaited(run(event)))
        except UnhandledEventError as error:
            return _response(_answers.unhandled(error))
    key = event.idempotency_key
    try:
        claim = await store.claim(verifier.provider if namespace is None else namespace, key)
    except StoreError as error:
        return _response(_answers.unavailable(event.provider, error, f"{request.method} {request.path}"))
    early = _answers.not_claimed(claim, key)
    if early is not None:
        return _response(early)
    try:
        answer = _as_response(await _awaited(run(event)))
    except UnhandledEventError as error:
        await _finish_async(store, claim, key, done=False)
        return _response(_answers.unhandled(error))
    except Exception:
        await _finish_async(store, claim, key, done=False)
        raise
    except BaseException:  # cancelled (the client went away): an await here would be cancelled too
        store._settle_soon(claim, done=False)
        raise
    if isinstance(answer, SimpleTemplateResponse) and not answer.is_rendered:
        # Rendered by Django's handler in a worker thread (sync_to_async): the sync store settles it there.
        sync_store = store.store
        _settle(request, answer, lambda done: _finish(sync_store, claim, key, done=done))
    else:
        await _finish_async(store, claim, key, done=_succeeded(answer))
    return answer


async def _verify_async(verifier: Verifier, request: HttpRequest) -> Event:
    # The body is read here: under ASGI Django has buffered it already; under WSGI this loop is the request's own.
    http = _django_request(request)
    body = _read_body(http, _limit(verifier))
    headers = [(name, _wire_bytes(value)) for name, value in http.headers.items()]
    if len(body) >= THREAD_FROM_BYTES:
        return await sync_to_async(verifier.verify, thread_sensitive=False)(body, headers)
    return verifier.verify(body, headers)


async def _awaited(answer: Any) -> Any:
    while inspect.isawaitable(answer):  # an async view's coroutine, then an async handler's it returned
        answer = await answer
    return answer


async def _finish_async(store: AsyncStore, claim: Claim, key: str, *, done: bool) -> None:
    acted, failure = None, None
    try:
        acted = await (store.complete(claim) if done else store.release(claim))
    except StoreError as error:
        failure = error
    _answers.finished(claim, key, done=done, acted=acted, error=failure)


def _post_only(request: HttpRequest) -> HttpResponseNotAllowed:
    """Providers POST; any other method is answered 405 with Allow: POST, as Django's require_POST answers (Django
    logs it)."""
    return HttpResponseNotAllowed(["POST"])


def _stores(store: Union[Store, AsyncStore, None]) -> tuple[Optional[Store], Optional[AsyncStore]]:
    """The store as the sync path and the async path use it (one store underneath)."""
    if store is None:
        return None, None
    if isinstance(store, AsyncStore):
        return store.store, store
    if isinstance(store, Store):
        return store, AsyncStore(store)
    # The type only: a URL string would put its password in the traceback.
    raise ImproperlyConfigured(
        f"hookseal.django: store is a hookseal.Store or hookseal.AsyncStore, not a {type(store).__name__}"
        + (": open it with hookseal.Store(url)" if isinstance(store, str) else "")
    )


# --- the decorator ------------------------------------------------------------------------------------------------

_View = Callable[Concatenate[HttpRequest, Event, _P], Any]
_AsyncView = Callable[Concatenate[HttpRequest, Event, _P], Coroutine[Any, Any, Any]]


class _Decorator:
    """What :func:`webhook` returns: an async view stays async, a router becomes a view taking the URL's arguments."""

    def __init__(self, verifier: Verifier, store: Union[Store, AsyncStore, None], namespace: Optional[str]) -> None:
        if not isinstance(verifier, Verifier):
            # The type only: a string here may well be the secret.
            raise ImproperlyConfigured(
                f"hookseal.django.webhook: give it a hookseal.Verifier, not a {type(verifier).__name__}"
            )
        self._verifier = verifier
        self._store, self._async_store = _stores(store)
        self._namespace = namespace

    @overload
    def __call__(self, view: Router) -> Callable[..., HttpResponseBase]: ...
    @overload
    def __call__(
        self, view: _AsyncView[_P]
    ) -> Callable[Concatenate[HttpRequest, _P], Coroutine[Any, Any, HttpResponseBase]]: ...
    @overload
    def __call__(self, view: _View[_P]) -> Callable[Concatenate[HttpRequest, _P], HttpResponseBase]: ...
    def __call__(self, view: Any) -> Any:
        verifier, store, async_store, namespace = self._verifier, self._store, self._async_store, self._namespace
        if isinstance(view, Router):
            view._check_verifier(verifier.provider, "hookseal.django.webhook")
            router = view

            def dispatch(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                if request.method != "POST":
                    return _post_only(request)
                return _handle(verifier, store, namespace, request, router.dispatch)

            # An instance has no name of its own: name the view after its provider (Django's debug pages, reverse()).
            dispatch.__name__ = dispatch.__qualname__ = verifier.provider.replace("-", "_") + "_webhook"
            dispatch.__doc__ = f"Dispatches the verified {verifier.provider} delivery to a hookseal.Router."
            dispatch.__wrapped__ = router  # type: ignore[attr-defined]
            return csrf_exempt(dispatch)
        if not callable(view):
            raise ImproperlyConfigured(f"hookseal.django.webhook: a {type(view).__name__} is not a view")

        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def verified_async(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                if request.method != "POST":
                    return _post_only(request)
                return await _handle_async(
                    verifier, async_store, namespace, request, lambda event: view(request, event, *args, **kwargs)
                )

            return csrf_exempt(verified_async)

        @functools.wraps(view)
        def verified(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if request.method != "POST":
                return _post_only(request)
            return _handle(verifier, store, namespace, request, lambda event: view(request, event, *args, **kwargs))

        return csrf_exempt(verified)


def webhook(
    verifier: Verifier, store: Union[Store, AsyncStore, None] = None, namespace: Optional[str] = None
) -> _Decorator:
    """Decorates a function view so that it runs only for a verified delivery, called as ``view(request, event,
    *args, **kwargs)``, and exempts it from CSRF; with a ``store``, once per event (see the module's documentation).
    The view may be ``async def``, or a :class:`hookseal.Router`."""
    return _Decorator(verifier, store, namespace)


# --- the class-based view -----------------------------------------------------------------------------------------


class WebhookMixin:
    """A class-based view's verification: POST is verified (and claimed, with a ``store``) before ``post(request,
    event, *args, **kwargs)`` runs; ``as_view()`` checks the set-up and exempts the view from CSRF. Set ``verifier``
    (required), ``store``, ``namespace`` and ``router`` on the class or through ``as_view(verifier=..., ...)``. Put it
    before ``View`` (or a subclass) in the bases; :class:`WebhookView` is the two together."""

    verifier: ClassVar[Optional[Verifier]] = None
    store: ClassVar[Union[Store, AsyncStore, None]] = None
    namespace: ClassVar[Optional[str]] = None
    router: ClassVar[Optional[Router]] = None

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., HttpResponseBase]:
        """Django's ``as_view()``, checked (a missing verifier, a router of another provider: errors at start-up,
        when the URLconf loads) and exempt from CSRF."""
        if hasattr(cls, "initialize_request"):  # Django REST Framework's APIView (hookseal does not import DRF)
            raise ImproperlyConfigured(
                f"{cls.__qualname__}: hookseal.django.WebhookMixin is for Django's View, not a Django REST Framework "
                "APIView: its dispatch would replace APIView's (no authentication, permissions or renderer). Use "
                "@api_view([\"POST\"]) over @hookseal.django.webhook(verifier) on a function view, or call "
                "hookseal.django.verify_request(verifier, request) first in the APIView's post()."
            )
        verifier = initkwargs.get("verifier", cls.verifier)
        if not isinstance(verifier, Verifier):
            raise ImproperlyConfigured(
                f"{cls.__qualname__}: set verifier = hookseal.Verifier(...) on the class or pass as_view(verifier=...)"
            )
        _stores(initkwargs.get("store", cls.store))
        router = initkwargs.get("router", cls.router)
        if router is not None:
            if not isinstance(router, Router):
                raise ImproperlyConfigured(
                    f"{cls.__qualname__}: router is a hookseal.Router, not a {type(router).__name__}"
                )
            router._check_verifier(verifier.provider, f"hookseal.django.WebhookMixin ({cls.__qualname__})")
        elif _inherited_post(cls):
            raise ImproperlyConfigured(
                f"{cls.__qualname__}: define post(self, request, event) or set router = hookseal.Router(...)"
            )
        view: Callable[..., HttpResponseBase] = super().as_view(**initkwargs)  # type: ignore[misc]
        return csrf_exempt(view)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """POST: verified, then ``post(request, event, *args, **kwargs)``; any other method as Django dispatches it."""
        if request.method != "POST":
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        verifier = self.verifier
        assert verifier is not None  # as_view checked it
        store, async_store = _stores(self.store)

        def run(event: Event) -> Any:
            return self.post(request, event, *args, **kwargs)

        if getattr(type(self), "view_is_async", False):
            return _handle_async(verifier, async_store, self.namespace, request, run)
        return _handle(verifier, store, self.namespace, request, run)

    def post(self, request: HttpRequest, event: Event, *args: Any, **kwargs: Any) -> Any:
        """Handles the verified event: by default ``router.dispatch(event)`` (override it, ``async def`` if the view
        is async). A dict or list is answered as JSON."""
        router = self.router
        assert router is not None  # as_view checked it
        return router.dispatch(event)


def _inherited_post(cls: type) -> bool:
    return getattr(cls, "post", None) is WebhookMixin.post


class WebhookView(WebhookMixin, View):
    """A Django ``View`` receiving one provider's webhooks (see :class:`WebhookMixin`): ``path("webhooks/elmed",
    WebhookView.as_view(verifier=elmed, store=store, router=router))``, or a subclass with its own ``post``."""

    http_method_names = ["post", "options"]  # any other method: 405
