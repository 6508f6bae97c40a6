"""Real sockets on loopback: helpers to open, read and emit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import trio
from trio_websocket import WebSocketConnection, open_websocket_url

from community.app import System
from community.domain.events import Activity, Channel, EventType
from community.services.unit import unit_of_work
from tests.factories import Persona


def ws_url(runtime: System, org: object, **query: str) -> str:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return f"ws://127.0.0.1:{runtime.ws_port}/ws?org={org}{extra}"


@asynccontextmanager
async def open_socket(runtime: System, persona: Persona, org: object, *, welcome: bool = True,
                      headers: list[tuple[bytes, bytes]] | None = None, query: dict[str, str] | None = None,
                      **kwargs: Any) -> AsyncIterator[WebSocketConnection]:
    auth = [(b"authorization", f"Bearer {persona.token}".encode())]
    url = ws_url(runtime, org, **(query or {}))
    async with open_websocket_url(url, extra_headers=auth + (headers or []), **kwargs) as ws:
        if welcome:
            assert (await recv(ws))["type"] == "welcome"
        yield ws


async def recv(ws: WebSocketConnection, wait: float = 5) -> dict[str, Any]:
    with trio.fail_after(wait):
        frame = json.loads(await ws.get_message())
    assert isinstance(frame, dict)
    return frame


async def recv_type(ws: WebSocketConnection, kind: str, wait: float = 5) -> dict[str, Any]:
    """The next frame of `kind`, skipping others (presence and the like)."""
    with trio.fail_after(wait):
        while True:
            frame = await recv(ws, wait)
            if frame["type"] == kind:
                return frame


async def send(ws: WebSocketConnection, **frame: Any) -> None:
    await ws.send_message(json.dumps(frame))


async def nothing_arrives(ws: WebSocketConnection, within: float = 0.5, *, ignore: tuple[str, ...] = ()) -> None:
    with trio.move_on_after(within):
        while True:
            frame = json.loads(await ws.get_message())
            assert frame["type"] in ignore, frame


async def emit(runtime: System, org_id: UUID, actor: Persona, kind: EventType = EventType.ORGANIZATION_UPDATED,
               channel: str | None = None, **payload: Any) -> Activity:
    """Commit one activity through the real unit of work (published after commit)."""
    h = runtime.handles
    async with unit_of_work(h.db, h.publisher, org_id=org_id, user_id=actor.user_id) as unit:
        activity = await unit.record(Channel.parse(channel) if channel else Channel.org(org_id), kind, payload)
    return activity


async def close_code(ws: WebSocketConnection, wait: float = 5) -> int:
    """Read until the server closes; its close code.

    After a close the server started, trio-websocket's client waits for the TCP close and then
    never closes its own socket (a ResourceWarning): close it here.
    """
    from trio_websocket import ConnectionClosed

    with trio.fail_after(wait):
        try:
            while True:
                await ws.get_message()
        except ConnectionClosed as closed:
            code = closed.reason.code
    await ws._stream.aclose()
    return int(code)
