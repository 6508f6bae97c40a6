"""Billing use cases: the billing page, Checkout, the portal, the webhook, and the billing actor's work.

The org's plan is reconciled, never accumulated: whatever event arrives, the actor reads the
customer's subscription as Stripe has it now and writes the org's tier, limit and status from
it, so any order (or repetition) of the same events ends in the same state.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

import stripe
import structlog

from community.billing import Billing
from community.billing.gateway import first_item, invoice_of, verify_webhook
from community.db.pool import Conn, Database
from community.db.queries import billing as q
from community.db.queries import notifications as nq
from community.db.queries import orgs
from community.domain.errors import (
    BadRequestError,
    BillingDisabledError,
    ConflictError,
    PaymentPastDueError,
    PlanRequiredError,
)
from community.domain.events import Channel, EventType
from community.domain.input import Body
from community.domain.permissions import Perm, Role
from community.domain.principal import OrgMember
from community.domain.tiers import required_tier, tier_has
from community.handles import Publisher, Realtime
from community.services.event_notices import publish_notices
from community.services.unit import Unit, unit_of_work
from community.services.views import org_view

log = structlog.get_logger("community.billing")
_BATCH = 20
_LEASE = timedelta(seconds=60)
_MAX_ATTEMPTS = 25
_INVOICES_SHOWN = 12
_LIVE = ("active", "trialing", "past_due")


class InvalidSignatureError(BadRequestError):
    code, title = "invalid_signature", "Invalid signature"


class SubscriptionExistsError(ConflictError):
    code = "subscription_exists"


class NoCustomerError(ConflictError):
    code = "no_subscription"


def _require_enabled(billing: Billing) -> None:
    if not billing.enabled:
        raise BillingDisabledError("Billing is not configured on this server; an operator changes plans "
                                   "with `community org set-tier`.")


def require_plan(billing: Billing, member: OrgMember, feature: str) -> None:
    """402 `plan_required` when billing is on and the org's plan lacks `feature` (off: never)."""
    if billing.enabled and not tier_has(member.org["subscription_tier"], feature):
        needed = required_tier(feature)
        raise PlanRequiredError(f"This needs the {needed.title()} plan or above.", required_tier=needed)


async def check_joins_open(conn: Conn, org_id: UUID) -> None:
    """After the grace period of a failed payment, nobody new joins until it is paid (402)."""
    if await q.joins_blocked(conn, org_id):
        raise PaymentPastDueError("This organization's payment is past due; an owner must update it "
                                  "before anyone new can join.")


# The billing page


async def read_billing(db: Database, billing: Billing, member: OrgMember) -> dict[str, Any]:
    if not member.at_least(Role.ADMIN):
        member.require(Perm.MANAGE_BILLING)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        state = await q.get_state(conn, member.org_id)
        invoices = await q.list_invoices(conn, member.org_id, _INVOICES_SHOWN)
    assert state is not None
    return {"enabled": billing.enabled, "tier": state.subscription_tier, "member_limit": state.member_limit,
            "seats_used": state.current_member_count, "status": state.billing_status,
            "current_period_end": state.current_period_end,
            "cancel_at_period_end": state.cancel_at_period_end,
            "past_due_since": state.past_due_since, "joins_blocked_after": state.joins_blocked_after,
            "mrr_cents": state.mrr_cents, "has_customer": state.stripe_customer_id is not None,
            "invoices": [_invoice_view(i) for i in invoices]}


def _invoice_view(invoice: q.Invoice) -> dict[str, Any]:
    return {"id": invoice.id, "number": invoice.number, "status": invoice.status, "currency": invoice.currency,
            "amount_due": invoice.amount_due, "amount_paid": invoice.amount_paid,
            "hosted_invoice_url": invoice.hosted_invoice_url, "period_start": invoice.period_start,
            "period_end": invoice.period_end, "created_at": invoice.created_at}


class CheckoutBody(Body):
    tier: Literal["community", "organization", "enterprise", "custom"]


async def check_checkout(db: Database, publisher: Publisher, billing: Billing, member: OrgMember,
                         data: CheckoutBody) -> str:
    """A Stripe Checkout page for the plan, for billing managers of an org with no live subscription."""
    member.require(Perm.MANAGE_BILLING)
    tier_name = data.tier
    email = member.principal.email if member.principal else None
    _require_enabled(billing)
    gateway = billing.gateway
    assert gateway is not None
    price = gateway.price_for(tier_name)
    if not price:
        raise ConflictError(f"No Stripe price is configured for the {tier_name} plan.")
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        state = await q.get_state(conn, member.org_id)
    assert state is not None
    if state.stripe_subscription_id and state.billing_status in _LIVE:
        raise SubscriptionExistsError("This organization already has a subscription: change its plan in the "
                                      "billing portal.")
    customer = await _customer(db, publisher, billing, member, state, email)
    app = billing.settings.next_public_app_url.rstrip("/")
    page = f"{app}/{state.slug}/billing"
    quantity = max(1, state.current_member_count) if tier_name == "custom" else 1
    return await gateway.create_checkout(org_id=member.org_id, customer_id=customer, price_id=price,
                                         quantity=quantity, success_url=f"{page}?checkout=success",
                                         cancel_url=f"{page}?checkout=cancelled")


async def _customer(db: Database, publisher: Publisher, billing: Billing, member: OrgMember,
                    state: q.BillingStateRow, email: str | None) -> str:
    """The org's one Stripe customer (an idempotency key per org: concurrent checkouts share it)."""
    if state.stripe_customer_id:
        return str(state.stripe_customer_id)
    assert billing.gateway is not None
    customer = await billing.gateway.create_customer(member.org_id, state.name, email)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        return await do_set_customer(unit, member, customer)


async def do_set_customer(unit: Unit, member: OrgMember, customer: str) -> str:
    """The customer stays the first one stored: a concurrent checkout's answer wins only if it came first."""
    await q.set_customer(unit.conn, member.org_id, customer)
    found = await q.get_state(unit.conn, member.org_id)
    assert found is not None
    return str(found.stripe_customer_id)


async def check_portal(db: Database, billing: Billing, member: OrgMember) -> str:
    member.require(Perm.MANAGE_BILLING)
    _require_enabled(billing)
    assert billing.gateway is not None
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        state = await q.get_state(conn, member.org_id)
    assert state is not None
    if not state.stripe_customer_id:
        raise NoCustomerError("This organization has no subscription yet: choose a plan first.")
    app = billing.settings.next_public_app_url.rstrip("/")
    return await billing.gateway.create_portal(customer_id=state.stripe_customer_id,
                                               return_url=f"{app}/{state.slug}/billing")


# The webhook: verify, store, poke — the actor does the work


async def receive_webhook(db: Database, billing: Billing, payload: bytes, signature: str | None) -> bool:
    """True when the event is new; a replay is acknowledged and changes nothing."""
    _require_enabled(billing)
    secret = billing.settings.stripe_webhook_secret
    if not secret:
        raise BillingDisabledError("No webhook signing secret (STRIPE_WEBHOOK_SECRET) is configured.")
    if not signature:
        raise InvalidSignatureError("The Stripe-Signature header is missing.")
    try:
        event = verify_webhook(payload, signature, secret)
    except ValueError:
        raise InvalidSignatureError("The Stripe-Signature header does not verify, or is older than 300 s.") from None
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not isinstance(event_type, str) or not event_id:
        raise BadRequestError("The event has no id or type.")
    async with db.transaction() as conn:
        fresh = await q.insert_event(conn, event_id=event_id, type=event_type, payload=event)
    billing.worker.poke()
    log.info("billing.webhook_received", event_id=event_id, type=event_type, fresh=fresh)
    return fresh


# The billing actor's step


async def billing_step(db: Database, publisher: Publisher, realtime: Realtime, billing: Billing) -> int:
    if not billing.enabled:
        return 0
    return await _apply_events(db, publisher, realtime, billing) + await _sync_seats(db, billing)


async def _apply_events(db: Database, publisher: Publisher, realtime: Realtime, billing: Billing) -> int:
    async with db.transaction() as conn:
        claimed = await q.claim_events(conn, _BATCH, _LEASE)
    for event in claimed:
        try:
            org_id, outcome = await _apply(db, publisher, realtime, billing, event)
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
            if event.attempts < _MAX_ATTEMPTS:
                retry = timedelta(seconds=min(600, 2 ** event.attempts))
                log.warning("billing.stripe_unavailable", event_id=event.id, attempts=event.attempts,
                            retry_in_s=retry.total_seconds(), reason=type(exc).__name__)
                async with db.transaction() as conn:
                    await q.release_event(conn, event.id, retry)
                continue
            org_id, outcome = None, "gave_up"
        except stripe.StripeError as exc:
            log.error("billing.event_refused", event_id=event.id, type=event.type, reason=type(exc).__name__)
            org_id, outcome = None, "stripe_refused"
        async with db.transaction() as conn:
            await q.finish_event(conn, event.id, org_id=org_id, outcome=outcome)
        log.info("billing.event_applied", event_id=event.id, type=event.type, org_id=org_id, outcome=outcome)
    return len(claimed)


def _customer_of(obj: dict[str, Any]) -> str | None:
    customer = obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    return customer if isinstance(customer, str) and customer else None


def _org_hint(obj: dict[str, Any]) -> UUID | None:
    meta = obj.get("metadata") or {}
    for value in (meta.get("org_id"), obj.get("client_reference_id")):
        try:
            return UUID(str(value)) if value else None
        except ValueError:
            continue
    return None


async def _match_org(db: Database, customer: str, hint: UUID | None) -> UUID | None:
    """The org of a Stripe customer: by the customer id we stored, else the metadata we set at
    checkout — but only for an org with no customer yet (metadata never moves a customer)."""
    async with db.transaction() as conn:
        found = await q.org_for_customer(conn, customer)
    if found is not None or hint is None:
        return found
    async with db.transaction(org_id=hint, user_id=None) as conn:
        if await q.get_state(conn, hint) is None or not await q.set_customer(conn, hint, customer):
            return None
    return hint


async def _apply(db: Database, publisher: Publisher, realtime: Realtime, billing: Billing,
                 event: q.QueuedEvent) -> tuple[UUID | None, str]:
    gateway = billing.gateway
    assert gateway is not None
    obj = (event.payload.get("data") or {}).get("object") or {}
    customer = _customer_of(obj)
    if customer is None:
        return None, "no_customer"
    org_id = await _match_org(db, customer, _org_hint(obj))
    if org_id is None:
        return None, "unmatched"
    invoice = invoice_of(await gateway.invoice(str(obj["id"]))) if event.type.startswith("invoice.") else None
    sub = gateway.state_of(await gateway.current_subscription(customer))
    grace = timedelta(days=billing.settings.billing_grace_days)
    written: list[dict[str, Any]] = []
    async with unit_of_work(db, publisher, org_id=org_id, user_id=None) as unit:
        before = await q.get_state(unit.conn, org_id, lock=True)
        assert before is not None
        after = await q.apply_subscription(unit.conn, org_id, sub, grace)
        if invoice is not None:
            await q.upsert_invoice(unit.conn, org_id, invoice)
        if _plan_changed(before, after):
            org = await orgs.get_org(unit.conn, org_id)
            assert org is not None
            await unit.record(Channel.org(org_id), EventType.ORGANIZATION_UPDATED,
                              {"organization": org_view(org), "org_id": org_id})
        if after.billing_status == "past_due" and before.past_due_since is None:
            written = await _notify_past_due(unit, org_id, after)
    publish_notices(realtime, written)
    return org_id, "applied"


def _plan_changed(before: q.BillingStateRow, after: q.BillingStateRow) -> bool:
    return ((before.subscription_tier, before.member_limit, before.billing_status)
            != (after.subscription_tier, after.member_limit, after.billing_status))


async def _notify_past_due(unit: Any, org_id: UUID, state: q.BillingStateRow) -> list[dict[str, Any]]:
    """Owners are told once, when the subscription goes past due (state-based, so never twice)."""
    owners = await q.list_owners(unit.conn, org_id)
    written: list[dict[str, Any]] = []
    for owner in owners:
        activity = await unit.record(Channel.user(owner), EventType.BILLING_PAST_DUE,
                                     {"org_id": org_id, "joins_blocked_after": state.joins_blocked_after})
        written += await nq.insert_notifications(
            unit.conn, org_id=org_id, user_ids=[owner], kind="billing_past_due", activity_seq=activity.seq,
            actor_id=None, subject_type="organization", subject_id=org_id,
            title=f"Payment for {state.name} failed",
            excerpt="Update the payment method in the billing portal; new members cannot join once the "
                    "grace period ends.",
            data={"org_id": org_id, "joins_blocked_after": state.joins_blocked_after})
    return written


async def _sync_seats(db: Database, billing: Billing) -> int:
    """Custom tier: the subscription's quantity follows the member count, debounced; the
    idempotency key names the count, so a retry after a lost answer changes nothing twice."""
    gateway = billing.gateway
    assert gateway is not None
    debounce = timedelta(seconds=billing.settings.billing_seat_sync_seconds)
    async with db.transaction() as conn:
        due = await q.seat_sync_due(conn, debounce, _BATCH)
    synced = 0
    for org_id in due:
        async with db.transaction(org_id=org_id, user_id=None) as conn:
            state = await q.get_state(conn, org_id)
        if state is None or not state.stripe_subscription_id:
            continue
        count = max(1, state.current_member_count)
        try:
            sub = await gateway.subscription(state.stripe_subscription_id)
            item = first_item(sub)
            if int(item.get("quantity") or 0) != count:
                changed = state.seats_changed_at.timestamp() if state.seats_changed_at else 0
                await gateway.set_quantity(str(sub["id"]), str(item["id"]), count,
                                           idempotency_key=f"seats-{org_id}-{count}-{changed:.0f}")
        except stripe.StripeError as exc:
            log.warning("billing.seat_sync_failed", org_id=org_id, reason=type(exc).__name__)
            continue
        async with db.transaction(org_id=org_id, user_id=None) as conn:
            await q.set_billed_seats(conn, org_id, count)
        log.info("billing.seats_synced", org_id=org_id, seats=count)
        synced += 1
    return synced


async def report(db: Database) -> list[dict[str, Any]]:
    async with db.transaction() as conn:
        return await q.report(conn)
