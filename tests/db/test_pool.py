"""The asyncpg thread seen from trio: cancellation is exact, LISTEN and termination hop back."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import pytest
import trio

from community.db.pool import Database, close, connect, open_listener


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


async def test_errors_cross_back_as_themselves(one_conn_db: Database) -> None:
    with trio.fail_after(10):
        with pytest.raises(Exception, match="division by zero"):
            await one_conn_db.fetchval("SELECT 1 / 0")
        assert await one_conn_db.fetchval("SELECT 3") == 3


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
