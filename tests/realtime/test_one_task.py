"""One task per socket, timers shared by the node: what an open socket costs the server."""

from __future__ import annotations

import trio
import trio.lowlevel
import trio.testing

from community.app import System
from community.realtime.timers import Timers
from tests.factories import Personas
from tests.realtime.conftest import open_socket, recv, send


def _connection_tasks() -> list[trio.lowlevel.Task]:
    """The listener's per-connection tasks (trio's serve_listeners names them `_run_handler`)."""
    found, stack = [], [trio.lowlevel.current_root_task()]
    while stack:
        task = stack.pop()
        if task is None:
            continue
        if task.name.endswith("_run_handler"):
            found.append(task)
        stack.extend(child for nursery in task.child_nurseries for child in nursery.child_tasks)
    return found


async def test_an_open_socket_is_one_task_and_no_nursery(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    async with open_socket(runtime, acme.member, acme.slug) as a, open_socket(runtime, acme.admin, acme.slug) as b:
        for ws in (a, b):
            await send(ws, type="subscribe", channel=f"org:{acme.id}")
            await send(ws, type="ping")
            while (await recv(ws))["type"] != "pong":
                pass
        tasks = _connection_tasks()
        assert len(tasks) == 2
        assert all(not task.child_nurseries for task in tasks)  # no reader, writer, pinger or timer of its own
        assert len(runtime.handles.registry.connections()) == 2


async def _upgrade_and_go_silent(runtime: System, persona_token: str, org: str) -> bytes:
    """A client that completes the handshake, then neither reads nor answers pings; what it got."""
    request = (f"GET /ws?org={org} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               f"Authorization: Bearer {persona_token}\r\n\r\n").encode()
    received = b""
    stream = await trio.open_tcp_stream("127.0.0.1", runtime.ws_port or 0)
    async with stream:
        await stream.send_all(request)
        with trio.move_on_after(10):
            while b"\x88\x13\x03\xe9" not in received:  # a close frame, 1001 "no answer to ping"
                data = await stream.receive_some(65536)
                if not data:
                    break
                received += data
    return received


async def test_a_peer_that_never_answers_pings_is_closed_1001(runtime: System, personas: Personas) -> None:
    settings = runtime.handles.realtime.settings
    settings.ping_interval, settings.ping_timeout = 0.2, 0.3
    with trio.fail_after(20):
        received = await _upgrade_and_go_silent(runtime, personas.acme.member.token, personas.acme.slug)
    assert received.startswith(b"HTTP/1.1 101")
    assert b'"type":"welcome"' in received
    assert b"\x89\x00" in received  # the shared timer's ping
    assert b"\x88\x13\x03\xe9no answer to ping" in received


async def test_timers_fire_in_order_and_cancelled_ones_never(autojump_clock: trio.testing.MockClock) -> None:
    timers, fired = Timers(), []
    async with trio.open_nursery() as nursery:
        await nursery.start(timers.run)
        timers.call_later(3, lambda: fired.append("c"))
        timers.call_later(1, lambda: fired.append("a"))
        dropped = timers.call_later(2, lambda: fired.append("never"))
        timers.call_later(2, lambda: fired.append("b"))
        dropped.cancel()
        await trio.sleep(5)
        assert fired == ["a", "b", "c"]
        for _ in range(3000):  # long timers of sockets gone leave their slots at once
            timers.call_later(3600, lambda: fired.append("never")).cancel()
        timers.call_later(1, lambda: fired.append("d"))
        assert len(timers._slots) == 1 and len(timers) == 1
        await trio.sleep(2)
        assert fired == ["a", "b", "c", "d"] and len(timers) == 0
        nursery.cancel_scope.cancel()


async def test_timers_of_one_slot_fire_in_one_wakeup_never_early(autojump_clock: trio.testing.MockClock) -> None:
    """10,000 sockets' pings are ~330 deadlines a second: one wake-up per 50 ms slot, not per deadline."""
    timers, late = Timers(), []
    async with trio.open_nursery() as nursery:
        await nursery.start(timers.run)
        start = trio.current_time()
        for i in range(1000):  # 1,000 deadlines spread over one second
            due = start + 1 + i / 1000

            def fire(due: float = due) -> None:
                late.append(trio.current_time() - due)

            timers.call_at(due, fire)
        await trio.sleep(3)
        assert len(late) == 1000
        assert min(late) >= 0 and max(late) <= 0.05 + 1e-9  # never early, at most one slot late
        assert timers.wakeups <= 21  # one per 50 ms slot (20 in the second, and a boundary)
        nursery.cancel_scope.cancel()
