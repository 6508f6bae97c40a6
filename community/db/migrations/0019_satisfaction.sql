-- Satisfaction: attendees rate an event occurrence once it has ended (1-5 and a comment; one
-- rating per person and occurrence, editable), and members answer an occasional in-app CSAT
-- ("How satisfied are you with this community?", 1-5) at most once a calendar quarter; a
-- dismissal is a row without a score and counts toward the quarter. Analytics reads both live.
CREATE TABLE event_ratings (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_id uuid NOT NULL,
    occurrence_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    score smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment varchar(2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    UNIQUE (org_id, occurrence_id, user_id),
    FOREIGN KEY (org_id, event_id, occurrence_id) REFERENCES event_occurrences (org_id, event_id, id)
        ON DELETE CASCADE
);
CREATE INDEX event_ratings_event_idx ON event_ratings (org_id, event_id);
-- Analytics: the occurrences that ended in a range (ratings and attendees are per occurrence).
CREATE INDEX IF NOT EXISTS event_occurrences_end_idx ON event_occurrences (org_id, end_time);

CREATE TABLE csat_responses (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    quarter date NOT NULL CHECK (quarter = date_trunc('quarter', quarter)::date),
    score smallint CHECK (score BETWEEN 1 AND 5),  -- NULL: dismissed
    comment varchar(2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (score IS NOT NULL OR comment IS NULL),
    UNIQUE (org_id, id),
    UNIQUE (org_id, user_id, quarter)
);
CREATE INDEX csat_responses_created_idx ON csat_responses (org_id, created_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON event_ratings, csat_responses TO community_app;
ALTER TABLE event_ratings ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_ratings FORCE ROW LEVEL SECURITY;
ALTER TABLE csat_responses ENABLE ROW LEVEL SECURITY;
ALTER TABLE csat_responses FORCE ROW LEVEL SECURITY;
CREATE POLICY event_ratings_tenant ON event_ratings USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY csat_responses_tenant ON csat_responses
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
