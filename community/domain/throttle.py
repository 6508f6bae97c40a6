"""Typing indicators: one frame per user per channel per interval; pure, callers pass the clock."""

from __future__ import annotations

from uuid import UUID

from community.domain.events import Channel


class TypingThrottle:
    """One typing frame per user per topic per interval; bounded memory."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: dict[tuple[UUID, Channel], float] = {}

    def allow(self, user_id: UUID, channel: Channel, now: float) -> bool:
        key = (user_id, channel)
        if now - self._last.get(key, -self.interval) < self.interval:
            return False
        self._last[key] = now
        if len(self._last) > 100_000:
            self._last = {k: t for k, t in self._last.items() if now - t < self.interval}
        return True
