-- Messaging: direct and group conversations, participants with read state, messages,
-- reactions, and blocks between members.

-- `direct_key` is "<smaller uuid>:<larger uuid>" for a direct conversation (NULL for groups):
-- the unique constraint makes "one conversation per pair" race-free.
CREATE TABLE conversations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind varchar(10) NOT NULL CHECK (kind IN ('direct', 'group')),
    title varchar(200),
    owner_id uuid REFERENCES users (id) ON DELETE SET NULL,
    direct_key varchar(80),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'direct') = (direct_key IS NOT NULL)),
    CHECK (kind = 'direct' OR title IS NOT NULL),
    UNIQUE (org_id, direct_key),
    UNIQUE (org_id, id)
);

-- A participant is an org member: the composite key to memberships keeps it in the tenant.
-- Read state is the highest message `seq` read (unread = later messages from others).
CREATE TABLE conversation_participants (
    org_id uuid NOT NULL,
    conversation_id uuid NOT NULL,
    user_id uuid NOT NULL,
    joined_at timestamptz NOT NULL DEFAULT now(),
    last_read_seq bigint NOT NULL DEFAULT 0,
    last_read_message_id uuid,
    PRIMARY KEY (org_id, conversation_id, user_id),
    FOREIGN KEY (org_id, conversation_id) REFERENCES conversations (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);
CREATE INDEX conversation_participants_user_idx ON conversation_participants (org_id, user_id);
CREATE INDEX conversation_participants_me_idx ON conversation_participants (user_id);

-- `seq` orders messages (cursors, unread counts); ids stay UUIDs in the API.
-- A sender's `client_id` is unique per conversation: a retried send finds the first one.
CREATE TABLE messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY,
    org_id uuid NOT NULL,
    conversation_id uuid NOT NULL,
    sender_id uuid REFERENCES users (id) ON DELETE SET NULL,
    client_id varchar(100),
    content text NOT NULL,
    html text NOT NULL DEFAULT '',
    reactions jsonb NOT NULL DEFAULT '{}',
    edit_count integer NOT NULL DEFAULT 0,
    edited_at timestamptz,
    deleted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, conversation_id, sender_id, client_id),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, conversation_id) REFERENCES conversations (org_id, id) ON DELETE CASCADE
);
CREATE INDEX messages_conversation_seq_idx ON messages (org_id, conversation_id, seq DESC);

CREATE TABLE message_reactions (
    org_id uuid NOT NULL,
    message_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji varchar(32) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, message_id, user_id, emoji),
    FOREIGN KEY (org_id, message_id) REFERENCES messages (org_id, id) ON DELETE CASCADE
);

-- A block is one member's choice about another; either direction stops direct messages.
CREATE TABLE user_blocks (
    org_id uuid NOT NULL,
    blocker_id uuid NOT NULL,
    blocked_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id),
    FOREIGN KEY (org_id, blocker_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);
CREATE INDEX user_blocks_blocked_idx ON user_blocks (org_id, blocked_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON conversations, conversation_participants, messages, message_reactions,
    user_blocks TO community_app;

ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversations FORCE ROW LEVEL SECURITY;
ALTER TABLE conversation_participants ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversation_participants FORCE ROW LEVEL SECURITY;
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages FORCE ROW LEVEL SECURITY;
ALTER TABLE message_reactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_reactions FORCE ROW LEVEL SECURITY;
ALTER TABLE user_blocks ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_blocks FORCE ROW LEVEL SECURITY;

CREATE POLICY conversations_tenant ON conversations
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY conversation_participants_tenant ON conversation_participants
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY messages_tenant ON messages
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY message_reactions_tenant ON message_reactions
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY user_blocks_tenant ON user_blocks
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());

-- /api/me has no tenant context: the signed-in user's unread messages per org where they
-- are an active member, and nothing about anyone else.
CREATE FUNCTION my_unread_messages() RETURNS TABLE (org_id uuid, unread bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$ SELECT p.org_id, count(m.id)
   FROM conversation_participants p
   JOIN memberships ms ON ms.org_id = p.org_id AND ms.user_id = p.user_id AND ms.status = 'active'
   JOIN messages m ON m.org_id = p.org_id AND m.conversation_id = p.conversation_id
        AND m.seq > p.last_read_seq AND m.sender_id IS DISTINCT FROM p.user_id AND m.deleted_at IS NULL
   WHERE p.user_id = app_user_id() AND p.joined_at >= ms.joined_at
   GROUP BY p.org_id $$;
GRANT EXECUTE ON FUNCTION my_unread_messages() TO community_app;

-- New messages notify participants who are not looking at the conversation.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('mention', 'reply', 'watched_forum', 'watched_topic', 'announcement', 'message'));
