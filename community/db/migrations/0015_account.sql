-- Accounts: verified e-mail, single-use mailed tokens (password reset, e-mail verification),
-- and server-side sign-out (one token, or every session of a user), checked on every request.

ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
-- "Sign out everywhere": built-in tokens carry the generation they were issued under
-- (claim `gen`) and stop working when it moves on; Auth0 tokens issued before
-- `tokens_valid_after` stop working too. Both are read with the caller, so every node agrees.
ALTER TABLE users ADD COLUMN session_generation integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN tokens_valid_after timestamptz;

CREATE TABLE account_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose varchar(20) NOT NULL CHECK (purpose IN ('password_reset', 'email_verification')),
    token_hash bytea NOT NULL UNIQUE,           -- sha256 of the token; the token itself is only mailed
    email varchar(320) NOT NULL,                -- the address it was sent to
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose, created_at DESC);

-- Signed-out tokens (sha256 of the token) until they would have expired anyway.
CREATE TABLE revoked_tokens (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expiry_idx ON revoked_tokens (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON account_tokens, revoked_tokens TO community_app;

-- Whether this token's session is over: signed out, or issued before "sign out everywhere".
-- One index probe each; called in the same statement as request_context().
CREATE FUNCTION session_revoked(p_user uuid, p_subject text, p_token_hash bytea, p_generation integer,
                                p_issued_at timestamptz) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE token_hash = p_token_hash)
        OR EXISTS (SELECT 1 FROM users
                   WHERE ((p_user IS NOT NULL AND id = p_user) OR (p_subject IS NOT NULL AND auth_subject = p_subject))
                     AND (session_generation <> p_generation
                          OR (p_issued_at IS NOT NULL AND tokens_valid_after IS NOT NULL
                              AND p_issued_at < tokens_valid_after)))
$$;
GRANT EXECUTE ON FUNCTION session_revoked(uuid, text, bytea, integer, timestamptz) TO community_app;
