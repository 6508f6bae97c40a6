"""Messages of a conversation: pages by `seq`, idempotent inserts, edits, soft deletes, reactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database, FromContext, Query, Record, rows
from community.db.queries import Row
from community.db.queries.activity import NewEvent, Written, write_statement


@dataclass(frozen=True, slots=True)
class MessageRow(Row):
    """A message as stored, with its sender's public profile and the viewer's own reactions."""

    id: UUID
    seq: int
    org_id: UUID
    conversation_id: UUID
    sender_id: UUID | None
    display_name: str | None
    avatar_url: str | None
    client_id: str | None
    attachments: list[dict[str, Any]] | None
    content: str
    html: str
    reactions: dict[str, int]
    edit_count: int
    edited_at: datetime | None
    deleted_at: datetime | None
    created_at: datetime
    my_reactions: tuple[str, ...]

    _TUPLES = ("my_reactions",)


def _message(record: Record | None) -> MessageRow | None:
    return MessageRow.from_record(record) if record is not None else None


# $1 org, $2 the viewer (for my_reactions).
_SELECT = """
SELECT m.id, m.seq, m.org_id, m.conversation_id, m.sender_id, u.display_name, u.avatar_url, m.client_id,
       m.attachments,
       m.content, m.html, m.reactions, m.edit_count, m.edited_at, m.deleted_at, m.created_at,
       ARRAY(SELECT r.emoji FROM message_reactions r
             WHERE r.org_id = m.org_id AND r.message_id = m.id AND r.user_id = $2 ORDER BY r.emoji) AS my_reactions
FROM messages m LEFT JOIN users u ON u.id = m.sender_id
"""
_GET = _SELECT + "WHERE m.org_id = $1 AND m.conversation_id = $3 AND m.id = $4"
_BY_CLIENT_ID = _SELECT + "WHERE m.org_id = $1 AND m.conversation_id = $3 AND m.sender_id = $2 AND m.client_id = $4"
_BEFORE = _SELECT + """
WHERE m.org_id = $1 AND m.conversation_id = $3 AND ($4::bigint IS NULL OR m.seq < $4)
ORDER BY m.seq DESC LIMIT $5
"""
_AFTER = _SELECT + """
WHERE m.org_id = $1 AND m.conversation_id = $3 AND m.seq > $4
ORDER BY m.seq LIMIT $5
"""
# Every participant, with their role if they are an active member (None if not).
_PARTICIPANTS = """
SELECT p.user_id, m.role FROM conversation_participants p
LEFT JOIN memberships m ON m.org_id = p.org_id AND m.user_id = p.user_id AND m.status = 'active'
WHERE p.org_id = $1 AND p.conversation_id = $2
"""
# Whether $2 and another participant of conversation $3 blocked one another (either way).
_BLOCKED = """
SELECT EXISTS (SELECT 1 FROM conversation_participants p JOIN user_blocks b ON b.org_id = p.org_id
                 AND ((b.blocker_id = $2 AND b.blocked_id = p.user_id)
                      OR (b.blocker_id = p.user_id AND b.blocked_id = $2))
               WHERE p.org_id = $1 AND p.conversation_id = $3 AND p.user_id <> $2)
"""
_SEND = """
SELECT outcome, retry_after, event_seq, event_at
FROM send_message($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
"""
_SEQ = "SELECT seq FROM messages WHERE org_id = $1 AND conversation_id = $2 AND id = $3"
_INSERT = """
INSERT INTO messages (id, org_id, conversation_id, sender_id, client_id, content, html)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (org_id, conversation_id, sender_id, client_id) DO NOTHING RETURNING created_at
"""
_EDIT = """
UPDATE messages SET content = $3, html = $4, edit_count = edit_count + 1, edited_at = now()
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
"""
_DELETE = """
UPDATE messages SET deleted_at = now(), content = '', html = '', reactions = '{}'
WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id
"""
_REACT = """
WITH added AS (
    INSERT INTO message_reactions (org_id, message_id, user_id, emoji) VALUES ($1, $2, $3, $4::text)
    ON CONFLICT DO NOTHING RETURNING 1)
UPDATE messages
SET reactions = jsonb_set(reactions, ARRAY[$4::text], to_jsonb(coalesce((reactions->>$4::text)::int, 0) + 1))
WHERE org_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM added) RETURNING 1
"""
_UNREACT = """
WITH removed AS (
    DELETE FROM message_reactions WHERE org_id = $1 AND message_id = $2 AND user_id = $3 AND emoji = $4::text
    RETURNING 1)
UPDATE messages SET reactions = CASE WHEN coalesce((reactions->>$4::text)::int, 0) <= 1 THEN reactions - $4::text
    ELSE jsonb_set(reactions, ARRAY[$4::text], to_jsonb((reactions->>$4::text)::int - 1)) END
WHERE org_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM removed) RETURNING 1
"""


async def get_message(conn: Conn, org_id: UUID, viewer: UUID, conversation_id: UUID,
                      message_id: UUID) -> MessageRow | None:
    return _message(await conn.fetchrow(_GET, org_id, viewer, conversation_id, message_id))


def by_client_id_query(org_id: UUID | FromContext, sender: UUID | FromContext, conversation_id: UUID,
                       client_id: str | None) -> Query:
    return Query("fetchrow", _BY_CLIENT_ID, (org_id, sender, conversation_id, client_id))


def participants_query(org_id: UUID | FromContext, conversation_id: UUID) -> Query:
    return Query("fetch", _PARTICIPANTS, (org_id, conversation_id))


def blocked_query(org_id: UUID | FromContext, user_id: UUID | FromContext, conversation_id: UUID) -> Query:
    return Query("fetchval", _BLOCKED, (org_id, user_id, conversation_id))


@dataclass(frozen=True)
class NewMessage:
    message_id: UUID
    org_id: UUID
    conversation_id: UUID
    sender_id: UUID
    client_id: str | None
    content: str
    html: str
    created_at: datetime


async def send_message(target: Conn | Database, message: NewMessage, limit: tuple[bytes, int, float],
                       event: NewEvent) -> Written:
    """One statement: verify, count the sending limit (key hash, limit, window), insert (or 'duplicate'),
    the conversation's activity time, the sender's read state, the activity."""
    args = (message.org_id, message.sender_id, message.message_id, message.conversation_id, message.client_id,
            message.content, message.html, message.created_at, *limit, *event.args())
    return await write_statement(target, _SEND, args)


async def get_by_client_id(conn: Conn, org_id: UUID, sender: UUID, conversation_id: UUID,
                           client_id: str) -> MessageRow | None:
    return _message(await conn.fetchrow(_BY_CLIENT_ID, org_id, sender, conversation_id, client_id))


async def list_before(conn: Conn, org_id: UUID, viewer: UUID, conversation_id: UUID, *, before: int | None,
                      limit: int) -> list[dict[str, Any]]:
    """Newest first, older than `before` (a seq) when given."""
    return rows(await conn.fetch(_BEFORE, org_id, viewer, conversation_id, before, limit))


async def list_after(conn: Conn, org_id: UUID, viewer: UUID, conversation_id: UUID, *, after: int,
                     limit: int) -> list[dict[str, Any]]:
    """Oldest first, newer than `after` (a seq): catching up."""
    return rows(await conn.fetch(_AFTER, org_id, viewer, conversation_id, after, limit))


async def message_seq(conn: Conn, org_id: UUID, conversation_id: UUID, message_id: UUID) -> int | None:
    found: int | None = await conn.fetchval(_SEQ, org_id, conversation_id, message_id)
    return found


async def insert_message(conn: Conn, *, message_id: UUID, org_id: UUID, conversation_id: UUID, sender_id: UUID,
                         client_id: str | None, content: str, html: str) -> bool:
    """False when this sender already sent `client_id` here (a retry)."""
    return await conn.fetchval(_INSERT, message_id, org_id, conversation_id, sender_id, client_id,
                               content, html) is not None


async def edit_message(conn: Conn, org_id: UUID, message_id: UUID, *, content: str, html: str) -> None:
    await conn.execute(_EDIT, org_id, message_id, content, html)


async def delete_message(conn: Conn, org_id: UUID, message_id: UUID) -> bool:
    return await conn.fetchval(_DELETE, org_id, message_id) is not None


async def add_reaction(conn: Conn, org_id: UUID, message_id: UUID, user_id: UUID, emoji: str) -> bool:
    return await conn.fetchval(_REACT, org_id, message_id, user_id, emoji) is not None


async def remove_reaction(conn: Conn, org_id: UUID, message_id: UUID, user_id: UUID, emoji: str) -> bool:
    return await conn.fetchval(_UNREACT, org_id, message_id, user_id, emoji) is not None
