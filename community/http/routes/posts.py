"""One post: read, edit, delete, its revisions, reactions, the solution mark, and flags."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from quart import Blueprint
from quart_schema import validate_request

from community.http.auth import org_member
from community.http.context import current_handles
from community.http.models import Answer, FlagAnswer, PostAnswer, UserRef
from community.http.openapi import answers, problems
from community.services import moderation, posts

blueprint = Blueprint("posts", __name__)


class Revision(Answer):
    """An earlier version of a post: what it said before the edit at `edited_at`."""

    id: int
    editor: UserRef | None
    previous_content: str
    edited_at: datetime


class RevisionList(Answer):
    revisions: list[Revision]


@blueprint.get("/api/orgs/<org>/posts/<uuid:post_id>")
@answers(PostAnswer)
async def read_post(org: str, post_id: UUID) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"post": await posts.read_post(h.db, member, post_id)}


@blueprint.patch("/api/orgs/<org>/posts/<uuid:post_id>")
@answers(PostAnswer)
@validate_request(posts.EditPostBody)
async def edit_post(org: str, post_id: UUID, data: posts.EditPostBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"post": await posts.check_edit_post(h.db, h.publisher, member, post_id, data)}


@blueprint.delete("/api/orgs/<org>/posts/<uuid:post_id>")
@answers(None, 204)
async def delete_post(org: str, post_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await posts.check_delete_post(h.db, h.publisher, member, post_id)
    return "", 204


@blueprint.get("/api/orgs/<org>/posts/<uuid:post_id>/revisions")
@answers(RevisionList)
async def list_revisions(org: str, post_id: UUID) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return await posts.list_revisions(h.db, member, post_id)


@blueprint.put("/api/orgs/<org>/posts/<uuid:post_id>/reactions/<emoji>")
@answers(PostAnswer)
async def add_reaction(org: str, post_id: UUID, emoji: str) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"post": await posts.check_react(h.db, h.publisher, member, post_id, emoji, add=True)}


@blueprint.delete("/api/orgs/<org>/posts/<uuid:post_id>/reactions/<emoji>")
@answers(PostAnswer)
async def remove_reaction(org: str, post_id: UUID, emoji: str) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"post": await posts.check_react(h.db, h.publisher, member, post_id, emoji, add=False)}


@blueprint.post("/api/orgs/<org>/posts/<uuid:post_id>/solution")
@answers(PostAnswer)
async def mark_solution(org: str, post_id: UUID) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"post": await posts.check_mark_solution(h.db, h.publisher, member, post_id)}


@blueprint.post("/api/orgs/<org>/posts/<uuid:post_id>/flags")
@answers(FlagAnswer, 201)
@problems(409, 429)
@validate_request(moderation.FlagBody)
async def flag_post(org: str, post_id: UUID, data: moderation.FlagBody) -> tuple[dict[str, Any], int]:
    h = current_handles()
    member = await org_member(org)
    return {"flag": await moderation.check_flag_post(h.db, h.publisher, member, post_id, data)}, 201
