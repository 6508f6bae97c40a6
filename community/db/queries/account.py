"""Accounts: profile changes, mailed single-use tokens (stored as SHA-256), and signed-out sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from community.db.pool import Conn, Record
from community.db.queries import Row
from community.db.queries.users import COLUMNS, UserRow


@dataclass(frozen=True, slots=True)
class AccountTokenRow(Row):
    """A mailed link's token as stored (its hash is what found it, so it is not read back)."""

    id: UUID
    user_id: UUID
    purpose: str
    email: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


def _user(record: Record | None) -> UserRow | None:
    return UserRow.from_record(record) if record is not None else None


_UPDATE_PROFILE = f"""
UPDATE users SET display_name = coalesce($2, display_name),
                 avatar_url = CASE WHEN $3 THEN $4 ELSE avatar_url END
WHERE id = $1 RETURNING {COLUMNS}
"""  # noqa: S608 - column list constant
_PASSWORD_HASH = "SELECT password_hash FROM users WHERE id = $1"  # noqa: S105 - SQL, not a secret
# A new password, or "sign out everywhere": every earlier session ends, on every node.
_NEW_GENERATION = f"""
UPDATE users SET password_hash = coalesce($2, password_hash),
                 session_generation = session_generation + 1, tokens_valid_after = now()
WHERE id = $1 RETURNING {COLUMNS}
"""  # noqa: S608
_MARK_VERIFIED = f"""
UPDATE users SET email_verified_at = coalesce(email_verified_at, now())
WHERE id = $1 AND lower(email) = lower($2) RETURNING {COLUMNS}
"""  # noqa: S608
_INSERT_TOKEN = """
INSERT INTO account_tokens (user_id, purpose, token_hash, email, expires_at) VALUES ($1, $2, $3, $4, $5)
"""  # noqa: S105 - SQL, not a secret
# Locked, so two concurrent uses of one link cannot both succeed.
_TOKEN_BY_HASH = """
SELECT id, user_id, purpose, email, created_at, expires_at, used_at FROM account_tokens
WHERE token_hash = $1 AND purpose = $2 FOR UPDATE
"""  # noqa: S105 - SQL, not a secret
_USE_TOKENS = "UPDATE account_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL"
_REVOKE = """
INSERT INTO revoked_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
"""
_PRUNE_REVOKED = "DELETE FROM revoked_tokens WHERE expires_at < now() - interval '1 minute'"
_SESSION_REVOKED = "SELECT session_revoked($1, $2, $3, $4, $5)"


async def update_profile(conn: Conn, user_id: UUID, *, display_name: str | None, avatar_set: bool,
                         avatar_url: str | None) -> UserRow | None:
    return _user(await conn.fetchrow(_UPDATE_PROFILE, user_id, display_name, avatar_set, avatar_url))


async def get_password_hash(conn: Conn, user_id: UUID) -> str | None:
    found: str | None = await conn.fetchval(_PASSWORD_HASH, user_id)
    return found


async def new_session_generation(conn: Conn, user_id: UUID, *, password_hash: str | None = None) -> UserRow:
    record = await conn.fetchrow(_NEW_GENERATION, user_id, password_hash)
    assert record is not None
    return UserRow.from_record(record)


async def mark_email_verified(conn: Conn, user_id: UUID, email: str) -> UserRow | None:
    return _user(await conn.fetchrow(_MARK_VERIFIED, user_id, email))


async def insert_account_token(conn: Conn, *, user_id: UUID, purpose: str, token_hash: bytes, email: str,
                               expires_at: datetime) -> None:
    await conn.execute(_INSERT_TOKEN, user_id, purpose, token_hash, email, expires_at)


async def lock_account_token(conn: Conn, token_hash: bytes, purpose: str) -> AccountTokenRow | None:
    record = await conn.fetchrow(_TOKEN_BY_HASH, token_hash, purpose)
    return AccountTokenRow.from_record(record) if record is not None else None


async def use_account_tokens(conn: Conn, user_id: UUID, purpose: str) -> None:
    await conn.execute(_USE_TOKENS, user_id, purpose)


async def revoke_token(conn: Conn, *, token_hash: bytes, user_id: UUID, expires_at: datetime) -> None:
    await conn.execute(_PRUNE_REVOKED)
    await conn.execute(_REVOKE, token_hash, user_id, expires_at)


async def session_revoked(conn: Conn, *, user_id: UUID | None, subject: str | None, token_hash: bytes,
                          generation: int | None, issued_at: datetime | None) -> bool:
    return bool(await conn.fetchval(_SESSION_REVOKED, user_id, subject, token_hash, generation, issued_at))
