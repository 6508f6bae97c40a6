"""Moderator assignments: which forums a moderator moderates."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from quart import Blueprint

from community.http.auth import org_member
from community.http.context import current_handles
from community.services import moderators

blueprint = Blueprint("moderators", __name__)
_FORUMS = "/api/orgs/<org>/moderators/<uuid:user_id>/forums"


@blueprint.get(_FORUMS)
async def list_moderated_forums(org: str, user_id: UUID) -> dict[str, Any]:
    """`{forums: [...], scope}`: scope `organization` when the moderator has no assigned forum."""
    member = await org_member(org)
    return await moderators.list_moderated_forums(current_handles().db, member, user_id)


@blueprint.put(_FORUMS + "/<uuid:forum_id>")
async def assign_forum(org: str, user_id: UUID, forum_id: UUID) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return await moderators.do_set_assignment(h.db, h.publisher, member, user_id, forum_id, assigned=True)


@blueprint.delete(_FORUMS + "/<uuid:forum_id>")
async def unassign_forum(org: str, user_id: UUID, forum_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await moderators.do_set_assignment(h.db, h.publisher, member, user_id, forum_id, assigned=False)
    return "", 204
