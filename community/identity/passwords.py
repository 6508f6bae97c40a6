"""argon2id password hashes, computed in a worker thread so the event loop never stalls."""

from __future__ import annotations

import trio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self._decoy: str | None = None

    def _decoy_hash(self) -> str:
        # Verified against when the email is unknown, so timing does not say whether it exists.
        if self._decoy is None:
            self._decoy = self.hasher.hash("decoy password that matches nothing")
        return self._decoy

    async def hash(self, password: str) -> str:
        return await trio.to_thread.run_sync(self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        return await trio.to_thread.run_sync(self._verify, stored, password)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored or self._decoy_hash(), password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False
