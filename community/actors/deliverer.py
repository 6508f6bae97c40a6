"""deliverer: sends queued integration deliveries (webhooks, Slack, Discord), durably.

Deliveries are rows (written with the activity that causes them), so this actor's state is only
what it has in flight: a crash or restart loses nothing, a dead node's leases expire and another
node takes the rows. Up to `concurrency` sends run at once on this node; the claim bounds each
org's share across nodes, so one slow endpoint cannot starve the others.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from uuid import UUID

import structlog
import trio

from community.actors.mailbox import Mailbox
from community.actors.outage import ride_out
from community.db.pool import DatabaseUnavailable
from community.domain.events import Activity, EventType
from community.integrations.sender import Sender

log = structlog.get_logger("community.actors.deliverer")

Claim = Callable[[int], Awaitable[list[tuple[UUID, UUID]]]]
Deliver = Callable[[Sender, UUID, UUID], Awaitable[None]]


class Deliverer:
    def __init__(self, claim: Claim, deliver: Deliver, *, events: frozenset[EventType] | None = None,
                 concurrency: int = 16, sweep_interval: float = 1.0, linger: float = 0.05) -> None:
        self.claim, self.deliver, self.events = claim, deliver, events
        self.concurrency, self.sweep_interval, self.linger = concurrency, sweep_interval, linger
        self.mailbox: Mailbox[None] = Mailbox("deliverer", 1)
        self.sent = 0

    def poke(self) -> None:
        """Something was queued: coalesced, one pending poke is enough."""
        self.mailbox.send_nowait(None, coalesce=True)

    def committed(self, activities: Sequence[Activity]) -> None:
        """After a commit: a poke when it recorded an event that may queue deliveries (all, without `events`)."""
        if any(self.events is None or activity.type in self.events for activity in activities):
            self.poke()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        sender = Sender()
        slots = trio.CapacityLimiter(self.concurrency)
        try:
            async with trio.open_nursery() as nursery:
                task_status.started()
                claimed: list[tuple[UUID, UUID]] = []

                async def take() -> None:
                    free = int(slots.available_tokens)
                    claimed[:] = await self.claim(free) if free else []

                while True:
                    claimed.clear()
                    await ride_out("deliverer", take)
                    for org_id, delivery_id in claimed:
                        await slots.acquire_on_behalf_of((org_id, delivery_id))
                        nursery.start_soon(self._one, sender, slots, org_id, delivery_id)
                    with trio.move_on_after(self.sweep_interval):
                        await self.mailbox.receive.receive()
                        await trio.sleep(self.linger)  # a burst of commits (or of finished sends) shares one claim
        finally:
            with trio.CancelScope(shield=True):
                await sender.aclose()

    async def _one(self, sender: Sender, slots: trio.CapacityLimiter, org_id: UUID, delivery_id: UUID) -> None:
        try:
            await self.deliver(sender, org_id, delivery_id)
            self.sent += 1
        except DatabaseUnavailable:
            # The lease runs out and the delivery is claimed again once the database is back.
            log.warning("deliverer.database_unavailable", delivery_id=delivery_id)
        finally:
            slots.release_on_behalf_of((org_id, delivery_id))
            self.poke()  # a slot is free: there may be more to claim
