"""Development tokens: an RS256 key pair under the run directory and the tokens it signs.

The embedded default (no authorization server) and ``brain token`` use it; a services deployment
verifies tokens from its identity provider's JWKS instead. Kept apart from
:mod:`bento_service.auth` (the verifier and the FastAPI dependency) so that minting a token imports
neither FastAPI nor the service.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bento_service.errors import AuthUnavailable
from bento_service.scopes import KNOWN_SCOPES
from bento_service.settings import ServiceSettings

__all__ = ["DevTokenIssuer", "dev_token_issuer"]

_log = logging.getLogger(__name__)
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 §3.3 scope-token


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _rsa_thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256), used as the ``kid``."""
    numbers = public_key.public_numbers()
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _write_atomic(path: Path, data: bytes, *, exclusive: bool, mode: int = 0o600) -> bool:
    """Write ``data`` to ``path`` (with ``mode``) through a temporary file in the same directory.

    With ``exclusive`` the file is only created if absent (``os.link`` fails otherwise), so several
    workers starting together agree on one key; returns whether this call created it.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
        else:
            os.replace(tmp, path)
        return True
    finally:
        Path(tmp).unlink(missing_ok=True)


class DevTokenIssuer:
    """Mints RS256 access tokens with a key pair kept in ``key_dir`` (embedded/development mode).

    The key pair is created on first use (:meth:`ensure_keys`, called by :meth:`mint`) and reused
    afterwards; ``jwks.json`` next to it is what a :class:`TokenVerifier` reads. ``clock`` exists
    for tests (tokens minted in the past).
    """

    KEY_FILE: Final = "signing_key.pem"
    JWKS_FILE: Final = "jwks.json"

    def __init__(
        self,
        key_dir: Path,
        *,
        issuer: str,
        audience: str,
        key_size: int = 2048,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.key_dir = Path(key_dir)
        self.issuer = issuer
        self.audience = audience
        self._key_size = key_size
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._key: rsa.RSAPrivateKey | None = None
        self._kid: str | None = None

    @property
    def key_path(self) -> Path:
        return self.key_dir / self.KEY_FILE

    @property
    def jwks_path(self) -> Path:
        return self.key_dir / self.JWKS_FILE

    @property
    def kid(self) -> str:
        self.ensure_keys()
        assert self._kid is not None
        return self._kid

    def ensure_keys(self) -> None:
        """Load the key pair, generating it (and writing ``jwks.json``) if the directory has none."""
        with self._lock:
            if self._key is not None:
                return
            self.key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.key_path.exists():
                fresh = rsa.generate_private_key(public_exponent=65537, key_size=self._key_size)
                pem = fresh.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                if _write_atomic(self.key_path, pem, exclusive=True):
                    _log.info("generated a development signing key in %s", self.key_dir)
            loaded = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise AuthUnavailable(f"{self.key_path} does not hold an RSA private key")
            kid = _rsa_thumbprint(loaded.public_key())
            jwks = json.dumps({"keys": [self._public_jwk(loaded, kid)]}, indent=2).encode()
            if not self.jwks_path.exists() or self.jwks_path.read_bytes() != jwks:
                _write_atomic(self.jwks_path, jwks, exclusive=False, mode=0o644)
            self._key, self._kid = loaded, kid

    @staticmethod
    def _public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
        return jwk

    def mint(
        self,
        subject: str,
        scopes: Iterable[str],
        ttl: timedelta,
        *,
        client_id: str | None = None,
    ) -> str:
        """An RS256 access token for ``subject`` holding ``scopes``, valid for ``ttl``."""
        if not subject:
            raise ValueError("subject must not be empty")
        if ttl <= timedelta(0):
            raise ValueError(f"ttl must be positive, got {ttl}")
        scope_list = sorted(set(scopes))
        bad = [scope for scope in scope_list if not _SCOPE_TOKEN.match(scope)]
        if bad:
            raise ValueError(f"invalid scope strings: {bad}")
        unknown = [scope for scope in scope_list if scope not in KNOWN_SCOPES]
        if unknown:
            _log.warning("minting a token with scopes no route uses: %s", unknown)
        self.ensure_keys()
        assert self._key is not None
        now = self._clock()
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "scope": " ".join(scope_list),
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        if client_id is not None:
            claims["client_id"] = client_id
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self._kid, "typ": "at+jwt"})


# ----------------------------------------------------------------------------------- verifying


def dev_token_issuer(settings: ServiceSettings) -> DevTokenIssuer:
    """The development issuer of ``settings``' run directory and profile."""
    return DevTokenIssuer(settings.auth_dir, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
