"""Registrations: the occurrence lock, the waitlist, attendees and check-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from community.db.pool import Conn
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class LockedOccurrenceRow(Row):
    """An occurrence under its row lock: its times, status and counts, with its event's status and
    `max_attendees` (what deciding a place needs)."""

    id: UUID
    event_id: UUID
    start_time: datetime
    end_time: datetime
    status: str
    event_status: str
    max_attendees: int | None
    going_count: int
    waitlist_count: int
    next_position: int


@dataclass(frozen=True, slots=True)
class RegistrationRow(Row):
    """One person's registration for one occurrence (`position`: their place in the waitlist's order,
    not its number)."""

    org_id: UUID
    event_id: UUID
    occurrence_id: UUID
    user_id: UUID
    status: str
    position: int | None
    registered_at: datetime
    checked_in_at: datetime | None


@dataclass(frozen=True, slots=True)
class AttendeeRow(Row):
    """A registration with the person's name and avatar."""

    user_id: UUID
    display_name: str
    avatar_url: str | None
    status: str
    registered_at: datetime
    checked_in_at: datetime | None
    position: int | None


@dataclass(frozen=True, slots=True)
class RankedAttendeeRow(AttendeeRow):
    """An attendee as the list orders them (`rank`, `sort_position`: the cursor's keys); `position` is
    their number on the waitlist."""

    rank: int
    sort_position: int

# Every change to an occurrence's registrations happens under this lock, so counting and
# deciding (a place, or the waitlist and its position) is one serial step per occurrence.
_LOCK_OCCURRENCE = """
SELECT o.id, o.event_id, o.start_time, o.end_time, o.status, e.status AS event_status, e.max_attendees,
       o.going_count, o.waitlist_count, o.next_position
FROM event_occurrences o JOIN events e ON e.org_id = o.org_id AND e.id = o.event_id
WHERE o.org_id = $1 AND o.id = $2 FOR UPDATE OF o
"""
_GET = """
SELECT org_id, event_id, occurrence_id, user_id, status, position, registered_at, checked_in_at
FROM event_registrations WHERE org_id = $1 AND occurrence_id = $2 AND user_id = $3
"""
_UPSERT = """
INSERT INTO event_registrations (org_id, event_id, occurrence_id, user_id, status, position)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (org_id, occurrence_id, user_id) DO UPDATE
SET status = excluded.status, position = excluded.position, updated_at = now()
"""
_DELETE = "DELETE FROM event_registrations WHERE org_id = $1 AND occurrence_id = $2 AND user_id = $3"
_FIRST_WAITLISTED = """
SELECT user_id FROM event_registrations
WHERE org_id = $1 AND occurrence_id = $2 AND status = 'waitlisted' ORDER BY position LIMIT $3
"""
_PROMOTE = """
UPDATE event_registrations SET status = 'going', position = NULL, updated_at = now()
WHERE org_id = $1 AND occurrence_id = $2 AND user_id = ANY($3::uuid[])
"""
_RECOUNT = """
UPDATE event_occurrences o SET
    going_count = c.going, interested_count = c.interested, waitlist_count = c.waitlisted,
    checked_in_count = c.checked_in, next_position = greatest(o.next_position, $3)
FROM (SELECT count(*) FILTER (WHERE status = 'going') AS going,
             count(*) FILTER (WHERE status = 'interested') AS interested,
             count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted,
             count(*) FILTER (WHERE checked_in_at IS NOT NULL) AS checked_in
      FROM event_registrations WHERE org_id = $1 AND occurrence_id = $2) c
WHERE o.org_id = $1 AND o.id = $2
RETURNING o.going_count, o.waitlist_count
"""
_POSITION = """
SELECT count(*) FROM event_registrations
WHERE org_id = $1 AND occurrence_id = $2 AND status = 'waitlisted' AND position <= $3
"""
# Going first, then the waitlist in order, then interested and not going; $3 status filter,
# $4..$7 the cursor (rank, position, registered_at, user id).
_ATTENDEES = """
WITH ranked AS (
    SELECT r.user_id, u.display_name, u.avatar_url, r.status, r.registered_at, r.checked_in_at,
           CASE r.status WHEN 'going' THEN 0 WHEN 'waitlisted' THEN 1 WHEN 'interested' THEN 2 ELSE 3 END AS rank,
           coalesce(r.position, 0) AS sort_position,
           CASE WHEN r.status = 'waitlisted' THEN
               row_number() OVER (PARTITION BY r.status = 'waitlisted' ORDER BY r.position) END AS position
    FROM event_registrations r JOIN users u ON u.id = r.user_id
    WHERE r.org_id = $1 AND r.occurrence_id = $2
)
SELECT user_id, display_name, avatar_url, status, registered_at, checked_in_at, position, rank, sort_position
FROM ranked
WHERE ($3::text IS NULL OR status = $3)
  AND ($4::integer IS NULL OR (rank, sort_position, registered_at, user_id) > ($4, $5, $6, $7))
ORDER BY rank, sort_position, registered_at, user_id LIMIT $8
"""
_ATTENDEE = """
SELECT r.user_id, u.display_name, u.avatar_url, r.status, r.registered_at, r.checked_in_at, r.position
FROM event_registrations r JOIN users u ON u.id = r.user_id
WHERE r.org_id = $1 AND r.occurrence_id = $2 AND r.user_id = $3
"""
_CHECK_IN = """
UPDATE event_registrations SET checked_in_at = coalesce(checked_in_at, now()),
    checked_in_by = coalesce(checked_in_by, $4)
WHERE org_id = $1 AND occurrence_id = $2 AND user_id = $3
"""
_UNDO_CHECK_IN = """
UPDATE event_registrations SET checked_in_at = NULL, checked_in_by = NULL
WHERE org_id = $1 AND occurrence_id = $2 AND user_id = $3
"""


async def lock_occurrence(conn: Conn, org_id: UUID, occurrence_id: UUID) -> LockedOccurrenceRow | None:
    found = await conn.fetchrow(_LOCK_OCCURRENCE, org_id, occurrence_id)
    return LockedOccurrenceRow.from_record(found) if found is not None else None


async def get_registration(conn: Conn, org_id: UUID, occurrence_id: UUID, user_id: UUID) -> RegistrationRow | None:
    found = await conn.fetchrow(_GET, org_id, occurrence_id, user_id)
    return RegistrationRow.from_record(found) if found is not None else None


async def upsert_registration(conn: Conn, *, org_id: UUID, event_id: UUID, occurrence_id: UUID, user_id: UUID,
                              status: str, position: int | None) -> None:
    await conn.execute(_UPSERT, org_id, event_id, occurrence_id, user_id, status, position)


async def delete_registration(conn: Conn, org_id: UUID, occurrence_id: UUID, user_id: UUID) -> None:
    await conn.execute(_DELETE, org_id, occurrence_id, user_id)


async def first_waitlisted(conn: Conn, org_id: UUID, occurrence_id: UUID, n: int) -> list[UUID]:
    return [r["user_id"] for r in await conn.fetch(_FIRST_WAITLISTED, org_id, occurrence_id, n)]


async def promote(conn: Conn, org_id: UUID, occurrence_id: UUID, user_ids: list[UUID]) -> None:
    await conn.execute(_PROMOTE, org_id, occurrence_id, user_ids)


async def recount(conn: Conn, org_id: UUID, occurrence_id: UUID, next_position: int = 1) -> tuple[int, int]:
    found = await conn.fetchrow(_RECOUNT, org_id, occurrence_id, next_position)
    assert found is not None
    return int(found["going_count"]), int(found["waitlist_count"])


async def waitlist_position(conn: Conn, org_id: UUID, occurrence_id: UUID, position: int) -> int:
    return int(await conn.fetchval(_POSITION, org_id, occurrence_id, position))


async def list_attendees(conn: Conn, org_id: UUID, occurrence_id: UUID, *, status: str | None,
                         after: tuple[int, int, datetime, UUID] | None, limit: int) -> list[RankedAttendeeRow]:
    key = after if after else (None, None, None, None)
    return RankedAttendeeRow.from_records(await conn.fetch(_ATTENDEES, org_id, occurrence_id, status, *key, limit))


async def get_attendee(conn: Conn, org_id: UUID, occurrence_id: UUID, user_id: UUID) -> AttendeeRow | None:
    found = await conn.fetchrow(_ATTENDEE, org_id, occurrence_id, user_id)
    return AttendeeRow.from_record(found) if found is not None else None


async def check_in(conn: Conn, org_id: UUID, occurrence_id: UUID, user_id: UUID, by: UUID | None) -> None:
    await conn.execute(_CHECK_IN, org_id, occurrence_id, user_id, by)


async def undo_check_in(conn: Conn, org_id: UUID, occurrence_id: UUID, user_id: UUID) -> None:
    await conn.execute(_UNDO_CHECK_IN, org_id, occurrence_id, user_id)
