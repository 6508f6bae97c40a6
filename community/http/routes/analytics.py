"""Analytics: the engagement series, totals and retention cohorts, as JSON or CSV (admin+)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint, Response
from quart_schema import validate_querystring

from community.http.auth import read_page
from community.http.context import current_handles
from community.http.models import Answer
from community.http.openapi import answers, problems
from community.services import analytics

blueprint = Blueprint("analytics", __name__)
CSV = "text/csv"


class AnalyticsQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    granularity: Literal["day", "week", "month"] = "day"


class Totals(Answer):
    members: int
    new_members: int
    active_members: int
    posts: int
    topics: int
    messages: int
    solved_topics: int
    median_first_reply_minutes: float | None
    event_registrations: int
    event_attendance: int
    resource_downloads: int
    csat_average: float | None  # CSAT answers given in the period
    csat_responses: int
    event_rating_average: float | None  # ratings of the occurrences that ended in the period
    event_ratings: int


class Period(Totals):
    period: date


class Cohort(Answer):
    cohort: str  # the join month, YYYY-MM
    sizes: list[int]  # [0] the cohort; [k] those of it active k months later


class CsatSummary(Answer):
    average: float | None
    responses: int
    dismissals: int
    response_rate: float | None  # responses / (responses + dismissals)
    distribution: list[int]  # how many answered 1, 2, 3, 4, 5
    satisfied_share: float | None  # answered 4 or 5, of the responses


class EventRatingSummary(Answer):
    average: float | None
    ratings: int
    attendees: int
    response_rate: float | None  # ratings / attendees of the occurrences that ended in the range
    distribution: list[int]


class Satisfaction(Answer):
    question: str
    csat: CsatSummary
    events: EventRatingSummary


class AnalyticsAnswer(Answer):
    granularity: Literal["day", "week", "month"]
    series: list[Period]
    totals: Totals
    retention: list[Cohort]
    satisfaction: Satisfaction


async def _read(org: str, query: AnalyticsQuery) -> dict[str, Any]:
    """Caller, org, membership and the numbers in one handoff; the answer is shaped here, in trio."""
    billing = current_handles().billing
    numbers = await read_page(org, lambda db, member: analytics.read_numbers(db, billing, member, query.from_,
                                                                              query.to))
    return analytics.answer(numbers, query.granularity)


@blueprint.get("/api/orgs/<org>/analytics")
@answers(AnalyticsAnswer)
@problems(402)
@validate_querystring(AnalyticsQuery)
async def read_analytics(org: str, query_args: AnalyticsQuery) -> dict[str, Any]:
    """Days are UTC; `from` is included and `to` excluded (default: the last 30 days with today)."""
    answer = await _read(org, query_args)
    return {k: answer[k] for k in ("granularity", "series", "totals", "retention", "satisfaction")}


@blueprint.get("/api/orgs/<org>/analytics.csv")
@answers(None, 200, media_type=CSV)
@problems(402)
@validate_querystring(AnalyticsQuery)
async def analytics_csv(org: str, query_args: AnalyticsQuery) -> Response:
    answer = await _read(org, query_args)
    response = Response(analytics.to_csv(answer["series"]), content_type="text/csv; charset=utf-8")
    name = f"analytics-{answer['from'].isoformat()}-{answer['to'].isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
