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

    # A new topic completes mentions with the composer's own list, keeps its draft over a reload, and
    # previews the same way before it is created.
    page.goto(f"{base}/{slug}/new-topic")
    page.get_by_label("Title").fill("Plans for spring")
    content = page.get_by_label("Content")
    content.press_sequentially("Ideas, @oka", delay=30)
    expect(page.get_by_role("listbox", name="Mention someone").get_by_role("option", name=re.compile("Ben Okafor"))
           ).to_be_visible()
    capture(page, "new-topic-mention", problems)
    content.press("Enter")
    expect(content).to_have_value("Ideas, @benokafor ")
    content.press_sequentially("A _new_ **topic**", delay=5)
    page.wait_for_timeout(400)  # a draft is stored 250 ms after the last key
    page.reload()
    expect(page.get_by_label("Title")).to_have_value("Plans for spring")
    expect(page.get_by_label("Content")).to_have_value("Ideas, @benokafor A _new_ **topic**")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("region", name="Preview of the content").locator("strong")).to_have_text("topic")
    capture(page, "new-topic-preview", problems)
    page.get_by_role("button", name="Create topic").click()
    expect(page.get_by_role("heading", name="Plans for spring")).to_be_visible()
    page.goto(f"{base}/{slug}/new-topic")  # created: the draft is gone
    expect(page.get_by_label("Title")).to_have_value("")
    expect(page.get_by_label("Content")).to_have_value("")

    # Both mentions reached Ben, saying who and where (the writer runs after the commit: look for a while).
    found: list[dict[str, object]] = []
    for _ in range(40):
        found = httpx.get(f"{base}/api/notifications", headers=auth["Ben"]).json()["notifications"]
        if len([n for n in found if n["kind"] == "mention"]) >= 2:
            break
        page.wait_for_timeout(250)
    assert sorted((n["title"], n["actor_name"]) for n in found if n["kind"] == "mention") == [
        ("Mentions and previews", "Ana Lima"), ("Plans for spring", "Ana Lima")], found
    assert problems == []
    assert ana.errors == []
    context.close()


def _replies(base: str, slug: str, topic_id: str, auth: dict[str, str], texts: list[str]) -> list[str]:
    ids = []
    with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
        for text in texts:
            r = client.post(f"/api/orgs/{slug}/topics/{topic_id}/posts", json={"content": text})
            assert r.status_code == 201, r.text
            ids.append(r.json()["post"]["id"])
    return ids


def test_the_read_position_follows_the_reader_to_another_device(browser: Browser, live_server: str, pg_url: str,
                                                                live_database: str) -> None:
    import trio

    from community.db.pool import close, connect
    from tests.conftest import with_database

    base, problems = live_server, []
    slug, auth, emails = community(base, "Reading")
    forum_id, older_id = forum_topic(base, slug, auth["Ana"], "An older topic")
    r = httpx.post(f"{base}/api/orgs/{slug}/forums/{forum_id}/topics",
                   json={"title": "The long thread", "content": "Reply below."}, headers=auth["Ana"])
    topic_id = r.json()["topic"]["id"]
    ids = _replies(base, slug, topic_id, auth["Ana"], [f"Reply number {n}." for n in range(1, 45)])

    # Ben, on his laptop: the topic is new to him; he reads past the first page, to reply 30.
    laptop, ben = signed_in(browser, base, emails["Ben"])
    page = ben.page
    page.goto(f"{base}/{slug}/forums/{forum_id}")
    row = page.get_by_role("listitem").filter(has=page.get_by_role("link", name="The long thread"))
    expect(row.get_by_text("New", exact=True)).to_be_visible()
    row.get_by_role("link", name="The long thread").click()
    expect(page.get_by_role("heading", name="The long thread")).to_be_visible()
    expect(page.get_by_role("separator", name="Unread posts start here")).to_have_count(0)  # never opened: the top
    page.get_by_role("button", name="Load more replies").click()
    marked = f"/topics/{topic_id}/read"
    with page.expect_response(lambda r: r.url.endswith(marked) and r.request.method == "PUT") as put:
        page.get_by_role("article").filter(has_text="Reply number 30.").scroll_into_view_if_needed()
    assert put.value.status == 200
    page.wait_for_timeout(800)  # the newest post on screen settles (one call per pause)
    state = httpx.get(f"{base}/api/orgs/{slug}/topics/{topic_id}?limit=1", headers=auth["Ben"]).json()["read"]
    read_up_to = ids.index(state["last_read_post_id"]) + 1
    assert 30 <= read_up_to < 44, state
    assert state["unread_count"] == 44 - read_up_to

    # On his phone (another browser, another sign-in): the list says how many are unread, and the topic
    # opens at the first of them, beyond the first page, with the replies in between a click away.
    phone, ben2 = signed_in(browser, base, emails["Ben"])
    page2 = ben2.page
    page2.set_viewport_size({"width": 375, "height": 812})
    page2.goto(f"{base}/{slug}/forums/{forum_id}")
    row2 = page2.get_by_role("listitem").filter(has=page2.get_by_role("link", name="The long thread"))
    expect(row2.get_by_text(f"{44 - read_up_to} unread")).to_be_visible()
    capture(page2, "forum-unread", problems)
    row2.get_by_role("link", name="The long thread").click()
    first_unread = page2.get_by_role("article").filter(has_text=f"Reply number {read_up_to + 1}.")
    expect(first_unread).to_be_in_viewport()
    expect(first_unread).to_be_focused()
    expect(page2.get_by_role("separator", name="Unread posts start here")).to_be_visible()
    expect(page2.get_by_role("article").filter(has_text="Reply number 25.")).to_have_count(0)
    capture(page2, "topic-first-unread", problems)
    page2.get_by_role("button", name="Show the replies in between").click()
    expect(page2.get_by_role("article").filter(has_text="Reply number 25.")).to_be_visible()
    expect(page2.get_by_role("button", name="Show the replies in between")).to_have_count(0)
    expect(page2.get_by_role("article")).to_have_count(45)  # the opening post and 44 replies, each once

    # His previous visit ended now (time passing is what no screen can do); Ana then writes again.
    async def visit_ended_now() -> None:
        conn = await connect(with_database(pg_url, live_database))
        try:
            await conn.execute("UPDATE org_visits SET previous_visit_at = now(), last_seen_at = now() "
                               "WHERE org_id = (SELECT id FROM organizations WHERE slug = $1)", slug)
        finally:
            await close(conn)

    trio.run(visit_ended_now)
    _replies(base, slug, topic_id, auth["Ana"], ["Fresh news after your visit."])
    page.goto(f"{base}/{slug}/forums/{forum_id}")
    expect(page.get_by_text("Your last visit")).to_be_visible()
    expect(page.get_by_role("img", name="Active since your last visit")).to_have_count(1)
    capture(page, "forum-last-visit", problems)
    page.get_by_role("link", name="The long thread").click()
    fresh = page.get_by_role("article").filter(has_text="Fresh news after your visit.")
    expect(fresh.get_by_text("New since your last visit")).to_be_visible()
    expect(page.get_by_text("New since your last visit")).to_have_count(1)
    assert older_id
    assert problems == []
    assert ben.errors == []
    assert ben2.errors == []
    laptop.close()
    phone.close()


def test_a_locked_topic_and_who_replied_where(browser: Browser, live_server: str) -> None:
    """Locked: a member's own post keeps no Edit or Delete and says why, reactions are closed; its moderators
    keep theirs. The reply before the lock reached Ana as "Ben Okafor replied in <title>", and the
    dashboard's recent activity names the topic too."""
    base, problems = live_server, []
    slug, auth, emails = community(base, "Locked")
    _, topic_id = forum_topic(base, slug, auth["Ana"], "Closed for the winter")
    r = httpx.post(f"{base}/api/orgs/{slug}/topics/{topic_id}/posts", json={"content": "My last word"},
                   headers=auth["Ben"])
    assert r.status_code == 201, r.text
    r = httpx.patch(f"{base}/api/orgs/{slug}/topics/{topic_id}", json={"is_locked": True}, headers=auth["Ana"])
    assert r.status_code == 200, r.text

    context, ben = signed_in(browser, base, emails["Ben"])
    page = ben.page
    page.goto(f"{base}/{slug}/topics/{topic_id}")
    mine = page.get_by_role("article").filter(has_text="My last word")
    expect(mine.get_by_text("This topic is locked: your post can no longer be edited or deleted.")).to_be_visible()
    expect(mine.get_by_role("button", name="Edit")).to_have_count(0)
    expect(mine.get_by_role("button", name="Delete")).to_have_count(0)
    expect(mine.get_by_role("button", name="Add a reaction")).to_have_count(0)
    expect(mine.get_by_role("button", name="Reply")).to_have_count(0)
    expect(page.get_by_text("This topic is locked: no new replies.")).to_be_visible()
    capture(page, "topic-locked", problems)
    context.close()

    context, ana = signed_in(browser, base, emails["Ana"])
    page = ana.page
    page.goto(f"{base}/{slug}/topics/{topic_id}")
    bens = page.get_by_role("article").filter(has_text="My last word")
    expect(bens.get_by_role("button", name="Edit")).to_be_visible()
    expect(bens.get_by_role("button", name="Delete")).to_be_visible()
    page.goto(f"{base}/{slug}/notifications")
    expect(page.get_by_role("button", name="Ben Okafor replied in Closed for the winter")).to_be_visible()
    capture(page, "notifications-reply", problems)
    page.goto(f"{base}/{slug}")
    expect(page.get_by_role("link", name="Ben Okafor replied in “Closed for the winter”")).to_be_visible()
    assert problems == []
    assert ben.errors == [] and ana.errors == []
    context.close()
