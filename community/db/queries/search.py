"""Search: claim queued rows, (re)build documents per kind, and the permission-aware queries.

Visibility is inside every query: a topic or post document is returned only when its
`scope_id` (forum) is among the forums the viewer's rank may read, a message document only
when its `scope_id` (conversation) is among the viewer's conversations; each list is
evaluated once per query as an InitPlan, before ORDER BY and LIMIT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database, rows

_PENDING_ORGS = "SELECT search_pending_orgs($1::text[], $2) AS org_id"
# The claim and the org's text search configuration, in one statement (no row: nothing claimed).
_CLAIM = """
WITH claimed AS (
    DELETE FROM search_queue WHERE seq IN (
        SELECT seq FROM search_queue WHERE org_id = $1 AND kind = ANY($2::text[])
        ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED)
    RETURNING kind, id)
SELECT c.kind, c.id, o.config
FROM claimed c, (SELECT search_config(settings -> 'search' ->> 'language')::text AS config
                 FROM organizations WHERE id = $1) o
"""

# Control characters never shown as text: they stand for <mark> and </mark> in snippets.
_CLEAN = "translate({}, E'\\x02\\x03', '  ')"
# $1 org, $2 ids, $3 config. Rows that are gone or no longer searchable lose their document;
# the rest are upserted. Source rows are share-locked so a concurrent edit commits either
# before this read or after this write, never between (a stale version cannot win).
REFRESH_TOPICS = f"""
WITH src AS (
    SELECT t.org_id, t.id, t.forum_id, t.author_id, t.title, t.tags, t.content, t.created_at
    FROM topics t WHERE t.org_id = $1 AND t.id = ANY($2::uuid[]) FOR SHARE OF t
), gone AS (
    DELETE FROM search_documents d WHERE d.org_id = $1 AND d.id = ANY($2::uuid[])
        AND d.id NOT IN (SELECT id FROM src)
)
INSERT INTO search_documents AS d (org_id, id, kind, scope_id, topic_id, author_id, title, body, config, tsv,
                                   title_tsv, created_at, indexed_at)
SELECT s.org_id, s.id, 'topic', s.forum_id, s.id, s.author_id, s.title, {_CLEAN.format("s.content")},
       $3::regconfig,
       setweight(to_tsvector($3::regconfig, s.title), 'A')
       || setweight(to_tsvector($3::regconfig, array_to_string(s.tags, ' ')), 'B')
       || setweight(to_tsvector($3::regconfig, s.content), 'C'),
       to_tsvector($3::regconfig, s.title), s.created_at, now()
FROM src s
ON CONFLICT (org_id, id) DO UPDATE SET scope_id = excluded.scope_id, author_id = excluded.author_id,
    title = excluded.title, body = excluded.body, config = excluded.config, tsv = excluded.tsv,
    title_tsv = excluded.title_tsv, indexed_at = excluded.indexed_at
"""  # noqa: S608 - constant fragments
REFRESH_POSTS = f"""
WITH src AS (
    SELECT p.org_id, p.id, t.forum_id, p.topic_id, p.author_id, p.content, p.created_at
    FROM posts p JOIN topics t ON t.org_id = p.org_id AND t.id = p.topic_id
    WHERE p.org_id = $1 AND p.id = ANY($2::uuid[]) AND NOT p.is_hidden AND p.deleted_at IS NULL
    FOR SHARE OF p
), gone AS (
    DELETE FROM search_documents d WHERE d.org_id = $1 AND d.id = ANY($2::uuid[])
        AND d.id NOT IN (SELECT id FROM src)
)
INSERT INTO search_documents AS d (org_id, id, kind, scope_id, topic_id, author_id, title, body, config, tsv,
                                   created_at, indexed_at)
SELECT s.org_id, s.id, 'post', s.forum_id, s.topic_id, s.author_id, '', {_CLEAN.format("s.content")},
       $3::regconfig, setweight(to_tsvector($3::regconfig, s.content), 'C'), s.created_at, now()
FROM src s
ON CONFLICT (org_id, id) DO UPDATE SET scope_id = excluded.scope_id, author_id = excluded.author_id,
    body = excluded.body, config = excluded.config, tsv = excluded.tsv, indexed_at = excluded.indexed_at
"""  # noqa: S608 - constant fragments

REFRESH_MESSAGES = f"""
WITH src AS (
    SELECT m.org_id, m.id, m.conversation_id, m.sender_id, coalesce(c.title, '') AS title, m.content, m.created_at
    FROM messages m JOIN conversations c ON c.org_id = m.org_id AND c.id = m.conversation_id
    WHERE m.org_id = $1 AND m.id = ANY($2::uuid[]) AND m.deleted_at IS NULL
    FOR SHARE OF m
), gone AS (
    DELETE FROM search_documents d WHERE d.org_id = $1 AND d.id = ANY($2::uuid[])
        AND d.id NOT IN (SELECT id FROM src)
)
INSERT INTO search_documents AS d (org_id, id, kind, scope_id, author_id, title, body, config, tsv,
                                   created_at, indexed_at)
SELECT s.org_id, s.id, 'message', s.conversation_id, s.sender_id, s.title, {_CLEAN.format("s.content")},
       $3::regconfig, setweight(to_tsvector($3::regconfig, s.content), 'C'), s.created_at, now()
FROM src s
ON CONFLICT (org_id, id) DO UPDATE SET scope_id = excluded.scope_id, author_id = excluded.author_id,
    title = excluded.title, body = excluded.body, config = excluded.config, tsv = excluded.tsv,
    indexed_at = excluded.indexed_at
"""  # noqa: S608 - constant fragments

# Events: the scope is the event itself; who may see it is decided in `_MATCH` (members every
# event, others the public ones), so making an event members-only hides it at once.
REFRESH_EVENTS = f"""
WITH src AS (
    SELECT e.org_id, e.id, e.created_by, e.title, e.description, e.location, e.event_type, e.created_at
    FROM events e WHERE e.org_id = $1 AND e.id = ANY($2::uuid[]) FOR SHARE OF e
), gone AS (
    DELETE FROM search_documents d WHERE d.org_id = $1 AND d.id = ANY($2::uuid[])
        AND d.id NOT IN (SELECT id FROM src)
)
INSERT INTO search_documents AS d (org_id, id, kind, scope_id, author_id, title, body, config, tsv,
                                   created_at, indexed_at)
SELECT s.org_id, s.id, 'event', s.id, s.created_by, s.title, {_CLEAN.format("s.description")}, $3::regconfig,
       setweight(to_tsvector($3::regconfig, s.title), 'A')
       || setweight(to_tsvector($3::regconfig, coalesce(s.event_type, '') || ' ' || coalesce(s.location, '')), 'B')
       || setweight(to_tsvector($3::regconfig, s.description), 'C'),
       s.created_at, now()
FROM src s
ON CONFLICT (org_id, id) DO UPDATE SET author_id = excluded.author_id, title = excluded.title,
    body = excluded.body, config = excluded.config, tsv = excluded.tsv, indexed_at = excluded.indexed_at
"""  # noqa: S608 - constant fragments

# Resources: title A, tags and category B, description and the words inside the file C. The document's
# scope is the resource itself; who may see it is its required_role, decided in `_MATCH`.
REFRESH_RESOURCES = f"""
WITH src AS (
    SELECT r.org_id, r.id, r.uploaded_by, r.title, r.tags, coalesce(r.category, '') AS category,
           coalesce(r.description, '') AS description, left(coalesce(r.content_text, ''), 200000) AS content,
           r.created_at
    FROM resources r WHERE r.org_id = $1 AND r.id = ANY($2::uuid[]) FOR SHARE OF r
), gone AS (
    DELETE FROM search_documents d WHERE d.org_id = $1 AND d.id = ANY($2::uuid[])
        AND d.id NOT IN (SELECT id FROM src)
)
INSERT INTO search_documents AS d (org_id, id, kind, scope_id, author_id, title, body, config, tsv,
                                   created_at, indexed_at)
SELECT s.org_id, s.id, 'resource', s.id, s.uploaded_by, s.title,
       {_CLEAN.format("s.description || chr(10) || s.content")}, $3::regconfig,
       setweight(to_tsvector($3::regconfig, s.title), 'A')
       || setweight(to_tsvector($3::regconfig, array_to_string(s.tags, ' ') || ' ' || s.category), 'B')
       || setweight(to_tsvector($3::regconfig, s.description || ' ' || s.content), 'C'),
       s.created_at, now()
FROM src s
ON CONFLICT (org_id, id) DO UPDATE SET author_id = excluded.author_id, title = excluded.title,
    body = excluded.body, config = excluded.config, tsv = excluded.tsv, indexed_at = excluded.indexed_at
"""  # noqa: S608 - constant fragments

# One round trip: custom plans (so each term gets its own selectivity estimate: a GIN scan
# for a rare term, a walk down the recency index for a common one), the plan for a phrase, and
# the parsed query. Phrases (a `<->` or `<N>` operator in the query) are estimated as the AND of
# their words, far above what matches as a phrase, so the planner would walk the recency index
# through much of the org: index scans are turned off for the transaction, sending them to the
# GIN index (a bitmap scan). $1 config, $2 websearch text, $3 a last word to match as a prefix too (or '').
_PREPARE = """
SELECT set_config('plan_cache_mode', 'force_custom_plan', true),
       set_config('enable_indexscan', CASE WHEN strpos(s.q::text, '<') > 0 THEN 'off'
                                           ELSE current_setting('enable_indexscan') END, true),
       s.q::text AS query, numnode(s.q) AS nodes
FROM (SELECT CASE WHEN $3 = '' THEN websearch_to_tsquery(search_config($1), $2)
                  ELSE websearch_to_tsquery(search_config($1), $2) && to_tsquery(search_config($1), $3 || ':*')
             END AS q) s
"""

# The viewer's ($14) conversations: the rule of `queries.conversations` (a participant row counts
# only while the membership is not removed and not from before the current membership).
_MY_CONVERSATIONS = """
SELECT p.conversation_id FROM conversation_participants p
JOIN memberships ms ON ms.org_id = p.org_id AND ms.user_id = p.user_id AND ms.status <> 'removed'
WHERE p.org_id = $1 AND p.user_id = $14 AND p.joined_at >= ms.joined_at
"""
# {q} the tsquery (`_PARSED` or `_WORDS`; none but stop words: no rows), $1 org, $2 its text, $3 kinds,
# $4 viewer rank, $5 forum, $6 author, $7 after, $8 before, $9 tag, $14 the viewer (NULL: no conversations).
_MATCH = f"""
FROM search_documents d
WHERE d.org_id = $1 AND d.tsv @@ {{q}} AND numnode({{q}}) > 0 AND d.kind = ANY($3::text[])
  AND CASE WHEN d.kind = 'message' THEN d.scope_id = ANY(ARRAY({_MY_CONVERSATIONS}))
           WHEN d.kind = 'resource' THEN EXISTS (SELECT 1 FROM resources r WHERE r.org_id = $1 AND r.id = d.id
                                                 AND role_rank(r.required_role) <= $4)
           WHEN d.kind = 'event' THEN $4 >= 1
                OR d.scope_id = ANY(ARRAY(SELECT e.id FROM events e WHERE e.org_id = $1 AND e.is_public))
           ELSE d.scope_id = ANY(ARRAY(SELECT f.id FROM forums f WHERE f.org_id = $1 AND f.view_rank <= $4)) END
  AND ($5::uuid IS NULL OR d.scope_id = $5)
  AND ($6::uuid IS NULL OR d.author_id = $6)
  AND ($7::timestamptz IS NULL OR d.created_at >= $7)
  AND ($8::timestamptz IS NULL OR d.created_at < $8)
  AND ($9::text IS NULL OR EXISTS (SELECT 1 FROM topics t
                                   WHERE t.org_id = d.org_id AND t.id = d.topic_id AND $9 = ANY(t.tags)))
"""  # noqa: S608 - constant fragments
_COLUMNS = "d.kind, d.id, d.topic_id, d.scope_id, d.author_id, d.title, d.body, d.config, d.created_at"
# The page, then snippets and names for those rows only ($12 headline options).
_PAGE = """
SELECT r.kind, r.id, r.topic_id, CASE WHEN r.kind IN ('topic', 'post') THEN r.scope_id END AS forum_id,
       CASE WHEN r.kind = 'message' THEN r.scope_id END AS conversation_id,
       CASE WHEN r.kind = 'resource' THEN r.id END AS resource_id,
       coalesce(t.title, c.title, r.title) AS title,
       ts_headline(r.config, r.body, {q}, $12) AS snippet, r.author_id,
       u.display_name AS author_name, r.created_at, r.score
FROM page r
LEFT JOIN topics t ON t.org_id = $1 AND t.id = r.topic_id
LEFT JOIN conversations c ON c.org_id = $1 AND c.id = r.scope_id AND r.kind = 'message'
LEFT JOIN users u ON u.id = r.author_id
ORDER BY {order}
"""
# $10, $11 the cursor (created_at, id) of the last row seen; $13 limit.
_RECENT_SQL = f"""
WITH page AS (
    SELECT {_COLUMNS}, 0::float8 AS score {_MATCH}
      AND ($10::timestamptz IS NULL OR (d.created_at, d.id) < ($10, $11))
    ORDER BY d.created_at DESC, d.id DESC LIMIT $13)
{_PAGE.replace("{order}", "r.created_at DESC, r.id DESC")}
"""
# Relevance ranks a bounded candidate set, the most recent $15 matches, so its cost has a ceiling
# whatever the term's frequency. $10, $11 the cursor (score, id).
_RELEVANT_SQL = f"""
WITH candidates AS (
    SELECT {_COLUMNS}, ts_rank(d.tsv, {{q}}, 1)::float8 AS score {_MATCH}
    ORDER BY d.created_at DESC, d.id DESC LIMIT $15
), page AS (
    SELECT * FROM candidates c
    WHERE $10::float8 IS NULL OR (c.score, c.id) < ($10, $11)
    ORDER BY c.score DESC, c.id DESC LIMIT $13)
{_PAGE.replace("{order}", "r.score DESC, r.id DESC")}
"""  # noqa: S608 - constant fragments
# The query as `parse_query` answered it ($2).
_PARSED = "$2::text::tsquery"
# Plain words, parsed inside the search statement: one round trip fewer. $2 the websearch text, then
# the config and a last word to match as a prefix too (or ''). A custom plan sees them as constants
# and folds the whole expression (immutable functions of constants) to one tsquery constant, so the
# term's estimate, the GIN index and the filter are what they are for `_PARSED`.
_WORDS = ("(CASE WHEN {prefix} = '' THEN websearch_to_tsquery({config}::regconfig, $2)"
          " ELSE websearch_to_tsquery({config}::regconfig, $2) && to_tsquery({config}::regconfig, {prefix} || ':*')"
          " END)")
_RECENT = _RECENT_SQL.replace("{q}", _PARSED)
_RELEVANT = _RELEVANT_SQL.replace("{q}", _PARSED)
_RECENT_WORDS = _RECENT_SQL.replace("{q}", _WORDS.format(config="$15", prefix="$16"))
_RELEVANT_WORDS = _RELEVANT_SQL.replace("{q}", _WORDS.format(config="$16", prefix="$17"))
_SUGGEST_SQL = """
SELECT d.id, d.scope_id AS forum_id, d.title
FROM search_documents d
WHERE d.org_id = $1 AND d.kind = 'topic' AND d.title_tsv @@ {q} AND numnode({q}) > 0
  AND d.scope_id = ANY(ARRAY(SELECT f.id FROM forums f WHERE f.org_id = $1 AND f.view_rank <= $3))
ORDER BY d.created_at DESC, d.id DESC LIMIT $4
"""
_SUGGEST = _SUGGEST_SQL.replace("{q}", _PARSED)
# $5 the config, $2 the prefixes (`a:* & b:*`), folded to one constant as in `_WORDS`.
_SUGGEST_WORDS = _SUGGEST_SQL.replace("{q}", "to_tsquery($5::regconfig, $2)")
_QUEUE_LENGTH = "SELECT count(*) FROM search_queue WHERE org_id = $1"


async def pending_orgs(db: Database, kinds: list[str], n: int) -> list[UUID]:
    """One statement on its own (the indexer's whole cost when nothing is queued)."""
    return [r["org_id"] for r in await db.fetch_once(_PENDING_ORGS, kinds, n, invalidates=False)]


async def claim_queued(conn: Conn, org_id: UUID, kinds: list[str], n: int) -> tuple[list[tuple[str, UUID]], str]:
    """Up to `n` queued rows of the org, removed from the queue in this transaction, and its text
    search configuration."""
    found = await conn.fetch(_CLAIM, org_id, kinds, n)
    return [(r["kind"], r["id"]) for r in found], str(found[0]["config"] or "english") if found else "english"


async def refresh_documents(conn: Conn, sql: str, org_id: UUID, ids: list[UUID], config: str) -> None:
    await conn.execute(sql, org_id, ids, config)


async def parse_query(conn: Conn, config: str, text: str, prefix: str) -> tuple[str, int]:
    """The query's text and node count (0: only stop words); sets this transaction's plan settings."""
    found = await conn.fetchrow(_PREPARE, config, text, prefix)
    assert found is not None
    return str(found["query"]), int(found["nodes"])


@dataclass(frozen=True)
class Words:
    """A query of plain words, parsed by the search statement itself (`_WORDS`)."""

    config: str  # a built-in text search configuration, schema-qualified: pg_catalog.english
    text: str  # websearch text
    prefix: str  # a last word to match as a prefix too, or ''


async def search_documents(conn: Conn, *, org_id: UUID, query: str | Words, kinds: list[str], rank: int,
                           forum_id: UUID | None, author_id: UUID | None, after: datetime | None,
                           before: datetime | None, tag: str | None, cursor: tuple[Any, UUID] | None,
                           by_relevance: bool, limit: int, candidates: int, headline: str,
                           viewer: UUID | None = None) -> list[dict[str, Any]]:
    """`query`: what `parse_query` answered, or `Words` (run in a `custom_plans` transaction).
    `viewer` (a member's user id) sees the messages of their conversations; None sees none."""
    key, last_id = cursor if cursor else (None, None)
    if isinstance(query, Words):
        text, extra, recent, relevant = query.text, [query.config, query.prefix], _RECENT_WORDS, _RELEVANT_WORDS
    else:
        text, extra, recent, relevant = query, [], _RECENT, _RELEVANT
    args: list[object] = [org_id, text, kinds, rank, forum_id, author_id, after, before, tag, key, last_id,
                          headline, limit, viewer]
    if by_relevance:
        return rows(await conn.fetch(relevant, *args, candidates, *extra))
    return rows(await conn.fetch(recent, *args, *extra))


async def suggest_titles(conn: Conn, org_id: UUID, query: str | Words, rank: int,
                         limit: int) -> list[dict[str, Any]]:
    """`query`: what `parse_prefixes` answered, or `Words` whose text is the prefixes (no `prefix`)."""
    if isinstance(query, Words):
        return rows(await conn.fetch(_SUGGEST_WORDS, org_id, query.text, rank, limit, query.config))
    return rows(await conn.fetch(_SUGGEST, org_id, query, rank, limit))


async def queue_length(conn: Conn, org_id: UUID) -> int:
    return int(await conn.fetchval(_QUEUE_LENGTH, org_id))
