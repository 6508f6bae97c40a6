"""Analytics benchmark: `GET /analytics` over ranges up to a year, beside `/healthz`, in one run.

    .venv/bin/python -m bench.analytics [--members 1000] [--days 365] [--requests 60] [--json PATH]

Starts an embedded PostgreSQL and `community serve` (a subprocess), seeds one org with
`--members` members who joined over the year, `--days` days of rollups (`analytics_daily`,
each day 5-25% of the members active, a few first-reply times), today's live activity (topics,
posts, reactions, messages, downloads), CSAT answers and dismissals, and past events with
ratings. Then, one request at a time (the target is a latency), it asks each case
`--requests` times after a warm-up and reports p50/p95/p99/max in ms; the peer `/healthz` is
measured the same way in the same run. Target (issue 18): any range up to a year <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PORT = 18410
TARGET_MS = 50.0


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def seed(dsn: str, owner: uuid.UUID, members: int, days: int) -> str:
    import asyncpg

    rng = random.Random(18)
    today = datetime.now(UTC).date()
    start = today - timedelta(days=days)
    conn = await asyncpg.connect(dsn)
    try:
        org_id = uuid.uuid4()
        slug = f"bench-{org_id.hex[:6]}"
        async with conn.transaction():
            await conn.execute("INSERT INTO organizations (id, name, slug, current_member_count, created_at) "
                               "VALUES ($1, 'Bench', $2, $3, $4)", org_id, slug, members,
                               datetime.combine(start, datetime.min.time(), UTC))
            await conn.execute("INSERT INTO memberships (org_id, user_id, role, joined_at) "
                               "VALUES ($1, $2, 'owner', $3)", org_id, owner,
                               datetime.combine(start, datetime.min.time(), UTC))
            users = [uuid.uuid4() for _ in range(members - 1)]
            await conn.copy_records_to_table("users", records=[(u, f"m{i}-{u.hex[:6]}@bench.test", f"Member {i}")
                                                               for i, u in enumerate(users)],
                                             columns=["id", "email", "display_name"])
            joined = {u: start + timedelta(days=rng.randrange(days)) for u in users}
            await conn.copy_records_to_table("memberships", records=[
                (org_id, u, "member", datetime.combine(d, datetime.min.time(), UTC) + timedelta(hours=9))
                for u, d in joined.items()], columns=["org_id", "user_id", "role", "joined_at"])
            everyone = [owner, *users]
            rollups = []
            for i in range(days):
                day = start + timedelta(days=i)
                present = [u for u in everyone if joined.get(u, start) <= day]
                active = rng.sample(present, int(len(present) * rng.uniform(0.05, 0.25)))
                minutes = [rng.uniform(2, 600) for _ in range(rng.randrange(3, 15))]
                rollups.append((org_id, day, len(present), sum(1 for d in joined.values() if d == day),
                                rng.randrange(20, 200), rng.randrange(3, 20), rng.randrange(20, 300),
                                rng.randrange(0, 6), rng.randrange(0, 30), rng.randrange(0, 20), rng.randrange(0, 80),
                                active, minutes))
            await conn.copy_records_to_table("analytics_daily", records=rollups, columns=[
                "org_id", "day", "members", "new_members", "posts", "topics", "messages", "solved_topics",
                "event_registrations", "event_attendance", "resource_downloads", "active_user_ids",
                "first_reply_minutes"])
            # Today, live: a forum's worth of activity the series computes from the tables.
            forum = uuid.uuid4()
            await conn.execute("INSERT INTO forums (id, org_id, name, slug, path) VALUES ($1, $2, 'F', 'f', $3)",
                               forum, org_id, [forum])
            now = datetime.now(UTC)
            midnight = datetime.combine(today, datetime.min.time(), UTC)
            topics = []
            for t in range(40):
                at = midnight + (now - midnight) * rng.random() * 0.9
                topics.append((uuid.uuid4(), org_id, forum, f"T{t}", f"t{t}", "x", rng.choice(everyone), at))
            await conn.copy_records_to_table("topics", records=topics, columns=[
                "id", "org_id", "forum_id", "title", "slug", "content", "author_id", "created_at"])
            posts = [(uuid.uuid4(), org_id, t[0], "reply", rng.choice(everyone), t[7] + timedelta(minutes=k + 1))
                     for t in topics for k in range(10)]
            await conn.copy_records_to_table("posts", records=posts, columns=[
                "id", "org_id", "topic_id", "content", "author_id", "created_at"])
            await conn.copy_records_to_table("post_reactions", records=[
                (org_id, p[0], rng.choice(everyone), "👍", p[5]) for p in posts[::3]],
                columns=["org_id", "post_id", "user_id", "emoji", "created_at"])
            # Satisfaction: CSAT over the last four quarters, past events with ratings.
            csat, seen = [], set()
            for u in everyone:
                for _ in range(4):
                    day = today - timedelta(days=rng.randrange(days))
                    quarter = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
                    if rng.random() < 0.5 and (u, quarter) not in seen:
                        seen.add((u, quarter))
                        score = rng.choice([None, 1, 2, 3, 4, 4, 5, 5])
                        csat.append((org_id, u, quarter, score, datetime.combine(day, datetime.min.time(), UTC)))
            await conn.copy_records_to_table("csat_responses", records=csat, columns=[
                "org_id", "user_id", "quarter", "score", "created_at"])
            for e in range(52):
                at = datetime.combine(start + timedelta(days=7 * e + 3), datetime.min.time(), UTC) + timedelta(hours=18)
                if at > now - timedelta(hours=3):
                    break
                event = await conn.fetchval("INSERT INTO events (org_id, title, start_time, end_time, timezone) "
                                            "VALUES ($1, 'Meetup', $2, $3, 'UTC') RETURNING id", org_id, at,
                                            at + timedelta(hours=2))
                occ = await conn.fetchval(
                    "INSERT INTO event_occurrences (org_id, event_id, recurrence_id, start_time, end_time) "
                    "VALUES ($1, $2, $3, $3, $4) RETURNING id", org_id, event, at, at + timedelta(hours=2))
                going = [u for u in rng.sample(everyone, 40) if joined.get(u, start) <= at.date()]
                await conn.copy_records_to_table("event_registrations", records=[
                    (org_id, event, occ, u, "going", at - timedelta(days=2)) for u in going],
                    columns=["org_id", "event_id", "occurrence_id", "user_id", "status", "registered_at"])
                await conn.copy_records_to_table("event_ratings", records=[
                    (org_id, event, occ, u, rng.randrange(1, 6)) for u in going if rng.random() < 0.4],
                    columns=["org_id", "event_id", "occurrence_id", "user_id", "score"])
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return slug


def wait_ready(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, todo = [root], [root]
    while todo:
        current = todo.pop()
        kids = [pid for pid, parent in parents.items() if parent == current]
        found += kids
        todo += kids
    return found


def cpu_seconds(roots: list[int]) -> float:
    """CPU (user + system) used so far by `roots` and every process under them (Linux /proc)."""
    ticks = 0
    for pid in (p for root in roots for p in _descendants(root)):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(client: httpx.Client, name: str, url: str, n: int, headers: dict[str, str],
            roots: list[int]) -> dict[str, Any]:
    for _ in range(5):  # warm-up
        assert client.get(url, headers=headers).status_code == 200
    times = []
    cpu = cpu_seconds(roots)
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(url, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text
    cpu_ms = (cpu_seconds(roots) - cpu) * 1000 / n
    result = {"case": name, "requests": n, "cpu_ms": round(cpu_ms, 2), "p50_ms": round(_percentile(times, 50), 2),
              "p95_ms": round(_percentile(times, 95), 2), "p99_ms": round(_percentile(times, 99), 2),
              "max_ms": round(max(times), 2), "bytes": len(r.content)}
    print(json.dumps(result), flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--json", type=Path, default=HERE / "results" / "analytics.json")
    parser.add_argument("--port", type=int, default=PORT, help="REST port; the websocket listener takes the next")
    args = parser.parse_args()

    import pgserver

    work = Path(tempfile.mkdtemp(prefix="community-bench-analytics-"))
    pgs = pgserver.get_server(work / "pg", cleanup_mode="stop")
    pgs.psql("CREATE DATABASE bench;")
    dsn = urlunsplit(urlsplit(str(pgs.get_uri()))._replace(path="/bench"))
    env = {**os.environ, "DATABASE_URL": dsn, "PORT": str(args.port), "WEBSOCKET_PORT": str(args.port + 1),
           "HOST": "127.0.0.1", "COMMUNITY_DATA_DIR": str(work / "var"), "LOG_LEVEL": "warning",
           "LOG_FORMAT": "json", "ANALYTICS_INTERVAL_SECONDS": "86400"}
    proc = subprocess.Popen([sys.executable, "-m", "community", "serve", "--workers", "1"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_ready(f"{base}/readyz")
        reg = httpx.post(f"{base}/api/auth/register", json={
            "email": f"bench-{uuid.uuid4().hex[:6]}@example.com", "password": "bench-password-1",
            "display_name": "Bench"}).json()
        t0 = time.monotonic()
        slug = asyncio.run(seed(dsn, uuid.UUID(reg["user"]["id"]), args.members, args.days))
        seeded = round(time.monotonic() - t0, 1)
        auth = {"Authorization": f"Bearer {reg['token']}"}
        today = datetime.now(UTC).date()
        year = (today - timedelta(days=args.days - 1)).isoformat()
        api = f"{base}/api/orgs/{slug}/analytics"
        cases = [("healthz (peer)", f"{base}/healthz", {}),
                 ("7 days, day", f"{api}?from={(today - timedelta(days=6)).isoformat()}", auth),
                 ("30 days, day", api, auth),
                 ("90 days, week", f"{api}?from={(today - timedelta(days=89)).isoformat()}&granularity=week", auth),
                 ("365 days, day", f"{api}?from={year}", auth),
                 ("365 days, week", f"{api}?from={year}&granularity=week", auth),
                 ("365 days, month", f"{api}?from={year}&granularity=month", auth),
                 ("365 days, CSV", f"{base}/api/orgs/{slug}/analytics.csv?from={year}", auth)]
        with httpx.Client(timeout=30) as client:
            body = client.get(f"{api}?from={year}", headers=auth).json()
            assert len(body["series"]) == args.days and body["totals"]["members"] == args.members
            # What a request costs the machine (server and PostgreSQL), whatever else runs beside it.
            roots = [proc.pid, int((work / "pg" / "postmaster.pid").read_text().split()[0])]
            runs = [measure(client, name, url, args.requests, headers, roots) for name, url, headers in cases]
        load = os.getloadavg()[0]
    finally:
        proc.terminate()
        proc.wait(30)
        pgs.cleanup()
    peer = runs[0]
    worst = max(r["p99_ms"] for r in runs[1:])
    result = {"members": args.members, "days": args.days, "seed_seconds": seeded, "cpus": os.cpu_count(),
              "load_average_1m": round(load, 2), "target_ms": TARGET_MS, "runs": runs,
              "worst_p99_ms": worst, "holds": worst <= TARGET_MS,
              "ran_at": datetime.now(UTC).isoformat(timespec="seconds")}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{args.members} members, {args.days} days of rollups; one request at a time; "
          f"{os.cpu_count()} CPUs, load {load:.2f}")
    print("| case | CPU ms / request | p50 ms | p95 ms | p99 ms | max ms | p50 / healthz p50 |")
    print("|---|---|---|---|---|---|---|")
    for r in runs:
        ratio = round(r["p50_ms"] / peer["p50_ms"], 1)
        cells = [r["case"], r["cpu_ms"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["max_ms"], ratio]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    print(f"target: every range <= {TARGET_MS:g} ms (p99): {'yes' if result['holds'] else 'NO'} (worst {worst} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
