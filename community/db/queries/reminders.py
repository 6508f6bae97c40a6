"""Event reminders: which orgs have due ones, claiming a batch, recording what was sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from community.db.pool import Conn
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class DueReminderRow(Row):
    """A due reminder with what decides whether it is sent: its occurrence and event (status, times,
    title, time zone), and the person's registration and membership status."""

    occurrence_id: UUID
    user_id: UUID
    kind: str
    due_at: datetime
    event_id: UUID
    start_time: datetime
    end_time: datetime
    occurrence_status: str
    event_status: str
    title: str
    timezone: str
    registration_status: str
    membership_status: str


@dataclass(frozen=True, slots=True)
class ReminderEmailRow(Row):
    """A sent reminder whose e-mail is pending, with what the mail says and where it goes."""

    occurrence_id: UUID
    user_id: UUID
    kind: str
    event_id: UUID
    start_time: datetime
    title: str
    timezone: str
    email: str
    org_slug: str

_DUE_ORGS = "SELECT event_reminders_due_orgs(coalesce($1, now()), $2) AS org_id"
_EMAIL_ORGS = "SELECT event_email_pending_orgs($1) AS org_id"
# Locked until this transaction records the outcome: another node skips them meanwhile.
_CLAIM = """
SELECT r.occurrence_id, r.user_id, r.kind, r.due_at, o.event_id, o.start_time, o.end_time,
       o.status AS occurrence_status, e.status AS event_status, coalesce(o.title, e.title) AS title, e.timezone,
       g.status AS registration_status, m.status AS membership_status
FROM event_reminders r
JOIN event_occurrences o ON o.org_id = r.org_id AND o.id = r.occurrence_id
JOIN events e ON e.org_id = o.org_id AND e.id = o.event_id
JOIN event_registrations g ON g.org_id = r.org_id AND g.occurrence_id = r.occurrence_id AND g.user_id = r.user_id
JOIN memberships m ON m.org_id = r.org_id AND m.user_id = r.user_id
WHERE r.org_id = $1 AND r.sent_at IS NULL AND r.due_at <= coalesce($2, now())
ORDER BY r.due_at, r.occurrence_id, r.user_id LIMIT $3
FOR UPDATE OF r SKIP LOCKED
"""
_MARK = """
UPDATE event_reminders r SET sent_at = now(), outcome = v.outcome, email_pending = v.email
FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::boolean[]) AS v (occurrence_id, user_id, kind,
                                                                                   outcome, email)
WHERE r.org_id = $1 AND r.occurrence_id = v.occurrence_id AND r.user_id = v.user_id AND r.kind = v.kind
"""
_CLAIM_EMAIL = """
SELECT r.occurrence_id, r.user_id, r.kind, o.event_id, o.start_time, coalesce(o.title, e.title) AS title,
       e.timezone, u.email, org.slug AS org_slug
FROM event_reminders r
JOIN event_occurrences o ON o.org_id = r.org_id AND o.id = r.occurrence_id
JOIN events e ON e.org_id = o.org_id AND e.id = o.event_id
JOIN users u ON u.id = r.user_id
JOIN organizations org ON org.id = r.org_id
WHERE r.org_id = $1 AND r.email_pending
ORDER BY r.sent_at LIMIT $2
FOR UPDATE OF r SKIP LOCKED
"""
_MARK_EMAILED = """
UPDATE event_reminders SET email_pending = false, emailed_at = now()
WHERE org_id = $1 AND occurrence_id = $2 AND user_id = $3 AND kind = $4
"""


async def due_orgs(conn: Conn, at: datetime | None, n: int) -> list[UUID]:
    return [r["org_id"] for r in await conn.fetch(_DUE_ORGS, at, n)]


async def email_orgs(conn: Conn, n: int) -> list[UUID]:
    return [r["org_id"] for r in await conn.fetch(_EMAIL_ORGS, n)]


async def claim_due(conn: Conn, org_id: UUID, at: datetime | None, n: int) -> list[DueReminderRow]:
    return DueReminderRow.from_records(await conn.fetch(_CLAIM, org_id, at, n))


async def mark_sent(conn: Conn, org_id: UUID, done: list[tuple[UUID, UUID, str, str, bool]]) -> None:
    await conn.execute(_MARK, org_id, *(list(column) for column in zip(*done, strict=True)))


async def claim_email(conn: Conn, org_id: UUID, n: int) -> list[ReminderEmailRow]:
    return ReminderEmailRow.from_records(await conn.fetch(_CLAIM_EMAIL, org_id, n))


async def mark_emailed(conn: Conn, org_id: UUID, occurrence_id: UUID, user_id: UUID, kind: str) -> None:
    await conn.execute(_MARK_EMAILED, org_id, occurrence_id, user_id, kind)
