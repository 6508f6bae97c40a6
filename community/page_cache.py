"""A response cache for read pages: per viewer, bounded, never older than what this node has heard.

An entry is keyed by everything its answer depends on: the viewer's exact token (its hash names
the user and the session; the token itself is verified on every request, expiry included), the
`{org}` as asked, the page and its query. It is good while `Generations` says that nothing in its
org, nothing of its viewer and nothing everywhere changed since its read began, and for at most
`ttl` seconds (time alone changes some answers: a suspension ending). While the cluster bus is not
listening every read bypasses the cache, and entries made stale by the loss are dropped.

What is kept is the caller's business (the topic page keeps its answer encoded, with a hole for
the view count: `http.encoding.Encoded`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from community.db.generations import Generations


@dataclass(frozen=True)
class _Entry:
    value: Any
    org_id: UUID
    user_id: UUID | None
    stamp: int
    expires_at: float
    size: int


class PageCache:
    def __init__(self, generations: Generations, *, ttl: float = 15.0, max_entries: int = 10_000,
                 max_bytes: int = 64 * 1024 * 1024, clock: Callable[[], float] = time.monotonic) -> None:
        self.generations, self.ttl, self.max_entries, self.max_bytes = generations, ttl, max_entries, max_bytes
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._seen_everything = generations.everything
        self.bytes = 0
        self.hits = self.misses = self.stale = self.bypassed = self.evicted = 0

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.generations.listening

    def __len__(self) -> int:
        return len(self._entries)

    def stamp(self) -> int | None:
        """Take before the read whose answer `put` stores; None: do not cache (the bus is not listening)."""
        return self.generations.stamp() if self.enabled else None

    def get(self, key: Hashable) -> Any | None:
        if not self.enabled:
            self.bypassed += 1
            self._drop_if_everything_changed()
            return None
        self._drop_if_everything_changed()
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry.expires_at <= self._clock() or not self.generations.valid(entry.stamp, entry.org_id, entry.user_id):
            self._remove(key)
            self.stale += 1
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry.value

    def put(self, key: Hashable, stamp: int | None, value: Any, *, org_id: UUID, user_id: UUID | None,
            size: int) -> None:
        """Keep `value`, read after `stamp()` answered `stamp`, unless something changed since."""
        if stamp is None or not self.enabled or size > self.max_bytes:
            return
        self._drop_if_everything_changed()
        if not self.generations.valid(stamp, org_id, user_id):
            return
        if key in self._entries:
            self._remove(key)
        self._entries[key] = _Entry(value, org_id, user_id, stamp, self._clock() + self.ttl, size)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            self._remove(next(iter(self._entries)))
            self.evicted += 1

    def _remove(self, key: Hashable) -> None:
        self.bytes -= self._entries.pop(key).size

    def _drop_if_everything_changed(self) -> None:
        if self.generations.everything != self._seen_everything:
            self._seen_everything = self.generations.everything
            self._entries.clear()
            self.bytes = 0
