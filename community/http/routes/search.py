"""Search: full-text results over what the caller may read (forums, own conversations), and suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field
from quart import Blueprint
from quart_schema import validate_querystring

from community.domain.errors import RateLimitedError
from community.http.auth import read_page, token_caller
from community.http.client import client_address
from community.http.context import current_handles
from community.http.models import Answer, Cursor, PageQuery, PersonRef
from community.http.openapi import answers, problems
from community.services import search
from community.services.search import MAX_QUERY_LENGTH, SUGGESTIONS_PER_SEARCH

blueprint = Blueprint("search", __name__)


class SearchQuery(PageQuery):
    q: str = Field(min_length=1, max_length=MAX_QUERY_LENGTH, pattern=r"\S")
    type: Literal["topics", "posts", "messages", "events", "resources", "all"] = "all"
    forum_id: UUID | None = None
    tag: str | None = Field(default=None, max_length=30)
    author_id: UUID | None = None
    before: AwareDatetime | None = None
    after: AwareDatetime | None = None
    sort: Literal["relevance", "recent"] = "relevance"


class SuggestQuery(PageQuery):
    q: str = Field(min_length=1, max_length=MAX_QUERY_LENGTH, pattern=r"\S")


class SearchResult(Answer):
    """A hit; `snippet` is HTML with the matched words in `<mark>`."""

    type: Literal["topic", "post", "message", "event", "resource"]
    id: UUID
    topic_id: UUID | None
    forum_id: UUID | None
    conversation_id: UUID | None
    event_id: UUID | None
    resource_id: UUID | None
    title: str | None
    snippet: str
    author: PersonRef | None
    created_at: datetime
    score: float | None


class SearchResults(Answer):
    results: list[SearchResult]
    next_cursor: Cursor


class Suggestion(Answer):
    topic_id: UUID
    forum_id: UUID
    title: str


class Suggestions(Answer):
    suggestions: list[Suggestion]


@blueprint.get("/api/orgs/<org>/search")
@problems(429)
@answers(SearchResults)
@validate_querystring(SearchQuery)
async def search_org(org: str, query_args: SearchQuery) -> dict[str, Any]:
    await _check_rate(org, "search", current_handles().settings.search_per_minute)
    after: datetime | None = query_args.after
    return await read_page(org, lambda db, member: search.search(
        db, member, q=query_args.q.strip(), type=query_args.type, forum_id=query_args.forum_id, tag=query_args.tag,
        author_id=query_args.author_id, after=after, before=query_args.before, sort=query_args.sort,
        limit=query_args.limit, cursor=query_args.cursor))


@blueprint.get("/api/orgs/<org>/search/suggest")
@problems(429)
@answers(Suggestions)
@validate_querystring(SuggestQuery)
async def suggest_titles(org: str, query_args: SuggestQuery) -> dict[str, Any]:
    await _check_rate(org, "suggest", current_handles().settings.search_per_minute * SUGGESTIONS_PER_SEARCH)
    return await read_page(org, lambda db, member: search.suggest(db, member, q=query_args.q.strip()))


async def _check_rate(org: str, kind: str, per_minute: int) -> None:
    """Per signed-in caller, else per client address; counted in the database across nodes."""
    h = current_handles()
    caller = await token_caller()
    who = f"user:{caller.user_id or caller.subject}" if caller is not None else \
        f"address:{client_address(h.settings.proxy_hops)}"
    if (retry := await h.limiter.hit(f"{kind}:{org}:{who}", per_minute, 60.0)) is not None:
        raise RateLimitedError("You are searching too fast; try again shortly.", retry_after=retry)
