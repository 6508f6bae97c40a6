"""Two people use the product in real browsers: sign up, a community, an invitation, forums, chat, search, live."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.web.browser import Watched, capture, watch

PASSWORD = "correct horse battery"


def _sign_up(page: Page, base: str, name: str, email: str, path: str = "/signup") -> None:
    page.goto(f"{base}{path}")
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def _person(browser: Browser) -> tuple[BrowserContext, Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    return context, watch(context.new_page())


def test_two_people_use_the_product_live(browser: Browser, live_server: str, tmp_path: Path) -> None:
    base, tag = live_server, uuid.uuid4().hex[:6]
    org = f"makers-{tag}"
    problems: list[str] = []
    ana_context, ana = _person(browser)
    ben_context, ben = _person(browser)
    a, b = ana.page, ben.page

    # Ana signs up and creates a community.
    a.goto(f"{base}/")
    capture(a, "landing", problems)
    a.goto(f"{base}/login")
    expect(a.get_by_role("heading", name="Sign in")).to_be_visible()
    capture(a, "login", problems)
    _sign_up(a, base, "Ana Lima", f"ana-{tag}@example.com")
    expect(a.get_by_role("heading", name="Welcome back")).to_be_visible()
    capture(a, "landing-signed-in", problems)
    a.get_by_role("link", name="Create a community").first.click()
    a.get_by_label("Name").fill(f"Makers {tag}")
    capture(a, "create-org", problems)
    a.get_by_role("button", name="Create community").click()
    expect(a).to_have_url(re.compile(rf"/{org}$"))
    expect(a.get_by_role("heading", name=f"Makers {tag}")).to_be_visible()
    capture(a, "dashboard-empty", problems)

    # A forum and a topic.
    a.get_by_role("link", name="Create New Forum").click()
    a.get_by_label("Forum name").fill("General")
    a.get_by_label("Forum description").fill("Anything goes.")
    a.get_by_role("button", name="Create forum").click()
    expect(a.get_by_role("link", name="General", exact=True)).to_be_visible()
    capture(a, "forums", problems)
    a.get_by_role("link", name="General", exact=True).click()
    expect(a.get_by_role("heading", name="General")).to_be_visible()
    a.get_by_role("link", name="New topic").click()
    a.get_by_label("Title").fill("Workshop schedule")
    a.get_by_label("Content").fill("When shall we meet? **Vote** below.")
    a.get_by_label("Tags").fill("planning, events")
    capture(a, "new-topic", problems)
    a.get_by_role("button", name="Create topic").click()
    expect(a.get_by_role("heading", name="Workshop schedule")).to_be_visible()
    topic_url = a.url

    # Ana invites Ben; Ben signs up from the invitation link and joins.
    a.goto(f"{base}/{org}/members")
    a.get_by_label("Email").fill(f"ben-{tag}@example.com")
    a.get_by_role("button", name="Send invitation").click()
    link = a.get_by_label("Invitation link").input_value()
    capture(a, "members", problems)
    b.goto(link)
    expect(b.get_by_role("heading", name=f"Join Makers {tag}")).to_be_visible()
    capture(b, "invitation", problems)
    b.get_by_role("link", name="Create an account to join").click()
    b.get_by_label("Display name").fill("Ben Okafor")
    b.get_by_label("Email").fill(f"ben-{tag}@example.com")
    b.get_by_label("Password").fill(PASSWORD)
    b.get_by_role("button", name="Create account").click()
    b.get_by_role("button", name="Accept invitation").click()
    expect(b).to_have_url(re.compile(rf"/{org}$"))
    capture(b, "dashboard", problems, dark=True)

    # Both open the topic; Ben types and replies, Ana sees both without reloading.
    a.goto(topic_url)
    b.goto(topic_url)
    expect(a.get_by_role("heading", name="Workshop schedule")).to_be_visible()
    capture(a, "topic", problems)
    b.get_by_label("Reply").press_sequentially("Tuesday works", delay=20)
    expect(a.get_by_text("Ben Okafor is typing…")).to_be_visible()
    b.get_by_role("button", name="Post reply").click()
    reply = a.get_by_role("article").filter(has_text="Tuesday works")
    expect(reply).to_be_visible()
    expect(a.get_by_text("Ben Okafor is typing…")).to_be_hidden()
    # Ana started the topic: the reply notifies her, and the bell counts it live.
    expect(a.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()
    capture(a, "topic-live-reply", problems, dark=True)

    # Ana reacts; Ben sees the count change in place.
    reply.get_by_role("button", name="Add a reaction").click()
    reply.get_by_role("button", name="React 🎉").click()
    on_bens_screen = b.get_by_role("article").filter(has_text="Tuesday works")
    expect(on_bens_screen.get_by_role("button", name=re.compile("🎉 1"))).to_be_visible()

    # Ana answers; Ben flags her answer; it reaches the moderators' queue.
    a.get_by_label("Reply").fill("Count me in for Tuesday")
    a.get_by_role("button", name="Post reply").click()
    answer = b.get_by_role("article").filter(has_text="Count me in")
    answer.get_by_role("button", name="Flag").click()
    b.get_by_label("Why flag this post?").select_option("Off topic")
    b.get_by_role("button", name="Send flag").click()
    expect(b.get_by_text("the moderators will review this post")).to_be_visible()
    a.goto(f"{base}/{org}/moderation")
    expect(a.get_by_text("flagged a post")).to_be_visible()
    expect(a.get_by_text("Off topic")).to_be_visible()
    capture(a, "moderation", problems)
    a.get_by_role("link", name="Notifications, 1 unread").click()
    expect(a.get_by_role("button", name="Ben Okafor replied in Workshop schedule")).to_be_visible()
    a.get_by_role("button", name="Ben Okafor replied in Workshop schedule").click()
    expect(a).to_have_url(re.compile(r"/topics/[0-9a-f-]+#post-[0-9a-f-]+$"))
    expect(a.get_by_role("link", name="Notifications")).to_be_visible()  # read: the count is gone

    # Search finds Ben's reply (the index follows commits asynchronously, so look until it is there).
    a.get_by_label("Search").fill("Tuesday")
    a.get_by_label("Search").press("Enter")
    expect(a).to_have_url(re.compile(r"/search\?q=Tuesday"))
    for _ in range(20):
        if a.get_by_role("link", name="Workshop schedule").count() > 0:
            break
        a.wait_for_timeout(500)
        a.reload()
    expect(a.get_by_text("works", exact=False).first).to_be_visible()
    expect(a.locator("mark").filter(has_text="Tuesday").first).to_be_visible()
    capture(a, "search", problems)

    # A direct message arrives live, with its unread badge; typing shows both ways.
    b.goto(f"{base}/{org}")
    a.goto(f"{base}/{org}/messages")
    capture(a, "messages-empty", problems)
    a.get_by_role("button", name="New message").click()
    a.get_by_label("People").fill("Ben")
    a.get_by_role("button", name="Add Ben Okafor").click()
    a.get_by_role("button", name="Start conversation").click()
    expect(a).to_have_url(re.compile(rf"/{org}/messages/[0-9a-f-]+$"))
    a.get_by_label("Message").fill("Hi Ben, see you Tuesday")
    a.get_by_label("Message").press("Enter")
    expect(a.get_by_role("article").filter(has_text="see you Tuesday")).to_be_visible()
    expect(b.get_by_role("link", name=re.compile("Messages")).get_by_label("1 unread")).to_be_visible()
    expect(b.get_by_role("link", name=re.compile("Notifications, 1 unread"))).to_be_visible()
    b.get_by_role("link", name=re.compile("Messages")).click()
    expect(b.get_by_role("link", name=re.compile("Ana Lima")).get_by_label("1 unread")).to_be_visible()
    capture(b, "messages", problems)
    b.get_by_role("link", name=re.compile("Ana Lima")).click()
    expect(b.get_by_role("article").filter(has_text="see you Tuesday")).to_be_visible()
    b.get_by_label("Message").press_sequentially("On my way", delay=20)
    expect(a.get_by_text("Ben Okafor is typing…")).to_be_visible()
    b.get_by_label("Message").press("Enter")
    expect(a.get_by_role("article").filter(has_text="On my way")).to_be_visible()
    expect(a.get_by_text("Seen by Ben Okafor")).to_be_visible()
    # A photo in a message: uploaded with its progress, then shown inline to both.
    photo = tmp_path / "venue.png"
    Image.new("RGB", (64, 48), (200, 80, 40)).save(photo)
    a.get_by_label("Attach files").set_input_files(str(photo))
    expect(a.get_by_role("list", name="Attachments").get_by_text("venue.png")).to_be_visible()
    expect(a.get_by_label("Uploading venue.png")).to_have_count(0)
    a.get_by_label("Message").fill("The venue")
    a.get_by_label("Message").press("Enter")
    on_bens = b.get_by_role("article").filter(has_text="The venue")
    expect(on_bens.get_by_role("img", name="venue.png")).to_be_visible()
    expect(a.get_by_role("list", name="Attachments")).to_have_count(1)  # the composer's list is empty again
    capture(a, "conversation", problems, dark=True)

    # Notifications: the list, and clicking through.
    b.goto(f"{base}/{org}/notifications")
    expect(b.get_by_role("button", name=re.compile("Message from Ana Lima")).first).to_be_visible()
    capture(b, "notifications", problems)

    # A role change takes effect without reloading: Ben gets the moderators' screens.
    b.goto(f"{base}/{org}/settings")
    expect(b.get_by_role("heading", name="Not allowed")).to_be_visible()
    capture(b, "forbidden", problems)
    b.goto(f"{base}/{org}")
    expect(b.get_by_role("link", name="Moderation")).to_have_count(0)
    a.goto(f"{base}/{org}/members")
    a.get_by_label("Role of Ben Okafor").select_option("moderator")
    expect(b.get_by_role("link", name="Moderation")).to_be_visible()
    b.get_by_role("link", name="Moderation").click()
    expect(b.get_by_role("heading", name="Moderation", exact=True)).to_be_visible()

    a.goto(f"{base}/{org}/settings")
    capture(a, "settings", problems)
    a.goto(f"{base}/{org}/forums")
    a.get_by_role("link", name="General", exact=True).click()
    expect(a.get_by_role("link", name="Workshop schedule")).to_be_visible()
    capture(a, "forum", problems)

    a.goto(f"{base}/{org}/nowhere/at/all")
    expect(a.get_by_role("heading", name="Page not found")).to_be_visible()
    capture(a, "not-found", problems)

    # An ended session (here: a token the server no longer accepts) goes to sign-in, then back.
    assert ben.errors == []
    b.evaluate("localStorage.setItem('community.token', 'no.longer.valid')")
    b.goto(topic_url)
    expect(b.get_by_text("Your session ended")).to_be_visible()
    expect(b).to_have_url(re.compile(r"/login\?next="))
    b.get_by_label("Email").fill(f"ben-{tag}@example.com")
    b.get_by_label("Password").fill(PASSWORD)
    b.get_by_role("button", name="Sign in").click()
    expect(b.get_by_role("heading", name="Workshop schedule")).to_be_visible()
    expect(b).to_have_url(topic_url)
    # Chromium logs the calls the server refused for the stale token (401, and 404 for the private
    # community it no longer shows) as console errors; nothing else may appear.
    ben.errors = [e for e in ben.errors if not re.search(r"Failed to load resource: .* status of 40[14]", e)]

    assert problems == []
    assert ana.errors == []
    assert ben.errors == []
    ana_context.close()
    ben_context.close()
