"""db_pool: owns the asyncpg pool and answers health probes."""

from __future__ import annotations

from contextlib import suppress

import structlog
import trio

from community.actors.mailbox import Mailbox
from community.db.pool import Database, DatabaseUnavailable

log = structlog.get_logger("community.actors.db_pool")
_PROBE_SQL = "SELECT 1"


class DbPool:
    """Handle: the stable `Database` everyone queries, plus `probe()` for /readyz."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.mailbox: Mailbox[trio.MemorySendChannel[bool]] = Mailbox("db_pool", 64)

    async def probe(self, wait: float = 2.0) -> bool:
        reply_send, reply_receive = trio.open_memory_channel[bool](1)
        with trio.move_on_after(wait):
            await self.mailbox.send(reply_send)
            async with reply_receive:
                return await reply_receive.receive()
        return False

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        await self._open()
        try:
            task_status.started()
            async for reply in self.mailbox.receive:
                await self._answer(reply)
        finally:
            await self.db.close()

    async def _open(self) -> None:
        """Open the pool, waiting out an outage: until then readiness reports the database down."""
        backoff = 0.2
        while True:
            try:
                await self.db.open()
                return
            except DatabaseUnavailable as exc:
                log.warning("db_pool.open_failed", reason=repr(exc), retry_in=backoff)
            await trio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _answer(self, reply: trio.MemorySendChannel[bool]) -> None:
        healthy = await self._check()
        with suppress(trio.BrokenResourceError, trio.ClosedResourceError, trio.WouldBlock):
            reply.send_nowait(healthy)  # unless the caller gave up waiting

    async def _check(self) -> bool:
        # A database outage degrades readiness; it must not crash-loop the tree.
        try:
            with trio.fail_after(1.5):
                return bool(await self.db.fetchval(_PROBE_SQL, invalidates=False) == 1)
        except (trio.TooSlowError, *DatabaseUnavailable) as exc:
            log.warning("db_pool.probe_failed", reason=repr(exc))
            return False
