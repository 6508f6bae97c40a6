"""Invitations: a 256-bit token, stored only as a hash, single-use, expiring, revocable.

`check_invite`/`check_revoke`/`check_accept` validate, authorize and load through an `access_*`
in the unit of work; `do_invite`/`do_revoke`/`do_accept` only write. Accepting binds the
invitation to its e-mail address and takes a seat in the same transaction as the claim.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import EmailStr, Field

from community.actors.mailer import Mailer
from community.db.pool import Conn, Database
from community.db.queries import invitations, members, orgs
from community.db.queries.invitations import InvitationRow
from community.domain.cursors import next_cursor, time_cursor
from community.domain.errors import ConflictError, ForbiddenError, GoneError, NotFoundError, SeatLimitError
from community.domain.events import Channel, EventType
from community.domain.input import EMAIL_SCHEMA, Body
from community.domain.permissions import Perm, Role, outranks
from community.domain.principal import OrgMember, Principal
from community.handles import Publisher
from community.services.billing import check_joins_open
from community.services.unit import Unit, unit_of_work
from community.services.views import invitation_view, membership_view, org_ref

INVITATION_TTL = timedelta(days=7)
_UNKNOWN = "No such invitation."


class InviteBody(Body):
    email: EmailStr = Field(max_length=320, json_schema_extra=EMAIL_SCHEMA)
    role: Role = Role.MEMBER


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def access_invitation(conn: Conn, actor: OrgMember, invitation_id: UUID, *,
                            lock: bool = False) -> InvitationRow:
    """The only loader of an invitation by id: inviters see their org's, others get the same 404."""
    found = await invitations.get_invitation(conn, actor.org_id, invitation_id, lock=lock)
    if found is None or not actor.can(Perm.INVITE_MEMBERS):
        raise NotFoundError(_UNKNOWN)
    return found


async def access_invitation_token(conn: Conn, token_hash: bytes, *, user_id: UUID | None,
                                  lock: bool = False) -> InvitationRow:
    """The only loader of an invitation by its token: the token is the right to see it (404 if unknown).
    Sets the transaction's org context to the invitation's org."""
    org_id = await invitations.invitation_org(conn, token_hash)
    if org_id is None:
        raise NotFoundError(_UNKNOWN)
    await conn.set_context(org_id=org_id, user_id=user_id)
    found = await invitations.get_invitation_by_hash(conn, token_hash, lock=lock)
    assert found is not None
    return found


async def check_invite(db: Database, publisher: Publisher, mailer: Mailer, actor: OrgMember,
                       data: InviteBody) -> dict[str, Any]:
    actor.require(Perm.INVITE_MEMBERS)
    assert actor.role is not None and actor.user_id is not None
    if data.role is Role.OWNER or outranks(data.role, actor.role):
        raise ForbiddenError("You cannot invite someone above your own role, or as an owner.")
    token = secrets.token_urlsafe(32)
    async with unit_of_work(db, publisher, org_id=actor.org_id, user_id=actor.user_id) as unit:
        row = await do_invite(unit, actor, data, token_hash=hash_token(token))
    _mail_invitation(mailer, actor, row.email, token)
    return {**invitation_view(row), "token": token}


async def do_invite(unit: Unit, actor: OrgMember, data: InviteBody, *, token_hash: bytes) -> InvitationRow:
    assert actor.user_id is not None
    return await invitations.insert_invitation(
        unit.conn, org_id=actor.org_id, email=str(data.email), role=data.role, token_hash=token_hash,
        invited_by=actor.user_id, expires_at=datetime.now(UTC) + INVITATION_TTL)


def _mail_invitation(mailer: Mailer, actor: OrgMember, email: str, token: str) -> None:
    app_url = mailer.settings.next_public_app_url.rstrip("/")
    inviter = actor.principal.display_name if actor.principal else "Someone"
    mailer.send_nowait(email, f"You're invited to {actor.org['name']}", (
        f"{inviter} invited you to join {actor.org['name']} on Community.\n\n"
        f"Accept the invitation: {app_url}/invite/{token}\n\n"
        f"The link works once and expires in {INVITATION_TTL.days} days."))


async def list_invitations(db: Database, actor: OrgMember, *, cursor: str | None,
                           limit: int) -> dict[str, Any]:
    actor.require(Perm.INVITE_MEMBERS)
    before = time_cursor(cursor)
    async with db.transaction(org_id=actor.org_id, user_id=actor.user_id) as conn:
        found = await invitations.list_invitations(conn, actor.org_id, before=before,
                                                   limit=limit + 1)
    page = found[:limit]
    key = (page[-1].created_at, page[-1].id) if page else None
    return {"invitations": [invitation_view(i) for i in page], "next_cursor": next_cursor(found, limit, key)}


async def check_revoke(db: Database, publisher: Publisher, actor: OrgMember, invitation_id: UUID) -> None:
    """Only a pending invitation is revoked; an accepted or revoked one is as unknown as a missing one."""
    actor.require(Perm.INVITE_MEMBERS)
    async with unit_of_work(db, publisher, org_id=actor.org_id, user_id=actor.user_id) as unit:
        found = await access_invitation(unit.conn, actor, invitation_id, lock=True)
        if found.status != "pending":
            raise NotFoundError(_UNKNOWN)
        await do_revoke(unit, actor, found)


async def do_revoke(unit: Unit, actor: OrgMember, found: InvitationRow) -> None:
    await invitations.revoke_invitation(unit.conn, actor.org_id, found.id)


async def lookup_invitation(db: Database, token: str) -> dict[str, Any]:
    """What a holder of the token may know before accepting: which org, which role."""
    async with db.transaction() as conn:
        inv = await access_invitation_token(conn, hash_token(token), user_id=None)
        org = await orgs.get_org(conn, inv.org_id)
    assert org is not None
    _raise_if_unusable(inv)
    return {**invitation_view(inv), "organization": org_ref(org)}


def _raise_if_unusable(inv: InvitationRow) -> None:
    if inv.revoked_at is not None:
        raise GoneError("This invitation was revoked.")
    if inv.accepted_at is not None:
        raise GoneError("This invitation was already used.")
    if inv.expires_at <= datetime.now(UTC):
        raise GoneError("This invitation has expired.")


async def check_accept(db: Database, publisher: Publisher, principal: Principal, token: str) -> dict[str, Any]:
    """The invitation's e-mail must be the caller's; then it must be usable, the caller not yet a member,
    joins open and a seat free. The seats stay locked until the member is counted in."""
    token_hash = hash_token(token)
    async with unit_of_work(db, publisher, org_id=None, user_id=principal.user_id) as unit:
        # Locked: a concurrent accept of the same token waits here, then finds it used.
        inv = await access_invitation_token(unit.conn, token_hash, user_id=principal.user_id, lock=True)
        unit.org_id = inv.org_id
        if inv.email.strip().lower() != principal.email.strip().lower():
            raise ForbiddenError("This invitation was sent to another e-mail address; sign in with that one.",
                                 field="email")
        _raise_if_unusable(inv)
        limit, used = await orgs.lock_org_seats(unit.conn, inv.org_id)
        existing = await members.get_membership(unit.conn, inv.org_id, principal.user_id)
        if existing is not None and existing.is_live:
            raise ConflictError("You are already a member of this organization.")
        await check_joins_open(unit.conn, inv.org_id)
        if limit is not None and used >= limit:
            raise SeatLimitError("This organization has no free seats; an owner can upgrade its plan.")
        return await do_accept(unit, principal, token_hash, inv)


async def do_accept(unit: Unit, principal: Principal, token_hash: bytes, inv: InvitationRow) -> dict[str, Any]:
    """Claims the invitation (single use), joins, recounts the seats and records the join."""
    claimed = await invitations.claim_invitation(unit.conn, token_hash, principal.user_id)
    if claimed is None:  # expired between the check and now (the database's clock)
        raise GoneError("This invitation has expired.")
    await members.join_org(unit.conn, inv.org_id, principal.user_id, role=claimed.role,
                           invited_by=claimed.invited_by)
    await orgs.recount_seats(unit.conn, inv.org_id)
    member = await members.get_membership(unit.conn, inv.org_id, principal.user_id)
    org = await orgs.get_org(unit.conn, inv.org_id)
    assert member is not None and org is not None
    view = membership_view(member, org)
    await unit.record(Channel.org(inv.org_id), EventType.MEMBER_JOINED, {"membership": view})
    return view
