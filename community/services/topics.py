"""Topics: read a topic page, create, update (edit, pin, lock, announce, move), delete.

A read counts its view with the view counter (`actors/view_counter.py`) once its transaction
is over; the counter writes views in batches, so a read never writes.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field, field_validator

from community.actors.view_counter import ViewCounter
from community.db.pool import CONTEXT_ORG, CONTEXT_USER, Conn, Database, Query
from community.db.queries import forums, members, moderation, orgs, posts, reads, topics
from community.db.queries.forums import ForumRow
from community.db.queries.topics import TopicRow
from community.domain.cursors import encode_cursor, next_cursor, time_cursor
from community.domain.errors import ForbiddenError, NotFoundError, PayloadTooLargeError, RateLimitedError
from community.domain.events import Channel, EventType
from community.domain.input import Body
from community.domain.markdown import MAX_CONTENT_BYTES, excerpt_of_html, extract_mentions, render_markdown
from community.domain.permissions import Perm, Role
from community.domain.principal import Caller, OrgMember, Principal
from community.domain.slugs import slugify, with_suffix
from community.domain.tags import TAGS_SCHEMA, normalise_tags
from community.handles import Publisher
from community.ratelimit import RateLimiter
from community.services.forums import access_forum, can_see, moderates, moderates_forum
from community.services.orgs import caller_from_context
from community.services.unit import Unit, unit_of_work
from community.services.views import post_view, topic_row_view, topic_view

_NOT_FOUND = "No such topic."


class CreateTopicBody(Body):
    title: str = Field(min_length=1, max_length=255)
    content: str = Field(min_length=1)
    tags: list[str] | None = Field(default=None, max_length=5, json_schema_extra=TAGS_SCHEMA)
    is_announcement: bool = False

    _tags = field_validator("tags")(normalise_tags)


class UpdateTopicBody(Body):
    title: str | None = Field(default=None, min_length=1, max_length=255)
    content: str | None = Field(default=None, min_length=1)
    tags: list[str] | None = Field(default=None, max_length=5, json_schema_extra=TAGS_SCHEMA)
    is_pinned: bool | None = None
    is_locked: bool | None = None
    is_announcement: bool | None = None
    forum_id: UUID | None = None

    _tags = field_validator("tags")(normalise_tags)


async def access_topic(conn: Conn, member: OrgMember, topic_id: UUID, *, lock: bool = False) -> TopicRow:
    """The only loader of a topic: missing and in a forum the caller cannot see are the same 404."""
    if lock and not await topics.lock_topic(conn, member.org_id, topic_id):
        raise NotFoundError(_NOT_FOUND)
    topic = await topics.get_topic(conn, member.org_id, topic_id, member.user_id)
    if topic is None or not can_see(member, topic.forum_view_rank):
        raise NotFoundError(_NOT_FOUND)
    return topic


def topic_in_context(topic_id: UUID) -> Query:
    """What `access_topic` loads, as a part of a one-statement read (`Database.read_in_context`)."""
    return topics.get_topic_query(CONTEXT_ORG, topic_id, CONTEXT_USER)


def access_topic_row(member: OrgMember, found: dict[str, Any] | None) -> dict[str, Any]:
    """`access_topic`'s rule on the row `topic_in_context` read in the caller's own statement. The row
    stays as read: the topic page's one statement turns it straight into its view."""
    if found is None or not can_see(member, found["forum_view_rank"]):
        raise NotFoundError(_NOT_FOUND)
    return found


async def read_topic_view(db: Database, member: OrgMember, topic_id: UUID) -> dict[str, Any]:
    """The topic as the API shows it, if the caller may see its forum (realtime subscriptions use this)."""
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        return topic_row_view(await access_topic(conn, member, topic_id))


async def read_topic_page(db: Database, views: ViewCounter, member: OrgMember, topic_id: UUID, *,
                          cursor: str | None, limit: int) -> dict[str, Any]:
    """The topic and a page of its posts in creation order (clients nest them by parent_id): 3 queries."""
    after = time_cursor(cursor)
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        topic = await access_topic(conn, member, topic_id)
        found = await posts.list_topic_posts(conn, member.org_id, topic_id, member.user_id,
                                             after=after,
                                             limit=limit + 1)
        state = None
        if member.is_member and member.user_id is not None:
            state = await reads.topic_read(conn, member.org_id, member.user_id, topic.id)
    page = _topic_page(member, topic_row_view(topic), topic.in_mod_scope, found, limit, state)
    return with_views(views, member.org_id, page, opened=cursor is None)


async def read_topic_page_as(db: Database, views: ViewCounter, caller: Caller, ref: str, topic_id: UUID, *,
                             cursor: str | None, limit: int) -> tuple[Principal, dict[str, Any]] | None:
    """The topic page for a signed-in caller named by id or Auth0 subject, in one statement: who they
    are in `{org}`, the topic and its page of posts (the same statements and views as above).
    None when the database does not know the caller (the slow path provisions or answers 401)."""
    answered = await read_topic_base_as(db, caller, ref, topic_id, cursor=cursor, limit=limit)
    if answered is None:
        return None
    principal, org_id, page = answered
    return principal, with_views(views, org_id, page, opened=cursor is None)


async def read_topic_base_as(db: Database, caller: Caller, ref: str, topic_id: UUID, *, cursor: str | None,
                             limit: int) -> tuple[Principal, UUID, dict[str, Any]] | None:
    """`read_topic_page_as` before its view is counted: the page as the database shows it now, for the
    response cache (`with_views` finishes it at each hit). Also answers the org's id."""
    after = time_cursor(cursor)

    context, results = await db.read_in_context(
        orgs.request_context_query(user_id=caller.user_id, subject=caller.subject, ref=ref,
                                   session=caller.session),
        [topics.get_topic_query(CONTEXT_ORG, topic_id, CONTEXT_USER),
         posts.topic_posts_query(CONTEXT_ORG, topic_id, CONTEXT_USER,
                                 after=after, limit=limit + 1),
         # The reader's position and previous visit (ignored below for a non-member).
         reads.topic_read_query(CONTEXT_ORG, CONTEXT_USER, topic_id)])
    if context is None:
        return None
    principal, member = caller_from_context(context)
    if principal is None:
        return None
    topic, found, state = results
    topic = access_topic_row(member, topic)  # access_topic's rule, on the row this statement read
    return principal, member.org_id, _topic_page(member, topic_view(topic), topic["in_mod_scope"], found, limit,
                                                 state if member.is_member else None)


def with_views(views: ViewCounter, org_id: UUID, page: dict[str, Any], *, opened: bool) -> dict[str, Any]:
    """The page with its view counted and shown. `opened`: the first page, a view; later pages ("load
    more", the app's jump to the first unread) are not."""
    topic = page["topic"]
    return {**page, "topic": {**topic, "view_count": topic["view_count"] + count_view(views, org_id, topic["id"],
                                                                                      opened=opened)}}


def count_view(views: ViewCounter, org_id: UUID, topic_id: UUID, *, opened: bool) -> int:
    """Count the view (`opened`); answers the views not yet in the row, which a page adds to its count."""
    if opened:
        views.count(org_id, topic_id)
    return views.pending(org_id, topic_id)


def _topic_page(member: OrgMember, topic: dict[str, Any], in_mod_scope: bool, found: list[dict[str, Any]],
                limit: int, state: dict[str, Any] | None) -> dict[str, Any]:
    """`topic`: its view; `state`: the member's read position and previous visit (None for readers
    without a membership)."""
    mod = moderates(member, in_mod_scope)
    page = found[:limit]
    key = (page[-1]["created_at"], page[-1]["id"]) if page else None
    return {"topic": topic, "posts": [post_view(p, moderator=mod) for p in page],
            "next_cursor": next_cursor(found, limit, key),
            "read": read_view(state) if state is not None else None,
            "last_visit_at": state["previous_visit_at"] if state is not None else None}


def read_view(state: dict[str, Any]) -> dict[str, Any]:
    """The reader's position; `unread_cursor` as `?cursor=` opens the topic at its first unread post."""
    last = state["last_read_post_id"]
    return {"last_read_post_id": last, "first_unread_post_id": state["first_unread_post_id"],
            "unread_count": state["unread_count"],
            "unread_cursor": encode_cursor([state["last_read_created_at"], last]) if last else None}


def check_size(content: str) -> None:
    """Content over the limit is a 413."""
    if len(content.encode()) > MAX_CONTENT_BYTES:
        raise PayloadTooLargeError(f"Content is limited to {MAX_CONTENT_BYTES} bytes.")


def check_content(content: str) -> str:
    """The rendered html; content over the limit is a 413."""
    check_size(content)
    return render_markdown(content)


async def check_posting_rate(conn: Conn, limiter: RateLimiter, member: OrgMember) -> None:
    """Per-member posting limit from the org's settings (`posting`); new members get the stricter one."""
    if member.at_least(Role.MODERATOR) or member.user_id is None:
        return
    joined = await members.joined_at(conn, member.org_id, member.user_id)
    limit = posting_limit(member, joined, time.time())
    if limit is not None and (retry := await limiter.hit(posting_key(member), limit, 60.0, conn=conn)) is not None:
        raise RateLimitedError(POSTING_TOO_FAST, retry_after=retry)


POSTING_TOO_FAST = "You are posting too fast; try again shortly."


def posting_key(member: OrgMember) -> str:
    return f"posting:{member.org_id}:{member.user_id}"


def posting_limit(member: OrgMember, joined_at: datetime | None, now: float) -> int | None:
    """Posts a minute this author may make (None: no limit); new members get the stricter one."""
    if member.at_least(Role.MODERATOR) or member.user_id is None:
        return None
    conf = member.settings.posting
    age_days = (now - joined_at.timestamp()) / 86400 if joined_at else 0
    return conf.new_member_per_minute if age_days < conf.new_member_days else conf.per_minute


async def check_create_topic(db: Database, publisher: Publisher, limiter: RateLimiter, member: OrgMember,
                             forum_id: UUID, data: CreateTopicBody) -> dict[str, Any]:
    """Members who may post, in a forum they see, within their posting rate; announcements by its moderators."""
    html = check_content(data.content)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        forum = await access_forum(unit.conn, member, forum_id, for_update=True)
        member.require(Perm.CREATE_TOPIC)
        if data.is_announcement and not await _moderates_forum_row(unit.conn, member, forum):
            raise ForbiddenError("Only moderators make announcements.")
        await check_posting_rate(unit.conn, limiter, member)
        return await do_create_topic(unit, member, forum, data, html=html)


async def do_create_topic(unit: Unit, member: OrgMember, forum: ForumRow, data: CreateTopicBody, *,
                          html: str) -> dict[str, Any]:
    """`forum` is locked (access_forum for_update), so no concurrent create in it can take the slug."""
    topic_id, forum_id = uuid.uuid4(), forum.id
    created = await topics.insert_topic(
        unit.conn, topic_id=topic_id, org_id=member.org_id, forum_id=forum_id, title=data.title,
        slug=await _free_slug(unit.conn, member.org_id, forum_id, data.title), content=data.content,
        html=html, author_id=member.user_id, tags=data.tags or [], is_announcement=data.is_announcement,
        excerpt=excerpt_of_html(html))
    await forums.bump_counters(unit.conn, member.org_id, forum_id, topics=1, at=created)
    view = topic_row_view(await access_topic(unit.conn, member, topic_id))
    mentions = await posts.resolve_mentions(unit.conn, member.org_id, extract_mentions(data.content),
                                            forum.view_rank)
    payload = {"topic": view, "forum_id": forum_id, "mentions": mentions}
    await unit.record(Channel.forum(forum_id), EventType.TOPIC_CREATED, payload)
    if data.is_announcement:
        await _announce(unit, view, forum)
    return view


async def _announce(unit: Unit, view: dict[str, Any], forum: ForumRow) -> None:
    # The notifier tells every member who can see the forum (`min_rank`).
    assert unit.org_id is not None
    await unit.record(Channel.org(unit.org_id), EventType.ANNOUNCEMENT_PUBLISHED,
                      {"topic": view, "forum_id": forum.id, "min_rank": forum.view_rank})


async def _moderates_forum_row(conn: Conn, member: OrgMember, forum: ForumRow) -> bool:
    return await moderates_forum(conn, member, list(forum.path))


_MOD_FIELDS = ("is_pinned", "is_locked", "is_announcement", "forum_id")


async def check_update_topic(db: Database, publisher: Publisher, member: OrgMember, topic_id: UUID,
                             changes: UpdateTopicBody) -> dict[str, Any]:
    """Authors edit their own unlocked topics; moderators of its forum also pin, lock, announce and
    move it, to a forum they moderate too."""
    fields = changes.model_dump(exclude_unset=True)
    if changes.content is not None:
        html = check_content(changes.content)
        fields.update(html=html, excerpt=excerpt_of_html(html))
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        topic = await access_topic(unit.conn, member, topic_id, lock=True)
        is_mod = moderates(member, topic.in_mod_scope)
        _check_edit(member, topic, fields, is_mod)
        if changes.forum_id not in (None, topic.forum_id):
            await _check_move(unit.conn, member, fields["forum_id"])
        else:
            fields.pop("forum_id", None)
        return await do_update_topic(unit, member, topic, fields, is_mod=is_mod)


async def do_update_topic(unit: Unit, member: OrgMember, topic: TopicRow, fields: dict[str, Any], *,
                          is_mod: bool) -> dict[str, Any]:
    """`fields`: the columns to change (a `forum_id` only when the topic moves)."""
    if fields.get("title") is not None and fields["title"] != topic.title:
        fields["slug"] = await _free_slug(unit.conn, member.org_id, topic.forum_id, fields["title"])
    await topics.update_topic(unit.conn, member.org_id, topic.id, fields, member.user_id)
    moved = "forum_id" in fields
    if moved:
        await _move(unit, member, topic, fields["forum_id"])
    view = topic_row_view(await access_topic(unit.conn, member, topic.id))
    await unit.record(Channel.topic(topic.id), EventType.TOPIC_MOVED if moved else EventType.TOPIC_UPDATED,
                      {"topic": view, "forum_id": view["forum_id"], "previous_forum_id": topic.forum_id})
    if fields.get("is_announcement") and not topic.is_announcement:
        await _announce(unit, view, await access_forum(unit.conn, member, view["forum_id"]))
    await _log_moderation(unit, member, topic, fields, is_mod)
    return view


def _check_edit(member: OrgMember, topic: TopicRow, changes: dict[str, Any], is_mod: bool) -> None:
    if is_mod:
        return
    if topic.author_id != member.user_id or not member.can(Perm.CREATE_TOPIC):
        raise ForbiddenError("Only the author or a moderator edits this topic.")
    if any(changes.get(f) is not None for f in _MOD_FIELDS):
        raise ForbiddenError("Only moderators pin, lock, announce or move topics.")
    if topic.is_locked:
        raise ForbiddenError("This topic is locked.")


async def _check_move(conn: Conn, member: OrgMember, target_id: UUID) -> None:
    target = await access_forum(conn, member, target_id)
    if not await _moderates_forum_row(conn, member, target):
        raise ForbiddenError("You do not moderate the target forum.")


async def _move(unit: Unit, member: OrgMember, topic: TopicRow, target_id: UUID) -> None:
    for forum_id in sorted([topic.forum_id, target_id]):  # one lock order: no deadlock between movers
        await access_forum(unit.conn, member, forum_id, for_update=True)
    slug = await _free_slug(unit.conn, member.org_id, target_id, topic.title, current=topic.slug)
    await topics.set_forum(unit.conn, member.org_id, topic.id, target_id, slug)
    n = topic.reply_count
    await forums.bump_counters(unit.conn, member.org_id, topic.forum_id, topics=-1, posts=-n)
    await forums.refresh_last_post(unit.conn, member.org_id, topic.forum_id)
    await forums.bump_counters(unit.conn, member.org_id, target_id, topics=1, posts=n, at=topic.last_activity_at)


async def _log_moderation(unit: Unit, member: OrgMember, topic: TopicRow, changes: dict[str, Any],
                          is_mod: bool) -> None:
    if not is_mod:
        return
    done = {f: changes[f] for f in _MOD_FIELDS if changes.get(f) is not None and changes[f] != getattr(topic, f)}
    if topic.author_id != member.user_id and any(changes.get(f) is not None for f in ("title", "content", "tags")):
        done["edited"] = True
    for action, value in done.items():
        name = "move_topic" if action == "forum_id" else "edit_topic" if action == "edited" else f"set_{action}"
        await moderation.append_log(unit.conn, member.org_id, actor_id=member.user_id, action=name,
                                    target_type="topic", target_id=topic.id, details={"value": value})


async def check_delete_topic(db: Database, publisher: Publisher, member: OrgMember, topic_id: UUID) -> None:
    """Its author (who may still post; not once it is locked) or a moderator of its forum."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        topic = await access_topic(unit.conn, member, topic_id, lock=True)
        is_mod = moderates(member, topic.in_mod_scope)
        if not is_mod and (topic.author_id != member.user_id or not member.can(Perm.CREATE_TOPIC)):
            raise ForbiddenError("Only the author or a moderator deletes this topic.")
        if not is_mod and topic.is_locked:
            raise ForbiddenError("This topic is locked.")
        await do_delete_topic(unit, member, topic, is_mod=is_mod)


async def do_delete_topic(unit: Unit, member: OrgMember, topic: TopicRow, *, is_mod: bool) -> None:
    topic_id, forum_id = topic.id, topic.forum_id
    await topics.delete_topic(unit.conn, member.org_id, topic_id)
    await forums.bump_counters(unit.conn, member.org_id, forum_id, topics=-1, posts=-topic.reply_count)
    await forums.refresh_last_post(unit.conn, member.org_id, forum_id)
    payload = {"topic_id": topic_id, "forum_id": forum_id}
    await unit.record(Channel.topic(topic_id), EventType.TOPIC_DELETED, payload)
    await unit.record(Channel.forum(forum_id), EventType.TOPIC_DELETED, payload)
    if is_mod and topic.author_id != member.user_id:
        await moderation.append_log(unit.conn, member.org_id, actor_id=member.user_id, action="delete_topic",
                                    target_type="topic", target_id=topic_id, details={"title": topic.title})


async def _free_slug(conn: Conn, org_id: UUID, forum_id: UUID, title: str, *, current: str | None = None) -> str:
    base = slugify(title) or "topic"
    candidate, n = current or base, 1
    while await topics.slug_taken(conn, org_id, forum_id, candidate):
        n += 1
        candidate = with_suffix(base, n)
    return candidate

