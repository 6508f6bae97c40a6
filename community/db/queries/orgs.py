"""Organizations and their seats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database, Query, Record
from community.db.queries import Row
from community.domain.principal import SessionKey

COLUMNS = ("id, name, slug, description, logo_url, custom_domain, branding, subscription_tier, member_limit, "
           "current_member_count, stripe_customer_id, stripe_subscription_id, is_public, settings, created_at")

COLUMN_NAMES = tuple(c.strip() for c in COLUMNS.split(","))


@dataclass(frozen=True, slots=True)
class OrgRow(Row):
    """An organization as stored. `settings` is the stored JSON as the API answers it; the rules read
    it through `OrgSettings.parse`, once a request, from the caller's context (`OrgMember.settings`)."""

    id: UUID
    name: str
    slug: str
    description: str | None
    logo_url: str | None
    custom_domain: str | None
    branding: dict[str, Any]
    subscription_tier: str
    member_limit: int | None
    current_member_count: int
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    is_public: bool
    settings: dict[str, Any]
    created_at: datetime


def _org(record: Record | None) -> OrgRow | None:
    return OrgRow.from_record(record) if record is not None else None

_REQUEST_CONTEXT = """
SELECT *, org_id AS id, session_revoked($1, $2, $4, $5, $6) AS session_revoked FROM request_context($1, $2, $3)
"""

_INSERT = f"""
INSERT INTO organizations (id, name, slug, description, current_member_count)
VALUES ($1, $2, $3, $4, 1) RETURNING {COLUMNS}
"""  # noqa: S608 - column list constant
_GET = f"SELECT {COLUMNS} FROM organizations WHERE id = $1"  # noqa: S608
_UPDATE = f"""
UPDATE organizations SET
    name = coalesce($2, name), description = CASE WHEN $3 THEN $4 ELSE description END,
    logo_url = CASE WHEN $5 THEN $6 ELSE logo_url END,
    branding = CASE WHEN $7::jsonb IS NULL THEN branding ELSE jsonb_strip_nulls(branding || $7::jsonb) END,
    settings = coalesce($8, settings), custom_domain = CASE WHEN $9 THEN $10 ELSE custom_domain END,
    is_public = coalesce($11, is_public)
WHERE id = $1 RETURNING {COLUMNS}
"""  # noqa: S608
# Seats: one conditional statement, so concurrent joins can never pass the limit.
_TAKE_SEAT = """
UPDATE organizations SET current_member_count = current_member_count + 1
WHERE id = $1 AND (member_limit IS NULL OR current_member_count < member_limit)
RETURNING current_member_count
"""
_FREE_SEAT = "UPDATE organizations SET current_member_count = current_member_count - 1 WHERE id = $1"
# Every change of who holds a seat (join, leave, removal) runs under this row lock and ends with a
# recount, so the counter is exact however many such changes race (a seat is any live membership).
# NO KEY UPDATE: it queues seat changes without blocking the foreign-key checks (KEY SHARE) of
# writers that hold a membership row and append an activity, which would deadlock with FOR UPDATE.
# The count is a second statement: in READ COMMITTED it then sees what the previous holder committed
# (a subquery beside the lock would read the snapshot from before the wait).
_LOCK_SEATS = "SELECT member_limit FROM organizations WHERE id = $1 FOR NO KEY UPDATE"
_COUNT_SEATS = "SELECT count(*) FROM memberships WHERE org_id = $1 AND status <> 'removed'"
_RECOUNT_SEATS = """
UPDATE organizations SET current_member_count =
    (SELECT count(*) FROM memberships WHERE org_id = $1 AND status <> 'removed')
WHERE id = $1 RETURNING current_member_count
"""
_SET_TIER = f"""
UPDATE organizations SET subscription_tier = $2, member_limit = $3 WHERE id = $1 RETURNING {COLUMNS}
"""  # noqa: S608


def request_context_query(*, user_id: UUID | None, subject: str | None, ref: str,
                          session: SessionKey | None = None) -> Query:
    """`session` (token hash, generation, issued at) also asks whether the token was signed out."""
    return Query("fetchrow", _REQUEST_CONTEXT, (user_id, subject, ref, *(session or (None, None, None))))


async def request_context(db: Database, *, user_id: UUID | None, subject: str | None, ref: str,
                          session: SessionKey | None = None) -> dict[str, Any]:
    record = await db.fetchrow_once(_REQUEST_CONTEXT, user_id, subject, ref, *(session or (None, None, None)),
                                    invalidates=False)  # a read
    assert record is not None
    return dict(record)


async def insert_org(conn: Conn, *, org_id: UUID, name: str, slug: str, description: str | None) -> OrgRow:
    record = await conn.fetchrow(_INSERT, org_id, name, slug, description)
    assert record is not None
    return OrgRow.from_record(record)


async def get_org(conn: Conn, org_id: UUID) -> OrgRow | None:
    return _org(await conn.fetchrow(_GET, org_id))


async def resolve_org(conn: Conn, ref: str) -> UUID | None:
    result: UUID | None = await conn.fetchval("SELECT resolve_org($1)", ref)
    return result


async def slug_taken(conn: Conn, slug: str) -> bool:
    return bool(await conn.fetchval("SELECT org_slug_taken($1)", slug))


async def update_org(conn: Conn, org_id: UUID, changes: dict[str, Any]) -> OrgRow | None:
    return _org(await conn.fetchrow(
        _UPDATE, org_id, changes.get("name"), "description" in changes, changes.get("description"),
        "logo_url" in changes, changes.get("logo_url"), changes.get("branding"), changes.get("settings"),
        "custom_domain" in changes, changes.get("custom_domain"), changes.get("is_public")))


async def lock_logo_url(conn: Conn, org_id: UUID) -> str | None:
    """The org's logo URL now, its row locked until the transaction ends (a logo change replaces it)."""
    url: str | None = await conn.fetchval("SELECT logo_url FROM organizations WHERE id = $1 FOR UPDATE", org_id)
    return url


async def delete_org(conn: Conn, org_id: UUID) -> bool:
    return await conn.execute("DELETE FROM organizations WHERE id = $1", org_id) == "DELETE 1"


async def take_seat(conn: Conn, org_id: UUID) -> bool:
    return await conn.fetchval(_TAKE_SEAT, org_id) is not None


async def free_seat(conn: Conn, org_id: UUID) -> None:
    await conn.execute(_FREE_SEAT, org_id)


async def lock_org_seats(conn: Conn, org_id: UUID) -> tuple[int | None, int]:
    """(member_limit, seats used, counted), with the org row locked until the transaction ends."""
    record = await conn.fetchrow(_LOCK_SEATS, org_id)
    assert record is not None
    used: int = await conn.fetchval(_COUNT_SEATS, org_id)
    return record["member_limit"], used


async def recount_seats(conn: Conn, org_id: UUID) -> int:
    count: int = await conn.fetchval(_RECOUNT_SEATS, org_id)
    return count


async def set_tier(conn: Conn, org_id: UUID, *, tier: str, member_limit: int | None) -> OrgRow | None:
    return _org(await conn.fetchrow(_SET_TIER, org_id, tier, member_limit))
