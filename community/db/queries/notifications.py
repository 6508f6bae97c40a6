"""Realtime reads of the activity log, presence rows, notifications and watches."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database, rows
from community.db.queries.activity import to_activity
from community.domain.events import Activity

_HEADS = "SELECT org_id, last_seq FROM org_event_heads($1::uuid[])"
_ORG_AFTER = """
SELECT org_id, seq, channel, type, payload, actor_id, created_at FROM activity
WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
"""
_RETAINED_FROM = "SELECT min(seq) FROM activity WHERE org_id = $1 AND created_at >= now() - $2::interval"

_PRESENCE_JOIN = """
INSERT INTO ws_presence (node_id, org_id, user_id) VALUES ($1, $2, $3)
ON CONFLICT (node_id, org_id, user_id) DO UPDATE SET seen_at = now()
"""
_PRESENCE_LEAVE = "DELETE FROM ws_presence WHERE node_id = $1 AND org_id = $2 AND user_id = $3"
_ONLINE = """
SELECT DISTINCT ON (p.user_id) p.user_id, u.display_name, p.connected_at
FROM ws_presence p JOIN users u ON u.id = p.user_id
WHERE p.org_id = $1 AND p.seen_at >= now() - $2::interval AND ($3::uuid IS NULL OR p.user_id = $3)
ORDER BY p.user_id, p.connected_at
"""

_PENDING_ORGS = "SELECT notification_pending_orgs($1) AS org_id"
_CLAIM = """
DELETE FROM notification_queue WHERE org_id = $1 AND seq IN (
    SELECT seq FROM notification_queue WHERE org_id = $1 ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
RETURNING seq
"""
_NOTIFY = """
INSERT INTO notifications (org_id, user_id, kind, activity_seq, actor_id, subject_type, subject_id, title,
                           excerpt, data)
SELECT $1, u, $2, $3, $4, $5, $6, $7, $8, $9 FROM unnest($10::uuid[]) AS u
ON CONFLICT (org_id, activity_seq, user_id) DO NOTHING
RETURNING id, org_id, user_id, kind, activity_seq, actor_id, subject_type, subject_id, title, excerpt, data,
          created_at, read_at
"""
_LIST = """
SELECT id, org_id, user_id, kind, activity_seq, actor_id, subject_type, subject_id, title, excerpt, data,
       created_at, read_at
FROM notifications
WHERE user_id = $1 AND (NOT $2 OR read_at IS NULL)
  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
ORDER BY created_at DESC, id DESC LIMIT $5
"""
_MARK = "UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL AND id = ANY($2::uuid[])"
_MARK_ALL = "UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL"
_UNREAD = "SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL"

_WATCH = """
INSERT INTO watches (org_id, user_id, target_type, target_id) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING
"""
_UNWATCH = "DELETE FROM watches WHERE org_id = $1 AND user_id = $2 AND target_type = $3 AND target_id = $4"
_WATCHERS = """
SELECT user_id FROM watches WHERE org_id = $1 AND target_type = $2 AND target_id = $3 AND created_at <= $4
"""
_ACTIVE_MEMBERS = "SELECT user_id, role FROM memberships WHERE org_id = $1 AND status = 'active'"


async def org_event_heads(conn: Conn, org_ids: list[UUID]) -> dict[UUID, int]:
    return {r["org_id"]: r["last_seq"] for r in await conn.fetch(_HEADS, org_ids)}


async def org_event_head_once(db: Database, org_id: UUID) -> int:
    """One org's head as one statement on its own (one round trip; a socket's welcome)."""
    found = await db.fetch_once(_HEADS, [org_id], invalidates=False)
    return int(found[0]["last_seq"]) if found else 0


async def list_org_activity_after(conn: Conn, org_id: UUID, after: int, limit: int) -> list[Activity]:
    return [to_activity(r) for r in await conn.fetch(_ORG_AFTER, org_id, after, limit)]


async def retained_from(conn: Conn, org_id: UUID, retention: timedelta) -> int | None:
    """The oldest event id still inside the retention window (None when none is)."""
    value: int | None = await conn.fetchval(_RETAINED_FROM, org_id, retention)
    return value


async def presence_join(conn: Conn, node_id: UUID, org_id: UUID, user_id: UUID) -> None:
    await conn.execute(_PRESENCE_JOIN, node_id, org_id, user_id)


async def presence_leave(conn: Conn, node_id: UUID, org_id: UUID, user_id: UUID) -> None:
    await conn.execute(_PRESENCE_LEAVE, node_id, org_id, user_id)


async def presence_heartbeat(conn: Conn, node_id: UUID) -> None:
    await conn.execute("SELECT ws_presence_heartbeat($1)", node_id)


async def presence_clear(conn: Conn, node_id: UUID) -> None:
    await conn.execute("SELECT ws_presence_clear($1)", node_id)


async def list_online(conn: Conn, org_id: UUID, stale_after: timedelta,
                      user_id: UUID | None = None) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_ONLINE, org_id, stale_after, user_id))


async def insert_notifications(conn: Conn, *, org_id: UUID, user_ids: list[UUID], kind: str, activity_seq: int,
                               actor_id: UUID | None, subject_type: str, subject_id: UUID | None, title: str,
                               excerpt: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_NOTIFY, org_id, kind, activity_seq, actor_id, subject_type, subject_id,
                                 title, excerpt, data, user_ids))


async def list_notifications(conn: Conn, user_id: UUID, *, unread: bool, after: tuple[datetime, UUID] | None,
                             limit: int) -> list[dict[str, Any]]:
    created, last_id = after if after else (None, None)
    return rows(await conn.fetch(_LIST, user_id, unread, created, last_id, limit))


async def mark_read(conn: Conn, user_id: UUID, ids: list[UUID] | None) -> int:
    status = await (conn.execute(_MARK, user_id, ids) if ids is not None else conn.execute(_MARK_ALL, user_id))
    return int(status.split()[-1])


async def count_unread(conn: Conn, user_id: UUID) -> int:
    return int(await conn.fetchval(_UNREAD, user_id))


async def watch(conn: Conn, org_id: UUID, user_id: UUID, target_type: str, target_id: UUID) -> None:
    await conn.execute(_WATCH, org_id, user_id, target_type, target_id)


async def unwatch(conn: Conn, org_id: UUID, user_id: UUID, target_type: str, target_id: UUID) -> None:
    await conn.execute(_UNWATCH, org_id, user_id, target_type, target_id)


async def list_watchers(conn: Conn, org_id: UUID, target_type: str, target_id: UUID, *,
                        since: datetime) -> list[UUID]:
    """Who watched the target when an event of `since` happened (a later watch is not told of it)."""
    return [r["user_id"] for r in await conn.fetch(_WATCHERS, org_id, target_type, target_id, since)]


async def list_active_members(conn: Conn, org_id: UUID) -> dict[UUID, str]:
    """Active members and their roles."""
    return {r["user_id"]: r["role"] for r in await conn.fetch(_ACTIVE_MEMBERS, org_id)}


async def pending_notification_orgs(conn: Conn, n: int) -> list[UUID]:
    """Orgs with events waiting for their notifications, oldest first (the writer's one window through RLS)."""
    return [r["org_id"] for r in await conn.fetch(_PENDING_ORGS, n)]


async def claim_queued_events(conn: Conn, org_id: UUID, n: int) -> list[int]:
    """Up to `n` queued events of one org, removed from the queue in this transaction (others skip them)."""
    return sorted(r["seq"] for r in await conn.fetch(_CLAIM, org_id, n))
