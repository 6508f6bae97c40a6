"""Moderator assignments: an admin gives a moderator forums; with none, a moderator moderates the whole org.

`check_set_assignment` loads the member and the forum through their `access_*` and authorizes;
`do_set_assignment` writes the assignment and the moderation log entry in that unit of work.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from community.db.pool import Database
from community.db.queries import moderation, moderators
from community.db.queries.forums import ForumRow
from community.db.queries.members import MemberRow
from community.db.queries.moderators import AssignmentRow
from community.domain.errors import ConflictError, NotFoundError
from community.domain.permissions import Perm, Role
from community.domain.principal import OrgMember
from community.handles import Publisher
from community.services.forums import access_forum
from community.services.members import access_member
from community.services.unit import Unit, unit_of_work


def _view(found: list[AssignmentRow]) -> dict[str, Any]:
    return {"forums": [{"id": f.id, "name": f.name, "slug": f.slug, "assigned_by": f.assigned_by,
                        "assigned_at": f.created_at} for f in found],
            "scope": "forums" if found else "organization"}


async def list_moderated_forums(db: Database, member: OrgMember, user_id: UUID) -> dict[str, Any]:
    """A moderator's forums: admins see anyone's, a moderator their own."""
    if member.user_id != user_id:
        member.require(Perm.MANAGE_MEMBERS)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        await access_member(conn, member, user_id)
        return _view(await moderators.list_assignments(conn, member.org_id, user_id))


async def check_set_assignment(db: Database, publisher: Publisher, member: OrgMember, user_id: UUID, forum_id: UUID,
                               *, assigned: bool) -> dict[str, Any]:
    """Member managers assign forums they see, and only to moderators."""
    member.require(Perm.MANAGE_MEMBERS)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        target = await access_member(unit.conn, member, user_id)
        forum = await access_forum(unit.conn, member, forum_id)
        if assigned and target.role != Role.MODERATOR:
            raise ConflictError("Only moderators are assigned forums; admins moderate everywhere.", field="user_id")
        return await do_set_assignment(unit, member, target, forum, assigned=assigned)


async def do_set_assignment(unit: Unit, member: OrgMember, target: MemberRow, forum: ForumRow, *,
                            assigned: bool) -> dict[str, Any]:
    """Assigning twice changes nothing (and logs nothing); removing an assignment that is not there is a 404."""
    if assigned:
        changed = await moderators.add_assignment(unit.conn, member.org_id, target.user_id, forum.id, member.user_id)
    else:
        changed = await moderators.remove_assignment(unit.conn, member.org_id, target.user_id, forum.id)
    if not assigned and not changed:
        raise NotFoundError("That moderator is not assigned to this forum.")
    if changed:
        await moderation.append_log(unit.conn, member.org_id, actor_id=member.user_id,
                                    action="assign_moderator" if assigned else "unassign_moderator",
                                    target_type="member", target_id=target.user_id, details={"forum_id": forum.id})
    return _view(await moderators.list_assignments(unit.conn, member.org_id, target.user_id))
