"""indexer: keeps the search index current, in batches, catching up after any restart."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
import trio

from community.actors.mailbox import Mailbox
from community.actors.outage import ride_out

log = structlog.get_logger("community.actors.indexer")

# Index pending rows, up to `batch` per org among the orgs of the `batch` oldest; returns how many it
# indexed (fewer than `batch`: it found all there was, or another node holds the rest locked).
IndexStep = Callable[[int], Awaitable[int]]


class Indexer:
    def __init__(self, steps: list[IndexStep] | None = None, *, batch: int = 500,
                 linger: float = 0.2) -> None:
        self.steps: list[IndexStep] = steps or []
        self.batch, self.linger = batch, linger
        self.mailbox: Mailbox[None] = Mailbox("indexer", 1)
        self.indexed = 0

    def poke(self) -> None:
        """After a commit that changed searchable rows. Pokes coalesce: one pending is enough."""
        self.mailbox.send_nowait(None, coalesce=True)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        await ride_out("indexer", self._drain)  # catch up on whatever was committed while we were down
        async for _ in self.mailbox.receive:
            await trio.sleep(self.linger)  # let a burst of writes share one batch
            if not await ride_out("indexer", self._drain):
                self.poke()  # the queue is still there: try again once the database is back

    async def _drain(self) -> None:
        for step in self.steps:
            done = self.batch
            while done >= self.batch:
                done = await step(self.batch)
                self.indexed += done
                log.debug("indexer.batch", rows=done)
