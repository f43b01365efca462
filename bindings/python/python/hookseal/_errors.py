"""The error classes (docs/api.md, docs/exactly-once.md). The native module raises them; they are plain Python so
that they can subclass ValueError (or Exception) under the stable ABI, and so that tests can raise them too."""

from __future__ import annotations

from typing import Optional

__all__ = ["VerificationError", "ConfigError", "StoreError"]


class _Coded(Exception):
    """What every hookseal error carries. The ones where the input is at fault add ValueError as a base."""

    code: str
    """The contract's error code (docs/providers.md, "Error codes"): the same string in every language."""
    message: str
    """What went wrong, for logs. It never contains a secret."""
    http_status: int
    """The status a receiver answers with: 401 (not genuine), 413 (too large), 400 (refused), 503 (store
    unavailable), 500 (configuration)."""

    def __init__(self, code: str, message: str, http_status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status

    def __reduce__(self) -> tuple[type[_Coded], tuple[str, str, int]]:
        return (type(self), (self.code, self.message, self.http_status))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class _HooksealError(_Coded, ValueError):
    """A hookseal error where the input (a delivery, an option) is at fault."""


class VerificationError(_HooksealError):
    """A delivery failed verification: not genuine, malformed, or refused by a rule. ``.code`` says which."""

    def __init__(self, code: str, message: str, http_status: Optional[int] = None) -> None:
        super().__init__(code, message, _status(code) if http_status is None else http_status)


class ConfigError(_HooksealError):
    """A verifier (or ``sign``) cannot be built from these options: ``invalid_secret``, ``insecure_default_key``,
    ``unknown_provider`` or ``invalid_option``."""

    def __init__(self, code: str, message: str, http_status: Optional[int] = None) -> None:
        super().__init__(code, message, _status(code) if http_status is None else http_status)


class StoreError(_Coded):
    """The dedupe store cannot be reached (``store_unavailable``: connection refused, a timeout, the SQLite file locked
    or its disk full). Not a ValueError: the delivery is fine, and its retry succeeds once the store is back. The
    framework helpers answer it 503 with ``Retry-After``; the handler does not run."""

    def __init__(self, code: str, message: str, http_status: Optional[int] = None) -> None:
        super().__init__(code, message, _status(code) if http_status is None else http_status)


def _status(code: str) -> int:
    # The core's table (ErrorCode::http_status), so an error made here answers like one raised by the core.
    from ._hookseal import _http_status

    return _http_status(code)


VerificationError.__module__ = "hookseal"
ConfigError.__module__ = "hookseal"
StoreError.__module__ = "hookseal"


def payload_too_large(limit: int) -> VerificationError:
    """The error a framework helper raises when a request body is over ``limit`` before it reaches the verifier (a
    declared Content-Length, or a streamed body that keeps going)."""
    return VerificationError("payload_too_large", f"the body is over the limit of {limit} bytes")
