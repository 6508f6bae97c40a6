"""Counters stay equal to a recount after a random, partly concurrent mix of writes; the topic page's query count."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
import trio

from community.app import System
from community.db.pool import Conn
from community.domain.errors import NotFoundError
from community.services import topics as topic_service
from community.services.identity import principal_from_token
from community.services.orgs import access_org
from tests.factories import Factory
from tests.forums.conftest import Api

_RECOUNT_TOPICS = """
SELECT t.id, t.reply_count, t.last_reply_at,
       (SELECT count(*) FROM posts p WHERE p.topic_id = t.id AND p.deleted_at IS NULL) AS n,
       (SELECT max(created_at) FROM posts p WHERE p.topic_id = t.id AND p.deleted_at IS NULL) AS latest
FROM topics t WHERE t.org_id = $1
"""
_RECOUNT_FORUMS = """
SELECT f.id, f.topic_count, f.post_count, f.last_post_at,
       (SELECT count(*) FROM topics t WHERE t.forum_id = f.id) AS topics,
       (SELECT count(*) FROM posts p JOIN topics t ON t.id = p.topic_id
        WHERE t.forum_id = f.id AND p.deleted_at IS NULL) AS posts,
       (SELECT max(greatest(t.created_at, (SELECT max(p.created_at) FROM posts p
                                           WHERE p.topic_id = t.id AND p.deleted_at IS NULL)))
        FROM topics t WHERE t.forum_id = f.id) AS latest
FROM forums f WHERE f.org_id = $1
"""
_RECOUNT_REACTIONS = """
SELECT p.id, p.reactions,
       coalesce((SELECT jsonb_object_agg(emoji, n) FROM (
           SELECT emoji, count(*) AS n FROM post_reactions r WHERE r.post_id = p.id GROUP BY emoji) c), '{}') AS recount
FROM posts p WHERE p.org_id = $1
"""


# Steps run concurrently: a sibling may have deleted the topic a step works on.
_GONE_OK = {status: (status, 404) for status in (200, 201, 204)}


async def _random_mix(api: Api, rng: random.Random, forum_ids: list[str]) -> None:
    topics: list[str] = []
    posts: dict[str, list[str]] = {}
    who = ("owner", "admin", "moderator")

    async def step() -> None:
        roll = rng.random()
        if roll < 0.2 or not topics:
            topic = await api.topic(rng.choice(forum_ids), rng.choice(who), title=f"T{rng.random()}")
            topics.append(topic["id"])
            posts[topic["id"]] = []
        elif roll < 0.65:
            tid = rng.choice(topics)
            parent = rng.choice(posts[tid]) if posts[tid] and rng.random() < 0.5 else None
            body = {"content": "reply", "parent_id": parent}
            made = await api.call("POST", f"/topics/{tid}/posts", rng.choice(who), json=body, expect=_GONE_OK[201])
            if "post" in made:  # a 404 when a sibling step deleted the topic meanwhile
                posts[tid].append(made["post"]["id"])
        elif roll < 0.75 and any(posts.values()):
            tid = rng.choice([t for t in topics if posts[t]])
            pid = rng.choice(posts[tid])
            await api.call("PUT", f"/posts/{pid}/reactions/{rng.choice(['👍', '🎉'])}", rng.choice(who),
                           expect=_GONE_OK[200])
        elif roll < 0.85 and any(posts.values()):
            tid = rng.choice([t for t in topics if posts[t]])
            pid = posts[tid].pop(rng.randrange(len(posts[tid])))
            await api.call("DELETE", f"/posts/{pid}", "admin", expect=_GONE_OK[204])
        elif roll < 0.95:
            await api.call("PATCH", f"/topics/{rng.choice(topics)}", "admin",
                           json={"forum_id": rng.choice(forum_ids)}, expect=_GONE_OK[200])
        else:
            tid = topics.pop(rng.randrange(len(topics)))
            await api.call("DELETE", f"/topics/{tid}", "admin", expect=204)

    for _ in range(12):
        # Concurrent batches; each step's bookkeeping only mutates after its own await.
        async with trio.open_nursery() as nursery:
            for _ in range(6):
                nursery.start_soon(step)


@pytest.mark.parametrize("seed", [4, 11, 23])
async def test_counters_equal_a_recount(api: Api, factory: Factory, seed: int) -> None:
    with trio.fail_after(40):
        forum_ids = [(await api.forum(f"F{i}"))["id"] for i in range(3)]
        await _random_mix(api, random.Random(seed), forum_ids)
    org_id = api.personas.acme.id
    for t in await factory.conn.fetch(_RECOUNT_TOPICS, org_id):
        assert (t["reply_count"], t["last_reply_at"]) == (t["n"], t["latest"])
    forums = await factory.conn.fetch(_RECOUNT_FORUMS, org_id)
    assert sum(f["posts"] for f in forums) > 0
    for f in forums:
        assert (f["topic_count"], f["post_count"], f["last_post_at"]) == (f["topics"], f["posts"], f["latest"])
    for p in await factory.conn.fetch(_RECOUNT_REACTIONS, org_id):
        assert p["reactions"] == p["recount"]


class _Counting:
    def __init__(self) -> None:
        self.n = 0


@pytest.mark.parametrize("shape", ["flat", "chain", "fan"])
async def test_topic_page_is_at_most_four_queries(api: Api, runtime: System, monkeypatch: pytest.MonkeyPatch,
                                                  shape: str) -> None:
    forum = await api.forum()
    topic = await api.topic(forum["id"], "owner")
    last: str | None = None
    for i in range(22):
        parent = {"flat": None, "chain": last, "fan": last if i % 3 else None}[shape]
        last = (await api.post(topic["id"], "owner", content=f"post {i} @acmeadmin", parent_id=parent))["id"]
        if i % 4 == 0:
            await api.call("PUT", f"/posts/{last}/reactions/👍", "admin")
    principal = await principal_from_token(runtime.handles.db, runtime.handles.identity, api.personas.acme.admin.token)
    member = await access_org(runtime.handles.db, principal, api.personas.acme.slug)
    counter, me = _Counting(), trio.lowlevel.current_task()
    for name in ("fetch", "fetchrow", "fetchval", "execute", "executemany"):
        original = getattr(Conn, name)

        async def counted(self: Conn, *args: Any, _original: Any = original) -> Any:
            if trio.lowlevel.current_task() is me:  # actors query the database concurrently
                counter.n += 1
            return await _original(self, *args)

        monkeypatch.setattr(Conn, name, counted)
    page = await topic_service.read_topic_page(runtime.handles.db, runtime.handles.views, member, topic["id"],
                                               cursor=None, limit=20)
    assert len(page["posts"]) == 20 and page["next_cursor"]
    assert page["posts"][0]["reactions"] == {"👍": 1} and page["posts"][0]["my_reactions"] == ["👍"]
    assert counter.n <= 4, counter.n


async def test_topic_page_for_a_token_is_one_handoff(api: Api, runtime: System,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from community.db import pool
    from community.domain.principal import Caller

    forum = await api.forum()
    topic = await api.topic(forum["id"], "owner")
    for i in range(3):
        await api.post(topic["id"], "owner", content=f"post {i}")
    topic_id = uuid.UUID(topic["id"])
    slow = await topic_service.read_topic_page(
        runtime.handles.db, runtime.handles.views, await access_org(runtime.handles.db, await principal_from_token(
            runtime.handles.db, runtime.handles.identity, api.personas.acme.admin.token), api.personas.acme.slug),
        topic_id, cursor=None, limit=20)
    handoffs, me, original = _Counting(), trio.lowlevel.current_task(), pool._handoff

    async def counted(*args: Any) -> Any:
        if trio.lowlevel.current_task() is me:
            handoffs.n += 1
        return await original(*args)

    monkeypatch.setattr(pool, "_handoff", counted)
    caller = Caller(user_id=api.personas.acme.admin.user_id, subject=None)
    h = runtime.handles
    answered = await topic_service.read_topic_page_as(h.db, h.views, caller, api.personas.acme.slug, topic_id,
                                                      cursor=None, limit=20)
    assert handoffs.n == 1
    assert answered is not None
    principal, page = answered
    assert principal.user_id == api.personas.acme.admin.user_id
    assert [p["id"] for p in page["posts"]] == [p["id"] for p in slow["posts"]]
    assert page["topic"]["view_count"] == slow["topic"]["view_count"] + 1
    stranger = Caller(user_id=api.personas.globex.member.user_id, subject=None)
    with pytest.raises(NotFoundError):
        await topic_service.read_topic_page_as(h.db, h.views, stranger, api.personas.acme.slug, topic_id,
                                               cursor=None, limit=20)
