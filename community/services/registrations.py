"""Registration: going / interested / not going, the waitlist, attendees and check-in.

`max_attendees` is enforced by the database: every change to an occurrence's registrations
takes that occurrence's row lock first (`lock_occurrence`), then counts and decides, so
concurrent "going" requests are serialised and exactly the free places are given. A full
occurrence puts "going" on the waitlist in arrival order; a freed place (someone leaves,
or the capacity grows) goes to the first in line, who is notified in the same transaction.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal
from uuid import UUID

from community.db.pool import Conn, Database
from community.db.queries import registrations as rq
from community.db.queries.registrations import AttendeeRow, LockedOccurrenceRow, RegistrationRow
from community.domain.cursors import attendee_cursor, next_cursor
from community.domain.errors import ConflictError, ForbiddenError, NotFoundError
from community.domain.events import Channel, EventType
from community.domain.input import Body, Occurrence
from community.domain.principal import OrgMember
from community.handles import Publisher, Realtime
from community.services.event_notices import publish_notices, write_notices
from community.services.events import OccurrenceRef, access_event, manages, now, parse_occurrence, resolve_occurrence
from community.services.unit import Unit, unit_of_work

_NOT_REGISTERED = "No registration for this occurrence."


async def _locked_occurrence(conn: Conn, member: OrgMember, event_id: UUID,
                             ref: OccurrenceRef) -> LockedOccurrenceRow:
    occurrence_id = await resolve_occurrence(conn, member, event_id, ref)
    occ = await rq.lock_occurrence(conn, member.org_id, occurrence_id)
    if occ is None:
        raise NotFoundError("No such occurrence of this event.")
    return occ


def _require_open(occ: LockedOccurrenceRow) -> None:
    if occ.status == "cancelled" or occ.event_status == "cancelled":
        raise ConflictError("This event is cancelled.")
    if occ.end_time <= now():
        raise ConflictError("This event is over.")


def _decide(want: str, current: RegistrationRow | None, occ: LockedOccurrenceRow) -> tuple[str, int | None]:
    """The status (and waitlist position) `want` gets now."""
    if want != "going":
        return want, None
    if current is not None and current.status in ("going", "waitlisted"):
        return current.status, current.position
    limit = occ.max_attendees
    if limit is None or occ.going_count < limit:
        return "going", None
    return "waitlisted", occ.next_position


class RegistrationBody(Body):
    status: Literal["going", "interested", "not_going"]
    occurrence: Occurrence | None = None


async def check_register(db: Database, publisher: Publisher, realtime: Realtime, member: OrgMember, event_id: UUID,
                         data: RegistrationBody) -> dict[str, Any]:
    """Members of the org, for an occurrence not cancelled and not over (under its row lock)."""
    ref = parse_occurrence(data.occurrence, ["body", "occurrence"])
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await access_event(unit.conn, member, event_id)
        if not member.is_member or member.user_id is None:
            raise ForbiddenError("Join the organization to register for its events.")
        occ = await _locked_occurrence(unit.conn, member, event_id, ref)
        _require_open(occ)
        current = await rq.get_registration(unit.conn, member.org_id, occ.id, member.user_id)
        written = await do_register(unit, member, member.user_id, occ, current, data.status)
        answer = await _registration_view(unit.conn, member.org_id, occ, member.user_id)
    publish_notices(realtime, written)
    return answer


async def do_register(unit: Unit, member: OrgMember, user_id: UUID, occ: LockedOccurrenceRow,
                      current: RegistrationRow | None, want: str) -> list[dict[str, Any]]:
    """Writes the registration; a place given up goes to the waitlist's first (their notifications)."""
    status, position = _decide(want, current, occ)
    await rq.upsert_registration(unit.conn, org_id=member.org_id, event_id=occ.event_id, occurrence_id=occ.id,
                                 user_id=user_id, status=status, position=position)
    await rq.recount(unit.conn, member.org_id, occ.id, (position or 0) + 1)
    if current is not None and current.status == "going" and status != "going":
        return await fill_places(unit, occ.id)
    return []


async def _registration_view(conn: Conn, org_id: UUID, occ: LockedOccurrenceRow, user_id: UUID) -> dict[str, Any]:
    found = await rq.get_registration(conn, org_id, occ.id, user_id)
    assert found is not None
    position = await rq.waitlist_position(conn, org_id, occ.id, found.position) \
        if found.position is not None else None
    return {"status": found.status, "position": position, "occurrence_id": occ.id,
            "start_time": occ.start_time, "checked_in_at": found.checked_in_at,
            "registered_at": found.registered_at}


async def check_unregister(db: Database, publisher: Publisher, realtime: Realtime, member: OrgMember,
                           event_id: UUID, ref: OccurrenceRef) -> None:
    """One's own registration for a visible event's occurrence; none is a 404."""
    if member.user_id is None:
        raise NotFoundError(_NOT_REGISTERED)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await access_event(unit.conn, member, event_id)
        occ = await _locked_occurrence(unit.conn, member, event_id, ref)
        current = await rq.get_registration(unit.conn, member.org_id, occ.id, member.user_id)
        if current is None:
            raise NotFoundError(_NOT_REGISTERED)
        written = await do_unregister(unit, member, member.user_id, occ, current)
    publish_notices(realtime, written)


async def do_unregister(unit: Unit, member: OrgMember, user_id: UUID, occ: LockedOccurrenceRow,
                        current: RegistrationRow) -> list[dict[str, Any]]:
    await rq.delete_registration(unit.conn, member.org_id, occ.id, user_id)
    await rq.recount(unit.conn, member.org_id, occ.id)
    return await fill_places(unit, occ.id) if current.status == "going" else []


async def fill_places(unit: Unit, occurrence_id: UUID) -> list[dict[str, Any]]:
    """Give free places to the first in line (under the occurrence lock); answers their notifications."""
    assert unit.org_id is not None
    occ = await rq.lock_occurrence(unit.conn, unit.org_id, occurrence_id)
    if occ is None or occ.status == "cancelled" or occ.event_status == "cancelled" \
            or occ.end_time <= now():
        return []
    limit = occ.max_attendees
    free = occ.waitlist_count if limit is None else max(0, limit - occ.going_count)
    promoted = await rq.first_waitlisted(unit.conn, unit.org_id, occurrence_id, free) if free else []
    if not promoted:
        return []
    await rq.promote(unit.conn, unit.org_id, occurrence_id, promoted)
    await rq.recount(unit.conn, unit.org_id, occurrence_id)
    written: list[dict[str, Any]] = []
    for user_id in promoted:
        registration = {"status": "going", "position": None, "occurrence_id": occurrence_id,
                        "start_time": occ.start_time}
        activity = await unit.record(Channel.user(user_id), EventType.REGISTRATION_PROMOTED,
                                     {"event_id": occ.event_id, "registration": registration})
        written += await write_notices(
            unit.conn, activity, [user_id], kind="event_promoted", title="A place opened up for you",
            excerpt="You were first on the waitlist and are now going.",
            data={"event_id": occ.event_id, "occurrence_id": occurrence_id, "start_time": occ.start_time})
    return written


def attendee_view(found: AttendeeRow) -> dict[str, Any]:
    return {"user": {"id": found.user_id, "display_name": found.display_name,
                     "avatar_url": found.avatar_url},
            "status": found.status, "position": found.position, "checked_in_at": found.checked_in_at,
            "registered_at": found.registered_at}


async def list_attendees(db: Database, member: OrgMember, event_id: UUID, ref: OccurrenceRef, *,
                         status: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    after = attendee_cursor(cursor)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        event = await access_event(conn, member, event_id)
        if not manages(member, event):
            raise ForbiddenError("Only the event's creator or a moderator sees its attendees.")
        occurrence_id = await resolve_occurrence(conn, member, event_id, ref)
        found = await rq.list_attendees(conn, member.org_id, occurrence_id, status=status,
                                        after=after,
                                        limit=limit + 1)
    page = found[:limit]
    key = [page[-1].rank, page[-1].sort_position, page[-1].registered_at, page[-1].user_id] if page else None
    return {"attendees": [attendee_view(a) for a in page], "occurrence_id": occurrence_id,
            "next_cursor": next_cursor(found, limit, key)}


async def check_check_in(db: Database, publisher: Publisher, member: OrgMember, event_id: UUID, user_id: UUID,
                         ref: OccurrenceRef, *, undo: bool = False) -> dict[str, Any]:
    """Whoever manages the event, of someone registered; checking in: going, of an event not cancelled."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        event = await access_event(unit.conn, member, event_id)
        if not manages(member, event):
            raise ForbiddenError("Only the event's creator or a moderator checks people in.")
        occ = await _locked_occurrence(unit.conn, member, event_id, ref)
        current = await rq.get_registration(unit.conn, member.org_id, occ.id, user_id)
        if current is None:
            raise NotFoundError("This person is not registered for this occurrence.")
        if not undo:
            if occ.status == "cancelled" or occ.event_status == "cancelled":
                raise ConflictError("This event is cancelled.")
            if current.status != "going":
                raise ConflictError("Only people who are going can be checked in.",
                                    registration_status=current.status)
        found = await do_check_in(unit, member, occ.id, user_id, undo=undo)
    return attendee_view(found)


async def do_check_in(unit: Unit, member: OrgMember, occurrence_id: UUID, user_id: UUID, *,
                      undo: bool) -> AttendeeRow:
    """Sets (or clears) the check-in and answers the attendee row, its waitlist position counted."""
    if undo:
        await rq.undo_check_in(unit.conn, member.org_id, occurrence_id, user_id)
    else:
        await rq.check_in(unit.conn, member.org_id, occurrence_id, user_id, member.user_id)
    await rq.recount(unit.conn, member.org_id, occurrence_id)
    found = await rq.get_attendee(unit.conn, member.org_id, occurrence_id, user_id)
    assert found is not None
    if found.position is None:
        return found
    return replace(found, position=await rq.waitlist_position(unit.conn, member.org_id, occurrence_id,
                                                              found.position))
