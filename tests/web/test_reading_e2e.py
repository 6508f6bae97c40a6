"""Reading and writing like a forum regular: the public directory, the server's Markdown preview, @mentions."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Browser, BrowserContext, expect

from tests.web.browser import Watched, capture, watch
from tests.web.test_e2e import PASSWORD


def _account(base: str, name: str, email: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": name})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def community(base: str, prefix: str, *, public: bool = False) -> tuple[str, dict[str, dict[str, str]], dict[str, str]]:
    """Ana's community with Ben as a member and a forum (set up over the API: the screens come after).
    Answers the slug, each person's auth header, and each person's e-mail."""
    tag = uuid.uuid4().hex[:6]
    emails = {who: f"{who.lower()}-{prefix.lower()}-{tag}@example.com" for who in ("Ana", "Ben")}
    auth = {"Ana": _account(base, "Ana Lima", emails["Ana"]), "Ben": _account(base, "Ben Okafor", emails["Ben"])}
    org = httpx.post(f"{base}/api/orgs", json={"name": f"{prefix} {tag}", "description": f"About {prefix.lower()}."},
                     headers=auth["Ana"]).json()["organization"]
    slug = org["slug"]
    if public:
        r = httpx.patch(f"{base}/api/orgs/{slug}", json={"is_public": True}, headers=auth["Ana"])
        assert r.status_code == 200, r.text
    invitation = httpx.post(f"{base}/api/orgs/{slug}/invitations", json={"email": emails["Ben"], "role": "member"},
                            headers=auth["Ana"]).json()["invitation"]
    r = httpx.post(f"{base}/api/invitations/{invitation['token']}/accept", headers=auth["Ben"])
    assert r.status_code == 200, r.text
    return slug, auth, emails


def forum_topic(base: str, slug: str, auth: dict[str, str], title: str) -> tuple[str, str]:
    """A forum and a topic in it: (forum id, topic id)."""
    r = httpx.post(f"{base}/api/orgs/{slug}/forums", json={"name": f"Forum {uuid.uuid4().hex[:4]}"}, headers=auth)
    assert r.status_code == 201, r.text
    forum_id = r.json()["forum"]["id"]
    r = httpx.post(f"{base}/api/orgs/{slug}/forums/{forum_id}/topics",
                   json={"title": title, "content": "The opening post."}, headers=auth)
    assert r.status_code == 201, r.text
    return forum_id, r.json()["topic"]["id"]


def signed_in(browser: Browser, base: str, email: str, password: str = PASSWORD) -> tuple[BrowserContext, Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watched = watch(context.new_page())
    page = watched.page
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    return context, watched


def test_the_directory_lists_public_communities(browser: Browser, live_server: str) -> None:
    base, problems = live_server, []
    slug, auth, _ = community(base, "Directory", public=True)
    name = httpx.get(f"{base}/api/orgs/{slug}", headers=auth["Ana"]).json()["organization"]["name"]
    private_slug, _, _ = community(base, "Hidden")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    visitor = watch(context.new_page())
    page = visitor.page
    page.goto(f"{base}/")
    directory = page.get_by_role("region", name="Public communities")
    listed = directory.get_by_role("link", name=name)
    # Other tests make public communities too: page through the directory by its cursor until ours shows.
    while listed.count() == 0 and directory.get_by_role("button", name="More communities").count() > 0:
        directory.get_by_role("button", name="More communities").click()
        page.wait_for_function("() => !document.querySelector('button[aria-busy=true]')")
    expect(listed).to_be_visible()
    expect(directory.get_by_text("About directory.").first).to_be_visible()
    expect(directory.get_by_role("link", name=re.compile(private_slug, re.IGNORECASE))).to_have_count(0)
    capture(page, "directory", problems)
    # A visitor signs in (here: someone of no community yet) and lands on the community they chose.
    visitor_email = f"cat-{uuid.uuid4().hex[:6]}@example.com"
    _account(base, "Cat Visitor", visitor_email)
    listed.click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill(visitor_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"/{slug}$"))
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    assert problems == []
    assert visitor.errors == []
    context.close()


def test_the_composer_previews_with_the_server_and_completes_mentions(browser: Browser, live_server: str) -> None:
    base, problems = live_server, []
    slug, auth, emails = community(base, "Composer")
    _, topic_id = forum_topic(base, slug, auth["Ana"], "Mentions and previews")
    context, ana = signed_in(browser, base, emails["Ana"])
    page = ana.page
    page.goto(f"{base}/{slug}/topics/{topic_id}")
    expect(page.get_by_role("heading", name="Mentions and previews")).to_be_visible()

    reply = page.get_by_label("Reply")
    reply.press_sequentially("Thanks @oka", delay=30)
    suggestions = page.get_by_role("listbox", name="Mention someone")
    expect(suggestions.get_by_role("option", name=re.compile("Ben Okafor"))).to_be_visible()
    capture(page, "composer-mention", problems)
    reply.press("Enter")
    expect(reply).to_have_value("Thanks @benokafor ")
    reply.press_sequentially("for the **plan**", delay=10)

    page.get_by_role("button", name="Preview").click()
    rendered = page.locator(".prose-post strong").filter(has_text="plan")
    expect(rendered).to_be_visible()
    capture(page, "composer-preview", problems)
    page.get_by_role("button", name="Write").click()
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_role("article").filter(has_text="Thanks @benokafor")).to_be_visible()

    # The mention reached Ben.
    found = httpx.get(f"{base}/api/notifications", headers=auth["Ben"]).json()["notifications"]
    assert any(n["kind"] == "mention" for n in found), found
    assert problems == []
    assert ana.errors == []
    context.close()
