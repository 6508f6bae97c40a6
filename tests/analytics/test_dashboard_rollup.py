"""The dashboard's window is rolled up whatever the org's age: for a young org (or one whose history
was imported) the actor starts at the window, not the creation day, so the dashboard computes only
today live. Two nodes' actors catching up at once write each day once, with the tables' numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import trio

from community.app import System, run_system
from community.services import analytics
from community.settings import Settings
from tests.analytics.test_analytics import seed
from tests.factories import Factory, Personas


async def test_the_dashboard_window_is_rolled_up_for_a_young_org_across_nodes(
        client: httpx.AsyncClient, factory: Factory, personas: Personas, runtime: System, settings: Settings) -> None:
    acme, today, conn = personas.acme, analytics.today(), factory.conn
    h = await seed(factory, acme, today)
    await conn.execute("UPDATE organizations SET created_at = now() WHERE id = $1", acme.id)  # created today
    window = [today - timedelta(days=29 - i) for i in range(30)]

    async def catch_up(system: System) -> None:  # what each node's analytics actor does, at once
        while await analytics.rollup_step(system.handles.db, 7, now=today) > 0:
            pass

    async with trio.open_nursery() as nodes:  # a second node on the same database (its actor runs too)
        node_b: System = await nodes.start(run_system, settings)
        async with trio.open_nursery() as both:
            for system in (runtime, node_b):
                both.start_soon(catch_up, system)
        stored = await conn.fetch("SELECT * FROM analytics_daily WHERE org_id = $1 ORDER BY day", acme.id)
        assert [r["day"] for r in stored] == window[:-1]  # every past day of the window, once; not today
        for r in stored:
            want = h.counts.get(r["day"], {})
            assert (r["posts"], r["messages"], r["topics"]) == (
                want.get("posts", 0), want.get("messages", 0), want.get("topics", 0)), r["day"]
            assert set(r["active_user_ids"]) == h.active.get(r["day"], set()), r["day"]
            assert int.from_bytes(r["active_bits"], "little").bit_count() == len(r["active_user_ids"]), r["day"]
        numbers = await conn.fetch("SELECT n FROM analytics_members WHERE org_id = $1 ORDER BY n", acme.id)
        assert [r["n"] for r in numbers] == list(range(len(numbers)))  # no number given twice
        assert await analytics.rollup_step(runtime.handles.db, 7, now=today) == 0

        # Today stays live: someone not active in the window posts now; both nodes' dashboards count
        # them at once, and agree with the history and with the analytics page.
        active = set().union(*(h.active.get(d, set()) for d in window))
        assert acme.guest.user_id not in active
        topic = await conn.fetchval("SELECT id FROM topics WHERE org_id = $1 LIMIT 1", acme.id)
        await conn.execute("INSERT INTO posts (org_id, topic_id, content, author_id, created_at) "
                           "VALUES ($1, $2, 'now', $3, $4)", acme.id, topic, acme.guest.user_id, datetime.now(UTC))
        joined = sum(1 for d in h.joined.values() if d >= window[0])
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{node_b.http_port}", timeout=10) as other:
            for c in (client, other):
                r = await c.get(f"/api/orgs/{acme.slug}/dashboard", headers=acme.member.auth)
                assert r.status_code == 200, r.text
                assert r.json()["stats"]["active_members"] == len(active) + 1
                assert r.json()["member_stats"]["joined_last_30_days"] == joined
                assert r.json()["stats"]["member_count"] == 11
        nodes.cancel_scope.cancel()
    page = await client.get(f"/api/orgs/{acme.slug}/analytics", headers=acme.admin.auth,
                            params={"from": window[0].isoformat()})
    assert page.status_code == 200, page.text
    assert page.json()["totals"]["active_members"] == len(active) + 1
    assert page.json()["totals"]["new_members"] == joined
