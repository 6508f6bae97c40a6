"""The database seen from trio: the only module that touches asyncpg or asyncio.

asyncpg is asyncio-only. It runs on a real asyncio loop in a thread of its own (one per
process, started on first use); a call hands a coroutine over (`_LoopThread.call_soon`)
and the result comes back through the caller's trio token (`_handoff`). Request context
(org, user) is set per transaction with `set_config(..., true)`, so a pooled connection
never carries it into the next use and the pool needs no reset round trip on release.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import re
import selectors
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Literal, NoReturn, TypeAlias, TypeVar
from uuid import UUID

import asyncpg
import orjson
import outcome
import trio
from asyncpg.pool import PoolConnectionProxy

from community.db.generations import Generations
from community.domain.events import dumps

Record = asyncpg.Record
T = TypeVar("T")
Raw: TypeAlias = "asyncpg.Connection[Record] | PoolConnectionProxy[Record]"

DatabaseUnavailable = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                       asyncpg.CannotConnectNowError, asyncpg.exceptions.OperatorInterventionError,
                       asyncpg.exceptions.TooManyConnectionsError)
# A database that does not answer in time: asyncpg's command timeout, or our own deadline.
DatabaseTimeout = (TimeoutError, trio.TooSlowError)


class StatementCount:
    """Statements sent to PostgreSQL (each one round trip) by the caller while counting."""

    def __init__(self) -> None:
        self.n = 0
        self.statements: list[str] = []


_statement_count: contextvars.ContextVar[StatementCount | None] = contextvars.ContextVar(
    "community_statement_count", default=None)


def _count_statement(record: Any) -> None:  # asyncpg's query logger, in the statement's context
    counter = _statement_count.get()
    if counter is not None:
        counter.n += 1
        counter.statements.append(record.query)


class _LoopThread:
    """An asyncio loop running forever in a daemon thread; everything asyncpg happens there.

    Crossing between the threads costs system calls: a write to the loop's self-pipe to wake it
    (and its read), a write to trio's wake-up socket for each answer (and its read). The profile of
    the topic page under wrk put the two threads' wake-ups near a fifth of the server's CPU. So
    both directions are batched at the loop's select (`_WatchedSelector`): a handoff wakes the loop
    only while it sleeps (a loop at work finds it before it sleeps again), and the answers of
    one turn of the loop go to each trio run in one `run_sync_soon`, in the order they were made.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._pending: deque[tuple[Callable[[], object], contextvars.Context]] = deque()
        self._answers: dict[trio.lowlevel.TrioToken, list[tuple[Callable[..., object], tuple[Any, ...]]]] = {}
        self._armed = False
        self.sleeping = False
        self.wakeups = 0  # writes to the loop's self-pipe (tests and /metrics read these)
        self.crossings = 0  # run_sync_soon calls back to trio
        self.loop = asyncio.SelectorEventLoop(_WatchedSelector(self))
        self.thread = threading.Thread(target=self.loop.run_forever, name="community-asyncpg", daemon=True)
        self.thread.start()

    def call_soon(self, fn: Callable[[], object]) -> None:
        """`call_soon_threadsafe`, waking the loop only when it sleeps, once for all queued meanwhile.

        Safe without a lock (the GIL orders these steps): a caller appends before it reads
        `sleeping`, and the loop sets `sleeping` before it looks at the queue, so either the loop
        sees the call before it blocks or the caller sees it asleep and wakes it; `_armed` (reset
        on every return from select) keeps a burst to one wake-up. Calls run in order (handoffs
        rely on a cancel running after its start), each in its caller's context, as
        `call_soon_threadsafe` runs them (a task it creates inherits that context).
        """
        self._pending.append((fn, contextvars.copy_context()))
        if self.sleeping and not self._armed:
            self._armed = True
            self.wakeups += 1
            self.loop.call_soon_threadsafe(_nothing)

    def to_trio(self, token: trio.lowlevel.TrioToken, fn: Callable[..., object], *args: Any) -> None:
        """In the loop's thread: `token.run_sync_soon(fn, *args)`, sent with this turn's others."""
        self._answers.setdefault(token, []).append((fn, args))

    def before_select(self) -> bool:  # in the loop's thread; True when work is queued (do not block)
        answers, self._answers = self._answers, {}
        for token, batch in answers.items():
            self.crossings += 1
            with suppress(trio.RunFinishedError):  # that run is over: nobody waits for these
                token.run_sync_soon(_run_all, batch)
        self.sleeping = True
        return bool(self._pending)

    def after_select(self) -> None:  # in the loop's thread
        self.sleeping = False
        self._armed = False
        while self._pending:
            fn, context = self._pending.popleft()
            self.loop.call_soon(fn, context=context)  # each its own callback: an error stays its own


def _nothing() -> None:
    """What a wake-up runs: the select's return is the point (`_LoopThread.after_select`)."""


def _run_all(batch: list[tuple[Callable[..., object], tuple[Any, ...]]]) -> None:  # in trio's thread
    for fn, args in batch:
        fn(*args)


class _WatchedSelector(selectors.DefaultSelector):
    """The loop's selector, telling its owner when the loop goes to sleep and wakes.

    asyncio's `_run_once` calls `select` then runs what is ready, so calls queued here after
    the select run in the same turn of the loop.
    """

    def __init__(self, owner: _LoopThread) -> None:
        super().__init__()
        self._owner = owner

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if self._owner.before_select():
            timeout = 0
        try:
            events: list[tuple[selectors.SelectorKey, int]] = super().select(timeout)
        finally:
            self._owner.after_select()
        return events


_loop_lock = threading.Lock()
_loop_thread: _LoopThread | None = None


def _loop_handle() -> _LoopThread:
    global _loop_thread  # one loop thread per process, started on first use
    current = _loop_thread
    if current is None or current.pid != os.getpid():  # a forked child starts its own
        with _loop_lock:
            if _loop_thread is None or _loop_thread.pid != os.getpid():
                _loop_thread = _LoopThread()
            current = _loop_thread
    return current


async def _handoff(fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """Run `fn(*args)` on the asyncpg loop; wait for it from trio.

    Cancelling the trio caller cancels the asyncio task and still waits for it to end, so
    whatever it held is released on its own side first. If the task finished anyway, its
    result is returned and trio's cancellation fires at the caller's next checkpoint.
    """
    # Counting statements (`Database.count_statements`): the asyncio task runs in the caller's context.
    context = contextvars.copy_context() if _statement_count.get() is not None else None
    return await _handoff_in(context, fn, *args)


async def _handoff_in(context: contextvars.Context | None, fn: Callable[..., Coroutine[Any, Any, T]],
                      *args: Any) -> T:
    """`_handoff`, the asyncio task running in `context` (None: a copy of the loop thread's)."""
    handle = _loop_handle()
    loop = handle.loop
    token = trio.lowlevel.current_trio_token()
    task = trio.lowlevel.current_task()
    started: list[asyncio.Task[T] | None] = []
    cancel: list[Callable[[], NoReturn]] = []

    def finish(result: outcome.Outcome[T] | None) -> None:  # in trio's thread
        if result is None:  # the asyncio task was cancelled: only ever at our request
            result = outcome.capture(cancel[0])
        trio.lowlevel.reschedule(task, result)

    def done(aio_task: asyncio.Task[T]) -> None:  # in the loop's thread
        result: outcome.Outcome[T] | None
        if aio_task.cancelled():
            result = None
        elif (exc := aio_task.exception()) is not None:
            result = outcome.Error(exc)
        else:
            result = outcome.Value(aio_task.result())
        handle.to_trio(token, finish, result)

    def start() -> None:  # in the loop's thread
        try:
            # asyncpg checks some things before it makes a coroutine (a proxy already released
            # raises here): that error is the caller's answer, or the caller would wait forever.
            aio_task = loop.create_task(fn(*args), context=context)
        except BaseException as exc:
            started.append(None)
            handle.to_trio(token, finish, outcome.Error(exc))
            return
        aio_task.add_done_callback(done)
        started.append(aio_task)

    def abort(raise_cancel: Callable[[], NoReturn]) -> trio.lowlevel.Abort:
        cancel.append(raise_cancel)

        def stop() -> None:  # runs after `start` (the loop's queue is FIFO), so `started` is set
            if started[0] is not None:
                started[0].cancel()

        handle.call_soon(stop)
        return trio.lowlevel.Abort.FAILED

    handle.call_soon(start)
    result: T = await trio.lowlevel.wait_task_rescheduled(abort)
    return result


async def _sync(fn: Callable[..., object], *args: Any) -> None:
    async def call() -> None:
        fn(*args)
    await _handoff(call)


class Conn:
    """One asyncpg connection, callable from trio."""

    def __init__(self, raw: Raw) -> None:
        self.raw = raw

    async def fetch(self, sql: str, *args: object) -> list[Record]:
        return await _handoff(self.raw.fetch, sql, *args)

    async def fetchrow(self, sql: str, *args: object) -> Record | None:
        return await _handoff(self.raw.fetchrow, sql, *args)

    async def fetchval(self, sql: str, *args: object) -> Any:
        return await _handoff(self.raw.fetchval, sql, *args)

    async def execute(self, sql: str, *args: object) -> str:
        return await _handoff(self.raw.execute, sql, *args)

    async def executemany(self, sql: str, args: Sequence[Sequence[object]]) -> None:
        await _handoff(self.raw.executemany, sql, args)

    async def copy_records_to_table(self, table: str, *, records: Sequence[Sequence[object]],
                                    columns: Sequence[str]) -> str:
        return await _handoff(partial(self.raw.copy_records_to_table, table, records=records, columns=columns))

    async def set_context(self, *, org_id: UUID | None, user_id: UUID | None) -> None:
        """Transaction-scoped tenant context that row-level security policies read."""
        await self.execute(_SET_CONTEXT, _uuid_text(org_id), _uuid_text(user_id))


def _jsonb_encode(value: object) -> bytes:
    return b"\x01" + dumps(value).encode()  # jsonb's binary format: version 1, then the text


def _jsonb_decode(data: bytes) -> Any:
    try:
        return orjson.loads(memoryview(data)[1:])
    except orjson.JSONDecodeError:  # what orjson refuses (an integer past 64 bits) the stdlib reads
        return json.loads(data[1:])


async def _init_connection(raw: asyncpg.Connection[Record]) -> None:
    # Binary for jsonb: a jsonb inside a record (PageStatement's rows) always arrives binary.
    await raw.set_type_codec("json", encoder=dumps, decoder=json.loads, schema="pg_catalog")
    await raw.set_type_codec("jsonb", encoder=_jsonb_encode, decoder=_jsonb_decode, schema="pg_catalog",
                             format="binary")


async def _connect(dsn: str, kwargs: dict[str, Any]) -> asyncpg.Connection[Record]:
    raw: asyncpg.Connection[Record] = await asyncpg.connect(dsn, **kwargs)
    try:
        await _init_connection(raw)
    except BaseException:
        raw.terminate()
        raise
    return raw


async def connect(dsn: str, **kwargs: Any) -> Conn:
    """A single connection outside the pool (migrations, LISTEN)."""
    return Conn(await _handoff(_connect, dsn, kwargs))


async def _close(raw: Raw) -> None:
    try:
        await raw.close(timeout=2)
    except BaseException:
        raw.terminate()
        raise


async def close(conn: Conn) -> None:
    # Shielded, and bounded by close's own timeout: a dead peer must not hang a shutdown.
    with trio.CancelScope(shield=True), suppress(*DatabaseUnavailable, TimeoutError):
        await _handoff(_close, conn.raw)


_SET_CONTEXT = "SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)"
_ISOLATION = {"read_committed": "READ COMMITTED", "repeatable_read": "REPEATABLE READ",
              "serializable": "SERIALIZABLE"}


def _uuid_text(value: UUID | None) -> str:
    return str(value) if value else ""


def _begin_sql(isolation: str, org_id: UUID | None, user_id: UUID | None, *, read_only: bool = False,
               custom_plans: bool = False) -> str:
    # BEGIN and the tenant context in one simple-protocol message: one round trip, not two.
    # The only values spliced in are `UUID.__str__` (hex digits and dashes), never client text.
    org, user = UUID(str(org_id)) if org_id else "", UUID(str(user_id)) if user_id else ""
    plans = ", set_config('plan_cache_mode', 'force_custom_plan', true)" if custom_plans else ""
    return (f"BEGIN ISOLATION LEVEL {_ISOLATION[isolation]}{' READ ONLY' if read_only else ''}; "
            f"SELECT set_config('app.org_id', '{org}', true), set_config('app.user_id', '{user}', true){plans}")


async def _begin(pool: asyncpg.Pool[Record], begin_sql: str, seconds: float) -> PoolConnectionProxy[Record]:
    raw = await pool.acquire(timeout=seconds)
    try:
        await raw.execute(begin_sql, timeout=seconds)
    except BaseException:
        # Never hand back a connection whose BEGIN may have half-happened. A connection that
        # died is already back in the pool (its proxy refuses every call): the error stays ours.
        with suppress(asyncpg.InterfaceError):
            raw.terminate()
        await pool.release(raw)
        raise
    return raw


async def _finish(pool: asyncpg.Pool[Record], raw: PoolConnectionProxy[Record], commit: bool,
                  seconds: float) -> None:
    try:
        await raw.execute("COMMIT" if commit else "ROLLBACK", timeout=seconds)
    except BaseException:
        with suppress(asyncpg.InterfaceError):  # died meanwhile: already back in the pool
            if raw.is_in_transaction():  # COMMIT/ROLLBACK did not complete: the connection is dropped
                raw.terminate()
        raise
    finally:
        await pool.release(raw)  # a no-op for a proxy the pool already took back


async def _fetch_pooled(pool: asyncpg.Pool[Record], sql: str, args: tuple[object, ...],
                       seconds: float) -> list[Record]:
    async with pool.acquire(timeout=seconds) as raw:
        return await raw.fetch(sql, *args)


async def _fetchrow_pooled(pool: asyncpg.Pool[Record], sql: str, args: tuple[object, ...],
                           seconds: float) -> Record | None:
    async with pool.acquire(timeout=seconds) as raw:
        return await raw.fetchrow(sql, *args)


@dataclass(frozen=True)
class Query:
    """One statement to run later, on the loop's side: `method` is the asyncpg call."""

    method: Literal["fetch", "fetchrow", "fetchval"]
    sql: str
    args: tuple[object, ...] = ()

    async def run(self, raw: Raw) -> Any:
        return await getattr(raw, self.method)(self.sql, *self.args)


@dataclass(frozen=True)
class FromContext:
    """An argument of a page statement that is a column of the context statement's answer."""

    column: str


CONTEXT_ORG = FromContext("org_id")
CONTEXT_USER = FromContext("user_id")
_PARAM = re.compile(r"\$(\d+)")


@dataclass(frozen=True)
class PageStatement:
    """A context statement and the page's statements as ONE statement (one round trip).

    The context statement runs first (no tenant context); its `org_id` and `user_id` become the
    tenant context (`set_config(..., true)`, local to the statement's own implicit transaction),
    then every page statement runs as a correlated subquery of that row, so after the context is
    set, and all of it in one snapshot. Were the order ever different the policies would see no
    tenant and answer nothing, never another tenant's rows. Page arguments that are
    `FromContext` read the context's columns; the others become parameters after the context's.
    """

    sql: str
    args: tuple[object, ...]
    parts: tuple[Query, ...]  # the context, then the page statements (their columns name the records)

    @classmethod
    def compose(cls, context: Query, queries: Sequence[Query]) -> PageStatement:
        args = list(context.args)
        columns = []
        for i, query in enumerate(queries):
            numbers: dict[int, str] = {}

            def param(match: re.Match[str], query: Query = query, numbers: dict[int, str] = numbers) -> str:
                k = int(match.group(1))
                if k not in numbers:
                    value = query.args[k - 1]
                    if isinstance(value, FromContext):
                        numbers[k] = f"_page_tenant.{value.column}"
                    else:
                        args.append(value)
                        numbers[k] = f"${len(args)}"
                return numbers[k]

            sql = _PARAM.sub(param, query.sql)
            if query.method == "fetch":
                columns.append(f"ARRAY(SELECT _page_q FROM ({sql}) _page_q) AS r{i}")  # noqa: S608 - our constants
            elif query.method == "fetchrow":
                columns.append(f"(SELECT _page_q FROM ({sql}) _page_q LIMIT 1) AS r{i}")  # noqa: S608
            else:
                columns.append(f"({sql}) AS r{i}")
        sql = (f"WITH _page_context AS MATERIALIZED ({context.sql}),\n"  # noqa: S608 - our statements
               "_page_tenant AS MATERIALIZED (SELECT _page_context.*, "
               "set_config('app.org_id', coalesce(_page_context.org_id::text, ''), true) AS _page_set_org, "
               "set_config('app.user_id', coalesce(_page_context.user_id::text, ''), true) AS _page_set_user "
               "FROM _page_context)\n"
               f"SELECT (SELECT _page_context FROM _page_context) AS context, {', '.join(columns)} "
               "FROM _page_tenant")
        return cls(sql=sql, args=tuple(args), parts=(context, *queries))


@dataclass(frozen=True)
class _Shape:
    names: tuple[str, ...]
    types: tuple[int, ...]  # type oids of the columns


async def _shape(raw: Raw, sql: str, known: dict[str, _Shape]) -> _Shape:
    shape = known.get(sql)
    if shape is None:  # once per statement per process: the names the records of its rows lack
        attributes = (await raw.prepare(sql)).get_attributes()
        shape = known[sql] = _Shape(tuple(a.name for a in attributes), tuple(a.type.oid for a in attributes))
    return shape


async def _read_page(pool: asyncpg.Pool[Record], page: PageStatement,
                     known: dict[str, _Shape], seconds: float) -> tuple[dict[str, Any] | None, list[Any]]:
    async with pool.acquire(timeout=seconds) as raw:
        return await _read_page_on(raw, page, known)


async def _read_page_on(raw: Raw, page: PageStatement,
                        known: dict[str, _Shape]) -> tuple[dict[str, Any] | None, list[Any]]:
    shapes = [await _shape(raw, part.sql, known) for part in page.parts]
    # A record's fields decode with the codecs this connection already has: a connection that
    # never met one of their types (a varchar[], an enum) learns them by preparing the parts.
    settings = raw.get_settings()
    if any(settings.get_data_codec(oid) is None for shape in shapes for oid in shape.types):
        for part in page.parts:
            await raw.prepare(part.sql)
    answer = await raw.fetchrow(page.sql, *page.args)
    if answer is None or answer[0] is None:
        return None, []
    context = dict(zip(shapes[0].names, answer[0], strict=True))
    results: list[Any] = []
    for i, part in enumerate(page.parts[1:], start=1):
        value, names = answer[i], shapes[i].names
        if part.method == "fetch":
            results.append([dict(zip(names, r, strict=True)) for r in value])
        elif part.method == "fetchrow":
            results.append(None if value is None else dict(zip(names, value, strict=True)))
        else:
            results.append(value)
    return context, results


async def _keep_session(_raw: asyncpg.Connection[Record]) -> None:
    """The pool's reset: nothing to do, no round trip.

    asyncpg still rolls back an open transaction on release (our `_finish` never leaves one),
    and nothing sets session state: tenant context is transaction-local and LISTEN lives on
    dedicated connections outside the pool.
    """


# Run on each new pool connection, in a read-only transaction and before the connection serves
# anyone: the hot statements' first run on a connection (asyncpg's prepare and type introspection,
# a PL/pgSQL function's plan) costs 20-60 ms more than later ones (issue 18).
WarmUp = Callable[[Conn], Awaitable[None]]


class Database:
    """A stable handle on the pool; the db_pool actor (re)opens the pool inside it."""

    def __init__(self, dsn: str, *, min_size: int = 2, max_size: int = 10, role: str | None = None,
                 timeout: float = 30.0, warm_up: WarmUp | None = None) -> None:
        self.dsn, self.min_size, self.max_size, self.role = dsn, min_size, max_size, role
        self.warm_up = warm_up
        # The deadline of each step against the database: waiting for a connection, BEGIN, every
        # statement, COMMIT. A frozen or unreachable database costs a request this much, then a 503.
        self.timeout = timeout
        self._pool: asyncpg.Pool[Record] | None = None
        self._counting = False
        self._shapes: dict[str, _Shape] = {}  # statement -> its columns (PageStatement)
        # Bumped after every commit that may have written (cached pages check it on every hit).
        self.generations = Generations()

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    async def open(self) -> None:
        async def init(raw: asyncpg.Connection[Record]) -> None:
            await _init_connection(raw)
            if self.role:
                await raw.execute(f'SET ROLE "{self.role}"')
            if self.warm_up is not None:  # as the role the callers run as: plans depend on it
                async with raw.transaction(readonly=True):
                    await self.warm_up(_LoopConn(raw))

        async def setup(raw: PoolConnectionProxy[Record]) -> None:
            if self._counting:  # only once counting was asked for: a logger costs every statement
                raw.add_query_logger(_count_statement)

        async def create() -> asyncpg.Pool[Record]:
            return await asyncpg.create_pool(
                self.dsn, min_size=self.min_size, max_size=self.max_size, init=init, setup=setup, reset=_keep_session,
                # Every statement, in a transaction too: a frozen database costs each step this much.
                command_timeout=self.timeout,
                # Idle connections stay open: one closed after 5 idle minutes (asyncpg's default) came
                # back cold, without the plans and type codecs its warm-up and its callers had made.
                max_inactive_connection_lifetime=0)

        self._pool = await _handoff(create)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return

        async def close_pool() -> None:
            try:
                await asyncio.wait_for(pool.close(), 5)
            except BaseException:
                pool.terminate()
                raise

        with trio.CancelScope(shield=True), suppress(*DatabaseUnavailable, TimeoutError):
            await _handoff(close_pool)

    def _require_pool(self) -> asyncpg.Pool[Record]:
        if self._pool is None:
            raise asyncpg.InterfaceError("database pool is not open")
        return self._pool

    @asynccontextmanager
    async def transaction(self, *, org_id: UUID | None = None, user_id: UUID | None = None,
                          isolation: str = "read_committed", read_only: bool = False,
                          invalidates: bool = True, custom_plans: bool = False) -> AsyncIterator[Conn]:
        """`read_only`: PostgreSQL refuses writes, and cached pages stay good. Otherwise the commit
        invalidates cached pages of `org_id` (without one: every page) before this returns, unless
        `invalidates=False` says the writes touch nothing a page shows (rate limits, presence...).
        `custom_plans`: every statement is planned for its own values (`plan_cache_mode`), set in
        the BEGIN, so the first statement is already planned that way."""
        # Two handoffs frame a transaction: acquire + BEGIN + tenant context, and COMMIT + release.
        pool = self._require_pool()
        begin_sql = _begin_sql(isolation, org_id, user_id, read_only=read_only, custom_plans=custom_plans)
        # Shielded: a cancelled caller still gets its connection, then gives up right after.
        with trio.CancelScope(shield=True):
            raw = await _handoff(_begin, pool, begin_sql, self.timeout)
        committed = False
        try:
            await trio.lowlevel.checkpoint_if_cancelled()
            yield Conn(raw)
            committed = True
        finally:
            # Shielded: a transaction is never left half-finished on a connection back in the pool;
            # `command_timeout` bounds the COMMIT and a failed one drops the connection.
            try:
                with trio.CancelScope(shield=True):
                    await _handoff(_finish, pool, raw, committed, self.timeout)
            finally:  # committed, rolled back or unknown: after COMMIT returned, before our caller goes on
                if invalidates and not read_only:
                    self.generations.bump(org_id)

    async def fetchrow_once(self, sql: str, *args: object, invalidates: bool = True) -> Record | None:
        """One statement on its own, no tenant context: acquire, fetch and release in one handoff.
        It may write: cached pages are invalidated after it, unless `invalidates=False`."""
        try:
            return await _handoff(_fetchrow_pooled, self._require_pool(), sql, args, self.timeout)
        finally:
            if invalidates:
                self.generations.bump(None)

    async def fetch_once(self, sql: str, *args: object, invalidates: bool = True) -> list[Record]:
        """One statement on its own (its own transaction), no tenant context, in one handoff."""
        try:
            return await _handoff(_fetch_pooled, self._require_pool(), sql, args, self.timeout)
        finally:
            if invalidates:
                self.generations.bump(None)

    async def read_in_context(self, context: Query,
                              queries: Sequence[Query]) -> tuple[dict[str, Any] | None, list[Any]]:
        """A read page in one statement (`PageStatement`): who is asking (`context`), then the page's
        statements under the tenant context that answer names. Answers the context and each
        statement's result as dicts (a list of them for `fetch`); (None, []) if the context has no row.
        """
        page = PageStatement.compose(context, queries)
        return await _handoff(_read_page, self._require_pool(), page, self._shapes, self.timeout)

    async def fetchval(self, sql: str, *args: object, invalidates: bool = True) -> Any:
        async with self.transaction(invalidates=invalidates) as conn:
            return await conn.fetchval(sql, *args)

    @contextmanager
    def count_statements(self) -> Iterator[StatementCount]:
        """Count the statements (round trips) this trio task sends through the pool (for tests)."""
        self._counting = True
        counter = StatementCount()
        reset = _statement_count.set(counter)
        try:
            yield counter
        finally:
            _statement_count.reset(reset)

    async def read_as(self, context: Query,
                      body: Callable[[dict[str, Any] | None, Database], Coroutine[Any, Any, T]]) -> T:
        """A read in one handoff: `context` (no tenant context), then `body(its answer, db)` on the
        loop's thread, where `db` is this database on the same connection, every transaction of it
        READ ONLY. `body` is ordinary service code that must use only that `db` (no trio: it runs
        under asyncio); its exceptions cross back as themselves.
        """
        async def run(pool: asyncpg.Pool[Record]) -> T:
            async with pool.acquire(timeout=self.timeout) as raw:
                first = await context.run(raw)
                return await body(None if first is None else dict(first), _OnLoop(self, raw))

        return await _handoff(run, self._require_pool())

    async def on_loop(self, body: Callable[[Database], Coroutine[Any, Any, T]]) -> T:
        """A unit of work of statements that each stand alone, in ONE handoff: `body(db)` runs on the
        loop's thread (in the caller's context), where `db` is this database whose `read_in_context`,
        `fetchrow_once`, `fetch_once` and `transaction` await asyncpg directly on one pooled
        connection, taken at the first statement and released when `body` ends. Each statement or
        transaction is still its own, as from trio. `body` is ordinary service code that must use only
        that `db` (no trio); its exceptions cross back as themselves. Cached pages are invalidated as
        each write asks, in trio's thread once `body` is done, before this returns.
        """
        direct = _Direct(self)

        async def run() -> T:
            try:
                return await body(direct)
            finally:
                await direct.release()

        try:
            return await _handoff_in(contextvars.copy_context(), run)
        finally:
            for scope in direct.bumps:
                self.generations.bump(scope)


class _LoopBody(Database):
    """What `Database.on_loop` and `Database.read_as` bodies share: they run on the loop's thread over
    their parent's pool, which they neither open nor close, and they do not nest another body."""

    what: ClassVar[str]

    async def open(self) -> None:
        raise asyncpg.InterfaceError(f"{self.what} does not open the pool")

    async def close(self) -> None:
        raise asyncpg.InterfaceError(f"{self.what} does not close the pool")

    async def read_as(self, context: Query,
                      body: Callable[[dict[str, Any] | None, Database], Coroutine[Any, Any, T]]) -> T:
        raise asyncpg.InterfaceError(f"{self.what} does not nest")

    async def on_loop(self, body: Callable[[Database], Coroutine[Any, Any, T]]) -> T:
        raise asyncpg.InterfaceError(f"{self.what} does not nest")


class _Direct(_LoopBody):
    """The database as a `Database.on_loop` body sees it: statements awaited on the loop's thread."""

    what = "a loop body"

    def __init__(self, parent: Database) -> None:
        super().__init__(parent.dsn, min_size=parent.min_size, max_size=parent.max_size, role=parent.role,
                         timeout=parent.timeout)
        self._pool, self._shapes = parent._pool, parent._shapes
        self.generations = parent.generations  # read only here: `bumps` are made in trio's thread
        self.bumps: list[UUID | None] = []
        self._raw: PoolConnectionProxy[Record] | None = None

    async def _conn(self) -> PoolConnectionProxy[Record]:
        if self._raw is None:
            self._raw = await self._require_pool().acquire(timeout=self.timeout)
        return self._raw

    async def release(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            await self._require_pool().release(raw)

    @asynccontextmanager
    async def transaction(self, *, org_id: UUID | None = None, user_id: UUID | None = None,
                          isolation: str = "read_committed", read_only: bool = False,
                          invalidates: bool = True, custom_plans: bool = False) -> AsyncIterator[Conn]:
        """As `Database.transaction`, on the body's connection: BEGIN, the statements and COMMIT each
        awaited here, no handoff. A COMMIT or ROLLBACK that fails drops the connection."""
        raw = await self._conn()
        if raw.is_in_transaction():
            raise asyncpg.InterfaceError("a loop body's transactions do not nest")
        try:
            await raw.execute(_begin_sql(isolation, org_id, user_id, read_only=read_only, custom_plans=custom_plans),
                              timeout=self.timeout)
        except BaseException:
            await self._drop()  # never reuse a connection whose BEGIN may have half-happened
            raise
        committed = False
        try:
            yield _LoopConn(raw)
            committed = True
        finally:
            try:
                await raw.execute("COMMIT" if committed else "ROLLBACK", timeout=self.timeout)
            except BaseException:
                await self._drop()
                raise
            finally:  # committed, rolled back or unknown, as from trio
                if invalidates and not read_only:
                    self.bumps.append(org_id)

    async def _drop(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            with suppress(asyncpg.InterfaceError):  # died meanwhile: already back in the pool
                raw.terminate()
            await self._require_pool().release(raw)  # a no-op for a proxy the pool already took back

    async def fetchrow_once(self, sql: str, *args: object, invalidates: bool = True) -> Record | None:
        try:
            return await (await self._conn()).fetchrow(sql, *args)
        finally:
            if invalidates:
                self.bumps.append(None)

    async def fetch_once(self, sql: str, *args: object, invalidates: bool = True) -> list[Record]:
        try:
            return await (await self._conn()).fetch(sql, *args)
        finally:
            if invalidates:
                self.bumps.append(None)

    async def read_in_context(self, context: Query,
                              queries: Sequence[Query]) -> tuple[dict[str, Any] | None, list[Any]]:
        return await _read_page_on(await self._conn(), PageStatement.compose(context, queries), self._shapes)

    async def fetchval(self, sql: str, *args: object, invalidates: bool = True) -> Any:
        raise asyncpg.InterfaceError("a loop body's statements are fetchrow_once/fetch_once")


class _LoopConn(Conn):
    """A connection used from the loop's own thread: each call awaits asyncpg directly."""

    async def fetch(self, sql: str, *args: object) -> list[Record]:
        return await self.raw.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: object) -> Record | None:
        return await self.raw.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: object) -> Any:
        return await self.raw.fetchval(sql, *args)

    async def execute(self, sql: str, *args: object) -> str:
        return await self.raw.execute(sql, *args)

    async def executemany(self, sql: str, args: Sequence[Sequence[object]]) -> None:
        await self.raw.executemany(sql, args)

    async def copy_records_to_table(self, table: str, *, records: Sequence[Sequence[object]],
                                    columns: Sequence[str]) -> str:
        return await self.raw.copy_records_to_table(table, records=records, columns=columns)


class _OnLoop(_LoopBody):
    """The database as a `Database.read_as` body sees it: one acquired connection, read-only."""

    what = "a read body"

    def __init__(self, parent: Database, raw: PoolConnectionProxy[Record]) -> None:
        super().__init__(parent.dsn, min_size=parent.min_size, max_size=parent.max_size, role=parent.role)
        self._pool, self._shapes, self._raw = parent._pool, parent._shapes, raw
        self.generations = parent.generations  # never bumped here: every transaction is read-only

    @asynccontextmanager
    async def transaction(self, *, org_id: UUID | None = None, user_id: UUID | None = None,
                          isolation: str = "read_committed", read_only: bool = True,
                          invalidates: bool = False, custom_plans: bool = False) -> AsyncIterator[Conn]:
        raw = self._raw
        if raw.is_in_transaction():
            raise asyncpg.InterfaceError("a read body's transactions do not nest")
        await raw.execute(_begin_sql(isolation, org_id, user_id, read_only=True, custom_plans=custom_plans))
        committed = False
        try:
            yield _LoopConn(raw)
            committed = True
        finally:  # on a cancelled statement the pool's release rolls back (or drops) the connection
            if not raw.is_closed() and raw.is_in_transaction():
                with suppress(*DatabaseUnavailable):
                    await raw.execute("COMMIT" if committed else "ROLLBACK", timeout=10)

    async def fetchrow_once(self, sql: str, *args: object, invalidates: bool = False) -> Record | None:
        return await self._raw.fetchrow(sql, *args)

    async def fetch_once(self, sql: str, *args: object, invalidates: bool = False) -> list[Record]:
        return await self._raw.fetch(sql, *args)

    async def read_in_context(self, context: Query,
                              queries: Sequence[Query]) -> tuple[dict[str, Any] | None, list[Any]]:
        raise asyncpg.InterfaceError("a read body reads through its transactions")


UniqueViolation = asyncpg.UniqueViolationError
ForeignKeyViolation = asyncpg.ForeignKeyViolationError
CheckViolation = asyncpg.CheckViolationError


def row(record: Record | None) -> dict[str, Any] | None:
    return dict(record) if record is not None else None


def rows(records: list[Record]) -> list[dict[str, Any]]:
    return [dict(r) for r in records]


class Listener:
    """A dedicated connection LISTENing on some channels; notifications arrive on `receive`.

    asyncpg calls back in the loop's thread; each callback hops to trio through the owner's
    token. A full queue or a lost connection sets `lost`: the owner must then treat
    everything since as missed (catch up from the log).
    """

    def __init__(self, conn: Conn, size: int) -> None:
        self.conn = conn
        self._token = trio.lowlevel.current_trio_token()
        self._send, self.receive = trio.open_memory_channel[tuple[str, str]](size)
        self.lost = trio.Event()

    def _hop(self, fn: Callable[..., object], *args: object) -> None:  # in the loop's thread
        _loop_handle().to_trio(self._token, fn, *args)  # after the answers made before it

    def _on_notify(self, _raw: object, _pid: int, channel: str, payload: object) -> None:
        self._hop(self._deliver, channel, str(payload))

    def _on_terminate(self, _raw: object) -> None:
        self._hop(self.lost.set)

    def _deliver(self, channel: str, payload: str) -> None:  # in trio's thread
        try:
            self._send.send_nowait((channel, payload))
        except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
            self.lost.set()


@asynccontextmanager
async def open_listener(dsn: str, channels: Sequence[str], *, size: int = 10_000) -> AsyncIterator[Listener]:
    conn = await connect(dsn)
    listener = Listener(conn, size)
    raw = conn.raw

    async def listen() -> None:
        raw.add_termination_listener(listener._on_terminate)
        for channel in channels:
            await raw.add_listener(channel, listener._on_notify)

    try:
        await _handoff(listen)
        yield listener
    finally:
        # Our own close fires the termination listener too: remove it first.
        with trio.CancelScope(shield=True):
            await _sync(raw.remove_termination_listener, listener._on_terminate)
        await close(conn)
