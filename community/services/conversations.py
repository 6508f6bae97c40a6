"""Conversations: direct (one per pair) and group (3-100 people, an owner), and blocks.

Rules, each pinned by a test:

* Only participants see a conversation: anyone else in the org gets the same 404 as for a
  missing one. A participant row older than the caller's current membership gives nothing
  (removed from the org and invited back later means starting again).
* Guests and suspended members cannot start conversations (403; suspended is refused by the
  org access layer already). Participants must be active members.
* Direct messages follow the org's `settings.messaging.dm_policy`: `everyone` (default),
  `moderators` (only moderators and above start one; a member may answer a moderator) or
  `off`. A block by either person stops direct messages between them; groups are not affected.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from community.db.pool import CONTEXT_ORG, CONTEXT_USER, Conn, Database, Query
from community.db.queries import conversations as q
from community.db.queries.conversations import ConversationRow
from community.domain.cursors import next_cursor, time_cursor
from community.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationFailedError
from community.domain.events import Channel, EventType
from community.domain.permissions import Perm, Role, at_least
from community.domain.principal import OrgMember
from community.handles import Publisher, Realtime
from community.services.unit import Unit, unit_of_work
from community.services.views import block_view, conversation_view

MAX_GROUP = 100
_NOT_FOUND = "No such conversation."


def me(member: OrgMember) -> UUID:
    """The caller as a member; non-members of a public org have no conversations."""
    if member.user_id is None or not member.is_member:
        raise ForbiddenError("Join the organization to use messages.")
    return member.user_id


async def access_conversation(conn: Conn, member: OrgMember, conversation_id: UUID) -> dict[str, Any]:
    """The only loader of a conversation: missing and not a participant are the same 404."""
    if member.user_id is None or not member.is_member:
        raise NotFoundError(_NOT_FOUND)
    return access_conversation_row(member, await q.get_conversation(conn, member.org_id, member.user_id,
                                                                    conversation_id))


def conversation_in_context(conversation_id: UUID) -> Query:
    """What `access_conversation` loads, as a part of a one-statement read (`Database.read_in_context`)."""
    return q.get_conversation_query(CONTEXT_ORG, CONTEXT_USER, conversation_id)


def access_conversation_row(member: OrgMember, found: dict[str, Any] | None) -> dict[str, Any]:
    """`access_conversation`'s rule on the row read for the caller (by `conversation_in_context`, or it)."""
    if found is None or member.user_id is None or not member.is_member:
        raise NotFoundError(_NOT_FOUND)
    return found


async def full_view(conn: Conn, member: OrgMember, conversation_id: UUID, *, viewer: bool = True) -> dict[str, Any]:
    conv = await access_conversation(conn, member, conversation_id)
    return conversation_view(conv, await q.list_participants(conn, member.org_id, [conversation_id]), viewer=viewer)


async def read_conversation(db: Database, member: OrgMember, conversation_id: UUID) -> dict[str, Any]:
    """The conversation with its participants, for a participant (also the realtime channel's check)."""
    async with db.transaction(org_id=member.org_id, user_id=member.user_id) as conn:
        return await full_view(conn, member, conversation_id)


async def list_conversations(db: Database, member: OrgMember, *, cursor: str | None,
                             limit: int) -> dict[str, Any]:
    user_id = me(member)
    before = time_cursor(cursor)
    async with db.transaction(org_id=member.org_id, user_id=user_id) as conn:
        found = await q.list_conversations(conn, member.org_id, user_id, limit=limit + 1,
                                           before=before)
        page = found[:limit]
        people = await q.list_participants(conn, member.org_id, [c["id"] for c in page])
    by_conv: dict[UUID, list[dict[str, Any]]] = {}
    for person in people:
        by_conv.setdefault(person["conversation_id"], []).append(person)
    key = (page[-1]["last_activity_at"], page[-1]["id"]) if page else None
    return {"conversations": [conversation_view(c, by_conv.get(c["id"], [])) for c in page],
            "next_cursor": next_cursor(found, limit, key)}


def dm_policy(member: OrgMember) -> str:
    return member.settings.messaging.dm_policy


async def check_direct(conn: Conn, member: OrgMember, other: UUID, other_role: str | None, *, starting: bool) -> None:
    """Policy and blocks for a direct conversation between the caller and `other`."""
    assert member.user_id is not None
    check_direct_policy(member, other_role, starting=starting)
    check_not_blocked(await q.is_blocked(conn, member.org_id, member.user_id, other))


def check_direct_policy(member: OrgMember, other_role: str | None, *, starting: bool) -> None:
    """The org's `dm_policy` for a direct conversation with someone of `other_role`."""
    policy = dm_policy(member)
    if policy == "off":
        raise ForbiddenError("Direct messages are turned off in this organization.")
    if policy == "moderators" and not member.at_least(Role.MODERATOR):
        other_is_staff = other_role is not None and at_least(Role(other_role), Role.MODERATOR)
        if starting or not other_is_staff:
            raise ForbiddenError("Direct messages are limited to moderators in this organization.")


def check_not_blocked(blocked: bool) -> None:
    if blocked:
        raise ForbiddenError("You cannot message this person.")


async def _active(conn: Conn, member: OrgMember, user_ids: list[UUID], field: str) -> dict[UUID, str]:
    roles = await q.active_members(conn, member.org_id, user_ids)
    missing = [u for u in user_ids if u not in roles]
    if missing:
        raise ValidationFailedError(f"{field}: not active members of this organization", [
            {"loc": ["body", field], "msg": f"{u} is not an active member"} for u in missing])
    return roles


def _check_start(member: OrgMember, user_id: UUID, participant_ids: list[UUID], title: str | None) -> list[UUID]:
    """The other people, once; a direct conversation names one and no title, a group 1 to 99 and a title.

    A title with one other person starts a group of two (its owner adds people later, as a group of
    three becomes two when one leaves); without a title, one other person is the direct conversation."""
    member.require(Perm.SEND_MESSAGES)
    others = [p for p in dict.fromkeys(participant_ids) if p != user_id]
    if not others:
        raise ValidationFailedError("participant_ids: name someone else", [
            {"loc": ["body", "participant_ids"], "msg": "name at least one other member"}])
    direct = len(others) == 1 and title is None
    if not direct and len(others) > MAX_GROUP - 1:
        raise ValidationFailedError(f"participant_ids: a group has at most {MAX_GROUP} people", [
            {"loc": ["body", "participant_ids"], "msg": f"a group has at most {MAX_GROUP} people, you included"}])
    if not direct and title is None:
        raise ValidationFailedError("title: a group has a title", [{"loc": ["body", "title"], "msg": "required"}])
    return others


async def check_start_conversation(db: Database, publisher: Publisher, member: OrgMember,
                                   participant_ids: list[UUID], title: str | None) -> tuple[dict[str, Any], bool]:
    """The conversation and whether it is new (a direct one that exists is returned as it is)."""
    user_id = me(member)
    others = _check_start(member, user_id, participant_ids, title)
    direct = len(others) == 1 and title is None
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=user_id) as unit:
        roles = await _active(unit.conn, member, others, "participant_ids")
        if direct:
            await check_direct(unit.conn, member, others[0], roles[others[0]], starting=True)
        return await do_start_conversation(unit, member, others, title, direct=direct)


async def do_start_conversation(unit: Unit, member: OrgMember, others: list[UUID], title: str | None, *,
                                direct: bool) -> tuple[dict[str, Any], bool]:
    user_id = member.user_id
    assert user_id is not None
    conversation_id = uuid.uuid4()
    key = q.direct_key(user_id, others[0]) if direct else None
    created = await q.insert_conversation(unit.conn, conversation_id=conversation_id, org_id=member.org_id,
                                          kind="direct" if direct else "group", title=title,
                                          owner_id=None if direct else user_id, direct=key)
    if not created:
        assert key is not None
        existing = await q.find_direct(unit.conn, member.org_id, key)
        assert existing is not None
        return await full_view(unit.conn, member, existing), False
    await q.add_participants(unit.conn, member.org_id, conversation_id, [user_id, *others])
    view = await full_view(unit.conn, member, conversation_id)
    await _announce(unit, view, [user_id, *others], EventType.CONVERSATION_CREATED)
    return view, True


async def _announce(unit: Unit, view: dict[str, Any], people: list[UUID], event: EventType) -> None:
    """Tell each person on their own channel: they are not subscribed to the conversation yet."""
    shared = {k: v for k, v in view.items() if k not in ("unread_count", "last_read_message_id")}
    for person in people:
        await unit.record(Channel.user(person), event, {"conversation": shared})


async def check_update_conversation(db: Database, publisher: Publisher, member: OrgMember, conversation_id: UUID,
                                    title: str) -> dict[str, Any]:
    """A group's owner renames it."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        conv = await _owned_group(unit.conn, member, conversation_id)
        return await do_update_conversation(unit, member, conv, title)


async def do_update_conversation(unit: Unit, member: OrgMember, conv: ConversationRow, title: str) -> dict[str, Any]:
    await q.rename(unit.conn, member.org_id, conv.id, title)
    view = await full_view(unit.conn, member, conv.id)
    await _updated(unit, member, conv.id, change="renamed")
    return view


async def _locked(conn: Conn, member: OrgMember, conversation_id: UUID) -> ConversationRow:
    """The conversation for a participant, locked: its writes check kind and owner on this row."""
    await access_conversation(conn, member, conversation_id)
    conv = await q.lock_conversation(conn, member.org_id, conversation_id)
    if conv is None:
        raise NotFoundError(_NOT_FOUND)
    return conv


async def _owned_group(conn: Conn, member: OrgMember, conversation_id: UUID) -> ConversationRow:
    conv = await _locked(conn, member, conversation_id)
    if conv.kind != "group":
        raise ConflictError("A direct conversation has no title and always has the same two people.")
    if conv.owner_id != member.user_id:
        raise ForbiddenError("Only the conversation's owner does this.")
    return conv


async def _updated(unit: Unit, member: OrgMember, conversation_id: UUID, **extra: Any) -> None:
    view = await full_view(unit.conn, member, conversation_id, viewer=False)
    await unit.record(Channel.conversation(conversation_id), EventType.CONVERSATION_UPDATED,
                      {"conversation": view, "conversation_id": conversation_id, **extra})


async def check_add_participants(db: Database, publisher: Publisher, member: OrgMember, conversation_id: UUID,
                                 user_ids: list[UUID]) -> dict[str, Any]:
    """A group's owner adds active members, up to MAX_GROUP people."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        conv = await _owned_group(unit.conn, member, conversation_id)
        await _active(unit.conn, member, user_ids, "user_ids")
        return await do_add_participants(unit, member, conv, list(dict.fromkeys(user_ids)))


async def do_add_participants(unit: Unit, member: OrgMember, conv: ConversationRow,
                              user_ids: list[UUID]) -> dict[str, Any]:
    conversation_id = conv.id
    count = await q.count_participants(unit.conn, member.org_id, conversation_id)
    added = await q.add_participants(unit.conn, member.org_id, conversation_id, user_ids)
    if count + len(added) > MAX_GROUP:
        raise ConflictError(f"A group has at most {MAX_GROUP} people.")
    view = await full_view(unit.conn, member, conversation_id)
    if added:
        await _updated(unit, member, conversation_id, change="participants_added", user_ids=added)
        await _announce(unit, view, added, EventType.CONVERSATION_ADDED)
    return view


async def check_remove_participant(db: Database, publisher: Publisher, realtime: Realtime, member: OrgMember,
                                   conversation_id: UUID, user_id: UUID) -> None:
    """The owner removes anyone; anyone leaves. The owner leaving hands the group to the longest-standing."""
    async with unit_of_work(db, publisher, org_id=member.org_id, user_id=member.user_id) as unit:
        conv = await _locked(unit.conn, member, conversation_id)
        if conv.kind != "group":
            raise ConflictError("A direct conversation always has the same two people.")
        if user_id != member.user_id and conv.owner_id != member.user_id:
            raise ForbiddenError("Only the conversation's owner removes others.")
        await do_remove_participant(unit, member, conv, user_id)
    stop_delivery(realtime, member.org_id, conversation_id, user_id)


async def do_remove_participant(unit: Unit, member: OrgMember, conv: ConversationRow, user_id: UUID) -> None:
    conversation_id = conv.id
    if not await q.remove_participant(unit.conn, member.org_id, conversation_id, user_id):
        raise NotFoundError("No such participant.")
    remaining = await q.list_participants(unit.conn, member.org_id, [conversation_id])
    if conv.owner_id == user_id:
        await q.set_owner(unit.conn, member.org_id, conversation_id, remaining[0]["user_id"] if remaining else None)
    await unit.record(Channel.conversation(conversation_id), EventType.PARTICIPANT_REMOVED,
                      {"conversation_id": conversation_id, "user_id": user_id, "removed_by": member.user_id})
    await unit.record(Channel.user(user_id), EventType.CONVERSATION_REMOVED, {"conversation_id": conversation_id})


def stop_delivery(realtime: Realtime, org_id: UUID, conversation_id: UUID, user_id: UUID) -> None:
    """A removed participant's sockets on this node leave the channel now, before any later event."""
    realtime.registry.remove_from_channel(org_id, user_id, Channel.conversation(conversation_id), "removed")


async def check_block(db: Database, member: OrgMember, user_id: UUID, *, on: bool) -> None:
    """A member blocks (`on`) or unblocks someone else; only an active member can be blocked."""
    blocker = me(member)
    if user_id == blocker:
        raise ValidationFailedError("user_id: you cannot block yourself", [
            {"loc": ["path", "user_id"], "msg": "you cannot block yourself"}])
    async with db.transaction(org_id=member.org_id, user_id=blocker) as conn:
        if on and not await q.active_members(conn, member.org_id, [user_id]):
            raise NotFoundError("No such member.")
        # Blocks publish nothing: a unit with no publisher behind it, committed with the transaction.
        await do_block(Unit(conn=conn, org_id=member.org_id, actor_id=blocker), blocker, user_id, on=on)


async def do_block(unit: Unit, blocker: UUID, user_id: UUID, *, on: bool) -> None:
    assert unit.org_id is not None
    if on:
        await q.block(unit.conn, unit.org_id, blocker, user_id)
    else:
        await q.unblock(unit.conn, unit.org_id, blocker, user_id)


async def list_blocks(db: Database, member: OrgMember) -> dict[str, Any]:
    blocker = me(member)
    async with db.transaction(org_id=member.org_id, user_id=blocker) as conn:
        found = await q.list_blocks(conn, member.org_id, blocker)
    return {"blocks": [block_view(b) for b in found], "next_cursor": None}


async def unread_total(db: Database, user_id: UUID) -> int:
    """Unread messages over all of the user's orgs, for /api/me."""
    async with db.transaction(user_id=user_id) as conn:
        return await q.unread_total(conn)
