"""Satisfaction SQL: event ratings by attendees, the quarterly CSAT, and their analytics.

An attendee of an occurrence is someone checked in, or, for an occurrence where nobody was
checked in (the organizer did not use check-in), someone who was going.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn, row, rows
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class AttendanceRow(Row):
    """An occurrence as a rating needs it: when it ended, whether it (or its event) was cancelled,
    and whether one person attended it."""

    id: UUID
    end_time: datetime
    status: str
    event_status: str
    attended: bool


@dataclass(frozen=True, slots=True)
class RatingRow(Row):
    """One person's rating of one occurrence."""

    occurrence_id: UUID
    score: int
    comment: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RaterRow(RatingRow):
    """A rating with who gave it (an event's ratings, for whoever manages it)."""

    user_id: UUID
    display_name: str
    avatar_url: str | None


@dataclass(frozen=True, slots=True)
class CsatRow(Row):
    """A member's CSAT answer for a quarter; `score` None is a dismissal."""

    quarter: date
    score: int | None
    comment: str | None
    created_at: datetime


_ATTENDED = """
SELECT o.id, o.end_time, o.status, e.status AS event_status,
       (g.checked_in_at IS NOT NULL OR (g.status = 'going' AND o.checked_in_count = 0)) AS attended
FROM event_occurrences o JOIN events e ON e.org_id = o.org_id AND e.id = o.event_id
LEFT JOIN event_registrations g ON g.org_id = o.org_id AND g.occurrence_id = o.id AND g.user_id = $4
WHERE o.org_id = $1 AND o.event_id = $2 AND o.id = $3
"""
_LAST_ENDED = """
SELECT id FROM event_occurrences WHERE org_id = $1 AND event_id = $2 AND end_time <= $3
ORDER BY end_time DESC, id LIMIT 1
"""
_RATING = """
SELECT occurrence_id, score, comment, created_at, updated_at FROM event_ratings
WHERE org_id = $1 AND occurrence_id = $2 AND user_id = $3
"""
_UPSERT_RATING = """
INSERT INTO event_ratings AS r (org_id, event_id, occurrence_id, user_id, score, comment)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (org_id, occurrence_id, user_id) DO UPDATE
    SET score = excluded.score, comment = excluded.comment, updated_at = now()
RETURNING occurrence_id, score, comment, created_at, updated_at
"""
_EVENT_RATINGS = """
SELECT r.score, r.comment, r.created_at, r.updated_at, r.occurrence_id,
       u.id AS user_id, u.display_name, u.avatar_url
FROM event_ratings r JOIN users u ON u.id = r.user_id
WHERE r.org_id = $1 AND r.event_id = $2 AND ($3::uuid IS NULL OR r.occurrence_id = $3)
  AND ($4::timestamptz IS NULL OR (r.updated_at, r.user_id) < ($4, $5))
ORDER BY r.updated_at DESC, r.user_id DESC LIMIT $6
"""
_EVENT_SUMMARY = """
SELECT (SELECT array_agg(score) FROM event_ratings
        WHERE org_id = $1 AND event_id = $2 AND ($3::uuid IS NULL OR occurrence_id = $3)) AS scores,
       (SELECT count(*)::int FROM event_occurrences o JOIN event_registrations g
            ON g.org_id = o.org_id AND g.occurrence_id = o.id
        WHERE o.org_id = $1 AND o.event_id = $2 AND ($3::uuid IS NULL OR o.id = $3) AND o.end_time <= now()
          AND (g.checked_in_at IS NOT NULL OR (g.status = 'going' AND o.checked_in_count = 0))) AS attendees
"""

_CSAT = """
SELECT quarter, score, comment, created_at FROM csat_responses WHERE org_id = $1 AND user_id = $2 AND quarter = $3
"""
_JOINED = "SELECT joined_at FROM memberships WHERE org_id = $1 AND user_id = $2 AND status = 'active'"
_INSERT_CSAT = """
INSERT INTO csat_responses (org_id, user_id, quarter, score, comment) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (org_id, user_id, quarter) DO NOTHING
RETURNING quarter, score, comment, created_at
"""

# Analytics, per UTC day in [lo, hi): CSAT answers (by when they were given) and event ratings
# with the attendees they could come from (by the day the occurrence ended).
_CSAT_DAYS = """
SELECT (created_at AT TIME ZONE 'UTC')::date AS day, array_agg(score) FILTER (WHERE score IS NOT NULL) AS scores,
       count(*) FILTER (WHERE score IS NULL)::int AS dismissals
FROM csat_responses WHERE org_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1
"""
_RATING_DAYS = """
WITH ended AS (
    SELECT o.id, o.checked_in_count, (o.end_time AT TIME ZONE 'UTC')::date AS day
    FROM event_occurrences o JOIN events e ON e.org_id = o.org_id AND e.id = o.event_id
    WHERE o.org_id = $1 AND o.end_time >= $2 AND o.end_time < least($3, now())
      AND o.status = 'scheduled' AND e.status = 'scheduled'
), att AS (
    SELECT x.day, count(*)::int AS n FROM ended x
    JOIN event_registrations g ON g.org_id = $1 AND g.occurrence_id = x.id
    WHERE g.checked_in_at IS NOT NULL OR (g.status = 'going' AND x.checked_in_count = 0) GROUP BY 1
), rated AS (
    SELECT x.day, array_agg(r.score) AS scores FROM ended x
    JOIN event_ratings r ON r.org_id = $1 AND r.occurrence_id = x.id GROUP BY 1
)
SELECT d.day, coalesce(rated.scores, '{}'::smallint[]) AS scores, coalesce(att.n, 0) AS attendees
FROM (SELECT DISTINCT day FROM ended) d LEFT JOIN att USING (day) LEFT JOIN rated USING (day)
"""


async def attended(conn: Conn, org_id: UUID, event_id: UUID, occurrence_id: UUID,
                   user_id: UUID | None) -> AttendanceRow | None:
    found = await conn.fetchrow(_ATTENDED, org_id, event_id, occurrence_id, user_id)
    return AttendanceRow.from_record(found) if found is not None else None


async def last_ended(conn: Conn, org_id: UUID, event_id: UUID, at: datetime) -> UUID | None:
    found: UUID | None = await conn.fetchval(_LAST_ENDED, org_id, event_id, at)
    return found


async def get_rating(conn: Conn, org_id: UUID, occurrence_id: UUID, user_id: UUID) -> RatingRow | None:
    found = await conn.fetchrow(_RATING, org_id, occurrence_id, user_id)
    return RatingRow.from_record(found) if found is not None else None


async def upsert_rating(conn: Conn, *, org_id: UUID, event_id: UUID, occurrence_id: UUID, user_id: UUID, score: int,
                        comment: str | None) -> RatingRow:
    found = await conn.fetchrow(_UPSERT_RATING, org_id, event_id, occurrence_id, user_id, score, comment)
    assert found is not None
    return RatingRow.from_record(found)


async def list_ratings(conn: Conn, org_id: UUID, event_id: UUID, occurrence_id: UUID | None,
                       after: tuple[datetime, UUID] | None, limit: int) -> list[RaterRow]:
    at, last = after if after else (None, None)
    return RaterRow.from_records(await conn.fetch(_EVENT_RATINGS, org_id, event_id, occurrence_id, at, last, limit))


async def rating_summary(conn: Conn, org_id: UUID, event_id: UUID, occurrence_id: UUID | None) -> dict[str, Any]:
    found = row(await conn.fetchrow(_EVENT_SUMMARY, org_id, event_id, occurrence_id))
    assert found is not None
    return found


async def get_csat(conn: Conn, org_id: UUID, user_id: UUID, quarter: date) -> CsatRow | None:
    found = await conn.fetchrow(_CSAT, org_id, user_id, quarter)
    return CsatRow.from_record(found) if found is not None else None


async def joined_at(conn: Conn, org_id: UUID, user_id: UUID) -> datetime | None:
    found: datetime | None = await conn.fetchval(_JOINED, org_id, user_id)
    return found


async def insert_csat(conn: Conn, org_id: UUID, user_id: UUID, quarter: date, score: int | None,
                      comment: str | None) -> CsatRow | None:
    """The response, or None when this member already answered or dismissed this quarter."""
    found = await conn.fetchrow(_INSERT_CSAT, org_id, user_id, quarter, score, comment)
    return CsatRow.from_record(found) if found is not None else None


async def csat_days(conn: Conn, org_id: UUID, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_CSAT_DAYS, org_id, lo, hi))


async def rating_days(conn: Conn, org_id: UUID, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_RATING_DAYS, org_id, lo, hi))
