"""Invitations: the token is stored only as its SHA-256."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn, row, rows

_COLUMNS = "id, org_id, email, role, invited_by, created_at, expires_at, accepted_at, accepted_by, revoked_at"
_INSERT = f"""
INSERT INTO invitations (org_id, email, role, token_hash, invited_by, expires_at)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}
"""  # noqa: S608 - column list constant
_BY_HASH = f"SELECT {_COLUMNS} FROM invitations WHERE token_hash = $1"  # noqa: S608
# Single use even under concurrent accepts: the second waits on the row lock, then matches nothing.
_CLAIM = f"""
UPDATE invitations SET accepted_at = now(), accepted_by = $2
WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
RETURNING {_COLUMNS}
"""  # noqa: S608
_LIST = f"""
SELECT {_COLUMNS} FROM invitations WHERE org_id = $1
  AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
ORDER BY created_at DESC, id DESC LIMIT $4
"""  # noqa: S608
_REVOKE = f"""
UPDATE invitations SET revoked_at = now() WHERE org_id = $1 AND id = $2 AND accepted_at IS NULL
    AND revoked_at IS NULL RETURNING {_COLUMNS}
"""  # noqa: S608


async def insert_invitation(conn: Conn, *, org_id: UUID, email: str, role: str, token_hash: bytes,
                            invited_by: UUID, expires_at: datetime) -> dict[str, Any]:
    record = row(await conn.fetchrow(_INSERT, org_id, email, role, token_hash, invited_by, expires_at))
    assert record is not None
    return record


async def invitation_org(conn: Conn, token_hash: bytes) -> UUID | None:
    result: UUID | None = await conn.fetchval("SELECT invitation_org($1)", token_hash)
    return result


async def get_invitation_by_hash(conn: Conn, token_hash: bytes) -> dict[str, Any] | None:
    return row(await conn.fetchrow(_BY_HASH, token_hash))


async def claim_invitation(conn: Conn, token_hash: bytes, user_id: UUID) -> dict[str, Any] | None:
    return row(await conn.fetchrow(_CLAIM, token_hash, user_id))


async def list_invitations(conn: Conn, org_id: UUID, *, before: tuple[datetime, UUID] | None,
                           limit: int) -> list[dict[str, Any]]:
    created, inv_id = before if before else (None, None)
    return rows(await conn.fetch(_LIST, org_id, created, inv_id, limit))


async def revoke_invitation(conn: Conn, org_id: UUID, invitation_id: UUID) -> dict[str, Any] | None:
    return row(await conn.fetchrow(_REVOKE, org_id, invitation_id))
