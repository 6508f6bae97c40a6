"""Billing off (no Stripe key): a self-hosted server has every feature and no Stripe calls."""

from __future__ import annotations

import httpx

from community.app import System
from community.domain.principal import OrgMember
from community.services.billing import require_plan
from tests.factories import Personas


async def test_billing_off_answers_disabled_and_gates_nothing(client: httpx.AsyncClient, personas: Personas,
                                                             runtime: System) -> None:
    acme = personas.acme
    r = await client.get(f"/api/orgs/{acme.slug}/billing", headers=acme.admin.auth)
    assert r.status_code == 200
    billing = r.json()["billing"]
    assert billing["enabled"] is False and billing["tier"] == "community" and billing["seats_used"] == 5
    assert billing["status"] == "none" and billing["invoices"] == []
    for path in ("checkout", "portal"):
        r = await client.post(f"/api/orgs/{acme.slug}/billing/{path}", json={"tier": "organization"},
                              headers=acme.owner.auth)
        assert r.status_code == 409 and r.json()["code"] == "billing_disabled", path
    r = await client.post("/api/billing/webhook", content=b"{}", headers={"Stripe-Signature": "t=1,v1=00"})
    assert r.status_code == 409 and r.json()["code"] == "billing_disabled"
    member = OrgMember(principal=None, org_id=acme.id, org={"subscription_tier": "community"}, role=None)
    for feature in ("integrations", "analytics", "branding", "custom_domain", "white_label"):
        require_plan(runtime.handles.billing, member, feature)


async def test_checkout_validates_the_tier(client: httpx.AsyncClient, personas: Personas) -> None:
    r = await client.post(f"/api/orgs/{personas.acme.slug}/billing/checkout", json={"tier": "gold"},
                          headers=personas.acme.owner.auth)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][-1] == "tier"
