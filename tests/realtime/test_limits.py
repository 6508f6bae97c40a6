"""Websocket abuse limits and the Origin check: connections per user (across nodes), channels
per socket, frames per second, and origins compared by scheme, host and port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
import trio

from community.app import System, run_system
from community.domain.origins import app_origins, parse_origin
from community.settings import Settings
from tests.factories import Personas
from tests.realtime.conftest import open_socket, recv, recv_type, send, ws_url
from tests.realtime.test_handshake import _rejected


@pytest.fixture
async def node_b(settings: Settings, runtime: System) -> AsyncIterator[System]:
    async with trio.open_nursery() as nursery:
        other: System = await nursery.start(run_system, settings)
        yield other
        nursery.cancel_scope.cancel()


async def test_connections_per_user_are_counted_across_nodes(runtime: System, node_b: System,
                                                             personas: Personas) -> None:
    acme = personas.acme
    for node in (runtime, node_b):
        node.handles.realtime.settings.max_connections_per_user = 3
    bearer = [(b"authorization", f"Bearer {acme.member.token}".encode())]
    async with AsyncExitStack() as stack:
        for node in (runtime, node_b, runtime):
            await stack.enter_async_context(open_socket(node, acme.member, acme.slug))
        for node in (runtime, node_b):  # the fourth is refused on either node
            assert await _rejected(ws_url(node, acme.slug), bearer) == 429
        async with open_socket(node_b, acme.admin, acme.slug):  # someone else is not affected
            pass
    # Closing them frees their slots.
    with trio.fail_after(10):
        while await _rejected(ws_url(runtime, acme.slug), bearer) != 101:  # noqa: ASYNC110 - polls a server
            await trio.sleep(0.05)


async def test_channels_per_socket_are_capped(runtime: System, personas: Personas,
                                              client: httpx.AsyncClient) -> None:
    acme = personas.acme
    runtime.handles.realtime.settings.max_channels = 3  # org + user + one
    forums = []
    for name in ("One", "Two"):
        r = await client.post(f"/api/orgs/{acme.slug}/forums", headers=acme.admin.auth, json={"name": name})
        forums.append(r.json()["forum"]["id"])
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        await send(ws, type="subscribe", channel=f"forum:{forums[0]}")
        assert (await recv(ws))["type"] == "subscribed"
        await send(ws, type="subscribe", channel=f"forum:{forums[1]}")
        error = await recv_type(ws, "error")
        assert (error["code"], error["channel"]) == ("bad_request", f"forum:{forums[1]}")


async def test_a_frame_flood_is_answered_rate_limited_and_the_socket_survives(runtime: System,
                                                                             personas: Personas) -> None:
    acme = personas.acme
    async with open_socket(runtime, acme.member, acme.slug) as ws, \
            open_socket(runtime, acme.admin, acme.slug) as other:
        for _ in range(300):  # pings: answered at once, so the budget (not the database) is what is measured
            await ws.send_message('{"type":"ping"}')
        error = await recv_type(ws, "error", wait=10)
        assert error["code"] == "rate_limited"
        await send(other, type="ping")
        assert (await recv_type(other, "pong"))["type"] == "pong"


def test_origins_compare_scheme_host_and_port() -> None:
    allowed = app_origins("http://localhost:8080", ["https://app.example.com"], listen_host="127.0.0.1",
                          listen_port=8080)
    for origin in ("http://localhost:8080", "http://127.0.0.1:8080", "HTTP://LOCALHOST:8080/",
                   "https://app.example.com", "https://app.example.com:443"):
        assert parse_origin(origin) in allowed, origin
    for origin in ("https://localhost:8080", "http://localhost:8081", "http://localhost", "http://app.example.com",
                   "https://app.example.com:8443", "https://app.example.com.evil.test", "null", "",
                   "http://localhost:8080/path", "http://[::1", "http://localhost:x"):
        assert parse_origin(origin) not in allowed, origin


async def test_the_websocket_accepts_the_app_at_both_loopback_names(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    for origin in (b"http://localhost:8080", b"http://127.0.0.1:8080"):
        async with open_socket(runtime, acme.member, acme.slug, headers=[(b"origin", origin)]):
            pass
    bearer = [(b"authorization", f"Bearer {acme.member.token}".encode())]
    for origin in (b"http://localhost:9999", b"https://localhost:8080", b"http://localhost.evil.test:8080"):
        assert await _rejected(ws_url(runtime, acme.slug), [*bearer, (b"origin", origin)]) == 403, origin
