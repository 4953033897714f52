"""Errors the Brain's HTTP API raises on purpose.

Every class carries the HTTP status it answers with, a stable ``code`` (the suffix of the problem
``type`` URI, see :mod:`bento_service.problems`) and a ``title`` shared by every occurrence.
:class:`ServiceError` adds response headers, used by the auth errors for ``WWW-Authenticate``.

    EnterpriseBrainError (500)                  kernel.errors
    └── ServiceError (500)                      raised by the HTTP layer; may carry response headers
        ├── AuthError (401)
        │   ├── Unauthorized (401)              no/malformed/expired/badly signed token
        │   │                                   WWW-Authenticate: Bearer error="invalid_token"
        │   ├── Forbidden (403)                 valid token without a required scope
        │   │                                   WWW-Authenticate: Bearer error="insufficient_scope"
        │   └── AuthUnavailable (503)           signing keys cannot be loaded (JWKS down or missing)
        ├── NotFound (404)                      a resource (customer, decision, ...) does not exist
        └── BadRequest (400)                    a well-formed request the route cannot act on

Request bodies and parameters that fail FastAPI validation answer 422 without any of these classes
(see :func:`bento_service.problems.install_problem_handlers`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from kernel.errors import EnterpriseBrainError

__all__ = [
    "AUTH_REALM",
    "AuthError",
    "AuthUnavailable",
    "BadRequest",
    "Forbidden",
    "NotFound",
    "ServiceError",
    "Unauthorized",
]

AUTH_REALM = "wekeza-brain"


def _quote(value: str) -> str:
    """An RFC 7235 quoted-string: drop characters that would break the header."""
    cleaned = "".join(ch for ch in value if ch.isprintable() and ch not in '"\\')
    return f'"{cleaned}"'


class ServiceError(EnterpriseBrainError):
    """Base of the errors raised by the HTTP layer."""

    title: ClassVar[str] = "Internal Server Error"

    @property
    def headers(self) -> Mapping[str, str]:
        """Headers the problem response must carry (empty unless a subclass says otherwise)."""
        return {}


class AuthError(ServiceError):
    """Authentication or authorisation failed."""

    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class Unauthorized(AuthError):
    """No usable bearer token: missing, malformed, expired, wrong issuer/audience or bad signature.

    ``error`` is the RFC 6750 error code put in ``WWW-Authenticate``; it is ``None`` when the request
    carried no credentials at all (RFC 6750 §3.1: then the challenge has no error code).
    """

    def __init__(self, detail: str, *, error: str | None = "invalid_token") -> None:
        super().__init__(detail)
        self.error = error

    @property
    def headers(self) -> Mapping[str, str]:
        params = [f"realm={_quote(AUTH_REALM)}"]
        if self.error is not None:
            params += [f"error={_quote(self.error)}", f"error_description={_quote(self.detail)}"]
        return {"WWW-Authenticate": "Bearer " + ", ".join(params)}


class Forbidden(AuthError):
    """The token is valid but lacks a scope the route requires; ``missing`` names them."""

    status = 403
    code = "forbidden"
    title = "Forbidden"

    def __init__(self, missing: Iterable[str]) -> None:
        self.missing: tuple[str, ...] = tuple(sorted(set(missing)))
        names = ", ".join(f"'{scope}'" for scope in self.missing)
        plural = "s" if len(self.missing) > 1 else ""
        super().__init__(f"the token lacks the required scope{plural} {names}")

    @property
    def headers(self) -> Mapping[str, str]:
        params = [
            f"realm={_quote(AUTH_REALM)}",
            f"error={_quote('insufficient_scope')}",
            f"scope={_quote(' '.join(self.missing))}",
        ]
        return {"WWW-Authenticate": "Bearer " + ", ".join(params)}


class AuthUnavailable(AuthError):
    """Tokens cannot be checked right now: the JWKS endpoint is down or the key file is missing."""

    status = 503
    code = "auth-unavailable"
    title = "Authentication Unavailable"


class NotFound(ServiceError):
    status = 404
    code = "not-found"
    title = "Not Found"


class BadRequest(ServiceError):
    status = 400
    code = "bad-request"
    title = "Bad Request"
