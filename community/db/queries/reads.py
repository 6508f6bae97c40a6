"""Read positions per member and topic, unread counts, and visits per organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Query, row, rows
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class VisitRow(Row):
    """A member's visits to an org as `_VISIT` and `_TOUCH_VISIT` read them (org_visits)."""

    last_seen_at: datetime
    previous_visit_at: datetime | None


# Only forward: a stale tab or another device reporting an older post never moves it back.
_ADVANCE = """
INSERT INTO topic_reads (org_id, user_id, topic_id, last_read_post_id, last_read_created_at)
SELECT p.org_id, $2, p.topic_id, p.id, p.created_at FROM posts p
WHERE p.org_id = $1 AND p.topic_id = $3 AND p.id = $4
ON CONFLICT (org_id, user_id, topic_id) DO UPDATE
    SET last_read_post_id = EXCLUDED.last_read_post_id, last_read_created_at = EXCLUDED.last_read_created_at,
        updated_at = now()
    WHERE (topic_reads.last_read_created_at, topic_reads.last_read_post_id)
          < (EXCLUDED.last_read_created_at, EXCLUDED.last_read_post_id)
RETURNING last_read_post_id
"""
_POST_IN_TOPIC = "SELECT 1 FROM posts WHERE org_id = $1 AND topic_id = $2 AND id = $3"
# Per topic of a page: the caller's position and how many live posts come after it.
_STATES = """
SELECT t.id AS topic_id, r.last_read_post_id, r.last_read_created_at,
       (SELECT count(*) FROM posts p
        WHERE p.org_id = $1 AND p.topic_id = t.id AND p.deleted_at IS NULL
          AND (r.topic_id IS NULL
               OR (p.created_at, p.id) > (r.last_read_created_at, r.last_read_post_id)))::int AS unread_count,
       (SELECT p.id FROM posts p
        WHERE p.org_id = $1 AND p.topic_id = t.id AND p.deleted_at IS NULL
          AND (r.topic_id IS NULL
               OR (p.created_at, p.id) > (r.last_read_created_at, r.last_read_post_id))
        ORDER BY p.created_at, p.id LIMIT 1) AS first_unread_post_id
FROM unnest($3::uuid[]) AS t(id)
LEFT JOIN topic_reads r ON r.org_id = $1 AND r.user_id = $2 AND r.topic_id = t.id
"""
# A visit starts after 30 minutes away: the end of the previous one becomes `previous_visit_at`.
_TOUCH_VISIT = """
INSERT INTO org_visits (org_id, user_id) VALUES ($1, $2)
ON CONFLICT (org_id, user_id) DO UPDATE
    SET previous_visit_at = CASE WHEN org_visits.last_seen_at < now() - interval '30 minutes'
                                 THEN org_visits.last_seen_at ELSE org_visits.previous_visit_at END,
        last_seen_at = now()
RETURNING last_seen_at, previous_visit_at
"""
_VISIT_AT = "SELECT previous_visit_at FROM org_visits WHERE org_id = $1 AND user_id = $2"
# The states above plus the previous visit (constant SQL).
_TOPIC_READ = f"SELECT s.*, ({_VISIT_AT}) AS previous_visit_at FROM ({_STATES}) s"  # noqa: S608
_VISIT = "SELECT last_seen_at, previous_visit_at FROM org_visits WHERE org_id = $1 AND user_id = $2"


async def advance_read(conn: Conn, org_id: UUID, user_id: UUID, topic_id: UUID, post_id: UUID) -> bool:
    """Move the position forward to `post_id`; False when the post is not in the topic."""
    if await conn.fetchval(_POST_IN_TOPIC, org_id, topic_id, post_id) is None:
        return False
    await conn.execute(_ADVANCE, org_id, user_id, topic_id, post_id)
    return True


async def read_states(conn: Conn, org_id: UUID, user_id: UUID, topic_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    return {r["topic_id"]: r for r in rows(await conn.fetch(_STATES, org_id, user_id, topic_ids))}


async def touch_visit(conn: Conn, org_id: UUID, user_id: UUID) -> VisitRow:
    record = await conn.fetchrow(_TOUCH_VISIT, org_id, user_id)
    assert record is not None
    return VisitRow.from_record(record)


async def get_visit(conn: Conn, org_id: UUID, user_id: UUID) -> VisitRow | None:
    record = await conn.fetchrow(_VISIT, org_id, user_id)
    return VisitRow.from_record(record) if record is not None else None


def previous_visit(visit: VisitRow | None) -> datetime | None:
    return visit.previous_visit_at if visit is not None else None


def topic_read_query(org_id: object, user_id: object, topic_id: UUID) -> Query:
    """One topic's read state and the reader's previous visit, in one statement (the topic page)."""
    return Query("fetchrow", _TOPIC_READ, (org_id, user_id, [topic_id]))


async def topic_read(conn: Conn, org_id: UUID, user_id: UUID, topic_id: UUID) -> dict[str, Any]:
    record = row(await conn.fetchrow(_TOPIC_READ, org_id, user_id, [topic_id]))
    assert record is not None
    return record
