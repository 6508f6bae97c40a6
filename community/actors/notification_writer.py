"""notification_writer: notifications from a queue the database fills in the writer's transaction.

The indexer's pattern: a trigger queues each event that raises notifications as the event is
committed; a poke after commit (coalesced) or the periodic sweep wakes this actor, which claims a
batch per org with `FOR UPDATE SKIP LOCKED` and writes the notifications in the transaction that
removes the batch from the queue. A batch costs the same statements whatever its size: the claim
(with the events), one read of what they refer to, one insert; a wake-up with nothing queued costs
one statement. A crash mid-batch rolls back and the events stay queued; a
burst or a full mailbox only delays them; several nodes share the queue and never write one
twice. Frames for the rows written go out after the commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import UUID

import trio

from community.actors.mailbox import Mailbox
from community.actors.outage import ride_out
from community.db.pool import Conn, Database
from community.db.queries.notifications import claim_queued_events, pending_notification_orgs
from community.domain.events import Activity, EventType, Viewing

# Writes a batch of one org's events' notifications in the writer's transaction (skipping, loudly, an
# event whose payload it cannot read); answers the rows written. It runs on the database's thread
# (`Database.on_loop`): no trio, and this node's state only as the `Viewing` snapshot it is given.
WriteNotifications = Callable[[Conn, Sequence[Activity], Viewing], Awaitable[list[dict[str, Any]]]]
# Who views the org's conversations on this node now; called in trio, before each batch's handoff.
SnapshotViewing = Callable[[UUID], Viewing]
# Tells the people concerned, after commit.
PublishNotifications = Callable[[list[dict[str, Any]]], None]


class NotificationWriter:
    def __init__(self, db: Database, write: WriteNotifications, publish: PublishNotifications,
                 viewing: SnapshotViewing, *, events: frozenset[EventType], batch: int = 200,
                 sweep_interval: float = 5.0, linger: float = 0.05) -> None:
        self.db, self.write, self.publish, self.events = db, write, publish, events
        self.viewing = viewing
        self.batch, self.sweep_interval, self.linger = batch, sweep_interval, linger
        self.mailbox: Mailbox[None] = Mailbox("notification_writer", 1)
        self.written = 0

    def poke(self) -> None:
        """Something may be queued. Pokes coalesce: one pending is enough."""
        self.mailbox.send_nowait(None, coalesce=True)

    def committed(self, activities: Sequence[Activity]) -> None:
        """After a commit: a poke when it recorded an event the trigger queues."""
        if any(activity.type in self.events for activity in activities):
            self.poke()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._tick)
            task_status.started()
            await ride_out("notification_writer", self._drain)  # what was queued while we were down
            async for _ in self.mailbox.receive:
                await trio.sleep(self.linger)  # let a burst of commits share one batch
                if not await ride_out("notification_writer", self._drain):
                    self.poke()  # the queue is still there: try again once the database is back

    async def _tick(self) -> None:
        # Other nodes' events, and pokes lost with a crash, are found by the sweep.
        while True:
            await trio.sleep(self.sweep_interval)
            self.poke()

    async def _drain(self) -> None:
        more = True
        while more:
            # The pending orgs are those of the `batch` oldest queued events: a pass that wrote fewer
            # found all there was (what another node holds locked is that node's to write).
            claimed = 0
            for org_id in await pending_notification_orgs(self.db, self.batch):
                while (n := await self._write_batch(org_id)) > 0:
                    claimed += n
                    if n < self.batch:
                        break
            more = claimed >= self.batch

    async def _write_batch(self, org_id: UUID) -> int:
        # Read here, in trio: the registry changes in trio's thread and the body runs on another.
        viewing = self.viewing(org_id)

        async def body(db: Database) -> tuple[list[Activity], list[dict[str, Any]]]:
            # Off any request: the page triggers tell every node of a change a page shows.
            async with db.transaction(org_id=org_id, invalidates=False) as conn:
                claimed = await claim_queued_events(conn, org_id, self.batch)
                written = await self.write(conn, claimed, viewing) if claimed else []
            return claimed, written

        # The transaction in ONE handoff to the database's thread (was one per statement, BEGIN and
        # COMMIT); `write` runs there too, and only its answer comes back to be published here.
        claimed, written = await self.db.on_loop(body)
        self.written += len(written)
        self.publish(written)
        return len(claimed)
