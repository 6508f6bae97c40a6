"""Moderator assignments: which forums a moderator moderates."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from quart import Blueprint

from community.http.auth import org_member
from community.http.context import current_handles
from community.http.models import Answer
from community.http.openapi import answers, problems
from community.services import moderators

blueprint = Blueprint("moderators", __name__)
_FORUMS = "/api/orgs/<org>/moderators/<uuid:user_id>/forums"


class AssignedForum(Answer):
    id: UUID
    name: str
    slug: str
    assigned_by: UUID | None
    assigned_at: datetime


class ModeratedForums(Answer):
    """`scope` is `organization` while a moderator has no assigned forum (they moderate everywhere)."""

    forums: list[AssignedForum]
    scope: Literal["forums", "organization"]


@blueprint.get(_FORUMS)
@answers(ModeratedForums)
async def list_moderated_forums(org: str, user_id: UUID) -> dict[str, Any]:
    member = await org_member(org)
    return await moderators.list_moderated_forums(current_handles().db, member, user_id)


@blueprint.put(_FORUMS + "/<uuid:forum_id>")
@answers(ModeratedForums)
@problems(409)
async def assign_forum(org: str, user_id: UUID, forum_id: UUID) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return await moderators.check_set_assignment(h.db, h.publisher, member, user_id, forum_id, assigned=True)


@blueprint.delete(_FORUMS + "/<uuid:forum_id>")
@answers(None, 204)
async def unassign_forum(org: str, user_id: UUID, forum_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await moderators.check_set_assignment(h.db, h.publisher, member, user_id, forum_id, assigned=False)
    return "", 204
