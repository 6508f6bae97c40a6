-- The integration hub: outgoing webhooks, Slack and Discord, delivered durably.
--
-- A delivery is a row written by a trigger on the activity log, in the transaction of the
-- activity that causes it: nothing is lost if the process dies right after commit. The
-- deliverer claims due rows with a lease (several nodes share the queue; per-org concurrency is
-- bounded in the claim itself), sends, and records the outcome; a failure is retried with
-- exponential backoff and jitter until the retry window closes.

CREATE TABLE integrations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind varchar(20) NOT NULL CHECK (kind IN ('webhook', 'slack', 'discord')),
    name varchar(100) NOT NULL,
    url text NOT NULL,
    events text[] NOT NULL,
    -- An admin may scope an integration to one forum (and its sub-forums): then it also carries
    -- that forum's content when members could not read it; unscoped, only what members can read.
    forum_id uuid,
    enabled boolean NOT NULL DEFAULT true,
    -- Standard Webhooks signing key (whsec_...); after a rotation the previous one still signs
    -- beside the new one until it expires, so receivers can switch without losing a delivery.
    secret text,
    previous_secret text,
    previous_secret_expires_at timestamptz,
    failing_since timestamptz,
    disabled_reason varchar(200),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, forum_id) REFERENCES forums (org_id, id) ON DELETE CASCADE
);
CREATE INDEX integrations_org_idx ON integrations (org_id) WHERE enabled;

CREATE TABLE integration_deliveries (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    integration_id uuid NOT NULL,
    event_type varchar(40) NOT NULL,
    activity_seq bigint,
    payload jsonb NOT NULL,
    status varchar(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_until timestamptz,
    last_attempt_at timestamptz,
    response_status integer,
    latency_ms integer,
    response_excerpt varchar(1024),
    error varchar(300),
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    redelivered_at timestamptz,  -- a redelivery opens a new retry window
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, integration_id) REFERENCES integrations (org_id, id) ON DELETE CASCADE
);
CREATE INDEX integration_deliveries_due_idx ON integration_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX integration_deliveries_log_idx ON integration_deliveries (org_id, integration_id, created_at DESC, id DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON integrations, integration_deliveries TO community_app;
ALTER TABLE integrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE integrations FORCE ROW LEVEL SECURITY;
ALTER TABLE integration_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE integration_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY integrations_tenant ON integrations USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY integration_deliveries_tenant ON integration_deliveries
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());

-- The activity types an integration can follow, by the names integrations use.
CREATE FUNCTION integration_event(activity_type text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE activity_type WHEN 'topic_created' THEN 'topic_created' WHEN 'post_created' THEN 'post_created'
              WHEN 'post_solution_marked' THEN 'solution_marked' WHEN 'member_joined' THEN 'member_joined'
              WHEN 'event_created' THEN 'event_created' WHEN 'resource_created' THEN 'resource_created' END $$;

-- Runs as the writer, in its org context. What a member could not read (a forum above members'
-- rank, an event or resource for moderators+) goes only to integrations scoped to its forum.
CREATE FUNCTION integrations_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted text := integration_event(NEW.type);
    forum uuid;
    forum_path uuid[];
    rank integer := 0;
BEGIN
    IF wanted IS NULL OR NOT EXISTS (SELECT 1 FROM integrations i
                                   WHERE i.org_id = NEW.org_id AND i.enabled AND wanted = ANY (i.events)) THEN
        RETURN NULL;
    END IF;
    forum := coalesce(nullif(NEW.payload ->> 'forum_id', '')::uuid,
                      nullif(NEW.payload -> 'topic' ->> 'forum_id', '')::uuid,
                      (SELECT t.forum_id FROM topics t WHERE t.org_id = NEW.org_id
                          AND t.id = nullif(NEW.payload -> 'post' ->> 'topic_id', '')::uuid));
    IF forum IS NOT NULL THEN
        SELECT f.view_rank, f.path INTO rank, forum_path FROM forums f WHERE f.org_id = NEW.org_id AND f.id = forum;
    ELSIF NEW.payload ? 'min_rank' THEN
        rank := (NEW.payload ->> 'min_rank')::integer;
    ELSIF NEW.payload -> 'resource' ? 'required_role' THEN
        rank := role_rank(NEW.payload -> 'resource' ->> 'required_role');
    END IF;
    INSERT INTO integration_deliveries (org_id, integration_id, event_type, activity_seq, payload)
    SELECT NEW.org_id, i.id, wanted, NEW.seq, NEW.payload FROM integrations i
    WHERE i.org_id = NEW.org_id AND i.enabled AND wanted = ANY (i.events)
      AND ((i.forum_id IS NULL AND coalesce(rank, 0) <= 1)
           OR (i.forum_id IS NOT NULL AND forum_path IS NOT NULL AND i.forum_id = ANY (forum_path)));
    RETURN NULL;
END $$;
CREATE TRIGGER activity_integrations AFTER INSERT ON activity FOR EACH ROW EXECUTE FUNCTION integrations_enqueue();

-- The deliverer's one window through RLS: claim due deliveries across orgs (ids only), at most
-- `per_org` in flight per org on every node together, leased so a dead node's claims expire.
CREATE FUNCTION integration_claim(n integer, per_org integer, lease interval)
RETURNS TABLE (org_id uuid, id uuid) LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
WITH locked AS (
    SELECT d.org_id, d.id, d.next_attempt_at FROM integration_deliveries d
    WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND (d.claimed_until IS NULL OR d.claimed_until < now())
    ORDER BY d.next_attempt_at LIMIT n * 4 FOR UPDATE SKIP LOCKED
), inflight AS (
    SELECT f.org_id, count(*) AS c FROM integration_deliveries f
    WHERE f.status = 'pending' AND f.claimed_until >= now() GROUP BY f.org_id
), ranked AS (
    SELECT l.org_id, l.id, l.next_attempt_at,
           row_number() OVER (PARTITION BY l.org_id ORDER BY l.next_attempt_at, l.id) + coalesce(i.c, 0) AS slot
    FROM locked l LEFT JOIN inflight i ON i.org_id = l.org_id
), chosen AS (
    SELECT r.org_id, r.id FROM ranked r WHERE r.slot <= per_org ORDER BY r.next_attempt_at LIMIT n
)
UPDATE integration_deliveries d SET claimed_until = now() + lease, attempts = d.attempts + 1, last_attempt_at = now()
FROM chosen c WHERE d.org_id = c.org_id AND d.id = c.id
RETURNING d.org_id, d.id
$$;
GRANT EXECUTE ON FUNCTION integration_claim(integer, integer, interval), integration_event(text) TO community_app;

-- Owners are told when an integration that kept failing is turned off.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('mention', 'reply', 'watched_forum', 'watched_topic', 'announcement', 'message',
                    'event_cancelled', 'event_updated', 'event_promoted', 'event_reminder', 'billing_past_due',
                    'integration_disabled'));
