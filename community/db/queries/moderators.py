"""Moderator assignments: which forums a moderator moderates (none: the whole organization)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from community.db.pool import Conn
from community.db.queries import Row

_LIST = """
SELECT f.id, f.name, f.slug, f.path, ma.assigned_by, ma.created_at
FROM moderator_assignments ma JOIN forums f ON f.org_id = ma.org_id AND f.id = ma.forum_id
WHERE ma.org_id = $1 AND ma.user_id = $2 ORDER BY f.name, f.id
"""
_ADD = """
INSERT INTO moderator_assignments (org_id, user_id, forum_id, assigned_by) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING RETURNING forum_id
"""
_REMOVE = "DELETE FROM moderator_assignments WHERE org_id = $1 AND user_id = $2 AND forum_id = $3 RETURNING forum_id"
# A member is in a moderator's scope when they wrote a topic or a post in one of the moderator's
# forums (or a forum under one).
_IN_SCOPE = """
SELECT EXISTS (
    SELECT 1 FROM topics t JOIN forums f ON f.org_id = t.org_id AND f.id = t.forum_id
    WHERE t.org_id = $1 AND f.path && $3::uuid[]
      AND (t.author_id = $2
           OR EXISTS (SELECT 1 FROM posts p WHERE p.org_id = t.org_id AND p.topic_id = t.id AND p.author_id = $2)))
"""


@dataclass(frozen=True, slots=True)
class AssignmentRow(Row):
    """A moderator's assignment as `_LIST` reads it: the forum's id, name, slug and path (root first),
    then who assigned it and when (the assignment's `created_at`)."""

    id: UUID
    name: str
    slug: str
    path: tuple[UUID, ...]
    assigned_by: UUID | None
    created_at: datetime

    _TUPLES = ("path",)


async def list_assignments(conn: Conn, org_id: UUID, user_id: UUID) -> list[AssignmentRow]:
    return AssignmentRow.from_records(await conn.fetch(_LIST, org_id, user_id))


async def add_assignment(conn: Conn, org_id: UUID, user_id: UUID, forum_id: UUID, assigned_by: UUID | None) -> bool:
    return await conn.fetchval(_ADD, org_id, user_id, forum_id, assigned_by) is not None


async def remove_assignment(conn: Conn, org_id: UUID, user_id: UUID, forum_id: UUID) -> bool:
    return await conn.fetchval(_REMOVE, org_id, user_id, forum_id) is not None


async def in_scope(conn: Conn, org_id: UUID, user_id: UUID, forum_ids: list[UUID]) -> bool:
    return bool(await conn.fetchval(_IN_SCOPE, org_id, user_id, forum_ids))
