"""Live messaging on real sockets: the conversation channel, typing, receipts, removal, notifications."""

from __future__ import annotations

import httpx
import trio

from community.app import System
from tests.factories import Personas
from tests.messaging.conftest import base, say, start
from tests.realtime.conftest import nothing_arrives, open_socket, recv_type, send


async def test_participants_receive_messages_typing_and_receipts(client: httpx.AsyncClient, runtime: System,
                                                                  personas: Personas) -> None:
    acme = personas.acme
    with trio.fail_after(20):
        conv = await start(client, acme, acme.member, acme.admin)
        channel = f"conversation:{conv['id']}"
        async with open_socket(runtime, acme.admin, acme.slug) as ws, \
                open_socket(runtime, acme.owner, acme.slug) as outsider:
            await send(ws, type="subscribe", channel=channel)
            assert (await recv_type(ws, "subscribed"))["channel"] == channel
            await send(outsider, type="subscribe", channel=channel)
            assert (await recv_type(outsider, "error"))["code"] == "forbidden"

            sent = (await say(client, acme, acme.member, conv["id"], "hello *there*"))["message"]
            frame = await recv_type(ws, "message_created")
            assert frame["message"]["id"] == sent["id"] and frame["channel"] == channel
            assert "<em>there</em>" in frame["message"]["html"]

            async with open_socket(runtime, acme.member, acme.slug) as typist:
                await send(typist, type="typing", conversation_id=conv["id"])
                typing = await recv_type(ws, "typing")
                assert typing["conversation_id"] == conv["id"] and typing["user_id"] == str(acme.member.user_id)

            await client.post(f"{base(acme)}/{conv['id']}/read", json={"up_to": sent["id"]}, headers=acme.admin.auth)
            receipt = await recv_type(ws, "read")
            assert receipt["user_id"] == str(acme.admin.user_id) and receipt["last_read_message_id"] == sent["id"]
            await nothing_arrives(outsider, 0.3, ignore=("presence",))


async def test_a_removed_participant_stops_receiving_at_once(client: httpx.AsyncClient, runtime: System,
                                                             personas: Personas) -> None:
    acme = personas.acme
    with trio.fail_after(20):
        group = await start(client, acme, acme.member, acme.admin, acme.moderator, title="Team")
        channel = f"conversation:{group['id']}"
        async with open_socket(runtime, acme.moderator, acme.slug) as ws:
            await send(ws, type="subscribe", channel=channel)
            await recv_type(ws, "subscribed")
            r = await client.delete(f"{base(acme)}/{group['id']}/participants/{acme.moderator.user_id}",
                                    headers=acme.member.auth)
            assert r.status_code == 204
            await say(client, acme, acme.member, group["id"], "after removal")
            gone = await recv_type(ws, "unsubscribed")
            assert gone["channel"] == channel
            await recv_type(ws, "conversation_removed")
            await nothing_arrives(ws, 0.5, ignore=("presence", "conversation_removed", "participant_removed"))
            await send(ws, type="subscribe", channel=channel)
            assert (await recv_type(ws, "error"))["code"] == "forbidden"


async def test_new_message_notifies_participants_not_viewing(client: httpx.AsyncClient, runtime: System,
                                                             personas: Personas) -> None:
    acme = personas.acme
    with trio.fail_after(20):
        group = await start(client, acme, acme.member, acme.admin, acme.owner, title="Launch")
        channel = f"conversation:{group['id']}"
        async with open_socket(runtime, acme.admin, acme.slug) as viewing, \
                open_socket(runtime, acme.owner, acme.slug) as away:
            await send(viewing, type="subscribe", channel=channel)
            await recv_type(viewing, "subscribed")
            await say(client, acme, acme.member, group["id"], "ship it")
            note = (await recv_type(away, "notification"))["notification"]
            assert note["kind"] == "message" and note["data"]["conversation_id"] == group["id"]
            assert note["title"] == "AcmeMember in Launch" and note["excerpt"] == "ship it"
            await recv_type(viewing, "message_created")
            await nothing_arrives(viewing, 0.3, ignore=("presence",))
        listed = (await client.get("/api/notifications", headers=acme.admin.auth)).json()["notifications"]
        assert listed == []
