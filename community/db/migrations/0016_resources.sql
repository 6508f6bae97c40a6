-- Files and the resource library: uploads (every stored object, whatever it is for), the
-- library's resources, each org's storage account, a queue of objects to delete, download
-- counts per day, and the resource kind in search.
--
-- Storage is accounted race-free in one row per org: an upload reserves its declared size with
-- a single conditional UPDATE (`used_bytes + size <= limit`), the sweeper and deletions give it
-- back. Objects are deleted by the files worker from `storage_deletions`, which a trigger fills
-- whenever an uploads row goes, so a deleted resource never leaves its object behind.

-- Secrets every node shares (signing local file URLs): the database holds them, not a process.
CREATE TABLE server_secrets (
    name varchar(50) PRIMARY KEY,
    value text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO server_secrets (name, value)
VALUES ('files', encode(sha256((gen_random_uuid()::text || gen_random_uuid()::text
                                || gen_random_uuid()::text)::bytea), 'hex'));
GRANT SELECT ON server_secrets TO community_app;

CREATE TABLE org_storage (
    org_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    used_bytes bigint NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),
    limit_bytes bigint CHECK (limit_bytes IS NULL OR limit_bytes >= 0)   -- NULL: the tier's quota
);

CREATE TABLE uploads (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    purpose varchar(20) NOT NULL CHECK (purpose IN ('resource', 'logo', 'attachment')),
    storage_key varchar(500) NOT NULL UNIQUE,
    file_name varchar(255) NOT NULL,
    content_type varchar(100) NOT NULL,
    size bigint NOT NULL CHECK (size > 0),
    status varchar(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'registered')),
    expires_at timestamptz NOT NULL,
    thumbnail_key varchar(500),
    width integer,
    height integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    registered_at timestamptz,
    UNIQUE (org_id, id)
);
CREATE INDEX uploads_pending_idx ON uploads (created_at) WHERE status = 'pending';

CREATE TABLE resources (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    upload_id uuid NOT NULL,
    title varchar(255) NOT NULL,
    description text,
    file_name varchar(255) NOT NULL,
    file_size bigint NOT NULL,
    file_type varchar(100) NOT NULL,
    category varchar(100),
    tags varchar(100)[] NOT NULL DEFAULT '{}',
    is_featured boolean NOT NULL DEFAULT false,
    download_count bigint NOT NULL DEFAULT 0 CHECK (download_count >= 0),
    uploaded_by uuid REFERENCES users (id) ON DELETE SET NULL,
    required_role varchar(50) NOT NULL DEFAULT 'member'
        CHECK (required_role IN ('owner', 'admin', 'moderator', 'member', 'guest')),
    -- Words inside the file, extracted by the files worker; text_status says how that went.
    content_text text,
    text_status varchar(20) NOT NULL DEFAULT 'pending'
        CHECK (text_status IN ('pending', 'done', 'none', 'too_large', 'failed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    UNIQUE (org_id, upload_id),
    FOREIGN KEY (org_id, upload_id) REFERENCES uploads (org_id, id)
);
CREATE INDEX resources_recent_idx ON resources (org_id, created_at DESC, id DESC);
CREATE INDEX resources_popular_idx ON resources (org_id, download_count DESC, id DESC);
CREATE INDEX resources_title_idx ON resources (org_id, lower(title), id);
CREATE INDEX resources_tags_idx ON resources USING gin (tags);
CREATE INDEX resources_text_pending_idx ON resources (org_id, created_at) WHERE text_status = 'pending';

-- Uploads attached to posts and messages, in order. `posts.attachments` (the seed's column) and
-- `messages.attachments` hold the same list denormalised for reads: [{id, file_name, content_type, size}].
ALTER TABLE messages ADD COLUMN attachments jsonb;
CREATE TABLE attachments (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    upload_id uuid NOT NULL,
    post_id uuid,
    message_id uuid,
    position smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, upload_id),
    CHECK ((post_id IS NULL) <> (message_id IS NULL)),
    FOREIGN KEY (org_id, upload_id) REFERENCES uploads (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, post_id) REFERENCES posts (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, message_id) REFERENCES messages (org_id, id) ON DELETE CASCADE
);
CREATE INDEX attachments_post_idx ON attachments (org_id, post_id) WHERE post_id IS NOT NULL;
CREATE INDEX attachments_message_idx ON attachments (org_id, message_id) WHERE message_id IS NOT NULL;

-- Downloads per resource per day, written in batches by the download counter (analytics reads it).
CREATE TABLE resource_downloads_daily (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    resource_id uuid NOT NULL,
    day date NOT NULL,
    downloads bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, resource_id, day),
    FOREIGN KEY (org_id, resource_id) REFERENCES resources (org_id, id) ON DELETE CASCADE
);

CREATE TABLE storage_deletions (
    id bigserial PRIMARY KEY,
    org_id uuid NOT NULL,
    storage_key varchar(500) NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON org_storage, uploads, resources, attachments, resource_downloads_daily,
    storage_deletions TO community_app;
GRANT USAGE, SELECT ON SEQUENCE storage_deletions_id_seq TO community_app;

ALTER TABLE org_storage ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_storage FORCE ROW LEVEL SECURITY;
ALTER TABLE uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE uploads FORCE ROW LEVEL SECURITY;
ALTER TABLE resources ENABLE ROW LEVEL SECURITY;
ALTER TABLE resources FORCE ROW LEVEL SECURITY;
ALTER TABLE attachments ENABLE ROW LEVEL SECURITY;
ALTER TABLE attachments FORCE ROW LEVEL SECURITY;
ALTER TABLE resource_downloads_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE resource_downloads_daily FORCE ROW LEVEL SECURITY;
ALTER TABLE storage_deletions ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage_deletions FORCE ROW LEVEL SECURITY;

CREATE POLICY org_storage_tenant ON org_storage USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY uploads_tenant ON uploads USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY resources_tenant ON resources USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY attachments_tenant ON attachments USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY resource_downloads_daily_tenant ON resource_downloads_daily
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY storage_deletions_tenant ON storage_deletions
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());

-- The files worker's windows through RLS: which orgs have work (ids only); each org's work is
-- then done in that org's context, under the same policies as requests.
CREATE FUNCTION files_pending_orgs(stale_before timestamptz, n integer) RETURNS SETOF uuid LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = public AS $$
    SELECT org_id FROM (
        (SELECT org_id FROM storage_deletions ORDER BY id LIMIT n)
        UNION (SELECT org_id FROM resources WHERE text_status = 'pending' ORDER BY created_at LIMIT n)
        UNION (SELECT org_id FROM uploads WHERE status = 'pending' AND created_at < stale_before
               ORDER BY created_at LIMIT n)
        UNION (SELECT org_id FROM uploads WHERE status = 'registered' AND thumbnail_key IS NULL AND width IS NULL
               AND content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp') LIMIT n)
    ) q
$$;
GRANT EXECUTE ON FUNCTION files_pending_orgs(timestamptz, integer) TO community_app;

-- A gone upload gives its bytes back, and its objects (the file and its thumbnail) are queued for
-- deletion in the same transaction, whichever way it went (a resource deleted, a post's topic
-- deleted, the sweeper, the organization deleted).
CREATE FUNCTION storage_enqueue_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE org_storage SET used_bytes = greatest(0, used_bytes - OLD.size) WHERE org_id = OLD.org_id;
    INSERT INTO storage_deletions (org_id, storage_key) VALUES (OLD.org_id, OLD.storage_key);
    IF OLD.thumbnail_key IS NOT NULL THEN
        INSERT INTO storage_deletions (org_id, storage_key) VALUES (OLD.org_id, OLD.thumbnail_key);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER uploads_delete AFTER DELETE ON uploads
    FOR EACH ROW EXECUTE FUNCTION storage_enqueue_deletion();

-- An attachment goes with its post or message (hard deletes cascade here): so does its upload.
CREATE FUNCTION attachment_release_upload() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM uploads WHERE org_id = OLD.org_id AND id = OLD.upload_id;
    RETURN NULL;
END $$;
CREATE TRIGGER attachments_delete AFTER DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION attachment_release_upload();

-- Search: a `resource` document per resource; who may see it is its required_role, decided at query time.
CREATE FUNCTION search_enqueue_resource() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE org_id = OLD.org_id AND id = OLD.id;
        RETURN NULL;
    END IF;
    INSERT INTO search_queue (org_id, kind, id) VALUES (NEW.org_id, 'resource', NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER search_resources_insert AFTER INSERT ON resources
    FOR EACH ROW EXECUTE FUNCTION search_enqueue_resource();
CREATE TRIGGER search_resources_update AFTER UPDATE OF title, description, tags, category, content_text ON resources
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.description IS DISTINCT FROM NEW.description
                       OR OLD.tags IS DISTINCT FROM NEW.tags OR OLD.category IS DISTINCT FROM NEW.category
                       OR OLD.content_text IS DISTINCT FROM NEW.content_text)
    EXECUTE FUNCTION search_enqueue_resource();
CREATE TRIGGER search_resources_delete AFTER DELETE ON resources
    FOR EACH ROW EXECUTE FUNCTION search_enqueue_resource();

-- Logos (and avatars) are public by nature: their URL is stable and answers anyone. The one window
-- through RLS for them: a registered `logo` upload's object keys, by its id, and nothing else.
CREATE FUNCTION public_image(p_upload uuid) RETURNS TABLE (storage_key varchar, content_type varchar,
                                                            thumbnail_key varchar)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT storage_key, content_type, thumbnail_key FROM uploads
    WHERE id = p_upload AND purpose = 'logo' AND status = 'registered'
$$;
GRANT EXECUTE ON FUNCTION public_image(uuid) TO community_app;
