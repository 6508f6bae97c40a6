"""Moderation: the flag queue (scoped), resolving by hide / delete / dismiss, suspensions, the log; the dashboard."""

from __future__ import annotations

from tests.factories import Factory
from tests.forums.conftest import Api


async def test_flag_queue_resolve_and_log(api: Api) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"], "admin")
    rude, spam, fine = [await api.post(topic["id"], "admin", content=c) for c in ("rude", "spam", "fine")]
    flags = {}
    for post in (rude, spam, fine):
        flags[post["id"]] = (await api.call("POST", f"/posts/{post['id']}/flags", json={"reason": "bad"},
                                            expect=201))["flag"]
    await api.call("POST", f"/posts/{rude['id']}/flags", json={"reason": "again"}, expect=409)
    await api.call("POST", f"/posts/{rude['id']}/flags", "guest", json={"reason": "x"}, expect=403)
    await api.call("GET", "/moderation/flags", "member", expect=403)
    queue = await api.call("GET", "/moderation/flags?limit=2", "moderator")
    assert [f["post_id"] for f in queue["flags"]] == [rude["id"], spam["id"]] and queue["next_cursor"]
    await api.call("POST", f"/moderation/flags/{flags[rude['id']]['id']}/resolve", "moderator",
                   json={"action": "hide"})
    await api.call("POST", f"/moderation/flags/{flags[spam['id']]['id']}/resolve", "moderator",
                   json={"action": "delete", "note": "spam"})
    done = await api.call("POST", f"/moderation/flags/{flags[fine['id']]['id']}/resolve", "moderator",
                          json={"action": "dismiss"})
    assert done["flag"]["status"] == "dismissed"
    await api.call("POST", f"/moderation/flags/{flags[fine['id']]['id']}/resolve", "moderator",
                   json={"action": "dismiss"}, expect=409)
    assert (await api.call("GET", "/moderation/flags", "moderator"))["flags"] == []
    page = await api.call("GET", f"/topics/{topic['id']}", "member")
    assert [(p["id"], p["content"]) for p in page["posts"]] == [(rude["id"], ""), (fine["id"], "fine")]
    assert (await api.call("GET", f"/topics/{topic['id']}", "moderator"))["posts"][0]["content"] == "rude"
    assert page["topic"]["reply_count"] == 2
    await api.call("GET", "/moderation/log", "moderator", expect=403)
    log = await api.call("GET", "/moderation/log", "admin")
    assert [e["action"] for e in log["entries"]] == ["flag_dismiss", "flag_delete", "flag_hide"]
    assert log["entries"][1]["details"]["note"] == "spam"


async def test_scoped_moderator_queue(api: Api, factory: Factory) -> None:
    mine, other = await api.forum("Mine"), await api.forum("Other")
    await factory.conn.execute("INSERT INTO moderator_assignments (org_id, user_id, forum_id) VALUES ($1, $2, $3)",
                               api.personas.acme.id, api.personas.acme.moderator.user_id, mine["id"])
    flagged = {}
    for forum in (mine, other):
        post = await api.post((await api.topic(forum["id"], "admin"))["id"], "admin")
        flagged[forum["id"]] = (await api.call("POST", f"/posts/{post['id']}/flags", json={"reason": "r"},
                                               expect=201))["flag"]
    queue = await api.call("GET", "/moderation/flags", "moderator")
    assert [f["forum_id"] for f in queue["flags"]] == [mine["id"]]
    assert len((await api.call("GET", "/moderation/flags", "admin"))["flags"]) == 2
    await api.call("POST", f"/moderation/flags/{flagged[other['id']]['id']}/resolve", "moderator",
                   json={"action": "hide"}, expect=404)


async def test_suspend_from_moderation(api: Api) -> None:
    member = api.personas.acme.member
    await api.call("POST", f"/moderation/members/{member.user_id}/suspend", "member", json={}, expect=403)
    body = await api.call("POST", f"/moderation/members/{member.user_id}/suspend", "moderator",
                          json={"reason": "cool off"})
    assert body["membership"]["status"] == "suspended"
    await api.call("GET", "/forums", "member", expect=403)
    log = await api.call("GET", "/moderation/log", "admin")
    assert log["entries"][0]["action"] == "suspend_member"


async def test_dashboard(api: Api) -> None:
    public, private = await api.forum("Lobby"), await api.forum("Staff", is_private=True, required_role="admin")
    topic = await api.topic(public["id"], "moderator", is_announcement=True, title="Welcome all")
    await api.post(topic["id"], "admin")
    await api.topic(private["id"], "admin", title="Secret plans")
    await api.call("POST", f"/forums/{public['id']}/topics", json={"title": "x", "content": "y",
                                                                  "is_announcement": True}, expect=403)
    dash = await api.call("GET", "/dashboard", "member")
    assert set(dash) >= {"organization", "stats", "forums", "recent_activity", "member_stats", "upcoming_events"}
    assert set(dash["stats"]) == {"member_count", "active_discussions", "total_posts", "active_members",
                                  "upcoming_events", "shared_resources"}
    assert dash["stats"]["active_discussions"] == 1 and dash["stats"]["total_posts"] == 2
    assert dash["stats"]["active_members"] == 2
    assert "Secret plans" not in str(dash) and "Staff" not in str(dash)
    assert [a["type"] for a in dash["recent_activity"]][:2] == ["post_created", "announcement_published"]
    assert dash["announcements"][0]["title"] == "Welcome all"
    assert (await api.call("GET", "/dashboard", "admin"))["stats"]["active_discussions"] == 2
    await api.call("GET", "/dashboard", "owner", org="globex")


async def test_dashboard_names_topics_as_they_are_now(api: Api) -> None:
    """The activity log keeps the title of when a topic was started or replied to; the dashboard shows today's."""
    lobby = await api.forum("Lobby")
    topic = await api.topic(lobby["id"], "admin", title="Old name")
    await api.post(topic["id"], "member")
    await api.call("PATCH", f"/topics/{topic['id']}", "admin", json={"title": "New name"})
    recent = (await api.call("GET", "/dashboard", "member"))["recent_activity"]
    reply = next(a for a in recent if a["type"] == "post_created")
    started = next(a for a in recent if a["type"] == "topic_created")
    assert reply["topic_title"] == "New name" and started["topic"]["title"] == "New name"
    assert "Old name" not in str(recent)
