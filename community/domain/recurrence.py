"""Time zones and RFC 5545 recurrence: validate, and expand a series into UTC instants.

A series repeats in its own time zone's wall clock (a weekly 10:00 in Europe/Berlin stays
10:00 across a DST change, so its UTC instant moves by an hour); every instant answered is UTC.
Expansion is bounded: rules repeat at most daily, and a pass yields at most `MAX_PER_PASS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from dateutil.rrule import rrule, rrulestr

MAX_RULE_LENGTH = 500
MAX_PER_PASS = 1000
HORIZON = timedelta(days=730)
_ALLOWED_FREQ = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_UNTIL = re.compile(r"UNTIL=(\d{8})(?:T(\d{6}))?(Z?)", re.IGNORECASE)
_PART = re.compile(r"^[A-Z]+=[A-Z0-9,+\-:]+$", re.IGNORECASE)


class RecurrenceError(ValueError):
    """A rule or time zone that cannot be used; the message names the problem."""


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> ZoneInfo:
    if name not in _zones():
        raise RecurrenceError(f"{name!r} is not an IANA time zone name (e.g. Europe/Berlin)")
    return ZoneInfo(name)


def timezone_names() -> list[str]:
    return sorted(_zones())


@dataclass(frozen=True)
class Series:
    """A rule anchored at its first occurrence's start, in its zone."""

    rule: str
    start: datetime  # aware, in the series' zone
    zone: ZoneInfo

    @property
    def bounded(self) -> bool:
        upper = self.rule.upper()
        return "COUNT=" in upper or "UNTIL=" in upper

    def _rrule(self) -> rrule:
        parsed = rrulestr(self.rule, dtstart=self.start, forceset=False)
        assert isinstance(parsed, rrule)
        return parsed

    def starts(self, *, after: datetime, before: datetime) -> Iterator[datetime]:
        """UTC starts in (after, before], earliest first, at most MAX_PER_PASS."""
        local_after = after.astimezone(self.zone)
        for n, local in enumerate(self._rrule().xafter(local_after, inc=False)):
            # Wall time in the zone -> the instant; a time that does not exist (in a DST gap)
            # is taken as zoneinfo does (fold 0: the offset before the change).
            instant = local.replace(tzinfo=self.zone).astimezone(UTC)
            if instant > before or n >= MAX_PER_PASS:
                return
            yield instant


def parse_rule(rule: str, start: datetime, zone: ZoneInfo) -> Series:
    """A validated series for `rule` (an RRULE value, `RRULE:` prefix optional) from `start`."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or len(text) > MAX_RULE_LENGTH:
        raise RecurrenceError(f"give an RRULE of at most {MAX_RULE_LENGTH} characters")
    parts = [p for p in text.split(";") if p]
    if any(not _PART.match(p) for p in parts):
        raise RecurrenceError("an RRULE is NAME=VALUE parts joined by ';' (e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10)")
    names = [p.split("=", 1)[0].upper() for p in parts]
    if len(set(names)) != len(names):
        raise RecurrenceError("each RRULE part may appear once")
    if "DTSTART" in names:
        raise RecurrenceError("the series starts at start_time: leave DTSTART out of the rule")
    values = {p.split("=", 1)[0].upper(): p.split("=", 1)[1].upper() for p in parts}
    if values.get("FREQ") not in _ALLOWED_FREQ:
        raise RecurrenceError("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    normal = _until_in_utc(";".join(parts).upper(), zone)
    series = Series(rule=normal, start=start.astimezone(zone), zone=zone)
    try:
        first = next(series.starts(after=start - timedelta(seconds=1), before=start + HORIZON), None)
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(f"not a valid RRULE: {exc}") from None
    if first is None:
        raise RecurrenceError("the rule yields no occurrence at or after start_time")
    return series


def _until_in_utc(rule: str, zone: ZoneInfo) -> str:
    """RFC 5545: with a zoned DTSTART, UNTIL is UTC. A floating UNTIL is read in the series' zone."""
    def fix(match: re.Match[str]) -> str:
        day, time, utc = match.group(1), match.group(2) or "235959", match.group(3)
        try:
            at = datetime.strptime(day + time, "%Y%m%d%H%M%S")  # noqa: DTZ007 - zone applied below
        except ValueError:
            raise RecurrenceError("UNTIL must be a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSSZ)") from None
        instant = at.replace(tzinfo=UTC) if utc else at.replace(tzinfo=zone).astimezone(UTC)
        return "UNTIL=" + instant.strftime("%Y%m%dT%H%M%SZ")
    return _UNTIL.sub(fix, rule)


def expand(series: Series, duration: timedelta, *, after: datetime,
           before: datetime) -> list[tuple[datetime, datetime]]:
    """(start, end) pairs in UTC for starts in (after, before]."""
    return [(s, s + duration) for s in series.starts(after=after, before=before)]
