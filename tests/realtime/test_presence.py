"""Presence is bounded: a member's presence goes to those who share a conversation with them or who
watch the org's online list (`presence:<org>`), as REST shows it (those who may list members), live
and on reconnect; a burst of connects is one frame per recipient; the node heartbeat is one statement."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from community.app import System
from community.db.queries import ws_connections
from community.services import realtime
from tests.factories import Factory, Personas
from tests.messaging.conftest import start
from tests.realtime.conftest import (
    nothing_arrives,
    open_socket,
    recv_type,
    rest_online,
    send,
    states,
    until_status,
    watch_list,
)


async def test_presence_goes_to_conversation_peers_and_list_watchers_only(
        runtime: System, personas: Personas, client: httpx.AsyncClient) -> None:
    acme = personas.acme
    runtime.handles.realtime.settings.presence_debounce = 0.05
    await start(client, acme, acme.member, acme.admin)  # the member and the admin share a conversation
    member = str(acme.member.user_id)
    async with open_socket(runtime, acme.owner, acme.slug) as owner:
        assert member not in await watch_list(owner, acme)
        async with open_socket(runtime, acme.admin, acme.slug) as admin, \
                open_socket(runtime, acme.moderator, acme.slug) as moderator, \
                open_socket(runtime, acme.guest, acme.slug) as guest:
            await send(guest, type="subscribe", channel=f"presence:{acme.id}")
            assert (await recv_type(guest, "error"))["code"] == "forbidden"  # as REST: 403
            await send(moderator, type="subscribe", channel=f"presence:{personas.globex.id}")
            assert (await recv_type(moderator, "error"))["code"] == "forbidden"  # another org's list
            async with open_socket(runtime, acme.member, acme.slug):
                seen = await until_status(admin, member, "online")  # a peer, on its org channel
                assert seen["channel"] == f"org:{acme.id}"
                await until_status(owner, member, "online")  # watches the list
                assert member in await rest_online(client, acme)
                await nothing_arrives(moderator, 0.4)  # shares nothing with anyone here, watches no list
                await nothing_arrives(guest, 0.2)
                # On reconnect: the peer starts from who of its peers is online now, as REST shows.
                async with open_socket(runtime, acme.admin, acme.slug) as again:
                    snapshot = await until_status(again, member, "online")
                    assert snapshot["snapshot"] is True and snapshot["channel"] == f"org:{acme.id}"
                    assert set(states(snapshot)) <= await rest_online(client, acme)
                async with open_socket(runtime, acme.moderator, acme.slug) as moderator_again:
                    await nothing_arrives(moderator_again, 0.4)
                # A list watcher reconnecting gets the whole list again.
                async with open_socket(runtime, acme.moderator, acme.slug) as lister:
                    assert set(await watch_list(lister, acme)) == await rest_online(client, acme)
            await until_status(admin, member, "offline")
            await until_status(owner, member, "offline")
            assert member not in await rest_online(client, acme)
            await nothing_arrives(moderator, 0.3)


async def test_a_burst_of_connects_is_one_frame_per_recipient(
        runtime: System, personas: Personas, client: httpx.AsyncClient) -> None:
    acme = personas.acme
    runtime.handles.realtime.settings.presence_debounce = 1.0
    await start(client, acme, acme.admin, acme.member, acme.moderator, title="Group")
    async with open_socket(runtime, acme.owner, acme.slug) as owner, \
            open_socket(runtime, acme.admin, acme.slug) as admin:
        await watch_list(owner, acme)
        await until_status(owner, acme.admin.user_id, "online")
        await nothing_arrives(admin, 1.2, ignore=("presence",))  # the admin's own connect has gone by
        async with open_socket(runtime, acme.member, acme.slug), open_socket(runtime, acme.moderator, acme.slug), \
                open_socket(runtime, acme.guest, acme.slug):
            to_watcher = await recv_type(owner, "presence", wait=5)
            to_peer = await recv_type(admin, "presence", wait=5)
            both = {str(acme.member.user_id): "online", str(acme.moderator.user_id): "online"}
            assert states(to_watcher) == {**both, str(acme.guest.user_id): "online"}
            assert states(to_peer) == both  # the guest shares no conversation with the admin
            await nothing_arrives(owner, 0.5)
            await nothing_arrives(admin, 0.2)


async def test_the_node_heartbeat_is_one_statement_and_makes_lost_releases(runtime: System, factory: Factory,
                                                                            personas: Personas) -> None:
    h, owner, person = runtime.handles, factory.conn, personas.acme.member.user_id
    limit, stale = 2, timedelta(seconds=30)
    crashed = uuid.uuid4()
    for _ in range(limit):
        assert await ws_connections.claim(h.db, node_id=crashed, connection_id=uuid.uuid4(), user_id=person,
                                          limit=limit, stale=stale)
    assert not await ws_connections.claim(h.db, node_id=h.node_id, connection_id=uuid.uuid4(), user_id=person,
                                          limit=limit, stale=stale)  # counted across nodes
    # A node that stops beating: its sockets stop counting once its one row is stale.
    await owner.execute("UPDATE ws_nodes SET seen_at = now() - interval '1 minute' WHERE node_id = $1", crashed)
    mine = uuid.uuid4()
    assert await ws_connections.claim(h.db, node_id=h.node_id, connection_id=mine, user_id=person, limit=limit,
                                      stale=stale)
    # A release an outage kept back waits in `unreleased`; the next heartbeat makes it.
    h.realtime.unreleased.add(mine)
    await realtime.node_heartbeat(h.db, h.realtime, h.node_id)
    assert not h.realtime.unreleased
    assert await owner.fetchval("SELECT count(*) FROM ws_connections WHERE connection_id = $1", mine) == 0
    # Ten times stale: the crashed node's rows go with it at any node's heartbeat.
    await owner.execute("UPDATE ws_nodes SET seen_at = now() - interval '10 minutes' WHERE node_id = $1", crashed)
    await realtime.node_heartbeat(h.db, h.realtime, h.node_id)
    assert await owner.fetchval("SELECT count(*) FROM ws_connections WHERE node_id = $1", crashed) == 0
    assert await owner.fetchval("SELECT count(*) FROM ws_nodes WHERE node_id = $1", crashed) == 0
    assert await owner.fetchval("SELECT seen_at > now() - interval '5 seconds' FROM ws_nodes WHERE node_id = $1",
                                h.node_id)
