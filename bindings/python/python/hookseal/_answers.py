"""What the framework helpers answer around a store's claim (docs/exactly-once.md, "What the framework helpers
answer"), shared by ``hookseal.flask`` and ``hookseal.fastapi`` so that both give byte-for-byte the same answers and
log lines. Each helper only turns these into its framework's response."""

from __future__ import annotations

import logging
from typing import NamedTuple, Optional

from ._errors import StoreError
from ._hookseal import Claim
from ._router import UnhandledEventError, _shown

logger = logging.getLogger("hookseal")

# Retry-After for a store that cannot be reached: long enough not to hammer it, well inside every retry schedule.
STORE_UNAVAILABLE_RETRY_AFTER = 5


class Answer(NamedTuple):
    """An answer given instead of running the handler."""

    body: dict[str, str]
    status: int
    retry_after: Optional[int] = None


def unavailable(provider: str, error: StoreError, request_line: Optional[str] = None) -> Answer:
    """The 503 for a store that cannot be reached, logged as every helper logs a refusal (the handler did not run)."""
    origin = provider if request_line is None else f"{provider} ({request_line})"
    logger.error("refused a delivery from %s: %s", origin, error)
    return Answer({"error": "store_unavailable"}, 503, STORE_UNAVAILABLE_RETRY_AFTER)


def not_claimed(claim: Claim, key: str) -> Optional[Answer]:
    """The answer for a duplicate or an event in progress elsewhere; None when the claim was won."""
    if claim.status == "duplicate":
        logger.info("the delivery %s from %s is a duplicate: already processed", key, claim.namespace)
        return Answer({"status": "duplicate", "idempotency_key": key}, 200)
    if claim.status == "in_progress":
        logger.info("the delivery %s from %s is in progress on another worker", key, claim.namespace)
        return Answer({"error": "in_progress"}, 503, claim.retry_after)
    return None


def finished(claim: Claim, key: str, *, done: bool, acted: Optional[bool], error: Optional[StoreError]) -> None:
    """Logs a complete (``done``) or release that failed or found the claim gone. Never raises: the handler's own
    answer or exception is what goes out (a 5xx after the work was done would make the provider send it again)."""
    if error is not None and done:
        logger.error(
            "the delivery %s from %s was processed but not marked done (%s): a retry may be processed again",
            key, claim.namespace, error,
        )  # fmt: skip
    elif error is not None:
        logger.warning(
            "the failed delivery %s from %s was not released (%s): its retry waits for the lease to run out",
            key, claim.namespace, error,
        )  # fmt: skip
    elif not acted:
        logger.warning(
            "the delivery %s from %s outlived its lease: another worker may process it too", key, claim.namespace
        )


def unhandled(error: UnhandledEventError) -> Answer:
    """The 501 for an event no handler of a ``unhandled="reject"`` router takes: every provider retries a 5xx, so a
    deploy that adds the handler processes the retry (the caller releases the claim)."""
    logger.warning(
        "no handler for the delivery %s from %s (%s): refused 501 unhandled_event",
        error.idempotency_key, error.provider, _shown(error.event_type),
    )  # fmt: skip
    return Answer({"error": "unhandled_event"}, 501)
