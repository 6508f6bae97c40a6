"""key_ring: keeps a long-running node's signing keys current (the keys live in the database).

Every `interval` it does what boot does (`Identity.load_keys`, as the schema owner, under the
keys' advisory lock): adds a key when the newest is older than the rotation period, signs with
the newest stored key from then on (one another node or `community keys rotate` added too), and
drops keys whose tokens have all expired. A database outage skips one round; the old keys keep
working meanwhile.
"""

from __future__ import annotations

import asyncpg
import structlog
import trio

from community.db.pool import DatabaseUnavailable
from community.identity import KEY_REFRESH_SECONDS, Identity

_REFRESH_TIMEOUT_SECONDS = 30.0
log = structlog.get_logger("community.actors.key_ring")


class KeyRing:
    def __init__(self, identity: Identity, dsn: str, *, interval: float = KEY_REFRESH_SECONDS) -> None:
        self.identity, self.dsn, self.interval = identity, dsn, interval
        self.refreshes = 0

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await trio.sleep(self.interval)
            await self.refresh()

    async def refresh(self) -> None:
        before = self.identity.keys.kid
        try:
            with trio.fail_after(_REFRESH_TIMEOUT_SECONDS):
                await self.identity.load_keys(self.dsn)
        except (*DatabaseUnavailable, asyncpg.PostgresError, trio.TooSlowError) as exc:
            log.warning("key_ring.refresh_failed", reason=repr(exc))
            return
        self.refreshes += 1
        if self.identity.keys.kid != before:
            log.info("key_ring.signing_key_changed", kid=self.identity.keys.kid)
