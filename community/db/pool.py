"""The database seen from trio: the only module that touches asyncpg or trio-asyncio.

asyncpg is asyncio-only; every call crosses the trio-asyncio bridge opened once at
the root (`open_bridge`). Request context (org, user) is set per transaction with
`set_config(..., true)` so a pooled connection never carries it into the next use.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import trio
import trio_asyncio
from asyncpg.pool import PoolConnectionProxy

from community.domain.events import dumps

Record = asyncpg.Record
T = TypeVar("T")

DatabaseUnavailable = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                       asyncpg.CannotConnectNowError, asyncpg.exceptions.OperatorInterventionError,
                       asyncpg.exceptions.TooManyConnectionsError)


def open_bridge() -> trio_asyncio.TrioEventLoop:  # pragma: no cover - thin alias
    """The asyncio loop asyncpg runs on; open once, at the root of the trio run."""
    return trio_asyncio.open_loop()


async def _call(fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    result: T = await trio_asyncio.aio_as_trio(fn)(*args, **kwargs)
    return result


class Conn:
    """One asyncpg connection, callable from trio."""

    def __init__(self, raw: asyncpg.Connection[Record] | PoolConnectionProxy[Record]) -> None:
        self.raw = raw

    async def fetch(self, sql: str, *args: object) -> list[Record]:
        return await _call(self.raw.fetch, sql, *args)

    async def fetchrow(self, sql: str, *args: object) -> Record | None:
        return await _call(self.raw.fetchrow, sql, *args)

    async def fetchval(self, sql: str, *args: object) -> Any:
        return await _call(self.raw.fetchval, sql, *args)

    async def execute(self, sql: str, *args: object) -> str:
        return await _call(self.raw.execute, sql, *args)

    async def executemany(self, sql: str, args: Sequence[Sequence[object]]) -> None:
        await _call(self.raw.executemany, sql, args)

    async def set_context(self, *, org_id: UUID | None, user_id: UUID | None) -> None:
        """Transaction-scoped tenant context that row-level security policies read."""
        await self.execute(_SET_CONTEXT, *_context_args(org_id, user_id))


async def _init_connection(raw: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await raw.set_type_codec(name, encoder=dumps, decoder=json.loads, schema="pg_catalog")


async def connect(dsn: str, **kwargs: Any) -> Conn:
    """A single connection outside the pool (migrations, LISTEN)."""
    raw = await _call(asyncpg.connect, dsn, **kwargs)
    await _init_connection_trio(raw)
    return Conn(raw)


async def _init_connection_trio(raw: asyncpg.Connection) -> None:
    await _call(_init_connection, raw)


async def close(conn: Conn) -> None:
    # Bounded even when shielded: a connection whose peer is gone must not hang a shutdown.
    with trio.CancelScope(shield=True), trio.move_on_after(2) as scope:
        await _call(conn.raw.close, timeout=2)
    if scope.cancelled_caught:
        conn.raw.terminate()


_SET_CONTEXT = "SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)"


def _context_args(org_id: UUID | None, user_id: UUID | None) -> tuple[str, str]:
    return (str(org_id) if org_id else "", str(user_id) if user_id else "")


async def _begin(pool: asyncpg.Pool, isolation: str, context: tuple[str, str]) -> tuple[Any, Any]:
    raw = await pool.acquire()
    try:
        tx = raw.transaction(isolation=isolation)  # type: ignore[arg-type]
        await tx.start()
        await raw.execute(_SET_CONTEXT, *context)
    except BaseException:
        raw.terminate()  # never reset a connection mid-transaction: drop it
        await pool.release(raw)
        raise
    return raw, tx


async def _finish(pool: asyncpg.Pool, raw: Any, tx: Any, *, commit: bool) -> None:
    try:
        await (tx.commit() if commit else tx.rollback())
    finally:
        await pool.release(raw)


async def _fetchrow_pooled(pool: asyncpg.Pool, sql: str, args: tuple[object, ...]) -> Record | None:
    async with pool.acquire() as raw:
        return await raw.fetchrow(sql, *args)


class Database:
    """A stable handle on the pool; the db_pool actor (re)opens the pool inside it."""

    def __init__(self, dsn: str, *, min_size: int = 2, max_size: int = 10, role: str | None = None) -> None:
        self.dsn, self.min_size, self.max_size, self.role = dsn, min_size, max_size, role
        self._pool: asyncpg.Pool | None = None

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    async def open(self) -> None:
        async def init(raw: asyncpg.Connection) -> None:
            await _init_connection(raw)
            if self.role:
                await raw.execute(f'SET ROLE "{self.role}"')

        self._pool = await _call(
            asyncpg.create_pool, self.dsn, min_size=self.min_size, max_size=self.max_size,
            init=init, command_timeout=30,
        )

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            with trio.CancelScope(shield=True), trio.move_on_after(5) as scope:
                await _call(pool.close)
            if scope.cancelled_caught:
                pool.terminate()

    def _require_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise asyncpg.InterfaceError("database pool is not open")
        return self._pool

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[Conn]:
        pool = self._require_pool()
        raw = await _call(pool.acquire)
        try:
            yield Conn(raw)
        finally:
            with trio.CancelScope(shield=True):
                await _call(pool.release, raw)

    @asynccontextmanager
    async def transaction(self, *, org_id: UUID | None = None, user_id: UUID | None = None,
                          isolation: str = "read_committed") -> AsyncIterator[Conn]:
        # Each crossing of the trio-asyncio bridge costs about as much as a query, so acquiring,
        # BEGIN and the tenant context make one crossing, and COMMIT with the release another.
        pool = self._require_pool()
        # Shielded: cancelling between BEGIN and the context would hand the pool a connection
        # mid-transaction; a cancelled caller gives up right after instead.
        with trio.CancelScope(shield=True):
            raw, tx = await _call(_begin, pool, isolation, _context_args(org_id, user_id))
        committed = False
        try:
            await trio.lowlevel.checkpoint_if_cancelled()
            yield Conn(raw)
            committed = True
        finally:
            # Shielded: a transaction is never left half-finished on a connection back in the pool.
            with trio.CancelScope(shield=True), trio.move_on_after(10) as scope:
                await _call(_finish, pool, raw, tx, commit=committed)
            if scope.cancelled_caught:
                raw.terminate()

    async def fetchrow_once(self, sql: str, *args: object) -> Record | None:
        """One statement on its own, no tenant context: acquire, fetch and release in one crossing."""
        return await _call(_fetchrow_pooled, self._require_pool(), sql, args)

    async def fetchval(self, sql: str, *args: object) -> Any:
        async with self.transaction() as conn:
            return await conn.fetchval(sql, *args)


UniqueViolation = asyncpg.UniqueViolationError
ForeignKeyViolation = asyncpg.ForeignKeyViolationError
CheckViolation = asyncpg.CheckViolationError


def row(record: Record | None) -> dict[str, Any] | None:
    return dict(record) if record is not None else None


def rows(records: list[Record]) -> list[dict[str, Any]]:
    return [dict(r) for r in records]


class Listener:
    """A dedicated connection LISTENing on some channels; notifications arrive on `receive`.

    asyncpg calls back on the bridged asyncio loop, which runs in trio's thread, so the
    callback may hand over with `send_nowait`. A full queue or a lost connection sets `lost`:
    the owner must then treat everything since as missed (catch up from the log).
    """

    def __init__(self, conn: Conn, size: int) -> None:
        self.conn = conn
        self._send, self.receive = trio.open_memory_channel[tuple[str, str]](size)
        self.lost = trio.Event()

    def _on_notify(self, _raw: object, _pid: int, channel: str, payload: str) -> None:
        try:
            self._send.send_nowait((channel, payload))
        except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
            self.lost.set()

    def _on_terminate(self, _raw: object) -> None:
        self.lost.set()


@asynccontextmanager
async def open_listener(dsn: str, channels: Sequence[str], *, size: int = 10_000) -> AsyncIterator[Listener]:
    conn = await connect(dsn)
    listener = Listener(conn, size)
    try:
        conn.raw.add_termination_listener(listener._on_terminate)
        for channel in channels:
            await _call(conn.raw.add_listener, channel, listener._on_notify)
        yield listener
    finally:
        conn.raw.remove_termination_listener(listener._on_terminate)
        await close(conn)
