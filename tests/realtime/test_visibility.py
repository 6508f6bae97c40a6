"""What the matrix does not cover: presence (guests see none, as REST), notifications of content
the recipient can no longer read (never written, or listed without title and excerpt)."""

from __future__ import annotations

import httpx

from community.app import System
from tests.factories import Personas
from tests.messaging.conftest import start
from tests.realtime.conftest import nothing_arrives, open_socket, recv_type, send, until_status, watch_list
from tests.realtime.test_notifications import _wait_for


async def test_guests_see_no_presence_live_or_by_rest(runtime: System, personas: Personas,
                                                      client: httpx.AsyncClient) -> None:
    acme = personas.acme
    runtime.handles.realtime.settings.presence_debounce = 0.05
    await start(client, acme, acme.admin, acme.guest)  # even a guest who shares a conversation
    async with open_socket(runtime, acme.guest, acme.slug) as guest, \
            open_socket(runtime, acme.member, acme.slug) as member:
        await watch_list(member, acme)
        await send(guest, type="subscribe", channel=f"presence:{acme.id}")
        assert (await recv_type(guest, "error"))["code"] == "forbidden"
        async with open_socket(runtime, acme.admin, acme.slug):
            await until_status(member, acme.admin.user_id, "online")
        await nothing_arrives(guest, 0.5, ignore=())
    assert (await client.get(f"/api/orgs/{acme.slug}/presence", headers=acme.guest.auth)).status_code == 403
    assert (await client.get(f"/api/orgs/{acme.slug}/presence", headers=acme.member.auth)).status_code == 200


async def test_a_watched_forum_made_private_hides_its_notifications(runtime: System, personas: Personas,
                                                                    client: httpx.AsyncClient) -> None:
    acme = personas.acme
    base = f"/api/orgs/{acme.slug}"
    forum = (await client.post(f"{base}/forums", headers=acme.admin.auth, json={"name": "Watched"})).json()["forum"]
    assert (await client.put(f"{base}/forums/{forum['id']}/watch", headers=acme.guest.auth)).status_code == 204
    r = await client.post(f"{base}/forums/{forum['id']}/topics", headers=acme.admin.auth,
                          json={"title": "Launch plan", "content": "The launch plan, in detail"})
    assert r.status_code == 201
    [note] = await _wait_for(client, acme.guest.auth, 1)
    assert (note["title"], note["actor_name"], note["available"]) == ("Launch plan", acme.admin.display_name, True)

    r = await client.patch(f"{base}/forums/{forum['id']}", headers=acme.admin.auth,
                           json={"is_private": True, "required_role": "member"})
    assert r.status_code == 200
    [note] = (await client.get("/api/notifications", headers=acme.guest.auth)).json()["notifications"]
    assert (note["title"], note["excerpt"], note["actor_name"], note["available"]) == ("", "", None, False)
    assert "Launch" not in str(note) and acme.admin.display_name not in str(note)
    # Still watching, but no longer told: a new topic there notifies nobody who cannot read it.
    other = (await client.post(f"{base}/forums", headers=acme.admin.auth, json={"name": "Other"})).json()["forum"]
    assert (await client.put(f"{base}/forums/{other['id']}/watch", headers=acme.guest.auth)).status_code == 204
    for where, title in ((forum, "Second plan"), (other, "Elsewhere")):  # the writer takes them in order
        r = await client.post(f"{base}/forums/{where['id']}/topics", headers=acme.admin.auth,
                              json={"title": title, "content": "more"})
        assert r.status_code == 201
    notes = await _wait_for(client, acme.guest.auth, 2)
    assert [n["title"] for n in notes] == ["Elsewhere", ""]


async def test_a_reply_in_a_topic_moved_out_of_reach_notifies_no_one_who_cannot_read_it(
        runtime: System, personas: Personas, client: httpx.AsyncClient) -> None:
    acme = personas.acme
    base = f"/api/orgs/{acme.slug}"
    open_forum = (await client.post(f"{base}/forums", headers=acme.admin.auth, json={"name": "Open"})).json()["forum"]
    r = await client.post(f"{base}/forums", headers=acme.admin.auth,
                          json={"name": "Staff", "is_private": True, "required_role": "moderator"})
    staff = r.json()["forum"]
    r = await client.post(f"{base}/forums/{open_forum['id']}/topics", headers=acme.member.auth,
                          json={"title": "My question", "content": "help"})
    topic = r.json()["topic"]
    r = await client.patch(f"{base}/topics/{topic['id']}", headers=acme.admin.auth, json={"forum_id": staff["id"]})
    assert r.status_code == 200, r.text
    r = await client.post(f"{base}/topics/{topic['id']}/posts", headers=acme.admin.auth,
                          json={"content": "A staff-only answer, @acmemember"})
    assert r.status_code == 201
    r = await client.post(f"{base}/topics/{topic['id']}/posts", headers=acme.admin.auth,
                          json={"content": "and @acmemoderator"})
    await _wait_for(client, acme.moderator.auth, 1)  # the writer ran for both posts by now (in order)
    assert (await client.get("/api/notifications", headers=acme.member.auth)).json()["notifications"] == []
