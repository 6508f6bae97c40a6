"""Integrations: admins connect webhooks, Slack and Discord; deliveries follow committed activity.

Use cases for the routes (list, create, update, delete, rotate the secret, test, the delivery
log, redeliver) and the deliverer's work for one delivery: sign, send to the checked address,
record the outcome, retry with backoff and jitter, and turn off an integration that kept failing.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import structlog
from pydantic import Field
from pydantic.config import JsonDict

from community.billing import Billing
from community.db.pool import Conn, Database
from community.db.queries import integrations as q
from community.db.queries import notifications as nq
from community.db.queries import orgs
from community.db.queries.billing import list_owners
from community.db.queries.integrations import DeliveryRow, IntegrationRow
from community.domain.cursors import next_cursor, time_cursor
from community.domain.errors import ConflictError, NotFoundError, ValidationFailedError
from community.domain.events import Channel, EventType
from community.domain.input import Body
from community.domain.permissions import Perm
from community.domain.principal import OrgMember
from community.handles import Publisher, Realtime
from community.integrations.formats import discord_body, event_data, slack_body, webhook_body
from community.integrations.guard import BlockedAddressError, check_url_shape, resolve
from community.integrations.sender import Outcome, Sender, new_secret, signature_headers
from community.services.billing import require_plan
from community.services.event_notices import publish_notices
from community.services.forums import access_forum
from community.services.unit import Unit, unit_of_work
from community.services.views import org_ref
from community.settings import Settings

log = structlog.get_logger("community.integrations")
EVENT_TYPES = ("topic_created", "post_created", "solution_marked", "member_joined", "event_created",
               "resource_created")
KINDS = ("webhook", "slack", "discord")
# The activity types whose commit may queue deliveries (SQL integration_event() of migration 0013 maps
# exactly these; a test keeps the two equal): only their commits wake the deliverer.
DELIVERING_EVENTS = frozenset({EventType.TOPIC_CREATED, EventType.POST_CREATED, EventType.POST_SOLUTION_MARKED,
                               EventType.MEMBER_JOINED, EventType.EVENT_CREATED, EventType.RESOURCE_CREATED})
MAX_PER_ORG = 25
SECRET_OVERLAP = timedelta(hours=24)
_NOT_FOUND = "No such integration."

EventName = Literal["topic_created", "post_created", "solution_marked", "member_joined", "event_created",
                    "resource_created"]
# The shape check_url_shape takes (http or https, a host, no credentials, a port); the host must
# also resolve to public addresses, which only the request can tell.
_URL_SHAPE: JsonDict = {"pattern": r"^https?://[^\s/@:?#\[\]\x00]+(:[0-9]{1,4})?([/?#][^\x00]*)?$"}
_URL = Field(min_length=8, max_length=2000, json_schema_extra=_URL_SHAPE)


class CreateIntegrationBody(Body):
    kind: Literal["webhook", "slack", "discord"]
    url: str = _URL
    events: list[EventName] = Field(min_length=1, max_length=6)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    forum_id: UUID | None = None
    enabled: bool = True


class UpdateIntegrationBody(Body):
    url: Annotated[str, _URL] | None = None
    events: list[EventName] | None = Field(default=None, min_length=1, max_length=6)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    forum_id: UUID | None = None
    enabled: bool | None = None
_LEASE = timedelta(seconds=60)
_MAX_BACKOFF = 3600.0


def integration_view(found: IntegrationRow) -> dict[str, Any]:
    """Slack and Discord URLs are credentials themselves: shown masked; a webhook's secret never."""
    url = found.url
    if found.kind != "webhook":
        scheme, host, _ = check_url_shape(url)
        url = f"{scheme}://{host}/…{url[-4:]}"
    return {"id": found.id, "kind": found.kind, "name": found.name, "url": url,
            "events": list(found.events), "forum_id": found.forum_id, "enabled": found.enabled,
            "has_secret": found.secret is not None, "failing_since": found.failing_since,
            "disabled_reason": found.disabled_reason, "created_at": found.created_at,
            "updated_at": found.updated_at}


def delivery_view(found: DeliveryRow) -> dict[str, Any]:
    return {"id": found.id, "integration_id": found.integration_id, "event_type": found.event_type,
            "status": found.status, "attempts": found.attempts, "response_status": found.response_status,
            "latency_ms": found.latency_ms, "response_excerpt": found.response_excerpt, "error": found.error,
            "created_at": found.created_at,
            "next_attempt_at": found.next_attempt_at if found.status == "pending" else None,
            "last_attempt_at": found.last_attempt_at, "delivered_at": found.delivered_at}


def _field_error(field: str, message: str) -> ValidationFailedError:
    return ValidationFailedError(message, [{"loc": ["body", field], "msg": message, "type": "invalid"}])


async def _check_url(settings: Settings, url: str) -> None:
    try:
        await resolve(url, allow_private=settings.integrations_allow_private)
    except BlockedAddressError as exc:
        raise _field_error("url", str(exc)) from None


async def access_integration(conn: Conn, member: OrgMember, integration_id: UUID) -> IntegrationRow:
    """The only loader of an integration for a caller: another org's is the same 404 as a missing one."""
    found = await q.get_integration(conn, member.org_id, integration_id)
    if found is None:
        raise NotFoundError(_NOT_FOUND)
    return found


def _check_manage(member: OrgMember) -> None:
    member.require(Perm.MANAGE_INTEGRATIONS)


def _check_plan(billing: Billing, member: OrgMember) -> None:
    """Admins of an org whose plan has integrations (403 for others first, then 402)."""
    _check_manage(member)
    require_plan(billing, member, "integrations")


async def list_integrations(db: Database, member: OrgMember) -> list[dict[str, Any]]:
    _check_manage(member)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        return [integration_view(i) for i in await q.list_integrations(conn, member.org_id)]


async def check_create_integration(db: Database, publisher: Publisher, billing: Billing, settings: Settings,
                                   member: OrgMember, data: CreateIntegrationBody) -> dict[str, Any]:
    """Integration managers on a plan with integrations; a public http(s) URL; at most MAX_PER_ORG; a forum
    filter of this org."""
    _check_plan(billing, member)
    await _check_url(settings, data.url)
    secret = new_secret() if data.kind == "webhook" else None
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        if len(await q.list_integrations(unit.conn, member.org_id)) >= MAX_PER_ORG:
            raise ConflictError(f"An organization has at most {MAX_PER_ORG} integrations.")
        await _check_forum(unit.conn, member, data.forum_id)
        found = await do_create_integration(unit, member, data, secret=secret)
    view = integration_view(found)
    return {**view, "secret": secret} if secret else view


async def do_create_integration(unit: Unit, member: OrgMember, data: CreateIntegrationBody, *,
                                secret: str | None) -> IntegrationRow:
    return await q.insert_integration(
        unit.conn, org_id=member.org_id, kind=data.kind, name=data.name or _default_name(data.kind), url=data.url,
        events=list(dict.fromkeys(data.events)), forum_id=data.forum_id, enabled=data.enabled, secret=secret,
        created_by=member.user_id)


async def _check_forum(conn: Conn, member: OrgMember, forum_id: UUID | None) -> None:
    if forum_id is None:
        return
    try:
        await access_forum(conn, member, forum_id)
    except NotFoundError:
        raise _field_error("forum_id", "No such forum in this organization.") from None


def _default_name(kind: str) -> str:
    return {"webhook": "Webhook", "slack": "Slack", "discord": "Discord"}[kind]


async def check_update_integration(db: Database, publisher: Publisher, billing: Billing, settings: Settings,
                                   member: OrgMember, integration_id: UUID,
                                   changes: UpdateIntegrationBody) -> dict[str, Any]:
    _check_plan(billing, member)
    if changes.url:
        await _check_url(settings, changes.url)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        found = await access_integration(unit.conn, member, integration_id)
        await _check_forum(unit.conn, member, changes.forum_id)
        return integration_view(await do_update_integration(unit, member, found, changes))


async def do_update_integration(unit: Unit, member: OrgMember, found: IntegrationRow,
                                changes: UpdateIntegrationBody) -> IntegrationRow:
    events = changes.events
    updated = await q.update_integration(
        unit.conn, member.org_id, found.id, name=changes.name, url=changes.url,
        events=list(dict.fromkeys(events)) if events is not None else None,
        set_forum="forum_id" in changes.model_fields_set, forum_id=changes.forum_id, enabled=changes.enabled)
    assert updated is not None
    return updated


async def check_delete(db: Database, publisher: Publisher, member: OrgMember, integration_id: UUID) -> None:
    _check_manage(member)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await do_delete(unit, member, await access_integration(unit.conn, member, integration_id))


async def do_delete(unit: Unit, member: OrgMember, found: IntegrationRow) -> None:
    await q.delete_integration(unit.conn, member.org_id, found.id)


async def check_rotate_secret(db: Database, publisher: Publisher, billing: Billing, member: OrgMember,
                              integration_id: UUID) -> dict[str, Any]:
    """A new secret, answered once; the previous one keeps signing beside it for 24 hours."""
    _check_plan(billing, member)
    secret = new_secret()
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        found = await access_integration(unit.conn, member, integration_id)
        if found.kind != "webhook":
            raise ConflictError("Only webhooks are signed; Slack and Discord URLs are rotated by changing the URL.")
        rotated = await do_rotate_secret(unit, member, found, secret)
    return {**integration_view(rotated), "secret": secret}


async def do_rotate_secret(unit: Unit, member: OrgMember, found: IntegrationRow, secret: str) -> IntegrationRow:
    rotated = await q.rotate_secret(unit.conn, member.org_id, found.id, secret, SECRET_OVERLAP)
    assert rotated is not None
    return rotated


async def check_test(db: Database, publisher: Publisher, billing: Billing, member: OrgMember,
                     integration_id: UUID) -> dict[str, Any]:
    _check_plan(billing, member)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        return delivery_view(await do_test(unit, member, await access_integration(unit.conn, member, integration_id)))


async def do_test(unit: Unit, member: OrgMember, found: IntegrationRow) -> DeliveryRow:
    """A ping delivery, queued for the deliverer like any other."""
    return await q.queue_delivery(unit.conn, member.org_id, found.id, "ping", {})


async def list_deliveries(db: Database, member: OrgMember, integration_id: UUID, *, cursor: str | None,
                          limit: int) -> dict[str, Any]:
    _check_manage(member)
    before = time_cursor(cursor)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        await access_integration(conn, member, integration_id)
        found = await q.list_deliveries(conn, member.org_id, integration_id,
                                        before=before,
                                        limit=limit + 1)
    page = found[:limit]
    key = (page[-1].created_at, page[-1].id) if page else None
    return {"deliveries": [delivery_view(d) for d in page], "next_cursor": next_cursor(found, limit, key)}


async def check_redeliver(db: Database, publisher: Publisher, billing: Billing, member: OrgMember,
                          integration_id: UUID, delivery_id: UUID) -> dict[str, Any]:
    _check_plan(billing, member)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        found = await access_integration(unit.conn, member, integration_id)
        return delivery_view(await do_redeliver(unit, member, found, delivery_id))


async def do_redeliver(unit: Unit, member: OrgMember, found: IntegrationRow, delivery_id: UUID) -> DeliveryRow:
    """The delivery queued again (a missing one, or another integration's, is a 404)."""
    queued = await q.redeliver(unit.conn, member.org_id, found.id, delivery_id)
    if queued is None:
        raise NotFoundError("No such delivery.")
    return queued


# The deliverer's work


async def claim_deliveries(db: Database, settings: Settings, limit: int) -> list[tuple[UUID, UUID]]:
    return await q.claim(db, limit, settings.integrations_per_org_concurrency, _LEASE)


def backoff(attempts: int, base: float) -> float:
    """Exponential with full jitter in its upper half: base, 2 base, 4 base ... capped at an hour."""
    ceiling = min(_MAX_BACKOFF, base * 2.0 ** max(0, attempts - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not a secret


async def deliver_one(db: Database, publisher: Publisher, realtime: Realtime, settings: Settings, sender: Sender,
                      org_id: UUID, delivery_id: UUID) -> None:
    async with db.transaction(org_id=org_id, user_id=None) as conn:
        delivery = await q.get_delivery(conn, org_id, delivery_id)
        if delivery is None or delivery.status != "pending":
            return
        integration = await q.get_integration(conn, org_id, delivery.integration_id)
        org = await orgs.get_org(conn, org_id)
    assert integration is not None and org is not None
    now = datetime.now(UTC)
    if not integration.enabled:
        await _record(db, delivery, "failed", Outcome(None, 0, "", "The integration is turned off."))
        return
    outcome = await _send(settings, sender, integration, delivery, org, now)
    if outcome.delivered:
        await _record(db, delivery, "delivered", outcome)
        async with db.transaction(org_id=org_id, user_id=None) as conn:
            await q.mark_succeeding(conn, org_id, integration.id)
        log.info("integration.delivered", delivery_id=delivery_id, kind=integration.kind,
                 event_type=delivery.event_type, status=outcome.status, ms=outcome.latency_ms)
        return
    window_start = delivery.redelivered_at or delivery.created_at
    give_up = now - window_start >= timedelta(seconds=settings.integrations_retry_window_seconds)
    blocked = outcome.error is not None and outcome.error.startswith("blocked:")
    if give_up or blocked:
        await _record(db, delivery, "failed", outcome)
    else:
        retry_at = now + timedelta(seconds=backoff(delivery.attempts, settings.integrations_retry_base_seconds))
        await _record(db, delivery, "pending", outcome, next_attempt_at=retry_at)
    log.warning("integration.delivery_failed", delivery_id=delivery_id, kind=integration.kind,
                event_type=delivery.event_type, status=outcome.status, error=outcome.error,
                attempts=delivery.attempts, gave_up=give_up or blocked)
    await _note_failure(db, publisher, realtime, settings, integration, org)


async def _send(settings: Settings, sender: Sender, integration: IntegrationRow, delivery: DeliveryRow,
                org: orgs.OrgRow, now: datetime) -> Outcome:
    try:
        # Resolved again at every send: an address that turned private since creation is refused.
        target = await resolve(integration.url, allow_private=settings.integrations_allow_private)
    except BlockedAddressError as exc:
        return Outcome(None, 0, "", f"blocked: {exc}"[:300])
    data = event_data(delivery.event_type, delivery.payload, org_ref(org), settings.next_public_app_url)
    headers: dict[str, str] = {}
    if integration.kind == "slack":
        body = slack_body(delivery.event_type, data)
    elif integration.kind == "discord":
        body = discord_body(delivery.event_type, data, now)
    else:
        body = webhook_body(delivery.event_type, data, now)
        assert integration.secret is not None, "a webhook is created with its secret"
        signing = [integration.secret]
        expires = integration.previous_secret_expires_at
        if integration.previous_secret and expires and expires > now:
            signing.append(integration.previous_secret)
        headers = signature_headers(f"msg_{delivery.id}", now, body, signing)
    return await sender.post(target, body, headers)


async def _record(db: Database, delivery: DeliveryRow, status: str, outcome: Outcome, *,
                  next_attempt_at: datetime | None = None) -> None:
    async with db.transaction(org_id=delivery.org_id, user_id=None) as conn:
        await q.record_attempt(conn, delivery.org_id, delivery.id, status=status,
                               next_attempt_at=next_attempt_at, response_status=outcome.status,
                               latency_ms=outcome.latency_ms, excerpt=outcome.excerpt or None, error=outcome.error)


async def _note_failure(db: Database, publisher: Publisher, realtime: Realtime, settings: Settings,
                        integration: IntegrationRow, org: orgs.OrgRow) -> None:
    """An integration failing for the whole window is turned off, and the owners are told (once:
    only the transaction that turns it off writes the notifications)."""
    org_id = integration.org_id
    written: list[dict[str, Any]] = []
    async with unit_of_work(db, publisher, org_id=org_id, user_id=None) as unit:
        failing = await q.mark_failing(unit.conn, org_id, integration.id)
        if failing is None or failing.failing_since is None:
            return
        limit = timedelta(seconds=settings.integrations_disable_after_seconds)
        if datetime.now(UTC) - failing.failing_since < limit:
            return
        hours = settings.integrations_disable_after_seconds / 3600
        if await q.disable(unit.conn, org_id, integration.id, f"Failing for {hours:g} h") is None:
            return
        log.warning("integration.disabled", integration_id=integration.id, org_id=org_id)
        for owner in await list_owners(unit.conn, org_id):
            activity = await unit.record(Channel.user(owner), EventType.INTEGRATION_DISABLED,
                                         {"org_id": org_id, "integration_id": integration.id})
            written += await nq.insert_notifications(
                unit.conn, org_id=org_id, user_ids=[owner], kind="integration_disabled", activity_seq=activity.seq,
                actor_id=None, subject_type="integration", subject_id=integration.id,
                title=f"{integration.name} was turned off",
                excerpt=f"Deliveries to it failed for {hours:g} hours in {org.name}. Fix the endpoint and "
                        "turn it back on.",
                data={"org_id": org_id, "integration_id": integration.id})
    publish_notices(realtime, written)
