"""Custom domains: the one an org asked for (org_domains) and the verified one it holds
(organizations.custom_domain, the column every Host / Origin lookup reads)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database, Record, row
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class DomainRow(Row):
    """The domain an org asked for, its TXT challenge token and its last check."""

    id: UUID
    org_id: UUID
    name: str
    token: str
    verified_at: datetime | None
    checked_at: datetime | None
    check_result: str | None
    check_detail: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RecheckRow(Row):
    """A verified domain due for another look, as `domain_recheck_claim` answers it."""

    org_id: UUID
    id: UUID
    name: str
    token: str


def _domain(record: Record | None) -> DomainRow | None:
    return DomainRow.from_record(record) if record is not None else None


_COLUMNS = "id, org_id, name, token, verified_at, checked_at, check_result, check_detail, created_at"
_GET = f"SELECT {_COLUMNS} FROM org_domains WHERE org_id = $1"  # noqa: S608 - column list constant
_GET_FOR_UPDATE = f"SELECT {_COLUMNS} FROM org_domains WHERE org_id = $1 FOR UPDATE"  # noqa: S608
# Asking again for the same name keeps its token (a record already published stays valid);
# a new name starts over, unverified, with a new token.
_PUT = f"""
INSERT INTO org_domains (org_id, name, token) VALUES ($1, $2, $3)
ON CONFLICT (org_id) DO UPDATE SET
    name = excluded.name, token = excluded.token, verified_at = NULL, checked_at = NULL,
    check_result = NULL, check_detail = NULL, created_at = now()
WHERE org_domains.name <> excluded.name
RETURNING {_COLUMNS}
"""  # noqa: S608
_CHECKED = f"""
UPDATE org_domains SET checked_at = now(), check_result = $3::text, check_detail = $4,
    verified_at = CASE WHEN $3::text = 'verified' THEN coalesce(verified_at, now()) ELSE verified_at END
WHERE org_id = $1 AND id = $2 RETURNING {_COLUMNS}
"""  # noqa: S608
_UNVERIFY = f"""
UPDATE org_domains SET verified_at = NULL, checked_at = now(), check_result = $3::text, check_detail = $4
WHERE org_id = $1 AND id = $2 AND verified_at IS NOT NULL RETURNING {_COLUMNS}
"""  # noqa: S608
_CLAIM_RECHECKS = "SELECT org_id, id, name, token FROM domain_recheck_claim($1, $2)"
_ADMINS = "SELECT user_id FROM memberships WHERE org_id = $1 AND role IN ('owner', 'admin') AND status = 'active'"
_DELETE = "DELETE FROM org_domains WHERE org_id = $1"
_SET_ORG_DOMAIN = "UPDATE organizations SET custom_domain = $2 WHERE id = $1 AND custom_domain IS DISTINCT FROM $2"
_ORG_FOR_DOMAIN = "SELECT id, slug, name, logo_url, branding, custom_domain FROM org_for_domain($1)"
_VERIFIED_ELSEWHERE = "SELECT domain_verified_elsewhere($1, $2)"


async def get_domain(conn: Conn, org_id: UUID, *, for_update: bool = False) -> DomainRow | None:
    return _domain(await conn.fetchrow(_GET_FOR_UPDATE if for_update else _GET, org_id))


async def put_domain(conn: Conn, org_id: UUID, name: str, token: str) -> DomainRow | None:
    """The new request for `name`; None when the org already asked for exactly that name."""
    return _domain(await conn.fetchrow(_PUT, org_id, name, token))


async def record_check(conn: Conn, org_id: UUID, domain_id: UUID, result: str, detail: str) -> DomainRow:
    found = await conn.fetchrow(_CHECKED, org_id, domain_id, result, detail[:500])
    assert found is not None
    return DomainRow.from_record(found)


async def unverify(conn: Conn, org_id: UUID, domain_id: UUID, result: str, detail: str) -> DomainRow | None:
    """Take a verified domain back to pending; None when it was not (or no longer) verified."""
    return _domain(await conn.fetchrow(_UNVERIFY, org_id, domain_id, result, detail[:500]))


async def claim_rechecks(conn: Conn, checked_before: datetime, n: int) -> list[RecheckRow]:
    """Verified domains of any org due for another look (stamped as checked now)."""
    return RecheckRow.from_records(await conn.fetch(_CLAIM_RECHECKS, checked_before, n))


async def list_admins(conn: Conn, org_id: UUID) -> list[UUID]:
    return [r["user_id"] for r in await conn.fetch(_ADMINS, org_id)]


async def delete_domain(conn: Conn, org_id: UUID) -> bool:
    return await conn.execute(_DELETE, org_id) == "DELETE 1"


async def set_org_domain(conn: Conn, org_id: UUID, name: str | None) -> bool:
    """Point the org's routing at its verified domain (or none); whether that changed anything."""
    return await conn.execute(_SET_ORG_DOMAIN, org_id, name) == "UPDATE 1"


async def verified_elsewhere(conn: Conn, name: str, org_id: UUID) -> bool:
    return bool(await conn.fetchval(_VERIFIED_ELSEWHERE, name, org_id))


async def org_for_domain(db: Database, host: str) -> dict[str, Any] | None:
    """The org whose verified domain `host` is (no tenant context: the same as a public org card)."""
    return row(await db.fetchrow_once(_ORG_FOR_DOMAIN, host, invalidates=False))
