"""hookseal: receiver-side webhook verification for ELMED, Baremeds-EHR, NovaMed, Standard Webhooks and custom
providers. One Rust core: constant-time signature and key checks on the raw body, envelope parsing, idempotency keys.

    import hookseal
    verifier = hookseal.Verifier("elmed", secret="...")
    event = verifier.verify(request_body_bytes, request_headers)
    event.event_type, event.idempotency_key, event.data
    event.to_dict()   # the ten fields under their snake_case names

One call, for scripts and tests (the verifier comes from a cache of the last 32 configurations):

    event = hookseal.verify("elmed", body, headers, secret="...")

Exactly once (docs/exactly-once.md): a dedupe store every worker shares, named by URL (``memory:``,
``sqlite:///path.db``, ``redis://host:6379/0``):

    store = hookseal.Store("sqlite:///var/lib/app/webhooks.db")
    claim = store.claim(verifier.provider, event.idempotency_key)   # "claimed" | "duplicate" | "in_progress"
    ...; store.complete(claim)   # or store.release(claim) when processing failed

``hookseal.AsyncStore`` is the same store for asyncio code.

One handler per event type (``hookseal.events.<provider>`` has the typed events and a typed router of each catalog):

    router = hookseal.Router("elmed")          # unhandled="accept" (the default) or "reject"
    router.on("order.status_changed", on_status)
    answer = router.dispatch(event)            # exactly one handler: exact, else the longest prefix*, else *
 Framework helpers: ``hookseal.flask``,
``hookseal.fastapi`` and ``hookseal.django``, with or without a store.
"""

from ._errors import ConfigError, StoreError, VerificationError
from ._hookseal import Claim, Event, Store, Verifier, __version__, sign
from ._router import Router, UnhandledEventError
from ._store import AsyncStore
from ._verify import verify

__all__ = [
    "Verifier",
    "verify",
    "Event",
    "VerificationError",
    "ConfigError",
    "sign",
    "Store",
    "AsyncStore",
    "Claim",
    "StoreError",
    "Router",
    "UnhandledEventError",
    "__version__",
]
