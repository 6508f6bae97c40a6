-- Who is asking, on every authenticated request: request_context, resolve_org and session_revoked
-- were SQL functions with SECURITY DEFINER and SET search_path, which PostgreSQL (before 18) can
-- neither inline nor keep a plan for: their bodies were planned again on every call, ~0.8 ms of the
-- topic page's ~1.2 ms in EXPLAIN ANALYZE. The same bodies in PL/pgSQL keep their plans per
-- connection (issue 12). Same signatures, results and grants.

CREATE OR REPLACE FUNCTION resolve_org(ref text) RETURNS uuid LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    RETURN (SELECT id FROM organizations
            WHERE slug = lower(ref)
               OR (ref ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' AND id = ref::uuid));
END
$$;

CREATE OR REPLACE FUNCTION session_revoked(p_user uuid, p_subject text, p_token_hash bytea, p_generation integer,
                                           p_issued_at timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM revoked_tokens WHERE token_hash = p_token_hash)
        OR EXISTS (SELECT 1 FROM users
                   WHERE ((p_user IS NOT NULL AND id = p_user) OR (p_subject IS NOT NULL AND auth_subject = p_subject))
                     AND (session_generation <> p_generation
                          OR (p_issued_at IS NOT NULL AND tokens_valid_after IS NOT NULL
                              AND p_issued_at < tokens_valid_after)));
END
$$;

CREATE OR REPLACE FUNCTION request_context(p_user uuid, p_subject text, p_org text)
RETURNS TABLE (
    user_id uuid, email varchar, display_name varchar,
    org_id uuid, name varchar, slug varchar, description text, logo_url varchar, custom_domain varchar,
    branding jsonb, subscription_tier varchar, member_limit integer, current_member_count integer,
    stripe_customer_id varchar, stripe_subscription_id varchar, is_public boolean, settings jsonb,
    created_at timestamptz, role varchar, status varchar, permissions jsonb, org_exists boolean
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH u AS (
        SELECT id, email, display_name FROM users
        WHERE (p_user IS NOT NULL AND id = p_user) OR (p_subject IS NOT NULL AND auth_subject = p_subject)
        LIMIT 1
    ), o AS (
        SELECT * FROM organizations WHERE p_org IS NOT NULL AND id = resolve_org(p_org)
    ), m AS (
        SELECT m.role, m.status, m.permissions FROM memberships m, u, o
        WHERE m.org_id = o.id AND m.user_id = u.id AND m.status <> 'removed'
    )
    SELECT u.id, u.email, u.display_name,
           o.id, o.name, o.slug, o.description, o.logo_url, o.custom_domain, o.branding, o.subscription_tier,
           o.member_limit, o.current_member_count, o.stripe_customer_id, o.stripe_subscription_id, o.is_public,
           o.settings, o.created_at, m.role, m.status, m.permissions, o.id IS NOT NULL
    FROM (SELECT 1) one
    LEFT JOIN u ON true
    LEFT JOIN m ON true
    LEFT JOIN o ON m.role IS NOT NULL OR o.is_public;
END
$$;
