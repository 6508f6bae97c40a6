"""Realtime reads of the activity log, presence rows, notifications and watches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database, FromContext, Query, rows
from community.db.queries.activity import to_activity
from community.domain.events import Activity

_HEADS = "SELECT org_id, last_seq FROM org_event_heads($1::uuid[])"
_ORG_AFTER = """
SELECT org_id, seq, channel, type, payload, actor_id, created_at FROM activity
WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
"""
_RETAINED_FROM = "SELECT min(seq) FROM activity WHERE org_id = $1 AND created_at >= now() - $2::interval"

# Presence, per org and tick: the users who came (their first socket on this node) and went (their
# last), and who of the changed is online now on any live node (a node counts while its ws_nodes row
# is fresh), with their names. One statement.
_PRESENCE_TICK = """
WITH came AS (
    INSERT INTO ws_presence (node_id, org_id, user_id) SELECT $1, $2, u FROM unnest($3::uuid[]) AS u
    ON CONFLICT (node_id, org_id, user_id) DO UPDATE SET seen_at = now()
    RETURNING user_id
), went AS (
    DELETE FROM ws_presence WHERE node_id = $1 AND org_id = $2 AND user_id = ANY($4::uuid[])
    RETURNING user_id
)
SELECT u.id AS user_id, u.display_name,
       (u.id IN (SELECT user_id FROM came) OR EXISTS (
            SELECT 1 FROM ws_presence p JOIN ws_nodes n ON n.node_id = p.node_id
            WHERE p.org_id = $2 AND p.user_id = u.id AND n.seen_at >= now() - $5::interval
              AND NOT (p.node_id = $1 AND p.user_id IN (SELECT user_id FROM went)))) AS online
FROM users u WHERE u.id = ANY($6::uuid[])
"""
_ONLINE = """
SELECT DISTINCT ON (p.user_id) p.user_id, u.display_name, p.connected_at
FROM ws_presence p JOIN ws_nodes n ON n.node_id = p.node_id JOIN users u ON u.id = p.user_id
WHERE p.org_id = $1 AND n.seen_at >= now() - $2::interval
ORDER BY p.user_id, p.connected_at
"""
# Who of `viewers` shares a conversation with whom of `subjects` (the org's context is the caller's).
_PEERS = """
SELECT DISTINCT a.user_id AS subject, b.user_id AS viewer
FROM conversation_participants a
JOIN conversation_participants b ON b.org_id = a.org_id AND b.conversation_id = a.conversation_id
WHERE a.org_id = $1 AND a.user_id = ANY($2::uuid[]) AND b.user_id = ANY($3::uuid[]) AND b.user_id <> a.user_id
"""

_PENDING_ORGS = "SELECT notification_pending_orgs($1) AS org_id"
# The claim and the events claimed, in one statement (every queued seq is an activity row: a foreign key).
_CLAIM = """
WITH claimed AS (
    DELETE FROM notification_queue WHERE org_id = $1 AND seq IN (
        SELECT seq FROM notification_queue WHERE org_id = $1 ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
    RETURNING seq)
SELECT a.org_id, a.seq, a.channel, a.type, a.payload, a.actor_id, a.created_at
FROM activity a JOIN claimed c ON c.seq = a.seq WHERE a.org_id = $1 ORDER BY a.seq
"""
# What a batch of events refers to, in one statement: the watchers of its targets, the active members
# among the people it names and those watchers (every active member when $5), the forums' ranks and
# where its topics are now.
_BATCH_CONTEXT = """
WITH w AS (
    SELECT w.target_type, w.target_id, w.user_id, w.created_at
    FROM watches w JOIN unnest($3::text[], $4::uuid[]) AS x (target_type, target_id)
        ON w.target_type = x.target_type AND w.target_id = x.target_id
    WHERE w.org_id = $1
), m AS (
    SELECT user_id, role, permissions FROM memberships
    WHERE org_id = $1 AND status = 'active' AND ($5 OR user_id = ANY($6::uuid[]) OR user_id IN (SELECT user_id FROM w))
)
SELECT mm.ids AS member_ids, mm.roles AS member_roles, mm.perms AS member_permissions,
       ff.ids AS forum_ids, ff.ranks AS forum_ranks, tt.ids AS topic_ids, tt.forums AS topic_forums,
       ww.types AS watch_types, ww.targets AS watch_targets, ww.users AS watch_users, ww.since AS watch_since
FROM (SELECT array_agg(user_id) AS ids, array_agg(role) AS roles, array_agg(permissions) AS perms FROM m) mm,
     (SELECT array_agg(id) AS ids, array_agg(view_rank) AS ranks FROM forums WHERE org_id = $1) ff,
     (SELECT array_agg(id) AS ids, array_agg(forum_id) AS forums FROM topics
      WHERE org_id = $1 AND id = ANY($2::uuid[])) tt,
     (SELECT array_agg(target_type) AS types, array_agg(target_id) AS targets, array_agg(user_id) AS users,
             array_agg(created_at) AS since FROM w) ww
"""
_NOTIFY_MANY = """
INSERT INTO notifications (org_id, user_id, kind, activity_seq, actor_id, subject_type, subject_id, title,
                           excerpt, data)
SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::uuid[], $6::text[], $7::uuid[], $8::text[],
                         $9::text[], $10::jsonb[])
ON CONFLICT (org_id, activity_seq, user_id) DO NOTHING
RETURNING id, org_id, user_id, kind, activity_seq, actor_id, subject_type, subject_id, title, excerpt, data,
          created_at, read_at
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


async def presence_tick(conn: Conn, node_id: UUID, org_id: UUID, came: list[UUID], went: list[UUID],
                        stale_after: timedelta) -> list[dict[str, Any]]:
    """Write this node's comings and goings in one org; answer each changed user's state now."""
    return rows(await conn.fetch(_PRESENCE_TICK, node_id, org_id, came, went, stale_after, [*came, *went]))


def same_org_query(org_id: UUID, context_org: FromContext) -> Query:
    """A row when `org_id` is the caller's own org (a `presence:<org>` subscribe's load)."""
    return Query("fetchrow", "SELECT $1::uuid AS org_id WHERE $1::uuid = $2::uuid", (org_id, context_org))


async def list_online(conn: Conn, org_id: UUID, stale_after: timedelta) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_ONLINE, org_id, stale_after))


async def conversation_peers(conn: Conn, org_id: UUID, subjects: list[UUID],
                             viewers: list[UUID]) -> list[tuple[UUID, UUID]]:
    """(subject, viewer) pairs of these who share a conversation."""
    return [(r["subject"], r["viewer"]) for r in await conn.fetch(_PEERS, org_id, subjects, viewers)]


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


async def pending_notification_orgs(db: Database, n: int) -> list[UUID]:
    """Orgs with events waiting for their notifications, oldest first (the writer's one window through RLS):
    one statement on its own, the writer's whole cost when nothing is queued."""
    return [r["org_id"] for r in await db.fetch_once(_PENDING_ORGS, n, invalidates=False)]


async def claim_queued_events(conn: Conn, org_id: UUID, n: int) -> list[Activity]:
    """Up to `n` queued events of one org, in order, removed from the queue in this transaction (others
    skip them)."""
    return [to_activity(r) for r in await conn.fetch(_CLAIM, org_id, n)]


@dataclass(frozen=True)
class BatchContext:
    """What a batch of one org's events refers to, as it is now."""

    members: dict[UUID, tuple[str, dict[str, object]]]  # active: role, permissions
    forum_ranks: dict[UUID, int]
    topic_forums: dict[UUID, UUID]
    watchers: dict[tuple[str, UUID], list[tuple[UUID, datetime]]]  # target -> (user, watching since)

    def watching(self, target_type: str, target_id: UUID, since: datetime) -> list[UUID]:
        """Who watched the target when an event of `since` happened (a later watch is not told of it)."""
        return [user for user, at in self.watchers.get((target_type, target_id), []) if at <= since]


async def read_batch_context(conn: Conn, org_id: UUID, *, topic_ids: Sequence[UUID],
                             targets: Sequence[tuple[str, UUID]], people: Sequence[UUID],
                             everyone: bool) -> BatchContext:
    """One statement: the watchers of `targets`, the active members among `people` and those watchers
    (all of them when `everyone`), the org's forum ranks and the forums of `topic_ids` now."""
    r = await conn.fetchrow(_BATCH_CONTEXT, org_id, list(topic_ids), [t for t, _ in targets],
                            [i for _, i in targets], everyone, list(people))
    assert r is not None  # aggregates: always one row

    def pairs(a: str, b: str) -> list[tuple[Any, Any]]:
        return list(zip(r[a] or [], r[b] or [], strict=True))

    watchers: dict[tuple[str, UUID], list[tuple[UUID, datetime]]] = {}
    for target_type, target_id, user_id, since in zip(r["watch_types"] or [], r["watch_targets"] or [],
                                                      r["watch_users"] or [], r["watch_since"] or [], strict=True):
        watchers.setdefault((target_type, target_id), []).append((user_id, since))
    return BatchContext(
        members={u: (role, perms or {}) for u, (role, perms) in
                 zip(r["member_ids"] or [], pairs("member_roles", "member_permissions"), strict=True)},
        forum_ranks=dict(pairs("forum_ids", "forum_ranks")), topic_forums=dict(pairs("topic_ids", "topic_forums")),
        watchers=watchers)


@dataclass(frozen=True)
class NewNotification:
    user_id: UUID
    kind: str
    activity_seq: int
    actor_id: UUID | None
    subject_type: str
    subject_id: UUID | None
    title: str
    excerpt: str
    data: dict[str, Any]


async def insert_notification_rows(conn: Conn, org_id: UUID, new: Sequence[NewNotification]) -> list[dict[str, Any]]:
    """Every notification of a batch in one statement; answers the rows written (none twice)."""
    if not new:
        return []
    columns = [[getattr(n, field) for n in new] for field in
               ("user_id", "kind", "activity_seq", "actor_id", "subject_type", "subject_id", "title", "excerpt",
                "data")]
    return rows(await conn.fetch(_NOTIFY_MANY, org_id, *columns))
