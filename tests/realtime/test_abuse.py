"""Many hostile clients at once while a normal one keeps working; the listener stays up.

At the same time: slowloris handshakes (a byte every half second), idle sockets that never read
while events flood their org, oversize frames, frame floods, bad JSON and JSON-escaped lone
surrogates. The normal client receives every event, in order, once; /healthz stays fast; no
child of the tree restarts. (Issue 11: websocket abuse, proof under faults.)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, connect_websocket_url

from community.app import System
from community.realtime.protocol import MAX_FRAME_BYTES
from tests.factories import Factory, Persona, Personas
from tests.realtime.conftest import emit, open_socket, recv_type, send, ws_url
from tests.realtime.test_hostile import _still_serving
from tests.tls import TLS

IDLE_USERS, IDLE_PER_USER = 10, 15  # 150 sockets that never read
SLOWLORIS = 40
ABUSE_SECONDS = 8
EVENTS = 300  # past an idle socket's outbox (256): the registry must drop those, not wait on them


async def _slowloris(runtime: System, org: str, stop: trio.Event) -> None:
    request = (f"GET /ws?org={org} HTTP/1.1\r\nHost: 127.0.0.1:{runtime.ws_port}\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
    try:
        stream = await trio.open_tcp_stream("127.0.0.1", runtime.ws_port)
    except OSError:
        return
    async with stream:
        for byte in request.encode():
            if stop.is_set():
                return
            try:
                await stream.send_all(bytes([byte]))
            except trio.BrokenResourceError:  # the server gave up on the handshake: as it should
                return
            await trio.sleep(0.5)


async def _hostile(runtime: System, persona: Persona, org: str, stop: trio.Event, closes: list[int]) -> None:
    """One abusive session after another: each may be closed (1008, 1009), never the listener."""
    frames: list[str] = ["x" * (MAX_FRAME_BYTES + 10), "{not json", '{"type": "subscribe", "channel": "topic:\\ud800"}',
                         '{"type": "\\udfff"}', "[" * 5000 + "]" * 5000, json.dumps({"type": "ping"}) * 3]
    turn = 0
    while not stop.is_set():
        turn += 1
        try:
            # Bounded handshakes both ways: trio-websocket waits 60 s for each by default, so under load a
            # session that had started when `stop` was set held the test up to two minutes past it.
            async with open_socket(runtime, persona, org, connect_timeout=10, disconnect_timeout=2) as ws:
                try:
                    if turn % 2:  # a flood: the frame budget answers rate_limited (and drops what follows)
                        for _ in range(200):
                            await send(ws, type="ping")
                    for frame in frames[turn % len(frames):] + frames[:turn % len(frames)]:
                        await ws.send_message(frame)
                    with trio.move_on_after(1):
                        while True:
                            await ws.get_message()
                except ConnectionClosed as closed:
                    closes.append(int(closed.reason.code))
                finally:
                    with trio.CancelScope(shield=True):
                        await ws._stream.aclose()
        except (ConnectionClosed, OSError, trio.BrokenResourceError):
            pass


@asynccontextmanager
async def _idle_sockets(runtime: System, people: list[Persona], org: str) -> AsyncIterator[list[WebSocketConnection]]:
    """Sockets that never read: trio-websocket stops reading TCP once its one-message queue is full.

    Dropped at the end, not closed: a clean close would have the client library answer the
    server's pings while closing, which wsproto refuses (the client's failure, not the server's).
    """
    async with trio.open_nursery() as nursery:
        sockets = []
        for person in people:
            for _ in range(IDLE_PER_USER):
                auth = [(b"authorization", f"Bearer {person.token}".encode())]
                sockets.append(await connect_websocket_url(nursery, ws_url(runtime, org), extra_headers=auth,
                                                           message_queue_size=1))
        try:
            yield sockets
        finally:
            with trio.CancelScope(shield=True):
                for ws in sockets:
                    await ws._stream.aclose()
            nursery.cancel_scope.cancel()


async def _healthz_times(runtime: System, stop: trio.Event, times: list[float]) -> None:
    async with httpx.AsyncClient(verify=TLS, base_url=f"http://127.0.0.1:{runtime.http_port}", timeout=10) as client:
        while not stop.is_set():
            start = trio.current_time()
            assert (await client.get("/healthz")).status_code == 200
            times.append(trio.current_time() - start)
            await trio.sleep(0.05)


async def test_a_normal_client_is_unaffected_by_many_hostile_ones(
        runtime: System, personas: Personas, factory: Factory) -> None:
    acme = personas.acme
    people = [await factory.user(f"Idle{i}") for i in range(IDLE_USERS)]
    for person in people:
        await factory.join(acme, person, "member")
    stop, closes, times = trio.Event(), [], []
    with trio.fail_after(150):
        async with open_socket(runtime, acme.admin, acme.slug) as normal, \
                _idle_sockets(runtime, people, acme.slug), trio.open_nursery() as nursery:
            for _ in range(SLOWLORIS):
                nursery.start_soon(_slowloris, runtime, acme.slug, stop)
            for persona in (acme.member, acme.guest, acme.moderator):
                nursery.start_soon(_hostile, runtime, persona, acme.slug, stop, closes)
            nursery.start_soon(_healthz_times, runtime, stop, times)
            begun = trio.current_time()
            sent = [(await emit(runtime, acme.id, acme.owner, note=f"n{i}")).seq for i in range(EVENTS)]
            got = []
            while len(got) < EVENTS:
                got.append((await recv_type(normal, "organization_updated", wait=20))["id"])
            await trio.sleep_until(begun + ABUSE_SECONDS)  # the abuse goes on: the normal client still works
            sent.append((await emit(runtime, acme.id, acme.owner, note="last")).seq)
            got.append((await recv_type(normal, "organization_updated", wait=20))["id"])
            await send(normal, type="ping")
            assert await recv_type(normal, "pong") == {"type": "pong"}
            stop.set()
    assert got == sent  # every event, in order, once
    assert closes, "the hostile sessions never got as far as a close"
    assert set(closes) <= {1008, 1009}, closes  # hostile sessions closed for what they sent, never 1011
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1]
    print(f"abuse: {len(times)} /healthz, p50 {times[len(times) // 2] * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; "
          f"{len(closes)} hostile sessions closed")
    assert p99 < 1.0
    await _still_serving(runtime, personas)
