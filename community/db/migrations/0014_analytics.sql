-- Analytics: one row per org and UTC day, written by the analytics actor once the day is over
-- (idempotent: ON CONFLICT rewrites the day). The sets behind distinct counts and medians are
-- kept, so a week, a month or a whole range aggregates exactly: active members are the distinct
-- union of `active_user_ids`, the median first reply is over every `first_reply_minutes`.
CREATE TABLE analytics_daily (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day date NOT NULL,
    members integer NOT NULL,
    new_members integer NOT NULL,
    posts integer NOT NULL,
    topics integer NOT NULL,
    messages integer NOT NULL,
    solved_topics integer NOT NULL,
    event_registrations integer NOT NULL,
    event_attendance integer NOT NULL,
    resource_downloads integer NOT NULL,
    active_user_ids uuid[] NOT NULL,
    first_reply_minutes double precision[] NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, day)
);

-- The per-day scans of the rollup read these by (org, time).
CREATE INDEX IF NOT EXISTS topics_created_idx ON topics (org_id, created_at);
CREATE INDEX IF NOT EXISTS messages_created_idx ON messages (org_id, created_at);
CREATE INDEX IF NOT EXISTS message_reactions_created_idx ON message_reactions (org_id, created_at);
CREATE INDEX IF NOT EXISTS memberships_joined_idx ON memberships (org_id, joined_at);
CREATE INDEX IF NOT EXISTS activity_solution_idx ON activity (org_id, created_at) WHERE type = 'post_solution_marked';

GRANT SELECT, INSERT, UPDATE, DELETE ON analytics_daily TO community_app;
ALTER TABLE analytics_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_daily FORCE ROW LEVEL SECURITY;
CREATE POLICY analytics_daily_tenant ON analytics_daily
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());

-- The actor starts outside any tenant: each org with the first UTC day it still has to roll up
-- (the day after its last rollup, or the day it was created), when that day is before `today`.
CREATE FUNCTION analytics_due_orgs(today date, n integer) RETURNS TABLE (org_id uuid, next_day date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$ SELECT o.id, coalesce(max(a.day) + 1, (o.created_at AT TIME ZONE 'UTC')::date)
   FROM organizations o LEFT JOIN analytics_daily a ON a.org_id = o.id
   GROUP BY o.id, o.created_at
   HAVING coalesce(max(a.day) + 1, (o.created_at AT TIME ZONE 'UTC')::date) < today
   LIMIT n $$;
GRANT EXECUTE ON FUNCTION analytics_due_orgs(date, integer) TO community_app;
