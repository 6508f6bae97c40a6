"""Migrations: applied once even when several nodes start together."""

from __future__ import annotations

import trio

from community.db.migrate import load_migrations, migrate
from community.db.pool import close, connect
from tests.conftest import _admin, with_database


async def test_migrations_apply_once_under_concurrency(pg_url: str) -> None:
    name = "migrate_race"
    await _admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    url = with_database(pg_url, name)
    results: list[list[int]] = []

    async def node() -> None:
        results.append(await migrate(url))

    try:
        with trio.fail_after(60):
            async with trio.open_nursery() as nursery:
                for _ in range(4):
                    nursery.start_soon(node)
        every = [m.version for m in load_migrations()]
        assert sorted(v for applied in results for v in applied) == every
        assert sorted(results, key=len)[:-1] == [[]] * 3
        conn = await connect(url)
        try:
            rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
        finally:
            await close(conn)
        assert [r["version"] for r in rows] == every
        assert await migrate(url) == []
    finally:
        await _admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_migration_files_are_numbered_without_gaps() -> None:
    versions = [m.version for m in load_migrations()]
    assert versions == list(range(1, len(versions) + 1))
