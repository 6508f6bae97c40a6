"""An idle keep-alive connection outlives the clients' and proxies' idle timeouts (they close first)."""

from __future__ import annotations

import trio

from community.app import System

_GET = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


async def _answer(stream: trio.SocketStream) -> bytes:
    data = b""
    with trio.fail_after(5):
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = await stream.receive_some()
            if not chunk:
                return data
            data += chunk
    return data


async def test_a_connection_idle_past_a_client_pool_expiry_still_answers(runtime: System) -> None:
    assert runtime.http_port is not None
    async with await trio.open_tcp_stream("127.0.0.1", runtime.http_port) as stream:
        await stream.send_all(_GET)
        assert (await _answer(stream)).startswith(b"HTTP/1.1 200")
        await trio.sleep(6.5)  # past httpx's 5 s pool expiry (and hypercorn's default keep-alive)
        await stream.send_all(_GET)
        assert (await _answer(stream)).startswith(b"HTTP/1.1 200")
