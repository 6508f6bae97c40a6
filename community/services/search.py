"""Search: the indexer's steps, and permission-aware full-text search over forum content.

The index is generic: a document is (org, kind, id) with a `scope_id` that decides who may
see it, the text, and a `tsvector` (title A, tags B, body C) built with the org's text
search configuration (`settings.search.language`, any built-in one; default english).

How a write reaches the index: triggers on the source tables (migration 0006) put
(org, kind, id) in `search_queue` inside the writer's transaction;
every committed `unit_of_work` pokes the indexer; the indexer's step claims a
batch per org, rebuilds or removes those documents and deletes the queue rows in one
transaction. A crash rolls the batch back and it stays queued: nothing is lost, and the
indexer drains the queue on every start. What must disappear at once (a hidden or deleted
post, a topic moved to a private forum) the triggers apply to the documents synchronously.

RLS: the indexer works across orgs but never outside one org's context. The only window
is `search_pending_orgs()` (SECURITY DEFINER), which answers which orgs have queued rows and
nothing else; each org's batch is then read and written in a transaction with that org set,
so the same policies that guard requests guard the indexer.

Adding a kind (messages, events, resources), e.g. for conversations:
1. In your migration, a trigger on `messages` that does
   `INSERT INTO search_queue (org_id, kind, id) VALUES (NEW.org_id, 'message', NEW.id)` on
   insert/update and `DELETE FROM search_documents WHERE org_id = OLD.org_id AND id = OLD.id`
   on delete (or when the message becomes invisible).
2. A refresh statement like `REFRESH_POSTS` in `db/queries/search.py` ($1 org, $2 ids,
   $3 config) that upserts documents with `kind = 'message'` and `scope_id` = the
   conversation id, and deletes those of ids no longer searchable.
3. Append `DocumentKind("message", YOUR_REFRESH_SQL)` to `KINDS` below.
4. A search query whose visibility clause is your rule, e.g. `d.kind = 'message' AND
   d.scope_id = ANY(ARRAY(SELECT conversation_id FROM conversation_members WHERE user_id = $n))`,
   inside the query like `_MATCH` (never a filter after LIMIT).

Messages are such a kind (migration 0008): `type=messages`, and in `type=all`, answer only the
caller's conversations (the participant rule of `queries.conversations`, inside `_MATCH`).
Events are another (migration 0010): `type=events`, members see every event, guests and
readers of a public org the public ones.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from community.actors.indexer import IndexStep
from community.db.pool import Database
from community.db.queries import search as queries
from community.domain.cursors import encode_cursor, score_cursor
from community.domain.errors import RateLimitedError
from community.domain.permissions import Perm
from community.domain.principal import OrgMember
from community.ratelimit import RateLimiter
from community.services.forums import viewer_rank

MAX_QUERY_LENGTH = 200
CANDIDATES = 1000  # relevance ranks at most this many (the most recent) matches
SUGGESTIONS = 8
_START, _STOP = "\x02", "\x03"
_HEADLINE = (f"StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=12, MaxFragments=2, "
             'FragmentDelimiter=" … "')
_KINDS = {"topics": ["topic"], "posts": ["post"], "messages": ["message"], "events": ["event"],
          "resources": ["resource"], "all": ["topic", "post", "message", "event", "resource"]}
# The last word as typed (letters or digits, 2+), not inside an open quote, not negated, not after OR.
_LAST_WORD = re.compile(r"(?:^|\s)([^\W_]{2,})$")
_AFTER_OR = re.compile(r"(?:^|\s)OR\s+[^\W_]+$")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class DocumentKind:
    name: str
    refresh_sql: str  # $1 org, $2 ids, $3 config: upsert what is searchable, delete the rest


KINDS = [DocumentKind("topic", queries.REFRESH_TOPICS), DocumentKind("post", queries.REFRESH_POSTS),
         DocumentKind("message", queries.REFRESH_MESSAGES), DocumentKind("event", queries.REFRESH_EVENTS),
         DocumentKind("resource", queries.REFRESH_RESOURCES)]


class SearchIndex:
    """The indexer's step: one batch per org with queued rows."""

    def __init__(self, db: Database, kinds: list[DocumentKind] | None = None) -> None:
        self.db = db
        self.kinds = {k.name: k for k in (kinds or KINDS)}

    async def step(self, batch: int) -> int:
        # Background work, off any request: the page triggers tell every node (this one too) of a
        # change a page shows, so it does not invalidate at commit.
        done = 0
        for org_id in await queries.pending_orgs(self.db, list(self.kinds), batch):
            done += await self.index_org(org_id, batch)
        return done

    async def index_org(self, org_id: UUID, batch: int) -> int:
        async with self.db.transaction(org_id=org_id, invalidates=False) as conn:
            claimed, config = await queries.claim_queued(conn, org_id, list(self.kinds), batch)
            for name, kind in self.kinds.items():
                ids = list(dict.fromkeys(doc_id for k, doc_id in claimed if k == name))
                if ids:
                    await queries.refresh_documents(conn, kind.refresh_sql, org_id, ids, config)
        return len(claimed)


def search_steps(db: Database) -> list[IndexStep]:
    return [SearchIndex(db).step]


def split_last_word(q: str) -> tuple[str, str]:
    """(websearch text, a last word to match also as a prefix or '') for as-you-type."""
    match = _LAST_WORD.search(q)
    if match is None or q.count('"') % 2 or _AFTER_OR.search(q) or match.group(1) == "OR":
        return q, ""
    return q[:match.start(1)], match.group(1)


def plain_words(config: str, text: str, prefix: str) -> queries.Words | None:
    """The query parsed inside the search statement (one round trip fewer), if it is only words:
    no quotes, negation or hyphens, so no phrase, the one query whose plan needs a setting first
    (`parse_query`). A word the parser still splits costs only that plan, never other rows."""
    if all(_WORD.fullmatch(word) for word in text.split()):
        return queries.Words(f"pg_catalog.{config}", text, prefix)
    return None


def snippet_html(headline: str) -> str:
    """ts_headline's text with its markers turned into <mark> and everything else escaped."""
    out: list[str] = []
    marked = False
    for piece in re.split(f"([{_START}{_STOP}])", headline):
        if piece in (_START, _STOP):
            marked = piece == _START
            continue
        if piece:
            out.append(f"<mark>{html.escape(piece)}</mark>" if marked else html.escape(piece))
    return "".join(out)


SUGGESTIONS_PER_SEARCH = 5  # suggestions follow keystrokes


async def check_search_rate(limiter: RateLimiter, member: OrgMember, address: str, *, per_minute: int,
                            kind: str = "search") -> None:
    """Per signed-in user in the org, else per address (anonymous readers of a public org)."""
    who = f"user:{member.user_id}" if member.user_id else f"address:{address}"
    if (retry := await limiter.hit(f"{kind}:{member.org_id}:{who}", per_minute, 60.0)) is not None:
        raise RateLimitedError("You are searching too fast; try again shortly.", retry_after=retry)


def _language(member: OrgMember) -> str:
    return member.settings.search.language


def _cursor(cursor: str | None, by_relevance: bool) -> tuple[float | datetime, UUID] | None:
    return score_cursor(cursor, by_relevance=by_relevance)


def result_view(found: dict[str, Any], by_relevance: bool) -> dict[str, Any]:
    author = {"id": found["author_id"], "display_name": found["author_name"]} if found["author_id"] else None
    return {"type": found["kind"], "id": found["id"], "topic_id": found["topic_id"], "forum_id": found["forum_id"],
            "event_id": found["id"] if found["kind"] == "event" else None,
            "conversation_id": found["conversation_id"], "resource_id": found["resource_id"],
            "title": found["title"],
            "snippet": snippet_html(found["snippet"] or ""), "author": author,
            "created_at": found["created_at"], "score": found["score"] if by_relevance else None}


async def search(db: Database, member: OrgMember, *, q: str, type: str = "all", forum_id: UUID | None = None,
                 tag: str | None = None, author_id: UUID | None = None, after: datetime | None = None,
                 before: datetime | None = None, sort: str = "relevance", limit: int = 20,
                 cursor: str | None = None) -> dict[str, Any]:
    member.require(Perm.READ_PUBLIC)
    by_relevance = sort == "relevance"
    key = _cursor(cursor, by_relevance)
    text, prefix = split_last_word(q)
    # Read only: a search writes nothing, so its commit leaves the org's cached pages alone.
    async with db.transaction(org_id=member.org_id, user_id=member.user_id, read_only=True,
                              custom_plans=True) as conn:
        query: str | queries.Words | None = plain_words(_language(member), text, prefix)
        if query is None:
            query, nodes = await queries.parse_query(conn, _language(member), text, prefix)
            if nodes == 0:  # only stop words (a plain query of them answers no rows)
                return {"results": [], "next_cursor": None}
        found = await queries.search_documents(
            conn, org_id=member.org_id, query=query, kinds=_KINDS[type], rank=viewer_rank(member),
            forum_id=forum_id, author_id=author_id, after=after, before=before, tag=tag, cursor=key,
            by_relevance=by_relevance, limit=limit + 1, candidates=CANDIDATES, headline=_HEADLINE,
            viewer=member.user_id if member.is_member else None)
    page = found[:limit]
    next_cursor = None
    if len(found) > limit:
        last = page[-1]
        next_cursor = encode_cursor([last["score"] if by_relevance else last["created_at"], last["id"]])
    return {"results": [result_view(r, by_relevance) for r in page], "next_cursor": next_cursor}


async def suggest(db: Database, member: OrgMember, *, q: str) -> dict[str, Any]:
    """Topic titles matching every typed word as a prefix, most recent first."""
    member.require(Perm.READ_PUBLIC)
    words = _WORD.findall(q)[:8]
    if not words:
        return {"suggestions": []}
    prefixes = queries.Words(f"pg_catalog.{_language(member)}", " & ".join(f"{w}:*" for w in words), "")
    async with db.transaction(org_id=member.org_id, user_id=member.user_id, read_only=True,
                              custom_plans=True) as conn:
        found = await queries.suggest_titles(conn, member.org_id, prefixes, viewer_rank(member), SUGGESTIONS)
    return {"suggestions": [{"topic_id": r["id"], "forum_id": r["forum_id"], "title": r["title"]} for r in found]}
