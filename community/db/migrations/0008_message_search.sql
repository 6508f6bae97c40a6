-- Messages in search: a `message` document per live message, scoped to its conversation.
-- Who may see one is decided at query time by the participant rule (the one conversations
-- use), so leaving or being removed needs nothing here. What must leave at once does so
-- synchronously: a deleted or soft-deleted message, and every message of a deleted conversation
-- (the cascade from `conversations` deletes its messages row by row, firing the trigger below).

CREATE FUNCTION search_enqueue_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE org_id = OLD.org_id AND id = OLD.id;
        RETURN NULL;
    END IF;
    IF NEW.deleted_at IS NOT NULL THEN
        DELETE FROM search_documents WHERE org_id = NEW.org_id AND id = NEW.id;
    END IF;
    INSERT INTO search_queue (org_id, kind, id) VALUES (NEW.org_id, 'message', NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER search_messages_insert AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION search_enqueue_message();
CREATE TRIGGER search_messages_update AFTER UPDATE OF content, deleted_at ON messages
    FOR EACH ROW WHEN (OLD.content IS DISTINCT FROM NEW.content OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION search_enqueue_message();
CREATE TRIGGER search_messages_delete AFTER DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION search_enqueue_message();
