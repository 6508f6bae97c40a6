"""Analytics against a seeded history: the series, totals and cohorts equal counts computed from
what was inserted; rollups are idempotent and catch up after downtime; ranges are validated."""

from __future__ import annotations

import csv
import io
import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import trio

from community.app import System
from community.billing import Billing
from community.billing.gateway import StripeGateway
from community.domain.errors import PlanRequiredError
from community.domain.permissions import Role
from community.domain.principal import OrgMember
from community.services import analytics
from tests.factories import Factory, OrgPersonas, Personas

COUNTED = ("new_members", "posts", "topics", "messages", "solved_topics", "event_registrations", "event_attendance")


@dataclass
class History:
    """What the seed inserted, by UTC day: the expected numbers, computed independently."""

    counts: dict[date, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    active: dict[date, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    first_reply: dict[date, list[float]] = field(default_factory=lambda: defaultdict(list))
    joined: dict[uuid.UUID, date] = field(default_factory=dict)

    def add(self, day: datetime, name: str, user: uuid.UUID | None = None) -> None:
        self.counts[day.date()][name] += 1
        if user is not None:
            self.active[day.date()].add(user)


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


async def seed(factory: Factory, org: OrgPersonas, today: date) -> History:
    conn, h = factory.conn, History()
    start = today - timedelta(days=70)
    await conn.execute("UPDATE organizations SET created_at = $2 WHERE id = $1", org.id, _midnight(start))
    # The personas joined long ago (before the range); six more join over the history.
    await conn.execute("UPDATE memberships SET joined_at = $2 WHERE org_id = $1", org.id, _midnight(start))
    people = [org.people[r].user_id for r in ("owner", "admin", "moderator", "member")]
    for i in range(6):
        user = await factory.user(f"Joiner{i}")
        await factory.join(org, user, "member")
        at = _midnight(today - timedelta(days=60 - i * 9)) + timedelta(hours=3)
        await conn.execute("UPDATE memberships SET joined_at = $3 WHERE org_id = $1 AND user_id = $2",
                           org.id, user.user_id, at)
        h.add(at, "new_members")
        h.joined[user.user_id] = at.date()
        people.append(user.user_id)
    forum = uuid.uuid4()
    await conn.execute("INSERT INTO forums (id, org_id, name, slug, path) VALUES ($1, $2, 'General', 'general', $3)",
                       forum, org.id, [forum])
    conv = await conn.fetchval("INSERT INTO conversations (org_id, kind, title) VALUES ($1, 'group', 'Chat') "
                               "RETURNING id", org.id)
    event = await conn.fetchval(
        "INSERT INTO events (org_id, title, start_time, end_time, timezone) VALUES ($1, 'Meetup', $2, $3, 'UTC') "
        "RETURNING id", org.id, _midnight(today - timedelta(days=20)), _midnight(today - timedelta(days=19)))
    occurrence = await conn.fetchval(
        "INSERT INTO event_occurrences (org_id, event_id, recurrence_id, start_time, end_time) "
        "VALUES ($1, $2, $3, $3, $4) RETURNING id", org.id, event, _midnight(today - timedelta(days=20)),
        _midnight(today - timedelta(days=19)))
    for n in range(0, 64, 3):  # every third day, a topic with replies, a reaction and a message
        day = _midnight(today - timedelta(days=n))
        author, replier = people[n % len(people)], people[(n + 1) % len(people)]
        t_at = day + timedelta(hours=1)
        topic = await conn.fetchval(
            "INSERT INTO topics (org_id, forum_id, title, slug, content, author_id, created_at) "
            "VALUES ($1, $2, 'T', $3, 'x', $4, $5) RETURNING id", org.id, forum, f"t{n}", author, t_at)
        h.add(t_at, "topics", author)
        first: float | None = None
        for k, who in enumerate((author, replier, replier)):
            p_at = t_at + timedelta(minutes=10 + 7 * k + n)
            post = await conn.fetchval(
                "INSERT INTO posts (org_id, topic_id, content, author_id, created_at) VALUES ($1, $2, 'r', $3, $4) "
                "RETURNING id", org.id, topic, who, p_at)
            h.add(p_at, "posts", who)
            if who != author and first is None:
                first = (p_at - t_at).total_seconds() / 60
        assert first is not None
        h.first_reply[t_at.date()].append(first)
        deleted_at = t_at + timedelta(minutes=30)  # a deleted post counts as activity, not as a post
        await conn.execute("INSERT INTO posts (org_id, topic_id, content, author_id, created_at, deleted_at) "
                           "VALUES ($1, $2, 'gone', $3, $4, $4)", org.id, topic, people[2], deleted_at)
        h.active[deleted_at.date()].add(people[2])
        r_at = t_at + timedelta(hours=2)
        await conn.execute("INSERT INTO post_reactions (org_id, post_id, user_id, emoji, created_at) "
                           "VALUES ($1, $2, $3, '👍', $4)", org.id, post, people[-1], r_at)
        h.active[r_at.date()].add(people[-1])
        m_at = t_at + timedelta(hours=3)
        await conn.execute("INSERT INTO messages (org_id, conversation_id, sender_id, content, created_at) "
                           "VALUES ($1, $2, $3, 'hi', $4)", org.id, conv, people[3], m_at)
        h.add(m_at, "messages", people[3])
        if n % 2 == 0:
            s_at = t_at + timedelta(hours=4)
            for _ in range(2):  # marked twice (unmarked in between): one solved topic
                await conn.execute(
                    "INSERT INTO activity (org_id, seq, channel, type, payload, created_at) "
                    "VALUES ($1, (SELECT coalesce(max(seq), 0) + 1 FROM activity WHERE org_id = $1), $2, "
                    "'post_solution_marked', $3::jsonb, $4)",
                    org.id, f"topic:{topic}", {"topic_id": str(topic)}, s_at)
            h.add(s_at, "solved_topics")
    for i, user in enumerate(people[:5]):
        reg_at = _midnight(today - timedelta(days=25 - i)) + timedelta(hours=5)
        checked = _midnight(today - timedelta(days=20)) + timedelta(minutes=5) if i % 2 == 0 else None
        await conn.execute(
            "INSERT INTO event_registrations (org_id, event_id, occurrence_id, user_id, status, registered_at, "
            "checked_in_at) VALUES ($1, $2, $3, $4, 'going', $5, $6)", org.id, event, occurrence, user, reg_at, checked)
        h.add(reg_at, "event_registrations", user)
        if checked:
            h.add(checked, "event_attendance")
    return h


def _expected_day(h: History, d: date, members: int) -> dict[str, Any]:
    minutes = h.first_reply.get(d, [])
    return {"period": d.isoformat(), "members": members, "active_members": len(h.active.get(d, set())),
            "median_first_reply_minutes": round(statistics.median(minutes), 1) if minutes else None,
            "resource_downloads": 0, **{k: h.counts.get(d, {}).get(k, 0) for k in COUNTED},
            "csat_average": None, "csat_responses": 0, "event_rating_average": None, "event_ratings": 0}


async def _roll_all(runtime: System, today: date) -> int:
    total = 0
    while (done := await analytics.rollup_step(runtime.handles.db, 10, now=today)) > 0:
        total += done
    return total


async def test_series_matches_the_tables_and_rollups_are_idempotent(
        client: httpx.AsyncClient, factory: Factory, personas: Personas, runtime: System) -> None:
    acme, today = personas.acme, analytics.today()
    h = await seed(factory, acme, today)
    # Every day from the org's creation to yesterday, none twice; and the other org's (created today)
    # 29 past days of the dashboard's window.
    assert await _roll_all(runtime, today) == 70 + 29
    assert await _roll_all(runtime, today) == 0
    stored = await factory.conn.fetch("SELECT * FROM analytics_daily WHERE org_id = $1 ORDER BY day", acme.id)
    assert [r["day"] for r in stored] == [today - timedelta(days=70 - i) for i in range(70)]

    # Today is live: activity after the last rollup shows at once.
    topic = await factory.conn.fetchval("SELECT id FROM topics WHERE org_id = $1 LIMIT 1", acme.id)
    now = datetime.now(UTC)
    await factory.conn.execute("INSERT INTO posts (org_id, topic_id, content, author_id, created_at) "
                               "VALUES ($1, $2, 'now', $3, $4)", acme.id, topic, acme.guest.user_id, now)
    h.add(now, "posts", acme.guest.user_id)

    start = today - timedelta(days=65)
    r = await client.get(f"/api/orgs/{acme.slug}/analytics",
                         params={"from": start.isoformat(), "to": (today + timedelta(days=1)).isoformat()},
                         headers=acme.admin.auth)
    assert r.status_code == 200, r.text
    body = r.json()
    base = 5  # the personas
    expected = []
    for i in range(66):
        d = start + timedelta(days=i)
        members = base + sum(1 for j in h.joined.values() if j <= d)
        expected.append(_expected_day(h, d, members))
    for got, want in zip(body["series"], expected, strict=True):
        assert got == want, sorted(set(got.items()) ^ set(want.items()))
    totals = body["totals"]
    assert totals["members"] == 11 and totals["new_members"] == sum(1 for j in h.joined.values() if j >= start)
    assert totals["posts"] == sum(c.get("posts", 0) for d, c in h.counts.items() if d >= start)
    everyone = set().union(*(u for d, u in h.active.items() if d >= start))
    assert totals["active_members"] == len(everyone)
    all_minutes = [m for d, ms in h.first_reply.items() if d >= start for m in ms]
    assert totals["median_first_reply_minutes"] == round(statistics.median(all_minutes), 1)

    # Month buckets: sums of the days, active members distinct over the month.
    r = await client.get(f"/api/orgs/{acme.slug}/analytics",
                         params={"from": start.isoformat(), "granularity": "month"}, headers=acme.owner.auth)
    assert r.status_code == 200, r.text
    months = r.json()["series"]
    assert [m["period"] for m in months] == sorted({(start + timedelta(days=i)).replace(day=1).isoformat()
                                                    for i in range((today - start).days + 1)})
    for m in months:
        first = date.fromisoformat(m["period"])
        days = [d for d in (start + timedelta(days=i) for i in range((today - start).days + 1))
                if d.replace(day=1) == first]
        assert m["posts"] == sum(h.counts.get(d, {}).get("posts", 0) for d in days)
        assert m["active_members"] == len(set().union(*(h.active.get(d, set()) for d in days)))
    weeks = (await client.get(f"/api/orgs/{acme.slug}/analytics", params={"from": start.isoformat(),
                              "granularity": "week"}, headers=acme.owner.auth)).json()["series"]
    assert all(date.fromisoformat(w["period"]).weekday() == 0 for w in weeks)
    assert sum(w["messages"] for w in weeks) == totals["messages"]

    # Retention: each join month's cohort, then how many of it were active in each later month.
    cohorts = {c["cohort"]: c["sizes"] for c in r.json()["retention"]}
    for joined in h.joined.values():
        assert joined.isoformat()[:7] in cohorts
    for month, sizes in cohorts.items():
        members = {u for u, j in h.joined.items() if j.isoformat()[:7] == month and j >= start}
        assert sizes[0] == len(members)
        later = sorted({d.replace(day=1) for d in h.active if d >= start and d.isoformat()[:7] > month})
        for k, m in enumerate(later, start=1):
            active = set().union(*(u for d, u in h.active.items() if d >= start and d.replace(day=1) == m))
            assert sizes[k] == len(members & active)

    # CSV: the same series.
    r = await client.get(f"/api/orgs/{acme.slug}/analytics.csv",
                         params={"from": start.isoformat(), "to": (today + timedelta(days=1)).isoformat()},
                         headers=acme.admin.auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["period"] for row in table] == [e["period"] for e in expected]
    assert [int(row["posts"]) for row in table] == [e["posts"] for e in expected]
    assert [row["median_first_reply_minutes"] for row in table] == [
        "" if e["median_first_reply_minutes"] is None else str(e["median_first_reply_minutes"]) for e in expected]

    # Idempotent, and catching up: recomputing changes nothing; lost days come back the same.
    before = [dict(r) | {"computed_at": None} for r in stored]
    await analytics.rollup_range(runtime.handles.db, acme.id, today - timedelta(days=70), today)
    await factory.conn.execute("DELETE FROM analytics_daily WHERE org_id = $1 AND day >= $2", acme.id,
                               today - timedelta(days=12))
    assert await _roll_all(runtime, today) == 12
    after = await factory.conn.fetch("SELECT * FROM analytics_daily WHERE org_id = $1 ORDER BY day", acme.id)
    assert [dict(r) | {"computed_at": None} for r in after] == before
    # The other org's numbers are its own.
    other = (await client.get(f"/api/orgs/{personas.globex.slug}/analytics",
                              headers=personas.globex.admin.auth)).json()["totals"]
    assert other["posts"] == 0 and other["members"] == 5


async def test_the_actor_rolls_up_in_the_tree(factory: Factory, personas: Personas, runtime: System) -> None:
    acme = personas.acme
    await factory.conn.execute("UPDATE organizations SET created_at = now() - interval '3 days' WHERE id = $1",
                               acme.id)
    runtime.handles.analytics.poke()
    with trio.fail_after(15):
        while True:
            if await factory.conn.fetchval("SELECT count(*) FROM analytics_daily WHERE org_id = $1", acme.id) >= 29:
                break
            await trio.sleep(0.02)
    days = await factory.conn.fetch("SELECT day FROM analytics_daily WHERE org_id = $1 ORDER BY day", acme.id)
    today = analytics.today()
    # A three-day-old org: from the dashboard's window (30 days with today), not only its 3 days.
    assert [r["day"] for r in days] == [today - timedelta(days=29 - i) for i in range(29)]


async def test_range_is_validated(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    url = f"/api/orgs/{acme.slug}/analytics"
    cases = [({"from": "2026-03-01", "to": "2026-03-01"}, "to"), ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),
             ({"from": "2022-01-01", "to": "2026-01-01"}, "to"), ({"from": "yesterday"}, "from"),
             ({"to": "2026-13-01"}, "to"), ({"granularity": "hour"}, "granularity")]
    for params, name in cases:
        for path in (url, url + ".csv"):
            r = await client.get(path, params=params, headers=acme.admin.auth)
            assert r.status_code == 422, (params, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert name in {str(e["loc"][-1]) for e in r.json()["errors"]}, (params, r.json())
    r = await client.get(url, params={"from": "2026-01-01", "to": "2026-01-02"}, headers=acme.admin.auth)
    assert r.status_code == 200 and [p["period"] for p in r.json()["series"]] == ["2026-01-01"]


async def test_plan_gating_when_billing_is_on(personas: Personas, runtime: System) -> None:
    settings = runtime.handles.settings.model_copy(update={"stripe_secret_key": "sk_test_analytics"})
    on = Billing(settings=settings, gateway=StripeGateway(settings), worker=runtime.handles.billing.worker)
    for tier, allowed in (("community", False), ("organization", True), ("enterprise", True)):
        member = OrgMember(principal=None, org_id=personas.acme.id, org={"subscription_tier": tier},
                           role=Role.ADMIN)
        if allowed:
            await analytics.read_analytics(runtime.handles.db, on, member, None, None)
        else:
            with pytest.raises(PlanRequiredError) as caught:
                await analytics.read_analytics(runtime.handles.db, on, member, None, None)
            assert caught.value.data["required_tier"] == "organization"


async def test_member_numbers_and_bitmaps_count_stored_and_live_members_once(
        client: httpx.AsyncClient, factory: Factory, personas: Personas, runtime: System) -> None:
    """Distinct members come from per-day bitmaps over member numbers (migration 0023): a member
    first active today has no number yet and still counts once, in the totals and in their cohort."""
    acme, today = personas.acme, analytics.today()
    conn = factory.conn
    assert await conn.fetchval("SELECT analytics_bitmap(ARRAY[0, 9, 9])") == b"\x01\x02"
    assert await conn.fetchval("SELECT analytics_bitmap('{}')") == b""
    joined = _midnight(today - timedelta(days=40))  # always an earlier month than today's
    await conn.execute("UPDATE organizations SET created_at = $2 WHERE id = $1", acme.id, joined)
    await conn.execute("UPDATE memberships SET joined_at = $2 WHERE org_id = $1", acme.id, joined)
    late, steady = await factory.user("Late"), await factory.user("Steady")
    for who in (late, steady):
        await factory.join(acme, who, "member")
        await conn.execute("UPDATE memberships SET joined_at = $3 WHERE org_id = $1 AND user_id = $2",
                           acme.id, who.user_id, joined)
    forum = uuid.uuid4()
    await conn.execute("INSERT INTO forums (id, org_id, name, slug, path) VALUES ($1, $2, 'F', 'f', $3)",
                       forum, acme.id, [forum])
    topic = await conn.fetchval("INSERT INTO topics (org_id, forum_id, title, slug, content, author_id, created_at) "
                                "VALUES ($1, $2, 'T', 't', 'x', $3, $4) RETURNING id", acme.id, forum,
                                steady.user_id, joined + timedelta(days=1, hours=2))
    await _roll_all(runtime, today)
    numbers = dict(await conn.fetch("SELECT user_id, n FROM analytics_members WHERE org_id = $1", acme.id))
    assert numbers == {steady.user_id: 0}  # only who was ever active in a stored day
    stored = await conn.fetch("SELECT active_user_ids, active_bits FROM analytics_daily WHERE org_id = $1", acme.id)
    assert all(int.from_bytes(r["active_bits"], "little").bit_count() == len(r["active_user_ids"]) for r in stored)

    now = datetime.now(UTC)
    for who in (late, steady, late):
        await conn.execute("INSERT INTO posts (org_id, topic_id, content, author_id, created_at) "
                           "VALUES ($1, $2, 'now', $3, $4)", acme.id, topic, who.user_id, now)
    r = await client.get(f"/api/orgs/{acme.slug}/analytics", headers=acme.admin.auth,
                         params={"from": (today - timedelta(days=45)).isoformat(), "granularity": "month"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totals"]["active_members"] == 2
    assert body["series"][-1]["active_members"] == 2  # this month: both, the late one counted once
    cohort = {c["cohort"]: c["sizes"] for c in body["retention"]}[joined.date().isoformat()[:7]]
    assert cohort[0] == 7 and cohort[-1] == 2  # the five personas and the two; both active this month
    assert dict(await conn.fetch("SELECT user_id, n FROM analytics_members WHERE org_id = $1", acme.id)) == numbers
