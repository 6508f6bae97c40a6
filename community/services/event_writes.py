"""Creating, editing (the series or one occurrence), cancelling and deleting events.

Each write is one unit of work: the event, its occurrences, the notifications it owes the
registrants, and `event_created|updated|cancelled|deleted` on the org channel (its payload
carries no meeting_url and no one's registration: whoever receives it refetches).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, Field

from community.db.pool import Database
from community.db.queries import events as q
from community.db.queries.events import EventFields, EventRow
from community.domain.errors import ForbiddenError, ValidationFailedError
from community.domain.events import Activity, Channel, EventType
from community.domain.input import RRULE_FORMAT, TIME_ZONE_FORMAT, Body, Occurrence, Text, null_refused
from community.domain.markdown import render_markdown
from community.domain.permissions import Perm
from community.domain.principal import OrgMember
from community.domain.recurrence import RecurrenceError, check_timezone
from community.handles import Publisher, Realtime
from community.services import event_series, registrations
from community.services.event_notices import publish_notices, write_notices
from community.services.event_topics import open_topic
from community.services.events import (
    OccurrenceRef,
    access_event,
    manages,
    now,
    occurrence_view,
    parse_occurrence,
    public_view,
    resolve_occurrence,
)
from community.services.unit import Unit, unit_of_work

SERIES_ONLY = ("event_type", "timezone", "max_attendees", "registration_required", "is_public", "recurrence")
_TIMING = ("start_time", "end_time", "timezone", "recurrence")


def _web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return value


EventText = Text
# The document says it narrower than _web_url takes it (lower-case scheme, a plain host).
Url = Annotated[Text, AfterValidator(_web_url),
                Field(json_schema_extra={"pattern": r"^https?://[^\s/?#\[\]@\x00]+([/?#][^\x00]*)?$"})]


class CreateEventBody(Body):
    title: EventText = Field(min_length=1, max_length=255)
    description: EventText | None = Field(default=None, max_length=20_000)
    event_type: EventText | None = Field(default=None, min_length=1, max_length=50)
    start_time: AwareDatetime
    end_time: AwareDatetime
    timezone: EventText = Field(min_length=1, max_length=100, json_schema_extra=TIME_ZONE_FORMAT)
    location: EventText | None = Field(default=None, max_length=255)
    meeting_url: Url | None = Field(default=None, max_length=500)
    max_attendees: int | None = Field(default=None, ge=1, le=100_000)
    registration_required: bool = False
    is_public: bool = True
    recurrence: Annotated[EventText, Field(min_length=1, max_length=500, json_schema_extra=RRULE_FORMAT)] | None = None
    create_topic: bool = False
    topic_forum_id: UUID | None = None


class UpdateEventBody(Body):
    title: EventText | None = Field(default=None, min_length=1, max_length=255, json_schema_extra=null_refused)
    description: EventText | None = Field(default=None, max_length=20_000)
    event_type: EventText | None = Field(default=None, min_length=1, max_length=50)
    start_time: AwareDatetime | None = Field(default=None, json_schema_extra=null_refused)
    end_time: AwareDatetime | None = Field(default=None, json_schema_extra=null_refused)
    timezone: Annotated[EventText, Field(min_length=1, max_length=100, json_schema_extra=TIME_ZONE_FORMAT)] | None = \
        Field(default=None, json_schema_extra=null_refused)
    location: EventText | None = Field(default=None, max_length=255)
    meeting_url: Url | None = Field(default=None, max_length=500)
    max_attendees: int | None = Field(default=None, ge=1, le=100_000)
    registration_required: bool | None = Field(default=None, json_schema_extra=null_refused)  # _NOT_NULL
    is_public: bool | None = Field(default=None, json_schema_extra=null_refused)
    recurrence: Annotated[EventText, Field(min_length=1, max_length=500, json_schema_extra=RRULE_FORMAT)] | None = None
    occurrence: Occurrence | None = Field(
        default=None, description="Edit only this occurrence (its id or start time); omit for the series")


_NOT_NULL = ("title", "start_time", "end_time", "timezone", "registration_required", "is_public")


def _invalid(errors: list[dict[str, object]]) -> ValidationFailedError:
    fields = ", ".join(str(e["loc"][-1]) for e in errors)  # type: ignore[index]
    return ValidationFailedError(f"invalid: {fields}", errors)


def check_event(event: EventFields) -> None:
    """Zone, times and rule together; every failing field is named."""
    errors: list[dict[str, object]] = []
    try:
        check_timezone(event.timezone)
    except RecurrenceError as exc:
        errors.append({"loc": ["body", "timezone"], "msg": str(exc)})
    if event.end_time <= event.start_time:
        errors.append({"loc": ["body", "end_time"], "msg": "must be after start_time"})
    if not errors and event.recurrence:
        try:
            event_series.plan(event, now=now())
        except RecurrenceError as exc:
            errors.append({"loc": ["body", "recurrence"], "msg": str(exc)})
    if errors:
        raise _invalid(errors)


def _normalised(event: EventFields) -> EventFields:
    """Times in UTC, no description an empty one, and its html rendered."""
    description = event.description or ""
    return replace(event, start_time=event.start_time.astimezone(now().tzinfo),
                   end_time=event.end_time.astimezone(now().tzinfo), description=description,
                   html=render_markdown(description) if description else "")


async def check_create_event(db: Database, publisher: Publisher, member: OrgMember,
                             data: CreateEventBody) -> dict[str, Any]:
    """Whoever may create events, of a valid event (its series laid out before anything is written)."""
    member.require(Perm.CREATE_EVENTS)
    event = _normalised(EventFields(**data.model_dump(exclude={"create_topic", "topic_forum_id"}), html=None,
                                    materialized_until=None, series_complete=False))
    check_event(event)
    layout = event_series.plan(event, now=now())
    event = replace(event, materialized_until=layout.materialized_until, series_complete=layout.complete)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        return await do_create_event(unit, member, data, event, layout)


async def do_create_event(unit: Unit, member: OrgMember, data: CreateEventBody, event: EventFields,
                          layout: event_series.Layout) -> dict[str, Any]:
    stored = await q.insert_event(unit.conn, uuid.uuid4(), member.org_id, event, member.user_id)
    await event_series.lay_out(unit.conn, member.org_id, stored.id, layout)
    if data.create_topic:
        topic_id = await open_topic(unit, member, asdict(stored), data.topic_forum_id)
        await q.set_topic(unit.conn, member.org_id, stored.id, topic_id)
    _, view = await _record(unit, member, stored.id, None, EventType.EVENT_CREATED)
    return view


async def _record(unit: Unit, member: OrgMember, event_id: UUID, ref: OccurrenceRef,
                  kind: EventType) -> tuple[Activity, dict[str, Any]]:
    """Record `kind` on the org channel; answers it and the event as the caller sees it now."""
    occurrence_id = await resolve_occurrence(unit.conn, member, event_id, ref)
    shared = await public_view(unit.conn, member.org_id, event_id, occurrence_id)
    assert shared is not None
    activity = await unit.record(Channel.org(member.org_id), kind, _payload(shared))
    return activity, await occurrence_view(unit.conn, member, event_id, occurrence_id)


def _payload(shared: dict[str, Any]) -> dict[str, Any]:
    """min_rank says who may receive it (0: everyone who reads the org, a public event; 1: members
    and up), the rule `domain/audience.py` applies per recipient, live and on resume."""
    return {"event_id": shared["id"], "occurrence_id": shared["occurrence_id"], "event": shared,
            "min_rank": 0 if shared["is_public"] else 1}


async def _managed_event(unit: Unit, member: OrgMember, event_id: UUID) -> EventRow:
    """The event under its row lock, for whoever manages it."""
    event = await access_event(unit.conn, member, event_id, for_update=True)
    if not manages(member, event):
        raise ForbiddenError("Only the event's creator or a moderator changes this event.")
    return event


@dataclass(frozen=True, slots=True)
class OccurrenceEdit:
    """One occurrence's checked changes; `start`/`end` are None when its times stay."""

    occurrence_id: UUID
    changes: dict[str, Any]
    start: datetime | None
    end: datetime | None


async def check_update_event(db: Database, publisher: Publisher, realtime: Realtime, member: OrgMember,
                             event_id: UUID, body: UpdateEventBody) -> dict[str, Any]:
    """The series, or with `occurrence` that one occurrence; fields that have no "unset" refuse null.
    Whoever manages the event. What the changes make of the stored row (an end before the start, a
    series `check_event` refuses) is checked on the locked row, before anything is written."""
    changes = body.model_dump(exclude_unset=True)
    ref = parse_occurrence(changes.pop("occurrence", None), ["body", "occurrence"])
    nulls = [k for k in _NOT_NULL if k in changes and changes[k] is None]
    if nulls:
        raise ValidationFailedError(f"invalid: {', '.join(nulls)}",
                                    [{"loc": ["body", k], "msg": "may not be null"} for k in nulls])
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        event = await _managed_event(unit, member, event_id)
        edit: OccurrenceEdit | EventFields
        if ref is not None:
            edit = await _check_occurrence_edit(unit, member, event, changes, ref)
        else:
            edit = _check_series_edit(event, changes)
        written, view = await do_update_event(unit, member, event, edit)
    publish_notices(realtime, written)
    return view


async def _check_occurrence_edit(unit: Unit, member: OrgMember, event: EventRow, changes: dict[str, Any],
                                 ref: OccurrenceRef) -> OccurrenceEdit:
    wrong = [k for k in changes if k in SERIES_ONLY]
    if wrong:
        raise _invalid([{"loc": ["body", k], "msg": "applies to the whole series: leave out occurrence"}
                        for k in wrong])
    _refuse_empty(changes, ("title",))
    occurrence_id = await resolve_occurrence(unit.conn, member, event.id, ref)
    current = await q.get_occurrence(unit.conn, member.org_id, None, event.id, occurrence_id)
    assert current is not None
    start = changes.get("start_time") or current.start_time
    end = changes.get("end_time") or current.end_time + (start - current.start_time)
    if end <= start:
        raise _invalid([{"loc": ["body", "end_time"], "msg": "must be after start_time"}])
    if "description" in changes:
        changes["description"] = changes["description"] or ""
        changes["html"] = render_markdown(changes["description"])
    moved = start != current.start_time or end != current.end_time
    return OccurrenceEdit(occurrence_id, changes, start if moved else None, end if moved else None)


def _check_series_edit(event: EventRow, changes: dict[str, Any]) -> EventFields:
    """The series as `changes` make it (a new start alone keeps the duration), checked whole."""
    _refuse_empty(changes, ("title", "timezone"))
    if "start_time" in changes and "end_time" not in changes:
        changes["end_time"] = changes["start_time"] + (event.end_time - event.start_time)
    edited = _normalised(replace(event.fields(), **changes))
    check_event(edited)
    return edited


def _refuse_empty(changes: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in changes and not changes[key]:
            raise _invalid([{"loc": ["body", key], "msg": "may not be empty"}])


async def do_update_event(unit: Unit, member: OrgMember, event: EventRow,
                          edit: OccurrenceEdit | EventFields) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Writes a checked edit (of one occurrence, or the series) and tells whoever's dates changed."""
    promoted: list[dict[str, Any]] = []
    if isinstance(edit, OccurrenceEdit):
        occurrence_id: UUID | None = edit.occurrence_id
        affected = await _update_occurrence(unit, member, edit)
    else:
        occurrence_id = None
        affected, promoted = await _update_series(unit, member, event, edit)
    activity, view = await _record(unit, member, event.id, occurrence_id, EventType.EVENT_UPDATED)
    written = promoted + await write_notices(
        unit.conn, activity, affected, kind="event_updated", title=view["title"],
        excerpt="The schedule changed: check the new time.", data=_notice_data(view))
    return written, view


def _notice_data(view: dict[str, Any]) -> dict[str, Any]:
    return {"event_id": view["id"], "occurrence_id": view["occurrence_id"], "start_time": view["start_time"]}


async def _update_occurrence(unit: Unit, member: OrgMember, edit: OccurrenceEdit) -> list[UUID]:
    """Answers who must hear that the occurrence moved."""
    await q.override_occurrence(unit.conn, member.org_id, edit.occurrence_id,
                                {**edit.changes, "start_time": edit.start, "end_time": edit.end})
    if edit.start is None:
        return []
    return await q.registrants(unit.conn, member.org_id, [edit.occurrence_id])


async def _update_series(unit: Unit, member: OrgMember, event: EventRow,
                         edited: EventFields) -> tuple[list[UUID], list[dict[str, Any]]]:
    """Write the edited series; answers who must hear that their dates changed, and the
    notifications of those a larger capacity took off the waitlist."""
    affected: list[UUID] = []
    if any(getattr(edited, k) != getattr(event, k) for k in _TIMING):
        affected, layout = await event_series.relay(unit.conn, member.org_id, event.id, edited, now=now())
        edited = replace(edited, materialized_until=layout.materialized_until, series_complete=layout.complete)
    await q.update_event(unit.conn, member.org_id, event.id, edited)
    promoted: list[dict[str, Any]] = []
    if edited.max_attendees != event.max_attendees:
        for occurrence_id in await q.upcoming_occurrence_ids(unit.conn, member.org_id, event.id):
            promoted += await registrations.fill_places(unit, occurrence_id)
    return affected, promoted


class CancelBody(Body):
    reason: EventText = Field(min_length=1, max_length=1000)
    occurrence: Occurrence | None = None


async def check_cancel_event(db: Database, publisher: Publisher, realtime: Realtime, member: OrgMember,
                             event_id: UUID, data: CancelBody) -> dict[str, Any]:
    """Whoever manages the event; with `occurrence`, an occurrence of it (else a 404 naming `occurrence`)."""
    ref = parse_occurrence(data.occurrence, ["body", "occurrence"])
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await _managed_event(unit, member, event_id)
        occurrence_id = None if ref is None else await resolve_occurrence(unit.conn, member, event_id, ref)
        written, view = await do_cancel_event(unit, member, event_id, data.reason, occurrence_id)
    publish_notices(realtime, written)
    return view


async def do_cancel_event(unit: Unit, member: OrgMember, event_id: UUID, reason: str,
                          occurrence_id: UUID | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Cancel the series (every occurrence not yet over) or one occurrence; registrants are told."""
    if occurrence_id is None:
        targets = await q.upcoming_occurrence_ids(unit.conn, member.org_id, event_id)
        affected = await q.registrants(unit.conn, member.org_id, targets)
        await q.cancel_event(unit.conn, member.org_id, event_id, reason)
    else:
        affected = await q.registrants(unit.conn, member.org_id, [occurrence_id])
        await q.cancel_occurrence(unit.conn, member.org_id, occurrence_id, reason)
    activity, view = await _record(unit, member, event_id, occurrence_id, EventType.EVENT_CANCELLED)
    written = await write_notices(unit.conn, activity, affected, kind="event_cancelled", title=view["title"],
                                  excerpt=f"Cancelled: {reason}", data=_notice_data(view))
    return written, view


async def check_delete_event(db: Database, publisher: Publisher, realtime: Realtime, member: OrgMember,
                             event_id: UUID) -> None:
    """Whoever manages the event."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        event = await _managed_event(unit, member, event_id)
        written = await do_delete_event(unit, member, event)
    publish_notices(realtime, written)


async def do_delete_event(unit: Unit, member: OrgMember, event: EventRow) -> list[dict[str, Any]]:
    """Delete the event and everything of it; whoever was registered for a date still ahead is told."""
    upcoming = await q.upcoming_occurrence_ids(unit.conn, member.org_id, event.id)
    affected = await q.registrants(unit.conn, member.org_id, upcoming)
    await q.delete_event(unit.conn, member.org_id, event.id)
    activity = await unit.record(Channel.org(member.org_id), EventType.EVENT_DELETED,
                                 {"event_id": event.id, "min_rank": 0 if event.is_public else 1})
    return await write_notices(unit.conn, activity, affected, kind="event_cancelled", title=event.title,
                               excerpt="This event was removed.", data={"event_id": event.id})
