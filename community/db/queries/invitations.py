"""Invitations: the token is stored only as its SHA-256."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from community.db.pool import Conn, Record
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class InvitationRow(Row):
    """An invitation as stored (never its token hash)."""

    id: UUID
    org_id: UUID
    email: str
    role: str
    invited_by: UUID | None
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    accepted_by: UUID | None
    revoked_at: datetime | None

    @property
    def status(self) -> str:
        return "accepted" if self.accepted_at else "revoked" if self.revoked_at else "pending"


def _one(record: Record | None) -> InvitationRow | None:
    return InvitationRow.from_record(record) if record is not None else None


_COLUMNS = "id, org_id, email, role, invited_by, created_at, expires_at, accepted_at, accepted_by, revoked_at"
_INSERT = f"""
INSERT INTO invitations (org_id, email, role, token_hash, invited_by, expires_at)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}
"""  # noqa: S608 - column list constant
_BY_HASH = f"SELECT {_COLUMNS} FROM invitations WHERE token_hash = $1"  # noqa: S608
_BY_HASH_FOR_UPDATE = _BY_HASH + " FOR UPDATE"
_GET = f"SELECT {_COLUMNS} FROM invitations WHERE org_id = $1 AND id = $2"  # noqa: S608
_GET_FOR_UPDATE = _GET + " FOR UPDATE"
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
                            invited_by: UUID, expires_at: datetime) -> InvitationRow:
    found = _one(await conn.fetchrow(_INSERT, org_id, email, role, token_hash, invited_by, expires_at))
    assert found is not None
    return found


async def invitation_org(conn: Conn, token_hash: bytes) -> UUID | None:
    result: UUID | None = await conn.fetchval("SELECT invitation_org($1)", token_hash)
    return result


async def get_invitation_by_hash(conn: Conn, token_hash: bytes, *, lock: bool = False) -> InvitationRow | None:
    return _one(await conn.fetchrow(_BY_HASH_FOR_UPDATE if lock else _BY_HASH, token_hash))


async def get_invitation(conn: Conn, org_id: UUID, invitation_id: UUID, *, lock: bool = False) -> InvitationRow | None:
    return _one(await conn.fetchrow(_GET_FOR_UPDATE if lock else _GET, org_id, invitation_id))


async def claim_invitation(conn: Conn, token_hash: bytes, user_id: UUID) -> InvitationRow | None:
    return _one(await conn.fetchrow(_CLAIM, token_hash, user_id))


async def list_invitations(conn: Conn, org_id: UUID, *, before: tuple[datetime, UUID] | None,
                           limit: int) -> list[InvitationRow]:
    created, inv_id = before if before else (None, None)
    return InvitationRow.from_records(await conn.fetch(_LIST, org_id, created, inv_id, limit))


async def revoke_invitation(conn: Conn, org_id: UUID, invitation_id: UUID) -> InvitationRow | None:
    return _one(await conn.fetchrow(_REVOKE, org_id, invitation_id))
