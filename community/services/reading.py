"""What a reader and a writer need around the content: the public directory, @mention
suggestions, and a Markdown preview rendered exactly as a post will be."""

from __future__ import annotations

from typing import Any

from community.db.pool import Database
from community.db.queries import reading
from community.domain.cursors import keyed_cursor, next_cursor
from community.domain.errors import NotFoundError, PayloadTooLargeError
from community.domain.markdown import MAX_CONTENT_BYTES, extract_mentions, render_markdown
from community.domain.principal import OrgMember

SUGGESTIONS = 10
_NOT_FOUND = "No such organization."


async def list_directory(db: Database, *, cursor: str | None, limit: int) -> dict[str, Any]:
    after = keyed_cursor(cursor, str)
    async with db.transaction() as conn:
        found = await reading.list_public_orgs(conn, after=after,
                                               limit=limit + 1)
    page = found[:limit]
    key = (page[-1]["name"].lower(), page[-1]["id"]) if page else None
    return {"organizations": page, "next_cursor": next_cursor(found, limit, key)}


async def suggest_members(db: Database, member: OrgMember, *, q: str, limit: int) -> dict[str, Any]:
    """Members whose display name (or a word of it) starts with `q`, for `@mention` completion."""
    _require_member(member)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        found = await reading.suggest_members(conn, member.org_id, q.strip().lstrip("@"), limit)
    return {"members": [{"user": {"id": m["user_id"], "display_name": m["display_name"],
                                  "avatar_url": m["avatar_url"]}, "role": m["role"], "handle": m["handle"]}
                        for m in found]}


def preview_markdown(member: OrgMember, content: str) -> dict[str, Any]:
    """The html a post with this content will carry (same renderer, same sanitiser)."""
    _require_member(member)
    if len(content.encode()) > MAX_CONTENT_BYTES:
        raise PayloadTooLargeError(f"Content is limited to {MAX_CONTENT_BYTES} bytes.")
    return {"html": render_markdown(content), "mentions": extract_mentions(content)}


def _require_member(member: OrgMember) -> None:
    # A signed-in non-member of a public org reads it, but neither writes nor lists its members.
    if not member.is_member:
        raise NotFoundError(_NOT_FOUND)
