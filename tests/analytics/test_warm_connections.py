"""Every pooled connection has run the analytics answer's statements before it serves anyone, the
ones the pool opens later included (issue 18: the one slow answer in 800 was a request served by a
connection that had never run them, and paid their preparing, type introspection and planning)."""

from __future__ import annotations

import pytest
import trio

from community.app import System
from community.db.pool import Conn
from community.services import analytics
from community.settings import Settings
from tests.factories import Personas


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The product's default (the suite's other systems boot without it: it cost them ~30% of boot time)."""
    return settings.model_copy(update={"db_warm_up": True})

# A fragment of each statement the answer runs: stored days, today live, cohorts, CSAT, ratings.
STATEMENTS = ("FROM analytics_daily", "analytics_live_days(", "AS cohort", "FROM csat_responses", "WITH ended AS")


async def _prepared(conn: Conn) -> list[str]:
    return [r["statement"] for r in await conn.fetch("SELECT statement FROM pg_prepared_statements")]


async def test_every_pool_connection_is_warm_before_its_first_caller(runtime: System, personas: Personas) -> None:
    db = runtime.handles.db
    with trio.fail_after(30):
        # Three at once, so the pool has to open connections beyond the ones already in use.
        async with db.transaction() as a, db.transaction() as b, db.transaction() as c:
            pids = {await conn.fetchval("SELECT pg_backend_pid()") for conn in (a, b, c)}
            assert len(pids) == 3
            for conn in (a, b, c):
                prepared = await _prepared(conn)
                for fragment in STATEMENTS:
                    assert any(fragment in s for s in prepared), fragment


async def test_the_warm_up_reads_nothing_and_leaves_the_answer_unchanged(runtime: System,
                                                                         personas: Personas) -> None:
    acme = personas.acme
    db = runtime.handles.db
    with trio.fail_after(30):
        async with db.transaction(org_id=acme.id) as conn:
            before = await analytics.recent_totals(conn, acme.id)
        async with db.transaction(read_only=True) as conn:
            await analytics.prepare_connection(conn)  # read-only: it would fail if it wrote
        async with db.transaction(org_id=acme.id) as conn:
            assert await analytics.recent_totals(conn, acme.id) == before
