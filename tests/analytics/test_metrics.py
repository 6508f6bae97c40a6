"""Every metric of the rollups against counts computed here, directly from the tables, over a seeded
multi-day history (forums, chat, reactions, events, resource downloads through the real download
path), including catching up after downtime and rewriting a day with the same numbers."""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import trio

from community.app import System
from community.services import analytics
from tests.analytics.test_analytics import seed
from tests.factories import Factory, Personas
from tests.resources.conftest import Files

METRICS = ("members", "new_members", "posts", "topics", "messages", "solved_topics", "event_registrations",
           "event_attendance", "resource_downloads")


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date()


async def direct_counts(conn: Any, org_id: uuid.UUID, days: list[date]) -> dict[date, dict[str, Any]]:
    """Each metric per UTC day, from plain reads of the source tables (not the rollup's SQL)."""
    out: dict[date, dict[str, Any]] = {d: {m: 0 for m in METRICS} | {"active": set(), "first_reply": []}
                                       for d in days}

    def bump(at: datetime | date, name: str, n: int = 1) -> None:
        d = _day(at) if isinstance(at, datetime) else at
        if d in out:
            out[d][name] += n

    def act(at: datetime | date, user: uuid.UUID | None) -> None:
        d = _day(at) if isinstance(at, datetime) else at
        if d in out and user is not None:
            out[d]["active"].add(user)

    joins = await conn.fetch("SELECT joined_at FROM memberships WHERE org_id = $1 AND status = 'active'", org_id)
    for d in days:
        out[d]["members"] = sum(1 for j in joins if _day(j["joined_at"]) <= d)
    for j in joins:
        bump(j["joined_at"], "new_members")
    posts = await conn.fetch("SELECT topic_id, author_id, created_at, deleted_at FROM posts WHERE org_id = $1", org_id)
    for p in posts:
        act(p["created_at"], p["author_id"])
        if p["deleted_at"] is None:
            bump(p["created_at"], "posts")
    for t in await conn.fetch("SELECT id, author_id, created_at FROM topics WHERE org_id = $1", org_id):
        bump(t["created_at"], "topics")
        act(t["created_at"], t["author_id"])
        replies = [p["created_at"] for p in posts if p["topic_id"] == t["id"] and p["deleted_at"] is None
                   and p["author_id"] != t["author_id"]]
        if replies and _day(t["created_at"]) in out:
            out[_day(t["created_at"])]["first_reply"].append((min(replies) - t["created_at"]).total_seconds() / 60)
    for m in await conn.fetch("SELECT sender_id, created_at, deleted_at FROM messages WHERE org_id = $1", org_id):
        act(m["created_at"], m["sender_id"])
        if m["deleted_at"] is None:
            bump(m["created_at"], "messages")
    for table in ("post_reactions", "message_reactions"):
        for r in await conn.fetch(f"SELECT user_id, created_at FROM {table} WHERE org_id = $1", org_id):
            act(r["created_at"], r["user_id"])
    solved: dict[date, set[str]] = defaultdict(set)
    for a in await conn.fetch("SELECT payload->>'topic_id' AS topic, created_at FROM activity "
                              "WHERE org_id = $1 AND type = 'post_solution_marked'", org_id):
        solved[_day(a["created_at"])].add(a["topic"])
    for d, topics in solved.items():
        bump(d, "solved_topics", len(topics))
    for r in await conn.fetch("SELECT user_id, registered_at, checked_in_at FROM event_registrations "
                              "WHERE org_id = $1", org_id):
        bump(r["registered_at"], "event_registrations")
        act(r["registered_at"], r["user_id"])
        if r["checked_in_at"] is not None:
            bump(r["checked_in_at"], "event_attendance")
    for r in await conn.fetch("SELECT day, downloads FROM resource_downloads_daily WHERE org_id = $1", org_id):
        bump(r["day"], "resource_downloads", r["downloads"])
    for r in await conn.fetch("SELECT day, user_id FROM resource_downloaders_daily WHERE org_id = $1", org_id):
        act(r["day"], r["user_id"])
    return out


def _as_series(d: date, counted: dict[str, Any]) -> dict[str, Any]:
    minutes = counted["first_reply"]
    return {"period": d.isoformat(), **{m: counted[m] for m in METRICS}, "active_members": len(counted["active"]),
            "median_first_reply_minutes": round(statistics.median(minutes), 1) if minutes else None,
            # no ratings or CSAT answers in this history (tests/analytics/test_satisfaction.py has them)
            "csat_average": None, "csat_responses": 0, "event_rating_average": None, "event_ratings": 0}


async def test_every_metric_equals_the_tables_including_downloads_and_catching_up(
        client: httpx.AsyncClient, factory: Factory, personas: Personas, runtime: System) -> None:
    acme, today, conn = personas.acme, analytics.today(), factory.conn
    files = Files(client, runtime, personas)
    with trio.fail_after(30):  # first: the seed writes activity rows by hand
        resource = await files.resource(acme.moderator, "guide.txt", "text/plain", b"how to", required_role="guest")
    await seed(factory, acme, today)
    # Downloads on past days (what the download counter wrote then): counts and who downloaded.
    people = [r["user_id"] for r in await conn.fetch(
        "SELECT user_id FROM memberships WHERE org_id = $1 ORDER BY joined_at, user_id", acme.id)]
    outsider = await factory.user("Downloader")  # active only through downloads
    await factory.join(acme, outsider, "member")
    await conn.execute("UPDATE memberships SET joined_at = $3 WHERE org_id = $1 AND user_id = $2", acme.id,
                       outsider.user_id, datetime.combine(today - timedelta(days=70), datetime.min.time(), UTC))
    for n in range(1, 60, 4):
        day = today - timedelta(days=n)
        await conn.execute("INSERT INTO resource_downloads_daily (org_id, resource_id, day, downloads) "
                           "VALUES ($1, $2, $3, $4)", acme.id, resource["id"], day, n % 5 + 1)
        for who in {outsider.user_id, people[n % len(people)]}:
            await conn.execute("INSERT INTO resource_downloaders_daily (org_id, day, user_id) VALUES ($1, $2, $3)",
                               acme.id, day, who)

    # The actor was down for the whole history: one catch-up writes every day, a second writes none.
    rolled = 0
    while (done := await analytics.rollup_step(runtime.handles.db, 7, now=today)) > 0:
        rolled += done
    assert rolled == 70 + 29  # and the other org's dashboard window (it was created today)
    assert await analytics.rollup_step(runtime.handles.db, 7, now=today) == 0
    days = [today - timedelta(days=70 - i) for i in range(71)]
    expected = await direct_counts(conn, acme.id, days)
    assert sum(expected[d]["resource_downloads"] for d in days) > 0
    assert any(outsider.user_id in expected[d]["active"] for d in days)
    stored = {r["day"]: r for r in await conn.fetch("SELECT * FROM analytics_daily WHERE org_id = $1", acme.id)}
    assert sorted(stored) == days[:-1]
    for d in days[:-1]:
        got, want = stored[d], expected[d]
        assert {m: got[m] for m in METRICS} == {m: want[m] for m in METRICS}, d
        assert set(got["active_user_ids"]) == want["active"], d
        assert sorted(got["first_reply_minutes"]) == sorted(want["first_reply"]), d

    # Today, live, through the real download path: the guest downloads twice (two downloads, one
    # more active member) once the counter has flushed.
    for _ in range(2):
        r = await files.get(acme.guest, f"/resources/{resource['id']}/download", redirect="false")
        assert r.status_code == 200, r.text
    await runtime.handles.files.downloads.flush()
    body = (await client.get(f"/api/orgs/{acme.slug}/analytics", headers=acme.admin.auth,
                             params={"from": days[0].isoformat()})).json()
    expected = await direct_counts(conn, acme.id, days)
    assert expected[today]["resource_downloads"] == 2 and acme.guest.user_id in expected[today]["active"]
    assert body["series"] == [_as_series(d, expected[d]) for d in days]
    everyone = set().union(*(expected[d]["active"] for d in days))
    assert body["totals"]["active_members"] == len(everyone)
    assert body["totals"]["resource_downloads"] == sum(expected[d]["resource_downloads"] for d in days)

    # Downtime in the middle: the lost days are recomputed the same; a day rewritten is unchanged.
    before = {d: dict(r) | {"computed_at": None} for d, r in stored.items()}
    await conn.execute("DELETE FROM analytics_daily WHERE org_id = $1 AND day >= $2", acme.id,
                       today - timedelta(days=9))
    middle = (await client.get(f"/api/orgs/{acme.slug}/analytics", headers=acme.admin.auth,
                               params={"from": days[0].isoformat()})).json()
    assert middle["series"] == body["series"]  # missing rollups are answered live meanwhile
    assert await analytics.rollup_step(runtime.handles.db, 100, now=today) == 9
    await analytics.rollup_range(runtime.handles.db, acme.id, today - timedelta(days=30), today - timedelta(days=20))
    after = {r["day"]: dict(r) | {"computed_at": None}
             for r in await conn.fetch("SELECT * FROM analytics_daily WHERE org_id = $1", acme.id)}
    assert after == before

    # The dashboard's numbers are analytics' totals of the last 30 days with today; members are the
    # active ones (a pending and a suspended membership hold seats but are not members yet / now).
    for status in ("pending", "suspended"):
        await factory.join(acme, await factory.user(status.title()), "member", status=status)
    last30 = (await client.get(f"/api/orgs/{acme.slug}/analytics", headers=acme.admin.auth,
                               params={"from": (today - timedelta(days=29)).isoformat()})).json()["totals"]
    dash = (await client.get(f"/api/orgs/{acme.slug}/dashboard", headers=acme.member.auth)).json()
    assert dash["stats"]["active_members"] == last30["active_members"] > 0
    assert dash["member_stats"]["joined_last_30_days"] == last30["new_members"]
    assert dash["stats"]["member_count"] == last30["members"] == sum(dash["member_stats"]["by_role"].values())
    assert dash["organization"]["current_member_count"] == last30["members"] + 2  # the seats
