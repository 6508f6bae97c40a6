-- Analytics, fast over a year: a range's distinct active members were a distinct count over
-- every (day, member) of it (~27,000 unnested ids for a year at 1,000 members, sorted per period
-- and again joined with the join-month cohorts: 170 ms of EXPLAIN ANALYZE under load). Now each
-- member ever active gets a small number within the org, and each day also keeps its active
-- members as a bitmap over those numbers, so a period's (or a cohort's) distinct members are the
-- OR (AND) of a few hundred byte strings of ~125 bytes and a popcount.
--
-- Numbers are never reused (no foreign key to users: a deleted user's bits stay theirs), and a
-- trigger gives them out and writes the bitmap on every write of `analytics_daily`, whoever writes
-- it (the actor, an operator's recompute, an older node during a rolling deploy).
CREATE TABLE analytics_members (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    n integer NOT NULL CHECK (n >= 0),
    PRIMARY KEY (org_id, user_id),
    UNIQUE (org_id, n)
);

GRANT SELECT, INSERT ON analytics_members TO community_app;
ALTER TABLE analytics_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_members FORCE ROW LEVEL SECURITY;
CREATE POLICY analytics_members_tenant ON analytics_members
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());

-- Bit n is member n: byte n / 8, bit n % 8 counted from the least significant (set_bit's order),
-- which is Python's int.from_bytes(bits, "little").
CREATE FUNCTION analytics_bitmap(ns integer[]) RETURNS bytea LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    bits bytea := decode(repeat('00', coalesce((SELECT max(x) FROM unnest(ns) AS x) / 8 + 1, 0)), 'hex');
    n integer;
BEGIN
    FOREACH n IN ARRAY coalesce(ns, '{}') LOOP
        bits := set_bit(bits, n, 1);
    END LOOP;
    RETURN bits;
END $$;

ALTER TABLE analytics_daily ADD COLUMN active_bits bytea NOT NULL DEFAULT '\x';

-- The per-org advisory lock serialises numbering between writers (two nodes rolling up one org);
-- it is taken before the INSERT's snapshot, so the second writer sees the first one's numbers.
CREATE FUNCTION analytics_daily_bits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('analytics_members:' || NEW.org_id::text, 0));
    INSERT INTO analytics_members (org_id, user_id, n)
    SELECT NEW.org_id, u.id,
           (SELECT coalesce(max(m.n) + 1, 0) FROM analytics_members m WHERE m.org_id = NEW.org_id)
           + (row_number() OVER (ORDER BY u.id))::int - 1
    FROM (SELECT DISTINCT x.id FROM unnest(NEW.active_user_ids) AS x(id)) u
    WHERE NOT EXISTS (SELECT 1 FROM analytics_members m WHERE m.org_id = NEW.org_id AND m.user_id = u.id);
    NEW.active_bits := analytics_bitmap(ARRAY(
        SELECT m.n FROM analytics_members m WHERE m.org_id = NEW.org_id AND m.user_id = ANY (NEW.active_user_ids)));
    RETURN NEW;
END $$;

CREATE TRIGGER analytics_daily_bits BEFORE INSERT OR UPDATE ON analytics_daily
    FOR EACH ROW EXECUTE FUNCTION analytics_daily_bits();

-- The days already rolled up get their numbers and bitmaps.
UPDATE analytics_daily SET active_user_ids = active_user_ids;
