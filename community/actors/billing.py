"""billing: applies received Stripe events and keeps custom-tier seat quantities in step.

The webhook route only stores an event and pokes this actor, so Stripe gets its answer at once.
The queue is a table (`billing_events`), so a crash, a restart or an outage delays work and never
loses it, and several nodes share it. A periodic sweep retries what Stripe or the network refused
and pushes seat quantities whose debounce has passed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
import trio

from community.actors.mailbox import Mailbox
from community.actors.outage import ride_out

log = structlog.get_logger("community.actors.billing")

# One pass over the queue and the seat sync; answers how much it did (0: nothing left).
BillingStep = Callable[[], Awaitable[int]]


class BillingWorker:
    def __init__(self, step: BillingStep, *, sweep_interval: float = 5.0) -> None:
        self.step, self.sweep_interval = step, sweep_interval
        self.mailbox: Mailbox[None] = Mailbox("billing", 1)
        self.applied = 0

    def poke(self) -> None:
        """An event was stored: coalesced, one pending poke is enough."""
        self.mailbox.send_nowait(None, coalesce=True)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await ride_out("billing", self._drain)
            with trio.move_on_after(self.sweep_interval):
                await self.mailbox.receive.receive()

    async def _drain(self) -> None:
        while (done := await self.step()) > 0:
            self.applied += done
            log.debug("billing.batch", done=done)
