"""Members: list, change role or status, remove — with the role rules in one place.

Each write is `check_*` (validate, open the unit of work, load through `access_member`, authorize)
then `do_*` (write and record the event in that unit), as in services/forums.py.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import Field, JsonValue

from community.db.pool import Conn, Database
from community.db.queries import forums, members, moderators, orgs
from community.db.queries.members import MemberRow
from community.domain.cursors import next_cursor, time_cursor
from community.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationFailedError
from community.domain.events import Channel, EventType
from community.domain.input import Body
from community.domain.permissions import Perm, Role, grantable_permissions, outranks, valid_overrides
from community.domain.principal import OrgMember
from community.handles import Publisher
from community.services.unit import Unit, unit_of_work
from community.services.views import member_view, membership_view

_NO_MEMBER = "No such member."


class UpdateMemberBody(Body):
    role: Role | None = None
    status: Literal["active", "suspended"] | None = None
    permissions: dict[str, bool] | None = Field(default=None, json_schema_extra={
        "propertyNames": {"enum": list[JsonValue](grantable_permissions())}})


async def access_member(conn: Conn, actor: OrgMember, user_id: UUID) -> MemberRow:
    """The only loader of one membership for a caller: missing and removed are the same 404.
    (Any member of the org may know who else belongs; what they may do to them is checked after.)"""
    found = await members.get_membership(conn, actor.org_id, user_id)
    if found is None or not found.is_live:
        raise NotFoundError(_NO_MEMBER)
    return found


async def list_members(db: Database, member: OrgMember, *, role: str | None, status: str | None,
                       cursor: str | None, limit: int) -> dict[str, Any]:
    member.require(Perm.LIST_MEMBERS)
    after = time_cursor(cursor)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        found = await members.list_members(conn, member.org_id, role=role, status=status,
                                           after=after,
                                           limit=limit + 1)
    page = found[:limit]
    key = (page[-1].joined_at, page[-1].user_id) if page else None
    return {"members": [member_view(m) for m in page], "next_cursor": next_cursor(found, limit, key)}


def _check_overrides(changes: UpdateMemberBody) -> None:
    if changes.permissions is not None and (bad := valid_overrides(changes.permissions)):
        raise ValidationFailedError("unknown permissions", [
            {"loc": ["body", "permissions", key], "msg": "not a grantable permission"} for key in bad])


async def check_update_member(db: Database, publisher: Publisher, actor: OrgMember, user_id: UUID,
                              changes: UpdateMemberBody) -> dict[str, Any]:
    _check_overrides(changes)
    async with unit_of_work(db, publisher, org_id=actor.org_id, user_id=actor.user_id) as unit:
        return await check_update_in(unit, actor, user_id, changes)


async def check_update_in(unit: Unit, actor: OrgMember, user_id: UUID, changes: UpdateMemberBody) -> dict[str, Any]:
    """The checks and the write inside a caller's unit of work (moderation logs the suspension in it too)."""
    target = await access_member(unit.conn, actor, user_id)
    await _check_update(unit.conn, actor, target, changes)
    return await do_update_member(unit, actor, target, changes)


async def do_update_member(unit: Unit, actor: OrgMember, target: MemberRow, changes: UpdateMemberBody) -> dict[
        str, Any]:
    await members.update_membership(unit.conn, actor.org_id, target.user_id, role=changes.role, status=changes.status,
                                    permissions=changes.permissions)
    view = membership_view(await access_member(unit.conn, actor, target.user_id), actor.org)
    # An override changes what the member may see as a role does: sockets re-check on this event.
    if (changes.role is not None and changes.role != target.role) or \
            (changes.permissions is not None and changes.permissions != target.permissions):
        await unit.record(Channel.org(actor.org_id), EventType.MEMBER_ROLE_CHANGED, {"membership": view})
    if changes.status is not None and changes.status != target.status:
        await unit.record(Channel.org(actor.org_id), EventType.MEMBER_STATUS_CHANGED, {"membership": view})
    return view


async def _check_update(conn: Conn, actor: OrgMember, target: MemberRow, changes: UpdateMemberBody) -> None:
    target_role = Role(target.role)
    role, status = changes.role, changes.status
    if role is None and changes.permissions is None and status is not None:
        actor.require(Perm.SUSPEND_MEMBERS)  # moderators may suspend and reinstate, within their forums
        await check_member_in_scope(conn, actor, target.user_id)
    else:
        actor.require(Perm.MANAGE_MEMBERS)
    assert actor.role is not None
    if actor.user_id == target.user_id and status is not None:
        raise ForbiddenError("You cannot change your own status.")
    _check_rank(actor.role, target_role, role, is_self=actor.user_id == target.user_id)
    if target_role is Role.OWNER and (role not in (None, Role.OWNER) or status == "suspended"):
        await _keep_an_owner(conn, actor.org_id, target.user_id)


async def check_member_in_scope(conn: Conn, actor: OrgMember, target_id: UUID) -> None:
    """A moderator with assigned forums acts only on members who wrote in them (API.md: assigned forums' scope)."""
    if actor.at_least(Role.ADMIN) or actor.user_id is None:
        return
    assigned = await forums.assigned_forums(conn, actor.org_id, actor.user_id)
    if assigned and not await moderators.in_scope(conn, actor.org_id, target_id, assigned):
        raise ForbiddenError("You moderate only members who take part in your assigned forums.")


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


async def check_remove_member(db: Database, publisher: Publisher, actor: OrgMember, user_id: UUID) -> None:
    """Members leave; managers remove members below their role; the last owner stays."""
    async with unit_of_work(db, publisher, org_id=actor.org_id, user_id=actor.user_id) as unit:
        await orgs.lock_org_seats(unit.conn, actor.org_id)  # first: concurrent removals of one member queue here
        target = await access_member(unit.conn, actor, user_id)
        if actor.user_id != user_id:
            actor.require(Perm.MANAGE_MEMBERS)
            assert actor.role is not None
            _check_rank(actor.role, Role(target.role), None, is_self=False)
        if target.role == Role.OWNER:
            await _keep_an_owner(unit.conn, actor.org_id, user_id)
        await do_remove_member(unit, actor, target)


async def do_remove_member(unit: Unit, actor: OrgMember, target: MemberRow) -> None:
    await members.remove_membership(unit.conn, actor.org_id, target.user_id)
    await orgs.recount_seats(unit.conn, actor.org_id)
    await unit.record(Channel.org(actor.org_id), EventType.MEMBER_LEFT,
                      {"user_id": target.user_id, "removed_by": actor.user_id})
