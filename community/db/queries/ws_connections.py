"""Open websockets per user, across nodes (the per-user connection limit)."""

from __future__ import annotations

from datetime import timedelta
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
