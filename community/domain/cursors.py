"""Opaque keyset cursors: the last row's sort key, base64url-encoded JSON."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from community.domain.errors import ValidationFailedError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def encode_cursor(values: Sequence[object]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, UUID) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


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
    if not isinstance(value, kind):
        raise TypeError("cursor value")
    return value


def next_cursor(rows: Sequence[object], limit: int, key: Sequence[object] | None) -> str | None:
    """Callers fetch limit + 1 rows: a next page exists when they got more than limit."""
    return encode_cursor(key) if len(rows) > limit and key is not None else None
