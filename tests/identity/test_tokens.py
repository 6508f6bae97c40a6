"""Tokens: the built-in provider's round trip and rejections; Auth0 against a real JWKS over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import hypercorn.trio
import jwt
import pytest
import trio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypercorn.config import Config
from jwt.algorithms import RSAAlgorithm
from quart_trio import QuartTrio

from community.domain.errors import UnauthorizedError
from community.identity.tokens import (
    JwksCache,
    LocalKeys,
    TokenVerifier,
    _create_key_file,
    _thumbprint,
)
from community.settings import Settings

_AUDIENCE = "https://api.test"


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def _payload(issuer: str, audience: str | list[str], /, **overrides: object) -> dict[str, object]:
    """A valid payload; an override of None drops the claim."""
    now = _now()
    claims: dict[str, object] = {"sub": "user-1", "iss": issuer, "aud": audience, "iat": now, "exp": now + 3600}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signing_input(header: dict[str, object], payload: dict[str, object]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"


async def _rejection(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(UnauthorizedError) as exc_info:
        await verifier.verify(token)
    return exc_info.value.detail


@pytest.fixture(scope="session")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# -- built-in provider ------------------------------------------------------------------------


@dataclass
class Builtin:
    keys: LocalKeys
    private_key: rsa.RSAPrivateKey
    verifier: TokenVerifier
    other_key: rsa.RSAPrivateKey

    def payload(self, **overrides: object) -> dict[str, object]:
        return _payload("community", "community-api", **overrides)

    def sign(self, payload: dict[str, object], **headers: object) -> str:
        headers = {"kid": self.keys.kid, **headers}
        return jwt.encode(payload, self.private_key, algorithm="RS256", headers=headers)


@pytest.fixture
def builtin(tmp_path: Path, other_key: rsa.RSAPrivateKey) -> Builtin:
    keys = LocalKeys.load_or_create(tmp_path)
    pem = (tmp_path / "keys" / "jwt_rs256.pem").read_bytes()
    private_key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    settings = Settings(
        community_data_dir=tmp_path, auth0_domain=None, auth0_audience=None, _env_file=None
    )
    return Builtin(keys, private_key, TokenVerifier.from_settings(settings, keys), other_key)


async def test_issued_token_verifies(builtin: Builtin) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    token = builtin.keys.issue(
        "user-1", issuer="community", audience="community-api", ttl_seconds=600, now=now,
        email="ada@example.org", name="Ada",
    )
    claims = await builtin.verifier.verify(token)
    assert (claims.subject, claims.email, claims.name) == ("user-1", "ada@example.org", "Ada")
    assert claims.provider == "builtin"
    assert claims.expires_at == now + timedelta(seconds=600)
    assert claims.expires_at.tzinfo is UTC


def test_key_is_persisted_private_and_stable(tmp_path: Path) -> None:
    first = LocalKeys.load_or_create(tmp_path)
    second = LocalKeys.load_or_create(tmp_path)
    assert first.kid == second.kid
    assert (tmp_path / "keys" / "jwt_rs256.pem").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (tmp_path / "keys").iterdir()] == ["jwt_rs256.pem"]


def test_losing_the_creation_race_keeps_the_first_key(tmp_path: Path) -> None:
    first = LocalKeys.load_or_create(tmp_path)
    # What a second process does after it too found no key file.
    _create_key_file(tmp_path / "keys" / "jwt_rs256.pem")
    assert LocalKeys.load_or_create(tmp_path).kid == first.kid
    assert [p.name for p in (tmp_path / "keys").iterdir()] == ["jwt_rs256.pem"]


def test_jwks_publishes_the_public_key(builtin: Builtin) -> None:
    keys = builtin.keys.jwks()["keys"]
    assert isinstance(keys, list)
    [jwk] = keys
    assert set(jwk) == {"kty", "n", "e", "kid", "alg", "use"}
    assert (jwk["kty"], jwk["kid"], jwk["alg"], jwk["use"]) == ("RSA", builtin.keys.kid, "RS256", "sig")
    published = RSAAlgorithm.from_jwk(jwk)
    assert isinstance(published, rsa.RSAPublicKey)
    assert published.public_numbers() == builtin.private_key.public_key().public_numbers()


def test_kid_is_the_rfc7638_thumbprint() -> None:
    # The example of RFC 7638, section 3.1.
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRX"
        "jBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAt"
        "aSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XP"
        "ksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    assert _thumbprint({"kty": "RSA", "n": n, "e": "AQAB"}) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def _alg_none(b: Builtin) -> str:
    return _signing_input({"alg": "none", "typ": "JWT", "kid": b.keys.kid}, b.payload()) + "."


def _hs256_with_public_key(b: Builtin) -> str:
    secret = b.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = _signing_input({"alg": "HS256", "typ": "JWT", "kid": b.keys.kid}, b.payload())
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _other_key_same_kid(b: Builtin) -> str:
    return jwt.encode(b.payload(), b.other_key, algorithm="RS256", headers={"kid": b.keys.kid})


def _no_kid(b: Builtin) -> str:
    return jwt.encode(b.payload(), b.private_key, algorithm="RS256")


_REJECTED: list[Any] = [
    pytest.param(_other_key_same_kid, "invalid token signature", id="bad-signature"),
    pytest.param(_alg_none, "unsupported token algorithm", id="alg-none"),
    pytest.param(_hs256_with_public_key, "unsupported token algorithm", id="hs256-public-key-secret"),
    pytest.param(lambda b: b.sign(b.payload(iss="elsewhere")), "invalid issuer", id="wrong-iss"),
    pytest.param(lambda b: b.sign(b.payload(aud="other-api")), "invalid audience", id="wrong-aud"),
    pytest.param(lambda b: b.sign(b.payload(exp=_now() - 60)), "token expired", id="expired"),
    pytest.param(lambda b: b.sign(b.payload(nbf=_now() + 60)), "token not yet valid", id="nbf-future"),
    pytest.param(lambda b: b.sign(b.payload(), kid="made-up"), "unknown signing key", id="unknown-kid"),
    pytest.param(_no_kid, "token has no key id", id="missing-kid"),
    pytest.param(lambda b: "not-a-token", "malformed token", id="garbage"),
    pytest.param(lambda b: "a.b.c", "malformed token", id="garbage-segments"),
    pytest.param(lambda b: b.sign(b.payload(sub=None)), "token missing claim sub", id="missing-sub"),
    pytest.param(lambda b: b.sign(b.payload(sub="")), "token missing claim sub", id="empty-sub"),
    pytest.param(lambda b: b.sign(b.payload(exp=None)), "token missing claim exp", id="missing-exp"),
    pytest.param(lambda b: b.sign(b.payload(iat=None)), "token missing claim iat", id="missing-iat"),
]


@pytest.mark.parametrize(("make_token", "detail"), _REJECTED)
async def test_builtin_rejects(builtin: Builtin, make_token: Callable[[Builtin], str], detail: str) -> None:
    assert await _rejection(builtin.verifier, make_token(builtin)) == detail


# -- Auth0, against a JWKS served over loopback HTTP --------------------------------------------


@dataclass(frozen=True)
class RemoteKey:
    kid: str
    private_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwk(self) -> dict[str, object]:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"], "kid": self.kid, "alg": "RS256", "use": "sig"}

    def sign(self, payload: dict[str, object], *, kid: str | None = None) -> str:
        headers = {"kid": kid or self.kid}
        return jwt.encode(payload, self.private_key, algorithm="RS256", headers=headers)


@dataclass
class JwksServer:
    keys: list[RemoteKey]
    origin: str = ""
    requests: int = 0

    @property
    def domain(self) -> str:
        return self.origin.removeprefix("http://")

    @property
    def jwks_url(self) -> str:
        return f"{self.origin}/.well-known/jwks.json"

    def payload(self, **overrides: object) -> dict[str, object]:
        aud = [_AUDIENCE, f"https://{self.domain}/userinfo"]
        return _payload(f"https://{self.domain}/", aud, **overrides)

    def verifier(self, *, min_refetch_interval: float = 60.0, max_age: float = 600.0) -> TokenVerifier:
        jwks = JwksCache(self.jwks_url, min_refetch_interval=min_refetch_interval, max_age=max_age)
        return TokenVerifier(jwks, issuer=f"https://{self.domain}/", audience=_AUDIENCE, provider="auth0")


@pytest.fixture(scope="session")
def remote_keys() -> tuple[RemoteKey, RemoteKey]:
    return RemoteKey("auth0-key-1"), RemoteKey("auth0-key-2")


def _jwks_app(server: JwksServer) -> QuartTrio:
    app = QuartTrio(__name__)

    @app.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, object]:
        server.requests += 1
        return {"keys": [key.jwk() for key in server.keys]}

    return app


@pytest.fixture
async def jwks_server(nursery: trio.Nursery, remote_keys: tuple[RemoteKey, RemoteKey]) -> JwksServer:
    server = JwksServer([remote_keys[0]])
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    binds = await nursery.start(hypercorn.trio.serve, _jwks_app(server), config)
    server.origin = binds[0]
    return server


def _auth0_settings(server: JwksServer, tmp_path: Path) -> Settings:
    return Settings(
        auth0_domain=server.domain, auth0_audience=_AUDIENCE, auth0_jwks_url=server.jwks_url,
        community_data_dir=tmp_path, _env_file=None,
    )


async def test_auth0_token_verifies(jwks_server: JwksServer, tmp_path: Path) -> None:
    verifier = TokenVerifier.from_settings(_auth0_settings(jwks_server, tmp_path), LocalKeys.load_or_create(tmp_path))
    key = jwks_server.keys[0]
    token = key.sign(jwks_server.payload(sub="auth0|ada", name="Ada", **{"https://community/email": "ada@x.org"}))
    with trio.fail_after(10):
        claims = await verifier.verify(token)
        await verifier.verify(token)
    assert (claims.subject, claims.email, claims.name) == ("auth0|ada", "ada@x.org", "Ada")
    assert claims.provider == "auth0"
    assert jwks_server.requests == 1


async def test_auth0_rejects_wrong_issuer_audience_and_local_tokens(
    jwks_server: JwksServer, tmp_path: Path
) -> None:
    local_keys = LocalKeys.load_or_create(tmp_path)
    verifier = TokenVerifier.from_settings(_auth0_settings(jwks_server, tmp_path), local_keys)
    key = jwks_server.keys[0]
    local = local_keys.issue("user-1", issuer="community", audience="community-api", ttl_seconds=600)
    with trio.fail_after(10):
        assert await _rejection(verifier, key.sign(jwks_server.payload(iss="https://evil/"))) == "invalid issuer"
        assert await _rejection(verifier, key.sign(jwks_server.payload(aud="community-api"))) == "invalid audience"
        assert await _rejection(verifier, local) == "unknown signing key"


async def test_auth0_rotation_costs_one_refetch(
    jwks_server: JwksServer, remote_keys: tuple[RemoteKey, RemoteKey]
) -> None:
    old, new = remote_keys
    verifier = jwks_server.verifier(min_refetch_interval=0.5)
    old_token, new_token = old.sign(jwks_server.payload()), new.sign(jwks_server.payload())
    with trio.fail_after(10):
        await verifier.verify(old_token)
        jwks_server.keys = [new]
        # Within the interval the new kid is not worth a fetch yet.
        assert await _rejection(verifier, new_token) == "unknown signing key"
        assert jwks_server.requests == 1
        await trio.sleep(0.6)
        assert (await verifier.verify(new_token)).subject == "user-1"
        assert jwks_server.requests == 2
        assert await _rejection(verifier, old_token) == "unknown signing key"
        assert jwks_server.requests == 2


async def test_flood_of_made_up_kids_costs_one_fetch(jwks_server: JwksServer, tmp_path: Path) -> None:
    verifier = TokenVerifier.from_settings(_auth0_settings(jwks_server, tmp_path), LocalKeys.load_or_create(tmp_path))
    key = jwks_server.keys[0]
    details: list[str] = []

    async def attempt(kid: str) -> None:
        details.append(await _rejection(verifier, key.sign(jwks_server.payload(), kid=kid)))

    with trio.fail_after(10):
        for _ in range(2):
            async with trio.open_nursery() as nursery:
                for i in range(50):
                    nursery.start_soon(attempt, f"made-up-{i}")
        await verifier.verify(key.sign(jwks_server.payload()))
    assert details == ["unknown signing key"] * 100
    assert jwks_server.requests == 1


async def test_keys_removed_upstream_stop_verifying_after_max_age(jwks_server: JwksServer) -> None:
    key = jwks_server.keys[0]
    verifier = jwks_server.verifier(max_age=0.5)
    token = key.sign(jwks_server.payload())
    with trio.fail_after(10):
        await verifier.verify(token)
        jwks_server.keys = []
        await verifier.verify(token)
        await trio.sleep(0.6)
        assert await _rejection(verifier, token) == "unknown signing key"
    assert jwks_server.requests == 2


async def test_unreachable_jwks_propagates_and_is_not_hammered(jwks_server: JwksServer) -> None:
    jwks = JwksCache(f"{jwks_server.origin}/missing")
    with trio.fail_after(10):
        with pytest.raises(httpx.HTTPStatusError):
            await jwks.key_for("auth0-key-1")
        assert await jwks.key_for("auth0-key-1") is None
    assert jwks.fetches == 1


# -- remembering verified tokens ---------------------------------------------------------------


@dataclass
class FakeWallClock:
    now: float = field(default_factory=lambda: datetime.now(UTC).timestamp())

    def __call__(self) -> float:
        return self.now


def _remembering(builtin: Builtin, clock: FakeWallClock, *, max_entries: int = 10) -> TokenVerifier:
    return TokenVerifier(builtin.keys, issuer="community", audience="community-api", provider="builtin",
                         max_entries=max_entries, clock=clock)


async def test_a_token_is_verified_once_until_it_expires(builtin: Builtin) -> None:
    clock = FakeWallClock()
    verifier = _remembering(builtin, clock)
    token = builtin.keys.issue("user-1", issuer="community", audience="community-api", ttl_seconds=60)
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first
    assert verifier.verifications == 1
    assert first.issued_at is not None and first.issued_at <= first.expires_at
    clock.now = first.expires_at.timestamp() + 60
    assert await _rejection(verifier, token) == "token expired"


async def test_a_remembered_token_is_verified_again_after_the_max_age(builtin: Builtin) -> None:
    clock = FakeWallClock()
    verifier = _remembering(builtin, clock)
    token = builtin.keys.issue("user-1", issuer="community", audience="community-api", ttl_seconds=3600)
    await verifier.verify(token)
    clock.now += 601
    await verifier.verify(token)
    assert verifier.verifications == 2


async def test_the_verified_tokens_are_bounded_and_failures_never_remembered(builtin: Builtin) -> None:
    verifier = _remembering(builtin, FakeWallClock(), max_entries=2)
    tokens = [builtin.keys.issue(f"user-{i}", issuer="community", audience="community-api", ttl_seconds=60)
              for i in range(3)]
    for token in tokens:
        await verifier.verify(token)
    await verifier.verify(tokens[0])  # evicted first, so verified again
    assert verifier.verifications == 4
    forged = builtin.sign(builtin.payload(), kid=builtin.keys.kid)[:-4] + "AAAA"
    for _ in range(2):
        assert await _rejection(verifier, forged) == "invalid token signature"
    assert verifier.verifications == 6
