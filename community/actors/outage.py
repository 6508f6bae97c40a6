"""Riding out a database outage: an actor skips one unit of work instead of crash-looping.

Everything an actor does with the database is a cache of it (the activity log, the search
queue), so work skipped during an outage is caught up afterwards; crashing instead would
exhaust restart intensity and take the whole tree down with the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
import trio

from community.db.pool import DatabaseUnavailable

log = structlog.get_logger("community.actors")
RETRY_AFTER = 1.0


async def ride_out(actor: str, work: Callable[[], Awaitable[object]]) -> bool:
    """Run `work`; on a database outage log it, pause, and report False."""
    failed: BaseException | None = None
    try:
        await work()
    except* DatabaseUnavailable as group:  # nurseries inside `work` raise groups
        failed = group.exceptions[0]
    if failed is None:
        return True
    log.warning("actor.database_unavailable", actor=actor, reason=repr(failed))
    await trio.sleep(RETRY_AFTER)
    return False
