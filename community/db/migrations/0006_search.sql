-- Full-text search: one document per searchable row, a queue of rows to (re)index, and the
-- triggers that fill it. Core PostgreSQL only (the embedded server has no contrib).
--
-- A document is generic: (org, kind, id), the `scope_id` its visibility is decided by (the
-- forum for topics and posts; a later kind brings its own rule, e.g. a conversation), and the
-- text. Triggers on the source tables enqueue (kind, id) in the writer's transaction, so a
-- committed write is never missed; the indexer claims queue rows and (re)builds or removes
-- documents in one transaction, so a crash mid-batch rolls back and the rows stay queued.
-- Whatever must never be visible (a hidden or deleted post, a topic moved to a private forum)
-- is applied to the documents synchronously by the same triggers, not left to the indexer.

-- The org's configured language if it names a built-in text search configuration, else english.
CREATE FUNCTION search_config(lang text) RETURNS regconfig LANGUAGE sql STABLE
SET search_path = pg_catalog AS
$$ SELECT coalesce((SELECT c.oid::regconfig FROM pg_catalog.pg_ts_config c
                    WHERE c.cfgname = lang AND c.cfgnamespace = 'pg_catalog'::regnamespace),
                   'pg_catalog.english'::regconfig) $$;

CREATE TABLE search_documents (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    kind varchar(20) NOT NULL,
    scope_id uuid NOT NULL,
    topic_id uuid,
    author_id uuid REFERENCES users (id) ON DELETE SET NULL,
    title text NOT NULL DEFAULT '',
    body text NOT NULL DEFAULT '',
    config regconfig NOT NULL,
    tsv tsvector NOT NULL,
    title_tsv tsvector,
    created_at timestamptz NOT NULL,
    indexed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id)
);
-- Per-lexeme statistics deep enough that a rare term is estimated rare: the planner then picks the
-- GIN index for it and the recency index (stopping at LIMIT) for a common one.
ALTER TABLE search_documents ALTER COLUMN tsv SET STATISTICS 10000;
ALTER TABLE search_documents ALTER COLUMN title_tsv SET STATISTICS 10000;
-- Under row-level security the planner only uses a GIN index for `@@` if the operator is
-- leakproof (else it must run the policy first: a sequential scan). ts_match_vq reveals nothing
-- but true/false; only a superuser may mark it, so elsewhere search is correct but slower.
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF;
    END IF;
END
$$;
CREATE INDEX search_documents_tsv_idx ON search_documents USING gin (tsv);
CREATE INDEX search_documents_recent_idx ON search_documents (org_id, created_at DESC, id DESC);
CREATE INDEX search_documents_topic_idx ON search_documents (org_id, topic_id);
CREATE INDEX search_documents_titles_idx ON search_documents USING gin (title_tsv) WHERE kind = 'topic';
CREATE INDEX search_documents_recent_topics_idx ON search_documents (org_id, created_at DESC, id DESC)
    WHERE kind = 'topic';

CREATE TABLE search_queue (
    seq bigserial PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind varchar(20) NOT NULL,
    id uuid NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, seq)
);
CREATE INDEX search_queue_org_idx ON search_queue (org_id, seq);

GRANT SELECT, INSERT, UPDATE, DELETE ON search_documents, search_queue TO community_app;
GRANT USAGE, SELECT ON SEQUENCE search_queue_seq_seq TO community_app;
GRANT EXECUTE ON FUNCTION search_config(text) TO community_app;

ALTER TABLE search_documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_documents FORCE ROW LEVEL SECURITY;
ALTER TABLE search_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_queue FORCE ROW LEVEL SECURITY;
CREATE POLICY search_documents_tenant ON search_documents
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY search_queue_tenant ON search_queue
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());

-- The indexer's one window through RLS: which orgs have queued rows (oldest first). It
-- answers org ids only; the indexer then reads and writes each org's rows in that org's context.
CREATE FUNCTION search_pending_orgs(kinds text[], n integer) RETURNS SETOF uuid LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = public AS
$$ SELECT DISTINCT org_id FROM (SELECT org_id FROM search_queue WHERE kind = ANY(kinds) ORDER BY seq LIMIT n) q $$;
GRANT EXECUTE ON FUNCTION search_pending_orgs(text[], integer) TO community_app;

-- Triggers run as the writer, inside its org context (RLS applies to them as to the write).
CREATE FUNCTION search_enqueue_topic() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE org_id = OLD.org_id AND topic_id = OLD.id;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.forum_id IS DISTINCT FROM NEW.forum_id THEN
        -- Moved: the topic's documents follow it now, before the indexer runs.
        UPDATE search_documents SET scope_id = NEW.forum_id WHERE org_id = NEW.org_id AND topic_id = NEW.id;
    END IF;
    INSERT INTO search_queue (org_id, kind, id) VALUES (NEW.org_id, 'topic', NEW.id);
    RETURN NULL;
END $$;

CREATE FUNCTION search_enqueue_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE org_id = OLD.org_id AND id = OLD.id;
        RETURN NULL;
    END IF;
    IF NEW.is_hidden OR NEW.deleted_at IS NOT NULL THEN
        DELETE FROM search_documents WHERE org_id = NEW.org_id AND id = NEW.id;
    END IF;
    INSERT INTO search_queue (org_id, kind, id) VALUES (NEW.org_id, 'post', NEW.id);
    RETURN NULL;
END $$;

-- A new language re-indexes everything the org has.
CREATE FUNCTION search_enqueue_org() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_queue (org_id, kind, id)
    SELECT org_id, kind, id FROM search_documents WHERE org_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER search_topics_insert AFTER INSERT ON topics
    FOR EACH ROW EXECUTE FUNCTION search_enqueue_topic();
CREATE TRIGGER search_topics_update AFTER UPDATE OF title, content, tags, forum_id ON topics
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.content IS DISTINCT FROM NEW.content
                       OR OLD.tags IS DISTINCT FROM NEW.tags OR OLD.forum_id IS DISTINCT FROM NEW.forum_id)
    EXECUTE FUNCTION search_enqueue_topic();
CREATE TRIGGER search_topics_delete AFTER DELETE ON topics
    FOR EACH ROW EXECUTE FUNCTION search_enqueue_topic();
CREATE TRIGGER search_posts_insert AFTER INSERT ON posts
    FOR EACH ROW EXECUTE FUNCTION search_enqueue_post();
CREATE TRIGGER search_posts_update AFTER UPDATE OF content, is_hidden, deleted_at ON posts
    FOR EACH ROW WHEN (OLD.content IS DISTINCT FROM NEW.content OR OLD.is_hidden IS DISTINCT FROM NEW.is_hidden
                       OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION search_enqueue_post();
CREATE TRIGGER search_posts_delete AFTER DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION search_enqueue_post();
CREATE TRIGGER search_org_language AFTER UPDATE OF settings ON organizations
    FOR EACH ROW WHEN (OLD.settings -> 'search' ->> 'language' IS DISTINCT FROM NEW.settings -> 'search' ->> 'language')
    EXECUTE FUNCTION search_enqueue_org();
