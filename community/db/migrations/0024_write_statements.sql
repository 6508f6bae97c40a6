-- A post create and a message send as ONE statement each (issue 12: at most 4 round trips on the
-- request path, from 13). The service reads what its checks need in one statement (the topic or
-- conversation, the parent, mentions, the author, the database's clock), decides in Python (the
-- rules and the event's view stay there, one source of truth), then calls one of these functions,
-- which runs the old transaction's writes in its order under the same locks. A function first
-- verifies that what the checks read still holds and answers 'stale' when it does not (nothing
-- written; the service reads and decides again), and counts the rate-limit hit before any write
-- ('rate_limited': nothing written, no hit counted). Run on their own, each is its own transaction.

-- The topic's reply count and last reply, exact once the post change is made (the topic row locked).
CREATE FUNCTION refresh_topic_replies(p_org uuid, p_topic uuid, p_delta integer)
RETURNS timestamptz LANGUAGE sql AS $$
    WITH latest AS (
        SELECT p.created_at, p.author_id FROM posts p
        WHERE p.org_id = p_org AND p.topic_id = p_topic AND p.deleted_at IS NULL
        ORDER BY p.created_at DESC, p.id DESC LIMIT 1)
    UPDATE topics t SET reply_count = t.reply_count + p_delta,
        last_reply_at = (SELECT created_at FROM latest), last_reply_by = (SELECT author_id FROM latest),
        last_activity_at = greatest(t.created_at, (SELECT created_at FROM latest))
    WHERE t.org_id = p_org AND t.id = p_topic
    RETURNING t.last_activity_at
$$;

-- The activity log's append: the counter row's lock is held to commit, so seq is gapless in
-- commit order per org.
CREATE FUNCTION append_activity(p_org uuid, p_channel text, p_type text, p_payload jsonb, p_actor uuid)
RETURNS TABLE (org_id uuid, seq bigint, channel varchar, type varchar, payload jsonb, actor_id uuid,
               created_at timestamptz)
LANGUAGE sql AS $$
    WITH next AS (
        INSERT INTO org_event_counters AS c (org_id, last_seq) VALUES (p_org, 1)
        ON CONFLICT (org_id) DO UPDATE SET last_seq = c.last_seq + 1
        RETURNING c.last_seq
    )
    INSERT INTO activity AS a (org_id, seq, channel, type, payload, actor_id)
    SELECT p_org, next.last_seq, p_channel, p_type, p_payload, p_actor FROM next
    RETURNING a.org_id, a.seq, a.channel, a.type, a.payload, a.actor_id, a.created_at
$$;

-- p_forum, p_locked, p_view_rank: what the checks saw (the topic's forum, whether it is locked,
-- the forum's visibility); p_limit NULL: no posting limit for this author.
CREATE FUNCTION create_post(
    p_org uuid, p_user uuid, p_post uuid, p_topic uuid, p_parent uuid, p_content text, p_html text,
    p_created_at timestamptz, p_forum uuid, p_locked boolean, p_view_rank integer, p_mentions uuid[],
    p_limit_key bytea, p_limit integer, p_window double precision, p_channel text, p_type text,
    p_payload jsonb)
RETURNS TABLE (outcome text, retry_after double precision, event_seq bigint, event_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    wait double precision;
BEGIN
    PERFORM set_config('app.org_id', p_org::text, true), set_config('app.user_id', p_user::text, true);
    PERFORM 1 FROM topics t JOIN forums f ON f.org_id = t.org_id AND f.id = t.forum_id
    WHERE t.org_id = p_org AND t.id = p_topic AND t.forum_id = p_forum AND t.is_locked = p_locked
      AND f.view_rank = p_view_rank
    FOR UPDATE OF t;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'stale'::text, NULL::double precision, NULL::bigint, NULL::timestamptz;
        RETURN;
    END IF;
    IF p_limit IS NOT NULL THEN
        wait := rate_limit_hit(p_limit_key, p_limit, p_window, true);
        IF wait IS NOT NULL THEN
            RETURN QUERY SELECT 'rate_limited'::text, wait, NULL::bigint, NULL::timestamptz;
            RETURN;
        END IF;
    END IF;
    INSERT INTO posts (id, org_id, topic_id, parent_id, content, html, author_id, created_at)
    VALUES (p_post, p_org, p_topic, p_parent, p_content, p_html, p_user, p_created_at);
    PERFORM refresh_topic_replies(p_org, p_topic, 1);
    UPDATE forums SET post_count = post_count + 1, last_post_at = greatest(last_post_at, p_created_at)
    WHERE org_id = p_org AND id = p_forum;
    INSERT INTO post_mentions (org_id, post_id, user_id)
    SELECT p_org, p_post, unnest(p_mentions) ON CONFLICT DO NOTHING;
    RETURN QUERY SELECT 'created'::text, NULL::double precision, a.seq, a.created_at
    FROM append_activity(p_org, p_channel, p_type, p_payload, p_user) a;
END
$$;

-- 'duplicate': a message with this client_id by this sender is already there (a concurrent
-- retry won): nothing else written.
CREATE FUNCTION send_message(
    p_org uuid, p_user uuid, p_message uuid, p_conversation uuid, p_client_id text, p_content text,
    p_html text, p_created_at timestamptz, p_limit_key bytea, p_limit integer, p_window double precision,
    p_channel text, p_type text, p_payload jsonb)
RETURNS TABLE (outcome text, retry_after double precision, event_seq bigint, event_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    wait double precision;
    message_seq bigint;
BEGIN
    PERFORM set_config('app.org_id', p_org::text, true), set_config('app.user_id', p_user::text, true);
    PERFORM 1 FROM conversation_participants p
    WHERE p.org_id = p_org AND p.conversation_id = p_conversation AND p.user_id = p_user;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'stale'::text, NULL::double precision, NULL::bigint, NULL::timestamptz;
        RETURN;
    END IF;
    wait := rate_limit_hit(p_limit_key, p_limit, p_window, true);
    IF wait IS NOT NULL THEN
        RETURN QUERY SELECT 'rate_limited'::text, wait, NULL::bigint, NULL::timestamptz;
        RETURN;
    END IF;
    INSERT INTO messages AS m (id, org_id, conversation_id, sender_id, client_id, content, html, created_at)
    VALUES (p_message, p_org, p_conversation, p_user, p_client_id, p_content, p_html, p_created_at)
    ON CONFLICT (org_id, conversation_id, sender_id, client_id) DO NOTHING
    RETURNING m.seq INTO message_seq;
    IF message_seq IS NULL THEN
        RETURN QUERY SELECT 'duplicate'::text, NULL::double precision, NULL::bigint, NULL::timestamptz;
        RETURN;
    END IF;
    UPDATE conversations SET last_activity_at = p_created_at
    WHERE org_id = p_org AND id = p_conversation AND last_activity_at < p_created_at;
    -- The sender has read their own message.
    UPDATE conversation_participants SET last_read_seq = message_seq, last_read_message_id = p_message
    WHERE org_id = p_org AND conversation_id = p_conversation AND user_id = p_user AND last_read_seq < message_seq;
    RETURN QUERY SELECT 'created'::text, NULL::double precision, a.seq, a.created_at
    FROM append_activity(p_org, p_channel, p_type, p_payload, p_user) a;
END
$$;

GRANT EXECUTE ON FUNCTION refresh_topic_replies(uuid, uuid, integer), append_activity(uuid, text, text, jsonb, uuid),
    create_post(uuid, uuid, uuid, uuid, uuid, text, text, timestamptz, uuid, boolean, integer, uuid[], bytea, integer,
                double precision, text, text, jsonb),
    send_message(uuid, uuid, uuid, uuid, text, text, text, timestamptz, bytea, integer, double precision, text, text,
                 jsonb)
    TO community_app;
