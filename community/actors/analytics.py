"""analytics: writes each org's daily rollups once a UTC day is over, catching up missed days.

The state is in the database: the next day due for an org is the one after its last rollup,
and a day is written with ON CONFLICT, so a restart, a crash or a second node only repeats
work with the same result. The actor is a clock: one round every `interval` seconds, or when poked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
import trio

from community.actors.mailbox import Mailbox
from community.actors.outage import ride_out

log = structlog.get_logger("community.actors.analytics")

# Roll up at most `batch` orgs x days; answers how many days were written (0: nothing due).
RollupStep = Callable[[int], Awaitable[int]]


class Analytics:
    def __init__(self, step: RollupStep, *, interval: float = 300.0, batch: int = 100) -> None:
        self.step, self.interval, self.batch = step, interval, batch
        self.mailbox: Mailbox[None] = Mailbox("analytics", 1)
        self.days_written = 0
        self.rounds = 0  # rounds finished (for /metrics and tests)

    def poke(self) -> None:
        self.mailbox.send_nowait(None, coalesce=True)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await ride_out("analytics", self._drain)
            self.rounds += 1
            with trio.move_on_after(self.interval):
                await self.mailbox.receive.receive()

    async def _drain(self) -> None:
        while (done := await self.step(self.batch)) > 0:
            self.days_written += done
            log.debug("analytics.batch", days=done)
