"""Events: series rows, their occurrences as the API shows them, and the series' writes."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class EventText(Row):
    """What a series row and an occurrence as shown both hold: the text, the schedule (start, end,
    zone, rule) and the places."""

    title: str
    description: str | None
    html: str | None
    event_type: str | None
    start_time: datetime
    end_time: datetime
    timezone: str
    location: str | None
    meeting_url: str | None
    max_attendees: int | None
    registration_required: bool
    is_public: bool
    recurrence: str | None


@dataclass(frozen=True, slots=True)
class EventFields(EventText):
    """What a write sets on a series row: its text, schedule and places, and how far its occurrences
    are laid out."""

    materialized_until: datetime | None
    series_complete: bool


@dataclass(frozen=True, slots=True)
class EventRow(EventFields):
    """An event (the series) as stored; `status` 'cancelled' cancels every occurrence."""

    id: UUID
    org_id: UUID
    status: str
    cancel_reason: str | None
    topic_id: UUID | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime

    def fields(self) -> EventFields:
        return EventFields(**{f.name: getattr(self, f.name) for f in fields(EventFields)})


@dataclass(frozen=True, slots=True)
class OccurrenceRow(Row):
    """An occurrence's own schedule (`recurrence_id`: the start its rule gave it)."""

    id: UUID
    recurrence_id: datetime | None
    start_time: datetime
    end_time: datetime
    status: str
    times_overridden: bool


@dataclass(frozen=True, slots=True)
class ShownOccurrenceRow(EventText):
    """An occurrence as the API shows it: the occurrence's own text and times over the series'
    (`start_time`, `end_time` are the occurrence's), its counts, its creator, and one viewer's
    registration (`my_*`, None without one)."""

    id: UUID
    org_id: UUID
    occurrence_id: UUID
    recurrence_id: datetime | None
    series_start_time: datetime
    series_end_time: datetime
    status: str
    cancel_reason: str | None
    going_count: int
    interested_count: int
    waitlist_count: int
    checked_in_count: int
    topic_id: UUID | None
    created_by: UUID | None
    created_by_name: str | None
    created_by_avatar: str | None
    created_at: datetime
    updated_at: datetime
    my_status: str | None
    my_checked_in_at: datetime | None
    my_position: int | None


# An occurrence as the API shows it, for viewer $2 (their registration, if any).
_SELECT = """
SELECT e.id, e.org_id, o.id AS occurrence_id, o.recurrence_id, coalesce(o.title, e.title) AS title,
       coalesce(o.description, e.description) AS description, coalesce(o.html, e.html) AS html,
       e.event_type, o.start_time, o.end_time, e.start_time AS series_start_time,
       e.end_time AS series_end_time, e.timezone, coalesce(o.location, e.location) AS location,
       coalesce(o.meeting_url, e.meeting_url) AS meeting_url, e.max_attendees, e.registration_required,
       e.is_public, e.recurrence,
       CASE WHEN e.status = 'cancelled' THEN 'cancelled' ELSE o.status END AS status,
       coalesce(o.cancel_reason, e.cancel_reason) AS cancel_reason,
       o.going_count, o.interested_count, o.waitlist_count, o.checked_in_count, e.topic_id, e.created_by,
       u.display_name AS created_by_name, u.avatar_url AS created_by_avatar, e.created_at, e.updated_at,
       r.status AS my_status, r.checked_in_at AS my_checked_in_at,
       CASE WHEN r.status = 'waitlisted' THEN
           (SELECT count(*) FROM event_registrations w WHERE w.org_id = o.org_id AND w.occurrence_id = o.id
                AND w.status = 'waitlisted' AND w.position <= r.position) END AS my_position
FROM event_occurrences o
JOIN events e ON e.org_id = o.org_id AND e.id = o.event_id
LEFT JOIN users u ON u.id = e.created_by
LEFT JOIN event_registrations r ON r.org_id = o.org_id AND r.occurrence_id = o.id AND r.user_id = $2
"""
# $3 from, $4 to (or NULL), $5 sees members-only events, $6/$7 cursor (start, occurrence id), $8 limit.
_LIST = _SELECT + """
WHERE o.org_id = $1 AND o.end_time > $3 AND ($4::timestamptz IS NULL OR o.start_time < $4)
  AND (e.is_public OR $5) AND ($9::text IS NULL OR e.event_type = $9)
  AND ($6::timestamptz IS NULL OR (o.start_time, o.id) > ($6, $7))
ORDER BY o.start_time, o.id LIMIT $8
"""
_GET_OCCURRENCE = _SELECT + "WHERE o.org_id = $1 AND o.event_id = $3 AND o.id = $4"
_LIST_EVENT = _SELECT + "WHERE o.org_id = $1 AND o.event_id = $3 ORDER BY o.start_time, o.id LIMIT $4"
_LIST_PUBLIC = _SELECT + """
WHERE o.org_id = $1 AND e.is_public AND o.end_time > $3 ORDER BY o.start_time, o.id LIMIT $4
"""
_LIST_REGISTERED = _SELECT + """
WHERE o.org_id = $1 AND r.status IN ('going', 'interested', 'waitlisted') AND o.end_time > $3
  AND (e.is_public OR $4)
ORDER BY o.start_time, o.id LIMIT $5
"""
_COUNT_UPCOMING = """
SELECT count(*) FROM event_occurrences o JOIN events e ON e.org_id = o.org_id AND e.id = o.event_id
WHERE o.org_id = $1 AND o.status = 'scheduled' AND e.status = 'scheduled' AND o.start_time >= now()
  AND o.start_time < now() + $2::interval AND (e.is_public OR $3)
"""
# The occurrence a series read shows by default: the next not yet ended, else the last.
_CURRENT = """
SELECT id FROM event_occurrences WHERE org_id = $1 AND event_id = $2
ORDER BY end_time <= now(), CASE WHEN end_time > now() THEN start_time END, start_time DESC LIMIT 1
"""
_AT_TIME = """
SELECT id FROM event_occurrences WHERE org_id = $1 AND event_id = $2 AND (start_time = $3 OR recurrence_id = $3)
ORDER BY start_time = $3 DESC LIMIT 1
"""
_OCCURRENCE_OF = "SELECT id FROM event_occurrences WHERE org_id = $1 AND event_id = $2 AND id = $3"

_EVENT_COLUMNS = """id, org_id, title, description, html, event_type, start_time, end_time, timezone, location,
    meeting_url, max_attendees, registration_required, is_public, recurrence, materialized_until, series_complete,
    status, cancel_reason, topic_id, created_by, created_at, updated_at"""
_EVENT = f"SELECT {_EVENT_COLUMNS} FROM events WHERE org_id = $1 AND id = $2"  # noqa: S608 - column list constant
_INSERT_EVENT = f"""
INSERT INTO events (id, org_id, title, description, html, event_type, start_time, end_time, timezone, location,
                    meeting_url, max_attendees, registration_required, is_public, recurrence, materialized_until,
                    series_complete, topic_id, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
RETURNING {_EVENT_COLUMNS}
"""  # noqa: S608
_UPDATE_EVENT = f"""
UPDATE events SET title = $3, description = $4, html = $5, event_type = $6, start_time = $7, end_time = $8,
    timezone = $9, location = $10, meeting_url = $11, max_attendees = $12, registration_required = $13,
    is_public = $14, recurrence = $15, materialized_until = $16, series_complete = $17, updated_at = now()
WHERE org_id = $1 AND id = $2 RETURNING {_EVENT_COLUMNS}
"""  # noqa: S608
_SET_TOPIC = "UPDATE events SET topic_id = $3 WHERE org_id = $1 AND id = $2"
_CANCEL_EVENT = """
UPDATE events SET status = 'cancelled', cancel_reason = $3, cancelled_at = now(), updated_at = now()
WHERE org_id = $1 AND id = $2
"""
_DELETE_EVENT = "DELETE FROM events WHERE org_id = $1 AND id = $2"
_SET_MATERIALIZED = """
UPDATE events SET materialized_until = $3, series_complete = $4 WHERE org_id = $1 AND id = $2
"""
_TO_EXTEND = """
SELECT id FROM events WHERE org_id = $1 AND NOT series_complete AND status = 'scheduled' AND materialized_until < $2
ORDER BY materialized_until LIMIT $3 FOR UPDATE SKIP LOCKED
"""
_EXTEND_ORGS = "SELECT events_to_extend($1, $2) AS org_id"

_OCCURRENCES = """
SELECT id, recurrence_id, start_time, end_time, status, times_overridden
FROM event_occurrences WHERE org_id = $1 AND event_id = $2 ORDER BY start_time, id
"""
_INSERT_OCCURRENCES = """
INSERT INTO event_occurrences (org_id, event_id, recurrence_id, start_time, end_time)
SELECT $1, $2, s, s, e FROM unnest($3::timestamptz[], $4::timestamptz[]) AS t (s, e)
"""
_MOVE_OCCURRENCE = """
UPDATE event_occurrences SET recurrence_id = $3, start_time = $4, end_time = $5, times_overridden = false
WHERE org_id = $1 AND id = $2
"""
_DELETE_OCCURRENCES = "DELETE FROM event_occurrences WHERE org_id = $1 AND id = ANY($2::uuid[])"
_OVERRIDE_OCCURRENCE = """
UPDATE event_occurrences SET title = coalesce($3, title), description = coalesce($4, description),
    html = coalesce($5, html), location = coalesce($6, location), meeting_url = coalesce($7, meeting_url),
    start_time = coalesce($8, start_time), end_time = coalesce($9, end_time),
    times_overridden = times_overridden OR $8::timestamptz IS NOT NULL OR $9::timestamptz IS NOT NULL
WHERE org_id = $1 AND id = $2
"""
_CANCEL_OCCURRENCE = """
UPDATE event_occurrences SET status = 'cancelled', cancel_reason = $3 WHERE org_id = $1 AND id = $2
"""
_CANCEL_ALL_OCCURRENCES = """
UPDATE event_occurrences SET status = 'cancelled', cancel_reason = coalesce(cancel_reason, $3)
WHERE org_id = $1 AND event_id = $2 AND status = 'scheduled' AND end_time > now()
"""
# Everyone who should hear that these occurrences changed (not those who said not going).
_REGISTRANTS = """
SELECT DISTINCT user_id FROM event_registrations
WHERE org_id = $1 AND occurrence_id = ANY($2::uuid[]) AND status <> 'not_going'
"""
_UPCOMING_OF_EVENT = """
SELECT id FROM event_occurrences WHERE org_id = $1 AND event_id = $2 AND end_time > now()
"""


def _event_args(e: EventFields) -> tuple[object, ...]:
    return tuple(getattr(e, f.name) for f in fields(EventFields))


async def list_occurrences(conn: Conn, org_id: UUID, viewer: UUID | None, *, start: datetime, end: datetime | None,
                           members_only: bool, after: tuple[datetime, UUID] | None, limit: int,
                           event_type: str | None = None) -> list[ShownOccurrenceRow]:
    at, last = after if after else (None, None)
    found = await conn.fetch(_LIST, org_id, viewer, start, end, members_only, at, last, limit, event_type)
    return ShownOccurrenceRow.from_records(found)


async def get_occurrence(conn: Conn, org_id: UUID, viewer: UUID | None, event_id: UUID,
                         occurrence_id: UUID) -> ShownOccurrenceRow | None:
    found = await conn.fetchrow(_GET_OCCURRENCE, org_id, viewer, event_id, occurrence_id)
    return ShownOccurrenceRow.from_record(found) if found is not None else None


async def list_event_occurrences(conn: Conn, org_id: UUID, viewer: UUID | None, event_id: UUID,
                                 limit: int) -> list[ShownOccurrenceRow]:
    return ShownOccurrenceRow.from_records(await conn.fetch(_LIST_EVENT, org_id, viewer, event_id, limit))


async def list_public_occurrences(conn: Conn, org_id: UUID, since: datetime, limit: int) -> list[ShownOccurrenceRow]:
    return ShownOccurrenceRow.from_records(await conn.fetch(_LIST_PUBLIC, org_id, None, since, limit))


async def list_registered_occurrences(conn: Conn, org_id: UUID, user_id: UUID, since: datetime, *,
                                      members_only: bool, limit: int) -> list[ShownOccurrenceRow]:
    found = await conn.fetch(_LIST_REGISTERED, org_id, user_id, since, members_only, limit)
    return ShownOccurrenceRow.from_records(found)


async def count_upcoming(conn: Conn, org_id: UUID, within: Any, members_only: bool) -> int:
    return int(await conn.fetchval(_COUNT_UPCOMING, org_id, within, members_only))


async def current_occurrence(conn: Conn, org_id: UUID, event_id: UUID) -> UUID | None:
    found: UUID | None = await conn.fetchval(_CURRENT, org_id, event_id)
    return found


async def occurrence_at(conn: Conn, org_id: UUID, event_id: UUID, at: datetime) -> UUID | None:
    found: UUID | None = await conn.fetchval(_AT_TIME, org_id, event_id, at)
    return found


async def occurrence_of(conn: Conn, org_id: UUID, event_id: UUID, occurrence_id: UUID) -> UUID | None:
    found: UUID | None = await conn.fetchval(_OCCURRENCE_OF, org_id, event_id, occurrence_id)
    return found


async def get_event(conn: Conn, org_id: UUID, event_id: UUID, *, for_update: bool = False) -> EventRow | None:
    found = await conn.fetchrow(_EVENT + (" FOR UPDATE" if for_update else ""), org_id, event_id)
    return EventRow.from_record(found) if found is not None else None


async def insert_event(conn: Conn, event_id: UUID, org_id: UUID, e: EventFields, created_by: UUID | None) -> EventRow:
    stored = await conn.fetchrow(_INSERT_EVENT, event_id, org_id, *_event_args(e), None, created_by)
    assert stored is not None
    return EventRow.from_record(stored)


async def update_event(conn: Conn, org_id: UUID, event_id: UUID, e: EventFields) -> EventRow:
    """The row as written; the caller holds its lock, so it is there."""
    stored = await conn.fetchrow(_UPDATE_EVENT, org_id, event_id, *_event_args(e))
    assert stored is not None
    return EventRow.from_record(stored)


async def set_topic(conn: Conn, org_id: UUID, event_id: UUID, topic_id: UUID) -> None:
    await conn.execute(_SET_TOPIC, org_id, event_id, topic_id)


async def cancel_event(conn: Conn, org_id: UUID, event_id: UUID, reason: str) -> None:
    await conn.execute(_CANCEL_EVENT, org_id, event_id, reason)
    await conn.execute(_CANCEL_ALL_OCCURRENCES, org_id, event_id, reason)


async def delete_event(conn: Conn, org_id: UUID, event_id: UUID) -> None:
    await conn.execute(_DELETE_EVENT, org_id, event_id)


async def set_materialized(conn: Conn, org_id: UUID, event_id: UUID, until: datetime | None, complete: bool) -> None:
    await conn.execute(_SET_MATERIALIZED, org_id, event_id, until, complete)


async def orgs_to_extend(conn: Conn, horizon: datetime, n: int) -> list[UUID]:
    return [r["org_id"] for r in await conn.fetch(_EXTEND_ORGS, horizon, n)]


async def claim_to_extend(conn: Conn, org_id: UUID, horizon: datetime, n: int) -> list[UUID]:
    return [r["id"] for r in await conn.fetch(_TO_EXTEND, org_id, horizon, n)]


async def occurrence_rows(conn: Conn, org_id: UUID, event_id: UUID) -> list[OccurrenceRow]:
    return OccurrenceRow.from_records(await conn.fetch(_OCCURRENCES, org_id, event_id))


async def insert_occurrences(conn: Conn, org_id: UUID, event_id: UUID, spans: list[tuple[datetime, datetime]]) -> None:
    if spans:
        await conn.execute(_INSERT_OCCURRENCES, org_id, event_id, [s for s, _ in spans], [e for _, e in spans])


async def move_occurrence(conn: Conn, org_id: UUID, occurrence_id: UUID, start: datetime, end: datetime) -> None:
    await conn.execute(_MOVE_OCCURRENCE, org_id, occurrence_id, start, start, end)


async def delete_occurrences(conn: Conn, org_id: UUID, ids: list[UUID]) -> None:
    if ids:
        await conn.execute(_DELETE_OCCURRENCES, org_id, ids)


async def override_occurrence(conn: Conn, org_id: UUID, occurrence_id: UUID, changes: dict[str, Any]) -> None:
    await conn.execute(_OVERRIDE_OCCURRENCE, org_id, occurrence_id, changes.get("title"), changes.get("description"),
                       changes.get("html"), changes.get("location"), changes.get("meeting_url"),
                       changes.get("start_time"), changes.get("end_time"))


async def cancel_occurrence(conn: Conn, org_id: UUID, occurrence_id: UUID, reason: str) -> None:
    await conn.execute(_CANCEL_OCCURRENCE, org_id, occurrence_id, reason)


async def registrants(conn: Conn, org_id: UUID, occurrence_ids: list[UUID]) -> list[UUID]:
    return [r["user_id"] for r in await conn.fetch(_REGISTRANTS, org_id, occurrence_ids)]


async def upcoming_occurrence_ids(conn: Conn, org_id: UUID, event_id: UUID) -> list[UUID]:
    return [r["id"] for r in await conn.fetch(_UPCOMING_OF_EVENT, org_id, event_id)]
