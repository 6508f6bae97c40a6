"""Sliding-window rate limits, pure: callers pass the clock."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass
class SlidingWindow:
    limit: int
    window: float
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    def retry_after(self, key: str, now: float) -> int | None:
        """Seconds until `key` may try again, or None when it is under the limit."""
        hits = self._prune(key, now)
        if len(hits) < self.limit:
            return None
        return max(1, math.ceil(hits[0] + self.window - now))

    def hit(self, key: str, now: float) -> None:
        self._prune(key, now).append(now)
        if len(self._hits) > 100_000:  # bound memory under a flood of distinct keys
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window}

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)

    def _prune(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits
