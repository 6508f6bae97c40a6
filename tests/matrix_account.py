"""Matrix cases for the account routes.

Calls that end sessions or change credentials run as a fresh user per call (same persona kind:
signed in or anonymous), so the personas' own tokens stay valid for the rest of the matrix.
"""

from __future__ import annotations

import io
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from PIL import Image

from community.services.account import RESET, VERIFY, hash_token
from tests.factories import PASSWORD
from tests.matrix_support import MatrixContext, everyone, expect, unique_email
from tests.tls import TLS

_SIGNED_IN = expect(204, 204, 204, 204, 204, 401, 204)


async def _fresh_user(ctx: MatrixContext, _: dict[str, Any], persona: str) -> dict[str, str]:
    if persona == "anonymous":
        return {}
    return (await ctx.factory.user("Account")).auth


async def _mailed_token(ctx: MatrixContext, purpose: str) -> dict[str, Any]:
    person = await ctx.factory.user("Mailed")
    token = secrets.token_urlsafe(32)
    await ctx.factory.conn.execute(
        "INSERT INTO account_tokens (user_id, purpose, token_hash, email, expires_at) VALUES ($1, $2, $3, $4, $5)",
        person.user_id, purpose, hash_token(token), person.email, datetime.now(UTC) + timedelta(hours=1))
    return {"token": token}


async def _reset_token(ctx: MatrixContext) -> dict[str, Any]:
    return await _mailed_token(ctx, RESET)


async def _verify_token(ctx: MatrixContext) -> dict[str, Any]:
    return await _mailed_token(ctx, VERIFY)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


async def _avatar_upload(ctx: MatrixContext, persona: str) -> dict[str, Any]:
    """An image uploaded in acme by the caller (guests may not upload: theirs is the moderator's)."""
    acme = ctx.personas.acme
    uploader = acme.people[persona] if persona in ("owner", "admin", "moderator", "member") else acme.moderator
    data = png()
    r = await ctx.client.post(f"/api/orgs/{acme.slug}/uploads", headers=uploader.auth,
                              json={"filename": "me.png", "content_type": "image/png", "size": len(data),
                                    "purpose": "logo"})
    upload = r.json()["upload"]
    async with httpx.AsyncClient(verify=TLS) as direct:
        await direct.put(upload["url"], content=data, headers=upload["headers"])
    return {"upload_id": upload["id"]}


CASES: list[dict[str, Any]] = [
    {"method": "PUT", "rule": "/api/me/avatar", "path": lambda c, p: "/api/me/avatar", "setup_as": _avatar_upload,
     "body": lambda c, p: {"org": c.personas.acme.slug, "upload_id": p["upload_id"]},
     "expect": expect(200, 200, 200, 200, 404, 401, 404)},
    {"method": "PATCH", "rule": "/api/me", "path": lambda c, p: "/api/me", "headers": _fresh_user,
     "body": {"display_name": "Renamed"}, "expect": expect(200, 200, 200, 200, 200, 401, 200)},
    {"method": "POST", "rule": "/api/me/password", "path": lambda c, p: "/api/me/password", "headers": _fresh_user,
     "body": {"current_password": PASSWORD, "new_password": "another long password"},
     "expect": expect(200, 200, 200, 200, 200, 401, 200)},
    {"method": "POST", "rule": "/api/me/verification", "path": lambda c, p: "/api/me/verification",
     "headers": _fresh_user, "expect": expect(202, 202, 202, 202, 202, 401, 202)},
    {"method": "POST", "rule": "/api/auth/verify-email", "setup": _verify_token,
     "path": lambda c, p: "/api/auth/verify-email", "body": lambda c, p: {"token": p["token"]},
     "expect": everyone(200)},
    {"method": "POST", "rule": "/api/auth/password-reset", "path": lambda c, p: "/api/auth/password-reset",
     "body": lambda c, p: {"email": unique_email()}, "expect": everyone(202)},
    {"method": "POST", "rule": "/api/auth/password-reset/confirm", "setup": _reset_token,
     "path": lambda c, p: "/api/auth/password-reset/confirm",
     "body": lambda c, p: {"token": p["token"], "password": "a brand new password"}, "expect": everyone(200)},
    {"method": "POST", "rule": "/api/auth/logout", "path": lambda c, p: "/api/auth/logout", "headers": _fresh_user,
     "expect": _SIGNED_IN},
    {"method": "POST", "rule": "/api/auth/logout-all", "path": lambda c, p: "/api/auth/logout-all",
     "headers": _fresh_user, "expect": _SIGNED_IN},
]
