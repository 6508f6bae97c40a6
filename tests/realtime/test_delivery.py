"""Delivery that loses nothing: ordering, resume, slow consumers, notifier crash and catch-up."""

from __future__ import annotations

from datetime import timedelta

import trio
from trio_websocket import open_websocket_url

from community.actors.ws_manager import Deliver
from community.app import System
from community.db.queries.activity import append_activity
from community.domain.events import Activity, Channel, EventType
from tests.factories import Factory, Personas
from tests.realtime.conftest import close_code, emit, nothing_arrives, open_socket, recv, recv_type, send, ws_url

OTHER_TOPIC = "topic:00000000-0000-0000-0000-00000000beef"


async def _append_unpublished(runtime: System, org_id: object, actor_id: object, note: str) -> Activity:
    """Commit an event without telling the notifier: only the log (and NOTIFY) know."""
    async with runtime.handles.db.transaction(org_id=org_id, user_id=actor_id) as conn:  # type: ignore[arg-type]
        return await append_activity(conn, org_id=org_id, channel=Channel.org(org_id),  # type: ignore[arg-type]
                                     type=EventType.ORGANIZATION_UPDATED, payload={"note": note}, actor_id=actor_id)  # type: ignore[arg-type]


async def test_out_of_order_publication_is_delivered_in_id_order(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        first = await _append_unpublished(runtime, acme.id, acme.owner.user_id, "a")
        second = await _append_unpublished(runtime, acme.id, acme.owner.user_id, "b")
        runtime.handles.notifier.publish_nowait(second)
        runtime.handles.notifier.publish_nowait(first)
        got = [await recv(ws), await recv(ws)]
        assert [f["id"] for f in got] == [first.seq, second.seq]
        await nothing_arrives(ws, 0.3)


async def test_resume_replays_what_was_missed_on_my_channels(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        seen = (await recv(ws)) if (await emit(runtime, acme.id, acme.owner, note="seen")) else {}
    # While away: two concurrent writers (commit order decides ids) and one event elsewhere.
    async with trio.open_nursery() as nursery:
        for n in range(2):
            nursery.start_soon(lambda n=n: emit(runtime, acme.id, acme.owner, note=f"away{n}"))
    await emit(runtime, acme.id, acme.owner, channel=OTHER_TOPIC, note="not mine")
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        await send(ws, type="resume", after=seen["id"])
        replayed = [await recv(ws), await recv(ws)]
        assert [f["id"] for f in replayed] == [seen["id"] + 1, seen["id"] + 2]
        assert {f["note"] for f in replayed} == {"away0", "away1"}
        live = await emit(runtime, acme.id, acme.owner, note="live")
        assert (await recv(ws))["id"] == live.seq
        await send(ws, type="resume", after=live.seq)
        await nothing_arrives(ws, 0.3, ignore=("presence",))  # the member's own reconnect may show late under load


async def test_resume_beyond_retention_answers_resync(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    await emit(runtime, acme.id, acme.owner, note="old")
    runtime.handles.realtime.settings.retention = timedelta(0)
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        await send(ws, type="resume", after=0)
        assert await recv(ws) == {"type": "resync"}
        await send(ws, type="resume", after="soon")
        assert (await recv(ws))["code"] == "bad_request"


async def test_slow_consumer_is_closed_1013_while_others_keep_receiving(runtime: System,
                                                                       personas: Personas) -> None:
    acme = personas.acme
    runtime.handles.realtime.settings.outbox_size = 8
    big = '{"type":"organization_updated","pad":"' + "x" * 60_000 + '"}'
    received, sent, caught_up = 0, 0, trio.Event()
    async with open_socket(runtime, acme.member, acme.slug) as fast, \
            open_socket(runtime, acme.admin, acme.slug) as slow:

        async def read_fast() -> None:
            nonlocal received
            while True:
                await fast.get_message()
                received += 1
                if received >= sent and runtime.handles.registry.slow_closed:
                    caught_up.set()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(read_fast)
            with trio.fail_after(20):
                while runtime.handles.registry.slow_closed == 0:
                    runtime.handles.registry.deliver_nowait(Deliver(Channel.org(acme.id), big))
                    sent += 1
                    await trio.sleep(0.002)
                for _ in range(5):
                    runtime.handles.registry.deliver_nowait(Deliver(Channel.org(acme.id), big))
                    sent += 1
                await caught_up.wait()
            nursery.cancel_scope.cancel()
        assert await close_code(slow, 20) == 1013
        await send(fast, type="ping")
        assert await recv_type(fast, "pong") == {"type": "pong"}


async def test_notifier_crash_keeps_sockets_and_loses_nothing(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    assert runtime.core is not None
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        before = await emit(runtime, acme.id, acme.owner, note="before")
        assert (await recv(ws))["id"] == before.seq
        runtime.core.kill_child("notifier")
        during = await emit(runtime, acme.id, acme.owner, note="during")
        lost = await _append_unpublished(runtime, acme.id, acme.owner.user_id, "fast path lost")
        got = [await recv(ws), await recv(ws)]
        assert [f["id"] for f in got] == [during.seq, lost.seq]
        restarts = {c.id: c.restarts for c in runtime.core.which_children()}
        assert restarts["notifier"] == 1
        assert restarts["ws_manager"] == 0  # rest_for_one: the registry and its sockets survive


async def test_missed_notify_is_caught_by_the_sweep(runtime: System, personas: Personas, factory: Factory) -> None:
    acme = personas.acme
    runtime.handles.notifier.sweep_interval = 0.2
    assert runtime.core is not None
    await runtime.core.terminate_child("cluster_bus")  # no LISTEN: only the sweep can notice
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        lost = await _append_unpublished(runtime, acme.id, acme.owner.user_id, "nobody told")
        assert (await recv_type(ws, "organization_updated"))["id"] == lost.seq
    assert factory  # the fixture's database is the one swept


async def test_channels_cap_at_200(runtime: System, personas: Personas) -> None:
    acme = personas.acme
    runtime.handles.realtime.settings.max_channels = 3
    async with open_socket(runtime, acme.member, acme.slug) as ws:
        await send(ws, type="subscribe", channel=f"user:{acme.member.user_id}")
        assert (await recv(ws))["type"] == "subscribed"  # already joined: no new slot
        runtime.handles.registry.subscribe(next(iter(runtime.handles.registry.connections())), Channel.topic(acme.id))
        await send(ws, type="subscribe", channel=OTHER_TOPIC)
        frame = await recv(ws)
        assert (frame["type"], frame["code"]) == ("error", "bad_request")


async def test_token_query_never_logged(runtime: System, personas: Personas) -> None:
    import structlog

    acme = personas.acme
    with structlog.testing.capture_logs() as logs:
        with trio.fail_after(5):
            async with open_websocket_url(ws_url(runtime, acme.slug, access_token=acme.member.token)) as ws:
                await recv(ws)
    assert acme.member.token not in repr(logs)
