"""Events in real browsers: create an event with one place, RSVP, the waitlist and the promotion, check-in."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.web.browser import Watched, capture, watch

PASSWORD = "correct horse battery"


def _account(base: str, name: str, email: str) -> str:
    r = httpx.post(f"{base}/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": name})
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def _community(base: str, tag: str) -> tuple[str, dict[str, str]]:
    """Ana's community with Ben and Cat as members (set up over the API: the screens under test come after)."""
    emails = {who: f"{who.lower()}-{tag}@example.com" for who in ("Ana", "Ben", "Cat")}
    tokens = {who: _account(base, f"{who} {tag}", email) for who, email in emails.items()}
    owner = {"Authorization": f"Bearer {tokens['Ana']}"}
    slug = httpx.post(f"{base}/api/orgs", json={"name": f"Events {tag}"}, headers=owner).json()["organization"]["slug"]
    for who in ("Ben", "Cat"):
        invitation = httpx.post(f"{base}/api/orgs/{slug}/invitations", json={"email": emails[who], "role": "member"},
                                headers=owner).json()["invitation"]
        r = httpx.post(f"{base}/api/invitations/{invitation['token']}/accept",
                       headers={"Authorization": f"Bearer {tokens[who]}"})
        assert r.status_code == 200, r.text
    return slug, emails


def _signed_in(browser: Browser, base: str, email: str) -> tuple[BrowserContext, Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watched = watch(context.new_page())
    page = watched.page
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    return context, watched


def _status(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def test_rsvp_waitlist_and_promotion(browser: Browser, live_server: str) -> None:
    base, tag = live_server, uuid.uuid4().hex[:6]
    slug, emails = _community(base, tag)
    problems: list[str] = []
    people = {who: _signed_in(browser, base, email) for who, email in emails.items()}
    ana, ben, cat = (people[w][1].page for w in ("Ana", "Ben", "Cat"))

    # Ana creates an event with one place from the dashboard's quick action.
    ana.goto(f"{base}/{slug}")
    ana.get_by_role("link", name="Create Event").first.click()
    expect(ana.get_by_role("heading", name="Create event")).to_be_visible()
    ana.get_by_label("Title").fill("Soldering workshop")
    ana.get_by_label("Description").fill("Bring **safety glasses**.")
    ana.get_by_label("Location").fill("Lab 2")
    ana.get_by_label("Places").fill("1")
    ana.get_by_label("Repeat").select_option("WEEKLY")
    ana.get_by_label("Number of times").fill("4")
    capture(ana, "event-new", problems)
    ana.get_by_role("button", name="Create event").click()
    expect(ana.get_by_role("heading", name="Soldering workshop")).to_be_visible()
    expect(ana.get_by_text("Every week, 4 times").first).to_be_visible()
    event_url = ana.url

    # Ben takes the place.
    ben.goto(event_url)
    ben.get_by_role("button", name="Going", exact=True).click()
    _status(ben, "You're going")
    capture(ben, "event-going", problems)

    # Cat finds it full and joins the waitlist.
    cat.goto(f"{base}/{slug}/events?view=list")
    cat.get_by_role("link", name="Soldering workshop").first.click()
    expect(cat.get_by_text("The event is full")).to_be_visible()
    cat.get_by_role("button", name="Join the waitlist").click()
    _status(cat, "Waitlist: #1")
    capture(cat, "event-waitlisted", problems)

    # Ben withdraws: Cat is promoted, and her page says so without a reload.
    ben.get_by_role("button", name="Withdraw").click()
    _status(cat, "You're going")
    expect(ben.get_by_role("button", name="Join the waitlist")).to_be_visible()  # Cat has the place now

    # Ana sees the attendees and checks Cat in.
    ana.reload()
    attendees = ana.get_by_role("list", name="Attendees")
    expect(attendees.get_by_text(f"Cat {tag}")).to_be_visible()
    ana.get_by_role("button", name=f"Check in Cat {tag}").click()
    expect(ana.get_by_role("button", name=f"Undo check-in of Cat {tag}")).to_be_visible()
    capture(ana, "event-attendees", problems)

    # The calendar shows it; the dashboard counts it; the personal feed is one click away.
    ana.goto(f"{base}/{slug}/events")
    expect(ana.get_by_role("link", name=re.compile("Soldering workshop")).first).to_be_visible()
    capture(ana, "events-month", problems)
    ana.get_by_role("button", name="List").click()
    capture(ana, "events-list", problems)
    ana.goto(f"{base}/{slug}")
    expect(ana.get_by_role("link", name="Soldering workshop").first).to_be_visible()
    cat.goto(f"{base}/me/calendar")
    cat.get_by_role("button", name="Create feed address").click()
    feed = cat.get_by_label("Feed URL").input_value()
    capture(cat, "calendar-feed", problems)
    assert feed.startswith(f"{base}/api/calendar-feed.ics?token=")
    body = httpx.get(feed).text
    assert body.count("BEGIN:VEVENT") == 1 and "Soldering workshop" in body

    assert problems == []
    for who, (context, watched) in people.items():
        assert watched.errors == [], who
        context.close()


def test_attendees_rate_an_event_after_it_and_the_ratings_reach_analytics(
        browser: Browser, live_server: str, pg_url: str, live_database: str) -> None:
    import trio

    from community.db.pool import close, connect
    from tests.conftest import with_database

    base, tag = live_server, uuid.uuid4().hex[:6]
    slug, emails = _community(base, tag)
    problems: list[str] = []
    people = {who: _signed_in(browser, base, email) for who, email in emails.items()}
    ana, ben, cat = (people[w][1].page for w in ("Ana", "Ben", "Cat"))
    start = datetime.now(UTC) + timedelta(days=1)
    login = httpx.post(f"{base}/api/auth/login", json={"email": emails["Ana"], "password": PASSWORD})
    owner = {"Authorization": f"Bearer {login.json()['token']}"}
    r = httpx.post(f"{base}/api/orgs/{slug}/events", headers=owner, json={
        "title": "Repair café", "start_time": start.isoformat(), "end_time": (start + timedelta(hours=2)).isoformat(),
        "timezone": "UTC"})
    assert r.status_code == 201, r.text
    event_url = f"{base}/{slug}/events/{r.json()['event']['id']}"

    # Ben is going; before the event nobody is asked to rate it.
    ben.goto(event_url)
    ben.get_by_role("button", name="Going", exact=True).click()
    _status(ben, "You're going")
    expect(ben.get_by_role("region", name="Rate this event")).to_have_count(0)

    async def two_days_pass() -> None:  # time passing is the one thing no screen can do
        conn = await connect(with_database(pg_url, live_database))
        try:
            org = "(SELECT id FROM organizations WHERE slug = $1)"
            for table in ("events", "event_occurrences"):
                await conn.execute(f"UPDATE {table} SET start_time = start_time - interval '2 days', "
                                   f"end_time = end_time - interval '2 days' WHERE org_id = {org}", slug)
        finally:
            await close(conn)

    trio.run(two_days_pass)
    ben.reload()
    expect(ben.get_by_text("This event is over.")).to_be_visible()
    card = ben.get_by_role("region", name="Rate this event")
    expect(card).to_contain_text("You attended. How was it?")
    expect(card.get_by_role("button", name="Send rating")).to_be_disabled()
    card.get_by_role("radio", name=re.compile("^4 — Very good")).click()
    card.get_by_label("Comment (optional)").fill("Fixed my lamp!")
    capture(ben, "event-rate", problems)
    card.get_by_role("button", name="Send rating").click()
    mine = ben.get_by_role("region", name="Your rating")
    expect(mine).to_contain_text("You rated this event 4 of 5")
    expect(mine).to_contain_text("Fixed my lamp!")
    ben.reload()
    expect(ben.get_by_role("region", name="Your rating")).to_contain_text("You rated this event 4 of 5")
    capture(ben, "event-rated", problems)

    # Cat did not go: no rating card for her.
    cat.goto(event_url)
    expect(cat.get_by_text("This event is over.")).to_be_visible()
    expect(cat.get_by_role("region", name="Rate this event")).to_have_count(0)
    expect(cat.get_by_role("region", name="Your rating")).to_have_count(0)

    # Ana (who manages it) reads the ratings on the event and in analytics.
    ana.goto(event_url)
    ratings = ana.get_by_role("region", name="Attendee ratings")
    expect(ratings.get_by_role("group", name="Average rating")).to_contain_text("4.0")
    expect(ratings).to_contain_text("Fixed my lamp!")
    capture(ana, "event-ratings", problems)
    ana.goto(f"{base}/{slug}/analytics")
    rated = ana.get_by_role("region", name="Event ratings")
    expect(rated.get_by_role("group", name="Average (1–5)")).to_contain_text("4.0")
    expect(rated.get_by_role("group", name="Ratings")).to_contain_text("of 1 attendees")
    for context, watched in people.values():
        assert watched.errors == [], watched.errors
        context.close()
    assert problems == [], problems
