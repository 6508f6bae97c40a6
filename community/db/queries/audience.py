"""What events refer to, as it is now: forum ranks, where topics are, which posts went blank."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from community.db.pool import Conn

_FORUM_RANKS = "SELECT id, view_rank FROM forums WHERE org_id = $1"
_TOPIC_FORUMS = "SELECT id, forum_id FROM topics WHERE org_id = $1 AND id = ANY($2::uuid[])"
_POST_STATES = """
SELECT id, deleted_at IS NOT NULL AS deleted, is_hidden FROM posts
WHERE org_id = $1 AND id = ANY($2::uuid[]) AND (deleted_at IS NOT NULL OR is_hidden)
"""
_JOINED_AT = """
SELECT joined_at FROM memberships WHERE org_id = $1 AND user_id = $2 AND status = 'active'
"""


async def forum_ranks(conn: Conn, org_id: UUID) -> dict[UUID, int]:
    return {r["id"]: r["view_rank"] for r in await conn.fetch(_FORUM_RANKS, org_id)}


async def topic_forums(conn: Conn, org_id: UUID, topic_ids: list[UUID]) -> dict[UUID, UUID]:
    if not topic_ids:
        return {}
    return {r["id"]: r["forum_id"] for r in await conn.fetch(_TOPIC_FORUMS, org_id, topic_ids)}


async def blank_posts(conn: Conn, org_id: UUID, post_ids: list[UUID]) -> tuple[frozenset[UUID], frozenset[UUID]]:
    """(deleted, hidden) among `post_ids`."""
    if not post_ids:
        return frozenset(), frozenset()
    found = await conn.fetch(_POST_STATES, org_id, post_ids)
    return (frozenset(r["id"] for r in found if r["deleted"]),
            frozenset(r["id"] for r in found if r["is_hidden"] and not r["deleted"]))


async def joined_at(conn: Conn, org_id: UUID, user_id: UUID) -> datetime | None:
    value: datetime | None = await conn.fetchval(_JOINED_AT, org_id, user_id)
    return value


_MEMBERSHIP = "SELECT role, permissions FROM memberships WHERE org_id = $1 AND user_id = $2 AND status = 'active'"
_MEMBER_RANKS = "SELECT user_id, role, permissions FROM memberships WHERE org_id = $1 AND status = 'active'"
_PARTICIPATING = """
SELECT conversation_id FROM conversation_participants
WHERE org_id = $1 AND user_id = $2 AND conversation_id = ANY($3::uuid[])
"""


async def membership(conn: Conn, org_id: UUID, user_id: UUID) -> tuple[str, dict[str, object]] | None:
    found = await conn.fetchrow(_MEMBERSHIP, org_id, user_id)
    return (found["role"], found["permissions"] or {}) if found else None


async def active_members(conn: Conn, org_id: UUID) -> dict[UUID, tuple[str, dict[str, object]]]:
    return {r["user_id"]: (r["role"], r["permissions"] or {}) for r in await conn.fetch(_MEMBER_RANKS, org_id)}


async def participating(conn: Conn, org_id: UUID, user_id: UUID, conversation_ids: list[UUID]) -> set[UUID]:
    if not conversation_ids:
        return set()
    return {r["conversation_id"] for r in await conn.fetch(_PARTICIPATING, org_id, user_id, conversation_ids)}
