"""Subscribes a client sends at once are checked together: one statement, answers in order."""

from __future__ import annotations

import httpx
import trio

from community.app import System
from community.domain.errors import ForbiddenError
from community.domain.events import Channel
from community.domain.principal import Principal
from community.services import realtime
from community.services.orgs import access_org
from tests.factories import Personas
from tests.realtime.conftest import open_socket, recv, send


async def _forums_and_topic(client: httpx.AsyncClient, personas: Personas) -> tuple[str, str, str]:
    acme = personas.acme
    base = f"/api/orgs/{acme.slug}"
    public = (await client.post(f"{base}/forums", headers=acme.admin.auth, json={"name": "Open"})).json()["forum"]
    r = await client.post(f"{base}/forums", headers=acme.admin.auth,
                          json={"name": "Staff", "is_private": True, "required_role": "moderator"})
    staff = r.json()["forum"]
    r = await client.post(f"{base}/forums/{public['id']}/topics", headers=acme.admin.auth,
                          json={"title": "Hello", "content": "hi"})
    assert r.status_code == 201
    return public["id"], staff["id"], r.json()["topic"]["id"]


async def test_pipelined_subscribes_are_answered_in_order_each_as_rest_would(
        runtime: System, personas: Personas, client: httpx.AsyncClient) -> None:
    acme = personas.acme
    public, staff, topic = await _forums_and_topic(client, personas)
    asked = [f"forum:{public}", f"forum:{staff}", f"topic:{topic}", f"org:{acme.id}",
             "topic:00000000-0000-4000-8000-000000000000"]
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        for channel in asked:  # all sent before any answer is read
            await send(ws, type="subscribe", channel=channel)
        await send(ws, type="ping")
        answers: list[tuple[str, str | None, str | None]] = []
        while len(answers) < len(asked) + 1:
            frame = await recv(ws)
            if frame["type"] != "presence":
                answers.append((frame["type"], frame.get("channel"), frame.get("code")))
    assert answers == [("subscribed", asked[0], None), ("error", asked[1], "forbidden"),
                       ("subscribed", asked[2], None), ("subscribed", asked[3], None),
                       ("error", asked[4], "forbidden"), ("pong", None, None)]
    assert not any(c == Channel.parse(asked[1]) for conn in runtime.handles.registry.connections()
                   for c in conn.channels)


async def test_many_channels_are_checked_in_one_statement(runtime: System, personas: Personas,
                                                          client: httpx.AsyncClient) -> None:
    acme, db = personas.acme, runtime.handles.db
    public, staff, topic = await _forums_and_topic(client, personas)
    member = await access_org(db, Principal(acme.member.user_id, acme.member.email, acme.member.display_name),
                              acme.slug)
    channels = [Channel.parse(c) for c in (f"forum:{public}", f"forum:{staff}", f"topic:{topic}", f"org:{acme.id}")]
    # The statement's shape is learnt once per process, and the parts' types once per connection (a few
    # statements on a connection that never met them: a helper's loaded run counted 7 when the measured
    # call drew a fresh one). So first every pooled connection meets them: as many calls at once as the
    # pool holds connections, twice over; then any connection the measured call draws sends one statement.
    async with trio.open_nursery() as nursery:
        for _ in range(2 * runtime.handles.settings.db_pool_max):
            nursery.start_soon(realtime.check_subscribes, db, member, channels)
    with db.count_statements() as counted:
        answers = await realtime.check_subscribes(db, member, channels)
    assert counted.n == 1
    assert [a if isinstance(a, Channel) else type(a) for a in answers] == [
        channels[0], ForbiddenError, channels[2], channels[3]]
