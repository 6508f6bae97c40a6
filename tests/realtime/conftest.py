"""Real sockets on loopback: helpers to open, read and emit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import httpx
import trio
from trio_websocket import WebSocketConnection, open_websocket_url

from community.app import System
from community.domain.events import Activity, Channel, EventType
from community.services.unit import unit_of_work
from tests.factories import OrgPersonas, Persona


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


# Presence (actors/presence.py): frames carry `users`, a list of {user_id, user_name, status}.
def states(frame: dict[str, Any]) -> dict[str, str]:
    return {u["user_id"]: u["status"] for u in frame["users"]}


async def watch_list(ws: WebSocketConnection, org: OrgPersonas) -> dict[str, str]:
    """Subscribe to the org's online list; who is online, from the snapshot that answers it."""
    channel = f"presence:{org.id}"
    await send(ws, type="subscribe", channel=channel)
    assert (await recv_type(ws, "subscribed"))["channel"] == channel
    snapshot = await recv_type(ws, "presence")
    assert snapshot["channel"] == channel and snapshot["snapshot"] is True
    return states(snapshot)


async def rest_online(client: httpx.AsyncClient, org: OrgPersonas) -> set[str]:
    r = await client.get(f"/api/orgs/{org.slug}/presence", headers=org.owner.auth)
    assert r.status_code == 200
    return {o["user"]["id"] for o in r.json()["online"]}


async def until_status(ws: WebSocketConnection, user_id: object, status: str) -> dict[str, Any]:
    with trio.fail_after(5):
        while True:
            frame = await recv_type(ws, "presence")
            if states(frame).get(str(user_id)) == status:
                return frame
