"""Messages: send (idempotent by `client_id`, rate-limited), page, edit, delete, react, read.

A retried send with the same `client_id` answers the first message with 200 (a new one is
201) and records no second event; its content is not compared. Sends are limited per sender
per org to `settings.messaging.per_minute` (default 60) messages a minute: 429 with Retry-After.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from community.db.pool import CONTEXT_ORG, CONTEXT_USER, Conn, Database
from community.db.queries import conversations as cq
from community.db.queries import messages as q
from community.db.queries import notifications as nq
from community.db.queries import users
from community.db.queries.activity import NewEvent, Written
from community.db.queries.files import UploadRow
from community.db.queries.messages import MessageRow
from community.domain.cursors import direction_cursor, encode_cursor
from community.domain.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
)
from community.domain.events import Activity, Channel, EventType, Viewing
from community.domain.markdown import excerpt, excerpt_of_html, render_markdown
from community.domain.permissions import Perm
from community.domain.principal import Caller, OrgMember, Principal
from community.domain.reactions import check_reaction
from community.handles import FileStore, Publisher
from community.ratelimit import RateLimiter, retry_seconds
from community.services.askers import Asker
from community.services.conversations import access_conversation, check_direct_policy, check_not_blocked
from community.services.files import attach, attachment_view, inspect_attachments
from community.services.unit import Unit, unit_of_work
from community.services.views import message_row_view, message_view

MAX_MESSAGE_BYTES = 8 * 1024
_NOT_FOUND = "No such message."
_NO_CONVERSATION = "No such conversation."


def check_message(content: str) -> str:
    if len(content.encode()) > MAX_MESSAGE_BYTES:
        raise PayloadTooLargeError(f"A message is limited to {MAX_MESSAGE_BYTES} bytes.")
    return render_markdown(content)


def sending_key(member: OrgMember) -> str:
    return f"messages:{member.org_id}:{member.user_id}"


async def list_messages(db: Database, member: OrgMember, conversation_id: UUID, *, before: UUID | None,
                        after: UUID | None, cursor: str | None, limit: int) -> dict[str, Any]:
    """Newest first (`before` a message or the cursor); with `after`, oldest first from there."""
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        await access_conversation(conn, member, conversation_id)
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


@dataclass(frozen=True)
class SendTarget:
    """What the checks of a send read, in one statement (`access_send_target`)."""

    author: dict[str, Any]  # display_name, avatar_url, and `now`: the database's clock
    conversation: dict[str, Any]
    sent: dict[str, Any] | None  # this sender's message with this client_id, if there is one
    roles: dict[UUID, str | None]  # every participant: their role if an active member
    blocked: bool  # the sender and another participant blocked one another


async def access_send_target(db: Database, asker: Asker, conversation_id: UUID,
                             client_id: str | None) -> tuple[Principal | None, OrgMember, SendTarget | None]:
    """Who is asking, the conversation (404 unless they take part), a retry's first message and the
    participants in ONE statement. A principal of None: the database does not know the caller."""
    context, found = await db.read_in_context(
        asker.context,
        [users.author_query(CONTEXT_USER),
         cq.get_conversation_query(CONTEXT_ORG, CONTEXT_USER, conversation_id),
         q.by_client_id_query(CONTEXT_ORG, CONTEXT_USER, conversation_id, client_id),
         q.participants_query(CONTEXT_ORG, conversation_id),
         q.blocked_query(CONTEXT_ORG, CONTEXT_USER, conversation_id)])
    if context is None:
        raise NotFoundError(_NO_CONVERSATION)
    principal, member = asker.member_of(context)
    author, conversation, sent, people, blocked = found
    if principal is None or author is None:
        return None, member, None
    if conversation is None or not member.is_member:
        raise NotFoundError(_NO_CONVERSATION)
    return principal, member, SendTarget(author=author, conversation=conversation, sent=sent,
                                         roles={p["user_id"]: p["role"] for p in people}, blocked=bool(blocked))


def check_send(member: OrgMember, target: SendTarget) -> None:
    member.require(Perm.SEND_MESSAGES)
    if target.conversation["kind"] != "direct":
        return
    others = [p for p in target.roles if p != member.user_id]
    if others:
        check_direct_policy(member, target.roles[others[0]], starting=False)
        check_not_blocked(target.blocked)


async def check_send_message(db: Database, publisher: Publisher, limiter: RateLimiter, member: OrgMember,
                             conversation_id: UUID, *, content: str, client_id: str | None,
                             attachments: Sequence[UUID] = (),
                             store: FileStore | None = None) -> tuple[dict[str, Any], bool]:
    """The message and whether it is new (False: a retry of `client_id`).

    Two round trips: the checks' read, then one write statement (SQL send_message). Should the
    caller have left the conversation in between ('stale'), or a concurrent retry of `client_id`
    have written first ('duplicate'), the checks run again on what is there now.
    """
    html = check_message(content)
    uploads = await inspect_attachments(db, store, member, attachments)
    sent = await _send(db, publisher, limiter, Asker.of_member(member), conversation_id, content=content, html=html,
                       client_id=client_id, uploads=uploads)
    if sent is None:
        raise NotFoundError(_NO_CONVERSATION)  # the member's user is gone
    return sent[1], sent[2]


async def check_send_message_as(db: Database, publisher: Publisher, limiter: RateLimiter, caller: Caller,
                                ref: str, conversation_id: UUID, *, content: str,
                                client_id: str | None) -> tuple[Principal, dict[str, Any], bool] | None:
    """`check_send_message` (without attachments) for a caller named by their verified token: who they are
    in `{org}` is read with the checks (`Asker.of_caller`), two round trips in all. None when the
    database does not know the caller (the route then takes `org_member`'s path)."""
    html = check_message(content)
    return await _send(db, publisher, limiter, Asker.of_caller(caller, ref), conversation_id, content=content,
                       html=html, client_id=client_id, uploads=[])


async def _send(db: Database, publisher: Publisher, limiter: RateLimiter, asker: Asker, conversation_id: UUID, *,
                content: str, html: str, client_id: str | None,
                uploads: list[UploadRow]) -> tuple[Principal, dict[str, Any], bool] | None:
    async def body(db: Database) -> tuple[Principal, dict[str, Any], Activity | None] | None:
        return await _try_send(db, limiter, asker, conversation_id, content=content, html=html,
                               client_id=client_id, uploads=uploads)

    # Without uploads the checks' read and the write are one handoff to the database's thread.
    sent = await (body(db) if uploads else db.on_loop(body))
    if sent is None:
        return None
    principal, view, activity = sent
    if activity is not None:
        publisher.committed([activity])
    return principal, view, activity is not None


async def _try_send(db: Database, limiter: RateLimiter, asker: Asker, conversation_id: UUID, *, content: str,
                    html: str, client_id: str | None,
                    uploads: list[UploadRow]) -> tuple[Principal, dict[str, Any], Activity | None] | None:
    """The message's view and its activity (None: a retry of `client_id`, nothing written)."""
    message_id = uuid.uuid4()
    for _ in range(_ATTEMPTS):
        principal, member, target = await access_send_target(db, asker, conversation_id, client_id)
        if principal is None or target is None:
            return None
        if target.sent is not None:
            return principal, message_view(target.sent), None
        check_send(member, target)
        message = _new_message(member, target, message_id, conversation_id, client_id, content, html, uploads)
        written, event = await _write_message(db, member, limiter, target, message, uploads)
        if written.outcome == "rate_limited":
            raise RateLimitedError("You are sending messages too fast; try again shortly.",
                                   retry_after=retry_seconds(written.retry_after or 1))
        if written.outcome == "created":
            assert written.seq is not None and written.at is not None
            return principal, message_view(message), event.committed(written.seq, written.at)
    raise ConflictError("The conversation kept changing; try again.")


_ATTEMPTS = 3


def _new_message(member: OrgMember, target: SendTarget, message_id: UUID, conversation_id: UUID,
                 client_id: str | None, content: str, html: str, uploads: list[UploadRow]) -> dict[str, Any]:
    """The message's row as `messages.get_message` would read it back once written."""
    return {"id": message_id, "org_id": member.org_id, "conversation_id": conversation_id,
            "sender_id": member.user_id, "display_name": target.author["display_name"],
            "avatar_url": target.author["avatar_url"], "client_id": client_id, "content": content, "html": html,
            "reactions": {}, "my_reactions": [], "edit_count": 0, "edited_at": None, "deleted_at": None,
            "created_at": target.author["now"], "attachments": [attachment_view(u) for u in uploads] or None}


async def _write_message(db: Database, member: OrgMember, limiter: RateLimiter, target: SendTarget,
                         message: dict[str, Any], uploads: list[UploadRow]) -> tuple[Written, NewEvent]:
    assert member.user_id is not None
    conv = target.conversation
    event = NewEvent(org_id=member.org_id, channel=Channel.conversation(conv["id"]), type=EventType.MESSAGE_CREATED,
                     actor_id=member.user_id,
                     payload={"message": message_view(message), "conversation_id": conv["id"],
                              "participant_ids": list(target.roles), "title": conv["title"], "kind": conv["kind"]})
    row = q.NewMessage(message_id=message["id"], org_id=member.org_id, conversation_id=conv["id"],
                       sender_id=member.user_id, client_id=message["client_id"], content=message["content"],
                       html=message["html"], created_at=message["created_at"])
    limit = limiter.in_statement(sending_key(member), member.settings.messaging.per_minute, 60.0)
    if not uploads:
        return await q.send_message(db, row, limit, event), event
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:  # the claims commit with it
        written = await q.send_message(conn, row, limit, event)
        if written.outcome == "created":
            await attach(conn, member, uploads, message_id=message["id"])
    return written, event


async def access_message(conn: Conn, member: OrgMember, conversation_id: UUID, message_id: UUID) -> MessageRow:
    """The only loader of a message: missing, deleted and in a conversation the caller does not take
    part in are the same 404."""
    await access_conversation(conn, member, conversation_id)
    message = await _load(conn, member, conversation_id, message_id)
    if message.deleted_at is not None:
        raise NotFoundError(_NOT_FOUND)
    return message


async def _load(conn: Conn, member: OrgMember, conversation_id: UUID, message_id: UUID) -> MessageRow:
    assert member.user_id is not None
    found = await q.get_message(conn, member.org_id, member.user_id, conversation_id, message_id)
    if found is None:
        raise NotFoundError(_NOT_FOUND)
    return found


async def _record(unit: Unit, event: EventType, message: MessageRow, **extra: Any) -> None:
    view = {**message_row_view(message), "my_reactions": []}  # broadcasts carry no viewer state
    await unit.record(Channel.conversation(message.conversation_id), event,
                      {"message": view, "conversation_id": message.conversation_id, **extra})


def _check_own(member: OrgMember, message: MessageRow) -> None:
    if message.sender_id != member.user_id:
        raise ForbiddenError("Only the author changes a message.")


async def check_edit_message(db: Database, publisher: Publisher, member: OrgMember, conversation_id: UUID,
                             message_id: UUID, content: str) -> dict[str, Any]:
    """Its sender, while they may still send messages."""
    html = check_message(content)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        message = await access_message(unit.conn, member, conversation_id, message_id)
        _check_own(member, message)
        member.require(Perm.SEND_MESSAGES)
        message = await do_edit_message(unit, member, message, content, html=html)
    return message_row_view(message)


async def do_edit_message(unit: Unit, member: OrgMember, message: MessageRow, content: str, *,
                          html: str) -> MessageRow:
    await q.edit_message(unit.conn, member.org_id, message.id, content=content, html=html)
    message = await _load(unit.conn, member, message.conversation_id, message.id)
    await _record(unit, EventType.MESSAGE_UPDATED, message)
    return message


async def check_delete_message(db: Database, publisher: Publisher, member: OrgMember, conversation_id: UUID,
                               message_id: UUID) -> None:
    """Its sender."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        message = await access_message(unit.conn, member, conversation_id, message_id)
        _check_own(member, message)
        await do_delete_message(unit, member, message)


async def do_delete_message(unit: Unit, member: OrgMember, message: MessageRow) -> None:
    message_id, conversation_id = message.id, message.conversation_id
    if await q.delete_message(unit.conn, member.org_id, message_id):
        await unit.record(Channel.conversation(conversation_id), EventType.MESSAGE_DELETED,
                          {"message_id": message_id, "conversation_id": conversation_id})


async def check_react(db: Database, publisher: Publisher, member: OrgMember, conversation_id: UUID,
                      message_id: UUID, emoji: str, *, add: bool) -> dict[str, Any]:
    """Participants who may send messages, on a live message."""
    check_reaction(emoji)
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        message = await access_message(unit.conn, member, conversation_id, message_id)
        member.require(Perm.SEND_MESSAGES)
        message = await do_react(unit, member, message, emoji, add=add)
    return message_row_view(message)


async def do_react(unit: Unit, member: OrgMember, message: MessageRow, emoji: str, *,
                   add: bool) -> MessageRow:
    """The message as it is now; an event only when the reaction changed."""
    assert member.user_id is not None
    change = q.add_reaction if add else q.remove_reaction
    if not await change(unit.conn, member.org_id, message.id, member.user_id, emoji):
        return message
    message = await _load(unit.conn, member, message.conversation_id, message.id)
    await _record(unit, EventType.MESSAGE_UPDATED, message,
                  reaction={"emoji": emoji, "user_id": member.user_id, "added": add})
    return message


async def check_mark_read(db: Database, publisher: Publisher, member: OrgMember, conversation_id: UUID,
                          up_to: UUID) -> dict[str, Any]:
    """A participant, up to a message of the conversation."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        await access_conversation(unit.conn, member, conversation_id)
        seq = await q.message_seq(unit.conn, member.org_id, conversation_id, up_to)
        if seq is None:
            raise NotFoundError(_NOT_FOUND)
        return await do_mark_read(unit, member, conversation_id, up_to, seq=seq)


async def do_mark_read(unit: Unit, member: OrgMember, conversation_id: UUID, up_to: UUID, *,
                       seq: int) -> dict[str, Any]:
    """Read state only moves forward; the receipt goes to the other participants."""
    assert member.user_id is not None
    if await cq.mark_read(unit.conn, member.org_id, conversation_id, member.user_id, seq=seq, message_id=up_to):
        await unit.record(Channel.conversation(conversation_id), EventType.READ,
                          {"conversation_id": conversation_id, "user_id": member.user_id,
                           "last_read_message_id": up_to})
    conv = await access_conversation(unit.conn, member, conversation_id)
    return {"conversation_id": conversation_id, "last_read_message_id": conv["last_read_message_id"],
            "unread_count": conv["unread_count"]}


def message_notifications(viewing: Viewing, activity: Activity, live: set[UUID]) -> list[nq.NewNotification]:
    """`message_created`'s notifications (the writer's batch inserts them): participants among `live`
    (the active members) not viewing it here.

    "Viewing" is a socket on this node subscribed to the conversation's channel (`viewing`, the
    registry's snapshot taken in trio before the batch: the batch runs on the database's thread); idempotent
    (one row per person per event), so a retry writes nothing twice.
    """
    payload = activity.payload
    message, channel = payload.get("message") or {}, activity.channel
    viewers = viewing.get(channel, frozenset())
    people = [UUID(str(p)) for p in payload.get("participant_ids") or []]
    chosen = [p for p in people if p != activity.actor_id and p in live and p not in viewers]
    if not chosen:
        return []
    sender = (message.get("sender") or {}).get("display_name") or "Someone"
    title = f"{sender} in {payload['title']}" if payload.get("title") else f"Message from {sender}"
    data = {"conversation_id": payload.get("conversation_id"), "message_id": message.get("id"),
            "actor_name": (message.get("sender") or {}).get("display_name")}
    # From the html the send rendered (the payload carries it), not a second render of the content.
    text = excerpt_of_html(str(message["html"]), 200) if message.get("html") is not None else \
        excerpt(str(message.get("content") or ""), 200)
    subject_id = UUID(str(message["id"]))
    return [nq.NewNotification(user_id=p, kind="message", activity_seq=activity.seq, actor_id=activity.actor_id,
                               subject_type="message", subject_id=subject_id, title=title[:300], excerpt=text,
                               data=data) for p in chosen]
