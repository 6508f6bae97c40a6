"""Two people use the product in real browsers: sign up, a community, an invitation, forums, chat, search, live."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.web.browser import capture, watch


def _sign_up(page: Page, base: str, name: str, email: str) -> None:
    page.goto(f"{base}/signup")
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()


def test_two_people_use_the_product_live(browser: Browser, live_server: str) -> None:
    base, tag = live_server, uuid.uuid4().hex[:6]
    problems: list[str] = []
    ana_context = browser.new_context(viewport={"width": 1280, "height": 900})
    ana = watch(ana_context.new_page())
    a = ana.page

    a.goto(f"{base}/login")
    expect(a.get_by_role("heading", name="Sign in")).to_be_visible()
    capture(a, "login", problems)
    a.goto(f"{base}/signup")
    capture(a, "signup", problems)
    _sign_up(a, base, "Ana Lima", f"ana-{tag}@example.com")
    capture(a, "landing-signed-in", problems)

    a.get_by_role("link", name="Create a community").first.click()
    a.get_by_label("Name").fill(f"Makers {tag}")
    capture(a, "create-org", problems)
    a.get_by_role("button", name="Create community").click()
    expect(a.get_by_role("heading", name=f"Makers {tag}")).to_be_visible()
    expect(a).to_have_url(re.compile(rf"/makers-{tag}$"))
    capture(a, "dashboard", problems)

    a.goto(f"{base}/makers-{tag}/nowhere/at/all")
    expect(a.get_by_role("heading", name="Page not found")).to_be_visible()
    capture(a, "not-found", problems)

    assert problems == []
    assert ana.errors == []
    _close(ana_context)


def _close(*contexts: Any) -> None:
    for context in contexts:
        context.close()
