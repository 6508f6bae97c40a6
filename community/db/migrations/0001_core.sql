-- Core identity and tenancy: users, organizations, memberships, and the activity log.
-- Times are timestamptz (the seed's TIMESTAMP loses the zone); ids are UUIDs.

-- The role the server works as: not superuser, no BYPASSRLS, owns nothing, so row-level
-- security applies to every query it runs. Connections switch to it once (SET ROLE).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'community_app') THEN
        CREATE ROLE community_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;
GRANT community_app TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO community_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO community_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO community_app;

-- Current tenant and user, set per transaction by the server (set_config(..., true)).
CREATE FUNCTION app_org_id() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$;
CREATE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email varchar(320) NOT NULL,
    display_name varchar(100) NOT NULL,
    avatar_url varchar(500),
    auth_subject varchar(255) UNIQUE,
    password_hash text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE organizations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name varchar(255) NOT NULL,
    slug varchar(100) NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$'),
    description text,
    logo_url varchar(500),
    custom_domain varchar(255) UNIQUE,
    branding jsonb NOT NULL DEFAULT '{}',
    subscription_tier varchar(50) NOT NULL DEFAULT 'community',
    member_limit integer DEFAULT 50 CHECK (member_limit IS NULL OR member_limit >= 0),
    current_member_count integer NOT NULL DEFAULT 0 CHECK (current_member_count >= 0),
    stripe_customer_id varchar(255),
    stripe_subscription_id varchar(255),
    is_public boolean NOT NULL DEFAULT false,
    settings jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role varchar(50) NOT NULL DEFAULT 'member'
        CHECK (role IN ('owner', 'admin', 'moderator', 'member', 'guest')),
    status varchar(50) NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'pending', 'suspended', 'removed')),
    permissions jsonb NOT NULL DEFAULT '{}',
    joined_at timestamptz NOT NULL DEFAULT now(),
    invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
    invitation_token varchar(255),
    invitation_expires_at timestamptz,
    UNIQUE (org_id, user_id),
    UNIQUE (org_id, id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- Per-org event counter: the row lock taken by the writing transaction makes `seq`
-- gapless in commit order within an org, which resume relies on.
CREATE TABLE org_event_counters (
    org_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    last_seq bigint NOT NULL DEFAULT 0
);

CREATE TABLE activity (
    id bigserial PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    seq bigint NOT NULL,
    channel varchar(200) NOT NULL,
    type varchar(100) NOT NULL,
    payload jsonb NOT NULL,
    actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, seq),
    UNIQUE (org_id, id)
);
CREATE INDEX activity_org_created_idx ON activity (org_id, created_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON users, organizations, memberships, org_event_counters, activity
    TO community_app;
GRANT USAGE, SELECT ON SEQUENCE activity_id_seq TO community_app;

-- Row-level security: the backstop behind every query's own org filter.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
ALTER TABLE org_event_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_event_counters FORCE ROW LEVEL SECURITY;
ALTER TABLE activity ENABLE ROW LEVEL SECURITY;
ALTER TABLE activity FORCE ROW LEVEL SECURITY;

-- A user sees their own memberships in every org; otherwise only the current org's.
CREATE POLICY memberships_tenant ON memberships
    USING (org_id = app_org_id() OR user_id = app_user_id())
    WITH CHECK (org_id = app_org_id());

-- Which orgs the current user belongs to, read without recursing through the policy above.
CREATE FUNCTION app_user_org_ids() RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public AS
$$ SELECT org_id FROM memberships WHERE user_id = app_user_id() AND status <> 'removed' $$;

CREATE POLICY organizations_tenant ON organizations
    USING (id = app_org_id() OR id IN (SELECT app_user_org_ids()))
    WITH CHECK (id = app_org_id());
CREATE POLICY org_event_counters_tenant ON org_event_counters
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY activity_tenant ON activity
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());

-- `{org}` in a path is a slug or an id; resolving it happens before any tenant context
-- exists, so it is the one deliberate window through RLS: it answers only the id.
CREATE FUNCTION resolve_org(ref text) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public AS
$$ SELECT id FROM organizations
   WHERE slug = lower(ref)
      OR (ref ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' AND id = ref::uuid) $$;
GRANT EXECUTE ON FUNCTION app_org_id(), app_user_id(), app_user_org_ids(), resolve_org(text) TO community_app;
