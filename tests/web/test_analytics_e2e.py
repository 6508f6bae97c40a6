"""The analytics page in a real browser: totals, charts, range and granularity, CSV."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.web.browser import capture
from tests.web.test_admin_screens import owner_of_new_org


def test_an_admin_reads_the_numbers_and_downloads_them(browser: Browser, live_server: str) -> None:
    problems: list[str] = []
    context, watched, _ = owner_of_new_org(browser, live_server, "Numbers")
    page = watched.page
    page.get_by_role("link", name="Create New Forum").click()
    page.get_by_label("Forum name").fill("General")
    page.get_by_role("button", name="Create forum").click()
    page.get_by_role("link", name="General", exact=True).click()
    page.get_by_role("link", name="New topic").click()
    page.get_by_label("Title").fill("Hello")
    page.get_by_label("Content").fill("First post")
    page.get_by_role("button", name="Create topic").click()
    expect(page.get_by_role("heading", name="Hello")).to_be_visible()

    page.get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    totals = page.get_by_role("region", name="Totals")
    # Today's numbers are live: the owner joined and posted today.
    expect(totals.get_by_role("group", name="Members", exact=True)).to_contain_text("1Members")
    expect(totals.get_by_role("group", name="Replies", exact=True)).to_contain_text("1 topic ·")
    expect(page.get_by_role("figure", name="Members")).to_be_visible()
    expect(page.get_by_role("figure", name="Forum activity").locator("svg").first).to_be_visible()
    capture(page, "analytics", problems)

    page.get_by_label("Period").select_option("365")
    expect(page.get_by_label("Group by")).to_have_value("month")
    expect(page.get_by_role("table").get_by_role("rowheader").first).to_be_visible()  # this month's cohort
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    text = Path(download.value.path()).read_text()
    assert text.splitlines()[0].startswith("period,")
    assert download.value.suggested_filename.startswith("analytics-")
    assert watched.errors == [], watched.errors
    assert problems == [], problems
    context.close()


def test_a_member_of_a_while_is_asked_once_how_satisfied_they_are(browser: Browser, live_server: str, pg_url: str,
                                                                    live_database: str) -> None:
    import trio

    from community.db.pool import close, connect
    from tests.conftest import with_database

    base = live_server
    problems: list[str] = []
    context, watched, org = owner_of_new_org(browser, base, "Mood")
    page = watched.page
    expect(page.get_by_role("region", name="Satisfaction survey")).to_have_count(0)  # a new member is not asked

    async def joined_ten_days_ago() -> None:  # time passing is the one thing no screen can do
        conn = await connect(with_database(pg_url, live_database))
        try:
            await conn.execute("UPDATE memberships SET joined_at = now() - interval '10 days' "
                               "WHERE org_id = (SELECT id FROM organizations WHERE slug = $1)", org)
        finally:
            await close(conn)

    trio.run(joined_ten_days_ago)
    page.reload()
    survey = page.get_by_role("region", name="Satisfaction survey")
    expect(survey).to_contain_text("How satisfied are you with this community?")
    survey.get_by_role("radio", name=re.compile("^4 — Satisfied")).click()
    survey.get_by_label(re.compile("Anything you would like to tell")).fill("Friendly people")
    capture(page, "csat-prompt", problems)
    survey.get_by_role("button", name="Send answer").click()
    expect(page.get_by_role("status").filter(has_text="Thank you")).to_be_visible()
    page.reload()
    expect(page.get_by_role("region", name="Satisfaction survey")).to_have_count(0)  # once a quarter

    page.goto(f"{base}/{org}/analytics")
    satisfaction = page.get_by_role("region", name="Community satisfaction")
    expect(satisfaction.get_by_role("group", name="Average (1–5)")).to_contain_text("4.0")
    expect(satisfaction.get_by_role("group", name="Answers")).to_contain_text("1")
    assert watched.errors == [], watched.errors
    assert problems == [], problems
    context.close()
