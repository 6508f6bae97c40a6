"""Analytics: engagement series, totals and join-month retention for an org (admin+).

Days that are over come from `analytics_daily` (the analytics actor's rollups); today, and any
past day the actor has not rolled up yet (it was down), are computed live with the same SQL, so
the answer never depends on whether the actor has caught up. Days are UTC.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import structlog

from community.billing import Billing
from community.db.pool import Conn, Database
from community.db.queries import analytics as q
from community.domain.errors import ValidationFailedError
from community.domain.permissions import Perm
from community.domain.principal import OrgMember
from community.services import satisfaction
from community.services.billing import require_plan

log = structlog.get_logger("community.analytics")

Granularity = Literal["day", "week", "month"]
MAX_DAYS = 731  # a range spans at most two years
DEFAULT_DAYS = 30
COUNTS = ("new_members", "posts", "topics", "messages", "solved_topics", "event_registrations",
          "event_attendance", "resource_downloads")
FIELDS = ("period", "members", "new_members", "active_members", "posts", "topics", "messages", "solved_topics",
          "median_first_reply_minutes", "event_registrations", "event_attendance", "resource_downloads",
          "csat_average", "csat_responses", "event_rating_average", "event_ratings")


def today() -> date:
    return datetime.now(UTC).date()


def check_range(start: date | None, end: date | None, *, now: date | None = None) -> tuple[date, date]:
    """[start, end) in UTC days; default the last 30 days including today."""
    current = now or today()
    end = end or (current + timedelta(days=1))
    start = start or (end - timedelta(days=DEFAULT_DAYS))
    if end <= start:
        raise ValidationFailedError("to: must be after from", [{"loc": ["query", "to"], "msg": "must be after from"}])
    if (end - start).days > MAX_DAYS:
        raise ValidationFailedError(f"to: a range spans at most {MAX_DAYS} days", [
            {"loc": ["query", "to"], "msg": f"at most {MAX_DAYS} days after from"}])
    return start, end


def period_of(day: date, granularity: Granularity) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


async def _numbers(conn: Conn, org_id: UUID, start: date, end: date,
                   current: date) -> tuple[list[dict[str, Any]], dict[UUID, int]]:
    """One row per day in [start, end) up to today: rollups where present, computed live otherwise
    (today, gaps). Each has `mask`, its active members as bits over the org's member numbers; the
    live days' members who have no number yet are numbered from the org's next one for this answer
    only (the second value: id -> number), so they never collide with a stored member's bit."""
    stored_end = max(start, min(end, current))
    found = {r["day"]: r for r in await q.list_rollup_days(conn, org_id, start, stored_end)}
    missing = [d for d in _each(start, end) if d not in found and d <= current]
    fresh: dict[UUID, int] = {}
    if missing:
        for r in await q.compute_live_days(conn, org_id, missing[0], missing[-1] + timedelta(days=1)):
            if r["day"] in found:
                continue
            for user_id in r["unnumbered"]:
                fresh.setdefault(user_id, r["next_n"] + len(fresh))
            found[r["day"]] = r | {"mask": _mask(r["active_bits"], r["unnumbered"], fresh)}
    days = [found[d] for d in _each(start, end) if d in found]
    for d in days:
        d.setdefault("mask", _mask(d["active_bits"], (), fresh))
    return days, fresh


def _mask(bits: bytes, unnumbered: Iterable[UUID], fresh: dict[UUID, int]) -> int:
    """Bit n for member number n (`analytics_bitmap`'s order), plus the answer's own numbers."""
    mask = int.from_bytes(bits, "little")
    for user_id in unnumbered:
        mask |= 1 << fresh[user_id]
    return mask


def _each(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def _aggregate(period: date | None, days: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"period": period.isoformat()} if period is not None else {}
    if len(days) == 1:  # a series by day: 365 of these for a year, so no sums and unions of one
        d = days[0]
        minutes = d["first_reply_minutes"]
        out["members"], out["active_members"] = d["members"], d["mask"].bit_count()
        out["median_first_reply_minutes"] = round(statistics.median(minutes), 1) if minutes else None
        for name in COUNTS:
            out[name] = d[name]
        return out
    out["members"] = days[-1]["members"] if days else 0
    sums = dict.fromkeys(COUNTS, 0)
    active, minutes = 0, []
    for d in days:  # one pass: a year by day is 365 of these per answer
        active |= d["mask"]
        minutes += d["first_reply_minutes"]
        for name in COUNTS:
            sums[name] += d[name]
    out["active_members"] = active.bit_count()
    out["median_first_reply_minutes"] = round(statistics.median(minutes), 1) if minutes else None
    return out | sums


def _retention(days: list[dict[str, Any]], cohorts: list[dict[str, Any]],
               fresh: dict[UUID, int]) -> list[dict[str, Any]]:
    """Cohorts by join month: sizes[0] the cohort, sizes[k] those of it active k months later."""
    active: dict[date, int] = {}
    for d in days:
        month = d["day"].replace(day=1)
        active[month] = active.get(month, 0) | d["mask"]
    months = sorted(set(active) | {c["cohort"] for c in cohorts})
    out = []
    for c in cohorts:
        members = _mask(c["bits"], c["fresh"], fresh)
        later = [(active.get(m, 0) & members).bit_count() for m in months if m > c["cohort"]]
        out.append({"cohort": c["cohort"].isoformat()[:7], "sizes": [c["size"], *later]})
    return out


async def read_numbers(db: Database, billing: Billing, member: OrgMember, start: date | None,
                       end: date | None) -> dict[str, Any]:
    """What an answer is made of, read in one transaction (the route runs it in the same handoff as
    who the caller is: `read_page`); `answer` then shapes it, off the database's thread."""
    member.require(Perm.VIEW_ANALYTICS)
    require_plan(billing, member, "analytics")
    current = today()
    start, end = check_range(start, end, now=current)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        days, fresh = await _numbers(conn, member.org_id, start, end, current)
        cohorts = await q.list_cohorts(conn, member.org_id, start, end, list(fresh))
        felt = await satisfaction.satisfaction_days(conn, member.org_id, start, end)
    return {"from": start, "to": end, "days": days, "fresh": fresh, "cohorts": cohorts, "felt": felt}


def answer(numbers: dict[str, Any], granularity: Granularity = "day") -> dict[str, Any]:
    days, felt = numbers["days"], numbers["felt"]
    buckets: dict[date, list[dict[str, Any]]] = {}
    for d in days:
        buckets.setdefault(period_of(d["day"], granularity), []).append(d)
    moods: dict[date, list[dict[str, Any]]] = {}
    for day, f in felt.items():
        moods.setdefault(period_of(day, granularity), []).append(f)
    series = [_aggregate(p, b) | satisfaction.period_fields(moods.get(p, []))
              for p, b in sorted(buckets.items())]
    every = list(felt.values())
    return {"from": numbers["from"], "to": numbers["to"], "granularity": granularity, "series": series,
            "totals": _aggregate(None, days) | satisfaction.period_fields(every),
            "retention": _retention(days, numbers["cohorts"], numbers["fresh"]),
            "satisfaction": satisfaction.summary(every)}


async def read_analytics(db: Database, billing: Billing, member: OrgMember, start: date | None, end: date | None,
                         granularity: Granularity = "day") -> dict[str, Any]:
    return answer(await read_numbers(db, billing, member, start, end), granularity)


async def recent_totals(conn: Conn, org_id: UUID, n: int = DEFAULT_DAYS) -> dict[str, Any]:
    """The totals of the last `n` UTC days with today: the dashboard's numbers are these."""
    current = today()
    start, end = current - timedelta(days=n - 1), current + timedelta(days=1)
    days, _ = await _numbers(conn, org_id, start, end, current)
    return _aggregate(None, days)


_NO_ORG = UUID(int=0)


async def prepare_connection(conn: Conn) -> None:
    """The analytics answer's statements, once, over an empty range of no org, on a pool connection
    before it serves anyone (`Database(warm_up=...)`): their first run on a connection prepares them,
    introspects their array and bytea types and plans the PL/pgSQL functions (20-60 ms in all, against
    ~2 ms later). Without it the pool's rarely used connections stayed cold, and whichever request
    one of them served next (the pool hands out the last released, and a worker's periodic
    statement beside a request releases one of those) paid it: the one slow answer in 800 of issue 18."""
    day = date(2000, 1, 1)
    await q.list_rollup_days(conn, _NO_ORG, day, day)
    await q.compute_live_days(conn, _NO_ORG, day, day)
    await q.list_cohorts(conn, _NO_ORG, day, day, [])
    await satisfaction.satisfaction_days(conn, _NO_ORG, day, day)


def to_csv(series: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in series:
        writer.writerow(["" if row[f] is None else row[f] for f in FIELDS])
    return out.getvalue()


async def rollup_step(db: Database, batch: int, *, now: date | None = None) -> int:
    """Roll up, for up to `batch` orgs, the days still due before today (up to `batch` days each,
    catching up after downtime); idempotent: a repeated day is rewritten with the same numbers.
    A new org's rollups start at the dashboard's window (`DEFAULT_DAYS` with today) if it is younger,
    so the dashboard computes only today live."""
    current = now or today()
    async with db.transaction() as conn:
        due = await q.due_orgs(conn, current, batch, DEFAULT_DAYS - 1)
    done = 0
    for org_id, first in due:
        first = max(first, current - timedelta(days=MAX_DAYS))
        last = min(current, first + timedelta(days=batch))
        async with db.transaction(org_id=org_id) as conn:
            await q.upsert_days(conn, org_id, first, last)
        done += (last - first).days
        log.info("analytics.rolled_up", org_id=str(org_id), first=first.isoformat(), days=(last - first).days)
    return done


async def rollup_range(db: Database, org_id: UUID, start: date, end: date) -> None:
    """Rewrite the rollups of [start, end) (an operator's recompute; also what the actor does)."""
    async with db.transaction(org_id=org_id) as conn:
        await q.upsert_days(conn, org_id, start, end)
