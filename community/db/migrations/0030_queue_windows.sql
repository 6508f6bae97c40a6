-- The queue workers' windows through RLS run after commits (issue 12, "Writes"): the indexer and the
-- notification writer ask them at every wake-up, most often to hear that nothing is queued. As SQL
-- functions with SECURITY DEFINER and SET search_path PostgreSQL plans their bodies again on every call
-- (see 0026); in PL/pgSQL the plans are kept per connection. Same signatures, results and grants.

CREATE OR REPLACE FUNCTION search_pending_orgs(kinds text[], n integer) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
BEGIN
    RETURN QUERY SELECT DISTINCT q.org_id
                 FROM (SELECT s.org_id FROM search_queue s WHERE s.kind = ANY (kinds) ORDER BY s.seq LIMIT n) q;
END
$$;

CREATE OR REPLACE FUNCTION notification_pending_orgs(n integer) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
BEGIN
    RETURN QUERY SELECT DISTINCT q.org_id
                 FROM (SELECT nq.org_id FROM notification_queue nq ORDER BY nq.queued_at LIMIT n) q;
END
$$;
