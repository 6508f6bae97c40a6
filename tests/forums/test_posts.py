"""Posts: sanitised html, edits with history, soft delete, solutions, reactions, locks, rate limits."""

from __future__ import annotations

import re

from tests.factories import Factory
from tests.forums.conftest import Api


async def test_html_is_sanitised(api: Api) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"], content="<script>alert(1)</script> [x](javascript:alert(1))")
    assert "<script" not in topic["html"] and "href=\"javascript" not in topic["html"]
    post = await api.post(topic["id"], content='[site](https://example.com) <img src=x onerror=alert(1)>')
    assert 'rel="nofollow ugc noopener"' in post["html"]
    assert not re.search(r"<[^>]*onerror", post["html"])
    assert post["content"].startswith("[site]")
    await api.call("POST", f"/topics/{topic['id']}/posts", json={"content": "x" * (64 * 1024 + 1)}, expect=413)


async def test_edit_history(api: Api) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    post = await api.post(topic["id"], content="first")
    edited = (await api.call("PATCH", f"/posts/{post['id']}", json={"content": "second"}))["post"]
    assert edited["edit_count"] == 1 and edited["content"] == "second" and edited["last_edited_at"]
    await api.call("PATCH", f"/posts/{post['id']}", "moderator", json={"content": "third"})
    await api.call("PATCH", f"/posts/{post['id']}", "admin", json={"content": "fourth"})
    await api.call("PATCH", f"/posts/{post['id']}", "guest", json={"content": "nope"}, expect=403)
    revisions = (await api.call("GET", f"/posts/{post['id']}/revisions"))["revisions"]
    assert [r["previous_content"] for r in revisions] == ["third", "second", "first"]
    assert revisions[-1]["editor"]["id"] == str(api.personas.acme.member.user_id)


async def test_soft_delete_keeps_thread_shape(api: Api, factory: Factory) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    parent = await api.post(topic["id"], content="parent")
    child = await api.post(topic["id"], "admin", content="child", parent_id=parent["id"])
    lonely = await api.post(topic["id"], content="lonely")
    await api.call("DELETE", f"/posts/{parent['id']}", "member", expect=204)
    await api.call("DELETE", f"/posts/{lonely['id']}", "moderator", expect=204)
    await api.call("DELETE", f"/posts/{child['id']}", "member", expect=403)
    page = await api.call("GET", f"/topics/{topic['id']}")
    assert [p["id"] for p in page["posts"]] == [parent["id"], child["id"]]
    placeholder = page["posts"][0]
    assert placeholder["is_deleted"] and placeholder["content"] == "" and placeholder["author"] is None
    assert page["topic"]["reply_count"] == 1
    await api.call("DELETE", f"/posts/{parent['id']}", "member", expect=404)
    log = await api.call("GET", "/moderation/log", "admin")
    assert [e["action"] for e in log["entries"]] == ["delete_post"]
    types = [r["type"] for r in await factory.conn.fetch(
        "SELECT type FROM activity WHERE org_id = $1 ORDER BY seq", api.personas.acme.id)]
    assert types.count("post_deleted") == 2 and types.count("post_created") == 3


async def test_one_solution_per_topic(api: Api) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    first = await api.post(topic["id"], "admin")
    second = await api.post(topic["id"], "owner")
    await api.call("POST", f"/posts/{first['id']}/solution", "guest", expect=403)
    assert (await api.call("POST", f"/posts/{first['id']}/solution", "member"))["post"]["is_solution"]
    assert (await api.call("POST", f"/posts/{second['id']}/solution", "moderator"))["post"]["is_solution"]
    page = await api.call("GET", f"/topics/{topic['id']}")
    assert [p["is_solution"] for p in page["posts"]] == [False, True]
    assert page["topic"]["solution_post_id"] == second["id"]


async def test_reactions(api: Api) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    post = await api.post(topic["id"])
    await api.call("PUT", f"/posts/{post['id']}/reactions/👍", "member")
    await api.call("PUT", f"/posts/{post['id']}/reactions/👍", "member")
    await api.call("PUT", f"/posts/{post['id']}/reactions/🎉", "member")
    mine = (await api.call("PUT", f"/posts/{post['id']}/reactions/👍", "admin"))["post"]
    assert mine["reactions"] == {"👍": 2, "🎉": 1} and mine["my_reactions"] == ["👍"]
    await api.call("PUT", f"/posts/{post['id']}/reactions/💩", "member", expect=422)
    await api.call("PUT", f"/posts/{post['id']}/reactions/👍", "guest", expect=403)
    after = (await api.call("DELETE", f"/posts/{post['id']}/reactions/🎉", "member"))["post"]
    assert after["reactions"] == {"👍": 2} and after["my_reactions"] == ["👍"]
    page = await api.call("GET", f"/topics/{topic['id']}", "admin")
    assert page["posts"][0]["my_reactions"] == ["👍"]


async def test_locked_topic(api: Api) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    await api.call("PATCH", f"/topics/{topic['id']}", "member", json={"is_locked": True}, expect=403)
    await api.call("PATCH", f"/topics/{topic['id']}", "moderator", json={"is_locked": True})
    body = await api.call("POST", f"/topics/{topic['id']}/posts", "member", json={"content": "hi"}, expect=403)
    assert body["code"] == "forbidden"
    await api.post(topic["id"], "moderator")
    await api.post(topic["id"], "admin")


async def test_a_locked_topic_is_frozen_for_its_authors(api: Api) -> None:
    """Locked: the member's own posts and topic can no longer be edited, deleted or reacted to
    (403 "This topic is locked."); its moderators still can."""
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    mine, other = await api.post(topic["id"]), await api.post(topic["id"], "moderator", "Moderated")
    await api.call("PATCH", f"/topics/{topic['id']}", "moderator", json={"is_locked": True})
    for method, path, body in (("PATCH", f"/posts/{mine['id']}", {"content": "changed"}),
                               ("DELETE", f"/posts/{mine['id']}", None),
                               ("PUT", f"/posts/{other['id']}/reactions/👍", None),
                               ("PATCH", f"/topics/{topic['id']}", {"title": "Renamed"}),
                               ("DELETE", f"/topics/{topic['id']}", None)):
        refused = await api.call(method, path, "member", json=body, expect=403)
        assert refused["detail"] == "This topic is locked.", (method, path, refused)
    page = await api.call("GET", f"/topics/{topic['id']}", "member")
    assert [p["content"] for p in page["posts"]] == ["A reply", "Moderated"]
    assert page["topic"]["title"] == "How do I start?"
    await api.call("PATCH", f"/posts/{mine['id']}", "moderator", json={"content": "fixed by a moderator"})
    await api.call("DELETE", f"/posts/{mine['id']}", "moderator", expect=204)
    await api.call("DELETE", f"/topics/{topic['id']}", "moderator", expect=204)


async def test_scoped_moderator_only_moderates_assigned_forums(api: Api, factory: Factory) -> None:
    mine, other = await api.forum("Mine"), await api.forum("Other")
    sub = await api.forum("Sub", parent_id=mine["id"])
    await factory.conn.execute("INSERT INTO moderator_assignments (org_id, user_id, forum_id) VALUES ($1, $2, $3)",
                               api.personas.acme.id, api.personas.acme.moderator.user_id, mine["id"])
    in_sub, elsewhere = await api.topic(sub["id"]), await api.topic(other["id"])
    await api.call("PATCH", f"/topics/{in_sub['id']}", "moderator", json={"is_locked": True})
    await api.call("PATCH", f"/topics/{elsewhere['id']}", "moderator", json={"is_locked": True}, expect=403)


async def test_rate_limit(api: Api, factory: Factory) -> None:
    await factory.conn.execute(
        """UPDATE organizations SET settings = '{"posting": {"new_member_per_minute": 3}}' WHERE id = $1""",
        api.personas.acme.id)
    forum = await api.forum()
    topic = await api.topic(forum["id"], "owner")
    for _ in range(3):
        await api.post(topic["id"])
    r = await api.client.post(f"{api.base}/topics/{topic['id']}/posts", json={"content": "again"},
                              headers=api.personas.acme.member.auth)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    await api.post(topic["id"], "moderator")


async def test_mentions_are_resolved(api: Api, factory: Factory) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"])
    admin = api.personas.acme.admin
    handle = admin.display_name.lower().replace(" ", "")
    post = await api.post(topic["id"], content=f"hey @{handle} and @nobody, `@{handle}` in code")
    stored = await factory.conn.fetch("SELECT user_id FROM post_mentions WHERE post_id = $1", post["id"])
    assert [r["user_id"] for r in stored] == [admin.user_id]
    payload = await factory.conn.fetchval(
        "SELECT payload FROM activity WHERE org_id = $1 AND type = 'post_created'", api.personas.acme.id)
    assert payload["mentions"] == [str(admin.user_id)]
    assert payload["reply_to_user_id"] == str(api.personas.acme.member.user_id)
    assert payload["topic_id"] == topic["id"] and payload["forum_id"] == forum["id"]
