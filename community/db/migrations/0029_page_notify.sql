-- Every node caches read pages per viewer (community/page_cache.py) and must hear every change
-- that a page shows, from whichever node wrote it. Activity heads (0004) cover what writes
-- activity; these triggers cover every row a cached page reads, activity or not: roles and
-- suspensions, forum permissions and moderators, org settings, profiles, sign-outs, read
-- positions, reactions. Payload on `community_pages`: 'o:<org>' (something in that org),
-- 'u:<user>' (something only that user's own pages show), '*' (anything, anywhere: a name or an
-- avatar appears on other people's pages in every org). NOTIFY sends once per distinct payload
-- per transaction, after commit, so a bulk change costs one message per org.
--
-- One function; its argument names the scope column: 'org_id' (org tables: a row never moves to
-- another org, composite keys), 'user_id', 'id' (organizations), or 'account' (users). PL/pgSQL
-- prepares each branch only when it runs, so a table without org_id never meets that branch.
CREATE FUNCTION notify_page_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed record;
    payload text;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    IF TG_ARGV[0] = 'org_id' THEN
        payload := 'o:' || changed.org_id;
    ELSIF TG_ARGV[0] = 'user_id' THEN
        payload := 'u:' || changed.user_id;
    ELSIF TG_ARGV[0] = 'id' THEN
        payload := 'o:' || changed.id;
    ELSIF TG_OP = 'UPDATE' AND NEW.display_name IS NOT DISTINCT FROM OLD.display_name
            AND NEW.avatar_url IS NOT DISTINCT FROM OLD.avatar_url THEN
        payload := 'u:' || changed.id;  -- a session, a password: only their own pages
    ELSE
        payload := '*';
    END IF;
    PERFORM pg_notify('community_pages', payload);
    RETURN NULL;
END
$$;

CREATE TRIGGER memberships_page_notify AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION notify_page_change('org_id');
CREATE TRIGGER forums_page_notify AFTER INSERT OR UPDATE OR DELETE ON forums
    FOR EACH ROW EXECUTE FUNCTION notify_page_change('org_id');
CREATE TRIGGER moderator_assignments_page_notify AFTER INSERT OR UPDATE OR DELETE ON moderator_assignments
    FOR EACH ROW EXECUTE FUNCTION notify_page_change('org_id');
CREATE TRIGGER topics_page_notify AFTER INSERT OR UPDATE OR DELETE ON topics
    FOR EACH ROW EXECUTE FUNCTION notify_page_change('org_id');
CREATE TRIGGER posts_page_notify AFTER INSERT OR UPDATE OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION notify_page_change('org_id');
CREATE TRIGGER post_reactions_page_notify AFTER INSERT OR UPDATE OR DELETE ON post_reactions
    FOR EACH ROW EXECUTE FUNCTION notify_page_change('org_id');
CREATE TRIGGER topic_reads_page_notify AFTER INSERT OR UPDATE OR DELETE ON topic_reads
    FOR EACH ROW EXECUTE FUNCTION notify_page_change('user_id');
CREATE TRIGGER org_visits_page_notify AFTER INSERT OR UPDATE OR DELETE ON org_visits
    FOR EACH ROW EXECUTE FUNCTION notify_page_change('user_id');
CREATE TRIGGER revoked_tokens_page_notify AFTER INSERT OR UPDATE OR DELETE ON revoked_tokens
    FOR EACH ROW EXECUTE FUNCTION notify_page_change('user_id');
CREATE TRIGGER organizations_page_notify AFTER UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION notify_page_change('id');
CREATE TRIGGER users_page_notify AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_page_change('account');
