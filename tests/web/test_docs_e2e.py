"""Swagger UI at /docs renders in a real browser with no network beyond this server, under its policy."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Browser

from tests.web.browser import watch


def test_swagger_ui_renders_every_route_offline(browser: Browser, live_server: str) -> None:
    context = browser.new_context()
    outside: list[str] = []
    # Any request leaving this origin is refused: the page must work without a network.
    context.route(re.compile(r".*"), lambda route: (
        route.continue_() if route.request.url.startswith(live_server) else (outside.append(route.request.url),
                                                                           route.abort())))
    watched = watch(context.new_page())
    page = watched.page
    page.goto(f"{live_server}/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    operations = page.locator(".opblock").count()
    spec = httpx.get(f"{live_server}/openapi.json", timeout=10).json()
    expected = sum(1 for item in spec["paths"].values() for method in item if method in
                   ("get", "post", "put", "patch", "delete"))
    assert operations == expected
    assert page.locator(".info .title").first.inner_text().startswith("Community API")
    assert outside == []
    assert [e for e in watched.errors if "Content Security Policy" in e or "Refused" in e] == []
    assert watched.errors == []
    assert urlsplit(page.url).path == "/docs"
    context.close()
