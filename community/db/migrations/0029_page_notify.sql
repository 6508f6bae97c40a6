-- Every node caches read pages per viewer (community/page_cache.py) and must hear every change
-- that a page shows, from whichever node wrote it. Activity heads (0004) cover what writes
-- activity; these triggers cover every row a cached page reads, activity or not: roles and
-- suspensions, forum permissions and moderators, org settings, profiles, sign-outs, read
-- positions, reactions. Payload on `community_pages`: 'o:<org>' (something in that org),
-- 'u:<user>' (something only that user's own pages show), '*' (anything, anywhere: a name or an
-- avatar appears on other people's pages in every org). NOTIFY sends once per distinct payload
-- per transaction, after commit, so a bulk change costs one message per org.

CREATE FUNCTION notify_page_org() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Org tables never move a row to another org (composite keys), so one side is enough.
    PERFORM pg_notify('community_pages', 'o:' || (CASE WHEN TG_OP = 'DELETE' THEN OLD.org_id ELSE NEW.org_id END));
    RETURN NULL;
END
$$;

CREATE FUNCTION notify_page_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('community_pages', 'u:' || (CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END));
    RETURN NULL;
END
$$;

CREATE FUNCTION notify_page_organization() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('community_pages', 'o:' || (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END));
    RETURN NULL;
END
$$;

CREATE FUNCTION notify_page_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.display_name IS NOT DISTINCT FROM OLD.display_name
            AND NEW.avatar_url IS NOT DISTINCT FROM OLD.avatar_url THEN
        PERFORM pg_notify('community_pages', 'u:' || NEW.id);  -- a session, a password: their own pages
    ELSE
        PERFORM pg_notify('community_pages', '*');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER memberships_page_notify AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION notify_page_org();
CREATE TRIGGER forums_page_notify AFTER INSERT OR UPDATE OR DELETE ON forums
    FOR EACH ROW EXECUTE FUNCTION notify_page_org();
CREATE TRIGGER moderator_assignments_page_notify AFTER INSERT OR UPDATE OR DELETE ON moderator_assignments
    FOR EACH ROW EXECUTE FUNCTION notify_page_org();
CREATE TRIGGER topics_page_notify AFTER INSERT OR UPDATE OR DELETE ON topics
    FOR EACH ROW EXECUTE FUNCTION notify_page_org();
CREATE TRIGGER posts_page_notify AFTER INSERT OR UPDATE OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION notify_page_org();
CREATE TRIGGER post_reactions_page_notify AFTER INSERT OR UPDATE OR DELETE ON post_reactions
    FOR EACH ROW EXECUTE FUNCTION notify_page_org();
CREATE TRIGGER topic_reads_page_notify AFTER INSERT OR UPDATE OR DELETE ON topic_reads
    FOR EACH ROW EXECUTE FUNCTION notify_page_user();
CREATE TRIGGER org_visits_page_notify AFTER INSERT OR UPDATE OR DELETE ON org_visits
    FOR EACH ROW EXECUTE FUNCTION notify_page_user();
CREATE TRIGGER revoked_tokens_page_notify AFTER INSERT OR UPDATE OR DELETE ON revoked_tokens
    FOR EACH ROW EXECUTE FUNCTION notify_page_user();
CREATE TRIGGER organizations_page_notify AFTER UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION notify_page_organization();
CREATE TRIGGER users_page_notify AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_page_account();
