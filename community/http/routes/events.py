"""Events: the calendar listing, one event, writes, cancellation, registration, attendees."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, Field
from quart import Blueprint
from quart_schema import validate_querystring, validate_request

from community.domain.errors import ValidationFailedError
from community.http.auth import org_member
from community.http.context import current_handles
from community.http.models import Answer, Body, Cursor, Event, PageQuery, UserRef
from community.http.openapi import answers, optional_auth, problems
from community.services import event_writes, events, registrations

blueprint = Blueprint("events", __name__)
ORG = "/api/orgs/<org>/events"
EVENT = ORG + "/<uuid:event_id>"


def _clean(value: str) -> str:
    if "\x00" in value:
        raise ValueError("may not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("may not contain unpaired surrogates") from None
    return value


def _web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return value


Text = Annotated[str, AfterValidator(_clean)]
Url = Annotated[str, AfterValidator(_clean), AfterValidator(_web_url)]


class CreateEventBody(Body):
    title: Text = Field(min_length=1, max_length=255)
    description: Text | None = Field(default=None, max_length=20_000)
    event_type: Text | None = Field(default=None, min_length=1, max_length=50)
    start_time: AwareDatetime
    end_time: AwareDatetime
    timezone: Text = Field(min_length=1, max_length=100)
    location: Text | None = Field(default=None, max_length=255)
    meeting_url: Url | None = Field(default=None, max_length=500)
    max_attendees: int | None = Field(default=None, ge=1, le=100_000)
    registration_required: bool = False
    is_public: bool = True
    recurrence: Text | None = Field(default=None, min_length=1, max_length=500,
                                    description="An RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10")
    create_topic: bool = False
    topic_forum_id: UUID | None = None


class UpdateEventBody(Body):
    title: Text | None = Field(default=None, min_length=1, max_length=255)
    description: Text | None = Field(default=None, max_length=20_000)
    event_type: Text | None = Field(default=None, min_length=1, max_length=50)
    start_time: AwareDatetime | None = None
    end_time: AwareDatetime | None = None
    timezone: Text | None = Field(default=None, min_length=1, max_length=100)
    location: Text | None = Field(default=None, max_length=255)
    meeting_url: Url | None = Field(default=None, max_length=500)
    max_attendees: int | None = Field(default=None, ge=1, le=100_000)
    registration_required: bool | None = None
    is_public: bool | None = None
    recurrence: Text | None = Field(default=None, min_length=1, max_length=500)
    occurrence: str | None = Field(default=None, max_length=64,
                                   description="Edit only this occurrence (its id or start time); omit for the series")


class CancelBody(Body):
    reason: Text = Field(min_length=1, max_length=1000)
    occurrence: str | None = Field(default=None, max_length=64)


class RegistrationBody(Body):
    status: Literal["going", "interested", "not_going"]
    occurrence: str | None = Field(default=None, max_length=64)


class EventsQuery(PageQuery):
    from_: AwareDatetime | None = Field(default=None, alias="from")
    to: AwareDatetime | None = None
    event_type: str | None = Field(default=None, max_length=50)


class OccurrenceQuery(PageQuery):
    occurrence: str | None = Field(default=None, max_length=64)


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


_NOT_NULL = ("title", "start_time", "end_time", "timezone", "registration_required", "is_public")


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
@validate_request(CreateEventBody)
async def create_event(org: str, data: CreateEventBody) -> tuple[dict[str, Any], int]:
    member = await org_member(org)
    h = current_handles()
    return {"event": await event_writes.do_create_event(h.db, h.publisher, member, data.model_dump())}, 201


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
@validate_request(UpdateEventBody)
async def update_event(org: str, event_id: UUID, data: UpdateEventBody) -> dict[str, Any]:
    member = await org_member(org)
    changes = data.model_dump(exclude_unset=True)
    ref = _occurrence(changes.pop("occurrence", None), "body")
    nulls = [k for k in _NOT_NULL if k in changes and changes[k] is None]
    if nulls:
        raise ValidationFailedError(f"invalid: {', '.join(nulls)}",
                                    [{"loc": ["body", k], "msg": "may not be null"} for k in nulls])
    h = current_handles()
    return {"event": await event_writes.do_update_event(h.db, h.publisher, h.realtime, member, event_id, changes, ref)}


@blueprint.delete(EVENT)
@answers(None, 204)
async def delete_event(org: str, event_id: UUID) -> tuple[str, int]:
    member = await org_member(org)
    h = current_handles()
    await event_writes.do_delete_event(h.db, h.publisher, h.realtime, member, event_id)
    return "", 204


@blueprint.post(EVENT + "/cancel")
@answers(EventAnswer)
@validate_request(CancelBody)
async def cancel_event(org: str, event_id: UUID, data: CancelBody) -> dict[str, Any]:
    member = await org_member(org)
    ref = _occurrence(data.occurrence, "body")
    h = current_handles()
    return {"event": await event_writes.do_cancel_event(h.db, h.publisher, h.realtime, member, event_id, data.reason,
                                                        ref)}


@blueprint.put(EVENT + "/registration")
@answers(RegistrationAnswer)
@problems(409)
@validate_request(RegistrationBody)
async def register(org: str, event_id: UUID, data: RegistrationBody) -> dict[str, Any]:
    member = await org_member(org)
    ref = _occurrence(data.occurrence, "body")
    h = current_handles()
    return {"registration": await registrations.do_register(h.db, h.publisher, h.realtime, member, event_id,
                                                            data.status, ref)}


@blueprint.delete(EVENT + "/registration")
@answers(None, 204)
@validate_querystring(OccurrenceQuery)
async def unregister(org: str, event_id: UUID, query_args: OccurrenceQuery) -> tuple[str, int]:
    member = await org_member(org)
    h = current_handles()
    await registrations.do_unregister(h.db, h.publisher, h.realtime, member, event_id,
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
    return {"attendee": await registrations.do_check_in(h.db, h.publisher, member, event_id, user_id, ref)}


@blueprint.delete(EVENT + "/attendees/<uuid:user_id>/check-in")
@answers(AttendeeAnswer)
@validate_querystring(OccurrenceQuery)
async def undo_check_in(org: str, event_id: UUID, user_id: UUID, query_args: OccurrenceQuery) -> dict[str, Any]:
    member = await org_member(org)
    ref = _occurrence(query_args.occurrence, "query")
    h = current_handles()
    return {"attendee": await registrations.do_check_in(h.db, h.publisher, member, event_id, user_id, ref,
                                                        undo=True)}
