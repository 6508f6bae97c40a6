"""Activity events: what happened in an org, as the API contract names it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


def org_channel(org_id: UUID) -> str:
    return f"org:{org_id}"


def user_channel(user_id: UUID) -> str:
    return f"user:{user_id}"


def forum_channel(forum_id: UUID) -> str:
    return f"forum:{forum_id}"


def topic_channel(topic_id: UUID) -> str:
    return f"topic:{topic_id}"


def conversation_channel(conversation_id: UUID) -> str:
    return f"conversation:{conversation_id}"


def _default(value: object) -> object:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: object) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Activity:
    """One committed row of the activity log."""

    org_id: UUID
    seq: int
    channel: str
    type: str
    payload: dict[str, Any]
    actor_id: UUID | None
    created_at: datetime

    def frame(self) -> bytes:
        """The websocket frame, encoded once for every subscriber."""
        return dumps({"type": self.type, "id": self.seq, "channel": self.channel, **self.payload}).encode()
