"""Opaque keyset cursors: the last row's sort key, base64url-encoded JSON.

Each kind of page has its typed decoder (`time_cursor`, `pinned_cursor`, ...): a malformed
cursor is a 422 naming `cursor`, and what a decoder answers is the exact key its query takes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from community.domain.errors import ValidationFailedError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def encode_cursor(values: Sequence[object]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, UUID) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


TimeKey = tuple[datetime, UUID]
PinnedKey = tuple[bool, datetime, UUID]
K = TypeVar("K")


def keyed_cursor(cursor: str | None, kind: type[K]) -> tuple[K, UUID] | None:
    """(sort key, id) where the sort key's type depends on the list's order (a name, a count, a time)."""
    if not cursor:
        return None
    key, last_id = decode_cursor(cursor, [kind, UUID])
    assert isinstance(key, kind) and isinstance(last_id, UUID)
    return key, last_id


def time_cursor(cursor: str | None) -> TimeKey | None:
    """(created_at, id): most lists."""
    if not cursor:
        return None
    at, last_id = decode_cursor(cursor, [datetime, UUID])
    assert isinstance(at, datetime) and isinstance(last_id, UUID)
    return at, last_id


def pinned_cursor(cursor: str | None) -> PinnedKey | None:
    """(is_pinned, last_reply_at, id): a forum's topics."""
    if not cursor:
        return None
    pinned, at, last_id = decode_cursor(cursor, [bool, datetime, UUID])
    assert isinstance(pinned, bool) and isinstance(at, datetime) and isinstance(last_id, UUID)
    return pinned, at, last_id


def attendee_cursor(cursor: str | None) -> tuple[int, int, datetime, UUID] | None:
    """(status rank, position, registered_at, user id): an occurrence's attendees."""
    if not cursor:
        return None
    rank, position, at, user_id = decode_cursor(cursor, [int, int, datetime, UUID])
    assert isinstance(rank, int) and isinstance(position, int) and isinstance(at, datetime)
    assert isinstance(user_id, UUID)
    return rank, position, at, user_id


def score_cursor(cursor: str | None, *, by_relevance: bool) -> tuple[float | datetime, UUID] | None:
    """(relevance or created_at, id): search results."""
    if not cursor:
        return None
    key, last_id = decode_cursor(cursor, [float if by_relevance else datetime, UUID])
    assert isinstance(key, float | datetime) and isinstance(last_id, UUID)
    return key, last_id


def seq_cursor(cursor: str | None) -> int | None:
    """A sequence number: the moderation log."""
    if not cursor:
        return None
    (seq,) = decode_cursor(cursor, [int])
    assert isinstance(seq, int)
    return seq


def direction_cursor(cursor: str) -> tuple[str, int]:
    """("a" | "b", seq): a conversation's messages, after or before a position."""
    direction, seq = decode_cursor(cursor, [str, int])
    assert isinstance(seq, int)
    return ("a" if direction == "a" else "b"), seq


def decode_cursor(cursor: str, types: Sequence[type]) -> list[object]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(types):
            raise ValueError("shape")
        return [_parse(t, v) for t, v in zip(types, raw, strict=True)]
    except (ValueError, TypeError, binascii.Error):
        raise ValidationFailedError("invalid cursor", [{"loc": ["query", "cursor"], "msg": "invalid cursor"}]) from None


def _parse(kind: type, value: object) -> object:
    if kind is datetime:
        return datetime.fromisoformat(str(value))
    if kind is UUID:
        return UUID(str(value))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError("cursor value")
    return value


def next_cursor(rows: Sequence[object], limit: int, key: Sequence[object] | None) -> str | None:
    """Callers fetch limit + 1 rows: a next page exists when they got more than limit."""
    return encode_cursor(key) if len(rows) > limit and key is not None else None
