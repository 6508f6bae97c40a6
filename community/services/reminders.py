"""Reminder steps run by the reminders actor: notify, e-mail, and extend open-ended series.

A due reminder is sent (a notification, and an e-mail when SMTP is set) if its occurrence is
still on, has not started, and the person is still going or interested and a member; else it
is recorded as skipped. When both the 24 h and the 1 h reminder are due together (the actor
was down, or the person registered late), only the 1 h one is sent. The notification and the
record of sending commit together; e-mails follow from `email_pending` rows, each marked once
the SMTP server accepted it (a crash between the two can repeat that one e-mail, never lose it).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog

from community.actors.mailer import Mailer
from community.actors.reminders import ReminderStep
from community.db.pool import Database
from community.db.queries import events as eq
from community.db.queries import reminders as q
from community.domain.events import Channel, EventType
from community.domain.recurrence import HORIZON, check_timezone
from community.handles import Publisher, Realtime
from community.services.calendar import event_url
from community.services.event_notices import publish_notices, write_notices
from community.services.event_series import EXTEND_AHEAD, extend
from community.services.events import now
from community.services.unit import unit_of_work
from community.settings import Settings

log = structlog.get_logger("community.reminders")
_LEAD = {"24h": "in 24 hours", "1h": "in 1 hour"}


def reminder_steps(db: Database, publisher: Publisher, realtime: Realtime, mailer: Mailer,
                   settings: Settings) -> list[ReminderStep]:
    async def due(batch: int) -> int:
        return await send_due(db, publisher, realtime, batch, email=mailer.enabled)

    async def emails(batch: int) -> int:
        return await send_emails(db, mailer, settings, batch)

    async def series(batch: int) -> int:
        return await extend_series(db, batch)

    return [due, emails, series]


def _outcome(r: q.DueReminderRow, due_together: set[tuple[UUID, UUID]], at: datetime) -> str:
    live = r.occurrence_status == "scheduled" and r.event_status == "scheduled"
    wanted = r.registration_status in ("going", "interested") and r.membership_status == "active"
    if not live or not wanted or r.start_time <= at:
        return "skipped"
    if r.kind == "24h" and (r.occurrence_id, r.user_id) in due_together:
        return "skipped"  # the 1 h reminder goes instead
    return "sent"


async def send_due(db: Database, publisher: Publisher, realtime: Realtime, batch: int, *, email: bool,
                   at: datetime | None = None) -> int:
    """One batch per org with due reminders; answers how many were settled."""
    async with db.transaction() as conn:
        orgs = await q.due_orgs(conn, at, batch)
    done = 0
    for org_id in orgs:
        done += await _send_org(db, publisher, realtime, org_id, batch, at, email=email)
    return done


async def _send_org(db: Database, publisher: Publisher, realtime: Realtime, org_id: UUID, batch: int,
                    at: datetime | None, *, email: bool) -> int:
    written: list[dict[str, Any]] = []
    async with unit_of_work(db, publisher, org_id=org_id, user_id=None) as unit:
        claimed = await q.claim_due(unit.conn, org_id, at, batch)
        instant = at or now()
        one_hour = {(r.occurrence_id, r.user_id) for r in claimed if r.kind == "1h"}
        outcomes = [(r, _outcome(r, one_hour, instant)) for r in claimed]
        groups: defaultdict[tuple[UUID, str], list[q.DueReminderRow]] = defaultdict(list)
        for r, outcome in outcomes:
            if outcome == "sent":
                groups[(r.occurrence_id, r.kind)].append(r)
        for (occurrence_id, kind), people in groups.items():
            first = people[0]
            activity = await unit.record(Channel.event(first.event_id), EventType.EVENT_REMINDER,
                                         {"event_id": first.event_id, "occurrence_id": occurrence_id, "kind": kind})
            written += await write_notices(
                unit.conn, activity, [p.user_id for p in people], kind="event_reminder", title=first.title,
                excerpt=f"Starts {_LEAD[kind]}: {_local(first.start_time, first.timezone)}",
                data={"event_id": first.event_id, "occurrence_id": occurrence_id, "kind": kind,
                      "start_time": first.start_time})
        if claimed:
            await q.mark_sent(unit.conn, org_id, [(r.occurrence_id, r.user_id, r.kind, outcome,
                                                   email and outcome == "sent") for r, outcome in outcomes])
    publish_notices(realtime, written)
    if written:
        log.info("reminders.sent", org_id=str(org_id), notifications=len(written))
    return len(claimed)


def _local(start_time: datetime, timezone: str) -> str:
    zone = check_timezone(timezone)
    local: str = start_time.astimezone(zone).strftime("%a %d %b %Y, %H:%M ")
    return local + timezone


async def send_emails(db: Database, mailer: Mailer, settings: Settings, batch: int) -> int:
    if not mailer.enabled:
        return 0
    async with db.transaction() as conn:
        orgs = await q.email_orgs(conn, batch)
    done = 0
    for org_id in orgs:
        done += await _email_org(db, mailer, settings, org_id, batch)
    return done


async def _email_org(db: Database, mailer: Mailer, settings: Settings, org_id: UUID, batch: int) -> int:
    sent = 0
    async with db.transaction(org_id=org_id) as conn:
        for r in await q.claim_email(conn, org_id, batch):
            body = (f"{r.title} starts {_LEAD[r.kind]}: {_local(r.start_time, r.timezone)}.\n\n"
                    f"{event_url(settings, r.org_slug, r.event_id)}\n")
            try:
                await mailer.deliver(r.email, f"Reminder: {r.title}", body)
            except OSError as exc:
                # The rest stay pending for the next round; what was accepted so far is marked.
                log.warning("reminders.email_failed", reason=repr(exc))
                break
            await q.mark_emailed(conn, org_id, r.occurrence_id, r.user_id, r.kind)
            sent += 1
    return sent


async def extend_series(db: Database, batch: int) -> int:
    """Occurrences for open-ended series whose materialized horizon is getting close."""
    horizon = now() + HORIZON - EXTEND_AHEAD
    async with db.transaction() as conn:
        orgs = await eq.orgs_to_extend(conn, horizon, batch)
    added = 0
    for org_id in orgs:
        async with db.transaction(org_id=org_id) as conn:
            for event_id in await eq.claim_to_extend(conn, org_id, horizon, batch):
                added += await extend(conn, org_id, event_id, now=now()) or 1
    return added
