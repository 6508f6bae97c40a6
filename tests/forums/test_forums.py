"""Forums: the tree, privacy, cross-org isolation, topics listing."""

from __future__ import annotations

from urllib.parse import quote

from tests.factories import Factory, Personas
from tests.forums.conftest import Api


async def test_forum_tree_depth_and_cycles(api: Api) -> None:
    top = await api.forum("Help & Support", description="Ask here")
    assert top["slug"] == "help-support"
    assert (await api.forum("Help & Support"))["slug"] == "help-support-2"
    child = await api.forum("Install", parent_id=top["id"])
    leaf = await api.forum("Linux", parent_id=child["id"])
    await api.call("POST", "/forums", "admin", json={"name": "Too deep", "parent_id": leaf["id"]}, expect=422)
    await api.call("PATCH", f"/forums/{top['id']}", "admin", json={"parent_id": leaf["id"]}, expect=422)
    await api.call("PATCH", f"/forums/{top['id']}", "admin", json={"parent_id": top["id"]}, expect=422)
    await api.call("POST", "/forums", "member", json={"name": "Mine"}, expect=403)
    tree = (await api.call("GET", "/forums", "guest"))["forums"]
    node = next(f for f in tree if f["id"] == top["id"])
    assert node["children"][0]["id"] == child["id"]
    assert node["children"][0]["children"][0]["id"] == leaf["id"]
    moved = await api.call("PATCH", f"/forums/{child['id']}", "admin", json={"parent_id": None, "sort_order": 5})
    assert moved["forum"]["parent_id"] is None and moved["forum"]["depth"] == 1
    await api.call("DELETE", f"/forums/{child['id']}", "admin", expect=204)
    await api.call("GET", f"/forums/{leaf['id']}", "admin", expect=404)


async def test_private_forum_is_invisible(api: Api) -> None:
    staff = await api.forum("Staff room", is_private=True, required_role="moderator")
    inner = await api.forum("Inner", parent_id=staff["id"])
    topic = await api.topic(staff["id"], "moderator")
    for who in ("member", "guest"):
        names = str((await api.call("GET", "/forums", who))["forums"])
        assert "Staff room" not in names and "Inner" not in names
        for path in (f"/forums/{staff['id']}", f"/forums/{inner['id']}", f"/topics/{topic['id']}"):
            body = await api.call("GET", path, who, expect=404)
            assert body["code"] == "not_found"
        await api.call("POST", f"/forums/{staff['id']}/topics", who, json={"title": "x", "content": "y"}, expect=404)
    assert (await api.call("GET", f"/forums/{inner['id']}", "moderator"))["forum"]["name"] == "Inner"
    dash = await api.call("GET", "/dashboard", "member")
    assert "Staff room" not in str(dash)


async def test_guest_sees_public_forums_only(api: Api) -> None:
    await api.forum("Members only", is_private=True)
    await api.forum("Open")
    names = [f["name"] for f in (await api.call("GET", "/forums", "guest"))["forums"]]
    assert names == ["Open"]
    names = sorted(f["name"] for f in (await api.call("GET", "/forums", "member"))["forums"])
    assert names == ["Members only", "Open"]


async def test_cross_org_is_404(api: Api, personas: Personas) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    post = await api.post(topic["id"])
    for path in (f"/forums/{forum['id']}", f"/topics/{topic['id']}", f"/posts/{post['id']}"):
        await api.call("GET", path, "owner", org="globex", expect=404)
        await api.call("DELETE", path, "owner", org="globex", expect=404)
    r = await api.client.get(f"{api.base}/forums/{forum['id']}", headers=personas.globex.owner.auth)
    assert r.status_code == 404
    r = await api.client.get(f"{api.base}/forums", headers=personas.outsider.auth)
    assert r.status_code == 404
    assert (await api.client.get(f"{api.base}/forums")).status_code == 401


async def test_tags_are_words_of_any_script(api: Api) -> None:
    """A French, Hindi, Japanese or Turkish community tags in its own words: letters of any script with
    their marks (an accent typed apart is the same tag), stored NFC and lower-case, found by any case."""
    forum = await api.forum()
    decomposed = "Cafe\u0301"  # e + a combining accent, as some keyboards send it
    topic = await api.topic(forum["id"], "member", tags=["Café", decomposed, "हिन्दी", "日本語", "İstanbul"])
    assert topic["tags"] == ["café", "हिन्दी", "日本語", "i\u0307stanbul"]
    for wanted in ("CAFÉ", decomposed, "हिन्दी"):
        found = await api.call("GET", f"/forums/{forum['id']}?tag={quote(wanted)}")
        assert [t["id"] for t in found["topics"]] == [topic["id"]], wanted
    for bad in ("🎉", "a/b", "\u0301a", "x" * 31):
        r = await api.client.post(f"{api.base}/forums/{forum['id']}/topics", headers=api.personas.acme.member.auth,
                                  json={"title": "t", "content": "c", "tags": ["ok", bad]})
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", (bad, r.text)
        assert [e["loc"][:2] for e in r.json()["errors"]] == [["body", "tags"]], r.text
    r = await api.client.get(f"{api.base}/forums/{forum['id']}?tag={quote('a/b')}",
                             headers=api.personas.acme.member.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == "tag", r.text


async def test_topic_listing_pinned_first_tags_and_pages(api: Api, factory: Factory) -> None:
    forum = await api.forum()
    made = [await api.topic(forum["id"], "owner", title=f"Topic {i}", tags=[f" Tag {i % 2}", "Python"])
            for i in range(5)]
    assert made[0]["tags"] == ["tag-0", "python"]
    await api.call("PATCH", f"/topics/{made[0]['id']}", "moderator", json={"is_pinned": True})
    await api.call("PATCH", f"/topics/{made[0]['id']}", "member", json={"is_pinned": False}, expect=403)
    page = await api.call("GET", f"/forums/{forum['id']}?limit=2")
    assert [t["id"] for t in page["topics"]] == [made[0]["id"], made[4]["id"]]
    rest = await api.call("GET", f"/forums/{forum['id']}?limit=10&cursor={page['next_cursor']}")
    assert [t["id"] for t in rest["topics"]] == [made[3]["id"], made[2]["id"], made[1]["id"]]
    assert rest["next_cursor"] is None
    tagged = await api.call("GET", f"/forums/{forum['id']}?tag=TAG-1")
    assert sorted(t["title"] for t in tagged["topics"]) == ["Topic 1", "Topic 3"]
    bad = {"title": "x", "content": "y", "tags": ["a", "b", "c", "d", "e", "f"]}
    await api.call("POST", f"/forums/{forum['id']}/topics", json=bad, expect=422)
    await api.call("POST", f"/forums/{forum['id']}/topics", json={**bad, "tags": ["x" * 31]}, expect=422)
    same = await api.topic(forum["id"], "owner", title="Topic 1")
    assert same["slug"] == "topic-1-2"
    seen = (await api.call("GET", f"/topics/{same['id']}"))["topic"]["view_count"]
    assert (await api.call("GET", f"/topics/{same['id']}"))["topic"]["view_count"] == seen + 1
    activity = await factory.conn.fetch(
        "SELECT type, channel FROM activity WHERE org_id = $1 AND type = 'topic_created'", api.personas.acme.id)
    assert len(activity) == 6 and activity[0]["channel"] == f"forum:{forum['id']}"


async def test_guest_cannot_write_and_author_edits(api: Api) -> None:
    forum = await api.forum()
    await api.call("POST", f"/forums/{forum['id']}/topics", "guest", json={"title": "x", "content": "y"},
                   expect=403)
    topic = await api.topic(forum["id"])
    edited = await api.call("PATCH", f"/topics/{topic['id']}", "member", json={"title": "Better title"})
    assert edited["topic"]["slug"] == "better-title"
    await api.call("PATCH", f"/topics/{topic['id']}", "guest", json={"title": "Mine"}, expect=403)
    await api.call("DELETE", f"/topics/{topic['id']}", "guest", expect=403)
    await api.call("DELETE", f"/topics/{topic['id']}", "member", expect=204)
