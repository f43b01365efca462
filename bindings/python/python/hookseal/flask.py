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
(anything else refused), and the reason is logged on the ``hookseal`` logger (never a secret).
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Callable, TypeVar, Union

try:
    from flask import Response, jsonify, request
    from werkzeug.exceptions import RequestEntityTooLarge
except ImportError as _missing:  # pragma: no cover - depends on what is installed
    raise ImportError(f"hookseal.flask needs Flask: pip install 'hookseal[flask]' ({_missing})") from _missing

from ._errors import VerificationError, payload_too_large

if TYPE_CHECKING:
    from typing_extensions import Concatenate, ParamSpec

    from . import Event, Verifier

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
) -> Callable[[Callable[Concatenate[Event, _P], R]], Callable[_P, Union[R, tuple[Response, int]]]]:
    """Decorates a view so that it runs only for a verified delivery, with the event as its first argument."""

    def decorate(view: Callable[Concatenate[Event, _P], R]) -> Callable[_P, Union[R, tuple[Response, int]]]:
        @functools.wraps(view)
        def verified(*args: _P.args, **kwargs: _P.kwargs) -> Union[R, tuple[Response, int]]:
            try:
                event = verify_request(verifier)
            except VerificationError as error:
                logger.warning("refused a %s webhook: %s", verifier.provider, error)
                return error_response(error)
            return view(event, *args, **kwargs)

        return verified

    return decorate
