"""A unit of work: one transaction whose activity reaches the notifier only after commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database
from community.db.queries.activity import append_activity
from community.domain.events import Activity, Channel, EventType
from community.handles import Publisher


@dataclass
class Unit:
    conn: Conn
    org_id: UUID | None
    actor_id: UUID | None
    activities: list[Activity] = field(default_factory=list)

    async def record(self, channel: Channel, type: EventType, payload: dict[str, Any]) -> Activity:
        """Append to the activity log in this transaction; published once it commits."""
        if self.org_id is None:
            raise RuntimeError("activity needs an org context")
        activity = await append_activity(self.conn, org_id=self.org_id, channel=channel, type=type,
                                         payload=payload, actor_id=self.actor_id)
        self.activities.append(activity)
        return activity


@asynccontextmanager
async def unit_of_work(db: Database, publisher: Publisher, *, org_id: UUID | None,
                       user_id: UUID | None) -> AsyncIterator[Unit]:
    async with db.transaction(org_id=org_id, user_id=user_id) as conn:
        unit = Unit(conn=conn, org_id=org_id, actor_id=user_id)
        yield unit
    publisher.committed(unit.activities)


@asynccontextmanager
async def account_unit(db: Database, *, user_id: UUID | None) -> AsyncIterator[Unit]:
    """A unit of work on accounts, outside any org: it can record no activity, so nothing is published."""
    async with db.transaction(user_id=user_id) as conn:
        yield Unit(conn=conn, org_id=None, actor_id=user_id)
