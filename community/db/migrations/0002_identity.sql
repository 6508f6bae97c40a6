-- Invitations, moderator assignments, and the narrow lookups that run before a tenant is known.

CREATE TABLE invitations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email varchar(320) NOT NULL,
    role varchar(50) NOT NULL CHECK (role IN ('admin', 'moderator', 'member', 'guest')),
    token_hash bytea NOT NULL UNIQUE,
    invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    revoked_at timestamptz,
    UNIQUE (org_id, id)
);
CREATE INDEX invitations_org_created_idx ON invitations (org_id, created_at DESC, id DESC);

-- "Moderation in assigned areas": a moderator with rows here moderates only those forums
-- (forum_id gets its foreign key when forums exist); with none, the whole organization.
CREATE TABLE moderator_assignments (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    forum_id uuid NOT NULL,
    assigned_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id, forum_id),
    FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);

GRANT SELECT, INSERT, UPDATE, DELETE ON invitations, moderator_assignments TO community_app;

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
ALTER TABLE moderator_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE moderator_assignments FORCE ROW LEVEL SECURITY;
CREATE POLICY invitations_tenant ON invitations
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY moderator_assignments_tenant ON moderator_assignments
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());

-- The token is the credential: its hash names the org, nothing else, before a context exists.
CREATE FUNCTION invitation_org(hash bytea) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public AS
$$ SELECT org_id FROM invitations WHERE token_hash = hash $$;

CREATE FUNCTION org_slug_taken(candidate text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public AS
$$ SELECT EXISTS (SELECT 1 FROM organizations WHERE slug = candidate) $$;

-- Public orgs are readable by anyone; the flag is the only thing read here.
CREATE FUNCTION org_is_public(org uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public AS
$$ SELECT coalesce((SELECT is_public FROM organizations WHERE id = org), false) $$;

GRANT EXECUTE ON FUNCTION invitation_org(bytea), org_slug_taken(text), org_is_public(uuid) TO community_app;

CREATE POLICY organizations_public ON organizations FOR SELECT USING (is_public);
