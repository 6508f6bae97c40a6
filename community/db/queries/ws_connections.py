"""Open websockets per user, across nodes (the per-user connection limit)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from community.db.pool import Conn, Database

# One statement, its own transaction (the claim's advisory lock is held to its end): one round trip.
_CLAIM = "SELECT ws_connection_claim($1, $2, $3, $4, $5) AS granted"
_RELEASE = "SELECT ws_connection_release($1, $2)"


async def claim(db: Database, *, node_id: UUID, connection_id: UUID, user_id: UUID, limit: int,
                stale: timedelta) -> bool:
    record = await db.fetchrow_once(_CLAIM, node_id, connection_id, user_id, limit, stale, invalidates=False)
    return record is not None and bool(record["granted"])


async def release(db: Database, *, node_id: UUID, connection_id: UUID) -> None:
    await db.fetch_once(_RELEASE, node_id, connection_id, invalidates=False)


async def node_heartbeat(db: Database, *, node_id: UUID, released: list[UUID], stale: timedelta) -> None:
    """This node is alive (one row: its sockets and presence count while it is fresh); the releases
    an outage kept it from making go now. One statement, its own transaction."""
    await db.fetch_once("SELECT ws_node_heartbeat($1, $2, $3)", node_id, released, stale, invalidates=False)


# Of these sockets' sessions (claim, user, token hash, generation, issue time), the ones signed out.
_REVOKED = """
SELECT s.claim FROM unnest($1::uuid[], $2::uuid[], $3::bytea[], $4::integer[], $5::timestamptz[])
    AS s(claim, user_id, token_hash, generation, issued_at)
WHERE session_revoked(s.user_id, NULL, s.token_hash, s.generation, s.issued_at)
"""


async def revoked_sessions(conn: Conn, sessions: list[tuple[UUID, UUID, bytes, int | None, datetime | None]]
                           ) -> set[UUID]:
    columns: list[list[object]] = [[s[i] for s in sessions] for i in range(5)]
    return {r["claim"] for r in await conn.fetch(_REVOKED, *columns)}
