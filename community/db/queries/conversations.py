"""Conversations, their participants (with read state) and blocks between members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn, FromContext, Query, row, rows
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class ConversationRow(Row):
    """A conversation as stored (what its writes check, locked); the viewer's read state and last
    message are in `get_conversation`'s view."""

    id: UUID
    org_id: UUID
    kind: str
    title: str | None
    owner_id: UUID | None
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime


# $1 org, $2 the viewer: the conversation with the viewer's read state, last message and unread count.
# A participant row older than the viewer's current membership is stale (they left the org and
# came back): it gives no access.
_VIEW = """
SELECT c.id, c.org_id, c.kind, c.title, c.owner_id, c.created_at, c.updated_at, c.last_activity_at,
       p.last_read_seq, p.last_read_message_id,
       lm.id AS last_message_id, lm.sender_id AS last_sender_id, lu.display_name AS last_sender_name,
       lm.content AS last_content, lm.deleted_at AS last_deleted_at, lm.created_at AS last_created_at,
       (SELECT count(*) FROM messages m
        WHERE m.org_id = c.org_id AND m.conversation_id = c.id AND m.seq > p.last_read_seq
          AND m.sender_id IS DISTINCT FROM $2 AND m.deleted_at IS NULL) AS unread_count
FROM conversation_participants p
JOIN memberships ms ON ms.org_id = p.org_id AND ms.user_id = p.user_id AND ms.status <> 'removed'
JOIN conversations c ON c.org_id = p.org_id AND c.id = p.conversation_id
LEFT JOIN LATERAL (SELECT id, sender_id, content, deleted_at, created_at FROM messages
                   WHERE org_id = c.org_id AND conversation_id = c.id ORDER BY seq DESC LIMIT 1) lm ON true
LEFT JOIN users lu ON lu.id = lm.sender_id
WHERE p.org_id = $1 AND p.user_id = $2 AND p.joined_at >= ms.joined_at
"""
_GET = _VIEW + " AND c.id = $3"
_LIST = _VIEW + """
  AND ($3::timestamptz IS NULL OR (c.last_activity_at, c.id) < ($3, $4))
ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $5
"""
_LOCK = """
SELECT id, org_id, kind, title, owner_id, created_at, updated_at, last_activity_at
FROM conversations WHERE org_id = $1 AND id = $2 FOR UPDATE
"""
_PARTICIPANTS = """
SELECT p.conversation_id, p.user_id, u.display_name, u.avatar_url, p.joined_at, p.last_read_message_id
FROM conversation_participants p JOIN users u ON u.id = p.user_id
WHERE p.org_id = $1 AND p.conversation_id = ANY($2::uuid[])
ORDER BY p.joined_at, p.user_id
"""
_INSERT = """
INSERT INTO conversations (id, org_id, kind, title, owner_id, direct_key) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (org_id, direct_key) DO NOTHING RETURNING id
"""
_FIND_DIRECT = "SELECT id FROM conversations WHERE org_id = $1 AND direct_key = $2"
_ADD = """
INSERT INTO conversation_participants (org_id, conversation_id, user_id)
SELECT $1, $2, u FROM unnest($3::uuid[]) AS u
ON CONFLICT (org_id, conversation_id, user_id) DO NOTHING RETURNING user_id
"""
_REMOVE = """
DELETE FROM conversation_participants WHERE org_id = $1 AND conversation_id = $2 AND user_id = $3 RETURNING 1
"""
_COUNT = "SELECT count(*) FROM conversation_participants WHERE org_id = $1 AND conversation_id = $2"
_IDS = "SELECT user_id FROM conversation_participants WHERE org_id = $1 AND conversation_id = $2"
_RENAME = "UPDATE conversations SET title = $3, updated_at = now() WHERE org_id = $1 AND id = $2"
_SET_OWNER = "UPDATE conversations SET owner_id = $3, updated_at = now() WHERE org_id = $1 AND id = $2"
_TOUCH = "UPDATE conversations SET last_activity_at = $3 WHERE org_id = $1 AND id = $2 AND last_activity_at < $3"
_ACTIVE_MEMBERS = """
SELECT user_id, role FROM memberships WHERE org_id = $1 AND status = 'active' AND user_id = ANY($2::uuid[])
"""
_READ = """
UPDATE conversation_participants SET last_read_seq = $4, last_read_message_id = $5
WHERE org_id = $1 AND conversation_id = $2 AND user_id = $3 AND last_read_seq < $4 RETURNING 1
"""
_BLOCKED = """
SELECT EXISTS (SELECT 1 FROM user_blocks WHERE org_id = $1
               AND ((blocker_id = $2 AND blocked_id = $3) OR (blocker_id = $3 AND blocked_id = $2)))
"""
_BLOCK = "INSERT INTO user_blocks (org_id, blocker_id, blocked_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
_UNBLOCK = "DELETE FROM user_blocks WHERE org_id = $1 AND blocker_id = $2 AND blocked_id = $3"
_LIST_BLOCKS = """
SELECT b.blocked_id, u.display_name, u.avatar_url, b.created_at
FROM user_blocks b JOIN users u ON u.id = b.blocked_id
WHERE b.org_id = $1 AND b.blocker_id = $2 ORDER BY b.created_at DESC, b.blocked_id LIMIT 1000
"""
_UNREAD_TOTAL = "SELECT coalesce(sum(unread), 0) FROM my_unread_messages()"


def direct_key(a: UUID, b: UUID) -> str:
    low, high = sorted((str(a), str(b)))
    return f"{low}:{high}"


def get_conversation_query(org_id: UUID | FromContext, viewer: UUID | FromContext, conversation_id: UUID) -> Query:
    return Query("fetchrow", _GET, (org_id, viewer, conversation_id))


async def get_conversation(conn: Conn, org_id: UUID, viewer: UUID, conversation_id: UUID) -> dict[str, Any] | None:
    """The conversation as `viewer` sees it, or None when it is missing or they take no part in it."""
    return row(await conn.fetchrow(_GET, org_id, viewer, conversation_id))


async def list_conversations(conn: Conn, org_id: UUID, viewer: UUID, *, before: tuple[datetime, UUID] | None,
                             limit: int) -> list[dict[str, Any]]:
    at, last_id = before if before else (None, None)
    return rows(await conn.fetch(_LIST, org_id, viewer, at, last_id, limit))


async def lock_conversation(conn: Conn, org_id: UUID, conversation_id: UUID) -> ConversationRow | None:
    record = await conn.fetchrow(_LOCK, org_id, conversation_id)
    return ConversationRow.from_record(record) if record is not None else None


async def list_participants(conn: Conn, org_id: UUID, conversation_ids: list[UUID]) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_PARTICIPANTS, org_id, conversation_ids))


async def participant_ids(conn: Conn, org_id: UUID, conversation_id: UUID) -> list[UUID]:
    return [r["user_id"] for r in await conn.fetch(_IDS, org_id, conversation_id)]


async def insert_conversation(conn: Conn, *, conversation_id: UUID, org_id: UUID, kind: str, title: str | None,
                              owner_id: UUID | None, direct: str | None) -> bool:
    """False when the pair already has its direct conversation."""
    return await conn.fetchval(_INSERT, conversation_id, org_id, kind, title, owner_id, direct) is not None


async def find_direct(conn: Conn, org_id: UUID, key: str) -> UUID | None:
    found: UUID | None = await conn.fetchval(_FIND_DIRECT, org_id, key)
    return found


async def add_participants(conn: Conn, org_id: UUID, conversation_id: UUID, user_ids: list[UUID]) -> list[UUID]:
    """The ones newly added."""
    return [r["user_id"] for r in await conn.fetch(_ADD, org_id, conversation_id, user_ids)]


async def remove_participant(conn: Conn, org_id: UUID, conversation_id: UUID, user_id: UUID) -> bool:
    return await conn.fetchval(_REMOVE, org_id, conversation_id, user_id) is not None


async def count_participants(conn: Conn, org_id: UUID, conversation_id: UUID) -> int:
    return int(await conn.fetchval(_COUNT, org_id, conversation_id))


async def rename(conn: Conn, org_id: UUID, conversation_id: UUID, title: str) -> None:
    await conn.execute(_RENAME, org_id, conversation_id, title)


async def set_owner(conn: Conn, org_id: UUID, conversation_id: UUID, owner_id: UUID | None) -> None:
    await conn.execute(_SET_OWNER, org_id, conversation_id, owner_id)


async def touch(conn: Conn, org_id: UUID, conversation_id: UUID, at: datetime) -> None:
    await conn.execute(_TOUCH, org_id, conversation_id, at)


async def active_members(conn: Conn, org_id: UUID, user_ids: list[UUID]) -> dict[UUID, str]:
    """user id -> role, for those of `user_ids` who are active members."""
    return {r["user_id"]: r["role"] for r in await conn.fetch(_ACTIVE_MEMBERS, org_id, user_ids)}


async def mark_read(conn: Conn, org_id: UUID, conversation_id: UUID, user_id: UUID, *, seq: int,
                    message_id: UUID) -> bool:
    """False when the reader had already read this far (read state never moves back)."""
    return await conn.fetchval(_READ, org_id, conversation_id, user_id, seq, message_id) is not None


async def is_blocked(conn: Conn, org_id: UUID, a: UUID, b: UUID) -> bool:
    """Either one blocked the other."""
    return bool(await conn.fetchval(_BLOCKED, org_id, a, b))


async def block(conn: Conn, org_id: UUID, blocker: UUID, blocked: UUID) -> None:
    await conn.execute(_BLOCK, org_id, blocker, blocked)


async def unblock(conn: Conn, org_id: UUID, blocker: UUID, blocked: UUID) -> None:
    await conn.execute(_UNBLOCK, org_id, blocker, blocked)


async def list_blocks(conn: Conn, org_id: UUID, blocker: UUID) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_LIST_BLOCKS, org_id, blocker))


async def unread_total(conn: Conn) -> int:
    """The signed-in user's unread messages over all their orgs (no tenant context needed)."""
    return int(await conn.fetchval(_UNREAD_TOTAL))
