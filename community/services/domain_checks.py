"""Custom domains, looked at again: a verified domain whose TXT record is gone becomes nobody's.

The domain checker (actors/domain_checker.py) calls `recheck_step` every few minutes; each call
claims the verified domains due for another look (`domain_recheck_after_seconds` since their last
check, oldest first, several nodes sharing them), looks each up outside any transaction, then
writes the result in the org's context. A missing record or one with another value takes the
domain away at once (Host routing, the websocket Origin check and CORS all read
`organizations.custom_domain`) and notifies the org's owners and admins in the same transaction,
so they are told exactly once. DNS being unreachable changes nothing but the last check.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from community.db.pool import Database
from community.db.queries import domains as q
from community.db.queries import notifications
from community.db.queries import orgs as org_queries
from community.db.queries.domains import RecheckRow
from community.domain.events import Channel, EventType
from community.handles import Publisher, Realtime
from community.services.domains import look_up, route
from community.services.event_notices import publish_notices
from community.services.unit import unit_of_work
from community.settings import Settings

log = structlog.get_logger("community.domains")


async def recheck_step(db: Database, publisher: Publisher, realtime: Realtime, settings: Settings, batch: int,
                       *, now: datetime | None = None) -> int:
    """Look up again up to `batch` verified domains last checked `domain_recheck_after_seconds` ago
    or more. One whose record is gone (or holds another value) goes back to pending and is nobody's,
    and the org's owners and admins are notified; DNS being unreachable changes nothing."""
    before = (now or datetime.now(UTC)) - timedelta(seconds=settings.domain_recheck_after_seconds)
    async with db.transaction() as conn:
        due = await q.claim_rechecks(conn, before, batch)
    for domain in due:
        result, detail = await look_up(settings, domain.name, domain.token)
        await _settle(db, publisher, realtime, domain, result, detail)
        log.info("domains.rechecked", org_id=str(domain.org_id), domain=domain.name, result=result)
    return len(due)


async def _settle(db: Database, publisher: Publisher, realtime: Realtime, domain: RecheckRow, result: str,
                  detail: str) -> None:
    org_id, name = domain.org_id, domain.name
    written: list[dict[str, Any]] = []
    async with unit_of_work(db, publisher, org_id=org_id, user_id=None) as unit:
        current = await q.get_domain(unit.conn, org_id, for_update=True)
        if current is None or current.id != domain.id:
            return  # removed or replaced while we looked
        if result in ("verified", "unreachable"):
            await q.record_check(unit.conn, org_id, domain.id, result, detail)
            return
        if await q.unverify(unit.conn, org_id, domain.id, result, detail) is None:
            return
        await route(unit, org_id, None)
        org = await org_queries.get_org(unit.conn, org_id)
        assert org is not None
        for user_id in await q.list_admins(unit.conn, org_id):
            activity = await unit.record(Channel.user(user_id), EventType.DOMAIN_UNVERIFIED,
                                         {"org_id": org_id, "domain": name})
            written += await notifications.insert_notifications(
                unit.conn, org_id=org_id, user_ids=[user_id], kind="domain_unverified", activity_seq=activity.seq,
                actor_id=None, subject_type="domain", subject_id=domain.id,
                title=f"{name} is no longer verified"[:300],
                excerpt=(f"A routine check no longer finds {org.name}'s TXT record: {detail} Until it is "
                         "verified again the domain leads nowhere; members use the usual address.")[:300],
                data={"org_id": org_id, "domain": name})
    publish_notices(realtime, written)

