"""Integrations (admin+): webhooks, Slack and Discord, their secrets, tests and delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from quart import Blueprint
from quart_schema import validate_querystring, validate_request

from community.http.auth import org_member
from community.http.context import current_handles
from community.http.models import Answer, PageQuery
from community.http.openapi import answers, problems
from community.services import integrations

blueprint = Blueprint("integrations", __name__)


class Integration(Answer):
    id: UUID
    kind: Literal["webhook", "slack", "discord"]
    name: str
    url: str
    events: list[str]
    forum_id: UUID | None
    enabled: bool
    has_secret: bool
    failing_since: datetime | None
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class IntegrationWithSecret(Integration):
    secret: str | None = None


class IntegrationAnswer(Answer):
    integration: IntegrationWithSecret


class IntegrationList(Answer):
    integrations: list[Integration]


class Delivery(Answer):
    id: UUID
    integration_id: UUID
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    response_status: int | None
    latency_ms: int | None
    response_excerpt: str | None
    error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None


class DeliveryAnswer(Answer):
    delivery: Delivery


class DeliveryPage(Answer):
    deliveries: list[Delivery]
    next_cursor: str | None


_BASE = "/api/orgs/<org>/integrations"


@blueprint.get(_BASE)
@answers(IntegrationList)
async def list_integrations(org: str) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"integrations": await integrations.list_integrations(h.db, member)}


@blueprint.post(_BASE)
@answers(IntegrationAnswer, 201)
@problems(402, 409)
@validate_request(integrations.CreateIntegrationBody)
async def create_integration(org: str, data: integrations.CreateIntegrationBody) -> tuple[dict[str, Any], int]:
    h = current_handles()
    member = await org_member(org)
    found = await integrations.check_create_integration(h.db, h.publisher, h.billing, h.settings, member, data)
    return {"integration": found}, 201


@blueprint.patch(f"{_BASE}/<uuid:integration_id>")
@answers(IntegrationAnswer)
@problems(402)
@validate_request(integrations.UpdateIntegrationBody)
async def update_integration(org: str, integration_id: UUID,
                             data: integrations.UpdateIntegrationBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"integration": await integrations.check_update_integration(
        h.db, h.publisher, h.billing, h.settings, member, integration_id, data)}


@blueprint.delete(f"{_BASE}/<uuid:integration_id>")
@answers(None, 204)
async def delete_integration(org: str, integration_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await integrations.check_delete(h.db, h.publisher, member, integration_id)
    return "", 204


@blueprint.post(f"{_BASE}/<uuid:integration_id>/secret")
@answers(IntegrationAnswer)
@problems(402, 409)
async def rotate_secret(org: str, integration_id: UUID) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"integration": await integrations.check_rotate_secret(h.db, h.publisher, h.billing, member, integration_id)}


@blueprint.post(f"{_BASE}/<uuid:integration_id>/test")
@answers(DeliveryAnswer, 202)
@problems(402)
async def test_integration(org: str, integration_id: UUID) -> tuple[dict[str, Any], int]:
    h = current_handles()
    member = await org_member(org)
    delivery = await integrations.check_test(h.db, h.publisher, h.billing, member, integration_id)
    h.deliverer.poke()
    return {"delivery": delivery}, 202


@blueprint.get(f"{_BASE}/<uuid:integration_id>/deliveries")
@answers(DeliveryPage)
@validate_querystring(PageQuery)
async def list_deliveries(org: str, integration_id: UUID, query_args: PageQuery) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return await integrations.list_deliveries(h.db, member, integration_id, cursor=query_args.cursor,
                                              limit=query_args.limit)


@blueprint.post(f"{_BASE}/<uuid:integration_id>/deliveries/<uuid:delivery_id>/redeliver")
@answers(DeliveryAnswer, 202)
@problems(402)
async def redeliver(org: str, integration_id: UUID, delivery_id: UUID) -> tuple[dict[str, Any], int]:
    h = current_handles()
    member = await org_member(org)
    delivery = await integrations.check_redeliver(h.db, h.publisher, h.billing, member, integration_id, delivery_id)
    h.deliverer.poke()
    return {"delivery": delivery}, 202
