"""One task for every socket timer of a node: pings, pong deadlines, token expiry.

A heap of deadlines (trio's clock) and one task that sleeps until the earliest. Arming and
cancelling are synchronous and cheap, so a socket holds no task of its own for its timers.
Callbacks run in the timers' task and must not block; one that raises is logged and costs
that socket, never the others' timers.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from itertools import count

import structlog
import trio

log = structlog.get_logger("community.ws")

# Cancelled entries are dropped from the heap when they reach its top; when more than this
# many (and more than half) are dead, the heap is rebuilt so long timers of gone sockets
# (token expiry, an hour away) do not pile up.
_COMPACT_AT = 1024


class Timer:
    """One armed deadline; `cancel()` drops the callback (and what it refers to) at once."""

    __slots__ = ("_timers", "fn", "when")

    def __init__(self, timers: Timers, when: float, fn: Callable[[], None]) -> None:
        self._timers, self.when = timers, when
        self.fn: Callable[[], None] | None = fn

    def cancel(self) -> None:
        if self.fn is not None:
            self.fn = None
            self._timers._dead += 1


class Timers:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._order = count()
        self._dead = 0
        self._scope: trio.CancelScope | None = None
        self.fired = 0

    def __len__(self) -> int:
        return len(self._heap) - self._dead

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer:
        return self.call_at(trio.current_time() + max(0.0, delay), fn)

    def call_at(self, when: float, fn: Callable[[], None]) -> Timer:
        timer = Timer(self, when, fn)
        heapq.heappush(self._heap, (when, next(self._order), timer))
        if self._scope is not None and when < self._scope.deadline:
            self._scope.deadline = when
        if self._dead > _COMPACT_AT and self._dead * 2 > len(self._heap):
            self._compact()
        return timer

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            with trio.CancelScope(deadline=self._heap[0][0] if self._heap else math.inf) as self._scope:
                await trio.sleep_forever()
            self._scope = None
            self._fire_due(trio.current_time())

    def _fire_due(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            timer = heapq.heappop(heap)[2]
            fn, timer.fn = timer.fn, None
            if fn is None:
                self._dead -= 1
                continue
            self.fired += 1
            try:
                fn()
            except Exception as exc:  # one socket's bug must not stop every socket's timers
                log.error("ws.timer_failed", error=f"{type(exc).__name__}: {exc}"[:500], exc_info=exc)

    def _compact(self) -> None:
        self._heap = [entry for entry in self._heap if entry[2].fn is not None]
        heapq.heapify(self._heap)
        self._dead = 0
