"""Search over HTTP: what matches, how it reads, and what never shows."""

from __future__ import annotations

import re

import trio

from community.app import System
from tests.factories import Factory
from tests.search.conftest import SearchApi


async def test_topics_and_posts_match_with_escaped_snippets(api: SearchApi) -> None:
    with trio.fail_after(20):
        forum = await api.forum("General")
        topic = await api.topic(forum["id"], "Deploying kubernetes clusters",
                                "Our <script>alert(1)</script> notes on kubernetes upgrades", tags=["ops"])
        post = await api.post(topic["id"], "I upgraded kubernetes & it <b>worked</b>")
        await api.until("kubernetes", {topic["id"], post["id"]})
        results = await api.search("kubernetes", sort="relevance")
        assert [r["type"] for r in results] == ["topic", "post"]  # the title weighs most
        first, second = results
        assert first["title"] == second["title"] == "Deploying kubernetes clusters"
        assert first["forum_id"] == forum["id"] and second["topic_id"] == topic["id"]
        assert first["author"]["id"] == str(api.personas.acme.admin.user_id) and first["score"] > 0
        assert "<mark>kubernetes</mark>" in first["snippet"]
        for result in results:  # no markup but <mark>, whatever the text held
            assert not set(re.sub("</?mark>", "", result["snippet"])) & set("<>")
        assert "&amp;" in second["snippet"] and "<b>" not in second["snippet"]
        assert await api.ids("kubernetes", type="posts") == {post["id"]}
        assert await api.ids("kubernetes", type="topics", tag="ops") == {topic["id"]}
        assert await api.ids("kubernetes", tag="nope") == set()
        assert await api.ids("kubernetes", author_id=str(api.personas.acme.member.user_id)) == set()
        assert await api.ids("kubern") == {topic["id"], post["id"]}  # as you type
        assert await api.ids("clusters -upgrades") == set()
        assert await api.ids('"deploying kubernetes"') == {topic["id"]}
        assert await api.ids("zebra OR worked") == {post["id"]}


async def test_recent_sort_pages_by_cursor(api: SearchApi) -> None:
    with trio.fail_after(20):
        forum = await api.forum("General")
        topic = await api.topic(forum["id"], "Pagination", "walrus")
        made = [topic["id"]] + [(await api.post(topic["id"], f"walrus number {i}"))["id"] for i in range(4)]
        await api.until("walrus", set(made))
        seen: list[str] = []
        cursor = None
        for sort in ("recent", "relevance"):
            seen, cursor = [], None
            while True:
                params = {"q": "walrus", "sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
                page = await api.call("GET", "/search", params=params)
                seen += [r["id"] for r in page["results"]]
                if not (cursor := page["next_cursor"]):
                    break
            assert sorted(seen) == sorted(made), sort
        assert seen != [] and (await api.search("walrus", sort="recent"))[0]["id"] == made[-1]


async def test_private_forums_never_leak(api: SearchApi, factory: Factory) -> None:
    with trio.fail_after(30):
        public = await api.forum("Public")
        members = await api.forum("Members", is_private=True, required_role="member")
        staff = await api.forum("Staff", is_private=True, required_role="moderator")
        shown = await api.topic(public["id"], "Zanzibar trip", "public zanzibar notes")
        inner = await api.topic(members["id"], "Zanzibar members", "members zanzibar")
        secret = await api.topic(staff["id"], "Zanzibar layoffs", "secret zanzibar plan")
        # Many newer private matches: the visibility filter must act before LIMIT.
        notes = [(await api.post(secret["id"], f"zanzibar staff note {i}"))["id"] for i in range(25)]
        everything = {shown["id"], inner["id"], secret["id"], *notes}
        await api.until("zanzibar", everything, "owner", limit=100)
        for who in ("owner", "admin", "moderator"):
            assert await api.ids("zanzibar", who, limit=100) == everything
        for sort in ("recent", "relevance"):
            found = await api.search("zanzibar", "member", sort=sort, limit=5)
            assert {r["id"] for r in found} == {shown["id"], inner["id"]}
            assert all("secret" not in r["snippet"] and "layoffs" not in r["title"] for r in found)
            assert await api.ids("zanzibar", "guest", sort=sort, limit=5) == {shown["id"]}
        assert await api.ids("layoffs", "member") == set()
        assert await api.ids("zanzibar", "member", forum_id=staff["id"]) == set()
        assert await api.ids("zanzibar", "guest", forum_id=members["id"]) == set()
        suggestions = await api.call("GET", "/search/suggest", "member", params={"q": "zanz"})
        assert {s["topic_id"] for s in suggestions["suggestions"]} == {shown["id"], inner["id"]}
        # Other orgs: a 404 for acme, and nothing of acme's in their own search.
        r = await api.client.get(f"/api/orgs/{api.personas.acme.slug}/search", params={"q": "zanzibar"},
                                 headers=api.personas.globex.owner.auth)
        assert r.status_code == 404
        assert await api.search("zanzibar", "owner", org="globex") == []
        # Making a forum private or moving a topic into one hides it at once, before any re-index.
        await api.call("PATCH", f"/forums/{public['id']}", "admin", json={"is_private": True,
                                                                          "required_role": "moderator"})
        assert await api.ids("zanzibar", "member", limit=100) == {inner["id"]}
        await api.call("PATCH", f"/topics/{inner['id']}", "admin", json={"forum_id": staff["id"]})
        assert await api.ids("zanzibar", "member", limit=100) == set()
        assert await api.ids("zanzibar", "guest", limit=100) == set()


async def test_hidden_and_deleted_posts_leave_the_index(api: SearchApi) -> None:
    with trio.fail_after(20):
        forum = await api.forum("General")
        topic = await api.topic(forum["id"], "Marsupials", "about animals")
        kept = await api.post(topic["id"], "a quokka smiles", "member")
        hidden = await api.post(topic["id"], "a quokka insult", "member")
        deleted = await api.post(topic["id"], "a quokka typo", "member")
        await api.until("quokka", {kept["id"], hidden["id"], deleted["id"]})
        await api.call("POST", f"/posts/{hidden['id']}/flags", "owner", json={"reason": "rude"}, expect=201)
        flags = await api.call("GET", "/moderation/flags", "moderator")
        flag_id = flags["flags"][0]["id"]
        await api.call("POST", f"/moderation/flags/{flag_id}/resolve", "moderator", json={"action": "hide"})
        await api.call("DELETE", f"/posts/{deleted['id']}", "member", expect=204)
        for who in ("member", "moderator", "owner"):  # gone at once, for everyone
            assert await api.ids("quokka", who) == {kept["id"]}
            assert await api.ids("insult", who) == set()
        await api.call("DELETE", f"/topics/{topic['id']}", "admin", expect=204)
        assert await api.ids("quokka", "owner") == set()
        assert await api.ids("marsupials", "owner") == set()


async def test_an_edit_is_searchable_within_two_seconds(api: SearchApi) -> None:
    with trio.fail_after(20):
        forum = await api.forum("General")
        topic = await api.topic(forum["id"], "Edits", "nothing yet")
        post = await api.post(topic["id"], "the first draft", "member")
        await api.until("draft", {post["id"]})
        await api.call("PATCH", f"/posts/{post['id']}", "member", json={"content": "now about pelicans"})
        assert await api.until("pelicans", {post["id"]}, within=2.0) < 2.0
        assert await api.ids("draft", "admin") == set()
        await api.call("PATCH", f"/topics/{topic['id']}", "admin", json={"title": "Flamingo edits"})
        assert await api.until("flamingo", {topic["id"]}, within=2.0) < 2.0


async def test_query_validation(api: SearchApi) -> None:
    with trio.fail_after(20):
        for params in ({"q": ""}, {"q": "   "}, {"q": "x" * 201}, {}, {"q": "a", "type": "users"},
                       {"q": "a", "sort": "best"}, {"q": "a", "limit": 0}, {"q": "a", "cursor": "garbage"},
                       {"q": "a", "before": "yesterday"}):
            body = await api.call("GET", "/search", params=params, expect=422)
            assert body["code"] == "validation_failed"
        await api.call("GET", "/search/suggest", params={"q": ""}, expect=422)
        assert await api.search("the") == []  # only stop words
        assert await api.search('"unterminated & | ! :* (') == []
        assert await api.search("x" * 200) == []


async def test_suggest_answers_titles_by_prefix(api: SearchApi) -> None:
    with trio.fail_after(20):
        forum = await api.forum("General")
        first = await api.topic(forum["id"], "Installing PostgreSQL on Debian", "steps")
        second = await api.topic(forum["id"], "Postgres tuning", "knobs")
        await api.topic(forum["id"], "Debian release notes", "installing nothing in the title")
        await api.until("steps", {first["id"]})
        await api.until("knobs", {second["id"]})
        body = await api.call("GET", "/search/suggest", params={"q": "post"})
        assert [s["topic_id"] for s in body["suggestions"]] == [second["id"], first["id"]]
        body = await api.call("GET", "/search/suggest", params={"q": "instal deb"})
        assert [s["title"] for s in body["suggestions"]] == ["Installing PostgreSQL on Debian"]


async def test_the_org_language_decides_stemming(api: SearchApi, runtime: System) -> None:
    with trio.fail_after(20):
        forum = await api.forum("Allgemein")
        topic = await api.topic(forum["id"], "Häuser", "Wir bauen Häuser und Gärten")
        await api.until("Häuser", {topic["id"]})
        assert await api.ids("Haus") == set()  # english does not stem German
        await api.call("PATCH", "", "owner", json={"settings": {"search": {"language": "german"}}})
        runtime.handles.indexer.poke()  # the orgs service does not poke the indexer after a settings change
        await api.until("Gärten", {topic["id"]})
        await api.until("Garten", {topic["id"]})
        # An unknown language is refused on write (422), so the org keeps stemming German.
        await api.call("PATCH", "", "owner", json={"settings": {"search": {"language": "klingon"}}}, expect=422)
        await api.until("Garten", {topic["id"]})
