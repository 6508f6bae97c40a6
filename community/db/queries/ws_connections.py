"""Open websockets per user, across nodes (the per-user connection limit)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from community.db.pool import Conn


async def claim(conn: Conn, *, node_id: UUID, connection_id: UUID, user_id: UUID, limit: int,
                stale: timedelta) -> bool:
    return bool(await conn.fetchval("SELECT ws_connection_claim($1, $2, $3, $4, $5)",
                                    node_id, connection_id, user_id, limit, stale))


async def release(conn: Conn, *, node_id: UUID, connection_id: UUID) -> None:
    await conn.execute("SELECT ws_connection_release($1, $2)", node_id, connection_id)


async def heartbeat(conn: Conn, *, node_id: UUID, live: list[UUID], stale: timedelta) -> None:
    await conn.execute("SELECT ws_connections_heartbeat($1, $2, $3)", node_id, live, stale)


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
