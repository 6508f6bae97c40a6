-- Custom domains are looked up again now and then (the domain checker): a verified domain whose
-- TXT record is gone becomes nobody's, and the org's owners and admins are told.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('mention', 'reply', 'watched_forum', 'watched_topic', 'announcement', 'message',
                    'event_cancelled', 'event_updated', 'event_promoted', 'event_reminder', 'billing_past_due',
                    'integration_disabled', 'domain_unverified'));

CREATE INDEX org_domains_recheck_idx ON org_domains (checked_at) WHERE verified_at IS NOT NULL;

-- The checker's one window through RLS: claim up to `n` verified domains last checked before
-- `checked_before` (oldest first; SKIP LOCKED, so several nodes share them). Claiming stamps
-- `checked_at`, so a claimed domain is not handed out again until it is due again, even when the
-- node that claimed it dies before writing the result. The lookup and the result come after,
-- in the org's own context.
CREATE FUNCTION domain_recheck_claim(checked_before timestamptz, n integer)
RETURNS TABLE (org_id uuid, id uuid, name text, token text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS
$$ UPDATE org_domains d SET checked_at = now()
   FROM (SELECT o.id FROM org_domains o
         WHERE o.verified_at IS NOT NULL AND coalesce(o.checked_at, o.verified_at) < checked_before
         ORDER BY coalesce(o.checked_at, o.verified_at) LIMIT n FOR UPDATE SKIP LOCKED) due
   WHERE d.id = due.id
   RETURNING d.org_id, d.id, d.name::text, d.token::text $$;
GRANT EXECUTE ON FUNCTION domain_recheck_claim(timestamptz, integer) TO community_app;
