"""Stripe, through the `stripe` library's async client (httpx, so it runs on trio).

The one place that speaks to Stripe: customers, Checkout Sessions, portal sessions, reading a
customer's subscriptions and an invoice as Stripe has them now, and the custom tier's seat
quantity. Plan <-> Price mapping comes from settings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import stripe

from community.db.queries.billing import Invoice, Subscription
from community.domain.tiers import DEFAULT_TIER, tier
from community.settings import Settings

# A customer's subscription that still bills (or will): the one an org's state follows.
_LIVE = ("active", "trialing", "past_due", "unpaid", "incomplete")
_STATUS = {"active": "active", "trialing": "trialing", "past_due": "past_due", "unpaid": "past_due",
           "incomplete": "past_due", "canceled": "canceled", "incomplete_expired": "canceled"}


class StripeGateway:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        base = settings.stripe_api_base
        self._client = stripe.StripeClient(
            settings.stripe_secret_key or "", base_addresses={"api": base} if base else {},
            http_client=stripe.HTTPXClient(allow_sync_methods=False), max_network_retries=2)

    # Plans and prices

    def price_for(self, tier_name: str) -> str | None:
        return {"community": self.settings.stripe_price_community,
                "organization": self.settings.stripe_price_organization,
                "enterprise": self.settings.stripe_price_enterprise,
                "custom": self.settings.stripe_price_custom}.get(tier_name)

    def tier_for(self, price_id: str) -> str | None:
        for name in ("community", "organization", "enterprise", "custom"):
            if price_id and self.price_for(name) == price_id:
                return name
        return None

    # Calls

    async def create_customer(self, org_id: UUID, name: str, email: str | None) -> str:
        params: dict[str, Any] = {"name": name, "metadata": {"org_id": str(org_id)}}
        if email:
            params["email"] = email
        customer = await self._client.v1.customers.create_async(
            params,  # type: ignore[arg-type]
            {"idempotency_key": f"customer-{org_id}"})
        return str(customer.id)

    async def create_checkout(self, *, org_id: UUID, customer_id: str, price_id: str, quantity: int,
                              success_url: str, cancel_url: str) -> str:
        meta = {"org_id": str(org_id)}
        session = await self._client.v1.checkout.sessions.create_async({
            "mode": "subscription", "customer": customer_id, "client_reference_id": str(org_id),
            "line_items": [{"price": price_id, "quantity": quantity}],
            "subscription_data": {"metadata": meta}, "metadata": meta,
            "success_url": success_url, "cancel_url": cancel_url,
        })
        return str(session.url)

    async def create_portal(self, *, customer_id: str, return_url: str) -> str:
        session = await self._client.v1.billing_portal.sessions.create_async(
            {"customer": customer_id, "return_url": return_url})
        return str(session.url)

    async def current_subscription(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's subscription that the org follows now: a live one, else the latest ended."""
        found = await self._client.v1.subscriptions.list_async(
            {"customer": customer_id, "status": "all", "limit": 20})
        subs = [s.to_dict() for s in found.data]
        live = [s for s in subs if s.get("status") in _LIVE]
        pool = live or subs
        return max(pool, key=lambda s: (s.get("created") or 0, s.get("id") or "")) if pool else None

    async def invoice(self, invoice_id: str) -> dict[str, Any]:
        found = await self._client.v1.invoices.retrieve_async(invoice_id)
        return found.to_dict()

    async def set_quantity(self, subscription_id: str, item_id: str, quantity: int, *, idempotency_key: str) -> None:
        await self._client.v1.subscriptions.update_async(
            subscription_id,
            {"items": [{"id": item_id, "quantity": quantity}], "proration_behavior": "create_prorations"},
            {"idempotency_key": idempotency_key})

    async def subscription(self, subscription_id: str) -> dict[str, Any]:
        found = await self._client.v1.subscriptions.retrieve_async(subscription_id)
        return found.to_dict()

    # Reading Stripe's objects

    def state_of(self, sub: dict[str, Any] | None) -> Subscription:
        """The org's plan from a subscription as Stripe has it now (None: never subscribed)."""
        if sub is None:
            return _fallback("none")
        status = _STATUS.get(str(sub.get("status")), "canceled")
        if status == "canceled":
            return _fallback("canceled")
        item = first_item(sub)
        price = item.get("price") or {}
        tier_name = self.tier_for(str(price.get("id") or "")) or DEFAULT_TIER.name
        quantity = int(item.get("quantity") or 1)
        period_end = sub.get("current_period_end") or item.get("current_period_end")
        return Subscription(tier=tier_name, member_limit=tier(tier_name).member_limit, status=status,
                            subscription_id=str(sub["id"]), current_period_end=_time(period_end),
                            cancel_at_period_end=bool(sub.get("cancel_at_period_end")),
                            mrr_cents=monthly_cents(price, quantity),
                            quantity=quantity if tier_name == "custom" else None)


def _fallback(status: str) -> Subscription:
    """No live subscription: the org is on the base plan; nobody is removed (joins follow the limit)."""
    return Subscription(tier=DEFAULT_TIER.name, member_limit=DEFAULT_TIER.member_limit, status=status,
                        subscription_id=None, current_period_end=None, cancel_at_period_end=False, mrr_cents=0,
                        quantity=None)


def first_item(sub: dict[str, Any]) -> dict[str, Any]:
    items = (sub.get("items") or {}).get("data") or []
    return dict(items[0]) if items else {}


def monthly_cents(price: dict[str, Any], quantity: int) -> int:
    amount = int(price.get("unit_amount") or 0) * quantity
    recurring = price.get("recurring") or {}
    interval, count = recurring.get("interval", "month"), int(recurring.get("interval_count") or 1)
    per_month = {"day": 30.0, "week": 52 / 12, "month": 1.0, "year": 1 / 12}.get(interval, 1.0) / count
    return round(amount * per_month)


def invoice_of(found: dict[str, Any]) -> Invoice:
    period = ((found.get("lines") or {}).get("data") or [{}])[0].get("period") or {}
    return Invoice(id=str(found["id"]), number=found.get("number"), status=str(found.get("status") or "open"),
                   currency=str(found.get("currency") or "usd"), amount_due=int(found.get("amount_due") or 0),
                   amount_paid=int(found.get("amount_paid") or 0),
                   hosted_invoice_url=found.get("hosted_invoice_url"),
                   period_start=_time(period.get("start") or found.get("period_start")),
                   period_end=_time(period.get("end") or found.get("period_end")),
                   created_at=_time(found.get("created")) or datetime.now(UTC))


def _time(epoch: object) -> datetime | None:
    return datetime.fromtimestamp(int(epoch), UTC) if isinstance(epoch, int | float) and epoch else None


def verify_webhook(payload: bytes, signature: str, secret: str) -> dict[str, Any]:
    """Stripe's own verification (HMAC, 300 s tolerance); raises ValueError when it fails."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=300)
    except stripe.SignatureVerificationError as exc:
        raise ValueError("bad signature") from exc
    found: dict[str, Any] = event.to_dict()
    return found
