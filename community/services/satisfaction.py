"""Satisfaction: attendees rate an event once it has ended, and an occasional in-app CSAT.

Event ratings: 1-5 and an optional comment, one per person and occurrence (saying it again
edits it); only attendees (checked in, or going to an occurrence where nobody was checked in),
only after the occurrence ended, never for a cancelled one. Whoever manages the event reads them.

CSAT ("How satisfied are you with this community?"): a member is asked at most once a calendar
quarter (UTC), and only after they have been in the org for `CSAT_AFTER`; answering or
dismissing both use up the quarter. The analytics page shows averages and response rates.
"""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import Field

from community.db.pool import Conn, Database
from community.db.queries import satisfaction as q
from community.db.queries.events import occurrence_at, occurrence_of
from community.db.queries.satisfaction import AttendanceRow, CsatRow, RatingRow
from community.domain.cursors import next_cursor, time_cursor
from community.domain.errors import CommunityError, ConflictError, ForbiddenError, NotFoundError
from community.domain.input import Body, Occurrence, Text
from community.domain.principal import OrgMember
from community.services.events import OccurrenceRef, access_event, manages, now, parse_occurrence
from community.services.unit import Unit

CSAT_QUESTION = "How satisfied are you with this community?"
CSAT_AFTER = timedelta(days=7)
_ATTENDEES_ONLY = "Only people who attended can rate this event."


def quarter_of(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_label(quarter: date) -> str:
    return f"{quarter.year}-Q{(quarter.month - 1) // 3 + 1}"


def average(scores: list[int]) -> float | None:
    return round(statistics.fmean(scores), 2) if scores else None


def distribution(scores: list[int]) -> list[int]:
    """How many gave 1, 2, 3, 4 and 5."""
    return [sum(1 for s in scores if s == n) for n in range(1, 6)]


def rate(part: int, whole: int) -> float | None:
    return round(min(1.0, part / whole), 4) if whole else None


# ---- event ratings -------------------------------------------------------------------------

class RatingBody(Body):
    score: int = Field(ge=1, le=5)
    comment: Text | None = Field(default=None, max_length=2000)
    occurrence: Occurrence | None = None


class CsatBody(Body):
    score: int = Field(ge=1, le=5)
    comment: Text | None = Field(default=None, max_length=2000)


async def _rated_occurrence(conn: Conn, member: OrgMember, event_id: UUID, ref: OccurrenceRef) -> UUID:
    """The occurrence `ref` names, else the most recent one that has ended."""
    if isinstance(ref, UUID):
        found = await occurrence_of(conn, member.org_id, event_id, ref)
    elif isinstance(ref, datetime):
        found = await occurrence_at(conn, member.org_id, event_id, ref)
    else:
        found = await q.last_ended(conn, member.org_id, event_id, now())
    if found is None:
        raise NotFoundError("No such occurrence of this event (or none has ended yet).", field="occurrence")
    return found


async def access_rated_occurrence(conn: Conn, member: OrgMember, event_id: UUID,
                                  ref: OccurrenceRef) -> AttendanceRow:
    """The only loader of an occurrence to rate, with the caller's attendance: an event they cannot
    see, or an occurrence it does not have, is the same 404."""
    await access_event(conn, member, event_id)
    occurrence_id = await _rated_occurrence(conn, member, event_id, ref)
    occ = await q.attended(conn, member.org_id, event_id, occurrence_id, member.user_id)
    if occ is None:
        raise NotFoundError("No such occurrence of this event.", field="occurrence")
    return occ


def _refusal(member: OrgMember, occ: AttendanceRow) -> CommunityError | None:
    """Why the caller may not rate this occurrence now (403, 409); None when they may."""
    if member.user_id is None or not member.is_member:
        return ForbiddenError(_ATTENDEES_ONLY)
    if occ.status == "cancelled" or occ.event_status == "cancelled":
        return ConflictError("This event was cancelled; there is nothing to rate.")
    if occ.end_time > now():
        return ConflictError("You can rate this event once it has ended.")
    if not occ.attended:
        return ForbiddenError(_ATTENDEES_ONLY)
    return None


def _rating_view(found: RatingRow) -> dict[str, Any]:
    return {"occurrence_id": found.occurrence_id, "score": found.score, "comment": found.comment,
            "created_at": found.created_at, "updated_at": found.updated_at}


async def read_my_rating(db: Database, member: OrgMember, event_id: UUID, ref: OccurrenceRef) -> dict[str, Any]:
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        occ = await access_rated_occurrence(conn, member, event_id, ref)
        mine = await q.get_rating(conn, member.org_id, occ.id, member.user_id) if member.user_id else None
    return {"occurrence_id": occ.id, "can_rate": _refusal(member, occ) is None,
            "rating": _rating_view(mine) if mine is not None else None}


async def check_rate(db: Database, member: OrgMember, event_id: UUID, data: RatingBody) -> dict[str, Any]:
    """Attendees only, once the occurrence has ended and unless it was cancelled."""
    ref = parse_occurrence(data.occurrence, ["body", "occurrence"])
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        occ = await access_rated_occurrence(conn, member, event_id, ref)
        if (refused := _refusal(member, occ)) is not None:
            raise refused
        assert member.user_id is not None
        unit = Unit(conn=conn, org_id=member.org_id, actor_id=member.user_id)
        return await do_rate(unit, event_id, occ, member.user_id, data)


async def do_rate(unit: Unit, event_id: UUID, occ: AttendanceRow, user_id: UUID, data: RatingBody) -> dict[str, Any]:
    """Writes the rating (again: edits it); nothing is published."""
    assert unit.org_id is not None
    saved = await q.upsert_rating(unit.conn, org_id=unit.org_id, event_id=event_id, occurrence_id=occ.id,
                                  user_id=user_id, score=data.score, comment=data.comment or None)
    return _rating_view(saved)


async def list_event_ratings(db: Database, member: OrgMember, event_id: UUID, occurrence_id: UUID | None,
                             cursor: str | None, limit: int) -> dict[str, Any]:
    after = time_cursor(cursor)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        event = await access_event(conn, member, event_id)
        if not manages(member, event):
            raise ForbiddenError("Only the event's creator or a moderator reads its ratings.")
        if occurrence_id is not None and await occurrence_of(conn, member.org_id, event_id, occurrence_id) is None:
            raise NotFoundError("No such occurrence of this event.", field="occurrence")
        summary = await q.rating_summary(conn, member.org_id, event_id, occurrence_id)
        found = await q.list_ratings(conn, member.org_id, event_id, occurrence_id, after, limit + 1)
    page = found[:limit]
    scores = list(summary["scores"] or [])
    key = [page[-1].updated_at, page[-1].user_id] if page else None
    return {
        "summary": {"average": average(scores), "ratings": len(scores), "attendees": summary["attendees"],
                    "response_rate": rate(len(scores), summary["attendees"]), "distribution": distribution(scores)},
        "ratings": [{"user": {"id": r.user_id, "display_name": r.display_name, "avatar_url": r.avatar_url}}
                    | _rating_view(r) for r in page],
        "next_cursor": next_cursor(found, limit, key),
    }


# ---- CSAT ----------------------------------------------------------------------------------

def _csat_view(member: OrgMember, quarter: date, found: CsatRow | None,
               joined: datetime | None) -> dict[str, Any]:
    settled = joined is not None and now() - joined >= CSAT_AFTER
    return {"question": CSAT_QUESTION, "quarter": quarter_label(quarter),
            "due": found is None and settled and member.is_member,
            "response": None if found is None else {
                "score": found.score, "comment": found.comment, "dismissed": found.score is None,
                "created_at": found.created_at}}


def _require_member(member: OrgMember) -> UUID:
    if member.user_id is None or not member.is_member:
        raise ForbiddenError("Only members of the organization are asked.")
    return member.user_id


async def read_csat(db: Database, member: OrgMember) -> dict[str, Any]:
    user_id = _require_member(member)
    quarter = quarter_of(datetime.now(UTC).date())
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        found = await q.get_csat(conn, member.org_id, user_id, quarter)
        joined = await q.joined_at(conn, member.org_id, user_id)
    return _csat_view(member, quarter, found, joined)


async def check_answer_csat(db: Database, member: OrgMember, data: CsatBody) -> dict[str, Any]:
    """A score for this quarter; 409 when it is already used up."""
    return await _check_csat(db, member, data.score, data.comment)


async def check_dismiss_csat(db: Database, member: OrgMember) -> dict[str, Any]:
    """Not now: uses up this quarter like an answer (409 when it is already used up)."""
    return await _check_csat(db, member, None, None)


async def _check_csat(db: Database, member: OrgMember, score: int | None, comment: str | None) -> dict[str, Any]:
    user_id = _require_member(member)
    quarter = quarter_of(datetime.now(UTC).date())
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        saved = await do_answer_csat(Unit(conn=conn, org_id=member.org_id, actor_id=user_id), user_id, quarter,
                                     score, comment)
        joined = await q.joined_at(conn, member.org_id, user_id)
    return _csat_view(member, quarter, saved, joined)


async def do_answer_csat(unit: Unit, user_id: UUID, quarter: date, score: int | None,
                         comment: str | None) -> CsatRow:
    """Writes the answer (`score` None: a dismissal); 409 when this quarter is already used up."""
    assert unit.org_id is not None
    saved = await q.insert_csat(unit.conn, unit.org_id, user_id, quarter, score, comment or None)
    if saved is None:
        raise ConflictError(f"You already answered or dismissed this survey in {quarter_label(quarter)}.",
                            quarter=quarter_label(quarter))
    return saved


# ---- analytics -----------------------------------------------------------------------------

def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime(start.year, start.month, start.day, tzinfo=UTC),
            datetime(end.year, end.month, end.day, tzinfo=UTC))


async def satisfaction_days(conn: Conn, org_id: UUID, start: date, end: date) -> dict[date, dict[str, Any]]:
    """Per UTC day: CSAT scores and dismissals given that day; ratings and attendees of the
    occurrences that ended that day."""
    lo, hi = _bounds(start, end)
    out: dict[date, dict[str, Any]] = {}
    for r in await q.csat_days(conn, org_id, lo, hi):
        out.setdefault(r["day"], _empty())
        out[r["day"]]["csat_scores"] = list(r["scores"] or [])
        out[r["day"]]["csat_dismissals"] = r["dismissals"]
    for r in await q.rating_days(conn, org_id, lo, hi):
        out.setdefault(r["day"], _empty())
        out[r["day"]]["rating_scores"] = list(r["scores"])
        out[r["day"]]["attendees"] = r["attendees"]
    return out


def _empty() -> dict[str, Any]:
    return {"csat_scores": [], "csat_dismissals": 0, "rating_scores": [], "attendees": 0}


def merge(days: list[dict[str, Any]]) -> dict[str, Any]:
    total = _empty()
    for d in days:
        total["csat_scores"] += d["csat_scores"]
        total["csat_dismissals"] += d["csat_dismissals"]
        total["rating_scores"] += d["rating_scores"]
        total["attendees"] += d["attendees"]
    return total


def period_fields(days: list[dict[str, Any]]) -> dict[str, Any]:
    """The satisfaction columns of a series period (and of the totals)."""
    if not days:
        return {"csat_average": None, "csat_responses": 0, "event_rating_average": None, "event_ratings": 0}
    t = merge(days) if len(days) > 1 else days[0]  # a series by day: one day, nothing to merge
    return {"csat_average": average(t["csat_scores"]), "csat_responses": len(t["csat_scores"]),
            "event_rating_average": average(t["rating_scores"]), "event_ratings": len(t["rating_scores"])}


def summary(days: list[dict[str, Any]]) -> dict[str, Any]:
    t = merge(days)
    csat, ratings = t["csat_scores"], t["rating_scores"]
    asked = len(csat) + t["csat_dismissals"]
    return {
        "question": CSAT_QUESTION,
        "csat": {"average": average(csat), "responses": len(csat), "dismissals": t["csat_dismissals"],
                 "response_rate": rate(len(csat), asked), "distribution": distribution(csat),
                 "satisfied_share": rate(sum(1 for s in csat if s >= 4), len(csat))},
        "events": {"average": average(ratings), "ratings": len(ratings), "attendees": t["attendees"],
                   "response_rate": rate(len(ratings), t["attendees"]), "distribution": distribution(ratings)},
    }
