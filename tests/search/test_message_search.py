"""Searching messages: participants only, through the same search as forums."""

from __future__ import annotations

import trio

from tests.factories import Factory
from tests.messaging.conftest import base, say, start
from tests.search.conftest import SearchApi


async def test_only_participants_find_a_message(api: SearchApi, factory: Factory) -> None:
    acme = api.personas.acme
    with trio.fail_after(30):
        forum = await api.forum("General")
        topic = await api.topic(forum["id"], "Ocelot sightings", "an ocelot in the park")
        group = await start(api.client, acme, acme.member, acme.admin, acme.moderator, title="Ocelot plans")
        secret = (await say(api.client, acme, acme.member, group["id"], "the ocelot budget is confidential"))["message"]
        # Many newer matches in a conversation the member is not in: visibility acts before LIMIT.
        other = await start(api.client, acme, acme.owner, acme.admin)
        noise = [(await say(api.client, acme, acme.owner, other["id"], f"ocelot note {i}"))["message"]["id"]
                 for i in range(12)]
        await api.until("ocelot", {secret["id"], *noise}, "admin", type="messages", limit=100)
        for who in ("member", "admin", "moderator"):
            assert await api.ids("ocelot", who, type="all", limit=100) >= {topic["id"], secret["id"]}
        for sort in ("recent", "relevance"):
            found = await api.search("ocelot", "member", type="all", sort=sort, limit=3)
            assert {r["id"] for r in found} == {topic["id"], secret["id"]}
        [result] = await api.search("budget", "moderator", type="messages")
        assert result["type"] == "message" and result["conversation_id"] == group["id"]
        assert result["topic_id"] is None and result["forum_id"] is None
        assert result["title"] == "Ocelot plans" and result["author"]["id"] == str(acme.member.user_id)
        assert "<mark>budget</mark>" in result["snippet"]
        [post] = await api.search("park", "member")
        assert post["conversation_id"] is None and post["forum_id"] == forum["id"]
        # The owner and the guest take no part: nothing, in any type, nor in a snippet.
        for who in ("owner", "guest"):
            assert await api.ids("budget", who) == set()
            assert await api.ids("confidential", who, type="messages") == set()
            assert secret["id"] not in await api.ids("ocelot", who, type="all", limit=100)
            assert all("budget" not in r["snippet"] for r in await api.search("ocelot", who, limit=100))
        # Another org's member: 404 on acme, and nothing of acme's in their own org.
        r = await api.client.get(f"/api/orgs/{acme.slug}/search", params={"q": "budget"},
                                 headers=api.personas.globex.owner.auth)
        assert r.status_code == 404
        assert await api.search("budget", "owner", org="globex", type="messages") == []
        # Removed from the conversation: gone at once, with no re-index.
        r = await api.client.delete(f"{base(acme)}/{group['id']}/participants/{acme.moderator.user_id}",
                                    headers=acme.member.auth)
        assert r.status_code == 204
        assert await api.ids("budget", "moderator") == set()
        assert await api.ids("budget", "admin") == {secret["id"]}
        # Removed from the org and invited back: the old participant row gives nothing.
        await factory.conn.execute("UPDATE memberships SET status = 'removed' WHERE org_id = $1 AND user_id = $2",
                                   acme.id, acme.admin.user_id)
        await factory.conn.execute("UPDATE memberships SET status = 'active', joined_at = now() "
                                   "WHERE org_id = $1 AND user_id = $2", acme.id, acme.admin.user_id)
        assert await api.ids("budget", "admin") == set()
        assert await api.ids("budget", "member") == {secret["id"]}


async def test_an_edited_message_is_found_by_its_new_text(api: SearchApi) -> None:
    acme = api.personas.acme
    with trio.fail_after(20):
        dm = await start(api.client, acme, acme.member, acme.admin)
        message = (await say(api.client, acme, acme.member, dm["id"], "the first draft"))["message"]
        await api.until("draft", {message["id"]}, "admin", type="messages")
        r = await api.client.patch(f"{base(acme)}/{dm['id']}/messages/{message['id']}",
                                   json={"content": "now about pelicans"}, headers=acme.member.auth)
        assert r.status_code == 200, r.text
        assert await api.until("pelicans", {message["id"]}, "admin", within=2.0, type="messages") < 2.0
        assert await api.ids("draft", "member") == set()
        [found] = await api.search("pelicans", "admin")
        assert found["title"] == "" and found["conversation_id"] == dm["id"]


async def test_deleted_messages_and_conversations_leave_the_index(api: SearchApi, factory: Factory) -> None:
    acme = api.personas.acme
    with trio.fail_after(20):
        dm = await start(api.client, acme, acme.member, acme.admin)
        kept = (await say(api.client, acme, acme.member, dm["id"], "a narwhal appears"))["message"]
        gone = (await say(api.client, acme, acme.member, dm["id"], "a narwhal typo"))["message"]
        await api.until("narwhal", {kept["id"], gone["id"]}, "member")
        r = await api.client.delete(f"{base(acme)}/{dm['id']}/messages/{gone['id']}", headers=acme.member.auth)
        assert r.status_code == 204
        for who in ("member", "admin"):  # at once, before any re-index
            assert await api.ids("narwhal", who) == {kept["id"]}
            assert await api.ids("typo", who) == set()
        await trio.sleep(0.5)  # and the indexer does not bring it back
        assert await api.ids("narwhal", "member") == {kept["id"]}
        await factory.conn.execute("DELETE FROM conversations WHERE org_id = $1 AND id = $2", acme.id, dm["id"])
        count = await factory.conn.fetchval("SELECT count(*) FROM search_documents WHERE org_id = $1 AND kind = $2",
                                            acme.id, "message")
        assert count == 0
