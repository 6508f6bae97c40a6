"""Rate limits as a handle: `await limiter.hit(key, limit, window_seconds)`.

The use cases (posting, sending messages) only see the `RateLimiter` interface; which store
holds the windows is the handle's business. `InProcessRateLimiter` keeps them in this process
(sliding windows, `domain/ratelimit.py`); a database-backed limiter that is correct across
nodes implements the same method.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from community.domain.ratelimit import SlidingWindow


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_seconds: float) -> int | None:
        """Count one hit on `key` if it is under `limit` within `window_seconds`: None.

        Over the limit nothing is counted and the answer is the seconds until a retry can succeed.
        """
        ...


class InProcessRateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[tuple[int, float], SlidingWindow] = {}

    async def hit(self, key: str, limit: int, window_seconds: float) -> int | None:
        window = self._windows.setdefault((limit, window_seconds), SlidingWindow(limit=limit, window=window_seconds))
        now = self._clock()
        if (retry := window.retry_after(key, now)) is not None:
            return retry
        window.hit(key, now)
        return None
