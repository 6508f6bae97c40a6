"""Satisfaction: an attendee's rating of an event that has ended, the event's ratings for whoever
manages it, and the quarterly in-app CSAT (answer or dismiss)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from quart import Blueprint
from quart_schema import validate_querystring, validate_request

from community.domain.input import Occurrence
from community.http.auth import org_member
from community.http.context import current_handles
from community.http.models import Answer, Cursor, PageQuery, UserRef
from community.http.openapi import answers, problems
from community.services import events, satisfaction
from community.services.satisfaction import CsatBody, RatingBody

blueprint = Blueprint("satisfaction", __name__)
EVENT = "/api/orgs/<org>/events/<uuid:event_id>"
CSAT = "/api/orgs/<org>/csat"


def _occurrence(raw: str | None) -> events.OccurrenceRef:
    return events.parse_occurrence(raw, ["query", "occurrence"])


class OccurrenceQuery(PageQuery):
    occurrence: Occurrence | None = None


class Rating(Answer):
    occurrence_id: UUID
    score: int
    comment: str | None
    created_at: datetime
    updated_at: datetime


class MyRatingAnswer(Answer):
    occurrence_id: UUID
    can_rate: bool
    rating: Rating | None


class RatingAnswer(Answer):
    rating: Rating


class RatingsQuery(PageQuery):
    occurrence: UUID | None = None


class RatingSummary(Answer):
    average: float | None
    ratings: int
    attendees: int
    response_rate: float | None  # ratings / attendees
    distribution: list[int]  # how many gave 1, 2, 3, 4, 5


class RatingEntry(Answer):
    user: UserRef
    occurrence_id: UUID
    score: int
    comment: str | None
    created_at: datetime
    updated_at: datetime


class RatingsPage(Answer):
    summary: RatingSummary
    ratings: list[RatingEntry]
    next_cursor: Cursor


class CsatResponse(Answer):
    score: int | None
    comment: str | None
    dismissed: bool
    created_at: datetime


class Csat(Answer):
    question: str
    quarter: str  # YYYY-Qn (UTC)
    due: bool  # show the prompt now
    response: CsatResponse | None


class CsatAnswer(Answer):
    csat: Csat


@blueprint.get(EVENT + "/rating")
@answers(MyRatingAnswer)
@validate_querystring(OccurrenceQuery)
async def read_my_rating(org: str, event_id: UUID, query_args: OccurrenceQuery) -> dict[str, Any]:
    """The caller's rating of an occurrence (default: the most recent that ended) and whether they may rate it."""
    member = await org_member(org)
    return await satisfaction.read_my_rating(current_handles().db, member, event_id,
                                             _occurrence(query_args.occurrence))


@blueprint.put(EVENT + "/rating")
@answers(RatingAnswer)
@problems(409)
@validate_request(RatingBody)
async def rate_event(org: str, event_id: UUID, data: RatingBody) -> dict[str, Any]:
    """Attendees only, once the occurrence has ended (409 before, or when cancelled); again edits it."""
    member = await org_member(org)
    return {"rating": await satisfaction.check_rate(current_handles().db, member, event_id, data)}


@blueprint.get(EVENT + "/ratings")
@answers(RatingsPage)
@validate_querystring(RatingsQuery)
async def list_ratings(org: str, event_id: UUID, query_args: RatingsQuery) -> dict[str, Any]:
    """Whoever manages the event: the summary and the ratings, newest first."""
    member = await org_member(org)
    return await satisfaction.list_event_ratings(current_handles().db, member, event_id, query_args.occurrence,
                                                 query_args.cursor, query_args.limit)


@blueprint.get(CSAT)
@answers(CsatAnswer)
async def read_csat(org: str) -> dict[str, Any]:
    member = await org_member(org)
    return {"csat": await satisfaction.read_csat(current_handles().db, member)}


@blueprint.post(CSAT)
@answers(CsatAnswer, 201)
@problems(409)
@validate_request(CsatBody)
async def answer_csat(org: str, data: CsatBody) -> tuple[dict[str, Any], int]:
    """Once a quarter: 409 when this quarter is already answered or dismissed."""
    member = await org_member(org)
    return {"csat": await satisfaction.check_answer_csat(current_handles().db, member, data)}, 201


@blueprint.post(CSAT + "/dismiss")
@answers(CsatAnswer)
@problems(409)
async def dismiss_csat(org: str) -> dict[str, Any]:
    """Not now: uses up this quarter like an answer."""
    member = await org_member(org)
    return {"csat": await satisfaction.check_dismiss_csat(current_handles().db, member)}
