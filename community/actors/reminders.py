"""reminders: sends event reminders (24 h and 1 h before) and extends open-ended series.

The work lives in the database: triggers keep `event_reminders` in step with registrations
and occurrence times, and each step claims due rows `FOR UPDATE SKIP LOCKED` and records
what it sent in the same transaction as the notification. So a crash or a restart delays a
reminder, never loses or doubles it, and several nodes share the work. The actor itself is
only a clock: it runs its steps every `interval` seconds, or sooner when poked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
import trio

from community.actors.mailbox import Mailbox
from community.actors.outage import ride_out

log = structlog.get_logger("community.actors.reminders")

# Do up to `batch` units of one kind of work; answers how many were done (0: nothing left).
ReminderStep = Callable[[int], Awaitable[int]]


class Reminders:
    def __init__(self, steps: list[ReminderStep] | None = None, *, interval: float = 30.0, batch: int = 200) -> None:
        self.steps: list[ReminderStep] = steps or []
        self.interval, self.batch = interval, batch
        self.mailbox: Mailbox[None] = Mailbox("reminders", 1)
        self.done = 0
        self.rounds = 0  # rounds finished, and whether one is under way (for /metrics and tests)
        self.busy = False

    def poke(self) -> None:
        self.mailbox.send_nowait(None, coalesce=True)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            self.busy = True
            try:
                await ride_out("reminders", self._drain)
                self.rounds += 1
            finally:
                self.busy = False
            with trio.move_on_after(self.interval):
                await self.mailbox.receive.receive()

    async def _drain(self) -> None:
        for step in self.steps:
            while (done := await step(self.batch)) > 0:
                self.done += done
                log.debug("reminders.batch", rows=done)
