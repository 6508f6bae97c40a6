"""Events: who sees what, the event as the API shows it, listing occurrences, reading one.

Visibility: members (member and up) see every event of the org; guests, and anyone reading a
public org, see public events only; anything else answers the same 404 as a missing event.
`meeting_url` is for members only, and when registration is required, for those going (and
whoever manages the event). An occurrence of a series carries the series `id` and its own
`occurrence_id`, `start_time` and `end_time`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database
from community.db.queries import events as q
from community.db.queries.events import EventRow, ShownOccurrenceRow
from community.domain.cursors import next_cursor, time_cursor
from community.domain.errors import NotFoundError, ValidationFailedError
from community.domain.permissions import Perm, Role
from community.domain.principal import OrgMember

NOT_FOUND = "No such event."
UPCOMING_WINDOW = timedelta(days=30)
OccurrenceRef = UUID | datetime | None


def now() -> datetime:
    return datetime.now(UTC)


def sees_members_only(member: OrgMember) -> bool:
    return member.at_least(Role.MEMBER)


def manages(member: OrgMember, event: EventRow) -> bool:
    return _manages(member, event.created_by)


def _manages(member: OrgMember, created_by: UUID | None) -> bool:
    """The creator (still in the org) or whoever may manage events (moderator+ by default)."""
    if member.can(Perm.MANAGE_EVENTS):
        return True
    return member.is_member and member.user_id is not None and created_by == member.user_id


def may_see(member: OrgMember, event: EventRow) -> bool:
    return event.is_public or sees_members_only(member)


def _shows_meeting_url(member: OrgMember | None, occ: ShownOccurrenceRow) -> bool:
    if member is None or not sees_members_only(member):
        return False
    return not occ.registration_required or occ.my_status == "going" or _manages(member, occ.created_by)


def event_view(occ: ShownOccurrenceRow, member: OrgMember | None) -> dict[str, Any]:
    """One occurrence as `member` sees it; None: as anyone on the org channel may (no personal fields)."""
    going, limit = occ.going_count, occ.max_attendees
    mine = None
    if member is not None and occ.my_status is not None:
        mine = {"status": occ.my_status, "position": occ.my_position, "checked_in_at": occ.my_checked_in_at}
    creator = {"id": occ.created_by, "display_name": occ.created_by_name,
               "avatar_url": occ.created_by_avatar} if occ.created_by else None
    return {
        "id": occ.id, "occurrence_id": occ.occurrence_id, "recurrence_id": occ.recurrence_id,
        "title": occ.title, "description": occ.description, "html": occ.html,
        "event_type": occ.event_type, "start_time": occ.start_time, "end_time": occ.end_time,
        "series_start_time": occ.series_start_time, "series_end_time": occ.series_end_time,
        "timezone": occ.timezone, "location": occ.location,
        "meeting_url": occ.meeting_url if _shows_meeting_url(member, occ) else None,
        "max_attendees": limit, "places_left": None if limit is None else max(0, limit - going),
        "registration_required": occ.registration_required, "is_public": occ.is_public,
        "recurrence": occ.recurrence, "is_recurring": occ.recurrence is not None,
        "status": occ.status, "cancel_reason": occ.cancel_reason,
        "attendee_count": going, "waitlist_count": occ.waitlist_count,
        "interested_count": occ.interested_count, "checked_in_count": occ.checked_in_count,
        "my_registration": mine, "can_manage": member is not None and _manages(member, occ.created_by),
        "topic_id": occ.topic_id, "created_by": creator, "created_at": occ.created_at,
        "updated_at": occ.updated_at,
    }


async def access_event(conn: Conn, member: OrgMember, event_id: UUID, *, for_update: bool = False) -> EventRow:
    """The only loader of an event (its series row) for a caller: missing and not visible are the same 404."""
    event = await q.get_event(conn, member.org_id, event_id, for_update=for_update)
    if event is None or not may_see(member, event):
        raise NotFoundError(NOT_FOUND)
    return event


async def resolve_occurrence(conn: Conn, member: OrgMember, event_id: UUID, ref: OccurrenceRef, *,
                             loc: str = "occurrence") -> UUID:
    """The occurrence `ref` names (its id, or its start time), else the next one not yet ended."""
    if ref is None:
        found = await q.current_occurrence(conn, member.org_id, event_id)
    elif isinstance(ref, UUID):
        found = await q.occurrence_of(conn, member.org_id, event_id, ref)
    else:
        found = await q.occurrence_at(conn, member.org_id, event_id, ref)
    if found is None:
        raise NotFoundError("No such occurrence of this event.", field=loc)
    return found


async def occurrence_view(conn: Conn, member: OrgMember, event_id: UUID, occurrence_id: UUID) -> dict[str, Any]:
    occ = await q.get_occurrence(conn, member.org_id, member.user_id, event_id, occurrence_id)
    if occ is None:
        raise NotFoundError(NOT_FOUND)
    return event_view(occ, member)


async def public_view(conn: Conn, org_id: UUID, event_id: UUID, occurrence_id: UUID) -> dict[str, Any] | None:
    """What realtime payloads carry: no meeting_url, no registration of anyone in particular."""
    occ = await q.get_occurrence(conn, org_id, None, event_id, occurrence_id)
    return event_view(occ, None) if occ is not None else None


def parse_occurrence(raw: str | None, loc: list[str]) -> OccurrenceRef:
    if raw is None or raw == "":
        return None
    try:
        return UUID(raw)
    except ValueError:
        pass
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ValidationFailedError("invalid occurrence", [{"loc": loc, "msg": "an occurrence id or its start time "
                                                             "(RFC 3339 with a zone)"}])
    return at


async def list_events(db: Database, member: OrgMember, *, start: datetime | None, end: datetime | None,
                      event_type: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    member.require(Perm.READ_PUBLIC)
    start = start or now()
    if end is not None and end <= start:
        raise ValidationFailedError("to must be after from", [{"loc": ["query", "to"], "msg": "must be after from"}])
    after = time_cursor(cursor)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        found = await q.list_occurrences(conn, member.org_id, member.user_id, start=start, end=end,
                                         members_only=sees_members_only(member),
                                         after=after,
                                         limit=limit + 1, event_type=event_type)
    page = found[:limit]
    key = (page[-1].start_time, page[-1].occurrence_id) if page else None
    return {"events": [event_view(o, member) for o in page], "next_cursor": next_cursor(found, limit, key)}


async def read_event(db: Database, member: OrgMember, event_id: UUID, ref: OccurrenceRef) -> dict[str, Any]:
    member.require(Perm.READ_PUBLIC)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        await access_event(conn, member, event_id)
        occurrence_id = await resolve_occurrence(conn, member, event_id, ref)
        return await occurrence_view(conn, member, event_id, occurrence_id)


async def list_series(db: Database, member: OrgMember, event_id: UUID, limit: int) -> list[dict[str, Any]]:
    """Every occurrence of one event (for its page and its .ics)."""
    member.require(Perm.READ_PUBLIC)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        await access_event(conn, member, event_id)
        found = await q.list_event_occurrences(conn, member.org_id, member.user_id, event_id, limit)
    return [event_view(o, member) for o in found]


async def upcoming(conn: Conn, member: OrgMember, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """For the dashboard: how many occurrences start in the next 30 days, and the next few."""
    members_only = sees_members_only(member)
    count = await q.count_upcoming(conn, member.org_id, UPCOMING_WINDOW, members_only)
    found = await q.list_occurrences(conn, member.org_id, member.user_id, start=now(), end=None,
                                     members_only=members_only, after=None, limit=limit)
    return count, [event_view(o, member) for o in found]
