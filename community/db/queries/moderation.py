"""Flags (the moderation queue) and the append-only moderation log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class FlagRow(Row):
    """A flag with its reporter's name and avatar, and what the queue shows and checks of its post: the
    topic, the content, the post's author and its forum's `path` (a moderator's scope is matched on it)."""

    id: UUID
    org_id: UUID
    post_id: UUID
    forum_id: UUID
    reporter_id: UUID | None
    display_name: str | None
    avatar_url: str | None
    reason: str
    status: str
    resolution: str | None
    resolved_by: UUID | None
    resolved_at: datetime | None
    created_at: datetime
    topic_id: UUID
    content: str
    post_author_id: UUID | None
    forum_path: tuple[UUID, ...]

    _TUPLES = ("forum_path",)


@dataclass(frozen=True, slots=True)
class LogEntryRow(Row):
    """A moderation log entry with its actor's name and avatar."""

    id: int
    actor_id: UUID | None
    display_name: str | None
    avatar_url: str | None
    action: str
    target_type: str
    target_id: UUID
    details: dict[str, Any]
    created_at: datetime

_FLAG = """
SELECT fl.id, fl.org_id, fl.post_id, fl.forum_id, fl.reporter_id, u.display_name, u.avatar_url, fl.reason,
       fl.status, fl.resolution, fl.resolved_by, fl.resolved_at, fl.created_at, p.topic_id, p.content,
       p.author_id AS post_author_id, f.path AS forum_path
FROM flags fl
JOIN posts p ON p.org_id = fl.org_id AND p.id = fl.post_id
JOIN topics t ON t.org_id = p.org_id AND t.id = p.topic_id
JOIN forums f ON f.org_id = t.org_id AND f.id = t.forum_id
LEFT JOIN users u ON u.id = fl.reporter_id
"""
_GET_FLAG = _FLAG + "WHERE fl.org_id = $1 AND fl.id = $2"
# $3: the forums a scoped moderator covers (NULL for the whole org), matched against ancestry.
_LIST_FLAGS = _FLAG + """
WHERE fl.org_id = $1 AND fl.status = $2 AND ($3::uuid[] IS NULL OR f.path && $3)
  AND ($4::timestamptz IS NULL OR (fl.created_at, fl.id) > ($4, $5))
ORDER BY fl.created_at, fl.id LIMIT $6
"""
_INSERT_FLAG = """
INSERT INTO flags (id, org_id, post_id, forum_id, reporter_id, reason) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (org_id, post_id, reporter_id) WHERE status = 'open' DO NOTHING RETURNING id
"""
_RESOLVE_FLAG = """
UPDATE flags SET status = $3, resolution = $4, resolved_by = $5, resolved_at = now()
WHERE org_id = $1 AND id = $2 AND status = 'open' RETURNING id
"""
# Resolving a post's flag by hiding or deleting it closes every open flag on that post.
_RESOLVE_POST_FLAGS = """
UPDATE flags SET status = 'resolved', resolution = $3, resolved_by = $4, resolved_at = now()
WHERE org_id = $1 AND post_id = $2 AND status = 'open'
"""
_LOG = """
INSERT INTO moderation_log (org_id, actor_id, action, target_type, target_id, details)
VALUES ($1, $2, $3, $4, $5, $6)
"""
_LIST_LOG = """
SELECT l.id, l.actor_id, u.display_name, u.avatar_url, l.action, l.target_type, l.target_id, l.details,
       l.created_at
FROM moderation_log l LEFT JOIN users u ON u.id = l.actor_id
WHERE l.org_id = $1 AND ($2::bigint IS NULL OR l.id < $2)
ORDER BY l.id DESC LIMIT $3
"""


async def get_flag(conn: Conn, org_id: UUID, flag_id: UUID) -> FlagRow | None:
    found = await conn.fetchrow(_GET_FLAG, org_id, flag_id)
    return FlagRow.from_record(found) if found is not None else None


async def list_flags(conn: Conn, org_id: UUID, *, status: str, scope: list[UUID] | None,
                     after: tuple[datetime, UUID] | None, limit: int) -> list[FlagRow]:
    at, last_id = after if after else (None, None)
    return FlagRow.from_records(await conn.fetch(_LIST_FLAGS, org_id, status, scope, at, last_id, limit))


async def insert_flag(conn: Conn, *, flag_id: UUID, org_id: UUID, post_id: UUID, forum_id: UUID,
                      reporter_id: UUID | None, reason: str) -> bool:
    """False when the reporter already has an open flag on this post."""
    return await conn.fetchval(_INSERT_FLAG, flag_id, org_id, post_id, forum_id, reporter_id, reason) is not None


async def resolve_flag(conn: Conn, org_id: UUID, flag_id: UUID, *, status: str, resolution: str,
                       resolved_by: UUID | None) -> bool:
    return await conn.fetchval(_RESOLVE_FLAG, org_id, flag_id, status, resolution, resolved_by) is not None


async def resolve_post_flags(conn: Conn, org_id: UUID, post_id: UUID, *, resolution: str,
                             resolved_by: UUID | None) -> None:
    await conn.execute(_RESOLVE_POST_FLAGS, org_id, post_id, resolution, resolved_by)


async def append_log(conn: Conn, org_id: UUID, *, actor_id: UUID | None, action: str, target_type: str,
                     target_id: UUID, details: dict[str, Any]) -> None:
    await conn.execute(_LOG, org_id, actor_id, action, target_type, target_id, details)


async def list_log(conn: Conn, org_id: UUID, *, before: int | None, limit: int) -> list[LogEntryRow]:
    return LogEntryRow.from_records(await conn.fetch(_LIST_LOG, org_id, before, limit))
