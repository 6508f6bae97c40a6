"""Forums: the tree, one forum with its topics, and topic creation inside a forum."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field, field_validator
from quart import Blueprint
from quart_schema import validate_querystring, validate_request

from community.domain.tags import TAG_FORMAT, normalise_tag_filter
from community.http.auth import org_member, read_page
from community.http.context import current_handles
from community.http.models import (
    Answer,
    Cursor,
    Forum,
    ForumAnswer,
    ForumNode,
    ForumTopic,
    PageQuery,
    TopicAnswer,
)
from community.http.openapi import answers, problems
from community.services import forums, topics

blueprint = Blueprint("forums", __name__)


class ForumQuery(PageQuery):
    tag: str | None = Field(default=None, max_length=100, json_schema_extra=TAG_FORMAT)
    _tag = field_validator("tag")(normalise_tag_filter)


class ForumTree(Answer):
    forums: list[ForumNode]


class ForumPage(Answer):
    """A forum and a page of its topics: pinned first, then by latest activity."""

    forum: Forum
    topics: list[ForumTopic]
    next_cursor: Cursor
    last_visit_at: datetime | None = Field(description="Where the caller's previous visit ended: newer is \"new\".")


@blueprint.get("/api/orgs/<org>/forums")
@answers(ForumTree)
async def list_forums(org: str) -> dict[str, Any]:
    return await read_page(org, forums.list_forums)


@blueprint.post("/api/orgs/<org>/forums")
@answers(ForumAnswer, 201)
@problems(409)
@validate_request(forums.CreateForumBody)
async def create_forum(org: str, data: forums.CreateForumBody) -> tuple[dict[str, Any], int]:
    h = current_handles()
    member = await org_member(org)
    forum = await forums.check_create_forum(h.db, h.publisher, member, data)
    return {"forum": forum}, 201


@blueprint.get("/api/orgs/<org>/forums/<uuid:forum_id>")
@answers(ForumPage)
@validate_querystring(ForumQuery)
async def read_forum(org: str, forum_id: UUID, query_args: ForumQuery) -> dict[str, Any]:
    return await read_page(org, lambda db, member: forums.read_forum(db, member, forum_id, tag=query_args.tag,
                                                                     cursor=query_args.cursor, limit=query_args.limit))


@blueprint.patch("/api/orgs/<org>/forums/<uuid:forum_id>")
@answers(ForumAnswer)
@problems(409)
@validate_request(forums.UpdateForumBody)
async def update_forum(org: str, forum_id: UUID, data: forums.UpdateForumBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"forum": await forums.check_update_forum(h.db, h.publisher, member, forum_id, data)}


@blueprint.delete("/api/orgs/<org>/forums/<uuid:forum_id>")
@answers(None, 204)
async def delete_forum(org: str, forum_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await forums.check_delete_forum(h.db, h.publisher, member, forum_id)
    return "", 204


@blueprint.post("/api/orgs/<org>/forums/<uuid:forum_id>/topics")
@answers(TopicAnswer, 201)
@problems(429)
@validate_request(topics.CreateTopicBody)
async def create_topic(org: str, forum_id: UUID, data: topics.CreateTopicBody) -> tuple[dict[str, Any], int]:
    h = current_handles()
    member = await org_member(org)
    topic = await topics.check_create_topic(h.db, h.publisher, h.limiter, member, forum_id, data)
    return {"topic": topic}, 201
