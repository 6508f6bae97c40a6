-- Who is calling, and what they are in `{org}`: one statement per request instead of two
-- transactions. It is a window through RLS as narrow as resolve_org: the organization's row
-- only when the caller holds a live membership or the organization is public.
CREATE FUNCTION request_context(p_user uuid, p_subject text, p_org text)
RETURNS TABLE (
    user_id uuid, email varchar, display_name varchar,
    org_id uuid, name varchar, slug varchar, description text, logo_url varchar, custom_domain varchar,
    branding jsonb, subscription_tier varchar, member_limit integer, current_member_count integer,
    stripe_customer_id varchar, stripe_subscription_id varchar, is_public boolean, settings jsonb,
    created_at timestamptz, role varchar, status varchar, permissions jsonb, org_exists boolean
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
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
    LEFT JOIN o ON m.role IS NOT NULL OR o.is_public
$$;
GRANT EXECUTE ON FUNCTION request_context(uuid, text, text) TO community_app;
