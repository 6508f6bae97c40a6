"""view_counter: topic views counted without a write per view, flushed on a timer and at shutdown.

A read counts its view after its transaction (`count`, synchronous like the registry: trio is
single-threaded); this actor owns the pending counts and writes them in its own transaction
every `flush_interval` seconds and once more when the tree stops it. Pending counts live on the
handle, so a restart keeps them; a flush that fails (an outage, a crash) puts them back.
"""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

import structlog
import trio

from community.actors.outage import ride_out
from community.db.pool import Database
from community.db.queries.topics import add_views

log = structlog.get_logger("community.actors.view_counter")
_SHUTDOWN_FLUSH_SECONDS = 4.0


class ViewCounter:
    def __init__(self, db: Database, *, flush_interval: float = 5.0) -> None:
        self.db, self.flush_interval = db, flush_interval
        self._pending: defaultdict[UUID, defaultdict[UUID, int]] = defaultdict(lambda: defaultdict(int))
        self.flushed = 0

    def count(self, org_id: UUID, topic_id: UUID) -> None:
        self._pending[org_id][topic_id] += 1

    def pending(self, org_id: UUID, topic_id: UUID) -> int:
        """Views counted and not yet written (a read adds them to what the row says)."""
        by_topic = self._pending.get(org_id)
        return by_topic.get(topic_id, 0) if by_topic else 0

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        try:
            while True:
                await trio.sleep(self.flush_interval)
                await ride_out("view_counter", self.flush)
        finally:
            with trio.CancelScope(shield=True), trio.move_on_after(_SHUTDOWN_FLUSH_SECONDS):
                await ride_out("view_counter", self.flush)

    async def flush(self) -> None:
        """Write every pending count, one transaction per org; what fails to commit stays pending."""
        for org_id in list(self._pending):
            counts = self._pending.pop(org_id)
            try:
                async with self.db.transaction(org_id=org_id) as conn:
                    await add_views(conn, org_id, dict(counts))
            except BaseException:
                self._merge(org_id, counts)
                raise
            self.flushed += sum(counts.values())

    def _merge(self, org_id: UUID, counts: dict[UUID, int]) -> None:
        pending = self._pending[org_id]
        for topic_id, n in counts.items():
            pending[topic_id] += n
