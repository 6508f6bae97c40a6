"""The signed-in user's account: profile, password, reset by e-mail, verification, signing out."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field
from quart import Blueprint
from quart_schema import validate_request

from community.domain.errors import UnauthorizedError
from community.http.auth import bearer_token, require_principal
from community.http.client import client_address
from community.http.context import current_handles
from community.http.models import Answer, Body, Session, User
from community.http.openapi import answers, problems, public
from community.services import account

blueprint = Blueprint("account", __name__)


class UserAnswer(Answer):
    user: User


class Accepted(Answer):
    detail: str


class VerificationSent(Answer):
    """Where the verification link went, and until when it works."""

    email: str
    expires_at: datetime


@blueprint.patch("/api/me")
@answers(UserAnswer)
@validate_request(account.ProfileBody)
async def update_profile(data: account.ProfileBody) -> dict[str, Any]:
    """Change the display name or the avatar (`avatar_url: null` removes it)."""
    principal = await require_principal()
    return {"user": await account.check_update_profile(current_handles().db, principal, data)}


class AvatarBody(Body):
    org: str = Field(min_length=1, max_length=100, description="The org (slug or id) the image was uploaded in.")
    upload_id: UUID = Field(description='An upload with purpose "logo" (PNG, JPEG, GIF or WebP, at most 5 MB).')


@blueprint.put("/api/me/avatar")
@answers(UserAnswer)
@problems(404, 409, 413, 415)
@validate_request(AvatarBody)
async def set_avatar(data: AvatarBody) -> dict[str, Any]:
    """Use an uploaded image as the avatar: `avatar_url` becomes its stable public URL."""
    principal = await require_principal()
    h = current_handles()
    return {"user": await account.check_set_avatar(h.db, h.files, principal, data.org, data.upload_id)}


@blueprint.post("/api/me/password")
@answers(Session)
@problems(409, 429)
@validate_request(account.PasswordChangeBody)
async def change_password(data: account.PasswordChangeBody) -> dict[str, Any]:
    """Every other session is signed out; the answer carries this session's new token."""
    h = current_handles()
    principal = await require_principal()
    session = await account.check_change_password(h.db, h.identity, h.limiter, principal, data)
    h.bus.publish_signed_out(principal.user_id)  # the other sessions' websockets close too, on every node
    return session


@blueprint.post("/api/me/verification")
@answers(VerificationSent, 202)
@problems(409, 429)
async def request_verification() -> tuple[dict[str, Any], int]:
    """Mail (again) a link that verifies the account's e-mail address."""
    h = current_handles()
    principal = await require_principal()
    return await account.check_request_verification(h.db, h.mailer, h.limiter, principal), 202


@blueprint.post("/api/auth/verify-email")
@answers(UserAnswer)
@problems(410)
@public
@validate_request(account.VerifyBody)
async def verify_email(data: account.VerifyBody) -> dict[str, Any]:
    return {"user": await account.check_verify_email(current_handles().db, data)}


@blueprint.post("/api/auth/password-reset")
@answers(Accepted, 202)
@problems(429)
@public
@validate_request(account.ResetRequestBody)
async def request_password_reset(data: account.ResetRequestBody) -> tuple[dict[str, Any], int]:
    """The same answer whether or not an account uses the address."""
    h = current_handles()
    await account.check_request_password_reset(h.db, h.mailer, h.limiter, data,
                                               address=client_address(h.settings.proxy_hops))
    return {"detail": "If an account uses this address, a link to reset its password is on its way."}, 202


@blueprint.post("/api/auth/password-reset/confirm")
@answers(Session)
@problems(410)
@public
@validate_request(account.ResetBody)
async def reset_password(data: account.ResetBody) -> dict[str, Any]:
    """Set a new password with a mailed link; every session is signed out and a new token answered."""
    h = current_handles()
    session = await account.check_reset_password(h.db, h.identity, data)
    h.bus.publish_signed_out(session["user"]["id"])
    return session


@blueprint.post("/api/auth/logout")
@answers(None, 204)
async def sign_out() -> tuple[str, int]:
    """This token stops working, on every node."""
    h = current_handles()
    principal = await require_principal()
    token = bearer_token()
    if token is None:
        raise UnauthorizedError("Sign in: this call needs a bearer token.")
    claims = await h.identity.verifier.verify(token)
    await account.check_sign_out(h.db, claims, token, principal.user_id)
    h.bus.publish_signed_out(principal.user_id)  # this token's websockets close, on every node
    return "", 204


@blueprint.post("/api/auth/logout-all")
@answers(None, 204)
async def sign_out_everywhere() -> tuple[str, int]:
    """Every token of this user stops working, on every node (this one included)."""
    h = current_handles()
    principal = await require_principal()
    await account.check_sign_out_everywhere(h.db, principal)
    h.bus.publish_signed_out(principal.user_id)
    return "", 204
