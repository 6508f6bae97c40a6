"""Topics: read with their forum's visibility, list by activity, write, count replies and views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn, FromContext, Query, rows
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class TopicRow(Row):
    """A topic as `access_topic` loads it: the stored row with its author's name and avatar, its forum's
    `view_rank` and `path`, the solution's id and whether the viewer moderates there (`in_mod_scope`)."""

    id: UUID
    org_id: UUID
    forum_id: UUID
    title: str
    slug: str
    content: str
    html: str
    excerpt: str
    author_id: UUID | None
    display_name: str | None
    avatar_url: str | None
    is_pinned: bool
    is_locked: bool
    is_announcement: bool
    view_count: int
    reply_count: int
    last_reply_at: datetime | None
    last_reply_by: UUID | None
    last_activity_at: datetime
    tags: tuple[str, ...]
    edit_count: int
    last_edited_at: datetime | None
    created_at: datetime
    forum_view_rank: int
    forum_path: tuple[UUID, ...]
    solution_post_id: UUID | None
    in_mod_scope: bool

    _TUPLES = ("tags", "forum_path")

_SELECT = """
SELECT t.id, t.org_id, t.forum_id, t.title, t.slug, t.content, t.html, t.excerpt, t.author_id,
       u.display_name, u.avatar_url, t.is_pinned, t.is_locked, t.is_announcement, t.view_count, t.reply_count,
       t.last_reply_at, t.last_reply_by, t.last_activity_at, t.tags, t.edit_count, t.last_edited_at,
       t.created_at, f.view_rank AS forum_view_rank, f.path AS forum_path,
       (SELECT p.id FROM posts p WHERE p.org_id = t.org_id AND p.topic_id = t.id AND p.is_solution)
           AS solution_post_id
FROM topics t JOIN forums f ON f.org_id = t.org_id AND f.id = t.forum_id
LEFT JOIN users u ON u.id = t.author_id
"""
# Whether viewer $3 moderates here: no assignments means the whole org, else the forum's ancestry.
_SCOPE = """
SELECT NOT EXISTS (SELECT 1 FROM moderator_assignments ma WHERE ma.org_id = $1 AND ma.user_id = $3)
    OR EXISTS (SELECT 1 FROM moderator_assignments ma
               WHERE ma.org_id = $1 AND ma.user_id = $3 AND ma.forum_id = ANY(f.path))
"""
_GET = _SELECT.replace("FROM topics t", f", ({_SCOPE}) AS in_mod_scope FROM topics t", 1) + \
    "WHERE t.org_id = $1 AND t.id = $2"
_LOCK = "SELECT id FROM topics WHERE org_id = $1 AND id = $2 FOR UPDATE"
_LIST = _SELECT + """
WHERE t.org_id = $1 AND t.forum_id = $2 AND ($3::text IS NULL OR $3 = ANY(t.tags))
  AND ($4::boolean IS NULL OR (t.is_pinned, t.last_activity_at, t.id) < ($4, $5, $6))
ORDER BY t.is_pinned DESC, t.last_activity_at DESC, t.id DESC LIMIT $7
"""
_LIST_ANNOUNCEMENTS = _SELECT + """
WHERE t.org_id = $1 AND t.is_announcement AND f.view_rank <= $2
ORDER BY t.created_at DESC, t.id DESC LIMIT $3
"""
_TITLES = "SELECT id, title FROM topics WHERE org_id = $1 AND id = ANY($2::uuid[])"
_SLUG_TAKEN = "SELECT EXISTS (SELECT 1 FROM topics WHERE org_id = $1 AND forum_id = $2 AND slug = $3)"
_INSERT = """
INSERT INTO topics (id, org_id, forum_id, title, slug, content, html, author_id, tags, is_announcement, excerpt)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING created_at
"""
_UPDATE = """
UPDATE topics SET title = coalesce($3, title), slug = coalesce($4, slug), content = coalesce($5, content),
    html = coalesce($6, html), excerpt = coalesce($12, excerpt), tags = coalesce($7, tags),
    is_pinned = coalesce($8, is_pinned),
    is_locked = coalesce($9, is_locked), is_announcement = coalesce($10, is_announcement),
    edit_count = edit_count + CASE WHEN $5::text IS NULL THEN 0 ELSE 1 END,
    last_edited_at = CASE WHEN $5::text IS NULL THEN last_edited_at ELSE now() END,
    last_edited_by = CASE WHEN $5::text IS NULL THEN last_edited_by ELSE $11 END
WHERE org_id = $1 AND id = $2
"""
_SET_FORUM = "UPDATE topics SET forum_id = $3, slug = $4 WHERE org_id = $1 AND id = $2"
_DELETE = "DELETE FROM topics WHERE org_id = $1 AND id = $2"
# Run with the topic row locked and the post change already made: the latest live reply
# is then exact, and reply_count moves by the caller's delta (SQL refresh_topic_replies, which
# create_post() runs too).
_REFRESH_REPLIES = "SELECT refresh_topic_replies($1, $2, $3)"
_ADD_VIEWS = """
UPDATE topics SET view_count = view_count + v.n
FROM unnest($2::uuid[], $3::bigint[]) AS v(id, n)
WHERE topics.org_id = $1 AND topics.id = v.id
"""


def get_topic_query(org_id: UUID | FromContext, topic_id: UUID, viewer: UUID | FromContext | None) -> Query:
    return Query("fetchrow", _GET, (org_id, topic_id, viewer))


async def get_topic(conn: Conn, org_id: UUID, topic_id: UUID, viewer: UUID | None) -> TopicRow | None:
    record = await conn.fetchrow(_GET, org_id, topic_id, viewer)
    return TopicRow.from_record(record) if record is not None else None


async def lock_topic(conn: Conn, org_id: UUID, topic_id: UUID) -> bool:
    return await conn.fetchval(_LOCK, org_id, topic_id) is not None


async def list_forum_topics(conn: Conn, org_id: UUID, forum_id: UUID, *, tag: str | None,
                            before: tuple[bool, datetime, UUID] | None, limit: int) -> list[dict[str, Any]]:
    pinned, at, last_id = before if before else (None, None, None)
    return rows(await conn.fetch(_LIST, org_id, forum_id, tag, pinned, at, last_id, limit))


async def titles(conn: Conn, org_id: UUID, topic_ids: list[UUID]) -> dict[UUID, str]:
    """The topics' titles as they are now."""
    if not topic_ids:
        return {}
    return {r["id"]: r["title"] for r in await conn.fetch(_TITLES, org_id, topic_ids)}


async def list_announcements(conn: Conn, org_id: UUID, rank: int, limit: int) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_LIST_ANNOUNCEMENTS, org_id, rank, limit))


async def slug_taken(conn: Conn, org_id: UUID, forum_id: UUID, slug: str) -> bool:
    return bool(await conn.fetchval(_SLUG_TAKEN, org_id, forum_id, slug))


async def insert_topic(conn: Conn, *, topic_id: UUID, org_id: UUID, forum_id: UUID, title: str, slug: str,
                       content: str, html: str, author_id: UUID | None, tags: list[str],
                       is_announcement: bool, excerpt: str) -> datetime:
    created: datetime = await conn.fetchval(_INSERT, topic_id, org_id, forum_id, title, slug, content, html,
                                            author_id, tags, is_announcement, excerpt)
    return created


async def update_topic(conn: Conn, org_id: UUID, topic_id: UUID, changes: dict[str, Any],
                       editor_id: UUID | None) -> None:
    await conn.execute(_UPDATE, org_id, topic_id, changes.get("title"), changes.get("slug"), changes.get("content"),
                       changes.get("html"), changes.get("tags"), changes.get("is_pinned"), changes.get("is_locked"),
                       changes.get("is_announcement"), editor_id, changes.get("excerpt"))


async def set_forum(conn: Conn, org_id: UUID, topic_id: UUID, forum_id: UUID, slug: str) -> None:
    await conn.execute(_SET_FORUM, org_id, topic_id, forum_id, slug)


async def delete_topic(conn: Conn, org_id: UUID, topic_id: UUID) -> None:
    await conn.execute(_DELETE, org_id, topic_id)


async def refresh_replies(conn: Conn, org_id: UUID, topic_id: UUID, delta: int) -> datetime:
    at: datetime = await conn.fetchval(_REFRESH_REPLIES, org_id, topic_id, delta)
    return at


async def add_views(conn: Conn, org_id: UUID, counts: dict[UUID, int]) -> None:
    await conn.execute(_ADD_VIEWS, org_id, list(counts), list(counts.values()))
