"""Billing on (a Stripe stand-in): branding needs Enterprise, analytics Organization (402 before)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from community.settings import Settings
from tests.billing.conftest import billing_settings
from tests.billing.stripe_standin import StripeStandIn
from tests.factories import Factory, Personas


@pytest.fixture
def settings(database_url: str, data_dir: Path, standin: StripeStandIn) -> Settings:
    return billing_settings(database_url, data_dir, standin)


async def test_branding_and_analytics_follow_the_plan(client: httpx.AsyncClient, factory: Factory,
                                                      personas: Personas) -> None:
    acme = personas.acme
    branding = {"branding": {"primary_color": "#1d4ed8"}}
    for tier, branding_status, analytics_status in (("community", 402, 402), ("organization", 402, 200),
                                                    ("enterprise", 200, 200)):
        await factory.conn.execute("UPDATE organizations SET subscription_tier = $2 WHERE id = $1", acme.id, tier)
        r = await client.patch(f"/api/orgs/{acme.slug}", json=branding, headers=acme.owner.auth)
        assert r.status_code == branding_status, (tier, r.text)
        if branding_status == 402:
            assert r.json()["code"] == "plan_required" and r.json()["required_tier"] == "enterprise"
        for path in ("analytics", "analytics.csv"):
            r = await client.get(f"/api/orgs/{acme.slug}/{path}", headers=acme.admin.auth)
            assert r.status_code == analytics_status, (tier, path, r.text)
            if analytics_status == 402:
                assert r.json()["required_tier"] == "organization"
    r = await client.patch(f"/api/orgs/{acme.slug}", json={"name": "Acme"}, headers=acme.owner.auth)
    assert r.status_code == 200  # the rest of the org's settings are not gated
