"""Two app instances on one database: events, typing and presence cross nodes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import trio

from community.app import System, run_system
from community.settings import Settings
from tests.factories import Personas
from tests.messaging.conftest import start
from tests.realtime.conftest import emit, nothing_arrives, open_socket, recv_type, send, until_status, watch_list


@pytest.fixture
async def node_b(settings: Settings, runtime: System) -> AsyncIterator[System]:
    async with trio.open_nursery() as nursery:
        other: System = await nursery.start(run_system, settings)
        yield other
        nursery.cancel_scope.cancel()


async def make_topic(client: httpx.AsyncClient, personas: Personas, *, private: bool = False) -> dict[str, Any]:
    acme = personas.acme
    r = await client.post(f"/api/orgs/{acme.slug}/forums", headers=acme.admin.auth,
                          json={"name": f"Forum {private}", "is_private": private,
                                **({"required_role": "moderator"} if private else {})})
    assert r.status_code == 201, r.text
    forum = r.json()["forum"]
    r = await client.post(f"/api/orgs/{acme.slug}/forums/{forum['id']}/topics", headers=acme.admin.auth,
                          json={"title": "Hello there", "content": "First!"})
    assert r.status_code == 201, r.text
    return {"forum": forum, "topic": r.json()["topic"]}


async def test_an_event_committed_on_one_node_reaches_sockets_on_the_other(
        runtime: System, node_b: System, personas: Personas) -> None:
    acme = personas.acme
    async with open_socket(node_b, acme.member, acme.slug) as remote, \
            open_socket(runtime, acme.guest, acme.slug) as local:
        sent = await emit(runtime, acme.id, acme.owner, note="across")
        for ws in (remote, local):
            frame = await recv_type(ws, "organization_updated")
            assert (frame["id"], frame["note"]) == (sent.seq, "across")
        await nothing_arrives(remote, 0.3, ignore=("presence",))  # exactly once per socket


async def test_typing_crosses_nodes_throttled_and_never_echoed(
        runtime: System, node_b: System, personas: Personas, client: httpx.AsyncClient) -> None:
    acme = personas.acme
    topic = (await make_topic(client, personas))["topic"]
    channel = f"topic:{topic['id']}"
    async with open_socket(runtime, acme.member, acme.slug) as typist, \
            open_socket(node_b, acme.admin, acme.slug) as watcher:
        for ws in (typist, watcher):
            await send(ws, type="subscribe", channel=channel)
            assert (await recv_type(ws, "subscribed"))["channel"] == channel
        await send(typist, type="typing", topic_id=topic["id"])
        await send(typist, type="typing", topic_id=topic["id"])  # within 3 s: dropped
        frame = await recv_type(watcher, "typing")
        assert frame == {"type": "typing", "topic_id": topic["id"], "user_id": str(acme.member.user_id),
                         "user_name": acme.member.display_name, "channel": channel}
        await nothing_arrives(watcher, 0.5, ignore=("presence",))
        await nothing_arrives(typist, 0.2, ignore=("presence",))


async def test_the_typing_throttle_holds_across_nodes(
        runtime: System, node_b: System, personas: Personas, client: httpx.AsyncClient) -> None:
    """The typist on both nodes at once: still one frame per interval (a per-node throttle sends two)."""
    acme = personas.acme
    topic = (await make_topic(client, personas))["topic"]
    channel = f"topic:{topic['id']}"
    async with open_socket(runtime, acme.member, acme.slug) as here, \
            open_socket(node_b, acme.member, acme.slug) as there, \
            open_socket(runtime, acme.admin, acme.slug) as watcher:
        for ws in (here, there, watcher):
            await send(ws, type="subscribe", channel=channel)
            assert (await recv_type(ws, "subscribed"))["channel"] == channel
        await send(here, type="typing", topic_id=topic["id"])
        assert (await recv_type(watcher, "typing"))["user_id"] == str(acme.member.user_id)
        await send(there, type="typing", topic_id=topic["id"])  # the other node, within 3 s: dropped
        await nothing_arrives(watcher, 0.8, ignore=("presence",))
        for node in (runtime, node_b):
            node.handles.realtime.settings.typing_interval = 0.3
        await trio.sleep(0.4)
        await send(there, type="typing", topic_id=topic["id"])  # after the interval: delivered
        assert (await recv_type(watcher, "typing"))["user_id"] == str(acme.member.user_id)


async def test_private_forum_channels_are_as_private_as_the_forum(
        runtime: System, personas: Personas, client: httpx.AsyncClient) -> None:
    acme = personas.acme
    made = await make_topic(client, personas, private=True)
    async with open_socket(runtime, acme.member, acme.slug) as member, \
            open_socket(runtime, acme.moderator, acme.slug) as moderator:
        for channel in (f"forum:{made['forum']['id']}", f"topic:{made['topic']['id']}"):
            await send(member, type="subscribe", channel=channel)
            assert (await recv_type(member, "error"))["code"] == "forbidden"
            await send(moderator, type="subscribe", channel=channel)
            assert (await recv_type(moderator, "subscribed"))["channel"] == channel
        await send(member, type="typing", topic_id=made["topic"]["id"])
        assert (await recv_type(member, "error"))["code"] == "forbidden"


async def test_presence_spans_nodes(runtime: System, node_b: System, personas: Personas,
                                    client: httpx.AsyncClient) -> None:
    acme = personas.acme
    for node in (runtime, node_b):
        node.handles.realtime.settings.presence_debounce = 0.1
    await start(client, acme, acme.owner, acme.member)
    async with open_socket(runtime, acme.admin, acme.slug) as admin, \
            open_socket(runtime, acme.owner, acme.slug) as peer:
        await watch_list(admin, acme)  # the org's online list, on node A
        async with open_socket(node_b, acme.member, acme.slug):  # the member, on node B
            await until_status(admin, acme.member.user_id, "online")
            await until_status(peer, acme.member.user_id, "online")  # shares a conversation with them
            r = await client.get(f"/api/orgs/{acme.slug}/presence", headers=acme.moderator.auth)
            online = {u["user"]["id"] for u in r.json()["online"]}
            assert {str(acme.admin.user_id), str(acme.member.user_id)} <= online
        await until_status(admin, acme.member.user_id, "offline")
        await until_status(peer, acme.member.user_id, "offline")
        r = await client.get(f"/api/orgs/{acme.slug}/presence", headers=acme.moderator.auth)
        assert str(acme.member.user_id) not in {u["user"]["id"] for u in r.json()["online"]}


async def test_a_removed_participant_stops_receiving_on_every_node(
        runtime: System, node_b: System, personas: Personas, client: httpx.AsyncClient) -> None:
    from tests.messaging.conftest import base, say, start

    acme = personas.acme
    with trio.fail_after(20):
        group = await start(client, acme, acme.member, acme.admin, acme.moderator, title="Team")
        channel = f"conversation:{group['id']}"
        async with open_socket(node_b, acme.moderator, acme.slug) as remote:
            await send(remote, type="subscribe", channel=channel)
            await recv_type(remote, "subscribed")
            r = await client.delete(f"{base(acme)}/{group['id']}/participants/{acme.moderator.user_id}",
                                    headers=acme.member.auth)
            assert r.status_code == 204
            gone = await recv_type(remote, "unsubscribed")
            assert gone["channel"] == channel
            await say(client, acme, acme.member, group["id"], "after removal")
            await nothing_arrives(remote, 0.8, ignore=("presence", "conversation_removed", "participant_removed",
                                                       "notification"))
