"""Identity infrastructure: signing keys, token verification, password hashes, sign-in limits.

`Identity` is the handle the use cases take (`services/identity.py`); built once at boot.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from community.db.pool import Database
from community.identity.limits import LoginLimits
from community.identity.passwords import Passwords
from community.identity.tokens import Claims, LocalKeys, TokenVerifier
from community.ratelimit import DatabaseRateLimiter
from community.settings import Settings

__all__ = ["KEY_REFRESH_SECONDS", "Claims", "Identity", "LocalKeys", "LoginLimits", "Passwords", "TokenVerifier"]


KEY_REFRESH_SECONDS = 3600.0  # how often a running node rotates (when due) and reloads the keys


@dataclass(frozen=True)
class Identity:
    keys: LocalKeys
    verifier: TokenVerifier
    passwords: Passwords
    login_limits: LoginLimits
    issuer: str
    audience: str
    ttl_seconds: int

    rotate_after: timedelta
    data_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings, db: Database, limiter: DatabaseRateLimiter) -> Identity:
        """Keys come from `TOKEN_SIGNING_KEY`, else from the database once `load_keys` ran at boot."""
        keys = LocalKeys.from_pem(settings.token_signing_key) if settings.token_signing_key else LocalKeys(public_db=db)
        return cls(keys=keys, verifier=TokenVerifier.from_settings(settings, keys),
                   passwords=Passwords(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib),
                   login_limits=LoginLimits(limiter), issuer=settings.token_issuer, audience=settings.token_audience,
                   ttl_seconds=settings.token_ttl_seconds,
                   rotate_after=timedelta(days=settings.token_key_rotation_days), data_dir=settings.data_dir)

    @property
    def keep_keys_for(self) -> timedelta:
        """A replaced key verifies until every token it signed has expired: a node signs with a key
        until its next refresh after the key's rotation is due, and a token lives `ttl_seconds`."""
        return self.rotate_after + timedelta(seconds=KEY_REFRESH_SECONDS + self.ttl_seconds)

    async def load_keys(self, dsn: str) -> None:
        await self.keys.load(dsn, data_dir=self.data_dir, rotate_after=self.rotate_after, keep_for=self.keep_keys_for)

    async def rotate_keys(self, dsn: str) -> str:
        return await self.keys.rotate(dsn, keep_for=self.keep_keys_for)

    def issue(self, user_id: str, *, generation: int = 0) -> str:
        """A built-in access token for `user_id`, valid while the user's session generation is `generation`."""
        # `jti`: two sign-ins within one second are still two sessions (signing out one keeps the other).
        return self.keys.issue(user_id, issuer=self.issuer, audience=self.audience, ttl_seconds=self.ttl_seconds,
                               gen=generation, jti=secrets.token_urlsafe(16))
