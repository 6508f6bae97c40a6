"""The activity log: append in the writer's transaction, read for resume and the dashboard."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from community.db.pool import Conn, Record
from community.domain.events import Activity, Channel, EventType

# The counter row's lock is held to commit, so seq is gapless in commit order per org.
_APPEND = """
WITH next AS (
    INSERT INTO org_event_counters (org_id, last_seq) VALUES ($1, 1)
    ON CONFLICT (org_id) DO UPDATE SET last_seq = org_event_counters.last_seq + 1
    RETURNING last_seq
)
INSERT INTO activity (org_id, seq, channel, type, payload, actor_id)
SELECT $1, last_seq, $2, $3, $4, $5 FROM next
RETURNING org_id, seq, channel, type, payload, actor_id, created_at
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
