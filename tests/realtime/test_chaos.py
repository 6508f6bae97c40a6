"""Proof under faults: the notifier, indexer, ws_manager and the notification writer killed one
after another while events are committed. A client that reconnects and resumes receives every
committed event exactly once; the search index converges; the tree is whole; memory stays flat."""

from __future__ import annotations

import json
import os

import httpx
import trio
import trio.lowlevel
from trio_websocket import ConnectionClosed

from community.app import System
from community.domain.events import EventType
from tests.factories import Personas
from tests.realtime.conftest import emit, open_socket, send

_KILLS = [("core", "notifier"), ("core", "indexer"), ("workers", "notification_writer"), ("core", "ws_manager"),
          ("core", "notifier")]


def _rss_bytes() -> int:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def _resuming_client(system: System, personas: Personas, seen: list[int], stop: trio.Event, *,
                           task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Reads the org's events; whenever the server closes the socket, reconnects and resumes (with
    `after` on the handshake, so nothing live overtakes the replay: every id above the last)."""
    acme = personas.acme
    last = None
    while not stop.is_set():
        try:
            query = {} if last is None else {"after": str(last)}
            async with open_socket(system, acme.member, acme.slug, welcome=False, query=query) as ws:
                try:
                    welcome = json.loads(await ws.get_message())
                    if last is None:
                        last = welcome["last_id"]
                        task_status.started()  # what is committed from now on must all arrive
                    await send(ws, type="resume", after=last)
                    while True:
                        frame = json.loads(await ws.get_message())
                        if frame["type"] == EventType.ORGANIZATION_UPDATED and "n" in frame:
                            assert frame["id"] > last, f"{frame['id']} after {last}: out of order or twice"
                            seen.append(frame["id"])
                            last = max(last, frame["id"])
                        assert frame["type"] != "resync", "the log still holds everything: no resync expected"
                except ConnectionClosed:
                    await ws._stream.aclose()  # the server restarted the registry (1012): come back, resume
        except OSError:
            pass
        await trio.sleep(0.05)


async def test_actors_killed_under_load_lose_no_committed_event(runtime: System, personas: Personas,
                                                                client: httpx.AsyncClient) -> None:
    acme = personas.acme
    h = runtime.handles
    forum = (await client.post(f"/api/orgs/{acme.slug}/forums", headers=acme.admin.auth,
                               json={"name": "Chaos"})).json()["forum"]
    seen: list[int] = []
    committed: list[int] = []
    words: list[str] = []
    stop = trio.Event()
    rss: list[int] = []
    with trio.fail_after(120):
        async with trio.open_nursery() as nursery:
            await nursery.start(_resuming_client, runtime, personas, seen, stop)
            for round_, (supervisor, child) in enumerate(_KILLS):
                for i in range(40):  # a burst of committed events around each kill
                    committed.append((await emit(runtime, acme.id, acme.owner, n=len(committed))).seq)
                    if i == 10:
                        getattr(runtime, supervisor).kill_child(child)
                word = f"chaosword{round_}x"
                words.append(word)
                author = (acme.member, acme.moderator, acme.admin, acme.owner, acme.member)[round_]
                r = await client.post(f"/api/orgs/{acme.slug}/forums/{forum['id']}/topics", headers=author.auth,
                                      json={"title": f"Round {round_}", "content": f"the {word} is here"})
                assert r.status_code == 201, r.text
                rss.append(_rss_bytes())
                await trio.sleep(3.5)  # spaced so that restarts stay within the core's intensity
            with trio.move_on_after(20):
                while set(committed) - set(seen):  # noqa: ASYNC110 - the client appends as it reads
                    await trio.sleep(0.05)
            stop.set()
            nursery.cancel_scope.cancel()
    assert sorted(set(committed) - set(seen)) == [], "every committed event reached the resuming client"
    assert len(seen) == len(set(seen)), "each event once"
    assert runtime.root is not None and all(c.running for c in runtime.root.which_children())
    for word in words:  # the index converges
        with trio.fail_after(20):
            while True:
                r = await client.get(f"/api/orgs/{acme.slug}/search", params={"q": word}, headers=acme.member.auth)
                if r.status_code == 200 and r.json()["results"]:
                    break
                await trio.sleep(0.1)
    assert h.notifier.mailbox.receive.statistics().current_buffer_used == 0
    assert len(h.notifier.cursors) <= 1
    assert rss[-1] - rss[1] < 64 * 2**20, rss  # flat, with room for allocator noise
