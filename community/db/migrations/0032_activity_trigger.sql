-- One PL/pgSQL trigger call per activity row where there were three (0004's NOTIFY, 0017's
-- notification queue, 0013's integrations): each call of a PL/pgSQL trigger costs its own set-up,
-- and every write appends a row. The integrations' trigger stays separate (it reads forums and
-- integrations) but fires only for the types integration_event() maps, a WHEN clause PostgreSQL
-- evaluates without calling it: a message send no longer enters it at all.
CREATE FUNCTION activity_appended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('community_activity',
                      NEW.org_id::text || ':' || NEW.seq::text || ':' || current_setting('application_name'));
    -- The events that raise notifications (services/notifications.py NOTIFYING_EVENTS; a test keeps
    -- the two lists equal). Runs as the writer, inside its org context.
    IF NEW.type IN ('post_created', 'topic_created', 'announcement_published', 'message_created') THEN
        INSERT INTO notification_queue (org_id, seq) VALUES (NEW.org_id, NEW.seq);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER activity_notify ON activity;
DROP TRIGGER activity_notification_enqueue ON activity;
CREATE TRIGGER activity_appended AFTER INSERT ON activity FOR EACH ROW EXECUTE FUNCTION activity_appended();

DROP TRIGGER activity_integrations ON activity;
CREATE TRIGGER activity_integrations AFTER INSERT ON activity
    FOR EACH ROW WHEN (integration_event(NEW.type) IS NOT NULL) EXECUTE FUNCTION integrations_enqueue();

DROP FUNCTION activity_notify();
DROP FUNCTION notification_enqueue();
