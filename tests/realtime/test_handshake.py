"""The handshake and the frames every socket sees: welcome, ping, errors, close codes."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx
import pytest
import trio
from trio_websocket import open_websocket_url

from community.app import System
from tests.factories import Factory, Personas
from tests.realtime.conftest import close_code, emit, open_socket, recv, recv_type, send, ws_url
from tests.tls import TLS


async def _rejected(url: str, headers: list[tuple[bytes, bytes]] | None = None) -> int:
    """The status of a raw upgrade request (the trio-websocket client leaks its socket on a refusal)."""
    parts = urlsplit(url)
    lines = [f"GET {parts.path}?{parts.query} HTTP/1.1", f"Host: 127.0.0.1:{parts.port}", "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]
    lines += [f"{k.decode()}: {v.decode()}" for k, v in headers or []]
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream("127.0.0.1", parts.port or 0)
        async with stream:
            await stream.send_all(("\r\n".join(lines) + "\r\n\r\n").encode())
            head = await stream.receive_some(4096)
    return int(head.split(b" ", 2)[1])


async def test_a_bad_resume_after_on_the_handshake_is_refused_422(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    auth = [(b"authorization", f"Bearer {acme.member.token}".encode())]
    for bad in ("-1", "x", "1.5", "9" * 30):
        assert await _rejected(ws_url(runtime, acme.slug, after=bad), auth) == 422, bad
    assert await _rejected(ws_url(runtime, acme.slug, after="x")) == 401  # who is asking comes first


async def test_welcome_names_the_joined_channels(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    async with open_socket(runtime, acme.member, acme.slug, welcome=False) as ws:
        welcome = await recv(ws)
    assert welcome["type"] == "welcome"
    assert welcome["user_id"] == str(acme.member.user_id)
    assert welcome["org_id"] == str(acme.id)
    assert welcome["channels"] == [f"org:{acme.id}", f"user:{acme.member.user_id}"]


async def test_token_in_the_query_and_ping(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    with trio.fail_after(5):
        async with open_websocket_url(ws_url(runtime, acme.id, access_token=acme.guest.token)) as ws:
            assert (await recv(ws))["type"] == "welcome"
            await send(ws, type="ping")
            assert await recv(ws) == {"type": "pong"}


async def test_refusals_before_the_upgrade(runtime: System, personas: Personas) -> None:
    acme, globex = personas.acme, personas.globex
    assert await _rejected(ws_url(runtime, acme.slug)) == 401
    assert await _rejected(ws_url(runtime, acme.slug, access_token="not-a-jwt")) == 401
    bearer = [(b"authorization", f"Bearer {globex.owner.token}".encode())]
    assert await _rejected(ws_url(runtime, acme.slug), bearer) == 404
    assert await _rejected(ws_url(runtime, "no-such-org"), bearer) == 404
    own = [(b"authorization", f"Bearer {acme.member.token}".encode())]
    assert await _rejected(ws_url(runtime, acme.slug), [*own, (b"origin", b"https://evil.example")]) == 403
    assert await _rejected(f"ws://127.0.0.1:{runtime.ws_port}/elsewhere", own) == 404


async def test_own_origin_and_custom_domain_are_accepted(runtime: System, personas: Personas,
                                                         factory: Factory) -> None:
    acme = personas.acme
    await factory.conn.execute("UPDATE organizations SET custom_domain = 'forum.acme.example' WHERE id = $1", acme.id)
    for origin in (runtime.handles.settings.next_public_app_url, "https://forum.acme.example"):
        async with open_socket(runtime, acme.member, acme.slug, headers=[(b"origin", origin.encode())]):
            pass


async def test_subscribe_checks_like_rest(runtime: System, personas: Personas) -> None:
    acme, globex = personas.acme, personas.globex
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        for channel in (f"org:{globex.id}", f"user:{acme.owner.user_id}",
                        "conversation:00000000-0000-0000-0000-000000000000",
                        "forum:00000000-0000-0000-0000-000000000000"):
            await send(ws, type="subscribe", channel=channel)
            assert await recv(ws) == {"type": "error", "code": "forbidden", "channel": channel,
                                      "message": "You may not subscribe to this channel."}
        for channel in ("nonsense", "topic:not-a-uuid", 42):
            await send(ws, type="subscribe", channel=channel)
            frame = await recv(ws)
            assert (frame["type"], frame["code"]) == ("error", "bad_request")
        await send(ws, type="dance")
        assert (await recv(ws))["code"] == "bad_request"
        await send(ws, type="unsubscribe", channel=f"org:{acme.id}")
        assert await recv(ws) == {"type": "unsubscribed", "channel": f"org:{acme.id}"}
        await send(ws, type="subscribe", channel=f"org:{acme.id}")
        assert await recv(ws) == {"type": "subscribed", "channel": f"org:{acme.id}"}


async def test_events_arrive_with_increasing_ids(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    async with open_socket(runtime, acme.member, acme.slug) as ws, \
            open_socket(runtime, personas.globex.member, personas.globex.slug) as other:
        first = await emit(runtime, acme.id, acme.owner, note="one")
        await emit(runtime, acme.id, acme.owner, note="two")
        a, b = await recv(ws), await recv(ws)
        assert a == {"type": "organization_updated", "id": first.seq, "channel": f"org:{acme.id}", "note": "one"}
        assert (b["id"], b["note"]) == (first.seq + 1, "two")
        with trio.move_on_after(0.3):
            assert await other.get_message() is None  # nothing of acme's reaches globex


@pytest.mark.parametrize("frame", ["not json", "[1, 2]", json.dumps({"type": "ping", "pad": "x" * 70_000})])
async def test_bad_frames_close_1008(runtime: System, personas: Personas, frame: str) -> None:
    acme = personas.acme
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        await ws.send_message(frame)
        assert await close_code(ws) == 1008


async def test_expired_token_closes_4401(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    short = runtime.handles.identity.keys.issue(str(acme.member.user_id), issuer=runtime.handles.settings.token_issuer,
                               audience=runtime.handles.settings.token_audience, ttl_seconds=3)
    with trio.fail_after(10):
        async with open_websocket_url(ws_url(runtime, acme.slug, access_token=short)) as ws:
            assert (await recv(ws))["type"] == "welcome"
            assert await close_code(ws) == 4401


async def test_removed_member_closes_4403(runtime: System, personas: Personas, client: object) -> None:
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    acme = personas.acme
    async with open_socket(runtime, acme.member, acme.slug) as gone, \
            open_socket(runtime, acme.admin, acme.slug) as stay:
        r = await client.delete(f"/api/orgs/{acme.slug}/members/{acme.member.user_id}", headers=acme.owner.auth)
        assert r.status_code == 204
        assert await close_code(gone) == 4403
        left = await recv(stay)
        assert left["type"] == "member_left"


async def test_shutdown_closes_1001(settings: object, personas: Personas, runtime: System) -> None:
    from community.app import run_system
    from community.settings import Settings

    assert isinstance(settings, Settings)
    acme = personas.acme
    async with trio.open_nursery() as nursery:
        node: System = await nursery.start(run_system, settings)
        async with open_socket(node, acme.member, acme.slug) as ws:
            nursery.cancel_scope.cancel()
            assert await close_code(ws) == 1001


async def test_suspended_member_closes_4403(runtime: System, personas: Personas, client: object) -> None:
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    acme = personas.acme
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        r = await client.patch(f"/api/orgs/{acme.slug}/members/{acme.member.user_id}", headers=acme.admin.auth,
                               json={"status": "suspended"})
        assert r.status_code == 200, r.text
        assert await close_code(ws) == 4403


async def test_pings_keep_a_live_peer(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    runtime.handles.realtime.settings.ping_interval, runtime.handles.realtime.settings.ping_timeout = 0.2, 0.5
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        await trio.sleep(1.5)
        await send(ws, type="ping")
        assert (await recv(ws))["type"] in ("pong", "presence")


async def test_a_role_change_drops_forum_and_topic_subscriptions(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    async with httpx.AsyncClient(verify=TLS, base_url=f"http://127.0.0.1:{runtime.http_port}") as client:
        r = await client.post(f"/api/orgs/{acme.slug}/forums", headers=acme.admin.auth,
                              json={"name": "Staff", "is_private": True, "required_role": "moderator"})
        forum = r.json()["forum"]
        channel = f"forum:{forum['id']}"
        async with open_socket(runtime, acme.moderator, acme.slug) as ws:
            await send(ws, type="subscribe", channel=channel)
            assert await recv(ws) == {"type": "subscribed", "channel": channel}
            r = await client.patch(f"/api/orgs/{acme.slug}/members/{acme.moderator.user_id}",
                                   json={"role": "member"}, headers=acme.admin.auth)
            assert r.status_code == 200
            gone = await recv_type(ws, "unsubscribed")
            assert (gone["channel"], gone["reason"]) == (channel, "role_changed")
            await send(ws, type="subscribe", channel=channel)
            assert (await recv_type(ws, "error"))["code"] == "forbidden"
