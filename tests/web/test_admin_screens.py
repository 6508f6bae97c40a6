"""The owner's billing and integrations screens in a real browser (billing off, the SSRF guard on)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, BrowserContext, expect

from tests.web.browser import Watched, capture, watch
from tests.web.test_e2e import _sign_up


def owner_of_new_org(browser: Browser, base: str, prefix: str) -> tuple[BrowserContext, Watched, str]:
    """A new person who signs up and creates an org: their context, watched page and the org's slug."""
    tag = uuid.uuid4().hex[:6]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watched = watch(context.new_page())
    page = watched.page
    _sign_up(page, base, f"{prefix} Owner", f"{prefix.lower()}-{tag}@example.com")
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    page.goto(f"{base}/new")
    page.get_by_label("Name").fill(f"{prefix} {tag}")
    page.get_by_role("button", name="Create community").click()
    slug = f"{prefix.lower()}-{tag}"
    expect(page).to_have_url(re.compile(rf"/{slug}$"))
    return context, watched, slug


def test_billing_and_integrations_screens(browser: Browser, live_server: str) -> None:
    problems: list[str] = []
    context, watched, _ = owner_of_new_org(browser, live_server, "Billing")
    page = watched.page

    # Billing is off on a self-hosted server: the page says so, shows the seats, offers no dead buttons.
    page.get_by_role("link", name="Billing").first.click()
    expect(page.get_by_role("heading", name="Billing")).to_be_visible()
    expect(page.get_by_text("Billing is off on this server")).to_be_visible()
    expect(page.get_by_text("1 of 50 seats used")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Upgrade"))).to_have_count(0)
    capture(page, "billing", problems)

    # Integrations: a private address is refused next to the URL field; a public one is added.
    page.get_by_role("link", name="Integrations").first.click()
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()
    expect(page.get_by_text("No integrations yet")).to_be_visible()
    page.get_by_label("URL").fill("http://127.0.0.1:9/hook")
    page.get_by_role("checkbox", name="New replies").check()
    page.get_by_role("button", name="Add integration").click()
    expect(page.get_by_text(re.compile("private, loopback")).first).to_be_visible()
    page.get_by_label("URL").fill("https://93.184.215.14/hook")
    page.get_by_role("button", name="Add integration").click()
    expect(page.get_by_text("The signing secret is shown once")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^whsec_"))).to_be_visible()
    expect(page.get_by_text("New topics, New replies")).to_be_visible()
    page.get_by_role("button", name="Turn off").click()
    expect(page.get_by_role("button", name="Turn on")).to_be_visible()
    page.get_by_role("button", name="Send test").click()
    expect(page.get_by_role("table", name=re.compile("Deliveries to"))).to_be_visible()
    capture(page, "integrations", problems)

    assert problems == [], problems
    # The refused private address is the one failed call (Chromium logs every 4xx answer).
    unexpected = [e for e in watched.errors if "/integrations: Failed to load resource" not in e or "422" not in e]
    assert unexpected == [], unexpected
    context.close()
