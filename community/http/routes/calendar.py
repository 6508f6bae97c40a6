"""Calendar feeds (RFC 5545): one event, an org's public calendar, and each user's private feed URL."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field
from quart import Blueprint, Response, request
from quart_schema import validate_querystring

from community.http.auth import org_member, require_principal
from community.http.context import current_handles
from community.http.models import Answer
from community.http.openapi import answers, optional_auth, problems, public
from community.services import calendar

blueprint = Blueprint("calendar", __name__)
ICS = "text/calendar"


class FeedUrl(Answer):
    """The private feed's address: shown once (only a hash of its secret is kept)."""

    url: str
    created_at: datetime


class FeedInfo(Answer):
    created_at: datetime
    last_used_at: datetime | None


class FeedStatus(Answer):
    feed: FeedInfo | None


def _ics(body: bytes, filename: str | None = None, *, private: bool = False) -> Response:
    response = Response(body, content_type="text/calendar; charset=utf-8")
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    return response


@blueprint.get("/api/orgs/<org>/events/<uuid:event_id>/event.ics")
@answers(None, 200, media_type=ICS)
@optional_auth
async def event_ics(org: str, event_id: UUID) -> Response:
    member = await org_member(org, allow_anonymous=True)
    h = current_handles()
    body = await calendar.event_ics(h.db, h.settings, member, event_id)
    return _ics(body, "event.ics", private=member.is_member)


@blueprint.get("/api/orgs/<org>/calendar.ics")
@answers(None, 200, media_type=ICS)
@optional_auth
async def org_calendar(org: str) -> Response:
    member = await org_member(org, allow_anonymous=True)
    h = current_handles()
    return _ics(await calendar.org_calendar_ics(h.db, h.settings, member))


@blueprint.post("/api/me/calendar-feed")
@answers(FeedUrl)
async def create_feed() -> dict[str, Any]:
    principal = await require_principal()
    h = current_handles()
    return await calendar.check_create_feed(h.db, h.settings, principal, request_root=request.host_url)


@blueprint.get("/api/me/calendar-feed")
@answers(FeedStatus)
async def read_feed() -> dict[str, Any]:
    principal = await require_principal()
    return await calendar.read_feed(current_handles().db, principal)


@blueprint.delete("/api/me/calendar-feed")
@answers(None, 204)
@problems(404)
async def revoke_feed() -> tuple[str, int]:
    principal = await require_principal()
    await calendar.check_revoke_feed(current_handles().db, principal)
    return "", 204


class FeedQuery(BaseModel):
    token: str = Field(default="", max_length=100)


@blueprint.get("/api/calendar-feed.ics")
@answers(None, 200, media_type=ICS)
@public
@problems(404)
@validate_querystring(FeedQuery)
async def personal_feed(query_args: FeedQuery) -> Response:
    """No bearer token: calendar apps fetch the URL as it is, and its secret is the credential.
    It rides in the query string, which the request log never records."""
    h = current_handles()
    return _ics(await calendar.personal_feed_ics(h.db, h.settings, query_args.token), private=True)
