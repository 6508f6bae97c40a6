"""Analytics SQL: per-UTC-day numbers computed from the tables, and the daily rollups.

`_DAYS` answers one row per day in [$2, $3) for org $1, straight from the source tables; the
actor stores it in `analytics_daily` for days that are over, and the series computes it live
for today (and any past day the actor has not rolled up yet).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from community.db.pool import Conn, rows

_DAYS = """
WITH days AS (
    SELECT d::date AS day FROM generate_series($2::date, $3::date - 1, interval '1 day') d
), bounds AS (
    SELECT ($2::date)::timestamp AT TIME ZONE 'UTC' AS lo, ($3::date)::timestamp AT TIME ZONE 'UTC' AS hi
), joined AS (
    SELECT (joined_at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS n
    FROM memberships, bounds WHERE org_id = $1 AND status = 'active' AND joined_at >= lo AND joined_at < hi
    GROUP BY 1
), p AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS n
    FROM posts, bounds WHERE org_id = $1 AND deleted_at IS NULL AND created_at >= lo AND created_at < hi GROUP BY 1
), t AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS n
    FROM topics, bounds WHERE org_id = $1 AND created_at >= lo AND created_at < hi GROUP BY 1
), m AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS n
    FROM messages, bounds WHERE org_id = $1 AND deleted_at IS NULL AND created_at >= lo AND created_at < hi
    GROUP BY 1
), solved AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(DISTINCT payload->>'topic_id')::int AS n
    FROM activity, bounds WHERE org_id = $1 AND type = 'post_solution_marked' AND created_at >= lo AND created_at < hi
    GROUP BY 1
), reg AS (
    SELECT (registered_at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS n
    FROM event_registrations, bounds WHERE org_id = $1 AND registered_at >= lo AND registered_at < hi GROUP BY 1
), att AS (
    SELECT (checked_in_at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS n
    FROM event_registrations, bounds WHERE org_id = $1 AND checked_in_at >= lo AND checked_in_at < hi GROUP BY 1
), dl AS (
    SELECT day, sum(downloads)::int AS n
    FROM resource_downloads_daily WHERE org_id = $1 AND day >= $2::date AND day < $3::date GROUP BY 1
), acts AS (
    SELECT author_id AS user_id, created_at AS at FROM posts, bounds
        WHERE org_id = $1 AND created_at >= lo AND created_at < hi
    UNION ALL SELECT author_id, created_at FROM topics, bounds
        WHERE org_id = $1 AND created_at >= lo AND created_at < hi
    UNION ALL SELECT sender_id, created_at FROM messages, bounds
        WHERE org_id = $1 AND created_at >= lo AND created_at < hi
    UNION ALL SELECT user_id, created_at FROM post_reactions, bounds
        WHERE org_id = $1 AND created_at >= lo AND created_at < hi
    UNION ALL SELECT user_id, created_at FROM message_reactions, bounds
        WHERE org_id = $1 AND created_at >= lo AND created_at < hi
    UNION ALL SELECT user_id, registered_at FROM event_registrations, bounds
        WHERE org_id = $1 AND registered_at >= lo AND registered_at < hi
    UNION ALL SELECT user_id, day::timestamp AT TIME ZONE 'UTC' FROM resource_downloaders_daily
        WHERE org_id = $1 AND day >= $2::date AND day < $3::date
), active AS (
    SELECT (at AT TIME ZONE 'UTC')::date AS day, array_agg(DISTINCT user_id) AS ids
    FROM acts WHERE user_id IS NOT NULL GROUP BY 1
), first_reply AS (
    SELECT (tp.created_at AT TIME ZONE 'UTC')::date AS day,
           array_agg(extract(epoch FROM r.at - tp.created_at) / 60.0) AS minutes
    FROM topics tp, bounds,
         LATERAL (SELECT min(po.created_at) AS at FROM posts po
                  WHERE po.org_id = tp.org_id AND po.topic_id = tp.id AND po.deleted_at IS NULL
                    AND po.author_id IS DISTINCT FROM tp.author_id) r
    WHERE tp.org_id = $1 AND tp.created_at >= lo AND tp.created_at < hi AND r.at IS NOT NULL
    GROUP BY 1
)
SELECT days.day,
       (SELECT count(*)::int FROM memberships
        WHERE org_id = $1 AND status = 'active'
          AND joined_at < (days.day + 1)::timestamp AT TIME ZONE 'UTC') AS members,
       coalesce(joined.n, 0) AS new_members, coalesce(p.n, 0) AS posts, coalesce(t.n, 0) AS topics,
       coalesce(m.n, 0) AS messages, coalesce(solved.n, 0) AS solved_topics,
       coalesce(reg.n, 0) AS event_registrations, coalesce(att.n, 0) AS event_attendance,
       coalesce(dl.n, 0) AS resource_downloads,
       coalesce(active.ids, '{}'::uuid[]) AS active_user_ids,
       coalesce(first_reply.minutes, '{}'::double precision[]) AS first_reply_minutes
FROM days
LEFT JOIN joined USING (day) LEFT JOIN p USING (day) LEFT JOIN t USING (day) LEFT JOIN m USING (day)
LEFT JOIN solved USING (day) LEFT JOIN reg USING (day) LEFT JOIN att USING (day)
LEFT JOIN dl USING (day) LEFT JOIN active USING (day) LEFT JOIN first_reply USING (day)
ORDER BY days.day
"""

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

_D_COUNTS = ", ".join("d." + c.strip() for c in _COUNTS.split(","))

# A day computed live, in the stored days' shape: the active members who have a number as a
# bitmap, those who have none yet (first active since the last rollup) as ids, and the org's next
# number (where the caller may number those for the answer's own arithmetic).
_LIVE_DAYS = f"""
SELECT d.day, {_D_COUNTS}, d.first_reply_minutes, analytics_bitmap(x.numbers) AS active_bits,
       x.unnumbered, (SELECT coalesce(max(m.n) + 1, 0) FROM analytics_members m WHERE m.org_id = $1) AS next_n
FROM ({_DAYS}) d
CROSS JOIN LATERAL (
    SELECT array_agg(m.n) FILTER (WHERE m.n IS NOT NULL) AS numbers,
           coalesce(array_agg(u.id) FILTER (WHERE m.n IS NULL), '{{}}') AS unnumbered
    FROM unnest(d.active_user_ids) AS u(id)
    LEFT JOIN analytics_members m ON m.org_id = $1 AND m.user_id = u.id
) x
"""  # noqa: S608 - constants only

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

_DUE = "SELECT org_id, next_day FROM analytics_due_orgs($1, $2)"


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


async def due_orgs(conn: Conn, today: date, n: int) -> list[tuple[UUID, date]]:
    return [(r["org_id"], r["next_day"]) for r in await conn.fetch(_DUE, today, n)]

