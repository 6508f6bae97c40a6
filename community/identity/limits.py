"""Failed sign-ins, counted in the database so every node sees the same windows (15 minutes).

A stranger who knows an e-mail address cannot lock its owner out: failures count per (e-mail,
address) pair, so guessing from one address stops that address only. A ceiling per e-mail,
far above what one person mistypes, stops a guesser spread over many addresses; a limit per
address stops one address trying many e-mails. A success clears its pair.
"""

from __future__ import annotations

from dataclasses import dataclass

from community.ratelimit import DatabaseRateLimiter


@dataclass(frozen=True)
class LoginLimits:
    limiter: DatabaseRateLimiter
    per_pair: int = 5
    per_email: int = 100
    per_address: int = 30
    window_seconds: float = 900.0

    def _keys(self, email: str, address: str) -> tuple[tuple[str, int], ...]:
        return ((f"login:pair:{email}|{address}", self.per_pair), (f"login:email:{email}", self.per_email),
                (f"login:address:{address}", self.per_address))

    async def retry_after(self, email: str, address: str) -> int | None:
        waits = [await self.limiter.check(key, limit, self.window_seconds) for key, limit in self._keys(email, address)]
        return max((w for w in waits if w is not None), default=None)

    async def failed(self, email: str, address: str) -> None:
        for key, _ in self._keys(email, address):
            await self.limiter.add(key, self.window_seconds)

    async def succeeded(self, email: str, address: str) -> None:
        await self.limiter.reset(self._keys(email, address)[0][0])
