"""Bearer-token authentication and scopes for the Brain's HTTP API.

The core is framework-free:

* :class:`DevTokenIssuer` (embedded mode): keeps an RSA key pair under a directory
  (``signing_key.pem``, mode 0600, and the public ``jwks.json``) and mints RS256 access tokens
  with ``iss``, ``aud``, ``sub``, ``scope`` (space-separated, OAuth 2 style), ``iat``, ``exp``, ``jti``.
* :class:`TokenVerifier`: checks RS256/ES256 tokens against a JWKS, either a local file (embedded)
  or a URL (services mode, cached, short timeout), and returns a :class:`Principal`. Every failure
  raises :class:`~bento_service.errors.Unauthorized` with a precise detail; ``alg: none`` and HS*
  tokens are refused before any key is looked up.

:func:`require_scope` wraps a FastAPI dependency providing the verifier into one that
authenticates: no ``Authorization: Bearer`` header → 401, token without the route's scope → 403.
Scopes are exact strings (see :class:`Scope`); no scope implies another, ``admin`` included.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Final

import jwt
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from bento_service.dev_tokens import DevTokenIssuer
from bento_service.errors import AuthUnavailable, Forbidden, Unauthorized
from bento_service.scopes import KNOWN_SCOPES, Scope

__all__ = [
    "ACCEPTED_ALGORITHMS",
    "KNOWN_SCOPES",
    "DevTokenIssuer",
    "Principal",
    "Scope",
    "TokenVerifier",
    "require_scope",
]

_log = logging.getLogger(__name__)

ACCEPTED_ALGORITHMS: Final = ("RS256", "ES256")
_REQUIRED_CLAIMS: Final = ["exp", "iat", "iss", "aud", "sub"]
_DEFAULT_LEEWAY: Final = timedelta(seconds=10)
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 §3.3 scope-token


@dataclass(frozen=True, slots=True)
class Principal:
    """Who called: the verified token's subject, scopes, client and expiry."""

    subject: str
    scopes: frozenset[str]
    client_id: str | None
    expires_at: datetime
    token_id: str | None = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class _LocalJwks:
    """A JWKS file, re-read when its modification time changes (key rotation without restart)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._keys: jwt.PyJWKSet | None = None

    def keys(self) -> jwt.PyJWKSet:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            raise AuthUnavailable(f"no signing keys: {self.path} does not exist") from None
        with self._lock:
            if self._keys is None or stamp != self._stamp:
                try:
                    self._keys = jwt.PyJWKSet.from_json(self.path.read_text(encoding="utf-8"))
                except (OSError, ValueError, jwt.PyJWTError) as exc:
                    raise AuthUnavailable(f"unusable JWKS file {self.path}: {exc}") from exc
                self._stamp = stamp
            return self._keys

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        candidates = [key for key in self.keys().keys if key.public_key_use in ("sig", None)]
        if kid is None:
            if len(candidates) == 1:
                return candidates[0]
            raise Unauthorized("the token header has no 'kid' and several keys could have signed it")
        for key in candidates:
            if key.key_id == kid:
                return key
        raise Unauthorized(f"the token was signed by an unknown key (kid '{kid[:64]}')")


class _RemoteJwks:
    """A JWKS URL, fetched through ``jwt.PyJWKClient`` with its set cached for ``lifespan``."""

    def __init__(self, url: str, *, timeout: float, lifespan: timedelta) -> None:
        self.url = url
        self._client = jwt.PyJWKClient(
            url, cache_jwk_set=True, lifespan=lifespan.total_seconds(), timeout=timeout
        )

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        if kid is None:
            raise Unauthorized("the token header has no 'kid'")
        try:
            return self._client.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as exc:
            _log.warning("JWKS endpoint %s unreachable: %s", self.url, exc)
            raise AuthUnavailable("the signing keys cannot be fetched right now") from exc
        except jwt.PyJWKSetError as exc:
            raise AuthUnavailable(f"the JWKS endpoint returned no usable keys: {exc}") from exc
        except jwt.PyJWKClientError as exc:
            if "Unable to find a signing key" in str(exc):
                raise Unauthorized(f"the token was signed by an unknown key (kid '{kid[:64]}')") from exc
            raise AuthUnavailable(f"the JWKS endpoint answered badly: {exc}") from exc


_ERROR_DETAILS: Final[tuple[tuple[type[jwt.PyJWTError], str], ...]] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidAudienceError, "the token was not issued for this audience"),
    (jwt.InvalidIssuerError, "the token was not issued by the trusted issuer"),
    (jwt.InvalidSignatureError, "the token signature is invalid"),
    (jwt.InvalidAlgorithmError, "the token algorithm does not match its key"),
    (jwt.DecodeError, "the token is malformed"),
)


class TokenVerifier:
    """Verifies bearer tokens against a JWKS and returns the :class:`Principal` they name.

    Build one per process with :meth:`from_jwks_file` (embedded) or :meth:`from_jwks_url`
    (services); it is thread-safe. ``blocking`` tells callers whether :meth:`verify` may do network
    I/O (URL mode), so async code can run it in a thread. Verified tokens are cached (bounded LRU,
    ``cache_size`` entries, 0 disables) because an RSA check costs ~0.1 ms per request.
    """

    def __init__(
        self,
        keys: _LocalJwks | _RemoteJwks,
        *,
        issuer: str,
        audience: str,
        leeway: timedelta = _DEFAULT_LEEWAY,
        cache_size: int = 1024,
        cache_ttl: timedelta = timedelta(seconds=60),
    ) -> None:
        self._keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.blocking = isinstance(keys, _RemoteJwks)
        self._cache_size = cache_size
        self._cache_ttl = cache_ttl.total_seconds()
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_lock = threading.Lock()

    @classmethod
    def from_jwks_file(
        cls,
        path: Path,
        *,
        issuer: str,
        audience: str,
        leeway: timedelta = _DEFAULT_LEEWAY,
        cache_size: int = 1024,
    ) -> TokenVerifier:
        keys = _LocalJwks(Path(path))
        return cls(keys, issuer=issuer, audience=audience, leeway=leeway, cache_size=cache_size)

    @classmethod
    def from_jwks_url(
        cls,
        url: str,
        *,
        issuer: str,
        audience: str,
        leeway: timedelta = _DEFAULT_LEEWAY,
        timeout: float = 2.0,
        cache_lifespan: timedelta = timedelta(minutes=5),
        cache_size: int = 1024,
    ) -> TokenVerifier:
        keys = _RemoteJwks(url, timeout=timeout, lifespan=cache_lifespan)
        return cls(keys, issuer=issuer, audience=audience, leeway=leeway, cache_size=cache_size)

    def cached_principal(self, token: str) -> Principal | None:
        """The principal of a token verified in the last ``cache_ttl`` and not expired, else ``None``.

        Never does I/O, so async callers can try it before running :meth:`verify` in a thread.
        """
        if self._cache_size <= 0:
            return None
        with self._cache_lock:
            entry = self._cache.get(token)
            if entry is None:
                return None
            principal, cached_until = entry
            now = time.time()
            if now >= cached_until or now > principal.expires_at.timestamp() + self.leeway.total_seconds():
                del self._cache[token]
                return None
            self._cache.move_to_end(token)
            return principal

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; :class:`Unauthorized` naming the failure otherwise.

        Raises :class:`AuthUnavailable` (503) when the keys themselves cannot be loaded. A token
        verified less than ``cache_ttl`` ago (60 s by default) is answered from a bounded cache, so
        a key removed from the JWKS stops being honoured within that time.
        """
        principal = self.cached_principal(token)
        if principal is not None:
            return principal
        principal = self._verify(token)
        if self._cache_size > 0:
            with self._cache_lock:
                self._cache[token] = (principal, time.time() + self._cache_ttl)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return principal

    def _verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("the token is malformed") from None
        alg = header.get("alg")
        if alg not in ACCEPTED_ALGORITHMS:
            accepted = ", ".join(ACCEPTED_ALGORITHMS)
            raise Unauthorized(
                f"the token algorithm '{str(alg)[:20]}' is not accepted (use one of {accepted})"
            )
        kid = header.get("kid")
        key = self._keys.key_for(kid if isinstance(kid, str) else None)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"the token lacks the '{exc.claim}' claim") from None
        except jwt.PyJWTError as exc:
            for kind, detail in _ERROR_DETAILS:
                if isinstance(exc, kind):
                    raise Unauthorized(detail) from None
            raise Unauthorized(f"the token is invalid: {exc}") from None
        return _principal(claims)


def _principal(claims: Mapping[str, Any]) -> Principal:
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise Unauthorized("the token 'sub' claim is not a non-empty string")
    raw_scope = claims.get("scope", claims.get("scp", ""))
    if isinstance(raw_scope, str):
        scopes = frozenset(raw_scope.split())
    elif isinstance(raw_scope, list) and all(isinstance(item, str) for item in raw_scope):
        scopes = frozenset(raw_scope)
    else:
        raise Unauthorized("the token 'scope' claim is neither a string nor a list of strings")
    client_id = claims.get("client_id", claims.get("azp"))
    token_id = claims.get("jti")
    return Principal(
        subject=subject,
        scopes=scopes,
        client_id=client_id if isinstance(client_id, str) else None,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        token_id=token_id if isinstance(token_id, str) else None,
    )


# ------------------------------------------------------------------------------------- FastAPI

_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An access token (JWT, RS256/ES256) whose `scope` claim holds the route's scopes.",
)


def require_scope(
    verifier_dependency: Callable[..., TokenVerifier | Awaitable[TokenVerifier]], *scopes: str
) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency that authenticates the request and demands every scope in ``scopes``.

    ``verifier_dependency`` is itself a FastAPI dependency providing the :class:`TokenVerifier`
    (the API's is :func:`bento_service.deps.request_verifier`, reading the app's dependencies).
    ``Depends(require_scope(request_verifier, Scope.CUSTOMER_READ))`` returns the
    :class:`Principal`; with no scopes it only authenticates. No/invalid bearer token →
    :class:`Unauthorized` (401), missing scope → :class:`Forbidden` (403); both render as problems
    once :func:`bento_service.problems.install_problem_handlers` is installed.
    """
    required = frozenset(str(scope) for scope in scopes)

    async def dependency(
        request: Request,
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
        # a default, not ``Annotated``: FastAPI resolves this module's (postponed) annotations in its
        # globals, where ``verifier_dependency`` is not
        verifier: TokenVerifier = Depends(verifier_dependency),  # noqa: B008
    ) -> Principal:
        token = _bearer_token(request.headers.get("authorization"))
        principal = verifier.cached_principal(token)
        if principal is None:
            if verifier.blocking:  # may fetch the JWKS: keep the event loop free
                principal = await run_in_threadpool(verifier.verify, token)
            else:
                principal = verifier.verify(token)
        missing = required - principal.scopes
        if missing:
            raise Forbidden(missing)
        return principal

    return dependency


def _bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("the request has no 'Authorization: Bearer' header", error=None)
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        # no bearer credentials at all: RFC 6750 §3.1 says the challenge then has no error code
        raise Unauthorized(f"the Authorization scheme must be 'Bearer', not '{scheme[:20]}'", error=None)
    token = token.strip()
    if not token:
        raise Unauthorized("the bearer token is empty")
    return token
