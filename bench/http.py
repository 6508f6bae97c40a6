"""HTTP benchmark with wrk: the issue's REST targets side by side with `/healthz`, in one run.

    .venv/bin/python -m bench.http [--seconds 10] [--workers N] [--json PATH]

Starts an embedded PostgreSQL and `community serve --role http` (a subprocess), seeds one
org (200 topics of 200 posts, written straight to the database), then runs `wrk` (apt
package `wrk`) against each target. Server CPU per request is the CPU time of the server's
process tree (psutil) over the run divided by the requests wrk counted. PostgreSQL's CPU
is reported beside it. Everything shares this machine's cores, which the table states.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PORT = 9110


@dataclass
class Run:
    name: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    server_cpu_ms: float
    postgres_cpu_ms: float


def tree_cpu(proc: psutil.Process) -> float:
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def postgres_tree(pgdata: Path) -> psutil.Process:
    """The benchmark's own postmaster (its pid is the first line of postmaster.pid)."""
    return psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def wrk(url: str, *, connections: int, seconds: float, script: Path | None = None,
        headers: dict[str, str] | None = None) -> dict[str, Any]:
    cmd = ["wrk", "-t", "1" if connections < 4 else "2", "-c", str(connections), "-d", f"{seconds:g}s",
           "--latency", "--timeout", "10s"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    if "99" not in lat:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return {"requests": requests, "errors": errors, "p50_ms": _ms(lat["50"]), "p99_ms": _ms(lat["99"]),
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]


def measure(name: str, url: str, server: psutil.Process, pg: psutil.Process, *, connections: int,
            seconds: float, profile: Path | None = None, **kwargs: Any) -> Run:
    wrk(url, connections=connections, seconds=2, **kwargs)  # warm-up
    cpu0, pg0 = tree_cpu(server), tree_cpu(pg)
    spy = None
    if profile is not None:  # py-spy on the (first) server process, collapsed stacks
        pid = next((c.pid for c in server.children(recursive=True) if "python" in c.name()), server.pid)
        spy = subprocess.Popen(["py-spy", "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "250",
                                "--nonblocking", "-f", "raw", "-o", str(profile)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    r = wrk(url, connections=connections, seconds=seconds, **kwargs)
    cpu, pgcpu = tree_cpu(server) - cpu0, tree_cpu(pg) - pg0
    if spy is not None:
        spy.wait(30)
    n = max(r["requests"], 1)
    run = Run(name=name, connections=connections, rps=round(r["rps"], 1), p50_ms=round(r["p50_ms"], 2),
              p99_ms=round(r["p99_ms"], 2), requests=r["requests"], errors=r["errors"],
              server_cpu_ms=round(cpu / n * 1000, 3), postgres_cpu_ms=round(pgcpu / n * 1000, 3))
    print(json.dumps(asdict(run)), flush=True)
    return run


async def seed(dsn: str, user_id: uuid.UUID, topics: int, per_topic: int) -> tuple[str, uuid.UUID, list[uuid.UUID]]:
    from bench.rest import seed as rest_seed

    return await rest_seed(dsn, user_id, topics, per_topic)


def page_cache_metrics(base: str) -> dict[str, float]:
    """One server process's page cache counters (the process that answered the scrape)."""
    text = httpx.get(f"{base}/metrics").text
    found = dict(re.findall(r"^community_page_cache_(\w+) ([\d.e+]+)$", text, re.MULTILINE))
    counts = {k: float(v) for k, v in found.items()}
    looked = counts.get("hits_total", 0) + counts.get("misses_total", 0)
    return {**counts, "hit_ratio": round(counts.get("hits_total", 0) / looked, 4) if looked else 0.0}


def wait_ready(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


_AS_MANY_SCRIPT = """
local tokens = {%(tokens)s}
local n = 0
request = function()
  n = n + 1
  local headers = {["Authorization"] = "Bearer " .. tokens[(n %% #tokens) + 1],
                   ["Content-Type"] = "application/json"}
  %(request)s
end
"""
# Messages and searches are limited per member (messaging.per_minute <= 1000, SEARCH_PER_MINUTE): the
# benchmark's requests rotate over several members so that no 429 is counted as a request served.
_SEND = """return wrk.format("POST", nil, headers, '{"content": "Message ' .. n .. ' from the benchmark."}')"""
_SEARCH = """return wrk.format("GET", nil, headers)"""
SENDERS = 6


def as_many(tokens: list[str], request: str) -> str:
    return _AS_MANY_SCRIPT % {"tokens": ", ".join(f'"{t}"' for t in tokens), "request": request}


def register(base: str, name: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.post(f"{base}/api/auth/register", json={
        "email": f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com", "password": "bench-password-1",
        "display_name": name}).json()
    return body


async def seed_chat(dsn: str, slug: str, user_ids: list[uuid.UUID]) -> None:
    """The other senders join the org as members; a member may send 1,000 messages a minute."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        org_id = await conn.fetchval("SELECT id FROM organizations WHERE slug = $1", slug)
        await conn.executemany("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'member')",
                               [(org_id, u) for u in user_ids])
        await conn.execute("""UPDATE organizations SET current_member_count = current_member_count + $2,
                              settings = settings || '{"messaging": {"per_minute": 1000}}'::jsonb WHERE id = $1""",
                           org_id, len(user_ids))
    finally:
        await conn.close()


async def wait_indexed(dsn: str, *, limit_s: float = 600) -> float:
    """Seconds until the server's indexer has emptied the search queue the seed filled."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    started = time.monotonic()
    try:
        while await conn.fetchval("SELECT count(*) FROM search_queue"):
            if time.monotonic() - started > limit_s:
                raise RuntimeError("the search queue did not empty")
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
    return time.monotonic() - started


_POST_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"content": "A reply from the benchmark, number ' .. n .. '."}')
end
"""


def targets(args: argparse.Namespace) -> list[dict[str, Any]]:
    return [
        {"target": "topic page req/s at 50 conns", "goal": ">= 1000", "run": "topic_50", "field": "rps",
         "ok": lambda v: v >= 1000},
        {"target": "topic page p99 ms at 10 conns", "goal": "<= 25", "run": "topic_10", "field": "p99_ms",
         "ok": lambda v: v <= 25},
        {"target": "topic page / healthz req/s", "goal": ">= 0.5", "ratio": ("topic_50", "healthz_50"),
         "ok": lambda v: v >= 0.5},
        {"target": "post create server CPU / healthz", "goal": "<= 4", "cpu_ratio": ("post_create", "healthz_50"),
         "ok": lambda v: v <= 4},
        {"target": "message send server CPU / healthz", "goal": "<= 4",
         "cpu_ratio": ("message_send", "healthz_50"), "ok": lambda v: v <= 4},
        {"target": "search (recent) p99 ms at 10 conns", "goal": "<= 25", "run": "search_10", "field": "p99_ms",
         "ok": lambda v: v <= 25},
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=None, help="server processes (default: the server's)")
    parser.add_argument("--topics", type=int, default=200)
    parser.add_argument("--posts", type=int, default=200, help="posts per topic")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "http.json")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy raw stacks of one run (--profile-run)")
    parser.add_argument("--profile-run", default="topic_50", help="which run --profile records (a key of the JSON)")
    parser.add_argument("--port", type=int, default=PORT, help="REST port (the websocket port is the next one)")
    parser.add_argument("--only", default="", help="comma-separated runs to measure (keys of the JSON; default all)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench.http needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2

    import pgserver

    work = Path(tempfile.mkdtemp(prefix="community-bench-http-"))
    pgs = pgserver.get_server(work / "pg", cleanup_mode="stop")
    pgs.psql("CREATE DATABASE bench;")
    dsn = urlunsplit(urlsplit(str(pgs.get_uri()))._replace(path="/bench"))
    env = {**os.environ, "SEARCH_PER_MINUTE": "10000",
           "DATABASE_URL": dsn, "PORT": str(args.port), "WEBSOCKET_PORT": str(args.port + 1),
           "HOST": "127.0.0.1", "COMMUNITY_DATA_DIR": str(work / "var"), "LOG_LEVEL": "warning",
           "LOG_FORMAT": "json", "DB_POOL_MAX": "20"}
    cmd = [sys.executable, "-m", "community", "serve"]
    if args.workers is not None:
        cmd += ["--workers", str(args.workers)]
    server_log = (work / "server.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=server_log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{args.port}"
    try:
        try:
            wait_ready(f"{base}/readyz")
        except RuntimeError:
            print((work / "server.log").read_text()[-4000:], file=sys.stderr)
            raise
        reg = register(base, "Bench")
        slug, forum_id, topic_ids = asyncio.run(seed(dsn, uuid.UUID(reg["user"]["id"]), args.topics, args.posts))
        auth = {"Authorization": f"Bearer {reg['token']}"}
        others = [register(base, f"Sender{i}") for i in range(1, SENDERS)]
        asyncio.run(seed_chat(dsn, slug, [uuid.UUID(o["user"]["id"]) for o in others]))
        group = httpx.post(f"{base}/api/orgs/{slug}/conversations", headers=auth, json={
            "participant_ids": [o["user"]["id"] for o in others], "title": "Bench"})
        assert group.status_code == 201, group.text
        conversation = group.json()["conversation"]["id"]
        tokens = [reg["token"], *(o["token"] for o in others)]
        print(json.dumps({"indexed_after_s": round(asyncio.run(wait_indexed(dsn)), 1)}), flush=True)
        server, pg = psutil.Process(proc.pid), postgres_tree(work / "pg")
        topic = f"{base}/api/orgs/{slug}/topics/{topic_ids[0]}?limit=20"
        assert httpx.get(topic, headers=auth).status_code == 200
        script, send, search, readers = (work / "post.lua", work / "send.lua", work / "search.lua",
                                         work / "readers.lua")
        readers.write_text(as_many(tokens, _SEARCH))
        script.write_text(_POST_SCRIPT)
        send.write_text(as_many(tokens, _SEND))
        search.write_text(as_many(tokens, _SEARCH))
        def profile(run: str) -> Path | None:
            return args.profile if run == args.profile_run else None

        def run(name: str, url: str, connections: int, key: str, **kw: Any) -> tuple[str, Callable[[], Run]]:
            return key, lambda: measure(name, url, server, pg, connections=connections, seconds=args.seconds,
                                        profile=profile(key), **kw)

        api = f"{base}/api/orgs/{slug}"
        planned = dict([
            run("healthz", f"{base}/healthz", 50, "healthz_50"),
            run("topic page", topic, 50, "topic_50", headers=auth),
            run("topic page", topic, 10, "topic_10", headers=auth),
            # Several members reading the same page: one cache entry each (PAGE_CACHE_TTL_SECONDS=0
            # in the environment turns the cache off, for what a miss costs).
            run(f"topic page, {len(tokens)} readers", topic, 50, "topic_readers_50", script=readers),
            run("forum listing", f"{api}/forums/{forum_id}", 50, "forum_50", headers=auth),
            run("dashboard", f"{api}/dashboard", 10, "dashboard_10", headers=auth),
            run("post create", f"{api}/topics/{topic_ids[-1]}/posts", 10, "post_create", headers=auth, script=script),
            run("message send", f"{api}/conversations/{conversation}/messages", 10, "message_send", script=send),
            run("search (recent)", f"{api}/search?q=markdown&sort=recent&limit=20", 10, "search_10", script=search),
        ])
        only = [r for r in args.only.split(",") if r] or list(planned)
        runs = {key: measured() for key, measured in planned.items() if key in only or key == "healthz_50"}
        print(json.dumps({"page_cache": page_cache_metrics(base)}), flush=True)
    finally:
        proc.terminate()
        proc.wait(30)
        pgs.cleanup()
    report(runs, args)
    return 0


def report(runs: dict[str, Run], args: argparse.Namespace) -> None:
    rows = []
    for t in targets(args):
        if any(run not in runs for run in (t.get("run"), *t.get("ratio", ()), *t.get("cpu_ratio", ())) if run):
            continue  # not measured in this run (--only)
        if "run" in t:
            value = getattr(runs[t["run"]], t["field"])
            peer = getattr(runs["healthz_50"], "rps" if t["field"] == "rps" else t["field"])
        elif "ratio" in t:
            a, b = t["ratio"]
            value, peer = round(runs[a].rps / runs[b].rps, 3), runs[b].rps
        else:
            a, b = t["cpu_ratio"]
            value, peer = round(runs[a].server_cpu_ms / runs[b].server_cpu_ms, 2), runs[b].server_cpu_ms
        rows.append({"target": t["target"], "goal": t["goal"], "figure": value, "peer /healthz": peer,
                     "holds": "yes" if t["ok"](value) else "NO"})
    load = os.getloadavg()
    print(f"\nmachine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("| target | goal | figure | /healthz figure | holds |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['target']} | {r['goal']} | {r['figure']} | {r['peer /healthz']} | {r['holds']} |")
    print("\n| run | conns | req/s | p50 ms | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs.values():
        print(f"| {r.name} | {r.connections} | {r.rps} | {r.p50_ms} | {r.p99_ms} | {r.server_cpu_ms} | "
              f"{r.postgres_cpu_ms} | {r.errors} |")
    args.json.parent.mkdir(exist_ok=True)
    args.json.write_text(json.dumps({"load_average": load, "cpus": os.cpu_count(), "targets": rows,
                                     "runs": {k: asdict(v) for k, v in runs.items()}}, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
