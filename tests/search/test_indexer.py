"""The indexer after a crash: a batch killed mid-transaction stays queued and the index converges."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
import trio

from community.app import System
from community.db.pool import Conn
from community.db.queries import search as queries
from tests.factories import Factory, Personas

POSTS = 1200


async def _seed(factory: Factory, org_id: UUID) -> UUID:
    conn = factory.conn
    forum_id = await conn.fetchval(
        "INSERT INTO forums (id, org_id, name, slug, path) VALUES ($1, $2, 'Crash', 'crash', ARRAY[$1::uuid]) "
        "RETURNING id", uuid4(), org_id)
    topic_id = await conn.fetchval(
        "INSERT INTO topics (org_id, forum_id, title, slug, content) VALUES ($1, $2, 'Crash', 'crash', 'x') "
        "RETURNING id", org_id, forum_id)
    await conn.execute("INSERT INTO posts (org_id, topic_id, content) "
                       "SELECT $1, $2, 'converging albatross ' || g FROM generate_series(1, $3) g",
                       org_id, topic_id, POSTS)
    return UUID(str(topic_id))


async def _counts(factory: Factory, org_id: UUID) -> tuple[int, int]:
    row = await factory.conn.fetchrow(
        "SELECT (SELECT count(*) FROM search_queue WHERE org_id = $1) AS queued, "
        "(SELECT count(*) FROM search_documents WHERE org_id = $1 AND kind = 'post') AS indexed", org_id)
    assert row is not None
    return int(row["queued"]), int(row["indexed"])


async def test_a_killed_batch_is_indexed_after_the_restart(runtime: System, factory: Factory, personas: Personas,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    org_id = personas.acme.id
    original = queries.refresh_documents
    calls = 0
    inside = trio.Event()

    async def stalls_on_second_batch(conn: Conn, sql: str, org: UUID, ids: list[UUID], config: str) -> None:
        nonlocal calls
        calls += sql is queries.REFRESH_POSTS
        await original(conn, sql, org, ids, config)
        if calls == 2 and sql is queries.REFRESH_POSTS:  # written but not committed: the kill lands mid-batch
            inside.set()
            await trio.sleep_forever()

    with trio.fail_after(30):
        monkeypatch.setattr(queries, "refresh_documents", stalls_on_second_batch)
        await _seed(factory, org_id)
        runtime.handles.indexer.poke()
        await inside.wait()
        queued, indexed = await _counts(factory, org_id)
        assert 0 < indexed < POSTS and queued > 0  # first batch committed, second in flight
        monkeypatch.setattr(queries, "refresh_documents", original)
        assert runtime.core is not None
        runtime.core.kill_child("indexer")
        while True:
            if await _counts(factory, org_id) == (0, POSTS):
                break
            await trio.sleep(0.05)
        r = await factory.conn.fetchval(
            "SELECT count(*) FROM search_documents WHERE org_id = $1 AND tsv @@ to_tsquery('english', 'albatross')",
            org_id)
        assert r == POSTS
