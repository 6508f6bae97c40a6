"""REST benchmark: the topic page and the forum listing against a minimal quart-trio "hello" route.

    .venv/bin/python bench/rest.py [--seconds 15] [--concurrency 50] [--topics 2000] [--posts 100]

Starts an embedded PostgreSQL, `community serve` and a hello app as subprocesses, seeds
one org (topics x posts-per-topic posts, written straight to the database), then runs
closed-loop clients (trio + httpx) against each target: requests/s, p50, p99 and the
server process's CPU time per request (from /proc). Writes bench/results/rest.json and
its section of bench/RESULTS.md. The load generator shares the machine with the server: on a small box
it takes CPU the server could have used, which the report states.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import trio

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    target: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    server_cpu_ms_per_request: float


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / CLK_TCK


def hello_app() -> None:
    """The peer: the smallest quart-trio app on the same server stack."""
    import hypercorn.trio
    from hypercorn.config import Config
    from quart_trio import QuartTrio

    app = QuartTrio("hello")

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    config = Config()
    config.bind = [f"127.0.0.1:{sys.argv[2]}"]
    config.accesslog = None
    trio.run(hypercorn.trio.serve, app, config)


async def seed(dsn: str, user_id: uuid.UUID, topics: int, per_topic: int) -> tuple[str, uuid.UUID, list[uuid.UUID]]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        org_id, forum_id = uuid.uuid4(), uuid.uuid4()
        slug = f"bench-{org_id.hex[:6]}"
        async with conn.transaction():
            await conn.execute("INSERT INTO organizations (id, name, slug, current_member_count) "
                               "VALUES ($1, 'Bench', $2, 1)", org_id, slug)
            await conn.execute("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'owner')",
                               org_id, user_id)
            await conn.execute("INSERT INTO forums (id, org_id, name, slug, path) VALUES ($1, $2, 'Bench', "
                               "'bench', ARRAY[$1::uuid])", forum_id, org_id)
            await conn.execute("""
                INSERT INTO topics (org_id, forum_id, title, slug, content, html, excerpt, author_id, created_at,
                                    last_activity_at, tags)
                SELECT $1, $2, 'Topic number ' || g, 'topic-' || g, 'The **content** of topic ' || g,
                       '<p>The <strong>content</strong> of topic ' || g || '</p>', 'The content of topic ' || g, $3,
                       now() - make_interval(hours => g), now() - make_interval(hours => g), ARRAY['bench']
                FROM generate_series(1, $4::int) g""", org_id, forum_id, user_id, topics)
            await conn.execute("""
                INSERT INTO posts (org_id, topic_id, content, html, author_id, created_at, reactions)
                SELECT t.org_id, t.id, 'Reply ' || g || ' with a bit of *markdown* and a [link](https://x.test)',
                       '<p>Reply ' || g || ' with a bit of <em>markdown</em> and a <a href="https://x.test" '
                       || 'rel="nofollow ugc noopener">link</a></p>', $2, t.created_at + make_interval(secs => g),
                       CASE WHEN g % 5 = 0 THEN '{"👍": 2}'::jsonb ELSE '{}'::jsonb END
                FROM topics t, generate_series(1, $3::int) g WHERE t.org_id = $1""", org_id, user_id, per_topic)
            # Threaded shape: every third post answers the one before it.
            await conn.execute("""
                UPDATE posts p SET parent_id = prev.id FROM (
                    SELECT id, lag(id) OVER (PARTITION BY topic_id ORDER BY created_at, id) AS prev_id,
                           row_number() OVER (PARTITION BY topic_id ORDER BY created_at, id) AS n
                    FROM posts WHERE org_id = $1) x JOIN posts prev ON prev.id = x.prev_id
                WHERE p.id = x.id AND x.n % 3 = 0""", org_id)
            await conn.execute("""
                UPDATE topics t SET reply_count = s.n, last_reply_at = s.latest, last_reply_by = $2,
                                    last_activity_at = s.latest
                FROM (SELECT topic_id, count(*) AS n, max(created_at) AS latest FROM posts
                      WHERE org_id = $1 GROUP BY topic_id) s
                WHERE t.org_id = $1 AND t.id = s.topic_id""", org_id, user_id)
            await conn.execute("""
                UPDATE forums SET topic_count = (SELECT count(*) FROM topics WHERE org_id = $1),
                                  post_count = (SELECT count(*) FROM posts WHERE org_id = $1),
                                  last_post_at = now() WHERE id = $2""", org_id, forum_id)
        await conn.execute("ANALYZE")
        topic_ids = [r["id"] for r in await conn.fetch("SELECT id FROM topics WHERE org_id = $1", org_id)]
        return slug, forum_id, topic_ids
    finally:
        await conn.close()


async def load(base: str, paths: list[str], headers: dict[str, str], *, seconds: float, concurrency: int,
               pid: int) -> tuple[list[float], int, float, float]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:
        async def worker(deadline: float, record: bool) -> None:
            nonlocal errors
            rng = random.Random()
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                r = await client.get(rng.choice(paths))
                if record:
                    latencies.append(time.perf_counter() - started)
                    errors += r.status_code != 200

        for record, duration in ((False, 2.0), (True, seconds)):  # warm-up, then measure
            cpu_before, wall_before = cpu_seconds(pid), time.perf_counter()
            async with trio.open_nursery() as nursery:
                for _ in range(concurrency):
                    nursery.start_soon(worker, time.perf_counter() + duration, record)
            cpu, wall = cpu_seconds(pid) - cpu_before, time.perf_counter() - wall_before
    return latencies, errors, cpu, wall


def summarise(target: str, latencies: list[float], errors: int, cpu: float, wall: float) -> Result:
    ordered = sorted(latencies)
    n = len(ordered)
    return Result(target=target, requests=n, errors=errors, seconds=round(wall, 2), rps=round(n / wall, 1),
                  p50_ms=round(statistics.median(ordered) * 1000, 2),
                  p99_ms=round(ordered[min(n - 1, int(n * 0.99))] * 1000, 2),
                  server_cpu_ms_per_request=round(cpu / n * 1000, 3))


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


def main() -> None:
    if sys.argv[1:2] == ["hello"]:
        hello_app()
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--topics", type=int, default=2000)
    parser.add_argument("--posts", type=int, default=100, help="posts per topic")
    args = parser.parse_args()

    import pgserver

    work = Path(tempfile.mkdtemp(prefix="community-bench-"))
    pg = pgserver.get_server(work / "pg", cleanup_mode="stop")
    pg.psql("CREATE DATABASE bench;")
    dsn = urlunsplit(urlsplit(str(pg.get_uri()))._replace(path="/bench"))
    env = {**os.environ, "WORKERS": "1",
           "DATABASE_URL": dsn, "PORT": "18080", "WEBSOCKET_PORT": "18081", "HOST": "127.0.0.1",
           "COMMUNITY_DATA_DIR": str(work / "var"), "LOG_LEVEL": "warning", "DB_POOL_MAX": "20"}
    python = sys.executable
    server = subprocess.Popen([python, "-m", "community", "serve"], env=env, cwd=ROOT)
    hello = subprocess.Popen([python, __file__, "hello", "18090"], cwd=ROOT)
    try:
        wait_ready("http://127.0.0.1:18080/readyz")
        wait_ready("http://127.0.0.1:18090/hello")
        reg = httpx.post("http://127.0.0.1:18080/api/auth/register",
                         json={"email": f"bench-{uuid.uuid4().hex[:6]}@example.com", "password": "bench-password-1",
                               "display_name": "Bench"}).json()
        started = time.perf_counter()
        slug, forum_id, topic_ids = asyncio.run(seed(dsn, uuid.UUID(reg["user"]["id"]), args.topics, args.posts))
        seeded = time.perf_counter() - started
        auth = {"Authorization": f"Bearer {reg['token']}"}
        targets = {
            "hello": ("http://127.0.0.1:18090", ["/hello"], {}, hello.pid),
            "topic_page": ("http://127.0.0.1:18080", [f"/api/orgs/{slug}/topics/{t}" for t in topic_ids], auth,
                           server.pid),
            "forum_listing": ("http://127.0.0.1:18080", [f"/api/orgs/{slug}/forums/{forum_id}"], auth, server.pid),
        }
        results = []
        for name, (base, paths, headers, pid) in targets.items():
            lat, errors, cpu, wall = trio.run(lambda b=base, p=paths, h=headers, i=pid: load(
                b, p, h, seconds=args.seconds, concurrency=args.concurrency, pid=i))
            results.append(summarise(name, lat, errors, cpu, wall))
            print(json.dumps(asdict(results[-1])))
        write_report(results, args, seeded, args.topics * args.posts)
    finally:
        for proc in (server, hello):
            proc.terminate()
            proc.wait(10)
        pg.cleanup()


_BEGIN, _END = "<!-- rest:begin -->", "<!-- rest:end -->"


def write_report(results: list[Result], args: argparse.Namespace, seeded: float, posts: int) -> None:
    """bench/results/rest.json, and this benchmark's section of the shared bench/RESULTS.md."""
    by = {r.target: r for r in results}
    ratio = by["topic_page"].rps / by["hello"].rps
    meta = {"cpus": os.cpu_count(), "concurrency": args.concurrency, "seconds": args.seconds, "posts": posts,
            "topics": args.topics, "seed_seconds": round(seeded, 1), "topic_page_over_hello": round(ratio, 3),
            "load_average": os.getloadavg()}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "rest.json").write_text(json.dumps(
        {"meta": meta, "results": [asdict(r) for r in results]}, indent=2) + "\n")
    rows = "\n".join(f"| {r.target} | {r.rps} | {r.p50_ms} | {r.p99_ms} | {r.server_cpu_ms_per_request} | "
                     f"{r.requests} | {r.errors} |" for r in results)
    section = f"""{_BEGIN}
## REST (issue 4) — `bench/rest.py`

{posts:,} posts in {args.topics:,} topics, one org; {args.concurrency} concurrent closed-loop clients
(trio + httpx, one process) for {args.seconds:g} s per target after a 2 s warm-up, on
{os.cpu_count()} CPUs shared by the server, PostgreSQL and the load generator (1-min load average
at the end: {os.getloadavg()[0]:.1f}). Server CPU per request is read from /proc for the server process.

| target | req/s | p50 ms | p99 ms | server CPU ms/req | requests | errors |
|---|---|---|---|---|---|---|
{rows}

topic page / hello: **{ratio:.3f}**. Target: topic page >= 1,000 req/s, p99 <= 60 ms on 2 cores.
{_END}"""
    path = HERE / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if _BEGIN in text:
        head, rest = text.split(_BEGIN, 1)
        text = head + section + rest.split(_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
