"""The error tree shared by every package of the Brain.

Each package defines its own ``errors.py`` whose classes derive from :class:`EnterpriseBrainError`.
Every error carries the HTTP status an API should answer with when it escapes to a caller, and a
stable ``code`` that is used as the problem ``type`` suffix.

    EnterpriseBrainError (500)
    ├── ConfigurationError (500)
    ├── InvalidEvent (422)            pipelines: an event failed validation → DLQ
    ├── TransportError (503)          pipelines: Kafka / in-process bus failure
    └── (per package, e.g. identity.errors.IdentityError, bento_service.errors.AuthError)
"""

from __future__ import annotations

__all__ = ["ConfigurationError", "EnterpriseBrainError", "InvalidEvent", "TransportError"]


class EnterpriseBrainError(Exception):
    """Base of every error the Brain raises on purpose."""

    status: int = 500
    code: str = "internal-error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ConfigurationError(EnterpriseBrainError):
    code = "configuration-error"


class InvalidEvent(EnterpriseBrainError):
    """An event that cannot be parsed or validated; it goes to ``<topic>.dlq`` with this reason."""

    status = 422
    code = "invalid-event"


class TransportError(EnterpriseBrainError):
    status = 503
    code = "transport-unavailable"
