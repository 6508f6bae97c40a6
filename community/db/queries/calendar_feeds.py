"""Private calendar feeds: one secret per user, stored as its SHA-256."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from community.db.pool import Conn
from community.db.queries import Row


@dataclass(frozen=True, slots=True)
class FeedRow(Row):
    """A user's feed as `_GET` reads it (never the token's hash)."""

    user_id: UUID
    created_at: datetime
    last_used_at: datetime | None


_UPSERT = """
INSERT INTO calendar_feeds (user_id, token_hash) VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = now(), last_used_at = NULL
RETURNING created_at
"""
_DELETE = "DELETE FROM calendar_feeds WHERE user_id = $1 RETURNING user_id"
_GET = "SELECT user_id, created_at, last_used_at FROM calendar_feeds WHERE user_id = $1"
_OWNER = "SELECT calendar_feed_owner($1)"


async def replace_feed(conn: Conn, user_id: UUID, token_hash: bytes) -> datetime:
    created: datetime = await conn.fetchval(_UPSERT, user_id, token_hash)
    return created


async def delete_feed(conn: Conn, user_id: UUID) -> bool:
    return await conn.fetchval(_DELETE, user_id) is not None


async def get_feed(conn: Conn, user_id: UUID) -> FeedRow | None:
    record = await conn.fetchrow(_GET, user_id)
    return FeedRow.from_record(record) if record is not None else None


async def feed_owner(conn: Conn, token_hash: bytes) -> UUID | None:
    owner: UUID | None = await conn.fetchval(_OWNER, token_hash)
    return owner
