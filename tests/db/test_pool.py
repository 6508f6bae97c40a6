"""The asyncpg thread seen from trio: cancellation is exact, LISTEN and termination hop back."""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio

from community.db.pool import (
    CONTEXT_ORG,
    CONTEXT_USER,
    Database,
    Query,
    _handoff,
    _loop_handle,
    close,
    connect,
    open_listener,
)


@pytest.fixture
async def one_conn_db(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url, min_size=1, max_size=1)
    await db.open()
    try:
        yield db
    finally:
        await db.close()


async def test_a_cancelled_caller_leaves_no_transaction_in_the_pool(one_conn_db: Database) -> None:
    with trio.fail_after(20):
        with trio.move_on_after(0.3) as scope:
            async with one_conn_db.transaction() as conn:
                await conn.execute("SELECT set_config('app.marker', 'mid-transaction', true)")
                await conn.execute("SELECT pg_sleep(30)")
        assert scope.cancelled_caught
        async with one_conn_db.transaction() as conn:  # the same, only, connection
            assert await conn.fetchval("SELECT current_setting('app.marker', true)") in ("", None)
            assert await conn.fetchval("SELECT 1") == 1


async def test_a_cancelled_statement_outside_a_transaction_frees_the_connection(one_conn_db: Database) -> None:
    with trio.fail_after(20):
        with trio.move_on_after(0.3):
            await one_conn_db.fetchrow_once("SELECT pg_sleep(30)")
        assert dict(await one_conn_db.fetchrow_once("SELECT 2 AS n") or {}) == {"n": 2}


async def test_handoffs_queued_together_keep_their_callers_context(database_url: str) -> None:
    """Many handoffs share one wake-up of the loop; each statement still counts only for its own task."""
    db = Database(database_url, min_size=4, max_size=4)
    await db.open()
    counted: dict[int, list[str]] = {}

    async def counting(i: int) -> None:
        with db.count_statements() as counter:
            for _ in range(5):
                await db.fetchrow_once(f"SELECT {i} AS counted")
        counted[i] = counter.statements

    async def not_counting() -> None:
        for _ in range(5):
            await db.fetchrow_once("SELECT 'not counted'")

    try:
        with trio.fail_after(30):
            async with trio.open_nursery() as nursery:
                for i in range(4):
                    nursery.start_soon(counting, i)
                    nursery.start_soon(not_counting)
    finally:
        await db.close()
    assert counted == {i: [f"SELECT {i} AS counted"] * 5 for i in range(4)}


async def test_errors_cross_back_as_themselves(one_conn_db: Database) -> None:
    with trio.fail_after(10):
        with pytest.raises(Exception, match="division by zero"):
            await one_conn_db.fetchval("SELECT 1 / 0")
        assert await one_conn_db.fetchval("SELECT 3") == 3


_CONTEXT = Query("fetchrow", "SELECT $1::uuid AS org_id, $2::uuid AS user_id, $3::text AS who", ())
_TENANT = "SELECT current_setting('app.org_id', true) AS org, current_setting('app.user_id', true) AS usr, $1 AS echo"


async def test_a_page_statement_reads_under_the_tenant_its_context_names(one_conn_db: Database) -> None:
    org, user = uuid.uuid4(), uuid.uuid4()
    context = Query("fetchrow", _CONTEXT.sql, (org, user, "someone"))
    pages = [
        Query("fetchrow", _TENANT, (CONTEXT_ORG,)),
        Query("fetch", "SELECT x AS n, x::varchar AS v, ARRAY[x::varchar, 'b'] AS arr, jsonb_build_object('n', x) AS j,"
                       " $2::uuid AS viewer FROM generate_series(1, $1) x ORDER BY x DESC", (3, CONTEXT_USER)),
        Query("fetchval", "SELECT count(*) FROM generate_series(1, $1)", (7,)),
    ]
    with trio.fail_after(20):
        for _ in range(2):  # the second time on a new connection that has met none of the types
            answered, (tenant, found, count) = await one_conn_db.read_in_context(context, pages)
            assert answered == {"org_id": org, "user_id": user, "who": "someone"}
            assert tenant == {"org": str(org), "usr": str(user), "echo": org}
            assert found == [{"n": n, "v": str(n), "arr": [str(n), "b"], "j": {"n": n}, "viewer": user}
                             for n in (3, 2, 1)]
            assert count == 7
            # The tenant context lived only as long as the statement: the connection carries nothing.
            after = await one_conn_db.fetchrow_once("SELECT current_setting('app.org_id', true) AS org")
            assert after is not None and after["org"] in ("", None)
            await one_conn_db.close()
            await one_conn_db.open()


async def test_a_page_statement_without_a_tenant_sees_none(one_conn_db: Database) -> None:
    context = Query("fetchrow", _CONTEXT.sql, (None, None, None))
    with trio.fail_after(20):
        answered, (tenant,) = await one_conn_db.read_in_context(context, [Query("fetchrow", _TENANT, (CONTEXT_ORG,))])
        assert answered == {"org_id": None, "user_id": None, "who": None}
        assert tenant == {"org": "", "usr": "", "echo": None}
        nothing = Query("fetchrow", "SELECT 1 AS org_id, 2 AS user_id WHERE false", ())
        assert await one_conn_db.read_in_context(nothing, [Query("fetchrow", _TENANT, (CONTEXT_ORG,))]) == (None, [])


async def test_a_read_body_runs_in_one_handoff_read_only(one_conn_db: Database) -> None:
    import asyncpg

    context = Query("fetchrow", _CONTEXT.sql, (uuid.uuid4(), uuid.uuid4(), "someone"))

    async def body(answer: dict[str, Any] | None, db: Database) -> tuple[Any, ...]:
        assert answer is not None
        async with db.transaction(org_id=answer["org_id"], user_id=answer["user_id"]) as conn:
            first = await conn.fetchval("SELECT current_setting('app.org_id', true)")
        async with db.transaction() as conn:
            second = await conn.fetchval("SELECT current_setting('app.org_id', true)")
        return answer["who"], first, second

    with trio.fail_after(20):
        who, first, second = await one_conn_db.read_as(context, body)
        assert (who, second) == ("someone", "") and first not in ("", None)

        async def writes(_answer: dict[str, Any] | None, db: Database) -> None:
            async with db.transaction() as conn:
                await conn.execute("CREATE TEMP TABLE nope (x int)")

        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await one_conn_db.read_as(context, writes)

        async def refuses(_answer: dict[str, Any] | None, _db: Database) -> None:
            raise LookupError("not yours")

        with pytest.raises(LookupError, match="not yours"):
            await one_conn_db.read_as(context, refuses)
        assert await one_conn_db.fetchval("SELECT 5") == 5  # the connection went back clean


async def test_notifications_and_termination_arrive_in_trio(database_url: str) -> None:
    with trio.fail_after(20):
        async with open_listener(database_url, ["pool_test"]) as listener:
            sender = await connect(database_url)
            try:
                await sender.execute("SELECT pg_notify('pool_test', 'hello')")
                assert await listener.receive.receive() == ("pool_test", "hello")
                assert threading.current_thread() is threading.main_thread()
                pid = await listener.conn.fetchval("SELECT pg_backend_pid()")
                await sender.execute("SELECT pg_terminate_backend($1)", pid)
                await listener.lost.wait()
            finally:
                await close(sender)


async def test_answers_made_in_one_turn_of_the_loop_cross_back_together() -> None:
    """Twenty handoffs queued while the loop's thread is held start in one turn of the asyncpg loop
    and end in the next: their answers reach trio in one wake-up or two, each to its own caller;
    one wake-up per answer before. (Holding the loop makes the turn certain: left to run free
    under two test workers, the loop could wake while trio was still queuing, 14 crossings once.)"""
    handle = _loop_handle()
    busy, done = threading.Event(), threading.Event()
    results: list[int] = []

    async def hold() -> None:
        busy.set()
        done.wait(5)

    async def one(i: int) -> None:
        async def answer() -> int:
            return i
        results.append(await _handoff(answer))

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_handoff, hold)
            await trio.to_thread.run_sync(busy.wait, 5)
            for i in range(20):
                nursery.start_soon(one, i)
            await trio.sleep(0.05)  # all twenty handed off while the loop still holds
            before = handle.crossings
            done.set()
        assert sorted(results) == list(range(20))
        assert handle.crossings - before <= 3  # the hold's answer, the twenty's, at most one straggler


async def test_a_loop_at_work_is_not_woken_for_more_work() -> None:
    """A handoff made while the loop is busy is found before the loop sleeps: no self-pipe write."""
    handle = _loop_handle()
    busy, done = threading.Event(), threading.Event()

    async def hold() -> None:  # blocks the loop's thread until the trio side has queued more
        busy.set()
        done.wait(5)

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_handoff, hold)
            await trio.to_thread.run_sync(busy.wait, 5)
            before = handle.wakeups
            values: list[int] = []

            async def one() -> None:
                values.append(await _handoff(_answer_one))

            for _ in range(5):
                nursery.start_soon(one)
            await trio.sleep(0.05)  # all five handed off while the loop still holds
            assert handle.wakeups == before
            done.set()
        assert values == [1] * 5


async def _answer_one() -> int:
    return 1
