-- Forums, topics, posts, reactions, revisions, mentions, flags and the moderation log.
-- Keeps the seed's columns (times as timestamptz); adds what the features need.

CREATE FUNCTION role_rank(role text) RETURNS smallint LANGUAGE sql IMMUTABLE AS
$$ SELECT (CASE role WHEN 'owner' THEN 4 WHEN 'admin' THEN 3 WHEN 'moderator' THEN 2
                     WHEN 'member' THEN 1 WHEN 'guest' THEN 0 END)::smallint $$;
GRANT EXECUTE ON FUNCTION role_rank(text) TO community_app;

-- `path` is the ancestors then the forum itself (depth = its length, at most 3);
-- `view_rank` is the lowest role rank that sees the forum: the highest `required_role`
-- of a private forum along the path (0 when all are public). Both are kept by the
-- service whenever a forum's parent, privacy or required role changes.
CREATE TABLE forums (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(255) NOT NULL,
    description text,
    slug varchar(100) NOT NULL,
    parent_id uuid,
    is_private boolean NOT NULL DEFAULT false,
    required_role varchar(50) NOT NULL DEFAULT 'member'
        CHECK (required_role IN ('owner', 'admin', 'moderator', 'member', 'guest')),
    sort_order integer NOT NULL DEFAULT 0,
    topic_count integer NOT NULL DEFAULT 0 CHECK (topic_count >= 0),
    post_count integer NOT NULL DEFAULT 0 CHECK (post_count >= 0),
    last_post_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    path uuid[] NOT NULL CHECK (cardinality(path) BETWEEN 1 AND 3),
    view_rank smallint NOT NULL DEFAULT 0,
    UNIQUE (org_id, slug),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, parent_id) REFERENCES forums (org_id, id) ON DELETE CASCADE
);
CREATE INDEX forums_path_idx ON forums USING gin (path);

CREATE TABLE topics (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    forum_id uuid NOT NULL,
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title varchar(255) NOT NULL,
    slug varchar(255) NOT NULL,
    content text NOT NULL,
    html text NOT NULL DEFAULT '',
    author_id uuid REFERENCES users (id) ON DELETE SET NULL,
    is_pinned boolean NOT NULL DEFAULT false,
    is_locked boolean NOT NULL DEFAULT false,
    is_announcement boolean NOT NULL DEFAULT false,
    view_count bigint NOT NULL DEFAULT 0,
    reply_count integer NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
    last_reply_at timestamptz,
    last_reply_by uuid REFERENCES users (id) ON DELETE SET NULL,
    -- greatest(created_at, last_reply_at): the listing's "latest activity" key, indexed.
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    tags varchar(100)[] NOT NULL DEFAULT '{}',
    edit_count integer NOT NULL DEFAULT 0,
    last_edited_at timestamptz,
    last_edited_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, forum_id, slug),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, forum_id) REFERENCES forums (org_id, id) ON DELETE CASCADE
);
CREATE INDEX topics_listing_idx ON topics (org_id, forum_id, is_pinned DESC, last_activity_at DESC, id DESC);
CREATE INDEX topics_org_activity_idx ON topics (org_id, last_activity_at DESC);
CREATE INDEX topics_tags_idx ON topics USING gin (tags);

-- A reply's parent is in the same topic: the composite key makes anything else impossible.
CREATE TABLE posts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    topic_id uuid NOT NULL,
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    content text NOT NULL,
    html text NOT NULL DEFAULT '',
    author_id uuid REFERENCES users (id) ON DELETE SET NULL,
    parent_id uuid,
    is_solution boolean NOT NULL DEFAULT false,
    attachments jsonb,
    reactions jsonb NOT NULL DEFAULT '{}',   -- emoji -> count, kept with post_reactions
    edit_count integer NOT NULL DEFAULT 0,
    last_edited_at timestamptz,
    last_edited_by uuid REFERENCES users (id) ON DELETE SET NULL,
    is_hidden boolean NOT NULL DEFAULT false,
    deleted_at timestamptz,
    deleted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    UNIQUE (org_id, topic_id, id),
    FOREIGN KEY (org_id, topic_id) REFERENCES topics (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, topic_id, parent_id) REFERENCES posts (org_id, topic_id, id) ON DELETE CASCADE
);
CREATE INDEX posts_topic_idx ON posts (org_id, topic_id, created_at, id);
CREATE INDEX posts_parent_idx ON posts (org_id, parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX posts_author_idx ON posts (org_id, author_id, created_at);
CREATE INDEX posts_created_idx ON posts (org_id, created_at);
CREATE UNIQUE INDEX posts_one_solution_idx ON posts (org_id, topic_id) WHERE is_solution;

CREATE TABLE post_revisions (
    id bigserial PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    post_id uuid NOT NULL,
    editor_id uuid REFERENCES users (id) ON DELETE SET NULL,
    previous_content text NOT NULL,
    edited_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, post_id) REFERENCES posts (org_id, id) ON DELETE CASCADE
);
CREATE INDEX post_revisions_post_idx ON post_revisions (org_id, post_id, id);

CREATE TABLE post_reactions (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    post_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji varchar(16) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, post_id, user_id, emoji),
    FOREIGN KEY (org_id, post_id) REFERENCES posts (org_id, id) ON DELETE CASCADE
);
CREATE INDEX post_reactions_created_idx ON post_reactions (org_id, created_at);

-- Resolved @mentions, stored for the notifier.
CREATE TABLE post_mentions (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    post_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, post_id, user_id),
    FOREIGN KEY (org_id, post_id) REFERENCES posts (org_id, id) ON DELETE CASCADE
);

CREATE TABLE flags (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    post_id uuid NOT NULL,
    forum_id uuid NOT NULL,
    reporter_id uuid REFERENCES users (id) ON DELETE SET NULL,
    reason varchar(1000) NOT NULL,
    status varchar(20) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
    resolution varchar(20) CHECK (resolution IN ('hide', 'delete', 'dismiss')),
    resolved_by uuid REFERENCES users (id) ON DELETE SET NULL,
    resolved_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, post_id) REFERENCES posts (org_id, id) ON DELETE CASCADE
);
CREATE INDEX flags_queue_idx ON flags (org_id, status, created_at, id);
CREATE UNIQUE INDEX flags_one_open_idx ON flags (org_id, post_id, reporter_id) WHERE status = 'open';

-- Append-only: the server may insert and read, never change or remove an entry.
CREATE TABLE moderation_log (
    id bigserial PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
    action varchar(50) NOT NULL,
    target_type varchar(20) NOT NULL,
    target_id uuid NOT NULL,
    details jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);
CREATE INDEX moderation_log_org_idx ON moderation_log (org_id, id DESC);

ALTER TABLE moderator_assignments
    ADD FOREIGN KEY (org_id, forum_id) REFERENCES forums (org_id, id) ON DELETE CASCADE;

GRANT SELECT, INSERT, UPDATE, DELETE ON forums, topics, posts, post_revisions, post_reactions, post_mentions, flags
    TO community_app;
GRANT SELECT, INSERT ON moderation_log TO community_app;
REVOKE UPDATE, DELETE, TRUNCATE ON moderation_log FROM community_app;
GRANT USAGE, SELECT ON SEQUENCE post_revisions_id_seq, moderation_log_id_seq TO community_app;

ALTER TABLE forums ENABLE ROW LEVEL SECURITY;
ALTER TABLE forums FORCE ROW LEVEL SECURITY;
ALTER TABLE topics ENABLE ROW LEVEL SECURITY;
ALTER TABLE topics FORCE ROW LEVEL SECURITY;
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
ALTER TABLE posts FORCE ROW LEVEL SECURITY;
ALTER TABLE post_revisions ENABLE ROW LEVEL SECURITY;
ALTER TABLE post_revisions FORCE ROW LEVEL SECURITY;
ALTER TABLE post_reactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE post_reactions FORCE ROW LEVEL SECURITY;
ALTER TABLE post_mentions ENABLE ROW LEVEL SECURITY;
ALTER TABLE post_mentions FORCE ROW LEVEL SECURITY;
ALTER TABLE flags ENABLE ROW LEVEL SECURITY;
ALTER TABLE flags FORCE ROW LEVEL SECURITY;
ALTER TABLE moderation_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE moderation_log FORCE ROW LEVEL SECURITY;

CREATE POLICY forums_tenant ON forums USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY topics_tenant ON topics USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY posts_tenant ON posts USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY post_revisions_tenant ON post_revisions
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY post_reactions_tenant ON post_reactions
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY post_mentions_tenant ON post_mentions
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY flags_tenant ON flags USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY moderation_log_tenant ON moderation_log
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
