"""``hookseal.verify``: the one-call form for scripts and tests, over a per-process cache of verifiers, so that a loop
does not rebuild the same keys on every call (building a verifier decodes its secrets and checks its options)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Optional, Union

from ._hookseal import Event, Verifier

if TYPE_CHECKING:
    from collections.abc import Sequence

    from typing_extensions import TypedDict, Unpack

    from ._hookseal import _Body, _Headers

    class _Options(TypedDict, total=False):
        secret: Optional[str]
        secrets: Optional[Sequence[str]]
        clinic_id: Optional[str]
        allow_insecure_default: Optional[bool]
        scheme: Optional[str]
        header: Optional[str]
        prefix: Optional[str]
        encoding: Optional[str]
        tolerance: Optional[int]
        max_body_bytes: Optional[int]


__all__ = ["verify"]

CACHE_SIZE = 32
"""Verifiers kept per process, least recently used evicted first: enough for every provider and secret a script or a
test suite uses, small enough that the secrets of a long-gone configuration do not stay in memory."""

_cache: OrderedDict[bytes, Verifier] = OrderedDict()
_lock = threading.Lock()


def verify(
    provider: str, body: _Body, headers: _Headers, *, now: Union[int, float, None] = None, **options: Unpack[_Options]
) -> Event:
    """Verifies one delivery, as ``hookseal.Verifier(provider, **options).verify(body, headers, now)`` does, with the
    verifier taken from a cache of the last 32 configurations (keyed by a digest of the provider and the options,
    secrets included; ``now`` is not part of it). Raises the same errors: :class:`hookseal.ConfigError` for options
    that cannot build a verifier (on every call: a failed configuration is not cached),
    :class:`hookseal.VerificationError` for a refused delivery.

    A server builds its ``Verifier`` once instead; this is for scripts, tests and one-off checks."""
    return _verifier(provider, options).verify(body, headers, now)


def _verifier(provider: str, options: Any) -> Verifier:
    key = _key(provider, options)
    if key is None:  # not cached: Verifier says what is wrong with such a value
        return Verifier(provider, **options)
    with _lock:
        verifier = _cache.get(key)
        if verifier is not None:
            _cache.move_to_end(key)
            return verifier
    verifier = Verifier(provider, **options)  # outside the lock: raises ConfigError, cached only once built
    with _lock:
        _cache[key] = verifier
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return verifier


def _key(provider: object, options: dict[str, Any]) -> Optional[bytes]:
    """A digest of the configuration (the cache keys by it rather than by the options themselves); None for a value
    of another type than the options take (Verifier refuses it, or it is something whose repr would not identify it)."""
    if not isinstance(provider, str) or not all(_plain(value) for value in options.values()):
        return None
    canonical = repr((provider, sorted((name, _typed(value)) for name, value in options.items())))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).digest()


_PLAIN = (str, int, float, bool, type(None))


def _plain(value: object) -> bool:
    if isinstance(value, (list, tuple)):
        return all(type(item) in _PLAIN for item in value)
    return type(value) in _PLAIN


def _typed(value: Any) -> Any:
    # The type is part of the key: True == 1 and ["s"] == ("s",) to Python, not necessarily to Verifier.
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple((type(item).__name__, item) for item in value))
    return (type(value).__name__, value)
