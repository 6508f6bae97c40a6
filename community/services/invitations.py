"""Invitations: a 256-bit token, stored only as a hash, single-use, expiring, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from community.actors.mailer import Mailer
from community.db.pool import Database
from community.db.queries import invitations, members, orgs
from community.domain.cursors import next_cursor, time_cursor
from community.domain.errors import ConflictError, ForbiddenError, GoneError, NotFoundError, SeatLimitError
from community.domain.events import Channel, EventType
from community.domain.permissions import Perm, Role, outranks
from community.domain.principal import OrgMember, Principal
from community.handles import Publisher
from community.services.billing import check_joins_open
from community.services.unit import unit_of_work
from community.services.views import invitation_view, membership_view, org_ref

INVITATION_TTL = timedelta(days=7)
_UNKNOWN = "No such invitation."


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def do_invite(db: Database, publisher: Publisher, mailer: Mailer, actor: OrgMember, *, email: str,
                    role: Role) -> dict[str, Any]:
    actor.require(Perm.INVITE_MEMBERS)
    assert actor.role is not None and actor.user_id is not None
    if role is Role.OWNER or outranks(role, actor.role):
        raise ForbiddenError("You cannot invite someone above your own role, or as an owner.")
    token = secrets.token_urlsafe(32)
    async with unit_of_work(db, publisher, org_id=actor.org_id, user_id=actor.user_id) as unit:
        row = await invitations.insert_invitation(
            unit.conn, org_id=actor.org_id, email=email, role=role, token_hash=hash_token(token),
            invited_by=actor.user_id, expires_at=datetime.now(UTC) + INVITATION_TTL)
    _mail_invitation(mailer, actor, email, token)
    return {**invitation_view(row), "token": token}


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
    key = (page[-1]["created_at"], page[-1]["id"]) if page else None
    return {"invitations": [invitation_view(i) for i in page], "next_cursor": next_cursor(found, limit, key)}


async def do_revoke(db: Database, actor: OrgMember, invitation_id: UUID) -> None:
    actor.require(Perm.INVITE_MEMBERS)
    async with db.transaction(org_id=actor.org_id, user_id=actor.user_id) as conn:
        if await invitations.revoke_invitation(conn, actor.org_id, invitation_id) is None:
            raise NotFoundError(_UNKNOWN)


async def lookup_invitation(db: Database, token: str) -> dict[str, Any]:
    """What a holder of the token may know before accepting: which org, which role."""
    token_hash = hash_token(token)
    async with db.transaction() as conn:
        org_id = await invitations.invitation_org(conn, token_hash)
        if org_id is None:
            raise NotFoundError(_UNKNOWN)
        await conn.set_context(org_id=org_id, user_id=None)
        inv = await invitations.get_invitation_by_hash(conn, token_hash)
        org = await orgs.get_org(conn, org_id)
    assert inv is not None and org is not None
    _raise_if_unusable(inv)
    return {**invitation_view(inv), "organization": org_ref(org)}


def _raise_if_unusable(inv: dict[str, Any]) -> None:
    if inv["revoked_at"] is not None:
        raise GoneError("This invitation was revoked.")
    if inv["accepted_at"] is not None:
        raise GoneError("This invitation was already used.")
    if inv["expires_at"] <= datetime.now(UTC):
        raise GoneError("This invitation has expired.")


async def do_accept(db: Database, publisher: Publisher, principal: Principal, token: str) -> dict[str, Any]:
    token_hash = hash_token(token)
    async with unit_of_work(db, publisher, org_id=None, user_id=principal.user_id) as unit:
        org_id = await invitations.invitation_org(unit.conn, token_hash)
        if org_id is None:
            raise NotFoundError(_UNKNOWN)
        await unit.conn.set_context(org_id=org_id, user_id=principal.user_id)
        unit.org_id = org_id
        invited = await invitations.get_invitation_by_hash(unit.conn, token_hash)
        assert invited is not None
        if invited["email"].strip().lower() != principal.email.strip().lower():
            raise ForbiddenError("This invitation was sent to another e-mail address; sign in with that one.",
                                 field="email")
        inv = await invitations.claim_invitation(unit.conn, token_hash, principal.user_id)
        if inv is None:
            found = await invitations.get_invitation_by_hash(unit.conn, token_hash)
            assert found is not None
            _raise_if_unusable(found)
            raise GoneError("This invitation is no longer valid.")
        limit, used = await orgs.lock_org_seats(unit.conn, org_id)
        existing = await members.get_membership(unit.conn, org_id, principal.user_id)
        if existing is not None and existing.is_live:
            raise ConflictError("You are already a member of this organization.")
        await check_joins_open(unit.conn, org_id)
        if limit is not None and used >= limit:
            raise SeatLimitError("This organization has no free seats; an owner can upgrade its plan.")
        await members.join_org(unit.conn, org_id, principal.user_id, role=inv["role"], invited_by=inv["invited_by"])
        await orgs.recount_seats(unit.conn, org_id)
        member = await members.get_membership(unit.conn, org_id, principal.user_id)
        org = await orgs.get_org(unit.conn, org_id)
        assert member is not None and org is not None
        view = membership_view(member, org)
        await unit.record(Channel.org(org_id), EventType.MEMBER_JOINED, {"membership": view})
    return view
