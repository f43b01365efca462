"""What the typed events and the routers promise a type checker (not run, only checked):

    .venv/bin/python -m mypy --strict --warn-unused-ignores bindings/python/tests/typing

Each ``# type: ignore[code]`` line must stay an error (--warn-unused-ignores fails the run if it stops being one),
and every other line must check: narrowing by ``event.event_type == ...``, a decorated handler's narrowed event,
optional and nullable keys as the catalog marks them."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Literal, Optional, Tuple

import hookseal
import hookseal.fastapi
import hookseal.flask
from hookseal.events import baremeds, elmed, management_api, novamed
from typing_extensions import assert_type

verifier = hookseal.Verifier("elmed", secret="s")

# -- hookseal.Router: handlers take a hookseal.Event ---------------------------------------------------------------
router = hookseal.Router("elmed", unhandled="reject")


@router.on("order.status_changed")
def generic(event: hookseal.Event) -> int:
    return 1


kept: Callable[[hookseal.Event], int] = generic  # the decorator hands the function back
also_kept: Callable[[hookseal.Event], int] = router.on(["a", "b"], generic)
router.on("order.*")(generic)
hookseal.Router(unhandled="ignore")  # type: ignore[arg-type]


@router.on("order.status_changed")  # type: ignore[type-var]
def too_narrow(event: elmed.OrderStatusChanged) -> None: ...  # a plain router's handler gets a hookseal.Event


answer: Any = router.dispatch(hookseal.verify("elmed", b"{}", {}, secret="s"))
patterns: Tuple[str, ...] = router.patterns
assert_type(router.unhandled, Literal["accept", "reject"])

# -- a typed router: the handler's event is narrowed by the pattern ------------------------------------------------
typed_router = elmed.Router()


@typed_router.on("order.status_changed")
def status_changed(event: elmed.OrderStatusChanged) -> Dict[str, str]:
    assert_type(event.event_type, Literal["order.status_changed"])
    assert_type(event.provider, Literal["elmed"])
    status: Optional[str] = event.data.get("status")  # the catalog marks no ELMED key required
    if "status" in event.data:
        assert_type(event.data["status"], str)
    event.data["amount_claimed"]  # type: ignore[typeddict-item]
    return {"status": status or ""}


@typed_router.on("claim.decision")
async def claim(event: elmed.ClaimDecision) -> None:
    assert_type(event.data.get("rejection_reason"), Optional[str])
    if "amount_claimed" in event.data:
        assert_type(event.data["amount_claimed"], float)


@typed_router.on("referral.created")
def referral(event: elmed.ReferralCreated) -> None:
    assert_type(event.data, Dict[str, Any])  # the document prints no payload: open


@typed_router.on("prescription.issued")  # type: ignore[type-var]
def wrong_event(event: elmed.OrderStatusChanged) -> None: ...


@typed_router.on("prescription.dispensed")
def any_event(event: hookseal.Event) -> None: ...  # a handler of a hookseal.Event is fine for any pattern


@typed_router.on(["prescription.issued", "order.*"])
def several(event: hookseal.Event) -> None: ...


@typed_router.on("order.status_change")  # a type outside the catalog (warns at run time): a hookseal.Event
def unknown(event: hookseal.Event) -> None: ...


@typed_router.on("order.status_change")  # type: ignore[type-var]
def unknown_narrowed(event: elmed.OrderStatusChanged) -> None: ...


def called(event: elmed.ConsultationCompleted) -> int:
    return event.data.get("consultation_id", 0)


same: Callable[[elmed.ConsultationCompleted], int] = typed_router.on("consultation.completed", called)
typed_router.on("order.status_changed", called)  # type: ignore[type-var]
typed_router.on("*", any_event)
elmed.Router(unhandled="never")  # type: ignore[arg-type]

# -- typed(): a union narrowed by the event type ------------------------------------------------------------------


def narrow(verified: hookseal.Event) -> None:
    event = elmed.typed(verified)
    if event.event_type == "order.status_changed":
        assert_type(event, elmed.OrderStatusChanged)
        assert_type(event.data.get("status"), Optional[str])
    elif event.event_type == "claim.decision":
        assert_type(event.data.get("amount_approved"), Optional[float])
        event.data.get("status")
        event.data["courier"]  # type: ignore[typeddict-item]
    event.data["status"]  # type: ignore[typeddict-item]


def baremeds_required(verified: hookseal.Event) -> None:
    event = baremeds.typed(verified)
    if event.event_type == "prescription_submitted":
        medication: List[baremeds.Medication] = event.data["medication"]
        assert_type(medication[0]["rx_order_id"], Optional[str])
        assert_type(event.data["order_number"], Optional[str])
        assert event.metadata is not None
        assert_type(event.metadata["request_id"], str)
        assert_type(event.metadata.get("webhook_key"), Optional[str])
    incomplete: baremeds.OrderChangedData = {"order_number": "1", "status": "x"}  # type: ignore[typeddict-item]


def novamed_nested(verified: hookseal.Event) -> None:
    event = novamed.typed(verified)
    if event.event_type == "order:shipped":
        address = event.data.get("shipping_address")
        assert_type(address, Optional[novamed.ShippingAddress])
        if address is not None and "city" in address:
            assert_type(address["city"], str)
        empty: novamed.ShippingAddress = {}  # every key optional
    elif event.event_type == "medication_request:approved":
        assert_type(event.data.get("refills"), Optional[int])
    assert_type(event.clinic_id, Optional[str])


def management(verified: hookseal.Event) -> None:
    event = management_api.typed(verified)
    assert_type(event.provider, Literal["custom"])
    if event.event_type == "pharmacy_order_created":
        assert_type(event.data, Dict[str, Any])


# -- the framework helpers take a router ---------------------------------------------------------------------------
flask_view = hookseal.flask.webhook(verifier)(typed_router)
fastapi_endpoint = hookseal.fastapi.endpoint(verifier, typed_router, store=hookseal.Store("memory:"))
hookseal.fastapi.endpoint(verifier, generic)  # type: ignore[arg-type]
