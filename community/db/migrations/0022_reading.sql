-- The public directory: organizations that chose to be public, readable by anyone. Like
-- resolve_org, a deliberate window through RLS that answers only the directory's columns.
CREATE FUNCTION public_organizations(p_after_name text, p_after_id uuid, p_limit integer)
RETURNS TABLE (id uuid, slug varchar, name varchar, description text, logo_url varchar,
               current_member_count integer, created_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT id, slug, name, description, logo_url, current_member_count, created_at FROM organizations
    WHERE is_public AND (p_after_name IS NULL OR (lower(name), id) > (p_after_name, p_after_id))
    ORDER BY lower(name), id
    LIMIT p_limit
$$;
GRANT EXECUTE ON FUNCTION public_organizations(text, uuid, integer) TO community_app;
CREATE INDEX organizations_public_name_idx ON organizations (lower(name), id) WHERE is_public;

-- Read positions: the last post a member read in a topic (in reading order: created_at, id).
-- In the database so it follows the member across devices and nodes; it only moves forward.
CREATE TABLE topic_reads (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    topic_id uuid NOT NULL,
    last_read_post_id uuid NOT NULL,
    last_read_created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id, topic_id),
    FOREIGN KEY (org_id, topic_id) REFERENCES topics (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, last_read_post_id) REFERENCES posts (org_id, id) ON DELETE CASCADE
);

-- Visits per member and org: `previous_visit_at` is where the previous visit ended
-- ("new since your last visit"); a visit starts after 30 minutes away.
CREATE TABLE org_visits (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    previous_visit_at timestamptz,
    PRIMARY KEY (org_id, user_id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON topic_reads, org_visits TO community_app;
ALTER TABLE topic_reads ENABLE ROW LEVEL SECURITY;
ALTER TABLE topic_reads FORCE ROW LEVEL SECURITY;
ALTER TABLE org_visits ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_visits FORCE ROW LEVEL SECURITY;
CREATE POLICY topic_reads_tenant ON topic_reads USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY org_visits_tenant ON org_visits USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
