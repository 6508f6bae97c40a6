"""Memberships: who belongs to an org, with what role and status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self
from uuid import UUID

from community.db.pool import Conn, Record, rows
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class MemberRow(Row):
    """A membership as stored, with the member's public profile (and e-mail, for the seat owner's lists)."""

    id: UUID
    org_id: UUID
    user_id: UUID
    role: str
    status: str
    permissions: dict[str, bool]
    joined_at: datetime
    invited_by: UUID | None
    display_name: str
    avatar_url: str | None
    email: str

    @property
    def is_live(self) -> bool:
        """Removed memberships stay as rows (rejoining reuses them) but are nobody's membership."""
        return self.status != "removed"

    @classmethod
    def from_record(cls, record: Record | Mapping[str, Any]) -> Self:
        return cls(**{**dict(record), "permissions": dict(record["permissions"] or {})})

_MEMBER = """
SELECT m.id, m.org_id, m.user_id, m.role, m.status, m.permissions, m.joined_at, m.invited_by,
       u.display_name, u.avatar_url, u.email
FROM memberships m JOIN users u ON u.id = m.user_id
"""
_GET = _MEMBER + "WHERE m.org_id = $1 AND m.user_id = $2"
_JOINED_AT = "SELECT joined_at FROM memberships WHERE org_id = $1 AND user_id = $2"
_LIST = _MEMBER + """
WHERE m.org_id = $1 AND m.status <> 'removed'
  AND ($2::text IS NULL OR m.role = $2) AND ($3::text IS NULL OR m.status = $3)
  AND ($4::timestamptz IS NULL OR (m.joined_at, m.user_id) > ($4, $5))
ORDER BY m.joined_at, m.user_id LIMIT $6
"""
_FOR_USER = """
SELECT o.id, o.slug, o.name, m.role, m.status, m.joined_at
FROM memberships m JOIN organizations o ON o.id = m.org_id
WHERE m.user_id = $1 AND m.status <> 'removed' ORDER BY m.joined_at
"""
# Joining again after removal reuses the row (UNIQUE (org_id, user_id)); a live row blocks.
_JOIN = """
INSERT INTO memberships (org_id, user_id, role, status, invited_by)
VALUES ($1, $2, $3, 'active', $4)
ON CONFLICT (org_id, user_id) DO UPDATE
    SET role = EXCLUDED.role, status = 'active', joined_at = now(), invited_by = EXCLUDED.invited_by,
        permissions = '{}'
    WHERE memberships.status = 'removed'
RETURNING id
"""
_UPDATE = """
UPDATE memberships SET role = coalesce($3, role), status = coalesce($4, status),
    permissions = coalesce($5, permissions)
WHERE org_id = $1 AND user_id = $2 AND status <> 'removed' RETURNING id
"""
_REMOVE = """
UPDATE memberships SET status = 'removed' WHERE org_id = $1 AND user_id = $2 AND status <> 'removed'
RETURNING id
"""
_LOCK_OWNERS = """
SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'owner' AND status <> 'removed' FOR UPDATE
"""


async def get_membership(conn: Conn, org_id: UUID, user_id: UUID) -> MemberRow | None:
    found = await conn.fetchrow(_GET, org_id, user_id)
    return MemberRow.from_record(found) if found is not None else None


async def joined_at(conn: Conn, org_id: UUID, user_id: UUID) -> datetime | None:
    """When a member joined (the posting limit is stricter for new members); None for no membership."""
    found: datetime | None = await conn.fetchval(_JOINED_AT, org_id, user_id)
    return found


async def list_members(conn: Conn, org_id: UUID, *, role: str | None, status: str | None,
                       after: tuple[datetime, UUID] | None, limit: int) -> list[MemberRow]:
    joined, user_id = after if after else (None, None)
    return MemberRow.from_records(await conn.fetch(_LIST, org_id, role, status, joined, user_id, limit))


async def list_user_memberships(conn: Conn, user_id: UUID) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_FOR_USER, user_id))


async def join_org(conn: Conn, org_id: UUID, user_id: UUID, *, role: str, invited_by: UUID | None) -> bool:
    """False when a live membership already exists."""
    return await conn.fetchval(_JOIN, org_id, user_id, role, invited_by) is not None


async def update_membership(conn: Conn, org_id: UUID, user_id: UUID, *, role: str | None = None,
                            status: str | None = None, permissions: dict[str, Any] | None = None) -> bool:
    return await conn.fetchval(_UPDATE, org_id, user_id, role, status, permissions) is not None


async def remove_membership(conn: Conn, org_id: UUID, user_id: UUID) -> bool:
    return await conn.fetchval(_REMOVE, org_id, user_id) is not None


async def lock_owners(conn: Conn, org_id: UUID) -> list[UUID]:
    """The org's owners, locked: "the last owner" checks cannot race each other."""
    return [r["user_id"] for r in await conn.fetch(_LOCK_OWNERS, org_id)]
