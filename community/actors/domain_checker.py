"""domain_checker: looks each verified custom domain's TXT record up again, now and then.

The state is in the database: a round claims the verified domains last checked longer ago than
`domain_recheck_after_seconds` (SKIP LOCKED, so several nodes share them), looks them up and
takes a domain away from its org when its record is gone (services/domains.recheck_step). The
actor is only a clock: one round every `interval` seconds, or sooner when poked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
import trio

from community.actors.mailbox import Mailbox
from community.actors.outage import ride_out

log = structlog.get_logger("community.actors.domain_checker")

# Check up to `batch` due domains; answers how many were checked (0: none due).
CheckStep = Callable[[int], Awaitable[int]]


class DomainChecker:
    def __init__(self, step: CheckStep, *, interval: float = 600.0, batch: int = 20) -> None:
        self.step, self.interval, self.batch = step, interval, batch
        self.mailbox: Mailbox[None] = Mailbox("domain_checker", 1)
        self.checked = 0
        self.rounds = 0  # rounds finished (for tests)

    def poke(self) -> None:
        self.mailbox.send_nowait(None, coalesce=True)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await ride_out("domain_checker", self._drain)
            self.rounds += 1
            with trio.move_on_after(self.interval):
                await self.mailbox.receive.receive()

    async def _drain(self) -> None:
        while (done := await self.step(self.batch)) > 0:
            self.checked += done
            log.debug("domain_checker.batch", domains=done)
