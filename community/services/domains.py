"""Custom domains: ask for one, prove it with a DNS TXT record, remove it; which org a Host is.

Only a verified domain is anybody's: `organizations.custom_domain` holds it, and that column is
all that Host routing, the websocket Origin check and CORS read. Asking for another name, or
removing it, takes the old one away at once. A name verified by one org cannot be asked for by
another (409); while pending, several orgs may ask for the same name, and the first to prove it
holds it. The lookup happens outside any transaction; its result is written after it.
"""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from community.billing import Billing
from community.db.pool import Database, UniqueViolation
from community.db.queries import domains as q
from community.db.queries import orgs as org_queries
from community.db.queries.domains import DomainRow
from community.dns_txt import Outcome, lookup_txt, parse_resolver
from community.domain import custom_domains
from community.domain.errors import ConflictError, NotFoundError, ServiceUnavailableError, ValidationFailedError
from community.domain.events import Channel, EventType
from community.domain.origins import parse_origin
from community.domain.permissions import Perm
from community.domain.principal import OrgMember
from community.handles import Publisher
from community.services.billing import require_plan
from community.services.unit import Unit, unit_of_work
from community.services.views import org_view
from community.settings import Settings

_TAKEN = "This domain is already verified by another organization."
_NONE = "This organization has no custom domain; set one first."


def domain_view(domain: DomainRow) -> dict[str, Any]:
    check = ({"result": domain.check_result, "detail": domain.check_detail, "checked_at": domain.checked_at}
             if domain.checked_at else None)
    return {"name": domain.name, "status": "verified" if domain.verified_at else "pending",
            "verification": {"type": "TXT", "name": custom_domains.record_name(domain.name),
                             "value": custom_domains.record_value(domain.token)},
            "verified_at": domain.verified_at, "created_at": domain.created_at, "last_check": check}


def check_name(settings: Settings, name: str) -> str:
    """The normalized name; 422 naming `domain` when it is not one an org may hold."""
    try:
        host = custom_domains.normalize(name)
    except ValueError as exc:
        raise _invalid(str(exc)) from None
    own = {o[1] for o in (parse_origin(u) for u in (settings.next_public_app_url, settings.api_url,
                                                      *settings.app_origins)) if o is not None}
    if host in own:
        raise _invalid("is this service's own host name")
    return host


async def get_domain(db: Database, member: OrgMember) -> dict[str, Any] | None:
    member.require(Perm.UPDATE_ORG)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        found = await q.get_domain(conn, member.org_id)
    return domain_view(found) if found else None


async def check_set_domain(db: Database, publisher: Publisher, billing: Billing, settings: Settings,
                           member: OrgMember, name: str) -> dict[str, Any]:
    """Org managers on a plan with custom domains; a name no other org has verified."""
    member.require(Perm.UPDATE_ORG)
    require_plan(billing, member, "custom_domain")
    host = check_name(settings, name)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        if await q.verified_elsewhere(unit.conn, host, member.org_id):
            raise ConflictError(_TAKEN, field="domain")
        return domain_view(await do_set_domain(unit, member, host))


async def do_set_domain(unit: Unit, member: OrgMember, host: str) -> DomainRow:
    """A new name (with a new token) unroutes the old one; the same name again changes nothing."""
    found = await q.put_domain(unit.conn, member.org_id, host, secrets.token_hex(16))
    if found is None:
        found = await q.get_domain(unit.conn, member.org_id)
        assert found is not None
    else:
        await route(unit, member.org_id, None)
    return found


async def check_verify_domain(db: Database, publisher: Publisher, billing: Billing, settings: Settings,
                              member: OrgMember) -> dict[str, Any]:
    """Look the TXT record up now: verified when one of its values is this org's; 503 when DNS is down."""
    member.require(Perm.UPDATE_ORG)
    require_plan(billing, member, "custom_domain")
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        asked = await q.get_domain(conn, member.org_id)
    if asked is None:
        raise NotFoundError(_NONE)
    if asked.verified_at is not None:
        return domain_view(asked)
    result, detail = await look_up(settings, asked.name, asked.token)
    found = await _record(db, publisher, member, asked, result, detail)
    if result == "unreachable":
        raise ServiceUnavailableError(detail)
    return domain_view(found)


async def look_up(settings: Settings, name: str, token: str) -> tuple[str, str]:
    """The TXT lookup's result (verified, missing, mismatch, unreachable) and what to tell the admins."""
    record = custom_domains.record_name(name)
    answer = await lookup_txt(record, resolver=parse_resolver(settings.dns_resolver),
                              lifetime=settings.dns_timeout_seconds)
    expected = custom_domains.record_value(token)
    if answer.outcome is Outcome.UNREACHABLE:
        return "unreachable", f"{answer.detail} Nothing changed; try again in a few minutes."
    if answer.outcome is Outcome.MISSING:
        return "missing", f"{answer.detail} Add it with the value shown, then verify again."
    if expected in answer.values:
        return "verified", f"Found {expected} at {record}."
    return "mismatch", (f"The TXT record at {record} does not hold {expected} "
                        f"(found {len(answer.values)} other value(s)).")


async def _record(db: Database, publisher: Publisher, member: OrgMember, asked: DomainRow, result: str,
                  detail: str) -> DomainRow:
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        current = await q.get_domain(unit.conn, member.org_id, for_update=True)
        if current is None or current.id != asked.id:  # removed or replaced while we looked
            raise ConflictError("The custom domain changed while it was being checked; verify again.")
        return await do_record_check(unit, member, current, result, detail)


async def do_record_check(unit: Unit, member: OrgMember, current: DomainRow, result: str,
                          detail: str) -> DomainRow:
    """The check's outcome; a verified name is routed (409 if another org proved it first)."""
    if result == "verified":
        try:
            await route(unit, member.org_id, current.name)
        except UniqueViolation:
            raise ConflictError(_TAKEN, field="domain") from None
    return await q.record_check(unit.conn, member.org_id, current.id, result, detail)


async def check_remove_domain(db: Database, publisher: Publisher, member: OrgMember) -> None:
    member.require(Perm.UPDATE_ORG)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await do_remove_domain(unit, member)


async def do_remove_domain(unit: Unit, member: OrgMember) -> None:
    await q.delete_domain(unit.conn, member.org_id)
    await route(unit, member.org_id, None)


async def route(unit: Unit, org_id: UUID, name: str | None) -> None:
    """Route the org's Host to `name` (None: to nothing); members see the org change when it does."""
    if await q.set_org_domain(unit.conn, org_id, name):
        org = await org_queries.get_org(unit.conn, org_id)
        assert org is not None
        await unit.record(Channel.org(org_id), EventType.ORGANIZATION_UPDATED, {"organization": org_view(org)})


async def org_for_host(db: Database, host_header: str | None) -> dict[str, Any] | None:
    """The org whose verified custom domain this `Host` is, or None."""
    host = custom_domains.host_of(host_header or "")
    return await q.org_for_domain(db, host) if host else None


def _invalid(msg: str) -> ValidationFailedError:
    return ValidationFailedError(f"domain {msg}", [{"loc": ["body", "domain"], "msg": msg, "type": "value_error"}])
