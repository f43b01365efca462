"""FastAPI / Starlette: a dependency that verifies a webhook and gives the endpoint its event.

    from fastapi import Depends
    from hookseal.fastapi import webhook

    elmed = hookseal.Verifier("elmed", secret=os.environ["ELMED_WEBHOOK_SECRET"])

    @app.post("/webhooks/elmed")
    async def on_elmed(event: hookseal.Event = Depends(webhook(elmed))):
        ...

The dependency reads the raw body (at most ``max_body_bytes``; ``await request.body()`` still works afterwards),
verifies it against the request's headers, and returns the event. A refused delivery never reaches the endpoint: it
raises ``HTTPException`` with 401 (not genuine: signature or key), 413 (``payload_too_large``) or 400 (anything else
refused) and the code as detail, so the answer is FastAPI's usual ``{"detail": "<code>"}``; the reason is logged on
the ``hookseal`` logger (never a secret). Large bodies are verified in a worker thread (the core releases the GIL
while hashing), so the event loop keeps serving other requests.
"""

import logging
from typing import Awaitable, Callable, List

try:
    from fastapi import HTTPException, Request
    from starlette.concurrency import run_in_threadpool
except ImportError as _missing:  # pragma: no cover - depends on what is installed
    raise ImportError(f"hookseal.fastapi needs FastAPI: pip install 'hookseal[fastapi]' ({_missing})") from _missing

from ._errors import VerificationError, payload_too_large
from ._hookseal import Event, Verifier

__all__ = ["webhook", "verify_request"]

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


def webhook(verifier: Verifier) -> Callable[[Request], Awaitable[Event]]:
    """A dependency for ``Depends(...)`` that returns the verified event or answers the refusal."""

    async def verified_event(request: Request) -> Event:
        try:
            return await verify_request(verifier, request)
        except VerificationError as error:
            logger.warning("refused a %s webhook: %s", verifier.provider, error)
            raise HTTPException(status_code=error.http_status, detail=error.code) from None

    return verified_event


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
