"""Notifications: who gets one, the `notification` frame, the API, the unread count."""

from __future__ import annotations

import httpx
import trio

from community.app import System
from tests.factories import Personas
from tests.realtime.conftest import open_socket, recv_type
from tests.realtime.test_cluster import make_topic


async def _unread(client: httpx.AsyncClient, auth: dict[str, str]) -> int:
    count: int = (await client.get("/api/me", headers=auth)).json()["unread_notifications"]
    return count


async def _wait_for(client: httpx.AsyncClient, auth: dict[str, str], n: int) -> list[dict[str, object]]:
    with trio.fail_after(5):
        while True:
            found: list[dict[str, object]] = (await client.get("/api/notifications", headers=auth)).json()[
                "notifications"]
            if len(found) >= n:
                return found
            await trio.sleep(0.05)


async def test_mention_and_reply_notify_with_a_frame(runtime: System, personas: Personas,
                                                     client: httpx.AsyncClient) -> None:
    acme = personas.acme
    topic = (await make_topic(client, personas))["topic"]  # by the admin
    async with open_socket(runtime, acme.moderator, acme.slug) as moderator:
        r = await client.post(f"/api/orgs/{acme.slug}/topics/{topic['id']}/posts", headers=acme.member.auth,
                              json={"content": "Agreed, @acmemoderator what do you think?"})
        assert r.status_code == 201, r.text
        frame = await recv_type(moderator, "notification")
        assert frame["channel"] == f"user:{acme.moderator.user_id}"
        note = frame["notification"]
        # Who and where, live: the topic's title and the replier's name (not "New reply").
        assert (note["kind"], note["title"], note["actor_name"]) == ("mention", "Hello there",
                                                                     acme.member.display_name)
    admin_notes = await _wait_for(client, acme.admin.auth, 1)
    assert [(n["kind"], n["title"], n["actor_name"]) for n in admin_notes] == [
        ("reply", "Hello there", acme.member.display_name)]
    assert (await client.get("/api/notifications", headers=acme.member.auth)).json()["notifications"] == []


async def test_watching_a_forum_and_reading(runtime: System, personas: Personas,
                                            client: httpx.AsyncClient) -> None:
    acme = personas.acme
    forum = (await make_topic(client, personas))["forum"]
    r = await client.put(f"/api/orgs/{acme.slug}/forums/{forum['id']}/watch", headers=acme.member.auth)
    assert r.status_code == 204
    for title in ("One", "Two"):
        r = await client.post(f"/api/orgs/{acme.slug}/forums/{forum['id']}/topics", headers=acme.admin.auth,
                              json={"title": title, "content": "news"})
        assert r.status_code == 201
    notes = await _wait_for(client, acme.member.auth, 2)
    assert {n["kind"] for n in notes} == {"watched_forum"}
    assert await _unread(client, acme.member.auth) == 2
    page = (await client.get("/api/notifications?limit=1&unread=true", headers=acme.member.auth)).json()
    assert len(page["notifications"]) == 1 and page["next_cursor"]
    r = await client.post("/api/notifications/read", headers=acme.member.auth,
                          json={"ids": [page["notifications"][0]["id"]]})
    assert r.json() == {"marked": 1, "unread_count": 1}
    r = await client.post("/api/notifications/read", headers=acme.member.auth, json={"all": True})
    assert r.json() == {"marked": 1, "unread_count": 0}
    assert (await client.post("/api/notifications/read", headers=acme.member.auth, json={})).status_code == 422
    r = await client.delete(f"/api/orgs/{acme.slug}/forums/{forum['id']}/watch", headers=acme.member.auth)
    assert r.status_code == 204


async def test_watching_what_you_cannot_see_is_404(runtime: System, personas: Personas,
                                                   client: httpx.AsyncClient) -> None:
    acme, globex = personas.acme, personas.globex
    made = await make_topic(client, personas, private=True)
    r = await client.put(f"/api/orgs/{acme.slug}/topics/{made['topic']['id']}/watch", headers=acme.member.auth)
    assert r.status_code == 404
    r = await client.put(f"/api/orgs/{globex.slug}/forums/{made['forum']['id']}/watch", headers=globex.owner.auth)
    assert r.status_code == 404
