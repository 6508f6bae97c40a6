"""Notifications: written by the notification writer for the people an event concerns; read and marked by them.

Who is notified: `@mentions` and the author replied to (post events carry `mentions` and
`reply_to_user_id`), watchers of a forum on a new topic and of a topic on a new post, and every
active member on an announcement. Never the actor; only active members. Writing is idempotent
(one row per person per event), so a retry or a second node never doubles a notification.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

import structlog

from community.db.pool import Conn, Database
from community.db.queries import audience as now
from community.db.queries import notifications as q
from community.domain.audience import OWNER_RANK, Current, Judged, Viewer, forum_rank, judge, referenced
from community.domain.cursors import next_cursor, time_cursor
from community.domain.errors import ForbiddenError, NotFoundError, ValidationFailedError
from community.domain.events import Activity, Channel, ChannelKind, EventType, Viewing
from community.domain.permissions import RANK, Role
from community.domain.principal import OrgMember, Principal
from community.services.messages import message_notifications
from community.services.realtime import check_subscribe
from community.services.views import notification_view

log = structlog.get_logger("community.services.notifications")
_T = TypeVar("_T")

# The events whose notifications the notification writer writes from its queue (the trigger of
# migration 0017 queues exactly these; a test keeps the two lists equal). Others owe theirs in
# their own transaction (services/event_notices.py: events, billing, integrations).
NOTIFYING_EVENTS = frozenset({EventType.POST_CREATED, EventType.TOPIC_CREATED, EventType.ANNOUNCEMENT_PUBLISHED,
                              EventType.MESSAGE_CREATED})
_EXCERPT = 200


def _uuids(values: object) -> list[UUID]:
    if not isinstance(values, list):
        return []
    return [UUID(str(v)) for v in values if v]


def recipients(activity: Activity, watchers: list[UUID], members: dict[UUID, str]) -> dict[str, list[UUID]]:
    """Kind -> people, each person once, at their most specific kind; never the actor."""
    payload = activity.payload
    by_kind: dict[str, list[UUID]] = {"mention": _uuids(payload.get("mentions"))}
    if activity.type is EventType.POST_CREATED:
        by_kind["reply"] = _uuids([payload.get("reply_to_user_id")])
        by_kind["watched_topic"] = watchers
    elif activity.type is EventType.TOPIC_CREATED:
        by_kind["watched_forum"] = watchers
    else:  # announcement_published: everyone who can see the forum
        min_rank = int(payload.get("min_rank") or 0)
        by_kind["announcement"] = [u for u, role in members.items() if RANK[Role(role)] >= min_rank]
    seen: set[UUID | None] = {activity.actor_id}
    chosen: dict[str, list[UUID]] = {}
    for kind, people in by_kind.items():
        fresh = [p for p in dict.fromkeys(people) if p not in seen and p in members]
        seen.update(fresh)
        if fresh:
            chosen[kind] = fresh
    return chosen


def _subject(activity: Activity) -> tuple[str, UUID | None, str, str, dict[str, Any]]:
    """What a notification of `activity` says: its subject, the topic's title, an excerpt, and in `data`
    the ids it links to and `actor_name` (who did it, as they were named then)."""
    if activity.type is EventType.POST_CREATED:
        post = activity.payload.get("post") or {}
        topic_id = post.get("topic_id")
        title = str(activity.payload.get("topic_title") or "New reply")
        return ("post", _maybe_uuid(post.get("id")), title[:300], str(post.get("content") or "")[:_EXCERPT],
                {"topic_id": topic_id, "post_id": post.get("id"), "actor_name": _name(post)})
    topic = activity.payload.get("topic") or {}
    return ("topic", _maybe_uuid(topic.get("id")), str(topic.get("title") or "New topic")[:300],
            str(topic.get("content") or "")[:_EXCERPT],
            {"topic_id": topic.get("id"), "forum_id": topic.get("forum_id"), "actor_name": _name(topic)})


def _name(view: dict[str, Any]) -> str | None:
    author = view.get("author")
    name = author.get("display_name") if isinstance(author, dict) else None
    return str(name)[:100] if name else None


def _maybe_uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


async def do_write_notifications(conn: Conn, activities: Sequence[Activity],
                                 viewing: Viewing) -> list[dict[str, Any]]:
    """The notification writer's unit, for a batch of one org's events in its transaction: one read of
    what they refer to, one insert of all their notifications; answers the rows written."""
    wanted = [(a, w) for a in activities if (w := _readable(a, _wants)) is not None]
    if not wanted:
        return []
    org_id, needs = wanted[0][0].org_id, [w for _, w in wanted]
    context = await q.read_batch_context(
        conn, org_id, topic_ids=sorted({w.topic_id for w in needs if w.topic_id}),
        targets=sorted({w.target for w in needs if w.target}), people=sorted({p for w in needs for p in w.people}),
        everyone=any(w.everyone for w in needs))
    new = [n for a, _ in wanted for n in _readable(a, partial(_notifications, viewing, context=context)) or []]
    return await q.insert_notification_rows(conn, org_id, new)


@dataclass(frozen=True)
class _Wants:
    """What an event's notifications depend on, read from its payload."""

    topic_id: UUID | None
    target: tuple[str, UUID] | None  # watched
    people: list[UUID]  # named: mentioned, replied to, participants
    everyone: bool  # an announcement: every active member


def _wants(activity: Activity) -> _Wants:
    payload = activity.payload
    if activity.type is EventType.MESSAGE_CREATED:
        return _Wants(None, None, _uuids(payload.get("participant_ids")), everyone=False)
    _, topic_id, _ = referenced(activity)
    named = [*_uuids(payload.get("mentions")), *_uuids([payload.get("reply_to_user_id")])]
    if activity.type is EventType.ANNOUNCEMENT_PUBLISHED:
        return _Wants(topic_id, None, named, everyone=True)
    _, _, _, _, data = _subject(activity)
    target = ("topic", data.get("topic_id")) if activity.type is EventType.POST_CREATED else \
        ("forum", payload.get("forum_id"))
    target_id = _maybe_uuid(target[1])
    return _Wants(topic_id, (target[0], target_id) if target_id else None, named, everyone=False)


def _notifications(viewing: Viewing, activity: Activity, *, context: q.BatchContext) -> list[q.NewNotification]:
    if activity.type is EventType.MESSAGE_CREATED:
        return message_notifications(viewing, activity, set(context.members))
    subject_type, subject_id, title, excerpt, data = _subject(activity)
    wants = _wants(activity)
    members = {user: role for user, (role, _) in context.members.items()}
    watchers = context.watching(*wants.target, since=activity.created_at) if wants.target else []
    judged = _judged(activity, context)
    new: list[q.NewNotification] = []
    for kind, everyone in recipients(activity, watchers, members).items():
        # Watches and replies outlive visibility: only who may read it now is told (and its title).
        new += [q.NewNotification(user_id=p, kind=kind, activity_seq=activity.seq, actor_id=activity.actor_id,
                                  subject_type=subject_type, subject_id=subject_id, title=title, excerpt=excerpt,
                                  data=data) for p in everyone if judged is not None and _admits(judged, context, p)]
    return new


def _judged(activity: Activity, context: q.BatchContext) -> Judged | None:
    """Who may see the event now: the rule realtime delivery follows."""
    _, topic_id, _ = referenced(activity)
    return judge(activity, Current(forum_ranks=context.forum_ranks,
                                   topic_forums=context.topic_forums if topic_id else None))


def _admits(judged: Judged, context: q.BatchContext, user: UUID) -> bool:
    role, perms = context.members[user]  # an active member (recipients answers only those)
    return judged.audience.admits(Viewer.of(user, Role(role), perms))


def _readable(activity: Activity, read: Callable[[Activity], _T]) -> _T | None:
    try:
        return read(activity)
    except (KeyError, TypeError, ValueError) as exc:
        # A payload this code cannot read would fail on every retry and take the tree down with it:
        # skip that one event, loudly. Database errors propagate (retried after restart).
        log.error("notification_writer.unreadable_event", org_id=str(activity.org_id), seq=activity.seq,
                  type=str(activity.type), reason=repr(exc))
        return None


async def _available(db: Database, user_id: UUID, rows: list[dict[str, Any]]) -> set[UUID]:
    """Notifications whose subject this person may still read now (the others lose title and excerpt)."""
    available: set[UUID] = set()
    for org_id in {r["org_id"] for r in rows}:
        group = [r for r in rows if r["org_id"] == org_id]
        data = [r["data"] or {} for r in group]
        async with db.transaction(org_id=org_id, user_id=user_id) as conn:
            found = await now.membership(conn, org_id, user_id)
            topics = await now.topic_forums(conn, org_id, _ids(d.get("topic_id") for d in data))
            ranks = await now.forum_ranks(conn, org_id)
            deleted, hidden = await now.blank_posts(conn, org_id, _ids(d.get("post_id") for d in data))
            chats = await now.participating(conn, org_id, user_id, _ids(d.get("conversation_id") for d in data))
        rank = forum_rank(Role(found[0]), found[1]) if found else -1
        for row, d in zip(group, data, strict=True):
            topic, post, chat = (_maybe_uuid(d.get(k)) for k in ("topic_id", "post_id", "conversation_id"))
            if found is None or (chat is not None and chat not in chats) or (post in deleted | hidden):
                continue
            forum = topics.get(topic) if topic is not None else None
            if topic is not None and (forum is None or ranks.get(forum, OWNER_RANK + 1) > rank):
                continue
            available.add(row["id"])
    return available


def _ids(values: Iterable[object]) -> list[UUID]:
    return sorted({u for u in (_maybe_uuid(v) for v in values) if u is not None})


async def list_notifications(db: Database, principal: Principal, *, unread: bool, cursor: str | None,
                             limit: int) -> dict[str, Any]:
    after = time_cursor(cursor)
    async with db.transaction(user_id=principal.user_id) as conn:
        found = await q.list_notifications(conn, principal.user_id, unread=unread,
                                           after=after,
                                           limit=limit + 1)
        unread_count = await q.count_unread(conn, principal.user_id)
    page = found[:limit]
    key = (page[-1]["created_at"], page[-1]["id"]) if page else None
    available = await _available(db, principal.user_id, page)
    return {"notifications": [notification_view(n, available=n["id"] in available) for n in page],
            "unread_count": unread_count,
            "next_cursor": next_cursor(found, limit, key)}


async def do_mark_read(db: Database, principal: Principal, *, ids: list[UUID] | None,
                       all_: bool) -> dict[str, Any]:
    if ids is None and not all_:
        raise ValidationFailedError("give ids or all", [{"loc": ["body"], "msg": "give `ids` or `all: true`"}])
    async with db.transaction(user_id=principal.user_id) as conn:
        marked = await q.mark_read(conn, principal.user_id, None if all_ else ids)
        unread_count = await q.count_unread(conn, principal.user_id)
    return {"marked": marked, "unread_count": unread_count}


async def unread_count(db: Database, principal: Principal) -> int:
    async with db.transaction(user_id=principal.user_id) as conn:
        return await q.count_unread(conn, principal.user_id)


async def do_watch(db: Database, member: OrgMember, target_type: str, target_id: UUID, *, on: bool) -> None:
    """Watch (or stop watching) a forum or topic the member can see."""
    if member.user_id is None or not member.is_member:
        raise NotFoundError("Not found.")
    try:
        await check_subscribe(db, member, Channel(ChannelKind(target_type), target_id))
    except ForbiddenError:
        raise NotFoundError(f"No such {target_type}.") from None
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        if on:
            await q.watch(conn, member.org_id, member.user_id, target_type, target_id)
        else:
            await q.unwatch(conn, member.org_id, member.user_id, target_type, target_id)
