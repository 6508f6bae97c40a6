"""One topic: its page of posts, edits and moderation, deletion, and replying."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field
from quart import Blueprint, g
from quart_schema import validate_querystring, validate_request

from community.http.auth import org_member, token_caller
from community.http.context import current_handles
from community.http.models import (
    Answer,
    Body,
    Cursor,
    PageQuery,
    Post,
    PostAnswer,
    Topic,
    TopicAnswer,
    TopicReadPosition,
)
from community.http.openapi import answers, problems
from community.services import posts, topics

blueprint = Blueprint("topics", __name__)


class CreatePostBody(Body):
    content: str = Field(min_length=1)
    parent_id: UUID | None = None
    attachments: list[UUID] = Field(default_factory=list, max_length=10)  # uploads with purpose "attachment"


class TopicPage(Answer):
    """A topic and a page of its posts in creation order (nest them by `parent_id`)."""

    topic: Topic
    posts: list[Post]
    next_cursor: Cursor
    read: TopicReadPosition | None = Field(description="The caller's read position; null without a membership.")
    last_visit_at: datetime | None = Field(description="Where the caller's previous visit ended: newer is \"new\".")


@blueprint.get("/api/orgs/<org>/topics/<uuid:topic_id>")
@answers(TopicPage)
@validate_querystring(PageQuery)
async def read_topic(org: str, topic_id: UUID, query_args: PageQuery) -> dict[str, Any]:
    h = current_handles()
    caller = await token_caller()
    if caller is not None:
        answered = await topics.read_topic_page_as(h.db, h.views, caller, org, topic_id,
                                                   cursor=query_args.cursor, limit=query_args.limit)
        if answered is not None:
            g.principal, page = answered
            return page
    member = await org_member(org)
    return await topics.read_topic_page(h.db, h.views, member, topic_id, cursor=query_args.cursor,
                                        limit=query_args.limit)


@blueprint.patch("/api/orgs/<org>/topics/<uuid:topic_id>")
@answers(TopicAnswer)
@validate_request(topics.UpdateTopicBody)
async def update_topic(org: str, topic_id: UUID, data: topics.UpdateTopicBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"topic": await topics.check_update_topic(h.db, h.publisher, member, topic_id, data)}


@blueprint.delete("/api/orgs/<org>/topics/<uuid:topic_id>")
@answers(None, 204)
async def delete_topic(org: str, topic_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await topics.check_delete_topic(h.db, h.publisher, member, topic_id)
    return "", 204


@blueprint.post("/api/orgs/<org>/topics/<uuid:topic_id>/posts")
@answers(PostAnswer, 201)
@problems(429)
@validate_request(CreatePostBody)
async def create_post(org: str, topic_id: UUID, data: CreatePostBody) -> tuple[dict[str, Any], int]:
    h = current_handles()
    caller = await token_caller() if not data.attachments else None
    if caller is not None:  # who is asking is read with the checks: one round trip fewer
        answered = await posts.check_create_post_as(h.db, h.publisher, h.limiter, caller, org, topic_id,
                                              content=data.content, parent_id=data.parent_id)
        if answered is not None:
            g.principal, post = answered
            return {"post": post}, 201
    member = await org_member(org)
    post = await posts.check_create_post(h.db, h.publisher, h.limiter, member, topic_id, content=data.content,
                                      parent_id=data.parent_id, attachments=data.attachments, store=h.files)
    return {"post": post}, 201
