"""Occurrences as an RFC 5545 calendar (the `icalendar` library).

Each occurrence is its own VEVENT with UTC times (`UID` = occurrence id): every client
(Google, Apple, Outlook) places it at the same instant, DST needs no VTIMEZONE, and an
edited or cancelled date is just that VEVENT changing (`STATUS:CANCELLED`, a higher
`SEQUENCE`). `X-WR-TIMEZONE` names the zone a whole-org calendar is usually shown in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event

PRODID = "-//Community//Events//EN"


def _description(view: dict[str, Any], url: str) -> str:
    parts = [view["description"].strip()] if view["description"] else []
    if view.get("meeting_url"):
        parts.append(f"Join: {view['meeting_url']}")
    parts.append(url)
    return "\n\n".join(parts)


def vevent(view: dict[str, Any], url: str, *, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{view['occurrence_id']}@community")
    event.add("dtstamp", stamp)
    event.add("dtstart", view["start_time"].astimezone(UTC))
    event.add("dtend", view["end_time"].astimezone(UTC))
    event.add("summary", view["title"])
    event.add("description", _description(view, url))
    if view.get("location"):
        event.add("location", view["location"])
    event.add("url", url)
    event.add("status", "CANCELLED" if view["status"] == "cancelled" else "CONFIRMED")
    # Clients replace an event they hold when SEQUENCE grows: the last change's time does.
    event.add("sequence", int(view["updated_at"].timestamp()) // 60 % 2_000_000_000)
    event.add("last-modified", view["updated_at"].astimezone(UTC))
    if view.get("recurrence"):
        event.add("related-to", f"{view['id']}@community")  # the series this date belongs to
    return event


def calendar(name: str, items: Iterable[tuple[dict[str, Any], str]], *, timezone: str | None = None) -> bytes:
    """`items`: (event view, its page's URL)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    if timezone:
        cal.add("x-wr-timezone", timezone)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    stamp = datetime.now(UTC)
    for view, url in items:
        cal.add_component(vevent(view, url, stamp=stamp))
    return bytes(cal.to_ical())
