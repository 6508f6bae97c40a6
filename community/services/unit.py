"""A unit of work: one transaction whose activity reaches the notifier only after commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from community.db.pool import Conn
from community.db.queries.activity import append_activity
from community.domain.events import Activity
from community.runtime import Runtime


@dataclass
class Unit:
    conn: Conn
    org_id: UUID | None
    actor_id: UUID | None
    activities: list[Activity] = field(default_factory=list)

    async def record(self, channel: str, type: str, payload: dict[str, Any]) -> Activity:
        """Append to the activity log in this transaction; published once it commits."""
        if self.org_id is None:
            raise RuntimeError("activity needs an org context")
        activity = await append_activity(self.conn, org_id=self.org_id, channel=channel, type=type,
                                         payload=payload, actor_id=self.actor_id)
        self.activities.append(activity)
        return activity


@asynccontextmanager
async def unit_of_work(runtime: Runtime, *, org_id: UUID | None, user_id: UUID | None) -> AsyncIterator[Unit]:
    async with runtime.db.transaction(org_id=org_id, user_id=user_id) as conn:
        unit = Unit(conn=conn, org_id=org_id, actor_id=user_id)
        yield unit
    for activity in unit.activities:
        runtime.notifier.publish_nowait(activity)
    # Triggers queue search work in the writer's transaction, whatever the write was (an org's
    # language, a hidden post...); a poke is coalesced and cheap, so every commit sends one.
    runtime.indexer.poke()
