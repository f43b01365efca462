# Stubs for the native module (bindings/python/src). `make test` checks them against the module with mypy.stubtest.
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal, Union, final

from typing_extensions import TypeAlias

__all__ = ["Verifier", "Event", "Store", "Claim", "sign", "_http_status", "_OPTION_NAMES", "__version__"]

__version__: Final[str]
_OPTION_NAMES: Final[list[str]]

def _http_status(code: str) -> int: ...

_Text: TypeAlias = Union[str, bytes]
_Body: TypeAlias = Union[bytes, bytearray, memoryview]
_Headers: TypeAlias = Union[
    Mapping[str, Union[_Text, Sequence[_Text]]],
    Iterable[Union[tuple[_Text, _Text], Sequence[_Text]]],
]
"""A Mapping (dict, Flask's request.headers, Starlette's Headers; values may be lists for repeated headers) or
(name, value) pairs."""

@final
class Event:
    """A delivery that passed verification."""

    @property
    def provider(self) -> str: ...
    @property
    def event_type(self) -> str | None: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def idempotency_key_source(self) -> str: ...
    @property
    def timestamp(self) -> str | None: ...
    @property
    def data(self) -> Any: ...
    @property
    def is_test(self) -> bool: ...
    @property
    def is_retry(self) -> bool: ...
    @property
    def metadata(self) -> dict[str, Any] | None: ...
    @property
    def clinic_id(self) -> str | None: ...
    def to_dict(self) -> dict[str, Any]:
        """The ten fields under their snake_case names (``event_type``, ``idempotency_key``, ...), as PHP's
        ``toArray()`` and the CLI give them: ready for ``json.dumps``, a queue or a database row."""

@final
class Verifier:
    """Verifies deliveries for one provider: build it once, share it across threads."""

    def __new__(
        cls,
        provider: str,
        *,
        secret: str | None = ...,
        secrets: Sequence[str] | None = ...,
        clinic_id: str | None = ...,
        allow_insecure_default: bool | None = ...,
        scheme: str | None = ...,
        header: str | None = ...,
        prefix: str | None = ...,
        encoding: str | None = ...,
        tolerance: int | None = ...,
        max_body_bytes: int | None = ...,
    ) -> Verifier: ...
    def verify(self, body: _Body, headers: _Headers, now: int | float | None = None) -> Event: ...
    @property
    def provider(self) -> str: ...
    @property
    def max_body_bytes(self) -> int: ...

def sign(
    provider: str,
    body: _Body,
    *,
    secret: str | None = ...,
    secrets: Sequence[str] | None = ...,
    clinic_id: str | None = ...,
    allow_insecure_default: bool | None = ...,
    scheme: str | None = ...,
    header: str | None = ...,
    prefix: str | None = ...,
    encoding: str | None = ...,
    tolerance: int | None = ...,
    max_body_bytes: int | None = ...,
    now: int | None = ...,
    webhook_id: str | None = ...,
) -> dict[str, str]: ...

@final
class Claim:
    """What ``Store.claim`` found. A ``claimed`` one is handed back to ``complete`` or ``release``."""

    @property
    def status(self) -> Literal["claimed", "duplicate", "in_progress"]: ...
    @property
    def retry_after(self) -> int | None:
        """For ``in_progress``: the seconds left on the other worker's lease, at least 1 (the ``Retry-After``)."""
    @property
    def namespace(self) -> str: ...

@final
class Store:
    """A dedupe store shared by every worker (``memory:``, ``sqlite:///path.db``, ``redis://…``, ``rediss://…``).
    Open it once per process; it is safe to share across threads, and every call releases the GIL."""

    def __new__(cls, url: str, *, lease: float | None = None, retention: float | None = None) -> Store: ...
    def claim(self, namespace: str, key: str | bytes) -> Claim: ...
    def complete(self, claim: Claim) -> bool: ...
    def release(self, claim: Claim) -> bool: ...
    @property
    def backend(self) -> Literal["memory", "sqlite", "redis"]: ...
    @property
    def url(self) -> str:
        """The URL with any password replaced by ``***``."""
    @property
    def lease(self) -> float: ...
    @property
    def retention(self) -> float: ...
