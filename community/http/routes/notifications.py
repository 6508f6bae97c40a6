"""Notifications, watches, and who is online."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import ConfigDict, Field
from quart import Blueprint
from quart_schema import validate_querystring, validate_request

from community.http.auth import org_member, require_principal
from community.http.context import current_handles
from community.http.models import Answer, Body, Cursor, PageQuery, PersonRef
from community.http.openapi import answers
from community.services import notifications, realtime

blueprint = Blueprint("notifications", __name__)


class NotificationsQuery(PageQuery):
    unread: bool = False


class MarkReadBody(Body):
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": ["ids"], "properties": {"ids": {"type": "array", "items": {"type": "string", "format": "uuid"}}}},
        {"required": ["all"], "properties": {"all": {"const": True}}}]})
    ids: list[UUID] | None = Field(default=None, max_length=500)
    all: bool = False


class Subject(Answer):
    type: str
    id: UUID


class Notification(Answer):
    available: bool  # false: its subject is no longer readable by you (title and excerpt withheld)
    id: UUID
    org_id: UUID
    kind: str
    event_id: int | None
    actor_id: UUID | None
    actor_name: str | None  # who did it (null when withheld: not `available`, or unknown)
    subject: Subject
    title: str
    excerpt: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None
    is_read: bool


class NotificationPage(Answer):
    notifications: list[Notification]
    unread_count: int
    next_cursor: Cursor


class MarkedRead(Answer):
    marked: int
    unread_count: int


class Online(Answer):
    user: PersonRef
    since: datetime


class PresenceAnswer(Answer):
    online: list[Online]


@blueprint.get("/api/notifications")
@answers(NotificationPage)
@validate_querystring(NotificationsQuery)
async def list_notifications(query_args: NotificationsQuery) -> dict[str, Any]:
    h = current_handles()
    principal = await require_principal()
    return await notifications.list_notifications(h.db, principal, unread=query_args.unread,
                                                  cursor=query_args.cursor, limit=query_args.limit)


@blueprint.post("/api/notifications/read")
@answers(MarkedRead)
@validate_request(MarkReadBody)
async def mark_read(data: MarkReadBody) -> dict[str, Any]:
    h = current_handles()
    principal = await require_principal()
    return await notifications.do_mark_read(h.db, principal, ids=data.ids, all_=data.all)


@blueprint.get("/api/orgs/<org>/presence")
@answers(PresenceAnswer)
async def presence(org: str) -> dict[str, Any]:
    member = await org_member(org)
    realtime.access_presence(member)  # who is online is part of the member list (guests see neither)
    return {"online": await current_handles().presence.online(member.org_id)}


async def _watch(org: str, target_type: str, target_id: UUID, *, on: bool) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await notifications.do_watch(h.db, member, target_type, target_id, on=on)
    return "", 204


@blueprint.put("/api/orgs/<org>/forums/<uuid:forum_id>/watch")
@answers(None, 204)
async def watch_forum(org: str, forum_id: UUID) -> tuple[str, int]:
    return await _watch(org, "forum", forum_id, on=True)


@blueprint.delete("/api/orgs/<org>/forums/<uuid:forum_id>/watch")
@answers(None, 204)
async def unwatch_forum(org: str, forum_id: UUID) -> tuple[str, int]:
    return await _watch(org, "forum", forum_id, on=False)


@blueprint.put("/api/orgs/<org>/topics/<uuid:topic_id>/watch")
@answers(None, 204)
async def watch_topic(org: str, topic_id: UUID) -> tuple[str, int]:
    return await _watch(org, "topic", topic_id, on=True)


@blueprint.delete("/api/orgs/<org>/topics/<uuid:topic_id>/watch")
@answers(None, 204)
async def unwatch_topic(org: str, topic_id: UUID) -> tuple[str, int]:
    return await _watch(org, "topic", topic_id, on=False)
