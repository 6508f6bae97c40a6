"""Access tokens: issued by the built-in provider, verified for it or for Auth0.

Both modes accept RS256 only, and only from a key named by the token's `kid`;
the REST layer and the websocket endpoint share one `TokenVerifier`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx
import jwt
import trio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from community.db.pool import Conn, Database, close, connect
from community.domain.errors import UnauthorizedError
from community.settings import Settings

Provider = Literal["builtin", "auth0"]

_KEY_FILE = Path("keys", "jwt_rs256.pem")
_ALGORITHM = "RS256"
_LEEWAY_SECONDS = 5
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "iss", "aud"]
_FETCH_TIMEOUT_SECONDS = 5.0
# A verified token is remembered until it expires, at most this long (a JWKS key removed upstream
# stops verifying within the same bound as JwksCache's max_age), for at most this many tokens.
_VERIFIED_MAX_AGE_SECONDS = 600.0
_VERIFIED_MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class Claims:
    subject: str
    email: str | None
    name: str | None
    expires_at: datetime
    provider: Provider
    issued_at: datetime | None = None
    # Built-in tokens: the user's session generation when issued ("sign out everywhere" moves it on).
    generation: int | None = None


class KeySource(Protocol):
    async def key_for(self, kid: str) -> rsa.RSAPublicKey | None: ...


class LocalKeys:
    """The built-in provider's RS256 keys: the newest signs, every key still in use verifies.

    Without a database (`load_or_create`) one key lives in the data directory. A running server
    keeps them in the database instead (`load`, at boot), so every node signs and verifies with
    the same keys and a deploy on a fresh disk signs nobody out: the first boot creates a key (or
    imports the data directory's), a boot after `rotate_after` adds a new one, and older keys keep
    verifying (and stay in the JWKS) until every token they signed has expired. A key another node
    made later is looked up on first sight of its kid. `TOKEN_SIGNING_KEY` (a PEM) pins one key.
    """

    def __init__(self, private_key: rsa.RSAPrivateKey | None = None, *, public_db: Database | None = None) -> None:
        self._signing: tuple[str, rsa.RSAPrivateKey] | None = None
        self._public: dict[str, tuple[dict[str, str], rsa.RSAPublicKey]] = {}
        self._public_db = public_db  # the app's Database: public halves only
        self._looked_up_at: float | None = None
        self._keep_for = timedelta(0)  # how long a replaced key verifies (set by `load`)
        if private_key is not None:
            self._use([private_key])

    @classmethod
    def load_or_create(cls, data_dir: Path) -> LocalKeys:
        path = data_dir / _KEY_FILE
        if not path.exists():
            _create_key_file(path)
        return cls(_load_private_key(path))

    @classmethod
    def from_pem(cls, pem: str) -> LocalKeys:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("TOKEN_SIGNING_KEY is not an RSA private key")
        return cls(key)

    @property
    def kid(self) -> str:
        return self._signer()[0]

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self._signer()[1].public_key()

    def _signer(self) -> tuple[str, rsa.RSAPrivateKey]:
        if self._signing is None:
            raise RuntimeError("signing keys are not loaded yet")
        return self._signing

    def _use(self, newest_first: list[rsa.RSAPrivateKey]) -> None:
        public = {}
        for key in newest_first:
            jwk = _public_jwk(key.public_key())
            public[_thumbprint(jwk)] = (jwk, key.public_key())
        newest = newest_first[0]
        self._signing = (_thumbprint(_public_jwk(newest.public_key())), newest)
        self._public = public

    async def load(self, dsn: str, *, data_dir: Path, rotate_after: timedelta, keep_for: timedelta) -> None:
        """At boot and then periodically (the key_ring actor), as the schema owner: create, import or
        rotate under a lock, then sign with the newest stored key and verify with every one in use."""
        if self._signing is not None and self._public_db is None:
            return  # pinned by TOKEN_SIGNING_KEY
        self._keep_for = keep_for
        conn = await connect(dsn)
        try:
            async with _owner_transaction(conn):
                await conn.execute(_LOCK_KEYS)
                newest = await conn.fetchrow(_NEWEST)
                if newest is None:
                    legacy = data_dir / _KEY_FILE
                    await _store(conn, _load_private_key(legacy) if legacy.exists() else _new_key())
                elif newest["age"] >= rotate_after:
                    await _store(conn, _new_key())
                records = await conn.fetch(_IN_USE, keep_for)
        finally:
            await close(conn)
        self._use([_private_from_pem(r["private_pem"]) for r in records])

    async def rotate(self, dsn: str, *, keep_for: timedelta) -> str:
        """A new signing key now (`community keys rotate`); the previous ones keep verifying."""
        self._keep_for = keep_for
        conn = await connect(dsn)
        try:
            async with _owner_transaction(conn):
                await conn.execute(_LOCK_KEYS)
                kid = await _store(conn, _new_key())
                records = await conn.fetch(_IN_USE, keep_for)
        finally:
            await close(conn)
        self._use([_private_from_pem(r["private_pem"]) for r in records])
        return kid

    def jwks(self) -> dict[str, object]:
        return {"keys": [{**jwk, "kid": kid, "alg": _ALGORITHM, "use": "sig"}
                         for kid, (jwk, _) in self._public.items()]}

    def issue(
        self,
        subject: str,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        now: datetime | None = None,
        **claims: object,
    ) -> str:
        kid, private_key = self._signer()
        issued_at = now or datetime.now(UTC)
        registered = {"sub": subject, "iss": issuer, "aud": audience, "iat": issued_at}
        payload = {**claims, **registered, "exp": issued_at + timedelta(seconds=ttl_seconds)}
        return jwt.encode(payload, private_key, algorithm=_ALGORITHM, headers={"kid": kid})

    async def key_for(self, kid: str) -> rsa.RSAPublicKey | None:
        if kid not in self._public and self._may_look_up():
            await self._look_up_public()
        found = self._public.get(kid)
        return found[1] if found else None

    def _may_look_up(self) -> bool:
        # A flood of made-up kids costs one query every few seconds, not one each.
        if self._public_db is None:
            return False
        now = trio.current_time()
        if self._looked_up_at is not None and now - self._looked_up_at < _LOOKUP_INTERVAL_SECONDS:
            return False
        self._looked_up_at = now
        return True

    async def _look_up_public(self) -> None:
        assert self._public_db is not None
        async with self._public_db.transaction() as conn:
            records = await conn.fetch(_PUBLIC, self._keep_for)
        for record in records:
            jwk = {"kty": "RSA", "n": record["public_jwk"]["n"], "e": record["public_jwk"]["e"]}
            self._public.setdefault(record["kid"], (jwk, _rsa_public_key({**jwk, "kid": record["kid"]})))


_LOOKUP_INTERVAL_SECONDS = 5.0
_LOCK_KEYS = "SELECT pg_advisory_xact_lock(hashtextextended('community.signing_keys', 0))"
_NEWEST = "SELECT kid, clock_timestamp() - created_at AS age FROM signing_keys ORDER BY created_at DESC LIMIT 1"
# The newest, and every older key that may still have live tokens: made within `keep_for` of now.
_IN_USE = """
SELECT private_pem FROM signing_keys
WHERE created_at >= now() - $1::interval OR created_at = (SELECT max(created_at) FROM signing_keys)
ORDER BY created_at DESC
"""
# What another node may sign with: the same rule as _IN_USE (a retired key verifies nowhere).
_PUBLIC = """
SELECT kid, public_jwk FROM signing_keys
WHERE created_at >= now() - $1::interval OR created_at = (SELECT max(created_at) FROM signing_keys)
ORDER BY created_at DESC LIMIT 20
"""
_INSERT_KEY = "INSERT INTO signing_keys (kid, private_pem, public_jwk) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"


@contextlib.asynccontextmanager
async def _owner_transaction(conn: Conn) -> AsyncIterator[None]:
    await conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        # Shielded but bounded: a frozen database must not hang a cancelled boot or refresh
        # (closing the connection, which follows, rolls back anyway).
        with trio.CancelScope(shield=True), trio.move_on_after(5), contextlib.suppress(Exception):
            await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")


async def _store(conn: Conn, key: rsa.RSAPrivateKey) -> str:
    jwk = _public_jwk(key.public_key())
    kid = _thumbprint(jwk)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    await conn.execute(_INSERT_KEY, kid, pem, jwk)
    return kid


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_from_pem(pem: str) -> rsa.RSAPrivateKey:
    # A key this server generated and stored itself (signing_keys): the RSA consistency check
    # (36 ms a key, on every node start and key-ring reload) guards against foreign key material,
    # which an operator's TOKEN_SIGNING_KEY (from_pem) and a key file still get.
    key = serialization.load_pem_private_key(pem.encode(), password=None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("a stored signing key is not an RSA private key")
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # mkstemp creates the file 0600; link() refuses to replace an existing
    # file, so when two processes race the first key wins and both load it
    # (a rename would let the second overwrite a key the first already uses).
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".jwt_rs256.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def _load_private_key(path: Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError(f"{path} does not hold an RSA private key")
    return key


def _public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"]}


def _thumbprint(public_jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, without whitespace."""
    canonical = json.dumps(public_jwk, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class JwksCache:
    """A remote JWKS (Auth0's), fetched without blocking the loop and cached.

    An unknown kid refetches at most once per `min_refetch_interval`, so a
    flood of made-up kids costs one fetch; after `max_age` the next call
    refetches anyway, so a key removed upstream stops verifying.
    """

    def __init__(
        self,
        url: str,
        *,
        min_refetch_interval: float = 60.0,
        max_age: float = 600.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._url = url
        self._min_refetch_interval = min_refetch_interval
        self._max_age = max_age
        self._client = client
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._fetched_at: float | None = None
        self._lock = trio.Lock()
        self.fetches = 0

    async def key_for(self, kid: str) -> rsa.RSAPublicKey | None:
        if self._should_fetch(kid):
            # Concurrent callers queue here and re-check, so they share one fetch.
            async with self._lock:
                if self._should_fetch(kid):
                    await self._fetch()
        return self._keys.get(kid)

    def _should_fetch(self, kid: str) -> bool:
        if self._fetched_at is None:
            return True
        age = trio.current_time() - self._fetched_at
        return age >= self._max_age or (kid not in self._keys and age >= self._min_refetch_interval)

    async def _fetch(self) -> None:
        # Stamped before the request: a failing endpoint is retried at the same
        # bounded rate, and the failure itself propagates (it is not a bad token).
        self._fetched_at = trio.current_time()
        self.fetches += 1
        response = await self._get()
        response.raise_for_status()
        self._keys = _parse_jwks(response.json())

    async def _get(self) -> httpx.Response:
        if self._client is not None:
            return await self._client.get(self._url)
        async with httpx.AsyncClient(timeout=_FETCH_TIMEOUT_SECONDS) as client:
            return await client.get(self._url)


def _parse_jwks(document: object) -> dict[str, rsa.RSAPublicKey]:
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise ValueError("JWKS document has no key list")
    return {jwk["kid"]: _rsa_public_key(jwk) for jwk in keys if _is_rs256_signing_key(jwk)}


def _is_rs256_signing_key(jwk: object) -> bool:
    return (
        isinstance(jwk, dict)
        and jwk.get("kty") == "RSA"
        and isinstance(jwk.get("kid"), str)
        and jwk.get("use", "sig") == "sig"
        and jwk.get("alg", _ALGORITHM) == _ALGORITHM
    )


def _rsa_public_key(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    key = RSAAlgorithm.from_jwk(jwk)
    # A JWKS carrying private members must still only ever verify.
    if isinstance(key, rsa.RSAPrivateKey):
        return key.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise TypeError("JWKS entry is not an RSA key")
    return key


class TokenVerifier:
    """Verifies a token's signature and claims once, then remembers the result until it expires.

    Only the cryptographic verdict is cached, keyed by the exact token: whether its user still
    exists, is a member, or revoked their tokens is read from the database on every request.
    """

    def __init__(self, keys: KeySource, *, issuer: str, audience: str, provider: Provider,
                 max_entries: int = _VERIFIED_MAX_ENTRIES, clock: Callable[[], float] = time.time) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._provider: Provider = provider
        self._verified: dict[str, _Verified] = {}
        self._max_entries, self._clock = max_entries, clock
        self.verifications = 0

    @classmethod
    def from_settings(cls, settings: Settings, local_keys: LocalKeys) -> TokenVerifier:
        domain, audience = settings.auth0_domain, settings.auth0_audience
        if not (domain and audience):
            return cls(
                local_keys, issuer=settings.token_issuer, audience=settings.token_audience, provider="builtin"
            )
        domain = domain.removeprefix("https://").rstrip("/")
        jwks = JwksCache(settings.auth0_jwks_url or f"https://{domain}/.well-known/jwks.json")
        return cls(jwks, issuer=f"https://{domain}/", audience=audience, provider="auth0")

    async def verify(self, token: str) -> Claims:
        now = self._clock()
        cached = self._verified.pop(token, None)
        if cached is not None:
            if now >= cached.claims.expires_at.timestamp() + _LEEWAY_SECONDS:
                raise UnauthorizedError("token expired")
            # Still signed by a key the source holds (a rotated-out JWKS key stops verifying).
            if now < cached.fresh_until and await self._keys.key_for(cached.kid) is cached.key:
                self._verified[token] = cached
                return cached.claims
        kid, key = await self._signing_key(token)
        claims = self._verify(token, key)
        if len(self._verified) >= self._max_entries:
            del self._verified[next(iter(self._verified))]  # the oldest entry
        self._verified[token] = _Verified(claims, now + _VERIFIED_MAX_AGE_SECONDS, kid, key)
        return claims

    def _verify(self, token: str, key: rsa.RSAPublicKey) -> Claims:
        self.verifications += 1
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[_ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                leeway=_LEEWAY_SECONDS,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.InvalidTokenError as exc:
            raise UnauthorizedError(_reason(exc)) from None
        return _claims(payload, self._provider)

    async def _signing_key(self, token: str) -> tuple[str, rsa.RSAPublicKey]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise UnauthorizedError("malformed token") from None
        # Checked before the key lookup, so an `alg: none` or HS256 token never
        # reaches the JWKS endpoint.
        if header.get("alg") != _ALGORITHM:
            raise UnauthorizedError("unsupported token algorithm")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise UnauthorizedError("token has no key id")
        key = await self._keys.key_for(kid)
        if key is None:
            raise UnauthorizedError("unknown signing key")
        return kid, key


@dataclass(frozen=True)
class _Verified:
    claims: Claims
    fresh_until: float
    kid: str
    key: rsa.RSAPublicKey


# Subclasses before their bases: the first match wins.
_REASONS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "token not yet valid"),
    (jwt.InvalidSignatureError, "invalid token signature"),
    (jwt.InvalidIssuerError, "invalid issuer"),
    (jwt.InvalidAudienceError, "invalid audience"),
    (jwt.InvalidAlgorithmError, "unsupported token algorithm"),
    (jwt.DecodeError, "malformed token"),
)


def _reason(exc: jwt.InvalidTokenError) -> str:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"token missing claim {exc.claim}"
    return next((reason for kind, reason in _REASONS if isinstance(exc, kind)), "invalid token")


def _claims(payload: dict[str, Any], provider: Provider) -> Claims:
    if not payload["sub"]:
        raise UnauthorizedError("token missing claim sub")
    return Claims(
        subject=payload["sub"],
        email=_profile_claim(payload, "email"),
        name=_profile_claim(payload, "name"),
        expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
        provider=provider,
        issued_at=datetime.fromtimestamp(int(payload["iat"]), UTC),
        generation=_generation(payload) if provider == "builtin" else None,
    )


def _generation(payload: dict[str, Any]) -> int:
    value = payload.get("gen", 0)
    if not isinstance(value, int) or isinstance(value, bool):
        raise UnauthorizedError("invalid token claim gen")
    return value


def _profile_claim(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is None:
        # Auth0 Actions may only add namespaced claims, e.g. `https://community/email`.
        value = next((v for k, v in payload.items() if k.startswith("https://") and k.endswith(f"/{name}")), None)
    return value if isinstance(value, str) else None
