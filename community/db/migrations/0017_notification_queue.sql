-- Notifications are written from a queue the database fills in the writer's transaction (the
-- indexer's pattern): a trigger on the activity log queues each event that raises notifications,
-- the notification writer claims batches with FOR UPDATE SKIP LOCKED and writes the rows in the
-- same transaction that removes them from the queue. A burst, a full mailbox, a crash or an
-- outage delays notifications; none is lost, and several nodes never write one twice.
CREATE TABLE notification_queue (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    seq bigint NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, seq),
    FOREIGN KEY (org_id, seq) REFERENCES activity (org_id, seq) ON DELETE CASCADE
);
CREATE INDEX notification_queue_queued_idx ON notification_queue (queued_at);

GRANT SELECT, INSERT, DELETE ON notification_queue TO community_app;
ALTER TABLE notification_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_queue FORCE ROW LEVEL SECURITY;
CREATE POLICY notification_queue_tenant ON notification_queue
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());

-- The writer's one window through RLS: which orgs have queued events (oldest first); it then
-- claims and writes each org's rows in that org's context.
CREATE FUNCTION notification_pending_orgs(n integer) RETURNS SETOF uuid LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = public AS
$$ SELECT DISTINCT org_id FROM (SELECT org_id FROM notification_queue ORDER BY queued_at LIMIT n) q $$;
GRANT EXECUTE ON FUNCTION notification_pending_orgs(integer) TO community_app;

-- The events that raise notifications (services/notifications.py NOTIFYING_EVENTS; a test keeps
-- the two lists equal). Runs as the writer, inside its org context.
CREATE FUNCTION notification_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notification_queue (org_id, seq) VALUES (NEW.org_id, NEW.seq);
    RETURN NULL;
END $$;
CREATE TRIGGER activity_notification_enqueue AFTER INSERT ON activity
    FOR EACH ROW WHEN (NEW.type IN ('post_created', 'topic_created', 'announcement_published', 'message_created'))
    EXECUTE FUNCTION notification_enqueue();
