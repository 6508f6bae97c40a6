"""Issue 17's screen list walked in a real browser: keyboard shortcuts, quote-reply from a selection, drafts
that survive a reload, the moderation log, pending invitations and member management, editing and deleting
one's own message, and marking notifications read."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, expect

from tests.web.browser import capture
from tests.web.test_reading_e2e import community, forum_topic, signed_in


def test_the_regulars_tools_on_a_topic(browser: Browser, live_server: str) -> None:
    base, problems = live_server, []
    slug, auth, emails = community(base, "Walk")
    _, topic_id = forum_topic(base, slug, auth["Ana"], "Keyboard and quotes")
    for text in ("First answer about glue.", "Second answer about clamps."):
        r = httpx.post(f"{base}/api/orgs/{slug}/topics/{topic_id}/posts", json={"content": text}, headers=auth["Ana"])
        assert r.status_code == 201, r.text
    context, ben = signed_in(browser, base, emails["Ben"])
    page = ben.page
    page.goto(f"{base}/{slug}/topics/{topic_id}")
    expect(page.get_by_role("heading", name="Keyboard and quotes")).to_be_visible()

    # ? lists the shortcuts; j/k move between posts; r opens the reply box; / goes to search.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Next post")).to_be_visible()
    capture(page, "shortcuts", problems)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.keyboard.press("j")
    expect(page.get_by_role("article", name="Keyboard and quotes")).to_be_focused()
    page.keyboard.press("j")
    expect(page.get_by_role("article").filter(has_text="First answer about glue.")).to_be_focused()
    page.keyboard.press("j")
    expect(page.get_by_role("article").filter(has_text="Second answer about clamps.")).to_be_focused()
    page.keyboard.press("k")
    expect(page.get_by_role("article").filter(has_text="First answer about glue.")).to_be_focused()
    page.keyboard.press("r")
    expect(page.get_by_label("Reply")).to_be_focused()
    page.get_by_label("Reply").blur()
    page.keyboard.press("/")
    expect(page.get_by_label("Search")).to_be_focused()
    page.get_by_label("Search").blur()

    # Quote-reply from a selection: only the selected words are quoted, with who wrote them.
    clamps = page.get_by_role("article").filter(has_text="Second answer about clamps.")
    clamps.locator(".prose-post").evaluate("""(el) => {
        const text = el.querySelector('p').firstChild;
        const range = document.createRange();
        range.setStart(text, 7); range.setEnd(text, 13);
        const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
    }""")
    clamps.get_by_role("button", name="Quote").click()
    expect(page.get_by_label("Reply")).to_have_value(re.compile(r"^Ana Lima wrote:\n> answer\n\n"))
    expect(page.get_by_text("Replying to Ana Lima")).to_be_visible()

    # The draft survives a reload.
    page.get_by_label("Reply").press("End")
    page.get_by_label("Reply").press_sequentially("Agreed, clamps first.", delay=5)
    page.wait_for_timeout(600)
    page.reload()
    expect(page.get_by_label("Reply")).to_have_value(re.compile(r"Agreed, clamps first\.$"))
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_role("article").filter(has_text="Agreed, clamps first.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Reply")).to_have_value("")  # sent: the draft is gone
    assert problems == []
    assert ben.errors == []
    context.close()


def test_moderation_members_messages_and_notifications(browser: Browser, live_server: str) -> None:
    base, problems = live_server, []
    slug, auth, emails = community(base, "Manage")
    _, topic_id = forum_topic(base, slug, auth["Ana"], "Needs a moderator")
    r = httpx.post(f"{base}/api/orgs/{slug}/topics/{topic_id}/posts", json={"content": "Buy cheap watches here"},
                   headers=auth["Ben"])
    post_id = r.json()["post"]["id"]
    r = httpx.post(f"{base}/api/orgs/{slug}/posts/{post_id}/flags", json={"reason": "spam"}, headers=auth["Ana"])
    assert r.status_code == 201, r.text
    context, ana = signed_in(browser, base, emails["Ana"])
    page = ana.page
    page.on("dialog", lambda d: d.accept())

    # The queue's action lands in the moderation log.
    page.goto(f"{base}/{slug}/moderation")
    flagged = page.get_by_role("listitem").filter(has_text="Buy cheap watches")
    flagged.get_by_role("button", name="Hide post").click()
    expect(page.get_by_text("The queue is empty")).to_be_visible()
    log = page.get_by_role("region", name="Moderation log")
    expect(log.get_by_role("listitem").first).to_be_visible()
    capture(page, "moderation-log", problems)

    # Invitations: pending, then revoked. Members: suspend, reinstate.
    page.goto(f"{base}/{slug}/members")
    page.get_by_label("Email").fill("cat-walk@example.com")
    page.get_by_role("button", name="Send invitation").click()
    pending = page.get_by_role("region", name="Pending invitations")
    expect(pending.get_by_text("cat-walk@example.com")).to_be_visible()
    pending.get_by_role("listitem").filter(has_text="cat-walk@example.com").get_by_role("button", name="Revoke").click()
    expect(pending.get_by_text("cat-walk@example.com")).to_have_count(0)
    expect(page.get_by_label("Invitation link")).to_have_count(0)  # revoked: no longer offered
    ben_row = page.get_by_role("listitem").filter(has_text="Ben Okafor")
    ben_row.get_by_role("button", name="Suspend").click()
    expect(ben_row.get_by_text("suspended")).to_be_visible()
    capture(page, "members-suspended", problems)
    ben_row.get_by_role("button", name="Reinstate").click()
    expect(ben_row.get_by_text("suspended")).to_have_count(0)

    # A message of mine: edited, then deleted.
    ben_id = httpx.get(f"{base}/api/me", headers=auth["Ben"]).json()["user"]["id"]
    conv = httpx.post(f"{base}/api/orgs/{slug}/conversations", json={"participant_ids": [ben_id]},
                      headers=auth["Ana"]).json()["conversation"]
    page.goto(f"{base}/{slug}/messages/{conv['id']}")
    page.get_by_label("Message").fill("See you at nine")
    page.get_by_label("Message").press("Enter")
    mine = page.get_by_role("article").filter(has_text="See you at nine")
    mine.get_by_role("button", name="Edit").click()
    page.get_by_label("Edit message").fill("See you at ten")
    page.get_by_role("button", name="Save").click()
    edited = page.get_by_role("article").filter(has_text="See you at ten")
    expect(edited).to_be_visible()
    edited.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("article").filter(has_text="See you at ten")).to_have_count(0)

    # Ben's reply notifies Ana; she marks it read from the list.
    httpx.post(f"{base}/api/orgs/{slug}/topics/{topic_id}/posts", json={"content": "A proper answer, Ana"},
               headers=auth["Ben"])
    page.goto(f"{base}/{slug}/notifications")
    mark = page.get_by_role("button", name="Mark read").first
    for _ in range(20):  # the notifier delivers after the commit
        if mark.count() > 0:
            break
        page.wait_for_timeout(500)
        page.reload()
    # The hidden spam's notification keeps no title or link.
    expect(page.get_by_text("No longer available to you")).to_be_visible()
    capture(page, "notifications-unread", problems)
    count = page.get_by_role("button", name="Mark read").count()
    mark.click()
    expect(page.get_by_role("button", name="Mark read")).to_have_count(count - 1)
    assert problems == []
    assert ana.errors == []
    context.close()


def test_edits_solutions_locks_suggestions_and_signing_out_everywhere(browser: Browser, live_server: str) -> None:
    base, problems = live_server, []
    slug, auth, emails = community(base, "Solve")
    _, topic_id = forum_topic(base, slug, auth["Ana"], "Which glue for oak")
    r = httpx.post(f"{base}/api/orgs/{slug}/topics/{topic_id}/posts", json={"content": "Use PVA glue"},
                   headers=auth["Ben"])
    assert r.status_code == 201, r.text
    topic_url = f"{base}/{slug}/topics/{topic_id}"
    ana_context, ana = signed_in(browser, base, emails["Ana"])
    ben_context, ben = signed_in(browser, base, emails["Ben"])
    a, b = ana.page, ben.page
    a.on("dialog", lambda d: d.accept())
    a.goto(topic_url)
    b.goto(topic_url)

    # Ben edits his answer: "edited", and the history keeps what it said before; Ana sees it in place.
    answer = b.get_by_role("article").filter(has_text="Use PVA glue")
    answer.get_by_role("button", name="Edit").click()
    b.get_by_label("Edit post").fill("Use PVA glue, type II for outdoors")
    b.get_by_role("button", name="Save").click()
    on_anas = a.get_by_role("article").filter(has_text="type II for outdoors")
    expect(on_anas).to_be_visible()
    on_anas.get_by_role("button", name=re.compile("^edited")).click()
    expect(on_anas.get_by_role("list", name="Edit history").get_by_text("Use PVA glue", exact=True)).to_be_visible()

    # The topic's author marks it the solution; a moderator locks the topic: Ben can no longer reply.
    on_anas.get_by_role("button", name="Mark as solution").click()
    expect(on_anas.get_by_text("Solution", exact=True)).to_be_visible()
    expect(a.get_by_text("Solved", exact=True)).to_be_visible()
    a.get_by_role("group", name="Moderation").get_by_role("button", name="Lock").click()
    expect(b.get_by_text("This topic is locked: no new replies.")).to_be_visible()
    expect(b.get_by_label("Reply")).to_have_count(0)
    capture(b, "topic-solved-locked", problems, dark=True)

    # The header's search suggests the topic as Ben types (the index follows commits: look a while).
    box = b.get_by_label("Search")
    suggestions = b.get_by_role("listbox", name="Suggestions")
    suggestion = suggestions.get_by_role("option", name=re.compile("Which glue for oak"))
    for _ in range(20):
        box.fill("")
        box.press_sequentially("glue", delay=30)
        try:
            expect(suggestion).to_be_visible(timeout=1_500)
            break
        except AssertionError:
            continue
    expect(suggestion).to_be_visible()
    capture(b, "search-suggestions", problems)
    suggestion.click()
    expect(b).to_have_url(topic_url)

    # Sign out everywhere: this browser goes to sign-in, and so does Ana's other one.
    other_context, other = signed_in(browser, base, emails["Ana"])
    other.page.goto(topic_url)
    expect(other.page.get_by_role("heading", name="Which glue for oak")).to_be_visible()
    a.goto(f"{base}/me")
    a.get_by_role("button", name="Sign out everywhere").click()
    expect(a).to_have_url(re.compile(r"/login"))
    expect(other.page).to_have_url(re.compile(r"/login\?next="), timeout=15_000)
    assert httpx.get(f"{base}/api/me", headers=auth["Ana"]).status_code == 401

    # A forgotten password: the request answers the same whether or not the address has an account.
    a.goto(f"{base}/login")
    a.get_by_role("link", name="Forgot your password?").click()
    a.get_by_label("Email").fill(emails["Ana"])
    a.get_by_role("button", name="Send the link").click()
    expect(a.get_by_text("If an account uses this address")).to_be_visible()
    capture(a, "reset-requested", problems)

    refused = re.compile(r"Failed to load resource: .* status of 40[14]")
    assert problems == []
    assert [e for e in ana.errors if not refused.search(e)] == []
    assert [e for e in other.errors if not refused.search(e)] == []
    assert ben.errors == []
    for context in (ana_context, ben_context, other_context):
        context.close()
