"""The webhook views: ELMED and NovaMed, verified by hookseal.django and processed exactly once.

Environment (the same as the Flask and FastAPI examples'):
    ELMED_WEBHOOK_SECRET       required: the HMAC secret ELMED signs with (X-ELMED-Signature)
    NOVAMED_WEBHOOK_SECRET     required: the key NovaMed sends in x-api-key
    NOVAMED_CLINIC_ID          optional: refuse NovaMed deliveries for any other clinic (400 clinic_mismatch)
    HOOKSEAL_MAX_BODY_BYTES    optional: the body size limit for both receivers (default 1 MiB; over it: 413)
    HOOKSEAL_STORE             optional: the dedupe store every worker shares (default: an SQLite file in the system's
                               temp dir, shared by every worker on this host; redis://host:6379/0 for several hosts)
    HOOKSEAL_EXAMPLE_DELAY_MS  optional: each handler sleeps this long before answering (default 0), to rehearse
                               concurrent copies of one delivery and a worker killed mid-handler

A refused delivery never reaches a view: hookseal.django answers it with ``{"error": "<code>"}`` and 401 (signature
or key), 413 (too large) or 400 (anything else). A genuine one is processed once across every worker: its retries get
200 ``{"status": "duplicate", ...}``, a copy arriving while the first is processed gets 503 ``{"error": "in_progress"}``
with ``Retry-After``, and a store that cannot be reached 503 ``store_unavailable`` (the provider retries both). Each
event then goes to one handler by its type (a ``hookseal.events.<provider>.Router``, whose handlers get their event
typed); a type without one of its own is logged and accepted, as providers add events.
"""

import logging
import os
import tempfile
import time
from typing import Any, Dict, Mapping, Optional, TypeVar, cast

from django.http import HttpRequest

import hookseal
from hookseal.django import WebhookView, webhook
from hookseal.events import elmed as elmed_events
from hookseal.events import novamed as novamed_events

logger = logging.getLogger("webhooks")


# A missing or bad setting raises at import (wsgi.py loads this module at start-up), so the server refuses to start.
def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(f"set {name} (the webhook secret) before starting this receiver")
    return value


def _max_body_bytes() -> Optional[int]:
    raw = os.environ.get("HOOKSEAL_MAX_BODY_BYTES", "")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"HOOKSEAL_MAX_BODY_BYTES must be an integer (bytes), not {raw!r}") from None


_limit = _max_body_bytes()
# Build each verifier once at start-up and share it: a Verifier is immutable and thread-safe.
elmed = hookseal.Verifier("elmed", secret=_required("ELMED_WEBHOOK_SECRET"), max_body_bytes=_limit)
novamed = hookseal.Verifier(
    "novamed",
    secret=_required("NOVAMED_WEBHOOK_SECRET"),
    clinic_id=os.environ.get("NOVAMED_CLINIC_ID") or None,
    max_body_bytes=_limit,
)


def _delay_seconds() -> float:
    raw = os.environ.get("HOOKSEAL_EXAMPLE_DELAY_MS", "") or "0"
    if not raw.isascii() or not raw.isdigit():
        raise RuntimeError(f"HOOKSEAL_EXAMPLE_DELAY_MS must be a whole number of milliseconds, not {raw!r}")
    return int(raw) / 1000


_delay = _delay_seconds()

# Exactly once: providers retry (ELMED up to 3 times, NovaMed up to 5), and gunicorn's workers (and hosts) share no
# memory, so the idempotency keys live in a store they all reach. The SQLite default serves every worker of this
# host; set HOOKSEAL_STORE=redis://... when several hosts receive the same provider.
store = hookseal.Store(
    os.environ.get("HOOKSEAL_STORE") or "sqlite://" + os.path.join(tempfile.gettempdir(), "hookseal-django.db")
)
logger.info("store: %s", store.url)  # redacted: never a password


def handle(event: hookseal.Event, router: hookseal.Router) -> Dict[str, Any]:
    """The answer common to both providers, once per event (duplicates are answered by hookseal.django)."""
    logger.info("processing %s", event.idempotency_key)  # the key only: no patient data in logs
    if _delay:
        time.sleep(_delay)
    router.dispatch(event)  # if a handler raises, the answer is a 500 and the claim released: the retry is processed
    return {
        "status": "processed",
        "event_type": event.event_type,
        "idempotency_key": event.idempotency_key,
        "is_test": event.is_test,
    }


# One handler per event type, as the provider docs list them (hookseal.events.<provider>.Router types each handler's
# event by its pattern); "*" takes every other type: providers add events, and an unknown one is accepted.
elmed_router = elmed_events.Router()
novamed_router = novamed_events.Router()

_D = TypeVar("_D", bound=Mapping[str, object])


def _fields(data: _D) -> _D:
    """The event's data as documented, or empty when the delivery carries none or not an object (verify() checks the
    signature, never the payload's shape)."""
    return data if isinstance(data, dict) else cast(_D, {})


@elmed_router.on("order.status_changed")
def elmed_order_status_changed(event: elmed_events.OrderStatusChanged) -> None:
    data = _fields(event.data)
    logger.info("ELMED order %s is now %s", data.get("order_number"), data.get("status"))


@elmed_router.on("prescription.issued")
def elmed_prescription_issued(event: elmed_events.PrescriptionIssued) -> None:
    logger.info("ELMED prescription %s issued", _fields(event.data).get("prescription_number"))


@novamed_router.on("order:shipped")
def novamed_order_shipped(event: novamed_events.OrderShipped) -> None:
    data = _fields(event.data)
    logger.info("NovaMed order %s shipped: %s", data.get("order_id"), data.get("tracking_number"))


@novamed_router.on("medication_request:approved")
def novamed_medication_request_approved(event: novamed_events.MedicationRequestApproved) -> None:
    logger.info("NovaMed medication request %s approved", _fields(event.data).get("medication_request_id"))


@elmed_router.on("*")
@novamed_router.on("*")
def any_other_event(event: hookseal.Event) -> None:
    logger.info("%s event %s received", event.provider, event.event_type)


# A function view: the decorator verifies, claims the key in the store, then calls it with the event (and exempts
# it from CSRF: a provider sends no token). A dict is answered as JSON.
@webhook(elmed, store=store)
def on_elmed(request: HttpRequest, event: hookseal.Event) -> Dict[str, Any]:
    return handle(event, elmed_router)


# A class-based view: the same, through WebhookView's attributes (as_view() exempts it from CSRF).
class NovaMedWebhook(WebhookView):
    verifier = novamed
    store = store

    def post(self, request: HttpRequest, event: hookseal.Event, *args: Any, **kwargs: Any) -> Dict[str, Any]:
        return handle(event, novamed_router)
