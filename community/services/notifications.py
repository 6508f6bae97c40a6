"""Notifications: written by the notifier for the people an event concerns; read and marked by them.

Who is notified: `@mentions` and the author replied to (post events carry `mentions` and
`reply_to_user_id`), watchers of a forum on a new topic and of a topic on a new post, and every
active member on an announcement. Never the actor; only active members. Writing is idempotent
(one row per person per event), so a retry or a second node never doubles a notification.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from community.db.queries import notifications as q
from community.domain.cursors import decode_cursor, next_cursor
from community.domain.errors import ForbiddenError, NotFoundError, ValidationFailedError
from community.domain.events import Activity, dumps, user_channel
from community.domain.permissions import RANK, Role
from community.domain.principal import OrgMember, Principal
from community.runtime import Runtime
from community.services.messages import write_message_notifications
from community.services.realtime import check_subscribe, publish_frame

FOLLOW_UP_TYPES = frozenset({"post_created", "topic_created", "announcement_published", "message_created"})
_EXCERPT = 200


def _uuids(values: object) -> list[UUID]:
    if not isinstance(values, list):
        return []
    return [UUID(str(v)) for v in values if v]


def recipients(activity: Activity, watchers: list[UUID], members: dict[UUID, str]) -> dict[str, list[UUID]]:
    """Kind -> people, each person once, at their most specific kind; never the actor."""
    payload = activity.payload
    by_kind: dict[str, list[UUID]] = {"mention": _uuids(payload.get("mentions"))}
    if activity.type == "post_created":
        by_kind["reply"] = _uuids([payload.get("reply_to_user_id")])
        by_kind["watched_topic"] = watchers
    elif activity.type == "topic_created":
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
    if activity.type == "post_created":
        post = activity.payload.get("post") or {}
        topic_id = post.get("topic_id")
        title = str(activity.payload.get("topic_title") or "New reply")
        return ("post", _maybe_uuid(post.get("id")), title[:300], str(post.get("content") or "")[:_EXCERPT],
                {"topic_id": topic_id, "post_id": post.get("id")})
    topic = activity.payload.get("topic") or {}
    return ("topic", _maybe_uuid(topic.get("id")), str(topic.get("title") or "New topic")[:300],
            str(topic.get("content") or "")[:_EXCERPT],
            {"topic_id": topic.get("id"), "forum_id": topic.get("forum_id")})


def _maybe_uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


async def write_for_activity(runtime: Runtime, activity: Activity) -> None:
    if activity.type == "message_created":
        await write_message_notifications(runtime, activity)
        return
    subject_type, subject_id, title, excerpt, data = _subject(activity)
    target_type, target = ("topic", data.get("topic_id")) if activity.type == "post_created" else \
        ("forum", activity.payload.get("forum_id"))
    async with runtime.db.transaction(org_id=activity.org_id) as conn:
        members = await q.list_active_members(conn, activity.org_id)
        target_id = _maybe_uuid(target)
        watchers = await q.list_watchers(conn, activity.org_id, target_type, target_id) \
            if target_id and activity.type != "announcement_published" else []
        written: list[dict[str, Any]] = []
        for kind, people in recipients(activity, watchers, members).items():
            written += await q.insert_notifications(
                conn, org_id=activity.org_id, user_ids=people, kind=kind, activity_seq=activity.seq,
                actor_id=activity.actor_id, subject_type=subject_type, subject_id=subject_id, title=title,
                excerpt=excerpt, data=data)
    for row in written:
        channel = user_channel(row["user_id"])
        publish_frame(runtime, channel, dumps({"type": "notification", "channel": channel,
                                               "notification": notification_view(row)}))


def notification_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "org_id": row["org_id"], "kind": row["kind"], "event_id": row["activity_seq"],
            "actor_id": row["actor_id"], "subject": {"type": row["subject_type"], "id": row["subject_id"]},
            "title": row["title"], "excerpt": row["excerpt"], "data": row["data"], "created_at": row["created_at"],
            "read_at": row["read_at"], "is_read": row["read_at"] is not None}


async def list_notifications(runtime: Runtime, principal: Principal, *, unread: bool, cursor: str | None,
                             limit: int) -> dict[str, Any]:
    after = decode_cursor(cursor, [datetime, UUID]) if cursor else None
    async with runtime.db.transaction(user_id=principal.user_id) as conn:
        found = await q.list_notifications(conn, principal.user_id, unread=unread,
                                           after=(after[0], after[1]) if after else None,  # type: ignore[arg-type]
                                           limit=limit + 1)
        unread_count = await q.count_unread(conn, principal.user_id)
    page = found[:limit]
    key = (page[-1]["created_at"], page[-1]["id"]) if page else None
    return {"notifications": [notification_view(n) for n in page], "unread_count": unread_count,
            "next_cursor": next_cursor(found, limit, key)}


async def do_mark_read(runtime: Runtime, principal: Principal, *, ids: list[UUID] | None,
                       all_: bool) -> dict[str, Any]:
    if ids is None and not all_:
        raise ValidationFailedError("give ids or all", [{"loc": ["body"], "msg": "give `ids` or `all: true`"}])
    async with runtime.db.transaction(user_id=principal.user_id) as conn:
        marked = await q.mark_read(conn, principal.user_id, None if all_ else ids)
        unread_count = await q.count_unread(conn, principal.user_id)
    return {"marked": marked, "unread_count": unread_count}


async def unread_count(runtime: Runtime, principal: Principal) -> int:
    async with runtime.db.transaction(user_id=principal.user_id) as conn:
        return await q.count_unread(conn, principal.user_id)


async def do_watch(runtime: Runtime, member: OrgMember, target_type: str, target_id: UUID, *, on: bool) -> None:
    """Watch (or stop watching) a forum or topic the member can see."""
    if member.user_id is None or not member.is_member:
        raise NotFoundError("Not found.")
    try:
        await check_subscribe(runtime, member, f"{target_type}:{target_id}")
    except ForbiddenError:
        raise NotFoundError(f"No such {target_type}.") from None
    async with runtime.db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        if on:
            await q.watch(conn, member.org_id, member.user_id, target_type, target_id)
        else:
            await q.unwatch(conn, member.org_id, member.user_id, target_type, target_id)
