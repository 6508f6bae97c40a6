"""Forums: the tree, its visibility ranks, its counters, and who moderates where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn, FromContext, Query, row, rows
from community.db.queries import Row

COLUMNS = ("id, org_id, name, description, slug, parent_id, is_private, required_role, sort_order, topic_count, "
           "post_count, last_post_at, created_at, updated_at, path, view_rank")


@dataclass(frozen=True, slots=True)
class ForumRow(Row):
    """A forum as stored. `path`: its ancestors' ids and its own, root first; `view_rank`: the
    highest `required_role` rank of a private forum on that path (0 when none is private)."""

    id: UUID
    org_id: UUID
    name: str
    description: str | None
    slug: str
    parent_id: UUID | None
    is_private: bool
    required_role: str
    sort_order: int
    topic_count: int
    post_count: int
    last_post_at: datetime | None
    created_at: datetime
    updated_at: datetime
    path: tuple[UUID, ...]
    view_rank: int

    _TUPLES = ("path",)


_GET = f"SELECT {COLUMNS} FROM forums WHERE org_id = $1 AND id = $2"  # noqa: S608 - column list constant
_GET_FOR_UPDATE = _GET + " FOR UPDATE"
_LIST_VISIBLE = f"""
SELECT {COLUMNS} FROM forums WHERE org_id = $1 AND view_rank <= $2
ORDER BY cardinality(path), sort_order, name, id
"""  # noqa: S608
_SLUG_TAKEN = "SELECT EXISTS (SELECT 1 FROM forums WHERE org_id = $1 AND slug = $2)"
_INSERT = f"""
INSERT INTO forums (id, org_id, name, description, slug, parent_id, is_private, required_role, sort_order, path)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}
"""  # noqa: S608
_UPDATE = f"""
UPDATE forums SET name = coalesce($3, name), description = CASE WHEN $4 THEN $5 ELSE description END,
    is_private = coalesce($6, is_private), required_role = coalesce($7, required_role),
    sort_order = coalesce($8, sort_order), updated_at = now()
WHERE org_id = $1 AND id = $2 RETURNING {COLUMNS}
"""  # noqa: S608
# Re-root a subtree under a new parent: every descendant's path keeps its tail from `id` on.
_MOVE_SUBTREE = """
UPDATE forums SET path = $3::uuid[] || path[array_position(path, $2):],
    parent_id = CASE WHEN id = $2 THEN $4 ELSE parent_id END
WHERE org_id = $1 AND $2 = ANY(path)
"""
_SUBTREE_HEIGHT = """
SELECT coalesce(max(cardinality(path) - array_position(path, $2) + 1), 1) FROM forums
WHERE org_id = $1 AND $2 = ANY(path)
"""
_REFRESH_VIEW_RANK = """
UPDATE forums f SET view_rank = (
    SELECT coalesce(max(CASE WHEN a.is_private THEN role_rank(a.required_role) ELSE 0 END), 0)
    FROM forums a WHERE a.org_id = f.org_id AND a.id = ANY(f.path))
WHERE f.org_id = $1 AND $2 = ANY(f.path)
"""
_DELETE = "DELETE FROM forums WHERE org_id = $1 AND id = $2 RETURNING id"
_ASSIGNED = "SELECT forum_id FROM moderator_assignments WHERE org_id = $1 AND user_id = $2"
# Counters move by deltas so concurrent writers never lose each other's updates.
_BUMP = """
UPDATE forums SET topic_count = topic_count + $3, post_count = post_count + $4,
    last_post_at = greatest(last_post_at, $5)
WHERE org_id = $1 AND id = $2
"""
_REFRESH_LAST_POST = """
UPDATE forums f SET last_post_at = (
    SELECT max(t.last_activity_at) FROM topics t WHERE t.org_id = f.org_id AND t.forum_id = f.id)
WHERE f.org_id = $1 AND f.id = $2
"""


def get_forum_query(org_id: UUID | FromContext, forum_id: UUID) -> Query:
    return Query("fetchrow", _GET, (org_id, forum_id))


async def get_forum(conn: Conn, org_id: UUID, forum_id: UUID, *, for_update: bool = False) -> ForumRow | None:
    record = await conn.fetchrow(_GET_FOR_UPDATE if for_update else _GET, org_id, forum_id)
    return ForumRow.from_record(record) if record is not None else None


async def list_visible_forums(conn: Conn, org_id: UUID, rank: int) -> list[ForumRow]:
    """Parents before their children."""
    return ForumRow.from_records(await conn.fetch(_LIST_VISIBLE, org_id, rank))


async def slug_taken(conn: Conn, org_id: UUID, slug: str) -> bool:
    return bool(await conn.fetchval(_SLUG_TAKEN, org_id, slug))


async def insert_forum(conn: Conn, *, forum_id: UUID, org_id: UUID, name: str, description: str | None, slug: str,
                       parent_id: UUID | None, is_private: bool, required_role: str, sort_order: int,
                       path: list[UUID]) -> ForumRow:
    record = await conn.fetchrow(_INSERT, forum_id, org_id, name, description, slug, parent_id, is_private,
                                 required_role, sort_order, path)
    assert record is not None
    return ForumRow.from_record(record)


async def update_forum(conn: Conn, org_id: UUID, forum_id: UUID, changes: dict[str, Any]) -> dict[str, Any] | None:
    return row(await conn.fetchrow(
        _UPDATE, org_id, forum_id, changes.get("name"), "description" in changes, changes.get("description"),
        changes.get("is_private"), changes.get("required_role"), changes.get("sort_order")))


async def move_subtree(conn: Conn, org_id: UUID, forum_id: UUID, *, parent_path: list[UUID],
                       parent_id: UUID | None) -> None:
    await conn.execute(_MOVE_SUBTREE, org_id, forum_id, parent_path, parent_id)


async def subtree_height(conn: Conn, org_id: UUID, forum_id: UUID) -> int:
    return int(await conn.fetchval(_SUBTREE_HEIGHT, org_id, forum_id))


async def refresh_view_rank(conn: Conn, org_id: UUID, forum_id: UUID) -> None:
    await conn.execute(_REFRESH_VIEW_RANK, org_id, forum_id)


async def delete_forum(conn: Conn, org_id: UUID, forum_id: UUID) -> bool:
    return await conn.fetchval(_DELETE, org_id, forum_id) is not None


async def assigned_forums(conn: Conn, org_id: UUID, user_id: UUID) -> list[UUID]:
    return [r["forum_id"] for r in await conn.fetch(_ASSIGNED, org_id, user_id)]


async def bump_counters(conn: Conn, org_id: UUID, forum_id: UUID, *, topics: int = 0, posts: int = 0,
                        at: object = None) -> None:
    await conn.execute(_BUMP, org_id, forum_id, topics, posts, at)


async def refresh_last_post(conn: Conn, org_id: UUID, forum_id: UUID) -> None:
    await conn.execute(_REFRESH_LAST_POST, org_id, forum_id)


_DASHBOARD_STATS = """
SELECT
    (SELECT count(*) FROM topics t JOIN forums f ON f.org_id = t.org_id AND f.id = t.forum_id
     WHERE t.org_id = $1 AND f.view_rank <= $2 AND t.last_activity_at > now() - interval '7 days')
        AS active_discussions,
    (SELECT coalesce(sum(topic_count + post_count), 0) FROM forums WHERE org_id = $1 AND view_rank <= $2)
        AS total_posts
"""
_MEMBER_STATS = """
SELECT role, count(*) AS n
FROM memberships WHERE org_id = $1 AND status = 'active' GROUP BY role
"""


async def dashboard_stats(conn: Conn, org_id: UUID, rank: int) -> dict[str, Any]:
    record = row(await conn.fetchrow(_DASHBOARD_STATS, org_id, rank))
    assert record is not None
    return record


async def member_stats(conn: Conn, org_id: UUID) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_MEMBER_STATS, org_id))
