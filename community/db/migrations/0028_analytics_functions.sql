-- Analytics' per-day numbers as functions (until now the text of `_DAYS` in
-- community/db/queries/analytics.py, which now calls these): today's live numbers were the one
-- expensive thing on the analytics page and the dashboard, and most of their cost was planning,
-- not running. `_DAYS` joins eleven subqueries; a custom plan took 5-8 ms to plan (21 ms on a
-- connection's first run) and 1-2 ms to run for one day at 1,000 members, and PostgreSQL plans it
-- afresh for each of a connection's first five runs before it tries a generic plan. A PL/pgSQL
-- function keeps its statements' plans for the session, and `plan_cache_mode = force_generic_plan`
-- makes that plan the generic one from the first call: each pooled connection plans these once.
-- (The plans are generic over the org and the dates: index range scans by (org_id, time).)
--
-- Same text, same numbers: one row per UTC day in [first, stop) for the org, straight from the
-- source tables; the actor stores it for days that are over, readers compute today with it.
CREATE FUNCTION analytics_days(org uuid, first date, stop date)
RETURNS TABLE (day date, members integer, new_members integer, posts integer, topics integer, messages integer, solved_topics integer, event_registrations integer, event_attendance integer, resource_downloads integer, active_user_ids uuid[], first_reply_minutes double precision[])
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $fn$
#variable_conflict use_column
BEGIN
    RETURN QUERY SELECT d.day::date, d.members::integer, d.new_members::integer, d.posts::integer, d.topics::integer, d.messages::integer, d.solved_topics::integer, d.event_registrations::integer, d.event_attendance::integer, d.resource_downloads::integer, d.active_user_ids::uuid[], d.first_reply_minutes::double precision[] FROM (
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
    ) d;
END $fn$;

-- A day computed live, in the stored days' shape: the active members who have a number as a
-- bitmap, those who have none yet (first active since the last rollup) as ids, and the org's next
-- number (where the caller may number those for the answer's own arithmetic).
CREATE FUNCTION analytics_live_days(org uuid, first date, stop date)
RETURNS TABLE (day date, members integer, new_members integer, posts integer, topics integer, messages integer, solved_topics integer, event_registrations integer, event_attendance integer, resource_downloads integer, first_reply_minutes double precision[],
               active_bits bytea, unnumbered uuid[], next_n integer)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $fn$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT d.day, d.members, d.new_members, d.posts, d.topics, d.messages, d.solved_topics, d.event_registrations, d.event_attendance, d.resource_downloads, d.first_reply_minutes,
           analytics_bitmap(x.numbers), x.unnumbered::uuid[],
           (SELECT coalesce(max(m.n) + 1, 0) FROM analytics_members m WHERE m.org_id = $1)::integer
    FROM analytics_days($1, $2, $3) d
    CROSS JOIN LATERAL (
        SELECT array_agg(m.n) FILTER (WHERE m.n IS NOT NULL) AS numbers,
               coalesce(array_agg(u.id) FILTER (WHERE m.n IS NULL), '{}') AS unnumbered
        FROM unnest(d.active_user_ids) AS u(id)
        LEFT JOIN analytics_members m ON m.org_id = $1 AND m.user_id = u.id
    ) x;
END $fn$;

GRANT EXECUTE ON FUNCTION analytics_days(uuid, date, date) TO community_app;
GRANT EXECUTE ON FUNCTION analytics_live_days(uuid, date, date) TO community_app;

-- The dashboard reads the last 30 days with today (`recent` = 29 past days), far more often than
-- the analytics page; the actor rolled up only from the org's creation day, so for a young org (or one whose
-- history was imported) every dashboard computed the days before it live. The actor now starts a
-- new org's rollups at the earlier of its creation day and `today - recent`, so a dashboard
-- computes only today live (and yesterday, until the actor's first round after midnight).
DROP FUNCTION analytics_due_orgs(date, integer);
CREATE FUNCTION analytics_due_orgs(today date, n integer, recent integer) RETURNS TABLE (org_id uuid, next_day date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$ SELECT o.id, coalesce(max(a.day) + 1, least((o.created_at AT TIME ZONE 'UTC')::date, today - recent))
   FROM organizations o LEFT JOIN analytics_daily a ON a.org_id = o.id
   GROUP BY o.id, o.created_at
   HAVING coalesce(max(a.day) + 1, least((o.created_at AT TIME ZONE 'UTC')::date, today - recent)) < today
   LIMIT n $$;
GRANT EXECUTE ON FUNCTION analytics_due_orgs(date, integer, integer) TO community_app;
