"""Activity events: what happened in an org, as the API contract names it, and where it goes.

`EventType` is every event the activity log holds; `Channel` is where an event (or an
ephemeral frame) is delivered. Both are values, built and compared as such: no string
formatting or prefix matching at call sites.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeAlias
from uuid import UUID

import orjson


class EventType(StrEnum):
    ORGANIZATION_UPDATED = "organization_updated"
    MEMBER_JOINED = "member_joined"
    MEMBER_LEFT = "member_left"
    MEMBER_ROLE_CHANGED = "member_role_changed"
    MEMBER_STATUS_CHANGED = "member_status_changed"
    FORUM_CREATED = "forum_created"
    FORUM_UPDATED = "forum_updated"
    FORUM_DELETED = "forum_deleted"
    TOPIC_CREATED = "topic_created"
    TOPIC_UPDATED = "topic_updated"
    TOPIC_MOVED = "topic_moved"
    TOPIC_DELETED = "topic_deleted"
    ANNOUNCEMENT_PUBLISHED = "announcement_published"
    POST_CREATED = "post_created"
    POST_UPDATED = "post_updated"
    POST_DELETED = "post_deleted"
    POST_SOLUTION_MARKED = "post_solution_marked"
    REACTION_ADDED = "reaction_added"
    REACTION_REMOVED = "reaction_removed"
    CONVERSATION_CREATED = "conversation_created"
    CONVERSATION_ADDED = "conversation_added"
    CONVERSATION_UPDATED = "conversation_updated"
    CONVERSATION_REMOVED = "conversation_removed"
    PARTICIPANT_REMOVED = "participant_removed"
    MESSAGE_CREATED = "message_created"
    MESSAGE_UPDATED = "message_updated"
    MESSAGE_DELETED = "message_deleted"
    READ = "read"
    BILLING_PAST_DUE = "billing_past_due"
    EVENT_CREATED = "event_created"
    EVENT_UPDATED = "event_updated"
    EVENT_CANCELLED = "event_cancelled"
    EVENT_DELETED = "event_deleted"
    EVENT_REMINDER = "event_reminder"
    REGISTRATION_PROMOTED = "registration_promoted"
    INTEGRATION_DISABLED = "integration_disabled"
    DOMAIN_UNVERIFIED = "domain_unverified"
    RESOURCE_CREATED = "resource_created"


class ChannelKind(StrEnum):
    ORG = "org"
    USER = "user"
    FORUM = "forum"
    TOPIC = "topic"
    CONVERSATION = "conversation"
    EVENT = "event"  # internal to the log (reminders): nobody subscribes to it
    RESOURCE = "resource"  # where resource_created is logged; clients never subscribe to it
    PRESENCE = "presence"  # presence:<org id>: who is online in the org (for those who may list members)


@dataclass(frozen=True, slots=True)
class Channel:
    """`forum:<uuid>` and the like: a kind and the id of the thing it follows."""

    kind: ChannelKind
    id: UUID

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def parse(cls, text: object) -> Channel:
        """The channel named by `text`; ValueError when it names none.

        Its messages never quote `text`: it is client input, and may be a lone surrogate.
        """
        if not isinstance(text, str) or len(text) > 100:
            raise ValueError("channel must be a string `kind:<uuid>`")
        kind, _, raw = text.partition(":")
        try:
            known = ChannelKind(kind)
        except ValueError:
            raise ValueError("unknown channel kind") from None
        try:
            return cls(known, UUID(raw))
        except ValueError:
            raise ValueError("channel id must be a UUID") from None

    @classmethod
    def org(cls, org_id: UUID) -> Channel:
        return cls(ChannelKind.ORG, org_id)

    @classmethod
    def user(cls, user_id: UUID) -> Channel:
        return cls(ChannelKind.USER, user_id)

    @classmethod
    def forum(cls, forum_id: UUID) -> Channel:
        return cls(ChannelKind.FORUM, forum_id)

    @classmethod
    def topic(cls, topic_id: UUID) -> Channel:
        return cls(ChannelKind.TOPIC, topic_id)

    @classmethod
    def conversation(cls, conversation_id: UUID) -> Channel:
        return cls(ChannelKind.CONVERSATION, conversation_id)

    @classmethod
    def presence(cls, org_id: UUID) -> Channel:
        return cls(ChannelKind.PRESENCE, org_id)

    @classmethod
    def event(cls, event_id: UUID) -> Channel:
        return cls(ChannelKind.EVENT, event_id)


# Who of this node's sockets (their users) follows each channel: a snapshot, safe to read anywhere.
Viewing: TypeAlias = Mapping[Channel, frozenset[UUID]]


# Channels a member's role decides (a role change re-checks them).
CONTENT_KINDS = frozenset({ChannelKind.FORUM, ChannelKind.TOPIC})


def _default(value: object) -> object:
    if isinstance(value, UUID | Channel):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# Datetimes and dataclasses (a Channel) go to `_default`, so the text is the stdlib's, byte for byte.
_ORJSON = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: object) -> str:
    """Compact JSON (every event payload, twice per write: the jsonb parameter and the frame).

    orjson, several times faster; what it refuses (a lone surrogate, an integer past 64 bits)
    the stdlib writes as before.
    """
    try:
        return orjson.dumps(value, default=_default, option=_ORJSON).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Activity:
    """One committed row of the activity log."""

    org_id: UUID
    seq: int
    channel: Channel
    type: EventType
    payload: dict[str, Any]
    actor_id: UUID | None
    created_at: datetime

    def frame(self) -> bytes:
        """The websocket frame, encoded once for every subscriber."""
        return dumps({"type": self.type, "id": self.seq, "channel": self.channel, **self.payload}).encode()
