"""Topic views: counted off the read path, written by the view counter on a timer and when it stops."""

from __future__ import annotations

from urllib.parse import quote

import trio

from community.app import System
from tests.factories import Factory
from tests.forums.conftest import Api


async def _stored(factory: Factory, topic_id: object) -> int:
    count: int = await factory.conn.fetchval("SELECT view_count FROM topics WHERE id = $1", topic_id)
    return count


async def _read(api: Api, topic_id: object, times: int) -> int:
    seen = 0
    for _ in range(times):
        seen = (await api.call("GET", f"/topics/{topic_id}"))["topic"]["view_count"]
    return seen


async def test_views_are_written_when_the_counter_stops(api: Api, runtime: System, factory: Factory) -> None:
    topic = await api.topic((await api.forum())["id"])
    assert await _read(api, topic["id"], 3) == 3  # what the reader sees includes views not yet written
    assert await _stored(factory, topic["id"]) == 0
    with trio.fail_after(10):
        await runtime.workers.terminate_child("view_counter")
    assert await _stored(factory, topic["id"]) == 3


async def test_views_are_written_on_a_timer(api: Api, runtime: System, factory: Factory) -> None:
    topic = await api.topic((await api.forum())["id"])
    views = runtime.handles.views
    with trio.fail_after(10):
        await runtime.workers.terminate_child("view_counter")
        views.flush_interval = 0.05
        await runtime.workers.restart_child("view_counter")
        await _read(api, topic["id"], 2)
        while True:  # the timer's flush, whenever it comes
            if await _stored(factory, topic["id"]) == 2:
                break
            await trio.sleep(0.05)
    assert views.pending(api.personas.acme.id, topic["id"]) == 0
    assert await _read(api, topic["id"], 1) == 3


async def test_views_counted_while_the_counter_is_down_are_kept(api: Api, runtime: System,
                                                                factory: Factory) -> None:
    topic = await api.topic((await api.forum())["id"])
    with trio.fail_after(10):
        await runtime.workers.terminate_child("view_counter")
        assert await _read(api, topic["id"], 2) == 2
        await runtime.workers.restart_child("view_counter")
        await runtime.workers.terminate_child("view_counter")
    assert await _stored(factory, topic["id"]) == 2


async def test_later_pages_of_a_topic_are_not_more_views(api: Api) -> None:
    topic = await api.topic((await api.forum())["id"])
    for n in range(3):
        await api.call("POST", f"/topics/{topic['id']}/posts", json={"content": f"reply {n}"}, expect=201)
    first = await api.call("GET", f"/topics/{topic['id']}?limit=1")
    later = await api.call("GET", f"/topics/{topic['id']}?limit=1&cursor={quote(first['next_cursor'])}")
    assert later["topic"]["view_count"] == first["topic"]["view_count"] == 1
