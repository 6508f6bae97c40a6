-- State that every node must share: rate-limit windows and the keys that sign built-in tokens.
-- (Neither is an org table: a limit's key names its own scope, and keys serve every org.)

-- One row per counted hit; `key_hash` is SHA-256 of the limit's key (an e-mail, an address),
-- so the table never holds what it counts.
CREATE TABLE rate_limit_hits (
    key_hash bytea NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX rate_limit_hits_key_idx ON rate_limit_hits (key_hash, at);
CREATE INDEX rate_limit_hits_at_idx ON rate_limit_hits (at);

-- A sliding window, exact across nodes: hits on one key are serialised by a transaction-scoped
-- advisory lock. Returns NULL when under `lim` (and counts the hit when `record`), else the
-- seconds until the oldest hit that keeps the key at its limit leaves the window.
CREATE FUNCTION rate_limit_hit(k bytea, lim integer, window_s double precision, record boolean)
RETURNS double precision LANGUAGE plpgsql AS
$$
DECLARE
    now_ts timestamptz := clock_timestamp();
    since timestamptz := clock_timestamp() - make_interval(secs => window_s);
    n integer;
    pivot timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(('x' || encode(substring(k FROM 1 FOR 8), 'hex'))::bit(64)::bigint);
    DELETE FROM rate_limit_hits WHERE key_hash = k AND at <= since;
    IF random() < 0.001 THEN  -- keys nobody hits again: windows are at most a day
        DELETE FROM rate_limit_hits WHERE at < now_ts - interval '1 day';
    END IF;
    SELECT count(*) INTO n FROM rate_limit_hits WHERE key_hash = k;
    IF n >= lim THEN
        SELECT at INTO pivot FROM rate_limit_hits WHERE key_hash = k ORDER BY at OFFSET n - lim LIMIT 1;
        RETURN greatest(extract(epoch FROM pivot + make_interval(secs => window_s) - now_ts), 0.001);
    END IF;
    IF record THEN
        INSERT INTO rate_limit_hits (key_hash, at) VALUES (k, now_ts);
    END IF;
    RETURN NULL;
END
$$;

GRANT SELECT, INSERT, DELETE ON rate_limit_hits TO community_app;
GRANT EXECUTE ON FUNCTION rate_limit_hit(bytea, integer, double precision, boolean) TO community_app;

-- Token signing keys, newest first is current. Only the schema owner (boot, `community keys
-- rotate`) reads the private half; the app role sees public keys, to verify a key another node
-- made after this one booted.
CREATE TABLE signing_keys (
    kid text PRIMARY KEY,
    private_pem text NOT NULL,
    public_jwk jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX signing_keys_created_idx ON signing_keys (created_at DESC);
GRANT SELECT (kid, public_jwk, created_at) ON signing_keys TO community_app;
