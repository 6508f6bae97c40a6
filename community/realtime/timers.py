"""One task for every socket timer of a node: pings, pong deadlines, token expiry, on 50 ms slots.

A deadline is rounded up to the next slot boundary (`SLOT` seconds of trio's clock) and joins
that slot's set; the task sleeps until the earliest slot and fires all of it in one wake-up.
10,000 sockets pinging every 30 s make about 330 pings a second: one wake-up per slot (at most
20 a second) instead of one per deadline. A timer never fires early; it fires at most one slot
late, and the timers of one slot fire in the order they were armed.

Arming and cancelling are synchronous and O(1): a cancelled timer leaves its slot at once
(so a gone socket's hour-long token expiry holds nothing), and a slot emptied by
cancellations is skipped when its turn comes. Callbacks run in the timers' task and must not
block; one that raises is logged and costs that socket, never the others' timers.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

import structlog
import trio

log = structlog.get_logger("community.ws")

SLOT = 0.05  # seconds: the resolution of every socket timer
# Heap entries of slots emptied by cancellations are dropped when they reach the top; when
# there are this many more entries than live slots, the heap is rebuilt.
_COMPACT_AT = 1024


class Timer:
    """One armed deadline; `cancel()` drops the callback (and what it refers to) at once."""

    __slots__ = ("_slot", "_timers", "fn", "when")

    def __init__(self, timers: Timers, when: float, slot: int, fn: Callable[[], None]) -> None:
        self._timers, self.when, self._slot = timers, when, slot
        self.fn: Callable[[], None] | None = fn

    def cancel(self) -> None:
        if self.fn is not None:
            self.fn = None
            self._timers._drop(self)


class Timers:
    def __init__(self, slot: float = SLOT) -> None:
        self.slot = slot
        self._slots: dict[int, dict[Timer, None]] = {}  # slot number -> its timers, in arming order
        self._heap: list[int] = []  # slot numbers (some possibly emptied since)
        self._scope: trio.CancelScope | None = None
        self._count = 0
        self.fired = 0
        self.wakeups = 0

    def __len__(self) -> int:
        return self._count

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer:
        return self.call_at(trio.current_time() + max(0.0, delay), fn)

    def call_at(self, when: float, fn: Callable[[], None]) -> Timer:
        number = math.ceil(when / self.slot)
        timer = Timer(self, when, number, fn)
        members = self._slots.get(number)
        if members is None:
            members = self._slots[number] = {}
            heapq.heappush(self._heap, number)
            at = number * self.slot
            if self._scope is not None and at < self._scope.deadline:
                self._scope.deadline = at
            if len(self._heap) > 2 * len(self._slots) + _COMPACT_AT:
                self._heap = list(self._slots)
                heapq.heapify(self._heap)
        members[timer] = None
        self._count += 1
        return timer

    def _drop(self, timer: Timer) -> None:
        members = self._slots.get(timer._slot)
        if members is not None and members.pop(timer, 0) is None:
            self._count -= 1
            if not members:
                del self._slots[timer._slot]

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            deadline = self._next_deadline()
            with trio.CancelScope(deadline=deadline) as self._scope:
                await trio.sleep_forever()
            self._scope = None
            self.wakeups += 1
            self._fire_due(trio.current_time())

    def _next_deadline(self) -> float:
        heap = self._heap
        while heap and heap[0] not in self._slots:
            heapq.heappop(heap)
        return heap[0] * self.slot if heap else math.inf

    def _fire_due(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0] * self.slot <= now:
            members = self._slots.pop(heapq.heappop(heap), None)
            if not members:
                continue
            self._count -= len(members)
            for timer in members:
                fn, timer.fn = timer.fn, None
                if fn is None:
                    continue
                self.fired += 1
                try:
                    fn()
                except Exception as exc:  # one socket's bug must not stop every socket's timers
                    log.error("ws.timer_failed", error=f"{type(exc).__name__}: {exc}"[:500], exc_info=exc)
