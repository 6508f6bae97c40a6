"""Analytics SQL: per-UTC-day numbers computed from the tables, and the daily rollups.

`_DAYS` (the function `analytics_days`, migration 0028) answers one row per day in [$2, $3) for
org $1, straight from the source tables; the actor stores it in `analytics_daily` for days that
are over, and the series computes it live for today (and any past day not rolled up yet).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from community.db.pool import Conn, rows

# The per-day numbers of [$2, $3) for org $1 (migration 0028: PL/pgSQL functions, so each
# connection plans them once, generically, instead of planning an eleven-way join per request).
_DAYS = "SELECT * FROM analytics_days($1, $2, $3)"

_COLUMNS = ("members, new_members, posts, topics, messages, solved_topics, event_registrations, "
            "event_attendance, resource_downloads, active_user_ids, first_reply_minutes")

_UPSERT = f"""
INSERT INTO analytics_daily (org_id, day, {_COLUMNS})
SELECT $1, day, {_COLUMNS} FROM ({_DAYS}) d
ON CONFLICT (org_id, day) DO UPDATE SET
    members = EXCLUDED.members, new_members = EXCLUDED.new_members, posts = EXCLUDED.posts,
    topics = EXCLUDED.topics, messages = EXCLUDED.messages, solved_topics = EXCLUDED.solved_topics,
    event_registrations = EXCLUDED.event_registrations, event_attendance = EXCLUDED.event_attendance,
    resource_downloads = EXCLUDED.resource_downloads, active_user_ids = EXCLUDED.active_user_ids,
    first_reply_minutes = EXCLUDED.first_reply_minutes, computed_at = now()
"""  # noqa: S608 - constants only

_COUNTS = ("members, new_members, posts, topics, messages, solved_topics, event_registrations, "
           "event_attendance, resource_downloads")

# A stored day: its counts, its active members as a bitmap over the org's member numbers
# (`analytics_members`, migration 0023) and its first-reply minutes.
_ROLLUP_DAYS = f"""
SELECT day, {_COUNTS}, active_bits, first_reply_minutes FROM analytics_daily
WHERE org_id = $1 AND day >= $2 AND day < $3 ORDER BY day
"""  # noqa: S608 - constants only

# A day computed live, in the stored days' shape: the active members who have a number as a
# bitmap, those who have none yet (first active since the last rollup) as ids, and the org's next
# number (where the caller may number those for the answer's own arithmetic). Migration 0028.
_LIVE_DAYS = "SELECT * FROM analytics_live_days($1, $2, $3)"

# Join-month cohorts of the members who joined in [$2, $3): size, the numbered ones as a bitmap,
# and which of `$4` (the live days' unnumbered ids) are in it.
_COHORTS = """
SELECT date_trunc('month', ms.joined_at AT TIME ZONE 'UTC')::date AS cohort, count(*)::int AS size,
       analytics_bitmap(array_agg(am.n) FILTER (WHERE am.n IS NOT NULL)) AS bits,
       coalesce(array_agg(ms.user_id) FILTER (WHERE am.n IS NULL AND ms.user_id = ANY ($4::uuid[])), '{}') AS fresh
FROM memberships ms LEFT JOIN analytics_members am ON am.org_id = ms.org_id AND am.user_id = ms.user_id
WHERE ms.org_id = $1 AND ms.status = 'active' AND ms.joined_at >= ($2::date)::timestamp AT TIME ZONE 'UTC'
  AND ms.joined_at < ($3::date)::timestamp AT TIME ZONE 'UTC'
GROUP BY 1 ORDER BY 1
"""

_DUE = "SELECT org_id, next_day FROM analytics_due_orgs($1, $2, $3)"


async def compute_days(conn: Conn, org_id: UUID, start: date, end: date) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_DAYS, org_id, start, end))


async def upsert_days(conn: Conn, org_id: UUID, start: date, end: date) -> None:
    await conn.execute(_UPSERT, org_id, start, end)


async def list_rollup_days(conn: Conn, org_id: UUID, start: date, end: date) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_ROLLUP_DAYS, org_id, start, end))


async def compute_live_days(conn: Conn, org_id: UUID, start: date, end: date) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_LIVE_DAYS, org_id, start, end))


async def list_cohorts(conn: Conn, org_id: UUID, start: date, end: date, fresh: list[UUID]) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_COHORTS, org_id, start, end, fresh))


async def due_orgs(conn: Conn, today: date, n: int, recent: int) -> list[tuple[UUID, date]]:
    """Up to `n` orgs with the first day each still has to roll up: the day after its last rollup,
    or for an org without any, the earlier of its creation day and `recent` days before today."""
    return [(r["org_id"], r["next_day"]) for r in await conn.fetch(_DUE, today, n, recent)]

