"""Search at scale: seed N posts of realistic text in one org, let the indexer catch up, then
measure search latency over HTTP at 1 and 10 concurrent clients.

Text: sentences of words drawn by their English frequency (the `wordfreq` package's top
30,000 words, weighted by frequency), so common terms are common and rare ones rare, as in
real posts. 20 posts a topic, six forums (one private to moderators and above).

Indexer throughput: the seed is written straight to the database (triggers queue every row)
with the server down; the server then starts and its indexer drains the queue, timed from
start until the queue is empty.

    pip install wordfreq   # bench only
    python -m bench.search [--posts 1000000] [--requests 500]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import trio

from community.db.migrate import migrate
from community.db.pool import Conn, close, connect
from community.identity.tokens import LocalKeys
from community.settings import Settings

RESULTS = Path(__file__).parent / "results"
POSTS_PER_TOPIC = 20
CHUNK = 20_000
TAGS = ["howto", "bug", "idea", "question", "release", "meta", "help", "design"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


class Text:
    """Sentences of words drawn by frequency."""

    def __init__(self, seed: int = 7) -> None:
        import wordfreq

        words = [w for w in wordfreq.top_n_list("en", 40_000) if w.isalpha()][:30_000]
        self.words = words
        weights = [wordfreq.word_frequency(w, "en") for w in words]
        total, acc, self.cum = sum(weights), 0.0, []
        for w in weights:
            acc += w / total
            self.cum.append(acc)
        self.rng = random.Random(seed)

    def sentence_words(self, n: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=n)

    def body(self, low: int = 20, high: int = 60) -> str:
        words = self.sentence_words(self.rng.randint(low, high))
        out, i = [], 0
        while i < len(words):
            n = self.rng.randint(6, 14)
            chunk = words[i:i + n]
            out.append(" ".join([chunk[0].capitalize(), *chunk[1:]]) + ".")
            i += n
        return " ".join(out)

    def title(self) -> str:
        return " ".join(self.sentence_words(self.rng.randint(4, 9))).capitalize()


async def _copy(conn: Conn, table: str, columns: list[str], records: list[tuple[Any, ...]]) -> None:
    await conn.copy_records_to_table(table, records=records, columns=columns)


async def seed(dsn: str, keys: LocalKeys, n_posts: int) -> dict[str, Any]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    text = Text()
    conn = await connect(dsn)
    try:
        slug = f"bench-{uuid.uuid4().hex[:6]}"
        org_id = await conn.fetchval(
            "INSERT INTO organizations (name, slug, member_limit) VALUES ('Bench', $1, NULL) RETURNING id", slug)
        people: dict[str, tuple[uuid.UUID, str]] = {}
        authors = []
        for i in range(200):
            role = "moderator" if i == 0 else "member"
            user_id = await conn.fetchval("INSERT INTO users (email, display_name) VALUES ($1, $2) RETURNING id",
                                          f"s{i}-{uuid.uuid4().hex[:6]}@example.com", f"Writer {i}")
            await conn.execute("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)",
                               org_id, user_id, role)
            authors.append(user_id)
            token = keys.issue(str(user_id), issuer=settings.token_issuer, audience=settings.token_audience,
                               ttl_seconds=6 * 3600)
            people.setdefault(role, (user_id, token))
        forums = []
        for i in range(6):
            forum_id = uuid.uuid4()
            private = i == 5
            await conn.execute(
                "INSERT INTO forums (id, org_id, name, slug, path, is_private, required_role, view_rank) "
                "VALUES ($1, $2, $3, $4, ARRAY[$1::uuid], $5, $6, $7)", forum_id, org_id, f"Forum {i}", f"forum-{i}",
                private, "moderator" if private else "member", 2 if private else 0)
            forums.append(forum_id)
        start = datetime(2024, 1, 1, tzinfo=UTC)
        n_topics = max(1, n_posts // POSTS_PER_TOPIC)
        topics: list[tuple[uuid.UUID, datetime]] = []
        t0 = time.monotonic()
        records: list[tuple[Any, ...]] = []
        for i in range(n_topics):
            topic_id = uuid.uuid4()
            at = start + timedelta(minutes=i * POSTS_PER_TOPIC)
            tags = text.rng.sample(TAGS, text.rng.randint(0, 2))
            records.append((topic_id, forums[i % len(forums)], org_id, text.title(), f"t-{i}", text.body(),
                            text.rng.choice(authors), at, at, tags))
            topics.append((topic_id, at))
        await _copy(conn, "topics", ["id", "forum_id", "org_id", "title", "slug", "content", "author_id",
                                     "created_at", "last_activity_at", "tags"], records)
        for offset in range(0, n_posts, CHUNK):
            records = []
            for i in range(offset, min(n_posts, offset + CHUNK)):
                topic_id, at = topics[min(i // POSTS_PER_TOPIC, n_topics - 1)]
                records.append((uuid.uuid4(), org_id, topic_id, text.body(), text.rng.choice(authors),
                                at + timedelta(seconds=30 * (i % POSTS_PER_TOPIC) + 1)))
            await _copy(conn, "posts", ["id", "org_id", "topic_id", "content", "author_id", "created_at"], records)
            print(f"seeded {min(n_posts, offset + CHUNK)} posts", file=sys.stderr)
        seed_seconds = time.monotonic() - t0
        queued = await conn.fetchval("SELECT count(*) FROM search_queue")
    finally:
        await close(conn)
    rare = text.words[25_000:25_400]
    return {"slug": slug, "org_id": org_id, "people": people, "private_forum": forums[5], "topics": n_topics,
            "posts": n_posts, "seed_seconds": round(seed_seconds, 1), "queued": queued, "rare_pool": rare}


async def wait_indexed(dsn: str, started: float) -> float:
    conn = await connect(dsn)
    try:
        while True:
            if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM search_queue)"):
                break
            await trio.sleep(0.5)
        elapsed = time.monotonic() - started
        await conn.execute("VACUUM ANALYZE search_queue")
        await conn.execute("VACUUM ANALYZE search_documents")
        await conn.execute("ANALYZE")
        return elapsed
    finally:
        await close(conn)


async def pick_rare(dsn: str, pool: list[str]) -> tuple[str, int]:
    conn = await connect(dsn)
    try:
        for word in pool:
            if len(word) < 6:
                continue
            n = int(await conn.fetchval(
                "SELECT count(*) FROM search_documents WHERE tsv @@ to_tsquery('english', $1)", word))
            if 20 <= n <= 500:
                return word, n
        return pool[0], -1
    finally:
        await close(conn)


async def count_matches(dsn: str, q: str) -> int:
    conn = await connect(dsn)
    try:
        return int(await conn.fetchval(
            "SELECT count(*) FROM search_documents WHERE tsv @@ websearch_to_tsquery('english', $1)", q))
    finally:
        await close(conn)


async def crowd(dsn: str, data: dict[str, Any], keys: LocalKeys, n: int = 10) -> dict[str, list[str]]:
    """Fresh tokens for up to `n` people of each role: client i of 10 is person i % n, so each has
    their own rate-limit window, as ten people searching would (the seed has one moderator)."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    conn = await connect(dsn)
    try:
        out: dict[str, list[str]] = {}
        for role in data["people"]:
            found = await conn.fetch("SELECT user_id FROM memberships WHERE org_id = $1 AND role = $2 "
                                     "ORDER BY user_id LIMIT $3", data["org_id"], role, n)
            out[role] = [keys.issue(str(r["user_id"]), issuer=settings.token_issuer,
                                    audience=settings.token_audience, ttl_seconds=3600) for r in found]
        return out
    finally:
        await close(conn)


async def measure(client: httpx.AsyncClient, path: str, params: dict[str, Any], tokens: list[str], *,
                  concurrency: int, requests: int) -> dict[str, Any]:
    latencies: list[float] = []
    results: list[int] = []

    async def worker(n: int, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(n):
            t = time.perf_counter()
            r = await client.get(path, params=params, headers=headers)
            latencies.append(time.perf_counter() - t)
            r.raise_for_status()
            results.append(len(r.json()["results"]))

    for _ in range(20):  # warm up
        await client.get(path, params=params, headers={"Authorization": f"Bearer {tokens[0]}"})
    async with trio.open_nursery() as nursery:
        for i in range(concurrency):
            nursery.start_soon(worker, requests // concurrency, tokens[i % len(tokens)])
    return {"p50_ms": round(_percentile(latencies, 50) * 1000, 2),
            "p99_ms": round(_percentile(latencies, 99) * 1000, 2), "results_per_page": max(results)}


def _cases(data: dict[str, Any], rare: str) -> list[tuple[str, dict[str, Any], str]]:
    return [
        ("rare term", {"q": rare, "sort": "relevance"}, "member"),
        ("common term, relevance", {"q": "time", "sort": "relevance"}, "member"),
        ("common term, recent", {"q": "time", "sort": "recent"}, "member"),
        ("two-word phrase", {"q": '"good time"', "sort": "relevance"}, "member"),
        ("private forum filter (moderator)", {"q": "time", "forum_id": str(data["private_forum"]),
                                             "sort": "relevance"}, "moderator"),
        ("suggest (topic titles)", {"q": "peop"}, "member"),
    ]


async def run_queries(http: str, data: dict[str, Any], rare: str, requests: int,
                      people: dict[str, list[str]]) -> list[dict[str, Any]]:
    path = f"/api/orgs/{data['slug']}/search"
    out = []
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    async with httpx.AsyncClient(base_url=http, timeout=60, limits=limits) as client:
        for name, params, who in _cases(data, rare):
            tokens = people[who]
            case_path = path + "/suggest" if name.startswith("suggest") else path
            row: dict[str, Any] = {"case": name, "params": params}
            for c in (1, 10):
                if name.startswith("suggest"):
                    r = await _suggest(client, case_path, params, tokens, concurrency=c, requests=requests)
                else:
                    r = await measure(client, case_path, params, tokens, concurrency=c, requests=requests)
                row[f"c{c}"] = r
            out.append(row)
            print(json.dumps(row), file=sys.stderr)
    return out


async def _suggest(client: httpx.AsyncClient, path: str, params: dict[str, Any], tokens: list[str], *,
                   concurrency: int, requests: int) -> dict[str, Any]:
    latencies: list[float] = []

    async def worker(n: int, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(n):
            t = time.perf_counter()
            r = await client.get(path, params=params, headers=headers)
            latencies.append(time.perf_counter() - t)
            r.raise_for_status()

    async with trio.open_nursery() as nursery:
        for i in range(concurrency):
            nursery.start_soon(worker, requests // concurrency, tokens[i % len(tokens)])
    return {"p50_ms": round(_percentile(latencies, 50) * 1000, 2),
            "p99_ms": round(_percentile(latencies, 99) * 1000, 2), "results_per_page": None}


async def run_sql(dsn: str, data: dict[str, Any], rare: str, requests: int) -> list[dict[str, Any]]:
    """The same statements the service runs, on 10 direct connections: the database's share."""
    conns = [await connect(dsn) for _ in range(10)]
    try:
        for conn in conns:
            await conn.execute("SET ROLE community_app")
        out = []
        for name, params, who in _cases(data, rare):
            row: dict[str, Any] = {"case": name}
            for c in (1, 10):
                row[f"c{c}"] = await _sql_case(conns[:c], data, name, params, who, requests)
            out.append(row)
            print(json.dumps(row), file=sys.stderr)
        return out
    finally:
        for conn in conns:
            await close(conn)


async def _search_once(conn: Conn, data: dict[str, Any], name: str, params: dict[str, Any], who: str, *,
                       parse_first: bool = False) -> None:
    """One search as the service sends it; `parse_first`: as it did before plain words were parsed
    inside the search statement (the parse statement, then the search)."""
    from community.db.pool import _begin_sql
    from community.db.queries import search as queries
    from community.services.search import _HEADLINE, CANDIDATES, SUGGESTIONS, plain_words, split_last_word

    org_id, user_id = data["org_id"], data["people"][who][0]
    rank = 2 if who == "moderator" else 1
    # What `Database.transaction(..., custom_plans=True)` sends: BEGIN, the context, the plan mode.
    await conn.execute(_begin_sql("read_committed", org_id, user_id, read_only=True, custom_plans=True))
    try:
        if name.startswith("suggest"):
            prefixes = queries.Words("pg_catalog.english", f"{params['q']}:*", "")
            await queries.suggest_titles(conn, org_id, prefixes, rank, SUGGESTIONS)
            return
        text, prefix = split_last_word(params["q"])
        query = None if parse_first else plain_words("english", text, prefix)
        if query is None:
            query, _ = await queries.parse_query(conn, "english", text, prefix)
        forum = params.get("forum_id")
        await queries.search_documents(
            conn, org_id=org_id, query=query, kinds=["topic", "post"], rank=rank,
            forum_id=uuid.UUID(forum) if forum else None, author_id=None, after=None, before=None, tag=None,
            cursor=None, by_relevance=params["sort"] == "relevance", limit=21, candidates=CANDIDATES,
            headline=_HEADLINE)
    finally:
        await conn.execute("ROLLBACK")


def _cpu_ms(pid: int) -> float:
    """CPU a PostgreSQL backend has used (user + system), from /proc: what a search costs the
    database whatever else the box runs (waiting for a core is not counted)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


async def run_cpu(dsn: str, data: dict[str, Any], rare: str, requests: int) -> list[dict[str, Any]]:
    """PostgreSQL CPU per search, one connection, `requests` searches a case each way, the two
    ways interleaved search by search so the box's drift falls on both alike (clock ticks are
    10 ms: each search's share is 0 or a tick, unbiased over hundreds)."""
    conn = await connect(dsn)
    try:
        await conn.execute("SET ROLE community_app")
        pid = int(await conn.fetchval("SELECT pg_backend_pid()"))
        out = []
        for name, params, who in _cases(data, rare):
            ways = {"ms": False} if name.startswith("suggest") else {"parse_first_ms": True, "ms": False}
            spent = dict.fromkeys(ways, 0.0)
            for _ in range(10):
                await _search_once(conn, data, name, params, who)
            for _ in range(requests):
                for key, parse_first in ways.items():
                    before = _cpu_ms(pid)
                    await _search_once(conn, data, name, params, who, parse_first=parse_first)
                    spent[key] += _cpu_ms(pid) - before
            row: dict[str, Any] = {"case": name, **{k: round(v / requests, 2) for k, v in spent.items()}}
            out.append(row)
            print(json.dumps(row), file=sys.stderr)
        return out
    finally:
        await close(conn)


async def _sql_case(conns: list[Conn], data: dict[str, Any], name: str, params: dict[str, Any], who: str,
                    requests: int) -> dict[str, Any]:
    latencies: list[float] = []

    async def one(conn: Conn) -> None:
        await _search_once(conn, data, name, params, who)

    async def worker(conn: Conn, n: int) -> None:
        for _ in range(n):
            t = time.perf_counter()
            await one(conn)
            latencies.append(time.perf_counter() - t)

    for _ in range(10):
        await one(conns[0])
    async with trio.open_nursery() as nursery:
        for conn in conns:
            nursery.start_soon(worker, conn, requests // len(conns))
    return {"p50_ms": round(_percentile(latencies, 50) * 1000, 2),
            "p99_ms": round(_percentile(latencies, 99) * 1000, 2)}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    import pgserver

    if args.keep:  # seed once into this folder, reuse it on later runs (migrations still apply)
        keep = Path(os.path.abspath(args.keep))  # noqa: ASYNC240 - before anything runs
        keep.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - before anything runs
        server = pgserver.get_server(keep / "pg", cleanup_mode=None)
        try:
            return await _run(args, str(server.get_uri()), keep)
        finally:
            server.cleanup()
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        try:
            return await _run(args, str(server.get_uri()), Path(tmp))
        finally:
            server.cleanup()


def _load_seed(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    data["org_id"] = uuid.UUID(data["org_id"])
    data["private_forum"] = uuid.UUID(data["private_forum"])
    data["people"] = {k: (uuid.UUID(v[0]), v[1]) for k, v in data["people"].items()}
    return data


async def _run(args: argparse.Namespace, dsn: str, tmp: Path) -> dict[str, Any]:
    await migrate(dsn)
    data_dir = tmp / "var"
    keys = LocalKeys()  # the server signs with the database's keys: the same ones
    await keys.load(dsn, data_dir=data_dir, rotate_after=timedelta(days=30), keep_for=timedelta(days=31))
    saved = tmp / "seed.json"
    data = _load_seed(saved) if args.keep else None
    if data is None:
        data = await seed(dsn, keys, args.posts)
        if args.keep:
            saved.write_text(json.dumps(data, default=str))
    port = _free_port()
    env = {**os.environ, "WORKERS": "1", "DATABASE_URL": dsn, "COMMUNITY_DATA_DIR": str(data_dir), "PORT": str(port),
           "WEBSOCKET_PORT": str(_free_port()), "LOG_LEVEL": "warning", "DB_POOL_MAX": "20",
           "SEARCH_PER_MINUTE": "10000"}  # the bench sends far more than a person
    started = time.monotonic()
    proc = await trio.lowlevel.open_process([sys.executable, "-m", "community", "serve"], env=env,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        index_seconds = await wait_indexed(dsn, started)
        rare, rare_n = await pick_rare(dsn, data["rare_pool"])
        http = f"http://127.0.0.1:{port}"
        sql = [] if args.cpu_only else await run_sql(dsn, data, rare, args.requests)
        cpu = await run_cpu(dsn, data, rare, args.requests)
        people = await crowd(dsn, data, keys, args.people)
        only = args.sql_only or args.cpu_only
        queries = [] if only else await run_queries(http, data, rare, args.requests, people)
    finally:
        proc.terminate()
        with trio.move_on_after(30):
            await proc.wait()
    docs = data["topics"] + data["posts"]
    return {"posts": data["posts"], "topics": data["topics"], "seed_seconds": data["seed_seconds"],
            "index_seconds": round(index_seconds, 1), "indexed_per_second": round(docs / index_seconds),
            "rare_term": rare, "rare_matches": rare_n, "common_matches": await count_matches(dsn, "time"),
            "phrase_matches": await count_matches(dsn, '"good time"'), "queries": queries, "sql": sql, "cpu": cpu,
            "machine": f"{os.cpu_count()} CPUs, {_machine()}"}


def _machine() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def table(result: dict[str, Any]) -> str:
    lines = ["| case | SQL c=1 p50 / p99 ms | SQL c=10 p50 / p99 ms | HTTP c=1 p50 / p99 ms "
             "| HTTP c=10 p50 / p99 ms | PostgreSQL CPU ms a search (parse first / now) |", "|---|---|---|---|---|---|"]
    cpu = {r["case"]: r for r in result.get("cpu", [])}
    for sql, http in zip(result["sql"], result["queries"] or [None] * len(result["sql"]), strict=True):
        cells = [f"{r['c1']['p50_ms']} / {r['c1']['p99_ms']} | {r['c10']['p50_ms']} / {r['c10']['p99_ms']}"
                 if r else "- | -" for r in (sql, http)]
        own = cpu.get(sql["case"], {})
        lines.append(f"| {sql['case']} | {cells[0]} | {cells[1]} | {own.get('parse_first_ms', '-')} / "
                     f"{own.get('ms', '-')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--keep", metavar="DIR", help="seed into DIR once and reuse it (e.g. var/bench-search)")
    parser.add_argument("--sql-only", action="store_true", help="measure the statements only, not HTTP")
    parser.add_argument("--cpu-only", action="store_true", help="measure PostgreSQL CPU a search only")
    parser.add_argument("--people", type=int, default=10,
                        help="HTTP clients search as this many members (1: all as one, sharing one rate-limit window)")
    outcome = trio.run(main, parser.parse_args())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search.json").write_text(json.dumps(outcome, indent=2, default=str))
    print(json.dumps(outcome, indent=2, default=str))
    print(table(outcome))
