"""One topic: its page of posts, edits and moderation, deletion, and replying."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field
from quart import Blueprint, Response, g
from quart_schema import validate_request

from community.domain.principal import Caller, Principal
from community.http.auth import org_member, token_caller
from community.http.context import current_handles
from community.http.encoding import Encoded
from community.http.models import (
    Answer,
    Cursor,
    PageQuery,
    Post,
    PostAnswer,
    Topic,
    TopicAnswer,
    TopicReadPosition,
)
from community.http.openapi import answers, problems, validate_querystring
from community.services import posts, topics

blueprint = Blueprint("topics", __name__)


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
async def read_topic(org: str, topic_id: UUID, query_args: PageQuery) -> dict[str, Any] | Response:
    h = current_handles()
    caller = await token_caller()
    if caller is not None:
        cached = await _cached_page(caller, org, topic_id, query_args)
        if cached is not None:
            g.principal = cached.principal
            return cached.page.response(cached.views + topics.count_view(
                h.views, cached.org_id, topic_id, opened=query_args.cursor is None))
    member = await org_member(org)
    return await topics.read_topic_page(h.db, h.views, member, topic_id, cursor=query_args.cursor,
                                        limit=query_args.limit)


@dataclass(frozen=True)
class _CachedPage:
    principal: Principal
    org_id: UUID
    views: int  # the row's count when read; each answer adds the views not yet written
    page: Encoded


async def _cached_page(caller: Caller, org: str, topic_id: UUID, query: PageQuery) -> _CachedPage | None:
    """The caller's page from the response cache, or read in one statement and kept. None: the
    database does not know the caller (the slow path provisions or answers 401)."""
    h = current_handles()
    key = ("topic", caller.session or caller.user_id or caller.subject, org, topic_id, query.cursor, query.limit)
    cached: _CachedPage | None = h.pages.get(key)
    if cached is not None:
        return cached
    stamp = h.pages.stamp()
    answered = await topics.read_topic_base_as(h.db, caller, org, topic_id, cursor=query.cursor, limit=query.limit)
    if answered is None:
        return None
    principal, org_id, page = answered
    views = page["topic"]["view_count"]
    cached = _CachedPage(principal, org_id, views, Encoded.with_hole(page, _view_count_hole))
    h.pages.put(key, stamp, cached, org_id=org_id, user_id=principal.user_id, size=cached.page.size)
    return cached


def _view_count_hole(page: dict[str, Any], marker: str) -> None:
    page["topic"]["view_count"] = marker


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
@validate_request(posts.CreatePostBody)
async def create_post(org: str, topic_id: UUID, data: posts.CreatePostBody) -> tuple[dict[str, Any], int]:
    h = current_handles()
    caller = await token_caller() if not data.attachments else None
    if caller is not None:  # who is asking is read with the checks: one round trip fewer
        answered = await posts.check_create_post_as(h.db, h.publisher, h.limiter, caller, org, topic_id, data)
        if answered is not None:
            g.principal, post = answered
            return {"post": post}, 201
    member = await org_member(org)
    post = await posts.check_create_post(h.db, h.publisher, h.limiter, member, topic_id, data, store=h.files)
    return {"post": post}, 201
