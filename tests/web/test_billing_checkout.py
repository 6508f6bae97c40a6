"""Billing on: the owner follows "Upgrade" from the billing page to (loopback) Stripe Checkout."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import trio
from playwright.sync_api import Browser, expect

from tests.billing.conftest import WEBHOOK_SECRET
from tests.billing.stripe_standin import StripeStandIn, serve_standin
from tests.conftest import _admin, with_database
from tests.web.browser import ROOT, capture
from tests.web.conftest import _free_port, _wait_ready
from tests.web.test_admin_screens import owner_of_new_org


@pytest.fixture
def billing_server(pg_url: str, template_url: str,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, StripeStandIn]]:
    standin, stripe_server = serve_standin(WEBHOOK_SECRET)
    name = f"e2e_billing_{uuid.uuid4().hex[:10]}"
    trio.run(_admin, pg_url, f"CREATE DATABASE {name} TEMPLATE community_template")
    port, ws_port = _free_port(), _free_port()
    env = {**os.environ, "DATABASE_URL": with_database(pg_url, name), "HOST": "127.0.0.1", "PORT": str(port),
           "WEBSOCKET_PORT": str(ws_port), "NEXT_PUBLIC_APP_URL": f"http://127.0.0.1:{port}",
           "COMMUNITY_DATA_DIR": str(tmp_path_factory.mktemp("e2e-billing")), "LOG_FORMAT": "json",
           "LOG_LEVEL": "warning", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024",
           "STRIPE_SECRET_KEY": "sk_test_standin", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "STRIPE_API_BASE": standin.url, "STRIPE_PRICE_COMMUNITY": "price_community",
           "STRIPE_PRICE_ORGANIZATION": "price_organization", "STRIPE_PRICE_ENTERPRISE": "price_enterprise",
           "STRIPE_PRICE_CUSTOM": "price_custom"}
    server = subprocess.Popen([sys.executable, "-m", "community", "serve", "--workers", "1"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, server)
        yield base, standin
    finally:
        server.terminate()
        server.wait(timeout=15)
        stripe_server.shutdown()
        stripe_server.server_close()
        trio.run(_admin, pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_upgrade_goes_to_checkout(browser: Browser, billing_server: tuple[str, StripeStandIn]) -> None:
    base, standin = billing_server
    problems: list[str] = []
    context, watched, slug = owner_of_new_org(browser, base, "Paid")
    page = watched.page
    # Integrations need the Organization plan: the 402 is an upgrade prompt that leads to the plans.
    page.get_by_role("link", name="Integrations").first.click()
    page.get_by_label("URL").fill("https://93.184.215.14/hook")
    page.get_by_role("button", name="Add integration").click()
    expect(page.get_by_text("This needs the Organization plan or above.")).to_be_visible()
    page.get_by_role("link", name="See the plans").click()
    expect(page.get_by_role("heading", name="Plans")).to_be_visible()
    capture(page, "billing-plans", problems)
    page.get_by_role("button", name="Upgrade to Organization").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(standin.url)}/checkout/cs_"))
    expect(page.get_by_role("heading", name="Stripe Checkout")).to_be_visible()
    session = next(iter(standin.sessions.values()))
    assert session["line_items"][0]["price"] == "price_organization"
    assert session["success_url"] == f"{base}/{slug}/billing?checkout=success"
    assert problems == [], problems
    # Chromium logs the refused (402) call as a console error; nothing else may fail.
    unexpected = [e for e in watched.errors if "status of 402" not in e]
    assert unexpected == [], unexpected
    context.close()
