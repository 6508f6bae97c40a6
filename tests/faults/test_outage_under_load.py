"""The database stopped, then frozen, under ~50 writes/s against `community serve` (a real process).

What must hold (issue 11, proof under faults): every request ends within its bound (5 s while
the database is down, the DB timeout plus a margin while it is frozen), with 201 or 503
problem+json and Retry-After and nothing else; /healthz answers throughout (the process is up)
while /readyz says the database is failing; ready again within 10 s of the database's return; no
acknowledged post lost; each stored post notified to the topic's author exactly once; the pool's
connections back to what they were; and every line the process printed is one JSON event.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from community.db.pool import close, connect
from tests.factories import PASSWORD
from tests.faults.conftest import OwnPostgres
from tests.tls import TLS
from tests.web.browser import ROOT
from tests.web.conftest import _free_port

DB_TIMEOUT = 2.0
DOWN_BOUND = 5.0  # a request while the database is stopped
FROZEN_BOUND = DB_TIMEOUT + 3.0  # a request while it is frozen: its wait on the database is bounded
WRITERS, PACE = 5, 0.1  # five writers, one post each 0.1 s at most: ~50 writes/s
NODES, POOL_MAX = 2, 8  # `serve` as two worker processes, each with its pool and its LISTEN connections
# The figure: the database frozen 30 s, in make test too. The 22 s more than the 8 s this was
# cost 0.8 s of CPU (user 14.5 -> 15.4 s, sys 2.0 -> 2.2 s for the test and its server, wall 49 -> 73 s;
# load 9-12): the writers wait on the frozen database, so under make test's --dist worksteal the other
# worker has the cores meanwhile. COMMUNITY_FROZEN_SECONDS=8 for a quick local run.
FROZEN_SECONDS = float(os.environ.get("COMMUNITY_FROZEN_SECONDS", "30"))


@dataclass
class Server:
    base: str
    log: Path
    process: subprocess.Popen[bytes]


@pytest.fixture
async def server(own_postgres: OwnPostgres, tmp_path: Path) -> AsyncIterator[Server]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": own_postgres.uri, "HOST": "127.0.0.1", "PORT": str(port),
           "WEBSOCKET_PORT": str(_free_port()), "COMMUNITY_DATA_DIR": str(tmp_path / "var"), "LOG_FORMAT": "json",
           "LOG_LEVEL": "info", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024",
           "DB_TIMEOUT_SECONDS": str(DB_TIMEOUT), "DB_POOL_MAX": str(POOL_MAX), "WORKERS": str(NODES)}
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "community", "serve"], env=env, cwd=ROOT,  # noqa: ASYNC220
                                   stdout=out, stderr=subprocess.STDOUT)
        try:
            yield Server(f"http://127.0.0.1:{port}", log, process)
        finally:
            process.terminate()
            try:
                await trio.to_thread.run_sync(lambda: process.wait(timeout=20))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class Load:
    """What the writers saw: acknowledged post ids, and every answer as (phase, status, seconds)."""

    phase: str = "up"
    acknowledged: list[str] = field(default_factory=list)
    answers: list[tuple[str, int, float]] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


async def _ready_within(client: httpx.AsyncClient, seconds: float) -> float:
    start = trio.current_time()
    with trio.fail_after(seconds):
        while True:
            try:
                if (await client.get("/readyz", timeout=2)).status_code == 200:
                    return trio.current_time() - start
            except httpx.HTTPError:
                pass
            await trio.sleep(0.1)


async def _write(client: httpx.AsyncClient, path: str, auth: dict[str, str], load: Load, stop: trio.Event,
                 n: int) -> None:
    i = 0
    while not stop.is_set():
        i += 1
        phase, start = load.phase, trio.current_time()
        try:
            r = await client.post(path, json={"content": f"writer {n} post {i}"}, headers=auth, timeout=30)
        except httpx.HTTPError as exc:
            load.wrong.append(f"{phase}: no answer ({type(exc).__name__})")
            continue
        took = trio.current_time() - start
        load.answers.append((phase, r.status_code, took))
        if r.status_code == 201:
            load.acknowledged.append(r.json()["post"]["id"])
        elif r.status_code == 503:
            if r.headers.get("content-type") != "application/problem+json" or int(r.headers["retry-after"]) < 1:
                load.wrong.append(f"{phase}: a 503 without problem+json or Retry-After")
        else:
            load.wrong.append(f"{phase}: {r.status_code} {r.text[:200]}")
        await trio.sleep(max(0.0, PACE - took))


async def _probe_health(client: httpx.AsyncClient, load: Load, stop: trio.Event) -> None:
    """/healthz answers 200 fast in every phase; /readyz names the database while it is out."""
    while not stop.is_set():
        phase, start = load.phase, trio.current_time()
        r = await client.get("/healthz", timeout=5)
        if r.status_code != 200 or trio.current_time() - start > 1.0:
            load.wrong.append(f"{phase}: /healthz {r.status_code} in {trio.current_time() - start:.1f} s")
        if phase in ("down", "frozen"):
            r = await client.get("/readyz", timeout=FROZEN_BOUND + 1)
            if load.phase == phase and (r.status_code != 503 or r.json()["failing"] != ["database"]):
                load.wrong.append(f"{phase}: /readyz {r.status_code} {r.text[:100]}")
        await trio.sleep(0.5)


async def _setup(client: httpx.AsyncClient) -> tuple[str, dict[str, str], str, str]:
    """An org whose owner wrote a topic (and so watches it); a member who replies."""
    async def register(email: str) -> dict[str, str]:
        r = await client.post("/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": email})
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    owner, member = await register("owner@example.com"), await register("member@example.com")
    r = await client.post("/api/orgs", json={"name": "Outage"}, headers=owner)
    slug = r.json()["organization"]["slug"]
    fast = {"per_minute": 1000, "new_member_per_minute": 1000, "new_member_days": 0}
    r = await client.patch(f"/api/orgs/{slug}", json={"settings": {"posting": fast}}, headers=owner)
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/orgs/{slug}/invitations", json={"email": "member@example.com", "role": "member"},
                          headers=owner)
    r = await client.post(f"/api/invitations/{r.json()['invitation']['token']}/accept", headers=member)
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/orgs/{slug}/forums", json={"name": "Load"}, headers=owner)
    forum_id = r.json()["forum"]["id"]
    r = await client.post(f"/api/orgs/{slug}/forums/{forum_id}/topics", json={"title": "Busy", "content": "Go"},
                          headers=owner)
    me = (await client.get("/api/me", headers=owner)).json()
    topic_id = r.json()["topic"]["id"]
    return f"/api/orgs/{slug}/topics/{topic_id}/posts", member, topic_id, me["user"]["id"]


async def _app_connections(pg: OwnPostgres) -> int:
    conn = await connect(pg.uri)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")
        return count
    finally:
        await close(conn)


async def _stored(pg: OwnPostgres, topic_id: str, author_id: str) -> tuple[set[str], dict[str, int]]:
    conn = await connect(pg.uri)
    try:
        posts = {str(r["id"]) for r in await conn.fetch(
            "SELECT id FROM posts WHERE topic_id = $1 AND author_id <> $2", topic_id, author_id)}
        told = {str(r["subject_id"]): r["n"] for r in await conn.fetch(
            "SELECT subject_id, count(*) AS n FROM notifications WHERE user_id = $1 AND subject_type = 'post'"
            " GROUP BY subject_id", author_id)}
        return posts, told
    finally:
        await close(conn)


async def _phase(load: Load, name: str, seconds: float, action: Callable[[], Any] | None = None,
                 during: str = "") -> None:
    """`action` on a thread (the phase `during` meanwhile), then `name` for `seconds`."""
    if action is not None:
        load.phase = during
        await trio.to_thread.run_sync(action)
    load.phase = name
    await trio.sleep(seconds)


@pytest.mark.usefixtures("server")
async def test_writes_under_a_stopped_then_frozen_database(server: Server, own_postgres: OwnPostgres) -> None:
    async with httpx.AsyncClient(verify=TLS, base_url=server.base, timeout=10,
                                 limits=httpx.Limits(max_connections=20)) as client:
        await _ready_within(client, 60)
        path, member, topic_id, author_id = await _setup(client)
        load, stop = Load(), trio.Event()
        with trio.fail_after(90 + FROZEN_SECONDS):
            async with trio.open_nursery() as nursery:
                for n in range(WRITERS):
                    nursery.start_soon(_write, client, path, member, load, stop, n)
                nursery.start_soon(_probe_health, client, load, stop)
                await _phase(load, "up", 2)
                connections_up = await _app_connections(own_postgres)
                await _phase(load, "down", 4, own_postgres.stop_immediately, "stopping")
                await _phase(load, "back", 0, own_postgres.start, "restarting")
                back_in = await _ready_within(client, 10)
                await _phase(load, "back", 2)
                await _phase(load, "frozen", FROZEN_SECONDS, own_postgres.freeze, "freezing")
                await _phase(load, "thawed", 0, own_postgres.thaw, "thawing")
                thawed_in = await _ready_within(client, 10)
                await _phase(load, "thawed", 2)
                stop.set()
        await trio.sleep(1)
        assert load.wrong == []
        slow = [(phase, status, round(took, 1)) for phase, status, took in load.answers
                if took >= (FROZEN_BOUND if phase in ("freezing", "frozen", "thawing") else DOWN_BOUND)]
        assert slow == [], (back_in, thawed_in)
        statuses = {(p, s) for p, s, _ in load.answers}
        assert {("up", 201), ("down", 503), ("frozen", 503), ("thawed", 201)} <= statuses
        assert back_in < 10 and thawed_in < 10
        with trio.fail_after(30):  # the notification writer catches up on what was queued
            while True:
                posts, told = await _stored(own_postgres, topic_id, author_id)
                if set(told) >= posts:
                    break
                await trio.sleep(0.5)
        assert set(load.acknowledged) <= posts  # nothing acknowledged is lost
        assert len(load.acknowledged) == len(set(load.acknowledged))
        assert {n for n in told.values()} == {1}  # each post told once
        after = await _app_connections(own_postgres)  # no connection leaked by the failures
        assert after <= NODES * (POOL_MAX + 4), (connections_up, after)
        await trio.sleep(3)
        assert await _app_connections(own_postgres) <= after
    lines = [line for line in server.log.read_bytes().splitlines() if line.strip()]
    not_json = [line[:200] for line in lines if not _is_json(line)]
    assert not_json == []
    events = [json.loads(line) for line in lines]
    assert any(e.get("event") == "actor.database_unavailable" for e in events)
    assert any(e.get("event") == "http.request" and e.get("status") == 503 and e.get("level") == "error"
               for e in events), {e.get("event") for e in events}


def _is_json(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
