-- Analytics: who downloaded on which UTC day ("active = ... or downloaded"), written by the
-- download counter in the same batch as `resource_downloads_daily` (which holds the counts).
-- Not tied to the resource: deleting a resource keeps its downloaders' activity.
CREATE TABLE resource_downloaders_daily (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day date NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, day, user_id)
);

-- The rollup sums an org's downloads per day.
CREATE INDEX IF NOT EXISTS resource_downloads_daily_day_idx ON resource_downloads_daily (org_id, day);

GRANT SELECT, INSERT, UPDATE, DELETE ON resource_downloaders_daily TO community_app;
ALTER TABLE resource_downloaders_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE resource_downloaders_daily FORCE ROW LEVEL SECURITY;
CREATE POLICY resource_downloaders_daily_tenant ON resource_downloaders_daily
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
