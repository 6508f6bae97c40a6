-- Custom domains. `organizations.custom_domain` (UNIQUE since 0001) now holds only a VERIFIED
-- domain: it is what routes a Host, the websocket Origin check and CORS to the org. The domain an
-- org has asked for, its TXT challenge and the last check live in `org_domains` (one per org).
-- A pending name may be asked for by several orgs (nobody can squat a domain they do not
-- control); the first to prove it holds it, and then nobody else can ask for it (409).

CREATE TABLE org_domains (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL UNIQUE REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(253) NOT NULL CHECK (name = lower(name)),
    token varchar(64) NOT NULL,
    verified_at timestamptz,
    checked_at timestamptz,
    check_result varchar(20) CHECK (check_result IN ('verified', 'missing', 'mismatch', 'unreachable')),
    check_detail varchar(500),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX org_domains_verified_idx ON org_domains (name) WHERE verified_at IS NOT NULL;

-- Before this, custom_domain was set by PATCH without proof: such names become pending requests.
INSERT INTO org_domains (org_id, name, token)
SELECT id, lower(custom_domain), encode(sha256((gen_random_uuid()::text || id::text)::bytea), 'hex')
FROM organizations WHERE custom_domain IS NOT NULL;
UPDATE organizations SET custom_domain = NULL WHERE custom_domain IS NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON org_domains TO community_app;
ALTER TABLE org_domains ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_domains FORCE ROW LEVEL SECURITY;
CREATE POLICY org_domains_tenant ON org_domains USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());

-- Windows through RLS, as narrow as resolve_org: which org a verified domain is (what a browser
-- on that Host may know before signing in: the same as a public org card), and whether a name is
-- verified by an org other than `p_org`.
CREATE FUNCTION org_for_domain(p_host text)
RETURNS TABLE (id uuid, slug varchar, name varchar, logo_url varchar, branding jsonb, custom_domain varchar)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT id, slug, name, logo_url, branding, custom_domain FROM organizations WHERE custom_domain = lower(p_host)
$$;
CREATE FUNCTION domain_verified_elsewhere(p_name text, p_org uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT EXISTS (SELECT 1 FROM organizations WHERE custom_domain = lower(p_name) AND id <> p_org)
$$;
GRANT EXECUTE ON FUNCTION org_for_domain(text), domain_verified_elsewhere(text, uuid) TO community_app;
