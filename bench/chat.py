"""Chat load: N group conversations of P participants, every participant on a websocket
subscribed to their conversation, each conversation sending one message a second (senders
rotate) over REST for S seconds.

Measures send-to-delivery latency (from just before the POST to the frame arriving at each
participant's socket, the sender's included; one sample per socket) and the server's CPU per message (the
`community serve` subprocess's user+system time over the sending window, from /proc).

    python -m bench.chat [--conversations 200] [--participants 5] [--seconds 60] [--port 18300]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import trio
from trio_websocket import WebSocketConnection, connect_websocket_url

from community.db.pool import Conn, close, connect
from community.identity.tokens import LocalKeys
from community.settings import Settings

RESULTS = Path(__file__).parent / "results"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _postgres_cpu_seconds(data_dir: Path) -> float:
    """User+system time of every PostgreSQL process serving `data_dir` (the postmaster's children)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if proc.joinpath("comm").read_text().strip() != "postgres":
                continue
            if str(data_dir) not in proc.joinpath("cmdline").read_text() and \
                    _parent_cmdline(proc) != str(data_dir):
                continue
            total += _cpu_seconds(int(proc.name))
        except OSError:  # gone meanwhile
            continue
    return total


def _parent_cmdline(proc: Path) -> str:
    ppid = proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1]
    cmdline = Path(f"/proc/{ppid}/cmdline").read_text()
    return next((part for part in cmdline.split("\0") if part.endswith("/pg")), "")


def _progress(text: str) -> None:
    print(f"bench.chat: {text}", file=sys.stderr, flush=True)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


_ACTIVE_WAITS = """
SELECT coalesce(wait_event_type || ':' || wait_event, 'running') AS wait FROM pg_stat_activity
WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
"""


class Bench:
    def __init__(self, conversations: int, participants: int, seconds: float, *, pg_dir: Path,
                  profile: Path | None = None) -> None:
        self.n_conv, self.n_part, self.seconds = conversations, participants, seconds
        self.pg_dir, self.profile = pg_dir, profile
        self.dsn: str | None = None
        self.sent_at: dict[str, float] = {}
        self.latencies: list[float] = []
        self.sent = 0
        self.errors: dict[int, int] = {}
        self.waiting, self.all_connected = 0, trio.Event()
        self.ws_nursery: trio.Nursery | None = None

    async def seed(self, dsn: str, keys: LocalKeys) -> tuple[str, list[list[tuple[uuid.UUID, str]]]]:
        settings = Settings(_env_file=None)
        self.dsn = dsn
        conn: Conn = await connect(dsn)
        try:
            # Time per PL/pgSQL function (pg_stat_user_functions): where PostgreSQL's share of a send goes.
            await conn.execute("ALTER SYSTEM SET track_functions = 'pl'")
            await conn.execute("SELECT pg_reload_conf()")
            slug = f"bench-{uuid.uuid4().hex[:6]}"
            org_id = await conn.fetchval(
                "INSERT INTO organizations (name, slug, member_limit, settings) VALUES ('Bench', $1, NULL, $2) "
                "RETURNING id", slug, {"messaging": {"per_minute": 100_000}})
            groups = []
            for c in range(self.n_conv):
                people = []
                for p in range(self.n_part):
                    user_id = await conn.fetchval(
                        "INSERT INTO users (email, display_name) VALUES ($1, $2) RETURNING id",
                        f"b{c}-{p}-{uuid.uuid4().hex[:6]}@example.com", f"Bench {c}-{p}")
                    await conn.execute("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'member')",
                                       org_id, user_id)
                    token = keys.issue(str(user_id), issuer=settings.token_issuer, audience=settings.token_audience,
                                       ttl_seconds=3600)
                    people.append((user_id, token))
                groups.append(people)
        finally:
            await close(conn)
        return slug, groups

    async def run(self, http: str, ws_url: str, slug: str, groups: list[list[tuple[uuid.UUID, str]]],
                  pid: int) -> dict[str, Any]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=http, timeout=30, limits=limits) as client:
            conv_ids = [await self._start(client, slug, people) for people in groups]
            async with trio.open_nursery() as nursery:
                ready = trio.CapacityLimiter(50)  # do not stampede the handshake
                self.waiting, self.all_connected = len(groups) * self.n_part, trio.Event()
                for people, conv_id in zip(groups, conv_ids, strict=True):
                    for _, token in people:
                        nursery.start_soon(self._listen, ws_url, slug, token, conv_id, ready)
                opening = time.monotonic()
                with trio.fail_after(120 + 0.1 * self.waiting):
                    await self.all_connected.wait()
                _progress(f"{len(groups) * self.n_part} sockets open in {time.monotonic() - opening:.1f} s; sending")
                cpu0, t0 = _cpu_seconds(pid), time.monotonic()
                own0, pg0 = _own_cpu_seconds(), _postgres_cpu_seconds(self.pg_dir)
                spy = None if self.profile is None else subprocess.Popen(  # noqa: ASYNC220 - a bench tool
                    [str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(pid), "-d",
                     str(int(self.seconds)), "-r", "100", "-f", "raw", "-o", str(self.profile)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                functions0 = await self._functions()
                waits: dict[str, int] = {}
                nursery.start_soon(self._sample_waits, waits)
                async with trio.open_nursery() as senders:
                    for i, (people, conv_id) in enumerate(zip(groups, conv_ids, strict=True)):
                        senders.start_soon(self._send_loop, client, slug, conv_id, people, i)
                _progress(f"{self.sent} sent in {time.monotonic() - t0:.1f} s; {len(self.latencies)} delivered")
                await trio.sleep(2)  # the last deliveries
                cpu1, t1 = _cpu_seconds(pid), time.monotonic()
                own1, pg1 = _own_cpu_seconds(), _postgres_cpu_seconds(self.pg_dir)
                await trio.sleep(1)  # backends flush their function counts about once a second
                functions = {name: (calls - functions0.get(name, (0, 0.0))[0], ms - functions0.get(name, (0, 0.0))[1])
                             for name, (calls, ms) in (await self._functions()).items()}
                nursery.cancel_scope.cancel()
                if spy is not None:
                    await trio.to_thread.run_sync(spy.wait)
        expected = self.sent * self.n_part  # the sender's own socket receives it too
        return {"conversations": self.n_conv, "participants": self.n_part, "sockets": self.n_conv * self.n_part,
                "seconds": self.seconds, "messages_sent": self.sent, "deliveries_expected": expected,
                "deliveries": len(self.latencies), "http_errors": self.errors,
                "latency_ms": {"p50": round(_percentile(self.latencies, 50) * 1000, 2),
                               "p90": round(_percentile(self.latencies, 90) * 1000, 2),
                               "p99": round(_percentile(self.latencies, 99) * 1000, 2),
                               "max": round(max(self.latencies, default=float("nan")) * 1000, 2)},
                "server_cpu_seconds": round(cpu1 - cpu0, 2), "wall_seconds": round(t1 - t0, 2),
                # Whether the load generator (one process, every socket and sender) is the bottleneck.
                "client_cpu_share": round((own1 - own0) / (t1 - t0), 2),
                "postgres_cpu_seconds": round(pg1 - pg0, 2),
                "postgres_cpu_ms_per_message": round((pg1 - pg0) * 1000 / max(1, self.sent), 3),
                "send_lag_seconds": round(max(0.0, (t1 - t0) - 2 - self.seconds - 1), 2),
                "server_cpu_ms_per_message": round((cpu1 - cpu0) * 1000 / max(1, self.sent), 3),
                # What the server's active PostgreSQL backends were doing, sampled every 50 ms while sending.
                # PL/pgSQL functions (triggers included): calls and self time (ms) per message sent.
                "postgres_functions_per_message": {
                    name: {"calls": round(calls / max(1, self.sent), 2), "self_ms": round(ms / max(1, self.sent), 3)}
                    for name, (calls, ms) in sorted(functions.items(), key=lambda kv: -kv[1][1])[:10]},
                "postgres_active_waits": dict(sorted(waits.items(), key=lambda kv: -kv[1])[:8]),
                "server_cpu_us_per_delivery": round((cpu1 - cpu0) * 1e6 / max(1, len(self.latencies)), 1)}

    async def _functions(self) -> dict[str, tuple[int, float]]:
        assert self.dsn is not None
        conn = await connect(self.dsn)
        try:
            return {r["funcname"]: (r["calls"], r["self_time"]) for r in await conn.fetch(
                "SELECT funcname, sum(calls)::bigint AS calls, sum(self_time) AS self_time "
                "FROM pg_stat_user_functions GROUP BY funcname")}
        finally:
            await close(conn)

    async def _sample_waits(self, waits: dict[str, int]) -> None:
        assert self.dsn is not None
        conn = await connect(self.dsn)
        try:
            while True:
                for record in await conn.fetch(_ACTIVE_WAITS):
                    waits[record["wait"]] = waits.get(record["wait"], 0) + 1
                await trio.sleep(0.05)
        finally:
            await close(conn)

    async def _start(self, client: httpx.AsyncClient, slug: str, people: list[tuple[uuid.UUID, str]]) -> str:
        owner, *others = people
        r = await client.post(f"/api/orgs/{slug}/conversations",
                              json={"participant_ids": [str(u) for u, _ in others], "title": "bench"},
                              headers={"Authorization": f"Bearer {owner[1]}"})
        r.raise_for_status()
        return str(r.json()["conversation"]["id"])

    async def _listen(self, ws_url: str, slug: str, token: str, conv_id: str, ready: trio.CapacityLimiter) -> None:
        async with ready:
            ws = await self._connect(ws_url, slug, token, conv_id)
        self.waiting -= 1
        if self.waiting == 0:
            self.all_connected.set()
        while True:
            frame = json.loads(await ws.get_message())
            if frame.get("type") == "message_created":
                at = self.sent_at.get(frame["message"]["content"])
                if at is not None:
                    self.latencies.append(trio.current_time() - at)

    async def _connect(self, ws_url: str, slug: str, token: str, conv_id: str) -> WebSocketConnection:
        assert self.ws_nursery is not None
        ws = await connect_websocket_url(self.ws_nursery, f"{ws_url}?org={slug}",
                                         extra_headers=[(b"authorization", f"Bearer {token}".encode())])
        await ws.get_message()  # welcome
        await ws.send_message(json.dumps({"type": "subscribe", "channel": f"conversation:{conv_id}"}))
        while json.loads(await ws.get_message()).get("type") != "subscribed":
            pass
        return ws

    async def _send_loop(self, client: httpx.AsyncClient, slug: str, conv_id: str,
                         people: list[tuple[uuid.UUID, str]], index: int) -> None:
        await trio.sleep(index / self.n_conv)  # spread the senders over the second
        start = trio.current_time()
        for n in range(int(self.seconds)):
            await trio.sleep_until(start + n)
            _, token = people[n % len(people)]
            content = f"m {index} {n}"
            self.sent_at[content] = trio.current_time()
            r = await client.post(f"/api/orgs/{slug}/conversations/{conv_id}/messages",
                                  json={"content": content, "client_id": content},
                                  headers={"Authorization": f"Bearer {token}"})
            if r.status_code == 201:
                self.sent += 1
            else:
                self.errors[r.status_code] = self.errors.get(r.status_code, 0) + 1


async def main(args: argparse.Namespace) -> dict[str, Any]:
    import pgserver

    with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp:
        server = pgserver.get_server(  # type: ignore[attr-defined]
           Path(tmp) / "pg", cleanup_mode="stop")
        dsn = str(server.get_uri())
        port, ws_port = (args.port, args.port + 1) if args.port else (_free_port(), _free_port())
        env = {**os.environ, "WORKERS": "1", "DATABASE_URL": dsn,
               "COMMUNITY_DATA_DIR": str(Path(tmp) / "var"), "PORT": str(port),
               "WEBSOCKET_PORT": str(ws_port), "LOG_LEVEL": "warning", "DB_POOL_MAX": "20"}
        proc = await trio.lowlevel.open_process([sys.executable, "-m", "community", "serve"], env=env,
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            http = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient() as probe:
                with trio.fail_after(60):
                    while True:
                        try:
                            if (await probe.get(f"{http}/readyz")).status_code == 200:
                                break
                        except httpx.TransportError:
                            pass
                        await trio.sleep(0.2)
            keys = LocalKeys()  # the server's signing keys, from the database
            await keys.load(dsn, data_dir=Path(tmp) / "var", rotate_after=timedelta(days=30),
                            keep_for=timedelta(days=31))
            bench = Bench(args.conversations, args.participants, args.seconds, pg_dir=Path(tmp) / "pg",
                          profile=args.profile)
            slug, groups = await bench.seed(dsn, keys)
            async with trio.open_nursery() as ws_nursery:
                bench.ws_nursery = ws_nursery
                result = await bench.run(http, f"ws://127.0.0.1:{ws_port}/ws", slug, groups, proc.pid)
                ws_nursery.cancel_scope.cancel()
            return result
        finally:
            proc.terminate()
            with trio.move_on_after(30):
                await proc.wait()
            server.cleanup()


def _table(result: dict[str, Any]) -> str:
    lat = result["latency_ms"]
    return "\n".join([
        "| conversations x participants | sockets | seconds | sent | delivered / expected | p50 ms | p99 ms | "
        "server CPU ms/message | server CPU us/delivery |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {result['conversations']} x {result['participants']} | {result['sockets']} | {result['seconds']} | "
        f"{result['messages_sent']} | {result['deliveries']} / {result['deliveries_expected']} | {lat['p50']} | "
        f"{lat['p99']} | {result['server_cpu_ms_per_message']} | {result['server_cpu_us_per_delivery']} |"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--participants", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--port", type=int, default=0, help="HTTP port (the websocket listener takes the next one); "
                        "0: any free pair")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy raw stacks of the server while sending")
    outcome = trio.run(main, parser.parse_args())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "chat.json").write_text(json.dumps(outcome, indent=2))
    print(json.dumps(outcome, indent=2))
    print(_table(outcome))
