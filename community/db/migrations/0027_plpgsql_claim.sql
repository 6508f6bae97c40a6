-- The deliverer claims after every commit that carried activities, integrations or not (issue 12,
-- "make that cheap"). integration_claim was a SQL function with SECURITY DEFINER and SET search_path,
-- which PostgreSQL (before 18) plans again on every call (see 0026); in PL/pgSQL its plans are kept per
-- connection, and when nothing is due (the common case) it answers after one probe of the partial
-- index integration_deliveries_due_idx, without the window query and the UPDATE. Same signature,
-- result and grant.

CREATE OR REPLACE FUNCTION integration_claim(n integer, per_org integer, lease interval)
RETURNS TABLE (org_id uuid, id uuid) LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
#variable_conflict use_column
BEGIN
    IF NOT EXISTS (SELECT 1 FROM integration_deliveries d
                   WHERE d.status = 'pending' AND d.next_attempt_at <= now()
                     AND (d.claimed_until IS NULL OR d.claimed_until < now())) THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH locked AS (
        SELECT d.org_id, d.id, d.next_attempt_at FROM integration_deliveries d
        WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND (d.claimed_until IS NULL OR d.claimed_until < now())
        ORDER BY d.next_attempt_at LIMIT n * 4 FOR UPDATE SKIP LOCKED
    ), inflight AS (
        SELECT f.org_id, count(*) AS c FROM integration_deliveries f
        WHERE f.status = 'pending' AND f.claimed_until >= now() GROUP BY f.org_id
    ), ranked AS (
        SELECT l.org_id, l.id, l.next_attempt_at,
               row_number() OVER (PARTITION BY l.org_id ORDER BY l.next_attempt_at, l.id) + coalesce(i.c, 0) AS slot
        FROM locked l LEFT JOIN inflight i ON i.org_id = l.org_id
    ), chosen AS (
        SELECT r.org_id, r.id FROM ranked r WHERE r.slot <= per_org ORDER BY r.next_attempt_at LIMIT n
    )
    UPDATE integration_deliveries d SET claimed_until = now() + lease, attempts = d.attempts + 1, last_attempt_at = now()
    FROM chosen c WHERE d.org_id = c.org_id AND d.id = c.id
    RETURNING d.org_id, d.id;
END
$$;
