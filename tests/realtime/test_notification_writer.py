"""The notification writer: a trigger-filled queue, batches nodes share, nothing lost or doubled."""

from __future__ import annotations

import httpx
import pytest
import trio

from community.app import System
from community.db.queries.activity import append_activity
from community.domain.events import Channel, EventType
from community.services.notifications import NOTIFYING_EVENTS
from tests.factories import Factory, Personas
from tests.realtime.conftest import nothing_arrives, open_socket, recv_type
from tests.realtime.test_cluster import make_topic, node_b  # noqa: F401 - the second node's fixture


class _RollbackError(Exception):
    pass


async def _watched_forum(client: httpx.AsyncClient, personas: Personas, factory: Factory) -> object:
    """A forum the member watches (from after its first topic)."""
    acme = personas.acme
    forum = (await make_topic(client, personas))["forum"]
    with trio.fail_after(10):
        while True:  # its first topic dealt with before anyone watches
            if await _queued(factory) == 0:
                break
            await trio.sleep(0.05)
    r = await client.put(f"/api/orgs/{acme.slug}/forums/{forum['id']}/watch", headers=acme.member.auth)
    assert r.status_code == 204
    return forum["id"]


async def _burst(client: httpx.AsyncClient, personas: Personas, forum_id: object, n: int) -> None:
    """The watched forum gets `n` topics; the member is to be told about each."""
    acme = personas.acme
    for i in range(n):
        r = await client.post(f"/api/orgs/{acme.slug}/forums/{forum_id}/topics", headers=acme.admin.auth,
                              json={"title": f"News {i}", "content": "news"})
        assert r.status_code == 201, r.text


async def _count(factory: Factory, user_id: object) -> int:
    n: int = await factory.conn.fetchval(
        "SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'watched_forum'", user_id)
    return n


async def _queued(factory: Factory) -> int:
    n: int = await factory.conn.fetchval("SELECT count(*) FROM notification_queue")
    return n


async def _until(factory: Factory, user_id: object, n: int) -> None:
    with trio.fail_after(10):
        while True:
            if await _count(factory, user_id) >= n:
                return
            await trio.sleep(0.05)


async def test_what_is_queued_while_the_writer_is_down_is_written_once_it_is_back(
        runtime: System, personas: Personas, client: httpx.AsyncClient, factory: Factory) -> None:
    member = personas.acme.member
    forum_id = await _watched_forum(client, personas, factory)
    await runtime.workers.terminate_child("notification_writer")
    await _burst(client, personas, forum_id, 30)
    assert await _count(factory, member.user_id) == 0
    assert await _queued(factory) == 30
    await runtime.workers.restart_child("notification_writer")
    await _until(factory, member.user_id, 30)
    assert await _queued(factory) == 0
    runtime.handles.notification_writer.poke()
    await trio.sleep(0.2)
    assert await _count(factory, member.user_id) == 30


async def test_two_nodes_share_the_queue_and_tell_each_person_once(
        runtime: System, node_b: System, personas: Personas, client: httpx.AsyncClient,  # noqa: F811
        factory: Factory) -> None:
    acme = personas.acme
    forum_id = await _watched_forum(client, personas, factory)
    for node in (runtime, node_b):
        await node.workers.terminate_child("notification_writer")
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        await _burst(client, personas, forum_id, 40)
        async with trio.open_nursery() as nursery:
            for node in (runtime, node_b):
                nursery.start_soon(node.workers.restart_child, "notification_writer")
        await _until(factory, acme.member.user_id, 40)
        seen = [(await recv_type(ws, "notification"))["notification"]["id"] for _ in range(40)]
        assert len(set(seen)) == 40
        await nothing_arrives(ws, ignore=("presence",))
    assert await _count(factory, acme.member.user_id) == 40
    assert runtime.handles.notification_writer.written + node_b.handles.notification_writer.written == 40


async def _queue_every_event_type(runtime: System, org_id: object) -> list[str]:
    async with runtime.handles.db.transaction(org_id=org_id) as conn:  # type: ignore[arg-type]
        for event in EventType:
            await append_activity(conn, org_id=org_id, channel=Channel.org(org_id), type=event,  # type: ignore[arg-type]
                                  payload={}, actor_id=None)
        queued = [r["type"] for r in await conn.fetch(
            "SELECT a.type FROM notification_queue q JOIN activity a USING (org_id, seq) WHERE q.org_id = $1", org_id)]
        raise _RollbackError(queued)


async def test_the_trigger_queues_exactly_the_events_that_notify(runtime: System, personas: Personas) -> None:
    with pytest.raises(_RollbackError) as rolled_back:
        await _queue_every_event_type(runtime, personas.acme.id)
    queued = rolled_back.value.args[0]
    assert sorted(queued) == sorted(e.value for e in NOTIFYING_EVENTS)


async def test_an_activity_row_costs_one_trigger_call_and_the_integrations_trigger_only_its_types(
        factory: Factory, personas: Personas) -> None:
    conn = factory.conn  # a superuser's: track_functions is theirs to set

    async def counted() -> dict[str, int]:  # this backend's counts not yet reported (earlier transactions' too)
        return {r["funcname"]: r["calls"] for r in await conn.fetch(
            "SELECT funcname, calls FROM pg_stat_xact_user_functions WHERE funcname <> 'append_activity'")}

    async def calls(event: EventType) -> dict[str, int]:
        await conn.execute("BEGIN")
        try:
            await conn.execute("SET LOCAL track_functions = 'pl'")
            before = await counted()
            await conn.fetchrow("SELECT * FROM append_activity($1, $2, $3, '{}'::jsonb, NULL)", personas.acme.id,
                                str(Channel.org(personas.acme.id)), event.value)
            after = await counted()
            return {name: n - before.get(name, 0) for name, n in after.items() if n > before.get(name, 0)}
        finally:
            await conn.execute("ROLLBACK")

    assert await calls(EventType.MESSAGE_CREATED) == {"activity_appended": 1}
    assert await calls(EventType.POST_CREATED) == {"activity_appended": 1, "integrations_enqueue": 1}
