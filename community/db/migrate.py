"""Forward-only numbered SQL migrations, each in its own transaction, under an advisory lock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import structlog

from community.db.pool import Conn, close, connect

log = structlog.get_logger("community.db")

# Any fixed 64-bit key: every node taking it serialises migrations cluster-wide.
_LOCK_KEY = 0x636F6D6D756E
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("community.db").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


async def apply_migrations(conn: Conn) -> list[int]:
    """Apply what is missing; returns the versions this call applied."""
    await conn.fetchval("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(_CREATE_TABLE)
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for migration in load_migrations():
            if migration.version not in done:
                await _apply(conn, migration)
                applied.append(migration.version)
        return applied
    finally:
        await conn.fetchval("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def _apply(conn: Conn, migration: Migration) -> None:
    await conn.execute("BEGIN")
    try:
        await conn.execute(migration.sql)
        await conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", migration.version, migration.name
        )
    except BaseException:
        await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")
    log.info("db.migration_applied", version=migration.version, name=migration.name)


async def migrate(dsn: str) -> list[int]:
    conn = await connect(dsn)
    try:
        return await apply_migrations(conn)
    finally:
        await close(conn)
