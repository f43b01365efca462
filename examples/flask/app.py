"""A runnable Flask receiver for ELMED and NovaMed webhooks, verified by hookseal.

    ELMED_WEBHOOK_SECRET=... NOVAMED_WEBHOOK_SECRET=... gunicorn --chdir examples/flask app:app

Environment:
    ELMED_WEBHOOK_SECRET     required: the HMAC secret ELMED signs with (X-ELMED-Signature)
    NOVAMED_WEBHOOK_SECRET   required: the key NovaMed sends in x-api-key
    NOVAMED_CLINIC_ID        optional: refuse NovaMed deliveries for any other clinic (400 clinic_mismatch)
    HOOKSEAL_MAX_BODY_BYTES  optional: the body size limit for both receivers (default 1 MiB; over it: 413)

A refused delivery never reaches a view: ``hookseal.flask.webhook`` answers it with ``{"error": "<code>"}`` and
401 (signature or key), 413 (too large) or 400 (anything else).
"""

import logging
import os
import threading
from typing import Any, Dict, Optional, Set

from flask import Flask

import hookseal
from hookseal.flask import webhook

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
logger = logging.getLogger("webhooks")


# A missing or bad setting raises at import, so the server refuses to start (a SystemExit would not do: gunicorn
# treats it as a worker that quit and keeps booting new ones, where an exception makes it stop).
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

# Idempotency: providers retry (ELMED up to 3 times, NovaMed up to 5), so the same event can arrive more than once.
# This in-memory set only works within one process. In production use a shared store instead, since gunicorn
# workers (and replicas) do not share memory: Redis `SET key 1 NX EX 86400`, or an INSERT into a table with a
# unique constraint on the idempotency key, done in the same transaction as the work.
_seen: Set[str] = set()
_seen_lock = threading.Lock()


def first_delivery(key: str) -> bool:
    """Claims ``key``; True the first time it is seen, False for a retry or a duplicate (also while the first
    delivery is still being processed: two concurrent copies never both run)."""
    with _seen_lock:
        if key in _seen:
            return False
        _seen.add(key)
        return True


def forget(key: str) -> None:
    """Releases a claim whose processing failed, so the provider's retry is processed instead of called a duplicate."""
    with _seen_lock:
        _seen.discard(key)


def handle(event: hookseal.Event) -> Dict[str, Any]:
    """The answer common to both providers: a duplicate is still a 2xx, so that the provider stops retrying."""
    if not first_delivery(event.idempotency_key):
        return {"status": "duplicate", "idempotency_key": event.idempotency_key}
    try:
        dispatch(event)
    except Exception:
        forget(event.idempotency_key)  # the answer is a 500: the provider retries, and the retry is processed
        raise
    return {
        "status": "processed",
        "event_type": event.event_type,
        "idempotency_key": event.idempotency_key,
        "is_test": event.is_test,
    }


def dispatch(event: hookseal.Event) -> None:
    """Routes an event by type, as the provider docs do. Unknown types are accepted: providers add events."""
    data = event.data if isinstance(event.data, dict) else {}
    if event.event_type == "order.status_changed":  # ELMED
        logger.info("ELMED order %s is now %s", data.get("order_number"), data.get("status"))
    elif event.event_type == "prescription.issued":  # ELMED
        logger.info("ELMED prescription %s issued", data.get("prescription_number"))
    elif event.event_type == "order:shipped":  # NovaMed
        logger.info("NovaMed order %s shipped: %s", data.get("order_id"), data.get("tracking_number"))
    elif event.event_type == "medication_request:approved":  # NovaMed
        logger.info("NovaMed medication request %s approved", data.get("medication_request_id"))
    else:
        logger.info("%s event %s received", event.provider, event.event_type)


app = Flask(__name__)


@app.post("/webhooks/elmed")
@webhook(elmed)
def on_elmed(event: hookseal.Event) -> Dict[str, Any]:
    return handle(event)


@app.post("/webhooks/novamed")
@webhook(novamed)
def on_novamed(event: hookseal.Event) -> Dict[str, Any]:
    return handle(event)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
