"""Websocket benchmark: `community serve` against a minimal `websockets` (asyncio) peer.

    .venv/bin/python -m bench.ws [--idle 2000] [--fanout 1000,2000] [--events 20]
                                    [--latency 1000] [--rate 50] [--seconds 5] [--typists 40] [--watchers 25]

Servers run in subprocesses; the clients (trio-websocket) run here, in a separate process.
Server CPU and memory are read from the server's process with psutil. Prints a Markdown table
and writes JSON next to this file (`ws-results.json`).

Fan-out is measured twice per fleet size: CPU per delivered frame with the event's making
included (a REST post for community, one publish frame for the peer), and "delivery alone":
that minus the same posts' cost on a topic no socket follows, measured with the same fleet
open (so the notifier's judging and every background task are in both and cancel out).
CPU per delivery holds steady on a loaded box; wall-clock figures do not (the load average
is recorded with every run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
import trio
import trio.lowlevel
from trio_websocket import WebSocketConnection, open_websocket_url

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
_LAT = re.compile(r"lat-(\d+)")


_PORTS: list[int] = []  # --port: the ports to hand out, in order (else any free one)


def free_port() -> int:
    if _PORTS:
        return _PORTS.pop(0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


# ---------------------------------------------------------------- the peer (asyncio, `websockets`)

async def _peer_main(port: int) -> None:
    import websockets

    channels: dict[str, set[Any]] = {}

    async def handler(ws: Any) -> None:
        await ws.send(json.dumps({"type": "welcome"}))
        mine: set[str] = set()
        try:
            async for message in ws:
                frame = json.loads(message)
                if frame["type"] == "subscribe":
                    channels.setdefault(frame["channel"], set()).add(ws)
                    mine.add(frame["channel"])
                    await ws.send(json.dumps({"type": "subscribed", "channel": frame["channel"]}))
                elif frame["type"] == "publish":  # encoded once, the same text to every subscriber
                    data = json.dumps({"type": "post_created", "id": frame["id"], "channel": frame["channel"],
                                       "post": {"content": frame["content"]}})
                    websockets.broadcast(channels.get(frame["channel"], ()), data)
        finally:
            for channel in mine:
                channels.get(channel, set()).discard(ws)

    async with websockets.serve(handler, "127.0.0.1", port, max_size=64 * 1024, ping_interval=30):
        await asyncio.Future()


# ---------------------------------------------------------------- targets

class Target:
    name = ""
    proc: subprocess.Popen[bytes]
    ws_url = ""

    @property
    def ps(self) -> psutil.Process:
        return psutil.Process(self.proc.pid)

    async def publish(self, i: int) -> None:
        raise NotImplementedError

    def url(self, _user: int) -> str:
        return self.ws_url


class Community(Target):
    name = "community"

    def __init__(self, data_dir: Path) -> None:
        self.http_port, self.ws_port = free_port(), free_port()
        env = {**os.environ, "WORKERS": "1", "PORT": str(self.http_port), "WEBSOCKET_PORT": str(self.ws_port),
               "COMMUNITY_DATA_DIR": str(data_dir), "LOG_LEVEL": "warning", "LOG_FORMAT": "json",
               "DB_POOL_MAX": "20",
               # The community tier seats 50 members, so a few accounts hold many sockets each.
               "WS_MAX_CONNECTIONS_PER_USER": "100000"}
        env.pop("DATABASE_URL", None)
        self.proc = subprocess.Popen([PYTHON, "-m", "community", "serve"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"community server pid={self.proc.pid}", file=sys.stderr, flush=True)
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.ws_url = f"ws://127.0.0.1:{self.ws_port}/ws"
        self.tokens: list[str] = []
        self.topics: list[str] = []
        self.forum = ""
        self.owner: dict[str, str] = {}
        self.org = ""

    async def setup(self, client: httpx.AsyncClient, users: int) -> None:
        with trio.fail_after(120):
            while True:
                try:
                    if (await client.get(f"{self.base}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await trio.sleep(0.3)
        owner = await self._register(client, "owner")
        self.owner = {"Authorization": f"Bearer {owner}"}
        r = await client.post(f"{self.base}/api/orgs", headers=self.owner, json={"name": "Bench"})
        self.org = r.json()["organization"]["slug"]
        r = await client.post(f"{self.base}/api/orgs/{self.org}/forums", headers=self.owner, json={"name": "Bench"})
        self.forum = r.json()["forum"]["id"]
        for n in range(3):
            r = await client.post(f"{self.base}/api/orgs/{self.org}/forums/{self.forum}/topics", headers=self.owner,
                                  json={"title": f"Topic {n}", "content": "bench"})
            self.topics.append(r.json()["topic"]["id"])
        for n in range(users):
            token = await self._register(client, f"user{n}")
            r = await client.post(f"{self.base}/api/orgs/{self.org}/invitations", headers=self.owner,
                                  json={"email": f"user{n}-{self.tag}@bench.example", "role": "member"})
            invite = r.json()["invitation"]["token"]
            r = await client.post(f"{self.base}/api/invitations/{invite}/accept",
                                  headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.text
            self.tokens.append(token)

    tag = uuid.uuid4().hex[:6]

    async def _register(self, client: httpx.AsyncClient, who: str) -> str:
        r = await client.post(f"{self.base}/api/auth/register",
                              json={"email": f"{who}-{self.tag}@bench.example", "password": "bench password 1",
                                    "display_name": who})
        return str(r.json()["token"])

    def url(self, user: int) -> str:
        return f"{self.ws_url}?org={self.org}&access_token={self.tokens[user % len(self.tokens)]}"

    async def publish(self, i: int, client: httpx.AsyncClient | None = None,  # type: ignore[override]
                      topic: int = 0) -> None:
        assert client is not None
        r = await client.post(f"{self.base}/api/orgs/{self.org}/topics/{self.topics[topic]}/posts", headers=self.owner,
                              json={"content": f"lat-{i}"})
        assert r.status_code == 201, r.text


class Peer(Target):
    name = "peer (websockets)"

    def __init__(self) -> None:
        port = free_port()
        self.proc = subprocess.Popen([PYTHON, "-m", "bench.ws", "--peer-server", str(port)], cwd=ROOT)
        self.ws_url = f"ws://127.0.0.1:{port}/"
        self.topics = ["topic:t0", "topic:t1", "topic:t2"]
        self.forum = "forum:f"
        self.publisher: WebSocketConnection | None = None

    async def publish(self, i: int, client: httpx.AsyncClient | None = None,  # type: ignore[override]
                      topic: int = 0) -> None:
        assert self.publisher is not None
        await self.publisher.send_message(json.dumps({"type": "publish", "id": i, "channel": self.topics[topic],
                                                      "content": f"lat-{i}"}))


# ---------------------------------------------------------------- clients

class Fleet:
    """N sockets; each counts post_created frames and records arrival times per event index."""

    def __init__(self) -> None:
        self.received = 0
        self.last_seen: dict[int, float] = {}
        self.target_count = 0
        self.frames = 0
        self.done = trio.Event()
        self.opens_per_s = 0.0
        self.open_cpu_ms = 0.0  # server CPU per socket opened (handshake, welcome, subscribes)

    def expect(self, total: int) -> None:
        self.received, self.target_count, self.done = 0, total, trio.Event()
        self.last_seen.clear()

    async def hold(self, url: str, channels: list[str], ready: Callable[[], None], stop: trio.Event,
                   limiter: trio.Semaphore) -> None:
        await limiter.acquire()
        async with open_websocket_url(url, message_queue_size=64) as ws:
            await ws.get_message()  # welcome
            for channel in channels:  # pipelined: every subscribe goes, then the answers are read
                await ws.send_message(json.dumps({"type": "subscribe", "channel": channel}))
            answered = 0
            while answered < len(channels):
                message = await ws.get_message()
                if '"subscribed"' in message:
                    answered += 1
                elif '"error"' in message:
                    raise RuntimeError(f"subscribe refused: {message[:200]}")
            limiter.release()
            ready()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._read, ws)
                await stop.wait()
                nursery.cancel_scope.cancel()

    async def quiesce(self) -> None:
        """Wait until no frame at all arrived for a second (presence after a fleet opens, ...)."""
        with trio.move_on_after(60):
            while True:
                before = self.frames
                await trio.sleep(1)
                if self.frames == before:
                    return

    async def _read(self, ws: WebSocketConnection) -> None:
        while True:
            message = await ws.get_message()
            self.frames += 1
            if '"post_created"' not in message:
                continue
            match = _LAT.search(message)
            if match:
                self.last_seen[int(match[1])] = trio.current_time()
            self.received += 1
            if self.target_count and self.received >= self.target_count:
                self.done.set()


# Handshakes in flight while a fleet opens; and the time it may take: 60 s plus 20 ms a socket
# (50 opens a second: 10,000 sockets get 260 s), so a large fleet is not cut off by a fixed bound.
IN_FLIGHT = 200


OPEN_PER_SOCKET = [0.02]  # --open-per-socket: seconds a socket may take to open (a contended box needs more)


def open_timeout(count: int) -> float:
    return 60 + count * OPEN_PER_SOCKET[0]


@asynccontextmanager
async def open_fleet(target: Target, count: int, channels: list[str]) -> AsyncIterator[Fleet]:
    fleet, stop, ready = Fleet(), trio.Event(), trio.Event()
    opened = 0
    started, cpu_started = time.monotonic(), cpu_seconds(target.ps)

    def one_ready() -> None:
        nonlocal opened
        opened += 1
        if opened == count:
            ready.set()

    async with trio.open_nursery() as nursery:
        limiter = trio.Semaphore(IN_FLIGHT)

        async def start(i: int) -> None:
            await fleet.hold(target.url(i), channels, one_ready, stop, limiter)

        for i in range(count):
            nursery.start_soon(start, i)
            if i % 500 == 499:
                await trio.lowlevel.checkpoint()
        try:
            with trio.fail_after(open_timeout(count)):
                await ready.wait()
        except trio.TooSlowError:
            msg = f"{target.name}: {opened} of {count} sockets open after {open_timeout(count):.0f} s"
            raise RuntimeError(msg) from None
        fleet.opens_per_s = round(count / (time.monotonic() - started), 1)
        fleet.open_cpu_ms = round((cpu_seconds(target.ps) - cpu_started) / count * 1000, 2)
        print(f"opened {count} {target.name} in {time.monotonic() - started:.1f} s ({fleet.opens_per_s}/s, "
              f"server CPU {fleet.open_cpu_ms} ms per socket, load {os.getloadavg()[0]:.1f})",
              file=sys.stderr, flush=True)
        yield fleet
        stop.set()


# ---------------------------------------------------------------- scenarios

async def measure_idle(target: Target, count: int) -> dict[str, Any]:
    ps = target.ps
    rss0 = ps.memory_info().rss
    async with open_fleet(target, count, [target.forum if target.name != "community" else f"forum:{target.forum}",
                                          *[_ch(target, t) for t in target.topics]]) as fleet:
        await fleet.quiesce()
        print(f"idle-start {target.name} pid={target.proc.pid}", file=sys.stderr, flush=True)
        rss1 = ps.memory_info().rss
        cpu0, t0 = cpu_seconds(ps), time.monotonic()
        await trio.sleep(10)
        idle_cpu = (cpu_seconds(ps) - cpu0) / (time.monotonic() - t0)
    return {"sockets": count, "kb_per_socket": round((rss1 - rss0) / count / 1024, 1),
            "idle_cpu_percent": round(idle_cpu * 100, 2), "opens_per_s": fleet.opens_per_s,
            "open_cpu_ms": fleet.open_cpu_ms}


def _ch(target: Target, topic: str) -> str:
    return f"topic:{topic}" if target.name == "community" else topic


async def _post_cost(target: Target, client: httpx.AsyncClient, events: int) -> float:
    """Server CPU seconds of one event made on a topic no socket follows: the REST post (or the peer's
    publish frame), the transaction, triggers and the notifier's judging, but no delivery."""
    ps = target.ps
    await trio.sleep(0.5)
    cpu0 = cpu_seconds(ps)
    for i in range(events):
        await target.publish(10_000 + i, client, topic=2)  # type: ignore[call-arg]
        await trio.sleep(0.02)
    await trio.sleep(0.5)  # what follows a commit (notifier, notification writer) is counted too
    return (cpu_seconds(ps) - cpu0) / events


async def measure_fanout(target: Target, client: httpx.AsyncClient, count: int, events: int) -> dict[str, Any]:
    """CPU per delivered frame, with the post that made the event and without it ("delivery alone":
    minus the same post's cost on a topic nobody follows, measured with the same fleet open)."""
    async with open_fleet(target, count, [_ch(target, target.topics[0])]) as fleet:
        await fleet.quiesce()
        post = await _post_cost(target, client, events)
        await fleet.quiesce()
        fleet.expect(count * events)
        ps = target.ps
        cpu0, t0 = cpu_seconds(ps), time.monotonic()
        print(f"fanout-start {target.name} {count} pid={target.proc.pid}", file=sys.stderr, flush=True)
        for i in range(events):
            await target.publish(i, client)  # type: ignore[call-arg]
            await trio.sleep(0.02)
        with trio.fail_after(120 + count * events / 1000):
            await fleet.done.wait()
        elapsed = time.monotonic() - t0
        await trio.sleep(0.5)  # as in _post_cost
        cpu = cpu_seconds(ps) - cpu0
    delivered = count * events
    return {"sockets": count, "events": events, "delivered": delivered,
            "us_per_delivery": round(cpu / delivered * 1e6, 1),
            "post_us": round(post * 1e6, 1),
            "us_per_delivery_alone": round((cpu - post * events) / delivered * 1e6, 1),
            "deliveries_per_s": round(delivered / elapsed), "load_average": os.getloadavg()[0]}


async def measure_latency(target: Target, client: httpx.AsyncClient, count: int, rate: int,
                          seconds: float) -> dict[str, Any]:
    total = int(rate * seconds)
    sent: dict[int, float] = {}
    async with open_fleet(target, count, [_ch(target, target.topics[0])]) as fleet:
        await fleet.quiesce()
        fleet.expect(count * total)
        async with trio.open_nursery() as nursery:
            for i in range(total):
                sent[i] = trio.current_time()
                nursery.start_soon(target.publish, i, client)
                await trio.sleep(1 / rate)
        with trio.fail_after(60):
            await fleet.done.wait()
    lat = sorted((fleet.last_seen[i] - sent[i]) * 1000 for i in sent if i in fleet.last_seen)
    return {"watchers": count, "events": total, "rate": rate, "p50_ms": round(statistics.median(lat), 1),
            "p99_ms": round(lat[int(len(lat) * 0.99) - 1], 1)}


async def measure_typing(target: Community, typists: int, watchers: int, seconds: float) -> dict[str, Any]:
    channel = f"topic:{target.topics[1]}"
    async with open_fleet(target, watchers, [channel]):
        sockets: list[WebSocketConnection] = []
        async with trio.open_nursery() as nursery:
            stop = trio.Event()

            async def typist(i: int) -> None:
                async with open_websocket_url(target.url(i)) as ws:
                    await ws.get_message()
                    sockets.append(ws)
                    while not stop.is_set():
                        await ws.send_message(json.dumps({"type": "typing", "topic_id": target.topics[1]}))
                        with trio.move_on_after(1):
                            await stop.wait()

            for i in range(typists):
                nursery.start_soon(typist, i)
            await trio.sleep(2)
            ps = target.ps
            cpu0, t0 = cpu_seconds(ps), time.monotonic()
            await trio.sleep(seconds)
            cpu = (cpu_seconds(ps) - cpu0) / (time.monotonic() - t0)
            stop.set()
    return {"typists": typists, "watchers": watchers, "server_cpu_percent": round(cpu * 100, 1),
            "note": "each typist sends 1/s; the server forwards at most 1 per 3 s"}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": f"{platform.platform()} · {psutil.cpu_count()} CPUs · "
                                          f"{round(psutil.virtual_memory().total / 2**30, 1)} GiB",
                               "command": " ".join(sys.argv), "load_average_start": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        community, peer = Community(Path(tmp)), Peer()
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                await community.setup(client, max(args.typists, 1))
                async with open_websocket_url(peer.ws_url) as publisher:
                    await publisher.get_message()
                    peer.publisher = publisher
                    for target in (community, peer):
                        print(f"measuring {target.name}", file=sys.stderr)
                        r = results.setdefault(target.name, {})
                        r["idle"] = await measure_idle(target, args.idle)
                        r["fanout"] = [await measure_fanout(target, client, n, args.events) for n in args.fanout]
                        r["latency"] = await measure_latency(target, client, args.latency, args.rate, args.seconds)
                results["community"]["typing"] = await measure_typing(community, args.typists, args.watchers,
                                                                      args.seconds)
        finally:
            for target in (community, peer):
                target.proc.terminate()
                try:
                    target.proc.wait(20)
                except subprocess.TimeoutExpired:
                    target.proc.kill()
                    target.proc.wait()
    results["load_average_end"] = os.getloadavg()
    return results


def table(results: dict[str, Any]) -> str:
    c, p = results["community"], results["peer (websockets)"]
    lines = [f"Machine: {results['machine']}  ", f"Command: `{results['command']}`  ",
             f"Load average (1/5/15 min) at start {results.get('load_average_start')}, "
             f"at end {results.get('load_average_end')}", "",
             "| measure | community | peer (websockets) | ratio |", "|---|---|---|---|"]
    lines.append(f"| idle: KB per socket ({c['idle']['sockets']} sockets, org+forum+3 topics) | "
                 f"{c['idle']['kb_per_socket']} | {p['idle']['kb_per_socket']} | |")
    lines.append(f"| idle: server CPU % | {c['idle']['idle_cpu_percent']} | {p['idle']['idle_cpu_percent']} | |")
    lines.append(f"| opening: sockets per second ({c['idle']['sockets']}) | {c['idle'].get('opens_per_s')} | "
                 f"{p['idle'].get('opens_per_s')} | |")
    lines.append(f"| opening: server CPU ms per socket (handshake + 4 subscribes) | {c['idle'].get('open_cpu_ms')} | "
                 f"{p['idle'].get('open_cpu_ms')} | |")
    for cf, pf in zip(c["fanout"], p["fanout"], strict=True):
        ratio = round(cf["us_per_delivery"] / pf["us_per_delivery"], 2) if pf["us_per_delivery"] else "-"
        lines.append(f"| fan-out {cf['sockets']} x {cf['events']}: server µs per delivery (post included) | "
                     f"{cf['us_per_delivery']} | {pf['us_per_delivery']} | {ratio} |")
        alone = round(cf["us_per_delivery_alone"] / pf["us_per_delivery_alone"], 2) \
            if pf["us_per_delivery_alone"] > 0 else "-"
        lines.append(f"| fan-out {cf['sockets']}: µs per delivery alone (post: {cf['post_us']} / {pf['post_us']} µs) | "
                     f"{cf['us_per_delivery_alone']} | {pf['us_per_delivery_alone']} | {alone} |")
        lines.append(f"| fan-out {cf['sockets']}: deliveries/s | {cf['deliveries_per_s']} | "
                     f"{pf['deliveries_per_s']} | |")
    by_n = {f["sockets"]: f for f in c["fanout"]}
    if 1000 in by_n and 5000 in by_n:
        lines.append(f"| fan-out 5,000 / 1,000 per delivery alone | "
                     f"{round(by_n[5000]['us_per_delivery_alone'] / by_n[1000]['us_per_delivery_alone'], 2)} | | |")
    cl, pl = c["latency"], p["latency"]
    lines.append(f"| latency {cl['watchers']} watchers @ {cl['rate']}/s: p50 / p99 ms | "
                 f"{cl['p50_ms']} / {cl['p99_ms']} | {pl['p50_ms']} / {pl['p99_ms']} | |")
    t = c["typing"]
    lines.append(f"| typing {t['typists']} typists x {t['watchers']} watchers: server CPU % | "
                 f"{t['server_cpu_percent']} | | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer-server", type=int)
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--fanout", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 2000])
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--latency", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--typists", type=int, default=40)  # the community tier seats 50
    parser.add_argument("--watchers", type=int, default=25)
    parser.add_argument("--port", type=int, default=0, help="first of the ports to use (the servers take the next "
                        "ones in turn); 0: any free ones")
    parser.add_argument("--open-per-socket", type=float, default=0.02)
    args = parser.parse_args()
    OPEN_PER_SOCKET[0] = args.open_per_socket
    if args.port:
        _PORTS.extend(range(args.port, args.port + 50))
    if args.peer_server:
        asyncio.run(_peer_main(args.peer_server))
        return
    results = trio.run(run, args)
    (Path(__file__).parent / "ws-results.json").write_text(json.dumps(results, indent=2))
    print(table(results))

if __name__ == "__main__":
    main()
