"""Conversations, their participants and messages, read state, and blocks between members."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field
from quart import Blueprint, g
from quart_schema import validate_querystring, validate_request

from community.http.auth import org_member, read_page, token_caller
from community.http.context import current_handles
from community.http.models import Answer, Body, Cursor, FileAttachment, PageQuery, PersonRef, UserRef
from community.http.openapi import answers, problems
from community.services import conversations, messages

blueprint = Blueprint("conversations", __name__)
_CONV = "/api/orgs/<org>/conversations/<uuid:conversation_id>"
_MESSAGE = _CONV + "/messages/<uuid:message_id>"


class StartBody(Body):
    participant_ids: list[UUID] = Field(min_length=1, max_length=100)
    title: str | None = Field(default=None, min_length=1, max_length=200)


class RenameBody(Body):
    title: str = Field(min_length=1, max_length=200)


class AddParticipantsBody(Body):
    user_ids: list[UUID] = Field(min_length=1, max_length=99)


class MessageBody(Body):
    content: str = Field(min_length=1)
    client_id: str | None = Field(default=None, min_length=1, max_length=100)
    attachments: list[UUID] = Field(default_factory=list, max_length=10)  # uploads with purpose "attachment"


class EditMessageBody(Body):
    content: str = Field(min_length=1)


class ReadBody(Body):
    up_to: UUID


class MessagesQuery(PageQuery):
    before: UUID | None = None
    after: UUID | None = None


class Participant(Answer):
    user: UserRef
    joined_at: datetime
    last_read_message_id: UUID | None


class LastMessage(Answer):
    id: UUID
    is_deleted: bool
    created_at: datetime
    sender: PersonRef | None
    excerpt: str


class Conversation(Answer):
    id: UUID
    kind: Literal["direct", "group"]
    title: str | None
    owner_id: UUID | None
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime
    participants: list[Participant]
    last_message: LastMessage | None
    unread_count: int
    last_read_message_id: UUID | None


class ConversationAnswer(Answer):
    conversation: Conversation


class ConversationPage(Answer):
    conversations: list[Conversation]
    next_cursor: Cursor


class Message(Answer):
    """A message; a deleted one keeps its place with no content."""

    id: UUID
    conversation_id: UUID
    sender: UserRef | None
    client_id: str | None
    content: str
    html: str
    reactions: dict[str, int]
    my_reactions: list[str]
    edit_count: int
    is_edited: bool
    edited_at: datetime | None
    is_deleted: bool
    deleted_at: datetime | None
    created_at: datetime
    attachments: list[FileAttachment]


class MessageAnswer(Answer):
    message: Message


class MessagePage(Answer):
    messages: list[Message]
    next_cursor: Cursor


class ReadState(Answer):
    conversation_id: UUID
    last_read_message_id: UUID | None
    unread_count: int


class ReadAnswer(Answer):
    read: ReadState


class Block(Answer):
    user: UserRef
    created_at: datetime


class BlockList(Answer):
    blocks: list[Block]
    next_cursor: Cursor


@blueprint.get("/api/orgs/<org>/conversations")
@answers(ConversationPage)
@validate_querystring(PageQuery)
async def list_conversations(org: str, query_args: PageQuery) -> dict[str, Any]:
    return await read_page(org, lambda db, member: conversations.list_conversations(
        db, member, cursor=query_args.cursor, limit=query_args.limit))


@blueprint.post("/api/orgs/<org>/conversations")
@answers(ConversationAnswer, 201)
@answers(ConversationAnswer)
@problems(409, 429)
@validate_request(StartBody)
async def start_conversation(org: str, data: StartBody) -> tuple[dict[str, Any], int]:
    """201 for a new conversation; 200 with the existing one when the pair already has theirs."""
    h = current_handles()
    member = await org_member(org)
    view, created = await conversations.check_start_conversation(h.db, h.publisher, member, data.participant_ids,
                                                              data.title)
    return {"conversation": view}, 201 if created else 200


@blueprint.get(_CONV)
@answers(ConversationAnswer)
async def read_conversation(org: str, conversation_id: UUID) -> dict[str, Any]:
    view = await read_page(org, lambda db, member: conversations.read_conversation(db, member, conversation_id))
    return {"conversation": view}


@blueprint.patch(_CONV)
@answers(ConversationAnswer)
@validate_request(RenameBody)
async def rename_conversation(org: str, conversation_id: UUID, data: RenameBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    view = await conversations.check_update_conversation(h.db, h.publisher, member, conversation_id, data.title)
    return {"conversation": view}


@blueprint.post(_CONV + "/participants")
@answers(ConversationAnswer)
@problems(409)
@validate_request(AddParticipantsBody)
async def add_participants(org: str, conversation_id: UUID, data: AddParticipantsBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    view = await conversations.check_add_participants(h.db, h.publisher, member, conversation_id, data.user_ids)
    return {"conversation": view}


@blueprint.delete(_CONV + "/participants/<uuid:user_id>")
@answers(None, 204)
async def remove_participant(org: str, conversation_id: UUID, user_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await conversations.check_remove_participant(h.db, h.publisher, h.realtime, member, conversation_id, user_id)
    return "", 204


@blueprint.get(_CONV + "/messages")
@answers(MessagePage)
@validate_querystring(MessagesQuery)
async def list_messages(org: str, conversation_id: UUID, query_args: MessagesQuery) -> dict[str, Any]:
    return await read_page(org, lambda db, member: messages.list_messages(
        db, member, conversation_id, before=query_args.before, after=query_args.after, cursor=query_args.cursor,
        limit=query_args.limit))


@blueprint.post(_CONV + "/messages")
@answers(MessageAnswer, 201)
@answers(MessageAnswer)
@problems(429)
@validate_request(MessageBody)
async def send_message(org: str, conversation_id: UUID, data: MessageBody) -> tuple[dict[str, Any], int]:
    """201 for a new message; 200 with the first one for a retried `client_id`."""
    h = current_handles()
    caller = await token_caller() if not data.attachments else None
    if caller is not None:  # who is asking is read with the checks: one round trip fewer
        answered = await messages.check_send_message_as(h.db, h.publisher, h.limiter, caller, org, conversation_id,
                                                  content=data.content, client_id=data.client_id)
        if answered is not None:
            g.principal, view, created = answered
            return {"message": view}, 201 if created else 200
    member = await org_member(org)
    view, created = await messages.check_send_message(h.db, h.publisher, h.limiter, member, conversation_id,
                                                   content=data.content, client_id=data.client_id,
                                                   attachments=data.attachments, store=h.files)
    return {"message": view}, 201 if created else 200


@blueprint.patch(_MESSAGE)
@answers(MessageAnswer)
@validate_request(EditMessageBody)
async def edit_message(org: str, conversation_id: UUID, message_id: UUID, data: EditMessageBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    view = await messages.check_edit_message(h.db, h.publisher, member, conversation_id, message_id, data.content)
    return {"message": view}


@blueprint.delete(_MESSAGE)
@answers(None, 204)
async def delete_message(org: str, conversation_id: UUID, message_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await messages.check_delete_message(h.db, h.publisher, member, conversation_id, message_id)
    return "", 204


@blueprint.put(_MESSAGE + "/reactions/<emoji>")
@answers(MessageAnswer)
async def add_reaction(org: str, conversation_id: UUID, message_id: UUID, emoji: str) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    view = await messages.check_react(h.db, h.publisher, member, conversation_id, message_id, emoji, add=True)
    return {"message": view}


@blueprint.delete(_MESSAGE + "/reactions/<emoji>")
@answers(MessageAnswer)
async def remove_reaction(org: str, conversation_id: UUID, message_id: UUID, emoji: str) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    view = await messages.check_react(h.db, h.publisher, member, conversation_id, message_id, emoji, add=False)
    return {"message": view}


@blueprint.post(_CONV + "/read")
@answers(ReadAnswer)
@validate_request(ReadBody)
async def mark_read(org: str, conversation_id: UUID, data: ReadBody) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return {"read": await messages.check_mark_read(h.db, h.publisher, member, conversation_id, data.up_to)}


@blueprint.get("/api/orgs/<org>/blocks")
@answers(BlockList)
async def list_blocks(org: str) -> dict[str, Any]:
    h = current_handles()
    member = await org_member(org)
    return await conversations.list_blocks(h.db, member)


@blueprint.put("/api/orgs/<org>/blocks/<uuid:user_id>")
@answers(None, 204)
async def block(org: str, user_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await conversations.check_block(h.db, member, user_id, on=True)
    return "", 204


@blueprint.delete("/api/orgs/<org>/blocks/<uuid:user_id>")
@answers(None, 204)
async def unblock(org: str, user_id: UUID) -> tuple[str, int]:
    h = current_handles()
    member = await org_member(org)
    await conversations.check_block(h.db, member, user_id, on=False)
    return "", 204
