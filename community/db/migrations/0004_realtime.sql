-- Realtime: the cluster bus trigger, presence, notifications and watches.

-- Every committed activity row is announced to every node (delivered at commit, never for a
-- rolled-back row). Payload "org:seq:application_name" stays tiny; receivers read the row from
-- the log, and the writing node (its connections are named after it) skips its own.
CREATE FUNCTION activity_notify() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
    PERFORM pg_notify('community_activity',
                      NEW.org_id::text || ':' || NEW.seq::text || ':' || current_setting('application_name'));
    RETURN NULL;
END $$;
CREATE TRIGGER activity_notify AFTER INSERT ON activity FOR EACH ROW EXECUTE FUNCTION activity_notify();

-- The head of each org's log, for catch-up sweeps that run outside any one tenant's context.
-- It answers only numbers for the orgs asked about.
CREATE FUNCTION org_event_heads(orgs uuid[]) RETURNS TABLE (org_id uuid, last_seq bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$ SELECT c.org_id, c.last_seq FROM org_event_counters c WHERE c.org_id = ANY(orgs) $$;

-- Presence: one row per (node, org, user) with at least one open socket; nodes refresh
-- `seen_at`, so a crashed node's rows go stale instead of keeping people online forever.
CREATE TABLE ws_presence (
    node_id uuid NOT NULL,
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    connected_at timestamptz NOT NULL DEFAULT now(),
    seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node_id, org_id, user_id)
);
CREATE INDEX ws_presence_org_idx ON ws_presence (org_id, user_id);

-- Node-wide maintenance runs without a tenant context: these touch only the caller's node rows.
CREATE FUNCTION ws_presence_heartbeat(node uuid) RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public AS
$$ UPDATE ws_presence SET seen_at = now() WHERE node_id = node $$;
CREATE FUNCTION ws_presence_clear(node uuid) RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public AS
$$ DELETE FROM ws_presence WHERE node_id = node $$;

CREATE TABLE notifications (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind varchar(50) NOT NULL CHECK (kind IN ('mention', 'reply', 'watched_forum', 'watched_topic',
                                               'announcement')),
    activity_seq bigint NOT NULL,
    actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
    subject_type varchar(50) NOT NULL,
    subject_id uuid,
    title varchar(300) NOT NULL,
    excerpt varchar(300) NOT NULL DEFAULT '',
    data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz,
    -- One notification per person per event, whichever node or retry writes it.
    UNIQUE (org_id, activity_seq, user_id),
    UNIQUE (org_id, id)
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;

-- Watches of forums and topics (their foreign keys come with the forums tables' own migration).
CREATE TABLE watches (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target_type varchar(10) NOT NULL CHECK (target_type IN ('forum', 'topic')),
    target_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, target_type, target_id, user_id),
    FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);
CREATE INDEX watches_user_idx ON watches (user_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON ws_presence, notifications, watches TO community_app;
GRANT EXECUTE ON FUNCTION org_event_heads(uuid[]), ws_presence_heartbeat(uuid), ws_presence_clear(uuid)
    TO community_app;

ALTER TABLE ws_presence ENABLE ROW LEVEL SECURITY;
ALTER TABLE ws_presence FORCE ROW LEVEL SECURITY;
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications FORCE ROW LEVEL SECURITY;
ALTER TABLE watches ENABLE ROW LEVEL SECURITY;
ALTER TABLE watches FORCE ROW LEVEL SECURITY;

CREATE POLICY ws_presence_tenant ON ws_presence
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
-- The notifier writes for others inside the org's context; a person reads and marks only their own
-- (across orgs, for /api/notifications).
CREATE POLICY notifications_write ON notifications FOR INSERT WITH CHECK (org_id = app_org_id());
-- The writer (org context, no user) reads back what it inserted; people read their own.
CREATE POLICY notifications_own ON notifications FOR SELECT
    USING (user_id = app_user_id() OR (app_user_id() IS NULL AND org_id = app_org_id()));
CREATE POLICY notifications_own_update ON notifications FOR UPDATE
    USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
CREATE POLICY notifications_own_delete ON notifications FOR DELETE USING (user_id = app_user_id());
-- Watchers are read by the notifier in the org's context; written only by the watcher.
CREATE POLICY watches_read ON watches FOR SELECT USING (org_id = app_org_id());
CREATE POLICY watches_own_insert ON watches FOR INSERT
    WITH CHECK (org_id = app_org_id() AND user_id = app_user_id());
CREATE POLICY watches_own_delete ON watches FOR DELETE
    USING (org_id = app_org_id() AND user_id = app_user_id());
