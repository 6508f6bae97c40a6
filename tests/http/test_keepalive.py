"""Every request on a keep-alive connection is answered: good ones, 4xx, and errors sent before the body is read."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import h11
import pytest
import trio

from community.app import System
from community.settings import Settings
from tests.factories import Personas

MAX_BODY = 4096


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_body_bytes": MAX_BODY})


@dataclass
class Call:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    expect: int
    split: bool = False  # headers first, the body a moment later: the server answers before it arrives


class H11Client:
    """One keep-alive connection at a time, reopened only when the server said `Connection: close`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.stream: trio.SocketStream | None = None
        self.conn = h11.Connection(h11.CLIENT)
        self.connections = 0

    async def _open(self) -> trio.SocketStream:
        if self.stream is None:
            self.stream = await trio.open_tcp_stream("127.0.0.1", self.port)
            self.conn = h11.Connection(h11.CLIENT)
            self.connections += 1
        return self.stream

    async def call(self, call: Call) -> int:
        stream = await self._open()
        headers = [("Host", "test"), ("Content-Length", str(len(call.body))), *call.headers]
        await stream.send_all(self.conn.send(h11.Request(method=call.method, target=call.target, headers=headers)))
        if call.split:
            await trio.sleep(0.002)
        await stream.send_all(self.conn.send(h11.Data(data=call.body)) + self.conn.send(h11.EndOfMessage()))
        status = await self._response(stream)
        if self.conn.our_state is h11.MUST_CLOSE or self.conn.their_state is h11.MUST_CLOSE:
            await stream.aclose()
            self.stream = None
        else:
            self.conn.start_next_cycle()
        return status

    async def _response(self, stream: trio.SocketStream) -> int:
        status = 0
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                self.conn.receive_data(await stream.receive_some(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.EndOfMessage):
                return status
            elif isinstance(event, h11.ConnectionClosed):
                raise AssertionError("connection closed without an answer")

    async def aclose(self) -> None:
        if self.stream is not None:
            await self.stream.aclose()


def _calls(personas: Personas) -> list[Call]:
    auth = [("Authorization", f"Bearer {personas.acme.owner.token}")]
    as_json = [("Content-Type", "application/json")]
    org = f"/api/orgs/{personas.acme.slug}"
    return [
        Call("GET", "/healthz", [], b"", 200),
        Call("GET", "/api/me", auth, b"", 200),
        Call("PATCH", org, auth + as_json, json.dumps({"description": "kept alive"}).encode(), 200),
        Call("POST", "/api/nope", auth + as_json, b'{"title": "nothing here"}', 404),
        Call("POST", "/api/nope", auth + as_json, b'{"title": "nothing here"}', 404, split=True),
        Call("POST", f"{org}/forums", auth + as_json, b'{"name": ""}', 422),
        Call("POST", f"{org}/forums", auth + as_json, b'{"name": "\xff\xfe"}', 400, split=True),
        Call("POST", f"{org}/forums", [("Authorization", "Bearer nope"), *as_json], b'{"name": "x"}', 401, split=True),
        Call("POST", "/api/orgs", auth + as_json, b'{"name": "' + b"x" * 2 * MAX_BODY + b'"}', 413),
    ]


async def test_thousands_of_mixed_requests_on_few_connections_are_all_answered(
        runtime: System, personas: Personas) -> None:
    assert runtime.http_port is not None
    calls = _calls(personas)
    rng = random.Random(11)
    weights = [12, 3, 1, 6, 6, 4, 3, 3, 1]
    answered: list[tuple[str, int, int]] = []
    clients = [H11Client(runtime.http_port) for _ in range(4)]

    async def run(client: H11Client) -> None:
        for call in rng.choices(calls, weights, k=500):
            answered.append((call.target, call.expect, await client.call(call)))

    with trio.fail_after(120):
        async with trio.open_nursery() as nursery:
            for client in clients:
                nursery.start_soon(run, client)
    for client in clients:
        await client.aclose()
    assert len(answered) == 2000
    wrong = [a for a in answered if a[1] != a[2]]
    assert wrong == []
    closes = sum(1 for a in answered if a[1] == 413)
    # Only a 413 closes its connection: everything else kept it alive.
    assert sum(c.connections for c in clients) == len(clients) + closes - _closed_at_end(answered, clients)


def _closed_at_end(answered: list[tuple[str, int, int]], clients: list[H11Client]) -> int:
    return sum(1 for c in clients if c.stream is None)
