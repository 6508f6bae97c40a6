"""Messages: send (idempotent by `client_id`, rate-limited), page, edit, delete, react, read.

A retried send with the same `client_id` answers the first message with 200 (a new one is
201) and records no second event; its content is not compared. Sends are limited per sender
per org to `settings.messaging.per_minute` (default 60) messages a minute: 429 with Retry-After.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from community.db.pool import Conn, Database
from community.db.queries import conversations as cq
from community.db.queries import messages as q
from community.db.queries import notifications as nq
from community.domain.cursors import direction_cursor, encode_cursor
from community.domain.errors import (
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
)
from community.domain.events import Activity, Channel, EventType
from community.domain.markdown import excerpt, render_markdown
from community.domain.permissions import Perm
from community.domain.principal import OrgMember
from community.domain.reactions import check_reaction
from community.handles import FileStore, Publisher, Realtime
from community.ratelimit import RateLimiter
from community.services.conversations import check_direct, load_conversation
from community.services.files import attach, inspect_attachments
from community.services.unit import Unit, unit_of_work
from community.services.views import message_view

MAX_MESSAGE_BYTES = 8 * 1024
_NOT_FOUND = "No such message."


def check_message(content: str) -> str:
    if len(content.encode()) > MAX_MESSAGE_BYTES:
        raise PayloadTooLargeError(f"A message is limited to {MAX_MESSAGE_BYTES} bytes.")
    return render_markdown(content)


async def check_sending_rate(conn: Conn, limiter: RateLimiter, member: OrgMember) -> None:
    limit = member.settings.messaging.per_minute
    if (retry := await limiter.hit(f"messages:{member.org_id}:{member.user_id}", limit, 60.0,
                                   conn=conn)) is not None:
        raise RateLimitedError("You are sending messages too fast; try again shortly.", retry_after=retry)


async def list_messages(db: Database, member: OrgMember, conversation_id: UUID, *, before: UUID | None,
                        after: UUID | None, cursor: str | None, limit: int) -> dict[str, Any]:
    """Newest first (`before` a message or the cursor); with `after`, oldest first from there."""
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        await load_conversation(conn, member, conversation_id)
        assert member.user_id is not None
        direction, seq = await _position(conn, member, conversation_id, before, after, cursor)
        if direction == "a":
            found = await q.list_after(conn, member.org_id, member.user_id, conversation_id, after=seq or 0,
                                       limit=limit + 1)
        else:
            found = await q.list_before(conn, member.org_id, member.user_id, conversation_id, before=seq,
                                        limit=limit + 1)
    page = found[:limit]
    more = len(found) > limit and page
    return {"messages": [message_view(m) for m in page],
            "next_cursor": encode_cursor([direction, page[-1]["seq"]]) if more else None}


async def _position(conn: Conn, member: OrgMember, conversation_id: UUID, before: UUID | None, after: UUID | None,
                    cursor: str | None) -> tuple[str, int | None]:
    if cursor:
        return direction_cursor(cursor)
    anchor = after or before
    if anchor is None:
        return "b", None
    seq = await q.message_seq(conn, member.org_id, conversation_id, anchor)
    if seq is None:
        raise NotFoundError(_NOT_FOUND)
    return ("a" if after else "b"), seq


async def do_send_message(db: Database, publisher: Publisher, limiter: RateLimiter, member: OrgMember,
                          conversation_id: UUID, *, content: str, client_id: str | None,
                          attachments: Sequence[UUID] = (),
                          store: FileStore | None = None) -> tuple[dict[str, Any], bool]:
    """The message and whether it is new (False: a retry of `client_id`)."""
    html = check_message(content)
    message_id = uuid.uuid4()
    uploads = await inspect_attachments(db, store, member, attachments)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        conv = await load_conversation(unit.conn, member, conversation_id)
        assert member.user_id is not None
        if client_id and (sent := await q.get_by_client_id(unit.conn, member.org_id, member.user_id,
                                                           conversation_id, client_id)):
            return message_view(sent), False
        member.require(Perm.SEND_MESSAGES)
        people = await cq.participant_ids(unit.conn, member.org_id, conversation_id)
        if conv["kind"] == "direct":
            await _check_direct_send(unit.conn, member, people)
        await check_sending_rate(unit.conn, limiter, member)
        if not await q.insert_message(unit.conn, message_id=message_id, org_id=member.org_id,
                                      conversation_id=conversation_id, sender_id=member.user_id,
                                      client_id=client_id, content=content, html=html):
            # A concurrent retry won the insert; this one answers what it wrote.
            assert client_id is not None
            sent = await q.get_by_client_id(unit.conn, member.org_id, member.user_id, conversation_id, client_id)
            assert sent is not None
            return message_view(sent), False
        await attach(unit.conn, member, uploads, message_id=message_id)
        message = await _load(unit.conn, member, conversation_id, message_id)
        await cq.touch(unit.conn, member.org_id, conversation_id, message["created_at"])
        # The sender has read their own message.
        await cq.mark_read(unit.conn, member.org_id, conversation_id, member.user_id, seq=message["seq"],
                           message_id=message_id)
        await _record(unit, EventType.MESSAGE_CREATED, message, participant_ids=people,
                      title=conv["title"], kind=conv["kind"])
    return message_view(message), True


async def _check_direct_send(conn: Conn, member: OrgMember, people: list[UUID]) -> None:
    others = [p for p in people if p != member.user_id]
    if not others:
        return
    roles = await cq.active_members(conn, member.org_id, others)
    await check_direct(conn, member, others[0], roles.get(others[0]), starting=False)


async def _load(conn: Conn, member: OrgMember, conversation_id: UUID, message_id: UUID) -> dict[str, Any]:
    assert member.user_id is not None
    found = await q.get_message(conn, member.org_id, member.user_id, conversation_id, message_id)
    if found is None:
        raise NotFoundError(_NOT_FOUND)
    return found


async def _record(unit: Unit, event: EventType, message: dict[str, Any], **extra: Any) -> None:
    view = {**message_view(message), "my_reactions": []}  # broadcasts carry no viewer state
    await unit.record(Channel.conversation(message["conversation_id"]), event,
                      {"message": view, "conversation_id": message["conversation_id"], **extra})


async def _own_message(conn: Conn, member: OrgMember, conversation_id: UUID, message_id: UUID) -> dict[str, Any]:
    await load_conversation(conn, member, conversation_id)
    message = await _load(conn, member, conversation_id, message_id)
    if message["deleted_at"] is not None:
        raise NotFoundError(_NOT_FOUND)
    if message["sender_id"] != member.user_id:
        raise ForbiddenError("Only the author changes a message.")
    return message


async def do_edit_message(db: Database, publisher: Publisher, member: OrgMember, conversation_id: UUID,
                          message_id: UUID,
                          content: str) -> dict[str, Any]:
    html = check_message(content)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await _own_message(unit.conn, member, conversation_id, message_id)
        member.require(Perm.SEND_MESSAGES)
        await q.edit_message(unit.conn, member.org_id, message_id, content=content, html=html)
        message = await _load(unit.conn, member, conversation_id, message_id)
        await _record(unit, EventType.MESSAGE_UPDATED, message)
    return message_view(message)


async def do_delete_message(db: Database, publisher: Publisher, member: OrgMember, conversation_id: UUID,
                            message_id: UUID) -> None:
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await _own_message(unit.conn, member, conversation_id, message_id)
        if await q.delete_message(unit.conn, member.org_id, message_id):
            await unit.record(Channel.conversation(conversation_id), EventType.MESSAGE_DELETED,
                              {"message_id": message_id, "conversation_id": conversation_id})


async def do_react(db: Database, publisher: Publisher, member: OrgMember, conversation_id: UUID, message_id: UUID,
                   emoji: str, *,
                   add: bool) -> dict[str, Any]:
    check_reaction(emoji)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await load_conversation(unit.conn, member, conversation_id)
        message = await _load(unit.conn, member, conversation_id, message_id)
        if message["deleted_at"] is not None:
            raise NotFoundError(_NOT_FOUND)
        member.require(Perm.SEND_MESSAGES)
        assert member.user_id is not None
        change = q.add_reaction if add else q.remove_reaction
        if await change(unit.conn, member.org_id, message_id, member.user_id, emoji):
            message = await _load(unit.conn, member, conversation_id, message_id)
            await _record(unit, EventType.MESSAGE_UPDATED, message, reaction={"emoji": emoji, "user_id": member.user_id,
                                                                     "added": add})
    return message_view(message)


async def do_mark_read(db: Database, publisher: Publisher, member: OrgMember, conversation_id: UUID,
                       up_to: UUID) -> dict[str, Any]:
    """Read state only moves forward; the receipt goes to the other participants."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await load_conversation(unit.conn, member, conversation_id)
        assert member.user_id is not None
        seq = await q.message_seq(unit.conn, member.org_id, conversation_id, up_to)
        if seq is None:
            raise NotFoundError(_NOT_FOUND)
        if await cq.mark_read(unit.conn, member.org_id, conversation_id, member.user_id, seq=seq, message_id=up_to):
            await unit.record(Channel.conversation(conversation_id), EventType.READ,
                              {"conversation_id": conversation_id, "user_id": member.user_id,
                               "last_read_message_id": up_to})
        conv = await load_conversation(unit.conn, member, conversation_id)
    return {"conversation_id": conversation_id, "last_read_message_id": conv["last_read_message_id"],
            "unread_count": conv["unread_count"]}


async def write_message_notifications(realtime: Realtime, conn: Conn, activity: Activity) -> list[dict[str, Any]]:
    """`message_created`'s notifications, in the writer's transaction: participants not viewing it here.

    "Viewing" is a socket on this node subscribed to the conversation's channel; idempotent
    (one row per person per event), so a retry writes nothing twice.
    """
    payload = activity.payload
    message, channel = payload.get("message") or {}, activity.channel
    viewing = {c.user_id for c in realtime.registry.subscribers(channel)}
    live = set(await nq.list_active_members(conn, activity.org_id))
    people = [UUID(str(p)) for p in payload.get("participant_ids") or []]
    chosen = [p for p in people if p != activity.actor_id and p in live and p not in viewing]
    if not chosen:
        return []
    sender = (message.get("sender") or {}).get("display_name") or "Someone"
    title = f"{sender} in {payload['title']}" if payload.get("title") else f"Message from {sender}"
    return await nq.insert_notifications(
        conn, org_id=activity.org_id, user_ids=chosen, kind="message", activity_seq=activity.seq,
        actor_id=activity.actor_id, subject_type="message", subject_id=UUID(str(message["id"])),
        title=title[:300], excerpt=excerpt(str(message.get("content") or ""), 200),
        data={"conversation_id": payload.get("conversation_id"), "message_id": message.get("id")})
