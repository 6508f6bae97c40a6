"""Moderator assignments: an admin gives a moderator forums; with none, a moderator moderates the whole org."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database
from community.db.queries import forums, members, moderation, moderators
from community.domain.errors import ConflictError, ForbiddenError, NotFoundError
from community.domain.permissions import Perm, Role
from community.domain.principal import OrgMember
from community.handles import Publisher
from community.services.forums import access_forum
from community.services.unit import unit_of_work

_NO_MEMBER = "No such member."


def _view(found: list[dict[str, Any]]) -> dict[str, Any]:
    return {"forums": [{"id": f["id"], "name": f["name"], "slug": f["slug"], "assigned_by": f["assigned_by"],
                        "assigned_at": f["created_at"]} for f in found],
            "scope": "forums" if found else "organization"}


async def _live(conn: Conn, org_id: UUID, user_id: UUID) -> dict[str, Any]:
    target = await members.get_membership(conn, org_id, user_id)
    if target is None or target["status"] == "removed":
        raise NotFoundError(_NO_MEMBER)
    return target


async def list_moderated_forums(db: Database, member: OrgMember, user_id: UUID) -> dict[str, Any]:
    """A moderator's forums: admins see anyone's, a moderator their own."""
    if member.user_id != user_id:
        member.require(Perm.MANAGE_MEMBERS)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        await _live(conn, member.org_id, user_id)
        return _view(await moderators.list_assignments(conn, member.org_id, user_id))


async def do_set_assignment(db: Database, publisher: Publisher, member: OrgMember, user_id: UUID, forum_id: UUID,
                            *, assigned: bool) -> dict[str, Any]:
    member.require(Perm.MANAGE_MEMBERS)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        target = await _live(unit.conn, member.org_id, user_id)
        await access_forum(unit.conn, member, forum_id)
        if assigned and target["role"] != Role.MODERATOR:
            raise ConflictError("Only moderators are assigned forums; admins moderate everywhere.", field="user_id")
        if assigned:
            changed = await moderators.add_assignment(unit.conn, member.org_id, user_id, forum_id, member.user_id)
        else:
            changed = await moderators.remove_assignment(unit.conn, member.org_id, user_id, forum_id)
        if not assigned and not changed:
            raise NotFoundError("That moderator is not assigned to this forum.")
        if changed:
            await moderation.append_log(unit.conn, member.org_id, actor_id=member.user_id,
                                        action="assign_moderator" if assigned else "unassign_moderator",
                                        target_type="member", target_id=user_id, details={"forum_id": forum_id})
        return _view(await moderators.list_assignments(unit.conn, member.org_id, user_id))


async def check_member_in_scope(conn: Conn, actor: OrgMember, target_id: UUID) -> None:
    """A moderator with assigned forums acts only on members who wrote in them (API.md: assigned forums' scope)."""
    if actor.at_least(Role.ADMIN) or actor.user_id is None:
        return
    assigned = await forums.assigned_forums(conn, actor.org_id, actor.user_id)
    if assigned and not await moderators.in_scope(conn, actor.org_id, target_id, assigned):
        raise ForbiddenError("You moderate only members who take part in your assigned forums.")
