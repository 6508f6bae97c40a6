"""Soak: N minutes of mixed load on two nodes on one database; memory, files, connections, errors.

    .venv/bin/python -m bench.soak [--minutes 10] [--rate 40] [--json PATH]     (make soak)

Starts an embedded PostgreSQL and two `community serve --workers 1` processes on one database
(node A and node B, each its own REST and websocket port), seeds an org with six members, then
drives both nodes at once for `--minutes`: posts, topic pages, forum listings, /api/me, direct
messages, and websocket clients that connect, subscribe, read and leave, round robin over the
nodes. Every 10 s it samples each node's RSS and open files (psutil) and the database's client
connections. After a warm-up (a fifth of the run, at least 30 s) the drift is measured against
the first sample after it. Exits 1 on any 5xx or unanswered request, RSS drift over 5%, or open
files / connections that grow.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psutil
import trio
from trio_websocket import ConnectionClosed, open_websocket_url

from bench.http import wait_ready

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PORTS = (18210, 18220)  # node A: 18210 REST, 18211 websocket; node B: 18220, 18221
PASSWORD = "soak-password-correct-horse-9"  # noqa: S105 - the soak's own throwaway users
MEMBERS = 6


@dataclass
class Sample:
    at_s: float
    rss_mb: list[float]
    open_files: list[int]
    db_connections: int


@dataclass
class Tally:
    requests: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    unanswered: int = 0
    ws_sessions: int = 0
    ws_failures: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def count(self, name: str, status: int, ms: float) -> None:
        self.requests += 1
        key = f"{name} {status}"
        self.by_status[key] = self.by_status.get(key, 0) + 1
        self.latencies_ms.append(ms)


@dataclass
class World:
    bases: list[str]
    ws: list[str]
    slug: str
    forum_id: str
    topic_id: str
    conversation_id: str
    tokens: list[str]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _start_node(dsn: str, port: int, work: Path, name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": dsn, "HOST": "127.0.0.1", "PORT": str(port),
           "WEBSOCKET_PORT": str(port + 1), "COMMUNITY_DATA_DIR": str(work / f"var-{name}"), "LOG_LEVEL": "warning",
           "LOG_FORMAT": "json", "SEARCH_PER_MINUTE": "10000"}
    log = (work / f"node-{name}.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "community", "serve", "--workers", "1"], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)


def _seed(bases: list[str], ws: list[str]) -> World:
    a = httpx.Client(base_url=bases[0], timeout=30)
    people = []
    for i in range(MEMBERS):
        r = a.post("/api/auth/register", json={"email": f"soak{i}-{uuid.uuid4().hex[:6]}@example.com",
                                               "password": PASSWORD, "display_name": f"Soak {i}"})
        r.raise_for_status()
        people.append(r.json())
    owner = _auth(people[0]["token"])
    r = a.post("/api/orgs", json={"name": f"Soak {uuid.uuid4().hex[:4]}"}, headers=owner)
    slug = r.json()["organization"]["slug"]
    fast = {"per_minute": 1000, "new_member_per_minute": 1000, "new_member_days": 0}
    a.patch(f"/api/orgs/{slug}", json={"settings": {"posting": fast, "messaging": {"per_minute": 1000}}},
            headers=owner).raise_for_status()
    for person in people[1:]:
        token = a.post(f"/api/orgs/{slug}/invitations", json={"email": person["user"]["email"], "role": "member"},
                       headers=owner).json()["invitation"]["token"]
        a.post(f"/api/invitations/{token}/accept", headers=_auth(person["token"])).raise_for_status()
    forum_id = a.post(f"/api/orgs/{slug}/forums", json={"name": "Soak"}, headers=owner).json()["forum"]["id"]
    topic_id = a.post(f"/api/orgs/{slug}/forums/{forum_id}/topics", json={"title": "Soaking", "content": "Go"},
                      headers=owner).json()["topic"]["id"]
    r = a.post(f"/api/orgs/{slug}/conversations", headers=owner,
               json={"participant_ids": [p["user"]["id"] for p in people[1:]], "title": "Soak"})
    r.raise_for_status()
    return World(bases, ws, slug, forum_id, topic_id, r.json()["conversation"]["id"], [p["token"] for p in people])


def _request(world: World, rng: random.Random) -> tuple[str, str, str, dict[str, Any] | None]:
    org = f"/api/orgs/{world.slug}"
    kind = rng.choices(["post", "topic", "forums", "me", "message"], weights=[3, 4, 2, 1, 2])[0]
    if kind == "post":
        return kind, "POST", f"{org}/topics/{world.topic_id}/posts", {"content": f"soak {rng.random()}"}
    if kind == "message":
        return kind, "POST", f"{org}/conversations/{world.conversation_id}/messages", {"content": "soak"}
    if kind == "topic":
        return kind, "GET", f"{org}/topics/{world.topic_id}", None
    return kind, "GET", (f"{org}/forums" if kind == "forums" else "/api/me"), None


async def _client(world: World, tally: Tally, rate: float, until: float, n: int) -> None:
    rng = random.Random(n)
    clients = [httpx.AsyncClient(base_url=b, timeout=30) for b in world.bases]
    try:
        while trio.current_time() < until:
            kind, method, path, body = _request(world, rng)
            node, token = rng.randrange(len(clients)), rng.choice(world.tokens)
            start = trio.current_time()
            try:
                r = await clients[node].request(method, path, json=body, headers=_auth(token))
                tally.count(kind, r.status_code, (trio.current_time() - start) * 1000)
            except httpx.HTTPError as exc:
                tally.unanswered += 1
                print(f"soak: {method} {path} on node {'ab'[node]} unanswered: {exc!r}", file=sys.stderr)
            await trio.sleep(rng.expovariate(rate))
    finally:
        for c in clients:
            await c.aclose()


async def _ws_client(world: World, tally: Tally, until: float, n: int) -> None:
    rng = random.Random(1000 + n)
    while trio.current_time() < until:
        url = f"{rng.choice(world.ws)}/ws?org={world.slug}"
        headers = [(b"authorization", f"Bearer {rng.choice(world.tokens)}".encode())]
        try:
            async with open_websocket_url(url, extra_headers=headers) as ws:
                await ws.send_message(json.dumps({"type": "subscribe", "channel": f"topic:{world.topic_id}"}))
                with trio.move_on_after(rng.uniform(1, 5)):
                    while True:
                        await ws.get_message()
            tally.ws_sessions += 1
        except (ConnectionClosed, OSError, trio.BrokenResourceError) as exc:
            tally.ws_failures += 1
            print(f"soak: websocket session failed: {exc!r}", file=sys.stderr)
        await trio.sleep(rng.uniform(0, 1))


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    return [proc, *proc.children(recursive=True)]


def _sample(started: float, nodes: list[psutil.Process], pgs: Any) -> Sample:
    rss, files = [], []
    for node in nodes:
        procs = _tree(node)
        rss.append(round(sum(p.memory_info().rss for p in procs) / 2**20, 1))
        files.append(sum(p.num_fds() for p in procs))
    out = pgs.psql("SELECT 'n=' || count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                   "AND datname = 'soak';")
    conns = int(re.search(r"n=(\d+)", out).group(1))
    return Sample(round(time.monotonic() - started, 1), rss, files, conns)


async def _soak(world: World, nodes: list[psutil.Process], pgs: Any, seconds: float, rate: float,
                samples: list[Sample], tally: Tally) -> None:
    started = time.monotonic()
    until = trio.current_time() + seconds
    async with trio.open_nursery() as nursery:
        for n in range(8):
            nursery.start_soon(_client, world, tally, rate / 8, until, n)
        for n in range(6):
            nursery.start_soon(_ws_client, world, tally, until, n)
        while trio.current_time() < until:
            samples.append(await trio.to_thread.run_sync(_sample, started, nodes, pgs))
            print(f"soak: {samples[-1]}", flush=True)
            await trio.sleep(min(10, max(0, until - trio.current_time())))
    samples.append(await trio.to_thread.run_sync(_sample, started, nodes, pgs))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1) if ordered else 0.0


def summarise(samples: list[Sample], tally: Tally, seconds: float) -> tuple[dict[str, Any], list[str]]:
    warm = max(30.0, seconds / 5)
    base = next((s for s in samples if s.at_s >= warm), samples[0])
    last = samples[-1]
    drift = [round((b - a) / a * 100, 1) for a, b in zip(base.rss_mb, last.rss_mb, strict=True)]
    errors = sum(n for key, n in tally.by_status.items() if key.split()[-1].startswith("5"))
    summary = {"seconds": seconds, "requests": tally.requests, "rps": round(tally.requests / seconds, 1),
               "p50_ms": _percentile(tally.latencies_ms, 0.5), "p99_ms": _percentile(tally.latencies_ms, 0.99),
               "server_errors": errors, "unanswered": tally.unanswered, "by_status": tally.by_status,
               "ws_sessions": tally.ws_sessions, "ws_failures": tally.ws_failures,
               "rss_mb_after_warmup": base.rss_mb, "rss_mb_end": last.rss_mb, "rss_drift_pct": drift,
               "open_files_after_warmup": base.open_files, "open_files_end": last.open_files,
               "db_connections_after_warmup": base.db_connections, "db_connections_end": last.db_connections,
               "load_average": os.getloadavg(), "samples": [asdict(s) for s in samples]}
    failed = []
    if errors or tally.unanswered:
        failed.append(f"{errors} server errors, {tally.unanswered} unanswered")
    if any(d > 5 for d in drift):
        failed.append(f"RSS drift {drift}% over 5%")
    if any(b > a + 5 for a, b in zip(base.open_files, last.open_files, strict=True)):
        failed.append(f"open files grew {base.open_files} -> {last.open_files}")
    if last.db_connections > base.db_connections + 2:
        failed.append(f"database connections grew {base.db_connections} -> {last.db_connections}")
    return summary, failed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", "10")))
    parser.add_argument("--rate", type=float, default=40.0, help="REST requests a second, over both nodes")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "soak.json")
    args = parser.parse_args()
    import pgserver

    work = Path(tempfile.mkdtemp(prefix="community-soak-"))
    pgs = pgserver.get_server(work / "pg", cleanup_mode="stop")
    pgs.psql("CREATE DATABASE soak;")
    dsn = urlunsplit(urlsplit(str(pgs.get_uri()))._replace(path="/soak"))
    subprocess.run([sys.executable, "-m", "community", "migrate"], env={**os.environ, "DATABASE_URL": dsn},
                   cwd=ROOT, check=True, capture_output=True)
    procs = [_start_node(dsn, port, work, name) for port, name in zip(PORTS, "ab", strict=True)]
    try:
        bases = [f"http://127.0.0.1:{p}" for p in PORTS]
        for base in bases:
            wait_ready(f"{base}/readyz")
        world = _seed(bases, [f"ws://127.0.0.1:{p + 1}" for p in PORTS])
        samples: list[Sample] = []
        tally = Tally()
        seconds = args.minutes * 60
        trio.run(_soak, world, [psutil.Process(p.pid) for p in procs], pgs, seconds, args.rate, samples, tally)
        summary, failed = summarise(samples, tally, seconds)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2))
        print(json.dumps({k: v for k, v in summary.items() if k != "samples"}, indent=2))
        for line in failed:
            print(f"soak: FAILED: {line}", file=sys.stderr)
        return 1 if failed else 0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        pgs.cleanup()


if __name__ == "__main__":
    sys.exit(main())
