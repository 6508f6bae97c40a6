"""Users: global identities (not org-scoped)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from community.db.pool import Conn, FromContext, Query
from community.db.queries import Row

COLUMNS = ("id, email, display_name, avatar_url, auth_subject, created_at, email_verified_at, session_generation")


@dataclass(frozen=True, slots=True)
class UserRow(Row):
    """A user as `COLUMNS` reads it (never the password hash)."""

    id: UUID
    email: str
    display_name: str
    avatar_url: str | None
    auth_subject: str | None
    created_at: datetime
    email_verified_at: datetime | None
    session_generation: int


@dataclass(frozen=True, slots=True)
class UserLoginRow(UserRow):
    """A user as sign-in reads them: `COLUMNS` and the password hash (None for Auth0 accounts), kept out
    of the repr so a logged row never shows it."""

    password_hash: str | None = field(repr=False)


_INSERT = f"""
INSERT INTO users (email, display_name, password_hash, auth_subject)
VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}
"""  # noqa: S608 - column list constant
_BY_ID = f"SELECT {COLUMNS} FROM users WHERE id = $1"  # noqa: S608
_BY_EMAIL = f"SELECT {COLUMNS}, password_hash FROM users WHERE lower(email) = lower($1)"  # noqa: S608
_BY_SUBJECT = f"SELECT {COLUMNS} FROM users WHERE auth_subject = $1"  # noqa: S608
_PROVISION = f"""
INSERT INTO users (email, display_name, auth_subject) VALUES ($1, $2, $3)
ON CONFLICT (auth_subject) DO UPDATE SET auth_subject = EXCLUDED.auth_subject
RETURNING {COLUMNS}
"""  # noqa: S608


async def insert_user(conn: Conn, *, email: str, display_name: str, password_hash: str | None,
                      auth_subject: str | None = None) -> UserRow:
    record = await conn.fetchrow(_INSERT, email, display_name, password_hash, auth_subject)
    assert record is not None
    return UserRow.from_record(record)


async def get_user(conn: Conn, user_id: UUID) -> UserRow | None:
    record = await conn.fetchrow(_BY_ID, user_id)
    return UserRow.from_record(record) if record is not None else None


async def get_user_by_email(conn: Conn, email: str) -> UserLoginRow | None:
    record = await conn.fetchrow(_BY_EMAIL, email)
    return UserLoginRow.from_record(record) if record is not None else None


async def get_user_by_subject(conn: Conn, subject: str) -> UserRow | None:
    record = await conn.fetchrow(_BY_SUBJECT, subject)
    return UserRow.from_record(record) if record is not None else None


async def provision_user(conn: Conn, *, subject: str, email: str, display_name: str) -> UserRow:
    record = await conn.fetchrow(_PROVISION, email, display_name, subject)
    assert record is not None
    return UserRow.from_record(record)


# A write's tenant (the context statement of Database.read_in_context), when the caller is known.
_TENANT = "SELECT $1::uuid AS org_id, $2::uuid AS user_id"
# The author as a view shows them, and the database's clock (the write that follows stamps its rows with it).
_AUTHOR = "SELECT u.display_name, u.avatar_url, statement_timestamp() AS now FROM users u WHERE u.id = $1"


def tenant_query(org_id: UUID, user_id: UUID | None) -> Query:
    return Query("fetchrow", _TENANT, (org_id, user_id))


def author_query(user_id: UUID | FromContext) -> Query:
    return Query("fetchrow", _AUTHOR, (user_id,))
