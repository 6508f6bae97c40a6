"""Rate limits as a handle: `await limiter.hit(key, limit, window_seconds)`.

The use cases (posting, sending messages) only see the `RateLimiter` interface; which store
holds the windows is the handle's business: `DatabaseRateLimiter` keeps them in PostgreSQL, so
N nodes on one database allow the limit once, not N times (there is no in-process limiter).
"""

from __future__ import annotations

import hashlib
import math
from typing import NamedTuple, Protocol

from community.db.pool import Conn, Database

MAX_WINDOW_SECONDS = 86_400  # the database prunes hits older than a day


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_seconds: float, *, conn: Conn | None = None) -> int | None:
        """Count one hit on `key` if it is under `limit` within `window_seconds`: None.

        Over the limit nothing is counted and the answer is the seconds until a retry can succeed.
        A use case that limits inside its own transaction passes its `conn`: the hit is counted on
        that connection (and only if the transaction commits), never on a second pooled one —
        a request holding one connection while waiting for another deadlocks a full pool.
        """
        ...

    def in_statement(self, key: str, limit: int, window_seconds: float) -> StatementLimit:
        """The arguments with which a use case's own write statement counts this hit itself (SQL
        `rate_limit_hit(key_hash, limit, window_seconds, true)`, before it writes anything): no
        round trip of its own, and counted only when that statement commits.
        """
        ...


class StatementLimit(NamedTuple):
    key_hash: bytes
    limit: int
    window_seconds: float


def retry_seconds(wait: float) -> int:
    """What `rate_limit_hit` answers over the limit, as a Retry-After (whole seconds, at least 1)."""
    return max(1, math.ceil(wait))


_HIT = "SELECT rate_limit_hit($1, $2, $3, $4)"
_RESET = "DELETE FROM rate_limit_hits WHERE key_hash = $1"
_UNLIMITED = 2**31 - 1


class DatabaseRateLimiter:
    """Sliding windows in PostgreSQL (`rate_limit_hit`): exact across every node on the database.

    Hits on one key are serialised by an advisory lock inside one statement; keys are stored as
    SHA-256, so the table never holds the e-mail or address it counts.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def hit(self, key: str, limit: int, window_seconds: float, *, conn: Conn | None = None) -> int | None:
        return await self._call(key, limit, window_seconds, record=True, conn=conn)

    def in_statement(self, key: str, limit: int, window_seconds: float) -> StatementLimit:
        _check_window(window_seconds)
        return StatementLimit(_digest(key), limit, float(window_seconds))

    async def check(self, key: str, limit: int, window_seconds: float) -> int | None:
        """Like `hit`, but counts nothing: for limits on failures, counted with `add` once they happen."""
        return await self._call(key, limit, window_seconds, record=False)

    async def add(self, key: str, window_seconds: float) -> None:
        await self._call(key, _UNLIMITED, window_seconds, record=True)

    async def reset(self, key: str) -> None:
        await self._db.fetchval(_RESET, _digest(key), invalidates=False)

    async def _call(self, key: str, limit: int, window_seconds: float, *, record: bool,
                    conn: Conn | None = None) -> int | None:
        _check_window(window_seconds)
        args = (_digest(key), limit, float(window_seconds), record)
        wait: float | None = await (conn.fetchval(_HIT, *args) if conn is not None
                                    else self._db.fetchval(_HIT, *args, invalidates=False))
        return None if wait is None else retry_seconds(wait)


def _check_window(window_seconds: float) -> None:
    if not 0 < window_seconds <= MAX_WINDOW_SECONDS:
        raise ValueError(f"a window is between 0 and {MAX_WINDOW_SECONDS} seconds")


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
