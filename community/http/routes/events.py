"""Events: the calendar listing, one event, writes, cancellation, registration, attendees."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field
from quart import Blueprint
from quart_schema import validate_querystring, validate_request

from community.domain.input import Occurrence
from community.http.auth import org_member
from community.http.context import current_handles
from community.http.models import Answer, Cursor, Event, PageQuery, UserRef
from community.http.openapi import answers, optional_auth, problems
from community.services import event_writes, events, registrations

blueprint = Blueprint("events", __name__)
ORG = "/api/orgs/<org>/events"
EVENT = ORG + "/<uuid:event_id>"


class EventsQuery(PageQuery):
    from_: AwareDatetime | None = Field(default=None, alias="from")
    to: AwareDatetime | None = None
    event_type: str | None = Field(default=None, max_length=50)


class OccurrenceQuery(PageQuery):
    occurrence: Occurrence | None = None


class AttendeesQuery(OccurrenceQuery):
    status: Literal["going", "interested", "not_going", "waitlisted"] | None = None


class EventAnswer(Answer):
    event: Event


class EventsPage(Answer):
    events: list[Event]
    next_cursor: Cursor


class Registration(Answer):
    status: Literal["going", "interested", "not_going", "waitlisted"]
    position: int | None
    occurrence_id: UUID
    start_time: datetime
    checked_in_at: datetime | None
    registered_at: datetime


class RegistrationAnswer(Answer):
    registration: Registration


class Attendee(Answer):
    user: UserRef
    status: Literal["going", "interested", "not_going", "waitlisted"]
    position: int | None
    checked_in_at: datetime | None
    registered_at: datetime


class AttendeesPage(Answer):
    attendees: list[Attendee]
    occurrence_id: UUID
    next_cursor: Cursor


class AttendeeAnswer(Answer):
    attendee: Attendee


def _occurrence(raw: str | None, where: str) -> events.OccurrenceRef:
    return events.parse_occurrence(raw, [where, "occurrence"])


@blueprint.get(ORG)
@answers(EventsPage)
@optional_auth
@validate_querystring(EventsQuery)
async def list_events(org: str, query_args: EventsQuery) -> dict[str, Any]:
    member = await org_member(org, allow_anonymous=True)
    return await events.list_events(current_handles().db, member, start=query_args.from_, end=query_args.to,
                                    event_type=query_args.event_type, cursor=query_args.cursor,
                                    limit=query_args.limit)


@blueprint.post(ORG)
@answers(EventAnswer, 201)
@validate_request(event_writes.CreateEventBody)
async def create_event(org: str, data: event_writes.CreateEventBody) -> tuple[dict[str, Any], int]:
    member = await org_member(org)
    h = current_handles()
    return {"event": await event_writes.check_create_event(h.db, h.publisher, member, data)}, 201


@blueprint.get(EVENT)
@answers(EventAnswer)
@optional_auth
@validate_querystring(OccurrenceQuery)
async def read_event(org: str, event_id: UUID, query_args: OccurrenceQuery) -> dict[str, Any]:
    member = await org_member(org, allow_anonymous=True)
    ref = _occurrence(query_args.occurrence, "query")
    return {"event": await events.read_event(current_handles().db, member, event_id, ref)}


@blueprint.patch(EVENT)
@answers(EventAnswer)
@validate_request(event_writes.UpdateEventBody)
async def update_event(org: str, event_id: UUID, data: event_writes.UpdateEventBody) -> dict[str, Any]:
    member = await org_member(org)
    h = current_handles()
    return {"event": await event_writes.check_update_event(h.db, h.publisher, h.realtime, member, event_id, data)}


@blueprint.delete(EVENT)
@answers(None, 204)
async def delete_event(org: str, event_id: UUID) -> tuple[str, int]:
    member = await org_member(org)
    h = current_handles()
    await event_writes.check_delete_event(h.db, h.publisher, h.realtime, member, event_id)
    return "", 204


@blueprint.post(EVENT + "/cancel")
@answers(EventAnswer)
@validate_request(event_writes.CancelBody)
async def cancel_event(org: str, event_id: UUID, data: event_writes.CancelBody) -> dict[str, Any]:
    member = await org_member(org)
    h = current_handles()
    return {"event": await event_writes.check_cancel_event(h.db, h.publisher, h.realtime, member, event_id, data)}


@blueprint.put(EVENT + "/registration")
@answers(RegistrationAnswer)
@problems(409)
@validate_request(registrations.RegistrationBody)
async def register(org: str, event_id: UUID, data: registrations.RegistrationBody) -> dict[str, Any]:
    member = await org_member(org)
    h = current_handles()
    return {"registration": await registrations.check_register(h.db, h.publisher, h.realtime, member, event_id,
                                                               data)}


@blueprint.delete(EVENT + "/registration")
@answers(None, 204)
@validate_querystring(OccurrenceQuery)
async def unregister(org: str, event_id: UUID, query_args: OccurrenceQuery) -> tuple[str, int]:
    member = await org_member(org)
    h = current_handles()
    await registrations.check_unregister(h.db, h.publisher, h.realtime, member, event_id,
                                         _occurrence(query_args.occurrence, "query"))
    return "", 204


@blueprint.get(EVENT + "/attendees")
@answers(AttendeesPage)
@validate_querystring(AttendeesQuery)
async def list_attendees(org: str, event_id: UUID, query_args: AttendeesQuery) -> dict[str, Any]:
    member = await org_member(org)
    return await registrations.list_attendees(current_handles().db, member, event_id,
                                              _occurrence(query_args.occurrence, "query"), status=query_args.status,
                                              cursor=query_args.cursor, limit=query_args.limit)


@blueprint.post(EVENT + "/attendees/<uuid:user_id>/check-in")
@answers(AttendeeAnswer)
@problems(409)
@validate_querystring(OccurrenceQuery)
async def check_in(org: str, event_id: UUID, user_id: UUID, query_args: OccurrenceQuery) -> dict[str, Any]:
    member = await org_member(org)
    ref = _occurrence(query_args.occurrence, "query")
    h = current_handles()
    return {"attendee": await registrations.check_check_in(h.db, h.publisher, member, event_id, user_id, ref)}


@blueprint.delete(EVENT + "/attendees/<uuid:user_id>/check-in")
@answers(AttendeeAnswer)
@validate_querystring(OccurrenceQuery)
async def undo_check_in(org: str, event_id: UUID, user_id: UUID, query_args: OccurrenceQuery) -> dict[str, Any]:
    member = await org_member(org)
    ref = _occurrence(query_args.occurrence, "query")
    h = current_handles()
    return {"attendee": await registrations.check_check_in(h.db, h.publisher, member, event_id, user_id, ref,
                                                           undo=True)}
