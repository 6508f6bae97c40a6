"""The websocket protocol: client frames, server frames, close codes (channels: domain/events.py).

Client frames are parsed and validated at the edge, before any shared task sees them.

Anything a client sends can be hostile: not JSON, not an object, a lone surrogate ("\\ud800" is
valid JSON), a NUL, a number too large for a bigint. `parse_frame` answers either a typed frame
or a `FrameError` whose message names the failing fields and never repeats the input, so an
error reply can always be encoded.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from community.domain.events import Channel, dumps

MAX_FRAME_BYTES = 64 * 1024
MAX_EVENT_ID = 2**63 - 1

# Close codes (API.md): why a socket ended. 1xxx are RFC 6455's, 44xx ours.
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001  # shutdown, or a peer that stopped answering pings
CLOSE_POLICY = 1008  # a frame that is not a JSON text object up to 64 KiB
CLOSE_INTERNAL_ERROR = 1011
CLOSE_SERVICE_RESTART = 1012
CLOSE_TRY_AGAIN_LATER = 1013  # a slow consumer fell too far behind
CLOSE_TOKEN_EXPIRED = 4401
CLOSE_SIGNED_OUT = 4401  # signed out (one session or everywhere): the token no longer works, as if expired
CLOSE_MEMBERSHIP_REVOKED = 4403


class FrameError(Exception):
    """A frame this session cannot act on. `fatal`: not a JSON text object (close 1008)."""

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.message, self.fatal = message, fatal


class _Frame(BaseModel):
    # Unknown fields are ignored: a newer client may add some; nothing of them is echoed.
    model_config = ConfigDict(extra="ignore", frozen=True, arbitrary_types_allowed=True)


class PingFrame(_Frame):
    type: Literal["ping"]


class _ChannelFrame(_Frame):
    channel: Channel

    @field_validator("channel", mode="plain")
    @classmethod
    def _parse(cls, value: object) -> Channel:
        return Channel.parse(value)

    @field_serializer("channel")
    def _text(self, channel: Channel) -> str:
        return str(channel)


class SubscribeFrame(_ChannelFrame):
    type: Literal["subscribe"]


class UnsubscribeFrame(_ChannelFrame):
    type: Literal["unsubscribe"]


class TypingFrame(_Frame):
    type: Literal["typing"]
    topic_id: UUID | None = None
    conversation_id: UUID | None = None

    @model_validator(mode="after")
    def _one_target(self) -> TypingFrame:
        if (self.topic_id is None) == (self.conversation_id is None):
            raise ValueError("typing needs exactly one of topic_id, conversation_id")
        return self

    @property
    def channel(self) -> Channel:
        if self.topic_id is not None:
            return Channel.topic(self.topic_id)
        assert self.conversation_id is not None
        return Channel.conversation(self.conversation_id)


class ResumeFrame(_Frame):
    type: Literal["resume"]
    after: Annotated[int, Field(strict=True, ge=0, le=MAX_EVENT_ID)]


ClientFrame = Annotated[PingFrame | SubscribeFrame | UnsubscribeFrame | TypingFrame | ResumeFrame,
                        Field(discriminator="type")]
_ADAPTER: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)


def parse_frame(message: str | bytes) -> ClientFrame:
    """The typed frame, or FrameError (fatal when the message is not a JSON text object up to 64 KiB)."""
    if not isinstance(message, str) or len(message) > MAX_FRAME_BYTES:
        raise FrameError("frames are JSON text objects up to 64 KiB", fatal=True)
    try:
        if len(message.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
            raise FrameError("frames are JSON text objects up to 64 KiB", fatal=True)
        raw = json.loads(message)
    except (ValueError, RecursionError):
        raise FrameError("frames are JSON text objects up to 64 KiB", fatal=True) from None
    if not isinstance(raw, dict):
        raise FrameError("frames are JSON text objects up to 64 KiB", fatal=True)
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        raise FrameError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    """Which fields failed and why, in our words and pydantic's fixed messages, never the input."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        where = ".".join(str(part) for part in error["loc"][1:]) or "frame"
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            problems.append("unknown frame type")
            continue
        problems.append(f"{_safe(where)}: {_safe(error['msg'])}")
    return "; ".join(problems) or "invalid frame"


def channel_of(frame: ClientFrame) -> Channel | None:
    """The (validated, canonical) channel a frame names, for error replies."""
    if isinstance(frame, SubscribeFrame | UnsubscribeFrame | TypingFrame):
        return frame.channel
    return None


def _safe(text: str) -> str:
    """Text that survives UTF-8 encoding (loc parts are dict keys the client chose)."""
    return text.encode("utf-8", "replace").decode("utf-8")[:200]


# Server frames the session writes itself. Events are written by the notifier from the log
# (`{"type": <EventType>, "id": seq, "channel": ..., **payload}`) and notifications by the writer.
class _ServerFrame(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    def wire(self) -> str:
        return dumps(self.model_dump(exclude_none=True))


# A channel goes out as its text, `forum:<uuid>` (pydantic would otherwise dump the dataclass).
WireChannel = Annotated[Channel, PlainSerializer(str)]


class WelcomeFrame(_ServerFrame):
    type: Literal["welcome"] = "welcome"
    user_id: UUID
    org_id: UUID
    channels: list[WireChannel]
    last_id: int


class SubscribedFrame(_ServerFrame):
    type: Literal["subscribed"] = "subscribed"
    channel: WireChannel


class UnsubscribedFrame(_ServerFrame):
    type: Literal["unsubscribed"] = "unsubscribed"
    channel: WireChannel


class ErrorFrame(_ServerFrame):
    type: Literal["error"] = "error"
    code: str
    message: str
    channel: WireChannel | None = None


PONG = '{"type":"pong"}'
RESYNC = '{"type":"resync"}'  # a resume older than the log keeps: refetch, then go on live
