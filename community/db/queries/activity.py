"""The activity log: append in the writer's transaction, read for resume and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from community.db.pool import Conn, Database, Record
from community.domain.events import Activity, Channel, EventType, dumps

# The counter row's lock is held to commit, so seq is gapless in commit order per org (SQL
# append_activity, which create_post() and send_message() run too).
_APPEND = """
SELECT org_id, seq, channel, type, payload, actor_id, created_at FROM append_activity($1, $2, $3, $4, $5)
"""

_AFTER = """
SELECT org_id, seq, channel, type, payload, actor_id, created_at FROM activity
WHERE org_id = $1 AND seq > $2 AND channel = ANY($3::text[])
ORDER BY seq LIMIT $4
"""

_BY_SEQ = """
SELECT org_id, seq, channel, type, payload, actor_id, created_at FROM activity
WHERE org_id = $1 AND seq = ANY($2::bigint[]) ORDER BY seq
"""

_RECENT = """
SELECT org_id, seq, channel, type, payload, actor_id, created_at FROM activity
WHERE org_id = $1 ORDER BY seq DESC LIMIT $2
"""


def to_activity(record: Record) -> Activity:
    return Activity(org_id=record["org_id"], seq=record["seq"], channel=Channel.parse(record["channel"]),
                    type=EventType(record["type"]),
                    payload=record["payload"], actor_id=record["actor_id"], created_at=record["created_at"])


async def append_activity(conn: Conn, *, org_id: UUID, channel: Channel, type: EventType, payload: dict[str, Any],
                          actor_id: UUID | None) -> Activity:
    record = await conn.fetchrow(_APPEND, org_id, str(channel), type.value, payload, actor_id)
    assert record is not None
    return to_activity(record)


async def list_activity_after(conn: Conn, *, org_id: UUID, after: int, channels: list[Channel],
                              limit: int) -> list[Activity]:
    return [to_activity(r) for r in await conn.fetch(_AFTER, org_id, after, [str(c) for c in channels], limit)]


async def list_recent_activity(conn: Conn, *, org_id: UUID, limit: int) -> list[Activity]:
    return [to_activity(r) for r in await conn.fetch(_RECENT, org_id, limit)]


async def list_activity_by_seq(conn: Conn, org_id: UUID, seqs: list[int]) -> list[Activity]:
    return [to_activity(r) for r in await conn.fetch(_BY_SEQ, org_id, seqs)] if seqs else []


@dataclass(frozen=True)
class NewEvent:
    """An activity row that a write statement appends itself (SQL append_activity)."""

    org_id: UUID
    channel: Channel
    type: EventType
    payload: dict[str, Any]
    actor_id: UUID

    def args(self) -> tuple[str, str, dict[str, Any]]:
        return str(self.channel), self.type.value, self.payload

    def committed(self, seq: int, at: datetime) -> Activity:
        """The row as the log holds it: the payload as JSON reads it back (ids and times as strings)."""
        return Activity(org_id=self.org_id, seq=seq, channel=self.channel, type=self.type,
                        payload=orjson.loads(dumps(self.payload)), actor_id=self.actor_id, created_at=at)


@dataclass(frozen=True)
class Written:
    """What a write statement answers: 'created', 'stale', 'rate_limited' or 'duplicate'."""

    outcome: str
    retry_after: float | None
    seq: int | None
    at: datetime | None


async def write_statement(target: Conn | Database, sql: str, args: tuple[object, ...]) -> Written:
    """Run one write statement: on its own (its own transaction, one handoff) or in the caller's."""
    record = await (target.fetchrow(sql, *args) if isinstance(target, Conn) else target.fetchrow_once(sql, *args))
    assert record is not None
    return Written(outcome=record["outcome"], retry_after=record["retry_after"], seq=record["event_seq"],
                   at=record["event_at"])
