"""Token issuing and verification, and the FastAPI scope dependency.

No ``from __future__ import annotations`` here: the test app's dependencies are closures, which
FastAPI can only see in evaluated annotations.
"""

import base64
import hashlib
import hmac
import json
import socket
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm

from bento_service import auth
from bento_service.auth import KNOWN_SCOPES, DevTokenIssuer, Principal, Scope, TokenVerifier, require_scope
from bento_service.errors import AuthUnavailable, Unauthorized
from bento_service.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers

pytestmark = pytest.mark.unit

ISS = "https://brain.wekeza.test/embedded"
AUD = "wekeza-brain-api"
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("auth") / "embedded" / "auth"


@pytest.fixture(scope="module")
def issuer(key_dir: Path) -> DevTokenIssuer:
    issuer = DevTokenIssuer(key_dir, issuer=ISS, audience=AUD)
    issuer.ensure_keys()
    return issuer


@pytest.fixture(scope="module")
def verifier(issuer: DevTokenIssuer) -> TokenVerifier:
    issuer.ensure_keys()
    return TokenVerifier.from_jwks_file(issuer.jwks_path, issuer=ISS, audience=AUD)


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> DevTokenIssuer:
    """Same issuer and audience, but its own key pair."""
    stranger = DevTokenIssuer(tmp_path_factory.mktemp("stranger"), issuer=ISS, audience=AUD)
    stranger.ensure_keys()
    return stranger


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {
        "iss": ISS,
        "aud": AUD,
        "sub": "analyst-1",
        "scope": "customer:read",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return claims


def _issuer_key(issuer: DevTokenIssuer) -> Any:
    return serialization.load_pem_private_key(issuer.key_path.read_bytes(), password=None)


def _unauthorized(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthorized) as info:
        verifier.verify(token)
    assert info.value.status == 401
    return info.value.detail


# ------------------------------------------------------------------------------------ issuing


def test_mint_and_verify_round_trip(issuer: DevTokenIssuer, verifier: TokenVerifier) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    token = issuer.mint("analyst-1", [Scope.CUSTOMER_READ, "pii:read"], HOUR, client_id="brain-cli")
    principal = verifier.verify(token)

    assert principal.subject == "analyst-1"
    assert principal.scopes == frozenset({"customer:read", "pii:read"})
    assert principal.client_id == "brain-cli"
    assert before + HOUR <= principal.expires_at <= datetime.now(UTC) + HOUR
    assert principal.token_id is not None and len(principal.token_id) == 32
    assert principal.has_scope(Scope.PII_READ) and not principal.has_scope(Scope.ADMIN)


def test_minted_token_claims_and_header(issuer: DevTokenIssuer) -> None:
    token = issuer.mint("svc-decisions", ["decision:write", "customer:read"], timedelta(minutes=5))
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})

    assert header["alg"] == "RS256" and header["kid"] == issuer.kid
    assert claims["iss"] == ISS and claims["aud"] == AUD and claims["sub"] == "svc-decisions"
    assert claims["scope"] == "customer:read decision:write"
    assert claims["exp"] - claims["iat"] == 300
    assert "client_id" not in claims
    assert claims["jti"] != jwt.decode(issuer.mint("x", [], HOUR), options={"verify_signature": False})["jti"]


def test_key_files_are_created_once_and_private(issuer: DevTokenIssuer, key_dir: Path) -> None:
    issuer.ensure_keys()
    assert stat.S_IMODE(issuer.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(issuer.jwks_path.stat().st_mode) == 0o644
    jwks = json.loads(issuer.jwks_path.read_text())
    (jwk,) = jwks["keys"]
    assert jwk["kid"] == issuer.kid and jwk["kty"] == "RSA" and jwk["alg"] == "RS256"
    assert "d" not in jwk  # public half only

    again = DevTokenIssuer(key_dir, issuer=ISS, audience=AUD)
    assert again.kid == issuer.kid  # the existing key is reused, not regenerated
    assert issuer.key_path.read_bytes() == again.key_path.read_bytes()


@pytest.mark.parametrize(
    ("scopes", "ttl"),
    [(["customer read"], HOUR), (['bad"quote'], HOUR), ([""], HOUR), (["admin"], timedelta(0))],
)
def test_mint_rejects_bad_input(issuer: DevTokenIssuer, scopes: list[str], ttl: timedelta) -> None:
    with pytest.raises(ValueError):
        issuer.mint("someone", scopes, ttl)


def test_known_scopes() -> None:
    assert KNOWN_SCOPES == {
        "customer:read",
        "decision:write",
        "decision:read",
        "identity:read",
        "identity:write",
        "pii:read",
        "transaction:read",
        "risk:read",
        "intake:write",
        "admin",
    }


# ---------------------------------------------------------------------------------- rejecting


def test_expired_token(key_dir: Path, verifier: TokenVerifier) -> None:
    past = DevTokenIssuer(key_dir, issuer=ISS, audience=AUD, clock=lambda: datetime.now(UTC) - HOUR)
    token = past.mint("analyst-1", ["customer:read"], timedelta(minutes=5))
    assert _unauthorized(verifier, token) == "the token has expired"


def test_expiry_within_leeway_is_accepted(key_dir: Path, verifier: TokenVerifier) -> None:
    ttl = timedelta(minutes=5)
    just_expired = DevTokenIssuer(
        key_dir, issuer=ISS, audience=AUD, clock=lambda: datetime.now(UTC) - ttl - timedelta(seconds=3)
    )
    assert verifier.verify(just_expired.mint("analyst-1", [], ttl)).subject == "analyst-1"


def test_wrong_audience(key_dir: Path, verifier: TokenVerifier) -> None:
    other = DevTokenIssuer(key_dir, issuer=ISS, audience="another-api")
    assert _unauthorized(verifier, other.mint("a", [], HOUR)) == "the token was not issued for this audience"


def test_wrong_issuer(key_dir: Path, verifier: TokenVerifier) -> None:
    other = DevTokenIssuer(key_dir, issuer="https://evil.example", audience=AUD)
    detail = _unauthorized(verifier, other.mint("a", [], HOUR))
    assert detail == "the token was not issued by the trusted issuer"


def test_tampered_payload(issuer: DevTokenIssuer, verifier: TokenVerifier) -> None:
    header, _, signature = issuer.mint("analyst-1", ["customer:read"], HOUR).split(".")
    forged = _b64(json.dumps(_claims(scope="customer:read admin")).encode())
    detail = _unauthorized(verifier, f"{header}.{forged}.{signature}")
    assert detail == "the token signature is invalid"


def test_tampered_signature(issuer: DevTokenIssuer, verifier: TokenVerifier) -> None:
    header, payload, signature = issuer.mint("analyst-1", [], HOUR).split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0xFF
    assert (
        _unauthorized(verifier, f"{header}.{payload}.{_b64(bytes(raw))}") == "the token signature is invalid"
    )


def test_token_from_another_key(
    stranger: DevTokenIssuer, issuer: DevTokenIssuer, verifier: TokenVerifier
) -> None:
    detail = _unauthorized(verifier, stranger.mint("a", ["admin"], HOUR))
    assert detail.startswith("the token was signed by an unknown key")

    # another key claiming our kid: the signature does not verify
    impostor = jwt.encode(_claims(), _issuer_key(stranger), algorithm="RS256", headers={"kid": issuer.kid})
    assert _unauthorized(verifier, impostor) == "the token signature is invalid"


def test_alg_none_is_refused(issuer: DevTokenIssuer, verifier: TokenVerifier) -> None:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": issuer.kid}).encode())
    payload = _b64(json.dumps(_claims(scope="admin")).encode())
    assert "algorithm 'none' is not accepted" in _unauthorized(verifier, f"{header}.{payload}.")
    assert _unauthorized(verifier, f"{header}.{payload}") == "the token is malformed"


@pytest.mark.parametrize("secret_from_public_key", [False, True])
def test_hs256_is_refused(
    issuer: DevTokenIssuer, verifier: TokenVerifier, secret_from_public_key: bool
) -> None:
    # the classic key-confusion attack signs HS256 with the published public key as the secret
    secret = issuer.jwks_path.read_bytes() if secret_from_public_key else b"shared-secret"
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}).encode())
    payload = _b64(json.dumps(_claims(scope="admin")).encode())
    signature = _b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    assert "'HS256' is not accepted" in _unauthorized(verifier, f"{header}.{payload}.{signature}")


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.%%%.xyz"])
def test_malformed_tokens(verifier: TokenVerifier, token: str) -> None:
    assert _unauthorized(verifier, token) == "the token is malformed"


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "aud", "iss"])
def test_required_claims(issuer: DevTokenIssuer, verifier: TokenVerifier, claim: str) -> None:
    claims = _claims()
    del claims[claim]
    token = jwt.encode(claims, _issuer_key(issuer), algorithm="RS256", headers={"kid": issuer.kid})
    assert _unauthorized(verifier, token) == f"the token lacks the '{claim}' claim"


def test_missing_jwks_file_is_a_server_problem(tmp_path: Path, issuer: DevTokenIssuer) -> None:
    verifier = TokenVerifier.from_jwks_file(tmp_path / "absent.json", issuer=ISS, audience=AUD)
    with pytest.raises(AuthUnavailable) as info:
        verifier.verify(issuer.mint("a", [], HOUR))
    assert info.value.status == 503


def test_es256_and_kid_selection_in_a_multi_key_jwks(tmp_path: Path, issuer: DevTokenIssuer) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_jwk = ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True) | {"kid": "ec-1", "use": "sig"}
    rsa_jwk = json.loads(issuer.jwks_path.read_text())["keys"][0]
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [rsa_jwk, ec_jwk]}))
    verifier = TokenVerifier.from_jwks_file(path, issuer=ISS, audience=AUD)

    es_token = jwt.encode(_claims(scope="scp-a scp-b"), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    assert verifier.verify(es_token).scopes == {"scp-a", "scp-b"}
    assert verifier.verify(issuer.mint("a", ["admin"], HOUR)).scopes == {"admin"}

    no_kid = jwt.encode(_claims(), ec_key, algorithm="ES256")
    assert "no 'kid'" in _unauthorized(verifier, no_kid)
    # an RS256 header pointing at the EC key does not verify with it
    wrong_alg = jwt.encode(_claims(), _issuer_key(issuer), algorithm="RS256", headers={"kid": "ec-1"})
    assert _unauthorized(verifier, wrong_alg) == "the token algorithm does not match its key"


def test_jwks_file_is_reloaded_after_rotation(
    tmp_path: Path, issuer: DevTokenIssuer, stranger: DevTokenIssuer
) -> None:
    path = tmp_path / "jwks.json"
    path.write_bytes(issuer.jwks_path.read_bytes())
    verifier = TokenVerifier.from_jwks_file(path, issuer=ISS, audience=AUD)
    assert verifier.verify(issuer.mint("a", [], HOUR)).subject == "a"

    stranger.ensure_keys()
    path.write_bytes(stranger.jwks_path.read_bytes())
    assert verifier.verify(stranger.mint("b", [], HOUR)).subject == "b"
    assert "unknown key" in _unauthorized(verifier, issuer.mint("a", [], HOUR))


def test_verified_tokens_are_cached_briefly(
    tmp_path: Path, issuer: DevTokenIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "jwks.json"
    path.write_bytes(issuer.jwks_path.read_bytes())
    cached = TokenVerifier.from_jwks_file(path, issuer=ISS, audience=AUD)
    uncached = TokenVerifier.from_jwks_file(path, issuer=ISS, audience=AUD, cache_size=0)
    token = issuer.mint("a", ["admin"], HOUR)
    first = cached.verify(token)
    uncached.verify(token)
    assert cached.cached_principal(token) == first and uncached.cached_principal(token) is None

    path.unlink()  # keys gone: only the cache can still answer, and only for a minute
    assert cached.verify(token) == first
    with pytest.raises(AuthUnavailable):
        uncached.verify(token)
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert cached.cached_principal(token) is None
    with pytest.raises(AuthUnavailable):
        cached.verify(token)


def test_cache_never_outlives_the_token(
    issuer: DevTokenIssuer, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = issuer.mint("a", [], timedelta(seconds=30))
    principal = verifier.verify(token)
    past_expiry = principal.expires_at.timestamp() + verifier.leeway.total_seconds() + 1
    monkeypatch.setattr(time, "time", lambda: past_expiry)
    assert verifier.cached_principal(token) is None


def test_cache_is_bounded(issuer: DevTokenIssuer) -> None:
    verifier = TokenVerifier.from_jwks_file(issuer.jwks_path, issuer=ISS, audience=AUD, cache_size=2)
    tokens = [issuer.mint(f"user-{n}", [], HOUR) for n in range(3)]
    for token in tokens:
        verifier.verify(token)
    assert verifier.cached_principal(tokens[0]) is None
    assert [verifier.cached_principal(t).subject for t in tokens[1:]] == ["user-1", "user-2"]  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------ URL mode


@pytest.fixture(scope="module")
def jwks_url(issuer: DevTokenIssuer) -> Iterator[str]:
    issuer.ensure_keys()
    body = issuer.jwks_path.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/.well-known/jwks.json":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_jwks_url_mode(jwks_url: str, issuer: DevTokenIssuer, stranger: DevTokenIssuer) -> None:
    verifier = TokenVerifier.from_jwks_url(jwks_url, issuer=ISS, audience=AUD, timeout=2.0)
    assert verifier.blocking
    principal = verifier.verify(issuer.mint("svc", ["decision:write"], HOUR))
    assert principal == Principal(
        subject="svc",
        scopes=frozenset({"decision:write"}),
        client_id=None,
        expires_at=principal.expires_at,
        token_id=principal.token_id,
    )
    assert "unknown key" in _unauthorized(verifier, stranger.mint("svc", ["admin"], HOUR))
    no_kid = jwt.encode(_claims(), _issuer_key(issuer), algorithm="RS256")
    assert _unauthorized(verifier, no_kid) == "the token header has no 'kid'"


def test_unreachable_jwks_url_is_503(issuer: DevTokenIssuer) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    verifier = TokenVerifier.from_jwks_url(
        f"http://127.0.0.1:{port}/jwks", issuer=ISS, audience=AUD, timeout=1
    )
    with pytest.raises(AuthUnavailable):
        verifier.verify(issuer.mint("svc", [], HOUR))


# ------------------------------------------------------------------------------------- FastAPI


def _app(verifier: TokenVerifier) -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)
    reader = Annotated[Principal, Depends(require_scope(lambda: verifier, Scope.CUSTOMER_READ))]
    pii_reader = Annotated[
        Principal, Depends(require_scope(lambda: verifier, Scope.CUSTOMER_READ, Scope.PII_READ))
    ]

    @app.get("/customer/{gcid}")
    async def customer(gcid: str, principal: reader) -> dict[str, str]:
        return {"gcid": gcid, "subject": principal.subject}

    @app.get("/pii")
    async def pii(principal: pii_reader) -> dict[str, str]:
        return {"subject": principal.subject}

    return TestClient(app)


def _problem(response: Any, status: int, title: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] == title
    return body


def test_dependency_grants_with_scope(issuer: DevTokenIssuer, verifier: TokenVerifier) -> None:
    client = _app(verifier)
    token = issuer.mint("analyst-1", ["customer:read"], HOUR)
    response = client.get("/customer/GC-1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"gcid": "GC-1", "subject": "analyst-1"}


def test_missing_header_is_401_with_challenge(verifier: TokenVerifier) -> None:
    response = _app(verifier).get("/customer/GC-1")
    body = _problem(response, 401, "Unauthorized")
    assert body["type"] == "https://errors.wekeza.bank/brain/unauthorized"
    assert body["instance"] == "/customer/GC-1"
    assert response.headers["www-authenticate"] == 'Bearer realm="wekeza-brain"'


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not.a.jwt"])
def test_unusable_credentials_are_401(verifier: TokenVerifier, authorization: str) -> None:
    response = _app(verifier).get("/customer/GC-1", headers={"Authorization": authorization})
    _problem(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"].startswith('Bearer realm="wekeza-brain"')


def test_invalid_token_challenge_names_the_failure(key_dir: Path, verifier: TokenVerifier) -> None:
    past = DevTokenIssuer(key_dir, issuer=ISS, audience=AUD, clock=lambda: datetime.now(UTC) - HOUR)
    token = past.mint("analyst-1", ["customer:read"], timedelta(minutes=1))
    response = _app(verifier).get("/customer/GC-1", headers={"Authorization": f"Bearer {token}"})
    body = _problem(response, 401, "Unauthorized")
    assert body["detail"] == "the token has expired"
    assert response.headers["www-authenticate"] == (
        'Bearer realm="wekeza-brain", error="invalid_token", error_description="the token has expired"'
    )


def test_missing_scope_is_403(issuer: DevTokenIssuer, verifier: TokenVerifier) -> None:
    token = issuer.mint("analyst-1", ["customer:read", "decision:read"], HOUR)
    response = _app(verifier).get("/pii", headers={"Authorization": f"Bearer {token}"})
    body = _problem(response, 403, "Forbidden")
    assert body["type"] == "https://errors.wekeza.bank/brain/forbidden"
    assert "'pii:read'" in body["detail"] and "customer:read" not in body["detail"]
    assert 'error="insufficient_scope", scope="pii:read"' in response.headers["www-authenticate"]


def test_admin_does_not_imply_other_scopes(issuer: DevTokenIssuer, verifier: TokenVerifier) -> None:
    token = issuer.mint("root", ["admin"], HOUR)
    response = _app(verifier).get("/customer/GC-1", headers={"Authorization": f"Bearer {token}"})
    _problem(response, 403, "Forbidden")


def test_dependency_in_url_mode(jwks_url: str, issuer: DevTokenIssuer) -> None:
    verifier = TokenVerifier.from_jwks_url(jwks_url, issuer=ISS, audience=AUD)
    token = issuer.mint("analyst-2", ["customer:read"], HOUR)
    response = _app(verifier).get("/customer/GC-9", headers={"Authorization": f"Bearer {token}"})
    assert response.json() == {"gcid": "GC-9", "subject": "analyst-2"}


def test_public_surface() -> None:
    for name in auth.__all__:
        assert hasattr(auth, name), name
