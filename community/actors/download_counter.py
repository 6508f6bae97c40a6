"""download_counter: resource downloads counted in memory and written in batches.

A download adds one to this node's pending counts (no database write on the request path);
every `interval` seconds, and when the actor stops, the counts are added to the rows in one
statement per org (`download_count = download_count + n`, so any number of nodes add up
correctly). The pending counts live on the handle, so a restart of the actor keeps them; a
flush that fails (database outage) puts them back for the next one. A batch being written still
counts in `pending_for` until its transaction has committed, so a read during a flush does not
lose it (it used to: the batch was in neither the pending counts nor the rows for the whole write).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from uuid import UUID

import structlog
import trio

from community.actors.outage import ride_out
from community.db.pool import Database, DatabaseUnavailable
from community.db.queries.resources import add_downloaders, add_downloads

log = structlog.get_logger("community.actors.download_counter")


class DownloadCounter:
    def __init__(self, db: Database, *, interval: float = 5.0) -> None:
        self.db, self.interval = db, interval
        self.pending: dict[UUID, Counter[UUID]] = {}
        self.writing: dict[UUID, Counter[UUID]] = {}  # the batch of a flush not yet committed
        # Who downloaded, by org and the UTC day of the download (analytics' active members).
        self.downloaders: dict[UUID, set[tuple[date, UUID]]] = {}
        self.flushed = 0

    def count_nowait(self, org_id: UUID, resource_id: UUID, user_id: UUID | None = None) -> None:
        self.pending.setdefault(org_id, Counter())[resource_id] += 1
        if user_id is not None:
            self.downloaders.setdefault(org_id, set()).add((datetime.now(UTC).date(), user_id))

    def pending_for(self, org_id: UUID, resource_id: UUID) -> int:
        return self.pending.get(org_id, Counter())[resource_id] + self.writing.get(org_id, Counter())[resource_id]

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        try:
            while True:
                await trio.sleep(self.interval)
                await ride_out("download_counter", self.flush)
        finally:
            # Stopping (shutdown or a restart): what was counted is written, not lost.
            with trio.CancelScope(shield=True), trio.move_on_after(5) as scope:
                try:
                    await self.flush()
                except DatabaseUnavailable as exc:
                    log.warning("download_counter.final_flush_failed", reason=repr(exc),
                                downloads=sum(sum(c.values()) for c in self.pending.values()))
            if scope.cancelled_caught:
                log.warning("download_counter.final_flush_timeout")

    async def flush(self) -> None:
        batch, self.pending = self.pending, {}
        self.writing = batch
        people, self.downloaders = self.downloaders, {}
        day = datetime.now(UTC).date()
        try:
            for org_id in sorted(set(batch) | set(people)):
                async with self.db.transaction(org_id=org_id) as conn:
                    await add_downloads(conn, org_id, dict(batch.get(org_id, {})), day)
                    await add_downloaders(conn, org_id, sorted(people.get(org_id, set())))
                self.flushed += sum(batch.pop(org_id, Counter()).values())  # committed: the rows have it
                people.pop(org_id, None)
        finally:
            self.writing = {}
            for org_id, counts in batch.items():  # not written: back into the pending counts
                self.pending.setdefault(org_id, Counter()).update(counts)
            for org_id, seen in people.items():
                self.downloaders.setdefault(org_id, set()).update(seen)
