"""Stripe billing with billing on: Checkout, the webhook, reconciliation, seats, past due, the report."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from community.app import System
from community.domain.errors import PlanRequiredError
from community.domain.principal import OrgMember
from community.services.billing import require_plan
from community.settings import Settings
from tests.billing.conftest import WEBHOOK_SECRET, billing_settings, eventually, send
from tests.billing.stripe_standin import StripeStandIn
from tests.factories import Factory, OrgPersonas, Personas


@pytest.fixture
def settings(database_url: str, data_dir: Path, standin: StripeStandIn) -> Settings:
    return billing_settings(database_url, data_dir, standin, billing_grace_days=0, billing_seat_sync_seconds=0)


async def _state(client: httpx.AsyncClient, org: OrgPersonas) -> dict[str, Any]:
    r = await client.get(f"/api/orgs/{org.slug}/billing", headers=org.owner.auth)
    assert r.status_code == 200, r.text
    billing: dict[str, Any] = r.json()["billing"]
    return billing


async def _processed(factory: Factory, *event_ids: str) -> bool:
    done = await factory.conn.fetchval(
        "SELECT count(*) FROM billing_events WHERE id = ANY($1) AND processed_at IS NOT NULL", list(event_ids))
    return bool(done == len(event_ids))


async def _checkout(client: httpx.AsyncClient, standin: StripeStandIn, org: OrgPersonas, tier: str) -> str:
    r = await client.post(f"/api/orgs/{org.slug}/billing/checkout", json={"tier": tier}, headers=org.owner.auth)
    assert r.status_code == 200, r.text
    url: str = r.json()["url"]
    assert url.startswith(f"{standin.url}/checkout/cs_")
    return url.rsplit("/", 1)[1]


async def _subscribe(client: httpx.AsyncClient, standin: StripeStandIn, factory: Factory, org: OrgPersonas,
                     tier: str) -> dict[str, Any]:
    session_id = await _checkout(client, standin, org, tier)
    sub = standin.complete_checkout(session_id)
    r = await send(client, standin, "checkout.session.completed", standin.sessions[session_id],
                   event_id=f"evt_{sub['id']}")
    assert r.status_code == 200, r.text
    await eventually(lambda: _processed(factory, f"evt_{sub['id']}"))
    return sub


async def test_upgrade_through_checkout_then_cancel_returns_to_community(
        client: httpx.AsyncClient, standin: StripeStandIn, factory: Factory, personas: Personas) -> None:
    acme = personas.acme
    session_id = await _checkout(client, standin, acme, "organization")
    session = standin.sessions[session_id]
    customer = standin.customers[session["customer"]]
    assert customer["metadata"] == {"org_id": str(acme.id)}
    assert session["subscription_data"]["metadata"] == {"org_id": str(acme.id)}
    assert session["success_url"].endswith(f"/{acme.slug}/billing?checkout=success")
    # The customer is reused: a second checkout names the same one.
    again = standin.sessions[await _checkout(client, standin, acme, "enterprise")]
    assert again["customer"] == session["customer"] and len(standin.customers) == 1

    sub = standin.complete_checkout(session_id)
    r = await send(client, standin, "checkout.session.completed", standin.sessions[session_id], event_id="evt_done")
    assert r.status_code == 200 and r.json() == {"received": True, "duplicate": False}
    await eventually(lambda: _processed(factory, "evt_done"))
    state = await _state(client, acme)
    assert (state["tier"], state["member_limit"], state["status"]) == ("organization", 250, "active")
    assert state["mrr_cents"] == 9900 and state["seats_used"] == 5 and state["current_period_end"]
    org = (await client.get(f"/api/orgs/{acme.slug}", headers=acme.member.auth)).json()["organization"]
    assert org["member_limit"] == 250 and org["subscription_tier"] == "organization"
    # Subscribed: a new checkout is refused (plans change in the portal), the portal answers.
    r = await client.post(f"/api/orgs/{acme.slug}/billing/checkout", json={"tier": "enterprise"},
                          headers=acme.owner.auth)
    assert r.status_code == 409 and r.json()["code"] == "subscription_exists"
    r = await client.post(f"/api/orgs/{acme.slug}/billing/portal", headers=acme.owner.auth)
    assert r.status_code == 200 and r.json()["url"].startswith(f"{standin.url}/portal/")

    cancelled = standin.set_subscription(sub["id"], status="canceled")
    await send(client, standin, "customer.subscription.deleted", cancelled, event_id="evt_cancel")
    await eventually(lambda: _processed(factory, "evt_cancel"))
    state = await _state(client, acme)
    assert (state["tier"], state["member_limit"], state["status"], state["mrr_cents"]) == (
        "community", 50, "canceled", 0)
    members = (await client.get(f"/api/orgs/{acme.slug}/members", headers=acme.owner.auth)).json()["members"]
    assert len(members) == 5, "a cancellation removes nobody"


async def test_a_replayed_event_has_no_second_effect(
        client: httpx.AsyncClient, standin: StripeStandIn, factory: Factory, personas: Personas) -> None:
    acme = personas.acme
    sub = await _subscribe(client, standin, factory, acme, "organization")
    failing = standin.set_subscription(sub["id"], status="past_due")
    invoice = standin.create_invoice(sub["id"], status="open")
    for _ in range(3):
        r = await send(client, standin, "invoice.payment_failed", invoice, event_id="evt_failed")
        assert r.status_code == 200
    assert r.json()["duplicate"] is True
    await eventually(lambda: _processed(factory, "evt_failed"))
    await send(client, standin, "customer.subscription.updated", failing, event_id="evt_failed_sub")
    await eventually(lambda: _processed(factory, "evt_failed_sub"))
    assert await factory.conn.fetchval("SELECT count(*) FROM billing_events WHERE id = 'evt_failed'") == 1
    notes = (await client.get("/api/notifications", headers=acme.owner.auth)).json()["notifications"]
    assert [n["kind"] for n in notes].count("billing_past_due") == 1, "owners are told once"
    assert (await client.get("/api/notifications", headers=acme.admin.auth)).json()["notifications"] == []
    state = await _state(client, acme)
    assert state["status"] == "past_due" and [i["id"] for i in state["invoices"]] == [invoice["id"]]


async def test_signatures_are_checked(client: httpx.AsyncClient, standin: StripeStandIn, factory: Factory) -> None:
    body, headers = standin.event("invoice.paid", {"id": "in_x", "customer": "cus_x"})
    stale = standin.sign(body, signed_at=int(time.time()) - 301)
    wrong = standin.sign(body, secret="whsec_someone_else")
    for signature in (stale, wrong, "t=1,v1=00", None):
        sent = {"Content-Type": "application/json", **({"Stripe-Signature": signature} if signature else {})}
        r = await client.post("/api/billing/webhook", content=body, headers=sent)
        assert r.status_code == 400, signature
        assert r.json()["code"] == "invalid_signature"
    assert await factory.conn.fetchval("SELECT count(*) FROM billing_events") == 0
    fresh = standin.sign(body, signed_at=int(time.time()) - 200)
    r = await client.post("/api/billing/webhook", content=body, headers={**headers, "Stripe-Signature": fresh})
    assert r.status_code == 200, "within the 300 s tolerance"
    assert WEBHOOK_SECRET not in r.text


async def test_every_order_of_four_subscription_events_ends_in_the_same_state(
        client: httpx.AsyncClient, standin: StripeStandIn, factory: Factory, personas: Personas) -> None:
    acme = personas.acme
    sub = await _subscribe(client, standin, factory, acme, "organization")
    # What happened at Stripe: created on Organization, a failed then a paid invoice, an upgrade.
    created = standin.set_subscription(sub["id"])
    failed = standin.create_invoice(sub["id"], status="open")
    standin.set_subscription(sub["id"], status="past_due")
    paid = standin.set_invoice(failed["id"], status="paid", amount_paid=failed["amount_due"])
    upgraded = standin.set_subscription(sub["id"], status="active", price="price_enterprise")
    events = [("customer.subscription.created", created), ("invoice.payment_failed", failed),
              ("invoice.paid", paid), ("customer.subscription.updated", upgraded)]
    reset = """UPDATE organizations SET subscription_tier = 'community', member_limit = 50, billing_status = 'none',
               current_period_end = NULL, mrr_cents = 0, past_due_since = NULL, joins_blocked_after = NULL,
               stripe_subscription_id = NULL WHERE id = $1"""
    finals = set()
    for n, order in enumerate(itertools.permutations(events)):
        await factory.conn.execute(reset, acme.id)
        await factory.conn.execute("DELETE FROM billing_invoices WHERE org_id = $1", acme.id)
        ids = [f"evt_{n}_{i}" for i in range(4)]
        for event_id, (kind, obj) in zip(ids, order, strict=True):
            assert (await send(client, standin, kind, obj, event_id=event_id)).status_code == 200
        await eventually(lambda ids=ids: _processed(factory, *ids))
        state = await _state(client, acme)
        finals.add(json.dumps({k: state[k] for k in ("tier", "member_limit", "status", "current_period_end",
                                                     "mrr_cents", "past_due_since")} |
                              {"invoices": [(i["id"], i["status"]) for i in state["invoices"]]}))
    assert len(finals) == 1, finals
    final = json.loads(finals.pop())
    assert (final["tier"], final["member_limit"], final["status"], final["mrr_cents"]) == (
        "enterprise", 1000, "active", 29900)
    assert final["invoices"] == [[failed["id"], "paid"]]


async def test_past_due_blocks_new_joins_after_the_grace_period_and_nobody_loses_access(
        client: httpx.AsyncClient, standin: StripeStandIn, factory: Factory, personas: Personas) -> None:
    acme = personas.acme
    sub = await _subscribe(client, standin, factory, acme, "organization")
    invoice = standin.create_invoice(sub["id"], status="open")
    standin.set_subscription(sub["id"], status="past_due")
    await send(client, standin, "invoice.payment_failed", invoice, event_id="evt_pd")
    await eventually(lambda: _processed(factory, "evt_pd"))
    r = await client.post(f"/api/orgs/{acme.slug}/invitations", json={"email": "late@example.com"},
                          headers=acme.owner.auth)
    token = r.json()["invitation"]["token"]
    newcomer = await client.post("/api/auth/register", json={
        "email": "late@example.com", "password": "a long passphrase 42", "display_name": "Late"})
    auth = {"Authorization": f"Bearer {newcomer.json()['token']}"}
    r = await client.post(f"/api/invitations/{token}/accept", headers=auth)
    assert r.status_code == 402 and r.json()["code"] == "payment_past_due"
    assert (await client.get(f"/api/orgs/{acme.slug}/forums", headers=acme.member.auth)).status_code == 200
    paid = standin.set_invoice(invoice["id"], status="paid", amount_paid=invoice["amount_due"])
    standin.set_subscription(sub["id"], status="active")
    await send(client, standin, "invoice.paid", paid, event_id="evt_paid")
    await eventually(lambda: _processed(factory, "evt_paid"))
    state = await _state(client, acme)
    assert state["status"] == "active" and state["past_due_since"] is None
    r = await client.post(f"/api/invitations/{token}/accept", headers=auth)
    assert r.status_code == 200, r.text


async def test_custom_tier_quantity_follows_the_member_count(
        client: httpx.AsyncClient, standin: StripeStandIn, factory: Factory, personas: Personas) -> None:
    acme = personas.acme
    sub = await _subscribe(client, standin, factory, acme, "custom")
    assert sub["items"]["data"][0]["quantity"] == 5
    state = await _state(client, acme)
    assert (state["tier"], state["member_limit"], state["mrr_cents"]) == ("custom", None, 5 * 600)
    extra = await factory.user("Extra")
    await factory.join(acme, extra, "member")

    async def synced() -> bool:
        billed = await factory.conn.fetchval("SELECT billed_seats FROM organizations WHERE id = $1", acme.id)
        return bool(billed == 6 and standin.subscriptions[sub["id"]]["items"]["data"][0]["quantity"] == 6)

    await eventually(synced)
    updates = [r for r in standin.requests if r[0] == "POST" and r[1] == f"/v1/subscriptions/{sub['id']}"]
    assert len(updates) == 1 and updates[0][3] and updates[0][3].startswith(f"seats-{acme.id}-6-")


async def test_an_event_waits_out_a_stripe_outage(
        client: httpx.AsyncClient, standin: StripeStandIn, factory: Factory, personas: Personas) -> None:
    acme = personas.acme
    session_id = await _checkout(client, standin, acme, "enterprise")
    standin.complete_checkout(session_id)
    standin.down = True
    r = await send(client, standin, "checkout.session.completed", standin.sessions[session_id], event_id="evt_out")
    assert r.status_code == 200, "Stripe's call is answered whatever Stripe's API is doing"
    await eventually(lambda: _attempted(factory, "evt_out"))
    assert (await _state(client, acme))["tier"] == "community"
    standin.down = False
    await eventually(lambda: _processed(factory, "evt_out"), within=20)
    assert (await _state(client, acme))["member_limit"] == 1000


async def _attempted(factory: Factory, event_id: str) -> bool:
    return bool(await factory.conn.fetchval("SELECT attempts > 0 FROM billing_events WHERE id = $1", event_id))


async def test_plans_gate_features_only_while_billing_is_on(runtime: System, personas: Personas) -> None:
    org = {"subscription_tier": "community"}
    member = OrgMember(principal=None, org_id=uuid.uuid4(), org=org, role=None)
    with pytest.raises(PlanRequiredError) as refused:
        require_plan(runtime.handles.billing, member, "integrations")
    assert refused.value.data == {"required_tier": "organization"}
    for feature, tier in (("integrations", "organization"), ("branding", "enterprise"), ("white_label", "custom")):
        require_plan(runtime.handles.billing, OrgMember(principal=None, org_id=uuid.uuid4(),
                                                        org={"subscription_tier": tier}, role=None), feature)


async def test_report_shows_mrr_per_org_and_in_total(
        client: httpx.AsyncClient, standin: StripeStandIn, factory: Factory, personas: Personas,
        database_url: str, tmp_path: Path) -> None:
    await _subscribe(client, standin, factory, personas.acme, "enterprise")
    await _subscribe(client, standin, factory, personas.globex, "organization")
    env = {**os.environ, "DATABASE_URL": database_url, "COMMUNITY_DATA_DIR": str(tmp_path), "LOG_LEVEL": "warning"}
    done = await trio.to_thread.run_sync(lambda: subprocess.run(
        [sys.executable, "-m", "community", "report", "--json"], env=env, capture_output=True, text=True,
        timeout=60, check=False))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    by_slug = {line["slug"]: line for line in lines[:-1]}
    assert by_slug[personas.acme.slug]["mrr"] == 299.0 and by_slug[personas.acme.slug]["members"] == 5
    assert by_slug[personas.globex.slug]["mrr"] == 99.0
    assert lines[-1]["total_mrr"] == 398.0
