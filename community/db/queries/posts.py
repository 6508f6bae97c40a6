"""Posts: the topic page in one query, writes, revisions, reactions, solutions, mentions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database, FromContext, Query, rows
from community.db.queries import Row
from community.db.queries.activity import NewEvent, Written, write_statement


@dataclass(frozen=True, slots=True)
class PostRow(Row):
    """A post as `access_post` loads it: the stored row with its author's name and avatar, the viewer's
    own reactions, its topic's forum, author and lock, its forum's `view_rank` and `path`, and whether
    the viewer moderates there (`in_mod_scope`)."""

    id: UUID
    org_id: UUID
    topic_id: UUID
    parent_id: UUID | None
    author_id: UUID | None
    display_name: str | None
    avatar_url: str | None
    content: str
    html: str
    is_solution: bool
    reactions: Mapping[str, int]
    edit_count: int
    last_edited_at: datetime | None
    is_hidden: bool
    deleted_at: datetime | None
    created_at: datetime
    attachments: list[dict[str, Any]] | None
    my_reactions: tuple[str, ...]
    forum_id: UUID
    topic_author_id: UUID | None
    topic_is_locked: bool
    forum_view_rank: int
    forum_path: tuple[UUID, ...]
    in_mod_scope: bool

    _TUPLES = ("my_reactions", "forum_path")

# $1 org, $2 the viewer (for my_reactions); everything a post view needs, in one row.
_SELECT = """
SELECT p.id, p.org_id, p.topic_id, p.parent_id, p.author_id, u.display_name, u.avatar_url, p.content, p.html,
       p.is_solution, p.reactions, p.edit_count, p.last_edited_at, p.is_hidden, p.deleted_at, p.created_at,
       p.attachments,
       ARRAY(SELECT r.emoji FROM post_reactions r
             WHERE r.org_id = p.org_id AND r.post_id = p.id AND r.user_id = $2 ORDER BY r.emoji) AS my_reactions
"""
_FROM = " FROM posts p LEFT JOIN users u ON u.id = p.author_id "
# A deleted post stays as a placeholder only while replies hang under it.
_PAGE = _SELECT + _FROM + """
WHERE p.org_id = $1 AND p.topic_id = $3 AND ($4::timestamptz IS NULL OR (p.created_at, p.id) > ($4, $5))
  AND (p.deleted_at IS NULL
       OR EXISTS (SELECT 1 FROM posts c WHERE c.org_id = p.org_id AND c.parent_id = p.id))
ORDER BY p.created_at, p.id LIMIT $6
"""  # noqa: S608 - constant fragments
_GET = _SELECT + """, t.forum_id, t.author_id AS topic_author_id, t.is_locked AS topic_is_locked,
       f.view_rank AS forum_view_rank, f.path AS forum_path,
       NOT EXISTS (SELECT 1 FROM moderator_assignments ma WHERE ma.org_id = $1 AND ma.user_id = $2)
       OR EXISTS (SELECT 1 FROM moderator_assignments ma
                  WHERE ma.org_id = $1 AND ma.user_id = $2 AND ma.forum_id = ANY(f.path)) AS in_mod_scope
""" + _FROM + """
JOIN topics t ON t.org_id = p.org_id AND t.id = p.topic_id
JOIN forums f ON f.org_id = t.org_id AND f.id = t.forum_id
WHERE p.org_id = $1 AND p.id = $3
"""  # noqa: S608 - constant fragments
_INSERT = """
INSERT INTO posts (id, org_id, topic_id, parent_id, content, html, author_id)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at
"""
_EDIT = """
WITH revision AS (
    INSERT INTO post_revisions (org_id, post_id, editor_id, previous_content)
    SELECT org_id, id, $3, content FROM posts WHERE org_id = $1 AND id = $2)
UPDATE posts SET content = $4, html = $5, edit_count = edit_count + 1, last_edited_at = now(), last_edited_by = $3
WHERE org_id = $1 AND id = $2
"""
_SOFT_DELETE = """
UPDATE posts SET deleted_at = now(), deleted_by = $3, is_solution = false
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id
"""
_HIDE = "UPDATE posts SET is_hidden = $3 WHERE org_id = $1 AND id = $2"
_CLEAR_SOLUTION = "UPDATE posts SET is_solution = false WHERE org_id = $1 AND topic_id = $2 AND is_solution"
_SET_SOLUTION = "UPDATE posts SET is_solution = true WHERE org_id = $1 AND id = $2"
_REVISIONS = """
SELECT r.id, r.editor_id, u.display_name, u.avatar_url, r.previous_content, r.edited_at
FROM post_revisions r LEFT JOIN users u ON u.id = r.editor_id
WHERE r.org_id = $1 AND r.post_id = $2 ORDER BY r.id DESC LIMIT 100
"""
_REACT = """
WITH added AS (
    INSERT INTO post_reactions (org_id, post_id, user_id, emoji) VALUES ($1, $2, $3, $4::text)
    ON CONFLICT DO NOTHING RETURNING 1)
UPDATE posts
SET reactions = jsonb_set(reactions, ARRAY[$4::text], to_jsonb(coalesce((reactions->>$4::text)::int, 0) + 1))
WHERE org_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM added)
"""
_UNREACT = """
WITH removed AS (
    DELETE FROM post_reactions WHERE org_id = $1 AND post_id = $2 AND user_id = $3 AND emoji = $4::text
    RETURNING 1)
UPDATE posts SET reactions = CASE WHEN coalesce((reactions->>$4::text)::int, 0) <= 1 THEN reactions - $4::text
    ELSE jsonb_set(reactions, ARRAY[$4::text], to_jsonb((reactions->>$4::text)::int - 1)) END
WHERE org_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM removed)
"""
# Handles are display names lower-cased without spaces; only members who can see the forum.
_RESOLVE_MENTIONS = """
SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.org_id = $1 AND m.status = 'active' AND role_rank(m.role) >= $3
  AND lower(replace(u.display_name, ' ', '')) = ANY($2::text[])
"""
# The same rule as _RESOLVE_MENTIONS, the forum's visibility read from the topic ($3).
_TOPIC_MENTIONS = """
SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.org_id = $1 AND m.status = 'active' AND lower(replace(u.display_name, ' ', '')) = ANY($2::text[])
  AND role_rank(m.role) >= (SELECT f.view_rank FROM topics t JOIN forums f ON f.org_id = t.org_id AND f.id = t.forum_id
                            WHERE t.org_id = $1 AND t.id = $3)
"""
_JOINED = "SELECT joined_at FROM memberships WHERE org_id = $1 AND user_id = $2"
_CREATE = """
SELECT outcome, retry_after, event_seq, event_at
FROM create_post($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
"""
_INSERT_MENTIONS = """
INSERT INTO post_mentions (org_id, post_id, user_id) SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING
"""


async def get_post(conn: Conn, org_id: UUID, post_id: UUID, viewer: UUID | None) -> PostRow | None:
    record = await conn.fetchrow(_GET, org_id, viewer, post_id)
    return PostRow.from_record(record) if record is not None else None


def get_post_query(org_id: UUID | FromContext, post_id: UUID | None, viewer: UUID | FromContext | None) -> Query:
    return Query("fetchrow", _GET, (org_id, viewer, post_id))


def topic_mentions_query(org_id: UUID | FromContext, topic_id: UUID, handles: list[str]) -> Query:
    """Members `@handles` name who can see the topic's forum."""
    return Query("fetch", _TOPIC_MENTIONS, (org_id, handles, topic_id))


def joined_at_query(org_id: UUID | FromContext, user_id: UUID | FromContext) -> Query:
    return Query("fetchval", _JOINED, (org_id, user_id))


@dataclass(frozen=True)
class NewPost:
    """A reply as `create_post()` writes it, with what the checks saw (the function verifies it still holds)."""

    post_id: UUID
    org_id: UUID
    topic_id: UUID
    parent_id: UUID | None
    author_id: UUID
    content: str
    html: str
    created_at: datetime
    forum_id: UUID
    is_locked: bool
    forum_view_rank: int
    mentions: list[UUID]


async def create_post(target: Conn | Database, post: NewPost, limit: tuple[bytes, int, float] | None,
                      event: NewEvent) -> Written:
    """One statement: verify, count the posting limit (key hash, limit, window), insert, counters, mentions,
    the activity."""
    no_limit = (None, None, None)
    args = (post.org_id, post.author_id, post.post_id, post.topic_id, post.parent_id, post.content, post.html,
            post.created_at, post.forum_id, post.is_locked, post.forum_view_rank, post.mentions,
            *(limit or no_limit), *event.args())
    return await write_statement(target, _CREATE, args)


def topic_posts_query(org_id: UUID | FromContext, topic_id: UUID, viewer: UUID | FromContext | None, *,
                      after: tuple[datetime, UUID] | None, limit: int) -> Query:
    at, last_id = after if after else (None, None)
    return Query("fetch", _PAGE, (org_id, viewer, topic_id, at, last_id, limit))


async def list_topic_posts(conn: Conn, org_id: UUID, topic_id: UUID, viewer: UUID | None, *,
                           after: tuple[datetime, UUID] | None, limit: int) -> list[dict[str, Any]]:
    at, last_id = after if after else (None, None)
    return rows(await conn.fetch(_PAGE, org_id, viewer, topic_id, at, last_id, limit))


async def insert_post(conn: Conn, *, post_id: UUID, org_id: UUID, topic_id: UUID, parent_id: UUID | None,
                      content: str, html: str, author_id: UUID | None) -> datetime:
    created: datetime = await conn.fetchval(_INSERT, post_id, org_id, topic_id, parent_id, content, html, author_id)
    return created


async def edit_post(conn: Conn, org_id: UUID, post_id: UUID, *, editor_id: UUID | None, content: str,
                    html: str) -> None:
    await conn.execute(_EDIT, org_id, post_id, editor_id, content, html)


async def soft_delete_post(conn: Conn, org_id: UUID, post_id: UUID, deleted_by: UUID | None) -> bool:
    return await conn.fetchval(_SOFT_DELETE, org_id, post_id, deleted_by) is not None


async def set_hidden(conn: Conn, org_id: UUID, post_id: UUID, hidden: bool) -> None:
    await conn.execute(_HIDE, org_id, post_id, hidden)


async def mark_solution(conn: Conn, org_id: UUID, topic_id: UUID, post_id: UUID) -> None:
    await conn.execute(_CLEAR_SOLUTION, org_id, topic_id)
    await conn.execute(_SET_SOLUTION, org_id, post_id)


async def list_revisions(conn: Conn, org_id: UUID, post_id: UUID) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_REVISIONS, org_id, post_id))


async def add_reaction(conn: Conn, org_id: UUID, post_id: UUID, user_id: UUID, emoji: str) -> bool:
    return await conn.execute(_REACT, org_id, post_id, user_id, emoji) != "UPDATE 0"


async def remove_reaction(conn: Conn, org_id: UUID, post_id: UUID, user_id: UUID, emoji: str) -> bool:
    return await conn.execute(_UNREACT, org_id, post_id, user_id, emoji) != "UPDATE 0"


async def resolve_mentions(conn: Conn, org_id: UUID, handles: list[str], min_rank: int) -> list[UUID]:
    if not handles:
        return []
    return [r["user_id"] for r in await conn.fetch(_RESOLVE_MENTIONS, org_id, handles, min_rank)]


async def insert_mentions(conn: Conn, org_id: UUID, post_id: UUID, user_ids: list[UUID]) -> None:
    if user_ids:
        await conn.execute(_INSERT_MENTIONS, org_id, post_id, user_ids)
