"""The public directory, @mention completion and the Markdown preview."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field, field_validator
from quart import Blueprint
from quart_schema import validate_querystring, validate_request

from community.domain.permissions import Role
from community.http.auth import org_member
from community.http.context import current_handles
from community.http.models import Answer, Body, Cursor, PageQuery, Text, TopicReadPosition, UserRef
from community.http.openapi import answers, public
from community.services import reading, reads

blueprint = Blueprint("reading", __name__)


class DirectoryQuery(PageQuery):
    public: bool = Field(description="Only `true`: the directory lists public organizations.",
                         json_schema_extra={"enum": [True]})

    @field_validator("public")
    @classmethod
    def _only_public(cls, value: bool) -> bool:
        if not value:
            raise ValueError("only public=true is listed")
        return value


class DirectoryEntry(Answer):
    """A public organization as the directory shows it."""

    id: UUID
    slug: str
    name: str
    description: str | None
    logo_url: str | None
    current_member_count: int
    created_at: datetime


class Directory(Answer):
    organizations: list[DirectoryEntry]
    next_cursor: Cursor


class MemberQuery(PageQuery):
    q: Text = Field(min_length=1, max_length=100)
    limit: int = Field(default=reading.SUGGESTIONS, ge=1, le=20)


class MemberSuggestion(Answer):
    """`handle` is what to write after `@` so the mention reaches this member."""

    user: UserRef
    role: Role
    handle: str


class MemberSuggestions(Answer):
    members: list[MemberSuggestion]


class PreviewBody(Body):
    content: Text = Field(min_length=1)


class Preview(Answer):
    """The sanitised html a post with this content will carry, and the handles it mentions."""

    html: str
    mentions: list[str]


@blueprint.get("/api/orgs")
@answers(Directory)
@public
@validate_querystring(DirectoryQuery)
async def list_public_orgs(query_args: DirectoryQuery) -> dict[str, Any]:
    """The directory of public organizations, by name."""
    return await reading.list_directory(current_handles().db, cursor=query_args.cursor, limit=query_args.limit)


@blueprint.get("/api/orgs/<org>/members/suggest")
@answers(MemberSuggestions)
@validate_querystring(MemberQuery)
async def suggest_members(org: str, query_args: MemberQuery) -> dict[str, Any]:
    """Members whose display name, or a word of it, starts with `q` (for @mention completion)."""
    member = await org_member(org)
    return await reading.suggest_members(current_handles().db, member, q=query_args.q, limit=query_args.limit)


@blueprint.post("/api/orgs/<org>/markdown/preview")
@answers(Preview)
@validate_request(PreviewBody)
async def preview_markdown(org: str, data: PreviewBody) -> dict[str, Any]:
    member = await org_member(org)
    return reading.preview_markdown(member, data.content)


class TopicReadBody(Body):
    post_id: UUID


class TopicReadState(TopicReadPosition):
    topic_id: UUID


class TopicReadAnswer(Answer):
    read: TopicReadState


class Visit(Answer):
    """`last_visit_at`: where the previous visit ended (null on a first visit); content newer is "new"."""

    last_visit_at: datetime | None
    last_seen_at: datetime


class VisitAnswer(Answer):
    visit: Visit


@blueprint.put("/api/orgs/<org>/topics/<uuid:topic_id>/read")
@answers(TopicReadAnswer)
@validate_request(TopicReadBody)
async def mark_read(org: str, topic_id: UUID, data: TopicReadBody) -> dict[str, Any]:
    """Move the caller's read position forward to `post_id` (an older post leaves it where it is)."""
    member = await org_member(org)
    return {"read": await reads.check_mark_read(current_handles().db, member, topic_id, data.post_id)}


@blueprint.post("/api/orgs/<org>/visits")
@answers(VisitAnswer)
async def visit(org: str) -> dict[str, Any]:
    """Record that the caller opened the org; a visit starts after 30 minutes away."""
    member = await org_member(org)
    return {"visit": await reads.check_visit(current_handles().db, member)}
