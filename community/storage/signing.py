"""Signed, expiring tokens for the local backend's URLs (HMAC-SHA256 over a JSON claim set)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any


class BadTokenError(Exception):
    """The token is malformed, tampered with, or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: bytes, claims: dict[str, Any]) -> str:
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(secret, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify(secret: bytes, token: str, *, op: str, now: float | None = None) -> dict[str, Any]:
    body, _, mac = token.partition(".")
    try:
        expected = hmac.new(secret, body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise BadTokenError("bad signature")
        claims = json.loads(_unb64(body))
    except (binascii.Error, ValueError) as exc:
        raise BadTokenError("malformed") from exc
    if not isinstance(claims, dict) or claims.get("op") != op:
        raise BadTokenError("wrong operation")
    if float(claims.get("e", 0)) < (time.time() if now is None else now):
        raise BadTokenError("expired")
    return claims
