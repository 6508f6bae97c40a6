"""Occurrences of an event: laid out at creation, re-laid when the series changes, extended in time.

A single event has one occurrence. A series (RRULE) has its occurrences materialized up to
two years ahead (`recurrence.HORIZON`); an open-ended one is extended by the reminder actor
as time passes. Re-laying after an edit of the series keeps occurrences that have started
and pairs the rest, in order, with the new rule's future starts, so registrations follow
their occurrence (moving a weekly meeting from 10:00 to 11:00 keeps everyone's place).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from community.db.pool import Conn
from community.db.queries import events as q
from community.db.queries.events import EventFields
from community.domain.recurrence import HORIZON, MAX_PER_PASS, RecurrenceError, Series, check_timezone, parse_rule

EXTEND_AHEAD = timedelta(days=30)  # extend an open-ended series once its horizon is this close


@dataclass(frozen=True)
class Layout:
    spans: list[tuple[datetime, datetime]]
    materialized_until: datetime
    complete: bool


def series_of(event: EventFields) -> Series | None:
    if not event.recurrence:
        return None
    zone = check_timezone(event.timezone)
    return parse_rule(event.recurrence, event.start_time, zone)


def plan(event: EventFields, *, now: datetime, after: datetime | None = None) -> Layout:
    """Occurrences of `event` starting after `after` (default: from its first), up to the horizon."""
    start, end = event.start_time, event.end_time
    series = series_of(event)
    if series is None:
        return Layout([(start, end)], start, True)
    horizon = max(now, start) + HORIZON
    since = after if after is not None else start - timedelta(microseconds=1)
    starts = list(series.starts(after=since, before=horizon))
    if len(starts) >= MAX_PER_PASS and after is None:
        raise RecurrenceError(f"the rule repeats too often: at most {MAX_PER_PASS} occurrences in two years")
    last = starts[-1] if starts else since
    more = next(series.starts(after=last, before=datetime.max.replace(tzinfo=UTC)), None) is not None
    return Layout([(s, s + (end - start)) for s in starts], last if starts else horizon, not more)


async def lay_out(conn: Conn, org_id: UUID, event_id: UUID, layout: Layout) -> None:
    await q.insert_occurrences(conn, org_id, event_id, layout.spans)


async def relay(conn: Conn, org_id: UUID, event_id: UUID, event: EventFields, *,
                now: datetime) -> tuple[list[UUID], Layout]:
    """Re-lay occurrences after a change of times or rule; answers who was registered for any that
    moved or went (read before they go), and the new layout."""
    existing = await q.occurrence_rows(conn, org_id, event_id)
    single = not event.recurrence
    movable = existing if single else [o for o in existing if o.start_time > now]
    layout = plan(event, now=now)
    spans = layout.spans if single else [s for s in layout.spans if s[0] > now]
    affected = await q.registrants(conn, org_id, [o.id for o in movable])
    for occurrence, (start, end) in zip(movable, spans, strict=False):
        await q.move_occurrence(conn, org_id, occurrence.id, start, end)
    await q.insert_occurrences(conn, org_id, event_id, spans[len(movable):])
    await q.delete_occurrences(conn, org_id, [o.id for o in movable[len(spans):]])
    return affected, layout


async def extend(conn: Conn, org_id: UUID, event_id: UUID, *, now: datetime) -> int:
    """Materialize an open-ended series' next occurrences; answers how many were added."""
    event = await q.get_event(conn, org_id, event_id, for_update=True)
    if event is None or event.series_complete or event.materialized_until is None:
        return 0
    layout = plan(event, now=now, after=event.materialized_until)
    await q.insert_occurrences(conn, org_id, event_id, layout.spans)
    await q.set_materialized(conn, org_id, event_id, layout.materialized_until, layout.complete)
    return len(layout.spans)
