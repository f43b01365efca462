"""The router (docs/api.md, "The router"): one handler per delivery, picked by its event type, the same rule in every
language (tests/vectors/router/routes.json).

    router = hookseal.Router("elmed")              # or hookseal.events.elmed.Router(), whose handlers are typed

    @router.on("order.status_changed")
    def status_changed(event: hookseal.Event) -> dict[str, str]: ...

    router.on(["prescription.issued", "prescription.dispensed"], prescriptions)   # the call form
    router.on("order.*", orders)                   # a prefix: every type starting with "order."
    router.on("*", everything_else)                # the catch-all, also for an event without a type

    answer = router.dispatch(event)                # the handler's value (an async handler's: a coroutine to await)

A handler that returns None (it did its work and has nothing to say) answers ``{"status": "processed", "event_type":
..., "idempotency_key": ...}``, the delivery's type and key (an async one once awaited), as in every language.

Exactly one handler runs: the exact pattern, else the longest matching prefix, else ``*``. With none, ``unhandled``
decides: ``"accept"`` (the default: providers add events) returns ``{"status": "unhandled", "event_type": ...,
"idempotency_key": ...}`` and logs one info line on the ``hookseal`` logger; ``"reject"`` raises
:class:`UnhandledEventError`, which ``hookseal.flask`` and ``hookseal.fastapi`` answer 501 (the claim is released,
so that a deploy adding the handler processes the provider's retry). Why one handler and not all that match: the
store's guarantee is per delivery, and a retry after a second handler failed would run the first one again.

A router bound to a provider (``Router("elmed")``) refuses another provider's event (``ConfigError``,
``invalid_option``), and warns (``warnings``, a ``UserWarning``) once for an exact pattern that provider's catalog
does not name, with the nearest name it does: it is not an error, since providers add events."""

from __future__ import annotations

import inspect
import logging
import os
import sys
import warnings
from types import FrameType
from typing import Any, Awaitable, Callable, ClassVar, Coroutine, Dict, List, Literal, Optional, Sequence, Tuple
from typing import TypeVar, Union, overload

from ._errors import ConfigError, _Coded
from ._hookseal import Event

__all__ = ["Router", "UnhandledEventError"]

logger = logging.getLogger("hookseal")

_H = TypeVar("_H", bound=Callable[[Event], Any])

# The presets a router can be bound to (hookseal.Verifier's): a typo is unknown_provider, as for a verifier.
_PRESETS = ("elmed", "baremeds", "novamed", "standard-webhooks", "custom")
_UNHANDLED = ("accept", "reject")


class UnhandledEventError(_Coded):
    """A router with ``unhandled="reject"`` had no handler for the event: ``code`` is ``"unhandled_event"``,
    ``http_status`` 501. The framework helpers answer it ``{"error": "unhandled_event"}`` and release the claim."""

    event_type: Optional[str]
    idempotency_key: str
    provider: str

    def __init__(self, event_type: Optional[str], idempotency_key: str, provider: str) -> None:
        message = f"no handler for the delivery {idempotency_key} from {provider} ({_shown(event_type)})"
        super().__init__("unhandled_event", message, 501)
        self.event_type = event_type
        self.idempotency_key = idempotency_key
        self.provider = provider

    def __reduce__(self) -> tuple[type[UnhandledEventError], tuple[Optional[str], str, str]]:  # type: ignore[override]
        return (type(self), (self.event_type, self.idempotency_key, self.provider))


UnhandledEventError.__module__ = "hookseal"


class Router:
    """Routes a verified event to one handler by its event type (see the module's documentation)."""

    __slots__ = ("_provider", "_unhandled", "_patterns", "_exact", "_prefixes", "_catch_all")
    # Set by the generated provider routers (hookseal.events.<provider>.Router); found in the catalog otherwise.
    _catalog: ClassVar[Optional[str]] = None
    _documented: ClassVar[Optional[Tuple[str, ...]]] = None

    def __init__(self, provider: Optional[str] = None, unhandled: Literal["accept", "reject"] = "accept") -> None:
        if provider is not None and not isinstance(provider, str):
            raise ConfigError("invalid_option", f"a router's provider is a preset name, not {provider!r}")
        if provider is not None and provider not in _PRESETS:
            raise ConfigError("unknown_provider", f"no provider {provider!r}: one of {', '.join(_PRESETS)}")
        if unhandled not in _UNHANDLED:
            raise ConfigError("invalid_option", f'unhandled is "accept" or "reject", not {unhandled!r}')
        self._provider = provider
        self._unhandled: Literal["accept", "reject"] = unhandled
        self._patterns: List[str] = []
        self._exact: Dict[str, Callable[[Event], Any]] = {}
        self._prefixes: List[Tuple[str, Callable[[Event], Any]]] = []  # longest prefix first
        self._catch_all: Optional[Callable[[Event], Any]] = None

    @property
    def provider(self) -> Optional[str]:
        """The preset this router is bound to, or None."""
        return self._provider

    @property
    def unhandled(self) -> Literal["accept", "reject"]:
        """``"accept"`` or ``"reject"``: what an event without a handler gets."""
        return self._unhandled

    @property
    def patterns(self) -> Tuple[str, ...]:
        """Every registered pattern, in registration order."""
        return tuple(self._patterns)

    @overload
    def on(self, pattern: Union[str, Sequence[str]], handler: None = None) -> Callable[[_H], _H]: ...
    @overload
    def on(self, pattern: Union[str, Sequence[str]], handler: _H) -> _H: ...
    def on(self, pattern: Any, handler: Any = None) -> Any:
        """Registers ``handler`` for ``pattern``: an event type, ``prefix*``, ``*``, or a non-empty list of them (the
        same handler for each); returns the handler. Without ``handler``, a decorator. An invalid pattern, one already
        registered or a handler that is not callable is ``ConfigError`` (``invalid_option``). An exact pattern the
        bound provider's catalog does not name warns once the handler is registered (in the decorator form: when the
        decorator is applied)."""
        patterns = self._checked(pattern)
        if handler is None:

            def register(fn: _H) -> _H:
                self._register(patterns, fn)
                self._warn_undocumented(patterns)
                return fn

            return register
        self._register(patterns, handler)
        self._warn_undocumented(patterns)
        return handler

    def dispatch(self, event: Event) -> Any:
        """Runs the one handler for ``event`` and returns what it returned; None becomes the processed answer
        ``{"status": "processed", "event_type": ..., "idempotency_key": ...}``. An async handler's value is still an
        awaitable (a coroutine the caller awaits, which gives the handler's value, None made the processed answer).
        Without a handler: the accept answer, or :class:`UnhandledEventError` (``unhandled="reject"``)."""
        handler = self._handler_for(event)
        if handler is None:
            return self._unhandled_answer(event)
        answer = handler(event)
        if type(answer) is dict:  # the common answer, spared inspect's checks (they cost more than the lookup)
            return answer
        if answer is None:
            return _processed(event)
        if inspect.isawaitable(answer):
            return _processed_once_awaited(answer, event)
        return answer

    def __call__(self, event: Event) -> Any:
        """``dispatch``: a router is a view (Flask) or a handler wherever one is taken."""
        return self.dispatch(event)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(provider={self._provider!r}, unhandled={self._unhandled!r}, "
            f"patterns={self._patterns!r})"
        )

    # -- used by the framework helpers --

    def _handler_for(self, event: Event) -> Optional[Callable[[Event], Any]]:
        """The handler dispatch would run (None: unhandled); ConfigError for another provider's event."""
        if self._provider is not None and event.provider != self._provider:
            raise ConfigError("invalid_option", f"a router for {self._provider} was given a {event.provider} event")
        event_type = event.event_type
        if event_type is None:
            return self._catch_all
        exact = self._exact.get(event_type)
        if exact is not None:
            return exact
        for prefix, handler in self._prefixes:
            if event_type.startswith(prefix):
                return handler
        return self._catch_all

    def _check_verifier(self, provider: str, helper: str) -> None:
        """At a helper's setup: a router bound to another provider than the verifier's is a mis-wired route."""
        if self._provider is not None and self._provider != provider:
            raise ConfigError(
                "invalid_option", f"{helper}: a router for {self._provider} was given a {provider} verifier"
            )

    def _unhandled_answer(self, event: Event) -> Dict[str, Optional[str]]:
        if self._unhandled == "reject":
            raise UnhandledEventError(event.event_type, event.idempotency_key, event.provider)
        logger.info(
            "no handler for the delivery %s from %s (%s): accepted",
            event.idempotency_key, event.provider, _shown(event.event_type),
        )  # fmt: skip
        return {"status": "unhandled", "event_type": event.event_type, "idempotency_key": event.idempotency_key}

    # -- registration --

    def _checked(self, pattern: object) -> List[str]:
        if isinstance(pattern, str):
            patterns: List[object] = [pattern]
        elif isinstance(pattern, (list, tuple)):
            if not pattern:
                raise ConfigError("invalid_option", "an empty list of patterns: give at least one event type")
            patterns = list(pattern)
        else:
            raise ConfigError("invalid_option", f"a pattern is an event type or a list of them, not {pattern!r}")
        seen: List[str] = []
        for one in patterns:
            if not isinstance(one, str):
                raise ConfigError("invalid_option", f"a pattern is a string, not {one!r}")
            if not one:
                raise ConfigError("invalid_option", "an empty pattern: give an event type, prefix* or *")
            if "*" in one[:-1]:
                raise ConfigError(
                    "invalid_option", f"the pattern {one!r} has a * before its end: only a trailing * (prefix*) matches"
                )
            if one in seen or one in self._patterns:
                raise ConfigError("invalid_option", f"the pattern {one!r} already has a handler")
            seen.append(one)
        return seen

    def _register(self, patterns: List[str], handler: Callable[[Event], Any]) -> None:
        if not callable(handler):  # typed so, but not checked by Python
            raise ConfigError("invalid_option", f"the handler for {patterns[0]!r} is not callable: {handler!r}")
        for one in patterns:  # again: another registration may have come between on() and the decorator
            if one in self._patterns:
                raise ConfigError("invalid_option", f"the pattern {one!r} already has a handler")
        for one in patterns:
            self._patterns.append(one)
            if one == "*":
                self._catch_all = handler
            elif one.endswith("*"):
                self._prefixes.append((one[:-1], handler))
                self._prefixes.sort(key=lambda entry: -len(entry[0]))
            else:
                self._exact[one] = handler

    def _warn_undocumented(self, patterns: List[str]) -> None:
        documented, catalog = self._documented, self._catalog
        if documented is None and self._provider is not None:
            from .events import CATALOGS  # here: the generated modules import this one

            # Each preset's catalog; `custom`'s is the Management API's, the one custom provider catalogued (every
            # runtime checks it so). The warning names the preset, as every runtime's does.
            catalog = self._provider
            documented = CATALOGS.get("management-api" if self._provider == "custom" else self._provider)
        if documented is None:
            return
        for one in patterns:
            if one.endswith("*") or one in documented:
                continue
            nearest = _nearest(one, documented)
            hint = f"; did you mean {nearest!r}?" if nearest is not None else ""
            warnings.warn(f"hookseal: {catalog} documents no event {one!r}{hint}", UserWarning, _stacklevel())


def _processed(event: Event) -> Dict[str, Optional[str]]:
    """The answer for a handler that returned None: it did its work (every language answers so)."""
    return {"status": "processed", "event_type": event.event_type, "idempotency_key": event.idempotency_key}


def _processed_once_awaited(answer: Awaitable[Any], event: Event) -> Coroutine[Any, Any, Any]:
    """An async handler's awaitable, None made the processed answer once it has been awaited."""

    async def awaited() -> Any:
        value = await answer
        return _processed(event) if value is None else value

    return awaited()


def _shown(event_type: Optional[str]) -> str:
    """An event type in a log line: as sent, ``null`` when the delivery had none (every language writes it so)."""
    return "null" if event_type is None else event_type


def _nearest(word: str, candidates: Sequence[str]) -> Optional[str]:
    """The catalog's name at the least edit distance (at most 3; the first of equals), or None."""
    best: Optional[str] = None
    best_distance = 4
    for candidate in candidates:
        distance = _distance(word, candidate, best_distance)
        if distance < best_distance:
            best, best_distance = candidate, distance
    return best


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance (insert, delete, substitute); anything at or over ``limit`` is returned as ``limit``."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) >= limit:
            return limit
        previous = current
    return min(previous[-1], limit)


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _stacklevel() -> int:
    """The warning's stack level: the first frame outside hookseal (the on() call or the decorator line)."""
    level = 1
    frame: Optional[FrameType] = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)).startswith(_PACKAGE):
        level += 1
        frame = frame.f_back
    return level
