-- Events and the calendar: events (a single event or an RRULE series), their occurrences
-- (materialized, each with its own capacity counters and optional overrides), registrations
-- with a waitlist, reminders the reminder actor sends once, and private per-user feed tokens.
-- Times are timestamptz (UTC instants); `timezone` is the IANA zone the event is planned in.

CREATE TABLE events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title varchar(255) NOT NULL,
    description text NOT NULL DEFAULT '',
    html text NOT NULL DEFAULT '',
    event_type varchar(50),
    start_time timestamptz NOT NULL,
    end_time timestamptz NOT NULL,
    timezone varchar(100) NOT NULL,
    location varchar(255),
    meeting_url varchar(500),
    max_attendees integer CHECK (max_attendees IS NULL OR max_attendees >= 1),
    registration_required boolean NOT NULL DEFAULT false,
    is_public boolean NOT NULL DEFAULT true,
    recurrence varchar(500),
    -- Occurrences exist up to here; an unbounded series is extended as time passes.
    materialized_until timestamptz,
    series_complete boolean NOT NULL DEFAULT true,
    status varchar(20) NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    cancel_reason varchar(1000),
    cancelled_at timestamptz,
    topic_id uuid,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (end_time > start_time),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, topic_id) REFERENCES topics (org_id, id) ON DELETE SET NULL (topic_id)
);
CREATE INDEX events_extend_idx ON events (materialized_until) WHERE NOT series_complete;

-- One row per occurrence (a single event has one). `recurrence_id` is the occurrence's start
-- as the rule placed it (RFC 5545 RECURRENCE-ID); start/end are where it is now (an edit of
-- "this occurrence" moves it). Title, description, location, meeting_url: NULL inherits.
-- The row is the lock that serialises registrations: counters change only under it.
CREATE TABLE event_occurrences (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_id uuid NOT NULL,
    recurrence_id timestamptz NOT NULL,
    start_time timestamptz NOT NULL,
    end_time timestamptz NOT NULL,
    status varchar(20) NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    cancel_reason varchar(1000),
    title varchar(255),
    description text,
    html text,
    location varchar(255),
    meeting_url varchar(500),
    times_overridden boolean NOT NULL DEFAULT false,
    going_count integer NOT NULL DEFAULT 0 CHECK (going_count >= 0),
    interested_count integer NOT NULL DEFAULT 0 CHECK (interested_count >= 0),
    waitlist_count integer NOT NULL DEFAULT 0 CHECK (waitlist_count >= 0),
    checked_in_count integer NOT NULL DEFAULT 0 CHECK (checked_in_count >= 0),
    next_position bigint NOT NULL DEFAULT 1,
    CHECK (end_time > start_time),
    UNIQUE (org_id, id),
    UNIQUE (org_id, event_id, id),
    -- Deferred: re-laying a series moves occurrences past each other within one transaction.
    UNIQUE (org_id, event_id, recurrence_id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, event_id) REFERENCES events (org_id, id) ON DELETE CASCADE
);
CREATE INDEX event_occurrences_time_idx ON event_occurrences (org_id, start_time, id);
CREATE INDEX event_occurrences_event_idx ON event_occurrences (org_id, event_id, start_time);

-- `position` orders the waitlist (lower first); it is set only while waitlisted.
-- Analytics reads `registered_at` (registrations per period) and `checked_in_at` (attendance).
CREATE TABLE event_registrations (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_id uuid NOT NULL,
    occurrence_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status varchar(20) NOT NULL CHECK (status IN ('going', 'interested', 'not_going', 'waitlisted')),
    position bigint,
    registered_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    checked_in_at timestamptz,
    checked_in_by uuid REFERENCES users (id) ON DELETE SET NULL,
    CHECK ((status = 'waitlisted') = (position IS NOT NULL)),
    PRIMARY KEY (org_id, occurrence_id, user_id),
    FOREIGN KEY (org_id, event_id, occurrence_id) REFERENCES event_occurrences (org_id, event_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);
CREATE INDEX event_registrations_user_idx ON event_registrations (user_id, org_id);
CREATE INDEX event_registrations_waitlist_idx ON event_registrations (org_id, occurrence_id, position)
    WHERE status = 'waitlisted';
CREATE INDEX event_registrations_registered_idx ON event_registrations (org_id, registered_at);
CREATE INDEX event_registrations_checked_in_idx ON event_registrations (org_id, checked_in_at)
    WHERE checked_in_at IS NOT NULL;

-- Reminders to send (24 h and 1 h before), kept by the triggers below in the writer's
-- transaction. The reminder actor claims due rows FOR UPDATE SKIP LOCKED and, in the same
-- transaction, writes the notification and `sent_at`: a crash sends nothing twice and loses nothing.
CREATE TABLE event_reminders (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    occurrence_id uuid NOT NULL,
    user_id uuid NOT NULL,
    kind varchar(4) NOT NULL CHECK (kind IN ('24h', '1h')),
    due_at timestamptz NOT NULL,
    sent_at timestamptz,
    outcome varchar(10) CHECK (outcome IN ('sent', 'skipped')),
    email_pending boolean NOT NULL DEFAULT false,
    emailed_at timestamptz,
    PRIMARY KEY (org_id, occurrence_id, user_id, kind),
    FOREIGN KEY (org_id, occurrence_id) REFERENCES event_occurrences (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, occurrence_id, user_id) REFERENCES event_registrations (org_id, occurrence_id, user_id)
        ON DELETE CASCADE
);
CREATE INDEX event_reminders_due_idx ON event_reminders (due_at) WHERE sent_at IS NULL;
CREATE INDEX event_reminders_email_idx ON event_reminders (org_id) WHERE email_pending;

-- A private calendar feed per user: only the SHA-256 of the secret is stored; a new one replaces it.
CREATE TABLE calendar_feeds (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('mention', 'reply', 'watched_forum', 'watched_topic', 'announcement', 'message',
                    'event_cancelled', 'event_updated', 'event_promoted', 'event_reminder', 'billing_past_due'));

GRANT SELECT, INSERT, UPDATE, DELETE ON events, event_occurrences, event_registrations, event_reminders,
    calendar_feeds TO community_app;

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
ALTER TABLE event_occurrences ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_occurrences FORCE ROW LEVEL SECURITY;
ALTER TABLE event_registrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_registrations FORCE ROW LEVEL SECURITY;
ALTER TABLE event_reminders ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_reminders FORCE ROW LEVEL SECURITY;
ALTER TABLE calendar_feeds ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_feeds FORCE ROW LEVEL SECURITY;

CREATE POLICY events_tenant ON events USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY event_occurrences_tenant ON event_occurrences
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY event_registrations_tenant ON event_registrations
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY event_reminders_tenant ON event_reminders
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY calendar_feeds_own ON calendar_feeds
    USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());

-- Windows through RLS for work that starts outside any tenant: each answers ids only.
-- Orgs with reminders due by `at`; orgs whose open-ended series need occurrences up to `horizon`.
CREATE FUNCTION event_reminders_due_orgs(at timestamptz, n integer) RETURNS SETOF uuid LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = public AS
$$ SELECT DISTINCT org_id FROM (SELECT org_id FROM event_reminders WHERE sent_at IS NULL AND due_at <= at
                                ORDER BY due_at LIMIT n) d $$;
CREATE FUNCTION event_email_pending_orgs(n integer) RETURNS SETOF uuid LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = public AS
$$ SELECT DISTINCT org_id FROM (SELECT org_id FROM event_reminders WHERE email_pending LIMIT n) d $$;
CREATE FUNCTION events_to_extend(horizon timestamptz, n integer) RETURNS SETOF uuid LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = public AS
$$ SELECT DISTINCT org_id FROM (SELECT org_id FROM events WHERE NOT series_complete AND status = 'scheduled'
                                AND materialized_until < horizon LIMIT n) e $$;
-- A feed URL's owner, from the hash of its secret (the feed is fetched without a session).
CREATE FUNCTION calendar_feed_owner(hash bytea) RETURNS uuid LANGUAGE sql VOLATILE
SECURITY DEFINER SET search_path = public AS
$$ UPDATE calendar_feeds SET last_used_at = now() WHERE token_hash = hash RETURNING user_id $$;
GRANT EXECUTE ON FUNCTION event_reminders_due_orgs(timestamptz, integer), event_email_pending_orgs(integer),
    events_to_extend(timestamptz, integer), calendar_feed_owner(bytea) TO community_app;

-- Reminders follow registrations: going or interested gets the reminders still ahead; anything
-- else drops the unsent ones. Sent rows stay (they are the record), so re-registering never resends.
CREATE FUNCTION event_reminders_for_registration() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_reminders
    WHERE org_id = NEW.org_id AND occurrence_id = NEW.occurrence_id AND user_id = NEW.user_id AND sent_at IS NULL;
    IF NEW.status IN ('going', 'interested') THEN
        INSERT INTO event_reminders (org_id, occurrence_id, user_id, kind, due_at)
        SELECT NEW.org_id, NEW.occurrence_id, NEW.user_id, k.kind, o.start_time - k.lead
        FROM event_occurrences o, (VALUES ('24h', interval '24 hours'), ('1h', interval '1 hour')) AS k (kind, lead)
        WHERE o.org_id = NEW.org_id AND o.id = NEW.occurrence_id AND o.status = 'scheduled'
          AND o.start_time - k.lead > now()
        ON CONFLICT (org_id, occurrence_id, user_id, kind) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER event_registrations_reminders AFTER INSERT OR UPDATE OF status ON event_registrations
    FOR EACH ROW EXECUTE FUNCTION event_reminders_for_registration();

-- An occurrence that moves gets its reminders again (for the new time, where still ahead); a
-- cancelled one keeps only the record of what was already sent.
CREATE FUNCTION event_reminders_for_occurrence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_reminders r
    WHERE r.org_id = NEW.org_id AND r.occurrence_id = NEW.id
      AND (r.sent_at IS NULL
           OR (NEW.status = 'scheduled' AND OLD.start_time IS DISTINCT FROM NEW.start_time
               AND NEW.start_time - (CASE r.kind WHEN '24h' THEN interval '24 hours' ELSE interval '1 hour' END)
                   > now()));
    IF NEW.status = 'scheduled' THEN
        INSERT INTO event_reminders (org_id, occurrence_id, user_id, kind, due_at)
        SELECT NEW.org_id, NEW.id, g.user_id, k.kind, NEW.start_time - k.lead
        FROM event_registrations g, (VALUES ('24h', interval '24 hours'), ('1h', interval '1 hour')) AS k (kind, lead)
        WHERE g.org_id = NEW.org_id AND g.occurrence_id = NEW.id AND g.status IN ('going', 'interested')
          AND NEW.start_time - k.lead > now()
        ON CONFLICT (org_id, occurrence_id, user_id, kind) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER event_occurrences_reminders AFTER UPDATE OF start_time, status ON event_occurrences
    FOR EACH ROW WHEN (OLD.start_time IS DISTINCT FROM NEW.start_time OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION event_reminders_for_occurrence();

-- Search: an `event` document per event (its scope is the event itself; who may see it is
-- decided in the query: members every event, others the public ones).
CREATE FUNCTION search_enqueue_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE org_id = OLD.org_id AND id = OLD.id;
        RETURN NULL;
    END IF;
    INSERT INTO search_queue (org_id, kind, id) VALUES (NEW.org_id, 'event', NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER search_events_insert AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION search_enqueue_event();
CREATE TRIGGER search_events_update AFTER UPDATE OF title, description, location, event_type, is_public ON events
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.description IS DISTINCT FROM NEW.description
                       OR OLD.location IS DISTINCT FROM NEW.location OR OLD.event_type IS DISTINCT FROM NEW.event_type
                       OR OLD.is_public IS DISTINCT FROM NEW.is_public)
    EXECUTE FUNCTION search_enqueue_event();
CREATE TRIGGER search_events_delete AFTER DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION search_enqueue_event();
