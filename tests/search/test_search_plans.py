"""Search answers the same rows whatever plan runs it: the walk down the org's recency index, the
walk down one forum's (`forum_id=`), or the GIN index; rare and common terms, private forums,
both orders and cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import trio

from community.app import System
from community.db.pool import Conn
from community.db.queries import search as queries
from community.services.search import _HEADLINE, CANDIDATES, plain_words
from tests.factories import Factory, Personas
from tests.search.conftest import SearchApi

POSTS = 60
BASE = datetime(2025, 3, 1, tzinfo=UTC)
# Plan settings for the rest of the transaction: what the planner picks, only walks, only GIN.
PLANS: dict[str, list[str]] = {
    "chosen": [],
    "walk": ["enable_bitmapscan", "enable_seqscan"],
    "gin": ["enable_indexscan", "enable_seqscan"],
}


async def _seed(factory: Factory, org_id: UUID) -> tuple[list[UUID], dict[int, tuple[UUID, datetime]]]:
    """Three forums (the third for moderators and above), one topic each; post i goes to forum i % 3,
    i minutes after BASE; every post says `ocelot`, one in twenty says `quetzal` too."""
    conn = factory.conn
    forums, topics = [], []
    for n, view_rank in enumerate((0, 0, 2)):
        forum_id = uuid4()
        await conn.execute(
            "INSERT INTO forums (id, org_id, name, slug, path, is_private, required_role, view_rank) "
            "VALUES ($1, $2, $3, $4, ARRAY[$1::uuid], $5, $6, $7)", forum_id, org_id, f"Plans {n}", f"plans-{n}",
            view_rank > 0, "moderator" if view_rank else "member", view_rank)
        topics.append(await conn.fetchval(
            "INSERT INTO topics (org_id, forum_id, title, slug, content, created_at, last_activity_at) "
            "VALUES ($1, $2, $3, $4, 'plans', $5, $5) RETURNING id", org_id, forum_id, f"Plans {n}", f"plans-{n}",
            BASE - timedelta(days=1)))
        forums.append(forum_id)
    posts: dict[int, tuple[UUID, datetime]] = {}
    for i in range(POSTS):
        at = BASE + timedelta(minutes=i)
        words = f"ocelot number {i}" + (" quetzal" if i % 20 == 0 else "")
        post_id = await conn.fetchval("INSERT INTO posts (org_id, topic_id, content, created_at) "
                                      "VALUES ($1, $2, $3, $4) RETURNING id", org_id, topics[i % 3], words, at)
        posts[i] = (UUID(str(post_id)), at)
    return forums, posts


async def _page(conn: Conn, org_id: UUID, query: str | queries.Words, *, rank: int, forum_id: UUID | None,
                relevance: bool, cursor: tuple[Any, UUID] | None, limit: int) -> list[dict[str, Any]]:
    return await queries.search_documents(
        conn, org_id=org_id, query=query, kinds=["topic", "post"], rank=rank, forum_id=forum_id, author_id=None,
        after=None, before=None, tag=None, cursor=cursor, by_relevance=relevance, limit=limit,
        candidates=CANDIDATES, headline=_HEADLINE)


async def _all_pages(runtime: System, org_id: UUID, q: str, plan: str, *, prefix: str = "",
                     **kw: Any) -> list[tuple[UUID, str]]:
    """Every result, 4 a page through the cursor, as (id, snippet). Plan "words": the query parsed
    inside the search statement (`queries.Words`), as the service sends plain words."""
    out: list[tuple[UUID, str]] = []
    cursor = None
    while True:
        async with runtime.handles.db.transaction(org_id=org_id, read_only=True, custom_plans=True) as conn:
            query: str | queries.Words
            if plan == "words":
                words = plain_words("english", q, prefix)
                assert words is not None
                query = words
            else:
                query, nodes = await queries.parse_query(conn, "english", q, prefix)
                assert nodes > 0
                for setting in PLANS[plan]:
                    await conn.execute("SELECT set_config($1, 'off', true)", setting)
            found = await _page(conn, org_id, query, cursor=cursor, limit=5, **kw)
        out += [(r["id"], r["snippet"]) for r in found[:4]]
        if len(found) <= 4:
            return out
        last = found[3]
        cursor = (last["score"] if kw["relevance"] else last["created_at"], last["id"])


async def _indexed(runtime: System, factory: Factory, org_id: UUID) -> None:
    runtime.handles.indexer.poke()
    while True:
        if await factory.conn.fetchval("SELECT count(*) FROM search_documents WHERE org_id = $1 "
                                       "AND tsv @@ to_tsquery('english', 'ocelot')", org_id) == POSTS:
            return
        await trio.sleep(0.05)


async def test_every_plan_answers_the_same_rows(runtime: System, factory: Factory, personas: Personas) -> None:
    org_id = personas.acme.id
    with trio.fail_after(60):
        forums, posts = await _seed(factory, org_id)
        await _indexed(runtime, factory, org_id)
        newest_first = sorted(posts, key=lambda i: (posts[i][1], posts[i][0]), reverse=True)
        cases = [  # (term, rank, forum, the posts it finds)
            ("ocelot", 1, None, [i for i in newest_first if i % 3 != 2]),
            ("ocelot quetzal", 2, None, [40, 20, 0]),
            ("ocelot", 2, None, newest_first),
            ("ocelot", 2, forums[2], [i for i in newest_first if i % 3 == 2]),
            ("ocelot", 1, forums[2], []),  # a private forum asked for by name: still nothing
            ("ocelot", 1, forums[1], [i for i in newest_first if i % 3 == 1]),
            ("quetzal", 1, None, [40, 0]),
            ("quetzal", 2, None, [40, 20, 0]),
            ("quetzal", 2, forums[2], [20]),
            ('"ocelot number"', 1, None, [i for i in newest_first if i % 3 != 2]),  # a phrase
        ]
        for q, rank, forum_id, expected in cases:
            for relevance in (False, True):
                plans = [*PLANS, "words"] if plain_words("english", q, "") else list(PLANS)
                answers = {plan: await _all_pages(runtime, org_id, q, plan, rank=rank, forum_id=forum_id,
                                                  relevance=relevance) for plan in plans}
                first = answers["chosen"]
                assert all(found == first for found in answers.values()), (q, rank, relevance)
                if relevance:  # equal scores: the order is by id, so compare the set here
                    assert {i for i, _ in first} == {posts[i][0] for i in expected}, (q, rank)
                else:
                    assert [i for i, _ in first] == [posts[i][0] for i in expected], (q, rank)
                assert all("\x02" in snippet for _, snippet in first)


async def test_the_forum_filter_walks_that_forum_and_phrases_use_gin(runtime: System, personas: Personas) -> None:
    org_id, forum_id = personas.acme.id, uuid4()
    async with runtime.handles.db.transaction(org_id=org_id, read_only=True) as conn:
        query, _ = await queries.parse_query(conn, "english", "ocelot", "")
        assert await conn.fetchval("SELECT current_setting('enable_indexscan')") == "on"
        await conn.execute("SELECT set_config('enable_bitmapscan', 'off', true), "
                           "set_config('enable_seqscan', 'off', true)")
        args = [org_id, query, ["topic", "post"], 1, forum_id, None, None, None, None, None, None, _HEADLINE, 21,
                None]
        plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN " + queries._RECENT, *args))
        assert "search_documents_scope_recent_idx" in plan, plan
    async with runtime.handles.db.transaction(org_id=org_id, read_only=True) as conn:
        query, _ = await queries.parse_query(conn, "english", '"ocelot number"', "")
        assert "<->" in query
        assert await conn.fetchval("SELECT current_setting('enable_indexscan')") == "off"


async def test_plain_words_with_a_prefix_answer_what_the_parsed_query_answers(runtime: System, factory: Factory,
                                                                             personas: Personas) -> None:
    """As typed: `quetzal` and `ocel` (the last word, also a prefix), both orders, through the cursor."""
    org_id = personas.acme.id
    with trio.fail_after(60):
        await _seed(factory, org_id)
        await _indexed(runtime, factory, org_id)
        for relevance in (False, True):
            kw: dict[str, Any] = {"rank": 2, "forum_id": None, "relevance": relevance, "prefix": "ocel"}
            words = await _all_pages(runtime, org_id, "quetzal ", "words", **kw)
            assert words == await _all_pages(runtime, org_id, "quetzal ", "chosen", **kw)
            assert len(words) == 3


async def test_plain_words_fold_to_one_constant_in_a_custom_plan(runtime: System, personas: Personas) -> None:
    """The query built inside the statement is planned as a constant: the term's own estimate and
    the GIN index, never websearch_to_tsquery evaluated per row; only stop words: no scan at all."""
    org_id = personas.acme.id
    async with runtime.handles.db.transaction(org_id=org_id, read_only=True, custom_plans=True) as conn:
        assert await conn.fetchval("SELECT current_setting('plan_cache_mode')") == "force_custom_plan"
        for text, prefix, constant in (("quetzal", "", "tsv @@ '''quetzal'''::tsquery"),
                                       ("", "ocel", "tsv @@ '''ocel'':*'::tsquery"),
                                       ("quetzal", "ocel", "tsv @@ '''quetzal'' & ''ocel'':*'::tsquery")):
            args = [org_id, text, ["topic", "post"], 1, None, None, None, None, None, None, None, _HEADLINE, 21,
                    None, CANDIDATES, "pg_catalog.english", prefix]
            plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN " + queries._RELEVANT_WORDS, *args))
            assert constant in plan, plan
            assert "websearch_to_tsquery" not in plan and "numnode" not in plan, plan
        args = [org_id, "the", ["topic", "post"], 1, None, None, None, None, None, None, None, _HEADLINE, 21,
                None, "pg_catalog.english", ""]
        plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + queries._RECENT_WORDS,
                                                         *args))
        assert "One-Time Filter: false" in plan and "on search_documents d (never executed)" in plan, plan
    async with runtime.handles.db.transaction(org_id=org_id, read_only=True) as conn:
        assert await conn.fetchval("SELECT current_setting('plan_cache_mode')") == "auto"


def test_only_plain_words_skip_the_parse_statement() -> None:
    assert plain_words("english", "tumours of time ", "ocel") == queries.Words("pg_catalog.english",
                                                                               "tumours of time ", "ocel")
    assert plain_words("english", "", "time") is not None
    for phrase_or_operator in ('"good time"', "well-known", "-time", "time -good", "e.mail", "a_b"):
        assert plain_words("english", phrase_or_operator, "") is None, phrase_or_operator


async def test_a_plain_search_is_one_statement_and_a_phrase_still_parses_first(
        api: SearchApi, monkeypatch: pytest.MonkeyPatch) -> None:
    forum = await api.forum("Words")
    topic = await api.topic(forum["id"], "Capybara notes", "a capybara and a good time")
    await api.until("capybara", {str(topic["id"])})
    parsed: list[str] = []
    parse = queries.parse_query

    async def counting(conn: Conn, config: str, text: str, prefix: str) -> tuple[str, int]:
        parsed.append(text)
        return await parse(conn, config, text, prefix)

    monkeypatch.setattr(queries, "parse_query", counting)
    assert {r["id"] for r in await api.search("capybara notes")} == {str(topic["id"])}
    assert {r["id"] for r in await api.search("capybara", sort="recent")} == {str(topic["id"])}
    assert parsed == []
    assert {r["id"] for r in await api.search('"good time"')} == {str(topic["id"])}
    assert parsed == ['"good time"']
