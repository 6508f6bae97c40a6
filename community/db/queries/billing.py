"""Billing: the webhook event queue, the org's subscription state, invoices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database, Record
from community.db.queries import Row

_INSERT_EVENT = """
INSERT INTO billing_events (id, type, payload) VALUES ($1, $2, $3)
ON CONFLICT (id) DO NOTHING RETURNING id
"""
# A lease, not a transaction held across the call to Stripe: a node that dies mid-event lets
# the lease run out and another node takes the event again (reconciling twice is harmless).
_CLAIM_EVENTS = """
UPDATE billing_events SET claimed_until = now() + $2::interval, attempts = attempts + 1
WHERE id IN (SELECT id FROM billing_events
             WHERE processed_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
             ORDER BY received_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id, type, payload, attempts
"""
_FINISH_EVENT = """
UPDATE billing_events SET processed_at = now(), claimed_until = NULL, org_id = $2, outcome = $3 WHERE id = $1
"""
_RELEASE_EVENT = "UPDATE billing_events SET claimed_until = now() + $2::interval WHERE id = $1"
_PENDING_EVENTS = "SELECT count(*) FROM billing_events WHERE processed_at IS NULL"

_STATE_COLUMNS = """id, slug, name, subscription_tier, member_limit, current_member_count, stripe_customer_id,
    stripe_subscription_id, billing_status, current_period_end, cancel_at_period_end, mrr_cents, past_due_since,
    joins_blocked_after, billed_seats, seats_changed_at"""
_GET_STATE = f"SELECT {_STATE_COLUMNS} FROM organizations WHERE id = $1"  # noqa: S608 - column constant
_LOCK_STATE = f"SELECT {_STATE_COLUMNS} FROM organizations WHERE id = $1 FOR NO KEY UPDATE"  # noqa: S608
_SET_CUSTOMER = """
UPDATE organizations SET stripe_customer_id = $2 WHERE id = $1 AND stripe_customer_id IS NULL
RETURNING stripe_customer_id
"""
_APPLY = f"""
UPDATE organizations SET subscription_tier = $2, member_limit = $3, billing_status = $4::varchar,
    stripe_subscription_id = $5::varchar, current_period_end = $6, cancel_at_period_end = $7, mrr_cents = $8,
    past_due_since = CASE WHEN $4::varchar = 'past_due' THEN coalesce(past_due_since, now()) END,
    joins_blocked_after = CASE WHEN $4::varchar = 'past_due' THEN coalesce(past_due_since, now()) + $9::interval END,
    billed_seats = CASE WHEN $5::varchar IS NULL THEN NULL ELSE coalesce($10, billed_seats) END,
    billing_synced_at = now()
WHERE id = $1 RETURNING {_STATE_COLUMNS}
"""  # noqa: S608
_SET_BILLED_SEATS = "UPDATE organizations SET billed_seats = $2 WHERE id = $1"
_JOINS_BLOCKED = """
SELECT joins_blocked_after IS NOT NULL AND joins_blocked_after <= now() FROM organizations WHERE id = $1
"""

_UPSERT_INVOICE = """
INSERT INTO billing_invoices (org_id, id, number, status, currency, amount_due, amount_paid, hosted_invoice_url,
                              period_start, period_end, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (org_id, id) DO UPDATE SET number = excluded.number, status = excluded.status,
    amount_due = excluded.amount_due, amount_paid = excluded.amount_paid,
    hosted_invoice_url = excluded.hosted_invoice_url
"""
_LIST_INVOICES = """
SELECT id, number, status, currency, amount_due, amount_paid, hosted_invoice_url, period_start, period_end, created_at
FROM billing_invoices WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2
"""
_OWNERS = "SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'owner' AND status = 'active'"


@dataclass(frozen=True, slots=True)
class BillingStateRow(Row):
    """An org's billing columns as stored: its plan, seats, Stripe ids and subscription state."""

    id: UUID
    slug: str
    name: str
    subscription_tier: str
    member_limit: int | None
    current_member_count: int
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    billing_status: str
    current_period_end: datetime | None
    cancel_at_period_end: bool
    mrr_cents: int
    past_due_since: datetime | None
    joins_blocked_after: datetime | None
    billed_seats: int | None
    seats_changed_at: datetime | None


def _state(record: Record | None) -> BillingStateRow | None:
    return BillingStateRow.from_record(record) if record is not None else None


@dataclass(frozen=True)
class QueuedEvent:
    id: str
    type: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Invoice:
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


@dataclass(frozen=True)
class Subscription:
    """What the org holds, as Stripe last said (reconciled, never accumulated from deltas)."""

    tier: str
    member_limit: int | None
    status: str
    subscription_id: str | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    mrr_cents: int
    quantity: int | None


async def insert_event(conn: Conn, *, event_id: str, type: str, payload: dict[str, Any]) -> bool:
    """False when this id was received before: a replay has no second effect."""
    return await conn.fetchval(_INSERT_EVENT, event_id, type, payload) is not None


async def claim_events(conn: Conn, limit: int, lease: timedelta) -> list[QueuedEvent]:
    return [QueuedEvent(r["id"], r["type"], r["payload"], r["attempts"])
            for r in await conn.fetch(_CLAIM_EVENTS, limit, lease)]


async def finish_event(conn: Conn, event_id: str, *, org_id: UUID | None, outcome: str) -> None:
    await conn.execute(_FINISH_EVENT, event_id, org_id, outcome)


async def release_event(conn: Conn, event_id: str, retry_in: timedelta) -> None:
    await conn.execute(_RELEASE_EVENT, event_id, retry_in)


async def pending_events(db: Database) -> int:
    count: int = await db.fetchval(_PENDING_EVENTS, invalidates=False)
    return count


async def org_for_customer(conn: Conn, customer_id: str) -> UUID | None:
    found: UUID | None = await conn.fetchval("SELECT billing_org_for_customer($1)", customer_id)
    return found


async def seat_sync_due(conn: Conn, debounce: timedelta, limit: int) -> list[UUID]:
    return [r[0] for r in await conn.fetch("SELECT billing_seat_sync_due($1, $2)", debounce, limit)]


async def get_state(conn: Conn, org_id: UUID, *, lock: bool = False) -> BillingStateRow | None:
    return _state(await conn.fetchrow(_LOCK_STATE if lock else _GET_STATE, org_id))


async def set_customer(conn: Conn, org_id: UUID, customer_id: str) -> bool:
    return await conn.fetchval(_SET_CUSTOMER, org_id, customer_id) is not None


async def apply_subscription(conn: Conn, org_id: UUID, sub: Subscription, grace: timedelta) -> BillingStateRow:
    found = _state(await conn.fetchrow(_APPLY, org_id, sub.tier, sub.member_limit, sub.status, sub.subscription_id,
                                    sub.current_period_end, sub.cancel_at_period_end, sub.mrr_cents, grace,
                                    sub.quantity))
    assert found is not None
    return found


async def set_billed_seats(conn: Conn, org_id: UUID, seats: int) -> None:
    await conn.execute(_SET_BILLED_SEATS, org_id, seats)


async def joins_blocked(conn: Conn, org_id: UUID) -> bool:
    return bool(await conn.fetchval(_JOINS_BLOCKED, org_id))


async def upsert_invoice(conn: Conn, org_id: UUID, invoice: Invoice) -> None:
    await conn.execute(_UPSERT_INVOICE, org_id, invoice.id, invoice.number, invoice.status, invoice.currency,
                       invoice.amount_due, invoice.amount_paid, invoice.hosted_invoice_url, invoice.period_start,
                       invoice.period_end, invoice.created_at)


async def list_invoices(conn: Conn, org_id: UUID, limit: int) -> list[Invoice]:
    return [Invoice(**dict(r)) for r in await conn.fetch(_LIST_INVOICES, org_id, limit)]


async def list_owners(conn: Conn, org_id: UUID) -> list[UUID]:
    return [r["user_id"] for r in await conn.fetch(_OWNERS, org_id)]


async def report(conn: Conn) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch("SELECT * FROM billing_report()")]
