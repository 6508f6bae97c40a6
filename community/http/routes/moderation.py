"""The moderation queue, flag resolution, suspensions, and the moderation log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from quart import Blueprint
from quart_schema import validate_querystring, validate_request

from community.http.auth import org_member
from community.http.context import current_handles
from community.http.models import Answer, Cursor, Flag, FlagAnswer, MembershipAnswer, PageQuery, UserRef
from community.http.openapi import answers
from community.services import moderation

blueprint = Blueprint("moderation", __name__)


class FlagsQuery(PageQuery):
    status: Literal["open", "resolved", "dismissed"] = "open"


class QueuedFlag(Flag):
    """A flag in the queue, with the flagged post's content."""

    content: str


class FlagQueue(Answer):
    flags: list[QueuedFlag]
    next_cursor: Cursor


class LogEntry(Answer):
    id: int
    action: str
    target_type: str
    target_id: UUID | None
    details: dict[str, Any]
    created_at: datetime
    actor: UserRef | None


class ModerationLog(Answer):
    entries: list[LogEntry]
    next_cursor: Cursor


@blueprint.get("/api/orgs/<org>/moderation/flags")
@answers(FlagQueue)
@validate_querystring(FlagsQuery)
async def list_flags(org: str, query_args: FlagsQuery) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return await moderation.list_flags(h.db, member, status=query_args.status,
                                       cursor=query_args.cursor, limit=query_args.limit)


@blueprint.post("/api/orgs/<org>/moderation/flags/<uuid:flag_id>/resolve")
@answers(FlagAnswer)
@validate_request(moderation.ResolveBody)
async def resolve_flag(org: str, flag_id: UUID, data: moderation.ResolveBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    flag = await moderation.check_resolve_flag(h.db, h.publisher, member, flag_id, data)
    return {"flag": flag}


@blueprint.post("/api/orgs/<org>/moderation/members/<uuid:user_id>/suspend")
@answers(MembershipAnswer)
@validate_request(moderation.SuspendBody)
async def suspend_member(org: str, user_id: UUID, data: moderation.SuspendBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    view = await moderation.check_suspend_member(h.db, h.publisher, member, user_id, data)
    return {"membership": view}


@blueprint.get("/api/orgs/<org>/moderation/log")
@answers(ModerationLog)
@validate_querystring(PageQuery)
async def list_log(org: str, query_args: PageQuery) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return await moderation.list_log(h.db, member, cursor=query_args.cursor, limit=query_args.limit)
