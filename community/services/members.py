"""Members: list, change role or status, remove — with the role rules in one place."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database
from community.db.queries import members, orgs
from community.domain.cursors import next_cursor, time_cursor
from community.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationFailedError
from community.domain.events import Channel, EventType
from community.domain.permissions import Perm, Role, outranks, valid_overrides
from community.domain.principal import OrgMember
from community.handles import Publisher
from community.services.moderators import check_member_in_scope
from community.services.unit import unit_of_work
from community.services.views import member_view, membership_view

_NO_MEMBER = "No such member."


async def list_members(db: Database, member: OrgMember, *, role: str | None, status: str | None,
                       cursor: str | None, limit: int) -> dict[str, Any]:
    member.require(Perm.LIST_MEMBERS)
    after = time_cursor(cursor)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        found = await members.list_members(conn, member.org_id, role=role, status=status,
                                           after=after,
                                           limit=limit + 1)
    page = found[:limit]
    key = (page[-1]["joined_at"], page[-1]["user_id"]) if page else None
    return {"members": [member_view(m) for m in page], "next_cursor": next_cursor(found, limit, key)}


async def do_update_member(db: Database, publisher: Publisher, actor: OrgMember, user_id: UUID, *, role: Role | None,
                           status: str | None, permissions: dict[str, Any] | None) -> dict[str, Any]:
    if permissions is not None and (bad := valid_overrides(permissions)):
        raise ValidationFailedError("unknown permissions", [
            {"loc": ["body", "permissions", key], "msg": "not a grantable permission"} for key in bad])
    async with unit_of_work(db, publisher, org_id=actor.org_id, user_id=actor.user_id) as unit:
        target = await _live_member(unit.conn, actor.org_id, user_id)
        await _check_update(unit.conn, actor, target, role=role, status=status, permissions=permissions)
        await members.update_membership(unit.conn, actor.org_id, user_id, role=role, status=status,
                                        permissions=permissions)
        updated = await _live_member(unit.conn, actor.org_id, user_id)
        view = membership_view(updated, actor.org)
        # An override changes what the member may see as a role does: sockets re-check on this event.
        if (role is not None and role != target["role"]) or \
                (permissions is not None and permissions != (target["permissions"] or {})):
            await unit.record(Channel.org(actor.org_id), EventType.MEMBER_ROLE_CHANGED, {"membership": view})
        if status is not None and status != target["status"]:
            await unit.record(Channel.org(actor.org_id), EventType.MEMBER_STATUS_CHANGED, {"membership": view})
    return view


async def _check_update(conn: Conn, actor: OrgMember, target: dict[str, Any], *, role: Role | None,
                        status: str | None, permissions: dict[str, Any] | None) -> None:
    target_role = Role(target["role"])
    if role is None and permissions is None and status is not None:
        actor.require(Perm.SUSPEND_MEMBERS)  # moderators may suspend and reinstate, within their forums
        await check_member_in_scope(conn, actor, target["user_id"])
    else:
        actor.require(Perm.MANAGE_MEMBERS)
    assert actor.role is not None
    if actor.user_id == target["user_id"] and status is not None:
        raise ForbiddenError("You cannot change your own status.")
    _check_rank(actor.role, target_role, role, is_self=actor.user_id == target["user_id"])
    if target_role is Role.OWNER and (role not in (None, Role.OWNER) or status == "suspended"):
        await _keep_an_owner(conn, actor.org_id, target["user_id"])


def _check_rank(actor: Role, target: Role, new_role: Role | None, *, is_self: bool) -> None:
    if new_role is not None and outranks(new_role, actor):
        raise ForbiddenError("You cannot grant a role above your own.")
    if Role.OWNER in (target, new_role) and actor is not Role.OWNER:
        raise ForbiddenError("Only an owner makes or removes owners.")
    if not is_self and not outranks(actor, target) and actor is not Role.OWNER:
        raise ForbiddenError("You can only manage members below your own role.")


async def _keep_an_owner(conn: Conn, org_id: UUID, leaving: UUID) -> None:
    owners = await members.lock_owners(conn, org_id)
    if owners == [leaving]:
        raise ConflictError("The last owner cannot leave or be demoted; make another owner first.")


async def do_remove_member(db: Database, publisher: Publisher, actor: OrgMember, user_id: UUID) -> None:
    async with unit_of_work(db, publisher, org_id=actor.org_id, user_id=actor.user_id) as unit:
        await orgs.lock_org_seats(unit.conn, actor.org_id)  # first: concurrent removals of one member queue here
        target = await _live_member(unit.conn, actor.org_id, user_id)
        if actor.user_id != user_id:
            actor.require(Perm.MANAGE_MEMBERS)
            assert actor.role is not None
            _check_rank(actor.role, Role(target["role"]), None, is_self=False)
        if target["role"] == Role.OWNER:
            await _keep_an_owner(unit.conn, actor.org_id, user_id)
        await members.remove_membership(unit.conn, actor.org_id, user_id)
        await orgs.recount_seats(unit.conn, actor.org_id)
        await unit.record(Channel.org(actor.org_id), EventType.MEMBER_LEFT,
                          {"user_id": user_id, "removed_by": actor.user_id})


async def _live_member(conn: Conn, org_id: UUID, user_id: UUID) -> dict[str, Any]:
    found = await members.get_membership(conn, org_id, user_id)
    if found is None or found["status"] == "removed":
        raise NotFoundError(_NO_MEMBER)
    return found
