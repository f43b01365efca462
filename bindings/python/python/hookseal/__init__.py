"""hookseal: receiver-side webhook verification for ELMED, Baremeds-EHR, NovaMed, Standard Webhooks and custom
providers. One Rust core: constant-time signature and key checks on the raw body, envelope parsing, idempotency keys.

    import hookseal
    verifier = hookseal.Verifier("elmed", secret="...")
    event = verifier.verify(request_body_bytes, request_headers)
    event.event_type, event.idempotency_key, event.data

Framework helpers: ``hookseal.flask`` and ``hookseal.fastapi``.
"""

from ._errors import ConfigError, VerificationError
from ._hookseal import Event, Verifier, __version__, sign

__all__ = ["Verifier", "Event", "VerificationError", "ConfigError", "sign", "__version__"]
