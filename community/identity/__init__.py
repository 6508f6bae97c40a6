"""Identity infrastructure: signing keys, token verification, password hashes, sign-in limits.

`Identity` is the handle the use cases take (`services/identity.py`); built once at boot.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from community.identity.limits import LoginLimits
from community.identity.passwords import Passwords
from community.identity.tokens import Claims, LocalKeys, TokenVerifier
from community.settings import Settings

__all__ = ["Claims", "Identity", "LocalKeys", "LoginLimits", "Passwords", "TokenVerifier"]


@dataclass(frozen=True)
class Identity:
    keys: LocalKeys
    verifier: TokenVerifier
    passwords: Passwords
    login_limits: LoginLimits
    issuer: str
    audience: str
    ttl_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Identity:
        keys = LocalKeys.load_or_create(settings.data_dir)
        return cls(keys=keys, verifier=TokenVerifier.from_settings(settings, keys),
                   passwords=Passwords(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib),
                   login_limits=LoginLimits(), issuer=settings.token_issuer, audience=settings.token_audience,
                   ttl_seconds=settings.token_ttl_seconds)

    def issue(self, user_id: str, *, generation: int = 0) -> str:
        """A built-in access token for `user_id`, valid while the user's session generation is `generation`."""
        # `jti`: two sign-ins within one second are still two sessions (signing out one keeps the other).
        return self.keys.issue(user_id, issuer=self.issuer, audience=self.audience, ttl_seconds=self.ttl_seconds,
                               gen=generation, jti=secrets.token_urlsafe(16))
