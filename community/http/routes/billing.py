"""Billing: the org's plan and invoices, Stripe Checkout and portal, and Stripe's webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from quart import Blueprint, request
from quart_schema import validate_request

from community.http.auth import org_member
from community.http.context import current_handles
from community.http.models import Answer
from community.http.openapi import answers, problems, public
from community.services import billing

blueprint = Blueprint("billing", __name__)


class Invoice(Answer):
    id: str
    number: str | None
    status: str
    currency: str
    amount_due: int
    amount_paid: int
    hosted_invoice_url: str | None
    period_start: datetime | None
    period_end: datetime | None
    created_at: datetime


class BillingState(Answer):
    enabled: bool
    tier: str
    member_limit: int | None
    seats_used: int
    status: Literal["none", "trialing", "active", "past_due", "canceled"]
    current_period_end: datetime | None
    cancel_at_period_end: bool
    past_due_since: datetime | None
    joins_blocked_after: datetime | None
    mrr_cents: int
    has_customer: bool
    invoices: list[Invoice]


class BillingAnswer(Answer):
    billing: BillingState


class UrlAnswer(Answer):
    url: str


class WebhookAnswer(Answer):
    received: bool
    duplicate: bool


@blueprint.get("/api/orgs/<org>/billing")
@answers(BillingAnswer)
async def read_billing(org: str) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"billing": await billing.read_billing(h.db, h.billing, member)}


@blueprint.post("/api/orgs/<org>/billing/checkout")
@answers(UrlAnswer)
@problems(409)
@validate_request(billing.CheckoutBody)
async def checkout(org: str, data: billing.CheckoutBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"url": await billing.check_checkout(h.db, h.publisher, h.billing, member, data)}


@blueprint.post("/api/orgs/<org>/billing/portal")
@answers(UrlAnswer)
@problems(409)
async def portal(org: str) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"url": await billing.check_portal(h.db, h.billing, member)}


@blueprint.post("/api/billing/webhook")
@public
@answers(WebhookAnswer)
@problems(409)
async def webhook() -> dict[str, Any]:
    """Stripe's calls: verified and stored at once (200), applied by the billing actor."""
    h = current_handles()
    raw = await request.get_data(cache=False, as_text=False)
    payload = raw if isinstance(raw, bytes) else raw.encode()
    fresh = await billing.receive_webhook(h.db, h.billing, payload, request.headers.get("Stripe-Signature"))
    return {"received": True, "duplicate": not fresh}
