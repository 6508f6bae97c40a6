"""Posts: reply, edit (with history), soft delete, react, mark the solution.

Mentions: users have no handle column, so `@handle` matches a member whose display
name, lower-cased with spaces removed, equals the handle ("Ana Lima" is `@analima`),
among active members who can see the forum. Resolved ids are stored in
`post_mentions` and carried in the event payload for the notifier.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from community.db.pool import CONTEXT_ORG, CONTEXT_USER, Conn, Database
from community.db.queries import forums, moderation, posts, topics, users
from community.db.queries.activity import NewEvent, Written
from community.db.queries.files import UploadRow
from community.db.queries.posts import PostRow
from community.domain.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ValidationFailedError,
)
from community.domain.events import Activity, Channel, EventType
from community.domain.input import Body
from community.domain.markdown import extract_mentions, render_with_mentions
from community.domain.permissions import Perm
from community.domain.principal import Caller, OrgMember, Principal
from community.domain.reactions import check_reaction
from community.handles import FileStore, Publisher
from community.ratelimit import RateLimiter, retry_seconds
from community.services.askers import Asker
from community.services.files import attach, attachment_view, inspect_attachments
from community.services.forums import can_see, moderates
from community.services.topics import POSTING_TOO_FAST, check_content, check_size, posting_key, posting_limit
from community.services.unit import Unit, unit_of_work
from community.services.views import post_row_view, post_view, revision_view

_NOT_FOUND = "No such post."


async def access_post(conn: Conn, member: OrgMember, post_id: UUID) -> PostRow:
    """The only loader of a post: missing and in a forum the caller cannot see are the same 404."""
    post = await posts.get_post(conn, member.org_id, post_id, member.user_id)
    if post is None or not can_see(member, post.forum_view_rank):
        raise NotFoundError(_NOT_FOUND)
    return post


async def access_live_post(conn: Conn, member: OrgMember, post_id: UUID) -> PostRow:
    """As access_post; a deleted post is a 404 too."""
    post = await access_post(conn, member, post_id)
    if post.deleted_at is not None:
        raise NotFoundError(_NOT_FOUND)
    return post


def _view(post: PostRow, member: OrgMember) -> dict[str, Any]:
    return post_row_view(post, moderator=moderates(member, post.in_mod_scope))


async def read_post(db: Database, member: OrgMember, post_id: UUID) -> dict[str, Any]:
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        return _view(await access_post(conn, member, post_id), member)


async def list_revisions(db: Database, member: OrgMember, post_id: UUID) -> dict[str, Any]:
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        post = await access_live_post(conn, member, post_id)
        if post.is_hidden and not moderates(member, post.in_mod_scope):
            raise NotFoundError(_NOT_FOUND)
        found = await posts.list_revisions(conn, member.org_id, post_id)
    return {"revisions": [revision_view(r) for r in found]}


@dataclass(frozen=True)
class ReplyTarget:
    """What the checks of a reply read, in one statement (`access_reply_target`). The rows stay as
    read: a reply is a hot write, and what it shows is built from them once (`post_view`)."""

    author: dict[str, Any]  # display_name, avatar_url, and `now`: the database's clock
    topic: dict[str, Any]
    parent: dict[str, Any] | None
    mentions: list[UUID]
    joined_at: datetime | None


def _render_post(content: str) -> tuple[str, list[str]]:
    """The rendered html and the `@handles` (413 over the limit), from one parse."""
    check_size(content)
    return render_with_mentions(content)


async def access_reply_target(db: Database, asker: Asker, topic_id: UUID, parent_id: UUID | None,
                              handles: list[str]) -> tuple[Principal | None, OrgMember, ReplyTarget]:
    """Who is asking, the topic (404 if missing or not visible), the parent and the mentioned members
    in ONE statement. A principal of None: the database does not know the caller."""
    context, found = await db.read_in_context(
        asker.context,
        [users.author_query(CONTEXT_USER),
         topics.get_topic_query(CONTEXT_ORG, topic_id, CONTEXT_USER),
         posts.get_post_query(CONTEXT_ORG, parent_id, CONTEXT_USER),
         posts.topic_mentions_query(CONTEXT_ORG, topic_id, handles),
         posts.joined_at_query(CONTEXT_ORG, CONTEXT_USER)])
    if context is None:
        raise NotFoundError(_NO_TOPIC)
    principal, member = asker.member_of(context)
    author, topic, parent, mentioned, joined_at = found
    if principal is None or author is None:
        return None, member, ReplyTarget(author={}, topic={}, parent=None, mentions=[], joined_at=None)
    if topic is None or not can_see(member, topic["forum_view_rank"]):
        raise NotFoundError(_NO_TOPIC)
    mentions = [m["user_id"] for m in mentioned if m["user_id"] != member.user_id]
    return principal, member, ReplyTarget(author=author, topic=topic, parent=parent, mentions=mentions,
                                          joined_at=joined_at)


_NO_TOPIC = "No such topic."


def check_reply(member: OrgMember, target: ReplyTarget, topic_id: UUID, parent_id: UUID | None) -> None:
    member.require(Perm.CREATE_POST)
    check_unlocked(member, target.topic["is_locked"], target.topic["in_mod_scope"])
    if parent_id is not None and (target.parent is None or target.parent["topic_id"] != topic_id):
        raise ValidationFailedError("parent_id: not a post of this topic",
                                    [{"loc": ["body", "parent_id"], "msg": "not a post of this topic"}])


class CreatePostBody(Body):
    content: str = Field(min_length=1)
    parent_id: UUID | None = None
    attachments: list[UUID] = Field(default_factory=list, max_length=10)  # uploads with purpose "attachment"


async def check_create_post(db: Database, publisher: Publisher, limiter: RateLimiter, member: OrgMember,
                            topic_id: UUID, data: CreatePostBody, *, store: FileStore | None = None) -> dict[str, Any]:
    """A reply in two round trips: the checks' read, then one write statement (SQL create_post).

    Should what the checks read change before the write (the topic locked, moved, deleted), the
    write answers 'stale' and the checks run again on what is there now.
    """
    html, handles = _render_post(data.content)
    uploads = await inspect_attachments(db, store, member, data.attachments)
    created = await _create_post(db, publisher, limiter, Asker.of_member(member), topic_id, content=data.content,
                                 html=html, handles=handles, parent_id=data.parent_id, uploads=uploads)
    if created is None:
        raise NotFoundError(_NO_TOPIC)  # the member's user is gone
    return created[1]


async def check_create_post_as(db: Database, publisher: Publisher, limiter: RateLimiter, caller: Caller, ref: str,
                               topic_id: UUID, data: CreatePostBody) -> tuple[Principal, dict[str, Any]] | None:
    """`check_create_post` for a caller named by their verified token: who they are in `{org}` is read
    with the checks (`Asker.of_caller`), two round trips in all. None when the database does not know
    the caller, or the reply has attachments (the route then takes `org_member`'s path)."""
    if data.attachments:
        return None
    html, handles = _render_post(data.content)
    return await _create_post(db, publisher, limiter, Asker.of_caller(caller, ref), topic_id, content=data.content,
                              html=html, handles=handles, parent_id=data.parent_id, uploads=[])


async def _create_post(db: Database, publisher: Publisher, limiter: RateLimiter, asker: Asker, topic_id: UUID, *,
                       content: str, html: str, handles: list[str], parent_id: UUID | None,
                       uploads: list[UploadRow]) -> tuple[Principal, dict[str, Any]] | None:
    async def body(db: Database) -> tuple[Principal, dict[str, Any], Activity] | None:
        return await _try_create_post(db, limiter, asker, topic_id, content=content, html=html, handles=handles,
                                      parent_id=parent_id, uploads=uploads)

    # Without uploads the checks' read and the write are one handoff to the database's thread.
    created = await (body(db) if uploads else db.on_loop(body))
    if created is None:
        return None
    principal, view, activity = created
    publisher.committed([activity])
    return principal, view


async def _try_create_post(db: Database, limiter: RateLimiter, asker: Asker, topic_id: UUID, *, content: str,
                           html: str, handles: list[str], parent_id: UUID | None,
                           uploads: list[UploadRow]) -> tuple[Principal, dict[str, Any], Activity] | None:
    post_id = uuid.uuid4()
    for _ in range(_ATTEMPTS):
        principal, member, target = await access_reply_target(db, asker, topic_id, parent_id, handles)
        if principal is None:
            return None
        check_reply(member, target, topic_id, parent_id)
        post = _new_post(member, target, post_id, topic_id, parent_id, content, html, uploads)
        written, event = await _write_post(db, member, limiter, target, post, uploads)
        if written.outcome == "rate_limited":
            raise RateLimitedError(POSTING_TOO_FAST, retry_after=retry_seconds(written.retry_after or 1))
        if written.outcome == "created":
            assert written.seq is not None and written.at is not None
            return principal, post_view(post), event.committed(written.seq, written.at)
    raise ConflictError("The topic kept changing; try again.")


_ATTEMPTS = 3


def _new_post(member: OrgMember, target: ReplyTarget, post_id: UUID, topic_id: UUID, parent_id: UUID | None,
              content: str, html: str, uploads: list[UploadRow]) -> dict[str, Any]:
    """The post's row as `posts.get_post` would read it back once written."""
    return {"id": post_id, "org_id": member.org_id, "topic_id": topic_id, "parent_id": parent_id,
            "author_id": member.user_id, "display_name": target.author["display_name"],
            "avatar_url": target.author["avatar_url"], "content": content, "html": html, "is_solution": False,
            "reactions": {}, "edit_count": 0, "last_edited_at": None, "is_hidden": False, "deleted_at": None,
            "created_at": target.author["now"], "attachments": [attachment_view(u) for u in uploads] or None,
            "my_reactions": []}


async def _write_post(db: Database, member: OrgMember, limiter: RateLimiter, target: ReplyTarget,
                      post: dict[str, Any], uploads: list[UploadRow]) -> tuple[Written, NewEvent]:
    topic, parent = target.topic, target.parent
    assert member.user_id is not None
    event = NewEvent(org_id=member.org_id, channel=Channel.topic(topic["id"]), type=EventType.POST_CREATED,
                     actor_id=member.user_id,
                     payload={"post": post_view(post), "topic_id": topic["id"], "forum_id": topic["forum_id"],
                              "topic_title": topic["title"], "mentions": target.mentions,
                              "reply_to_user_id": parent["author_id"] if parent else topic["author_id"]})
    limit = posting_limit(member, target.joined_at, target.author["now"].timestamp())
    row = posts.NewPost(post_id=post["id"], org_id=member.org_id, topic_id=topic["id"], parent_id=post["parent_id"],
                        author_id=member.user_id, content=post["content"], html=post["html"],
                        created_at=post["created_at"], forum_id=topic["forum_id"], is_locked=topic["is_locked"],
                        forum_view_rank=topic["forum_view_rank"], mentions=target.mentions)
    statement = limiter.in_statement(posting_key(member), limit, 60.0) if limit is not None else None
    if not uploads:
        return await posts.create_post(db, row, statement, event), event
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:  # the claims commit with it
        written = await posts.create_post(conn, row, statement, event)
        if written.outcome == "created":
            await attach(conn, member, uploads, post_id=post["id"])
    return written, event


async def _store_mentions(conn: Conn, member: OrgMember, post_id: UUID, content: str, min_rank: int) -> list[UUID]:
    found = await posts.resolve_mentions(conn, member.org_id, extract_mentions(content), min_rank)
    mentioned = [u for u in found if u != member.user_id]
    await posts.insert_mentions(conn, member.org_id, post_id, mentioned)
    return mentioned


async def _record(unit: Unit, event: EventType, post: PostRow, member: OrgMember, **extra: Any) -> None:
    # Broadcast payloads carry no viewer-specific state.
    view = {**post_row_view(post), "my_reactions": []}
    await unit.record(Channel.topic(post.topic_id), event,
                      {"post": view, "topic_id": post.topic_id, "forum_id": post.forum_id, **extra})


class EditPostBody(Body):
    content: str = Field(min_length=1)


async def check_edit_post(db: Database, publisher: Publisher, member: OrgMember, post_id: UUID,
                          data: EditPostBody) -> dict[str, Any]:
    """Its author (who may still post) or a moderator of its forum; a locked topic only by a moderator."""
    content = data.content
    html = check_content(content)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        post = await access_live_post(unit.conn, member, post_id)
        is_mod = _check_author_or_mod(member, post)
        check_unlocked(member, post.topic_is_locked, post.in_mod_scope)
        post = await do_edit_post(unit, member, post, content, html=html, is_mod=is_mod)
    return _view(post, member)


async def do_edit_post(unit: Unit, member: OrgMember, post: PostRow, content: str, *, html: str,
                       is_mod: bool) -> PostRow:
    """The post as edited (read back); the revision, mentions and a moderator's log entry with it."""
    post_id = post.id
    await posts.edit_post(unit.conn, member.org_id, post_id, editor_id=member.user_id, content=content, html=html)
    mentions = await _store_mentions(unit.conn, member, post_id, content, post.forum_view_rank)
    if is_mod and post.author_id != member.user_id:
        await _log(unit, member, "edit_post", post)
    post = await access_post(unit.conn, member, post_id)
    await _record(unit, EventType.POST_UPDATED, post, member, mentions=mentions, reply_to_user_id=None)
    return post


def _check_author_or_mod(member: OrgMember, post: PostRow) -> bool:
    is_mod = moderates(member, post.in_mod_scope)
    if not is_mod and (post.author_id != member.user_id or not member.can(Perm.CREATE_POST)):
        raise ForbiddenError("Only the author or a moderator changes this post.")
    return is_mod


def check_unlocked(member: OrgMember, is_locked: bool, in_mod_scope: bool) -> None:
    """A locked topic takes no replies, edits, deletions, reactions or solutions, except from its moderators."""
    if is_locked and not moderates(member, in_mod_scope):
        raise ForbiddenError("This topic is locked.")


async def check_delete_post(db: Database, publisher: Publisher, member: OrgMember, post_id: UUID) -> None:
    """Its author (who may still post) or a moderator of its forum; in a locked topic only a moderator."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        post = await access_live_post(unit.conn, member, post_id)
        is_mod = _check_author_or_mod(member, post)
        check_unlocked(member, post.topic_is_locked, post.in_mod_scope)
        await do_delete_post(unit, member, post, is_mod=is_mod)


async def do_delete_post(unit: Unit, member: OrgMember, post: PostRow, *, is_mod: bool) -> None:
    await delete_post_in(unit, member, post)
    if is_mod and post.author_id != member.user_id:
        await _log(unit, member, "delete_post", post)


async def delete_post_in(unit: Unit, member: OrgMember, post: PostRow) -> None:
    """Soft delete inside the caller's unit; counters move with it (topic row locked first)."""
    await topics.lock_topic(unit.conn, member.org_id, post.topic_id)
    post = await access_post(unit.conn, member, post.id)  # its forum, read under the topic lock
    if not await posts.soft_delete_post(unit.conn, member.org_id, post.id, member.user_id):
        return
    await topics.refresh_replies(unit.conn, member.org_id, post.topic_id, -1)
    await forums.bump_counters(unit.conn, member.org_id, post.forum_id, posts=-1)
    await forums.refresh_last_post(unit.conn, member.org_id, post.forum_id)
    await unit.record(Channel.topic(post.topic_id), EventType.POST_DELETED,
                      {"post_id": post.id, "topic_id": post.topic_id, "forum_id": post.forum_id})


async def _log(unit: Unit, member: OrgMember, action: str, post: PostRow, **details: Any) -> None:
    await moderation.append_log(unit.conn, member.org_id, actor_id=member.user_id, action=action,
                                target_type="post", target_id=post.id,
                                details={"topic_id": post.topic_id, "author_id": post.author_id, **details})


async def check_react(db: Database, publisher: Publisher, member: OrgMember, post_id: UUID, emoji: str, *,
                      add: bool) -> dict[str, Any]:
    """Members who may react, on a live post; a locked topic only by its moderators."""
    check_reaction(emoji)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        post = await access_live_post(unit.conn, member, post_id)
        member.require(Perm.REACT)
        check_unlocked(member, post.topic_is_locked, post.in_mod_scope)
        post = await do_react(unit, member, post, emoji, add=add)
    return _view(post, member)


async def do_react(unit: Unit, member: OrgMember, post: PostRow, emoji: str, *, add: bool) -> PostRow:
    """The post as it is now; an event only when the reaction changed."""
    assert member.user_id is not None
    change = posts.add_reaction if add else posts.remove_reaction
    if not await change(unit.conn, member.org_id, post.id, member.user_id, emoji):
        return post
    post = await access_post(unit.conn, member, post.id)
    await _record(unit, EventType.REACTION_ADDED if add else EventType.REACTION_REMOVED, post, member,
                  emoji=emoji, user_id=member.user_id)
    return post


async def check_mark_solution(db: Database, publisher: Publisher, member: OrgMember,
                              post_id: UUID) -> dict[str, Any]:
    """The topic's author (who may still post) or a moderator of its forum; never a hidden post."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        post = await access_live_post(unit.conn, member, post_id)
        is_mod = moderates(member, post.in_mod_scope)
        if not is_mod and (post.topic_author_id != member.user_id or not member.can(Perm.CREATE_POST)):
            raise ForbiddenError("Only the topic's author or a moderator marks the solution.")
        check_unlocked(member, post.topic_is_locked, post.in_mod_scope)
        if post.is_hidden:
            raise ConflictError("A hidden post cannot be the solution.")
        post = await do_mark_solution(unit, member, post)
    return _view(post, member)


async def do_mark_solution(unit: Unit, member: OrgMember, post: PostRow) -> PostRow:
    await topics.lock_topic(unit.conn, member.org_id, post.topic_id)
    await posts.mark_solution(unit.conn, member.org_id, post.topic_id, post.id)
    post = await access_post(unit.conn, member, post.id)
    await _record(unit, EventType.POST_SOLUTION_MARKED, post, member)
    return post
