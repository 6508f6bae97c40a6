"""The signed-in user's own account: profile, password, e-mail verification, signing out.

Mailed links carry a 256-bit token stored only as its SHA-256, single-use and expiring.
Without SMTP the link is logged as one `account.mail_link` event, so a local user is never
stuck; with SMTP set it is never logged. Sessions end server-side: one token (its hash in
`revoked_tokens`) or every session of a user (`session_generation`), checked with the caller
on every request, so every node agrees.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from pydantic import AnyHttpUrl, EmailStr, Field

from community.actors.mailer import Mailer
from community.db.pool import Database
from community.db.queries import account, users
from community.db.queries.account import AccountTokenRow
from community.db.queries.users import UserRow
from community.domain.errors import (
    ConflictError,
    GoneError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
    ValidationFailedError,
)
from community.domain.input import EMAIL_SCHEMA, PASSWORD_FORMAT, Body, Text
from community.domain.origins import is_loopback
from community.domain.principal import Principal
from community.handles import FileStore
from community.identity import Claims, Identity
from community.logs import DELIVERED_LINK
from community.ratelimit import RateLimiter
from community.services.files import public_image_path, take_upload
from community.services.identity import check_password_strength, session_answer
from community.services.orgs import access_org
from community.services.unit import Unit, account_unit
from community.services.views import user_view

log = structlog.get_logger("community.account")

RESET = "password_reset"
VERIFY = "email_verification"
TTL = {RESET: timedelta(hours=1), VERIFY: timedelta(days=3)}
_PAGES = {RESET: "reset-password", VERIFY: "verify-email"}
# Mail sends: per account and purpose, and per client address (reset requests name any address).
MAILS_PER_ACCOUNT, MAIL_WINDOW = 3, 15 * 60
REQUESTS_PER_ADDRESS, ADDRESS_WINDOW = 20, 60 * 60
PASSWORD_TRIES, PASSWORD_WINDOW = 5, 15 * 60


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


_TOKEN = Field(min_length=20, max_length=200)
_PASSWORD = Field(min_length=10, max_length=256, json_schema_extra=PASSWORD_FORMAT)


class ProfileBody(Body):
    display_name: Text | None = Field(default=None, min_length=1, max_length=100)
    avatar_url: AnyHttpUrl | None = Field(default=None, max_length=500)


class PasswordChangeBody(Body):
    current_password: Text = Field(min_length=1, max_length=256)
    new_password: Text = _PASSWORD


class ResetRequestBody(Body):
    email: EmailStr = Field(max_length=320, json_schema_extra=EMAIL_SCHEMA)


class ResetBody(Body):
    token: Text = _TOKEN
    password: Text = _PASSWORD


class VerifyBody(Body):
    token: Text = _TOKEN


async def check_update_profile(db: Database, principal: Principal, changes: ProfileBody) -> dict[str, Any]:
    """A new display name (null keeps it) and/or avatar URL (null removes it)."""
    avatar = changes.avatar_url
    return await _set_profile(db, principal, display_name=changes.display_name,
                              avatar_set="avatar_url" in changes.model_fields_set,
                              avatar_url=str(avatar) if avatar is not None else None)


async def _set_profile(db: Database, principal: Principal, *, display_name: str | None, avatar_set: bool,
                       avatar_url: str | None) -> dict[str, Any]:
    async with account_unit(db, user_id=principal.user_id) as unit:
        user = await do_update_profile(unit, principal, display_name=display_name, avatar_set=avatar_set,
                                       avatar_url=avatar_url)
    if user is None:
        raise UnauthorizedError("The account for this token no longer exists.")
    return user_view(user)


async def do_update_profile(unit: Unit, principal: Principal, *, display_name: str | None, avatar_set: bool,
                            avatar_url: str | None) -> UserRow | None:
    return await account.update_profile(unit.conn, principal.user_id, display_name=display_name,
                                        avatar_set=avatar_set, avatar_url=avatar_url)


async def check_set_avatar(db: Database, store: FileStore, principal: Principal, org_ref: str,
                           upload_id: UUID) -> dict[str, Any]:
    """The avatar from an image the caller uploaded in one of their orgs (purpose "logo": PNG, JPEG,
    GIF or WebP, at most 5 MB, its bytes checked): stored as the image's stable public URL."""
    member = await access_org(db, principal, org_ref)
    upload = await take_upload(db, store, member, upload_id, "logo")
    # The stored file's stable path, not a URL a client sent: no ProfileBody.
    return await _set_profile(db, principal, display_name=None, avatar_set=True,
                              avatar_url=public_image_path(upload.id))


async def check_change_password(db: Database, identity: Identity, limiter: RateLimiter, principal: Principal,
                                data: PasswordChangeBody) -> dict[str, Any]:
    """Every other session ends; the answer carries a fresh token for this one."""
    wait = await limiter.hit(f"password-change:{principal.user_id}", PASSWORD_TRIES, PASSWORD_WINDOW)
    if wait is not None:
        raise RateLimitedError("Too many password attempts; try again later.", retry_after=wait)
    async with db.transaction(user_id=principal.user_id) as conn:
        stored = await account.get_password_hash(conn, principal.user_id)
    if stored is None:
        raise ConflictError("This account signs in with Auth0: change the password there.")
    if not await identity.passwords.verify(stored, data.current_password):
        raise ValidationFailedError("invalid: current_password", [
            {"loc": ["body", "current_password"], "msg": "is not your current password", "type": "wrong_password"}])
    await check_password_strength(identity, data.new_password, principal.email, principal.display_name,
                                  field="new_password")
    new_hash = await identity.passwords.hash(data.new_password)
    async with account_unit(db, user_id=principal.user_id) as unit:
        user = await do_change_password(unit, principal.user_id, new_hash)
    return session_answer(identity, user)


async def do_change_password(unit: Unit, user_id: UUID, new_hash: str) -> UserRow:
    """The new hash and a new session generation: every token issued before stops working."""
    return await account.new_session_generation(unit.conn, user_id, password_hash=new_hash)


async def check_request_password_reset(db: Database, mailer: Mailer, limiter: RateLimiter,
                                       data: ResetRequestBody, *, address: str) -> None:
    """Mail a reset link when a built-in account uses the address. The caller learns nothing either way."""
    wait = await limiter.hit(f"password-reset-address:{address}", REQUESTS_PER_ADDRESS, ADDRESS_WINDOW)
    if wait is not None:
        raise RateLimitedError("Too many reset requests from this address; try again later.", retry_after=wait)
    async with db.transaction() as conn:
        user = await users.get_user_by_email(conn, str(data.email).strip())
    if user is None or user.password_hash is None:
        return
    if await limiter.hit(f"mail:{RESET}:{user.id}", MAILS_PER_ACCOUNT, MAIL_WINDOW) is not None:
        log.info("account.mail_rate_limited", purpose=RESET, user_id=str(user.id))
        return
    await _send_link(db, mailer, user.id, user.email, user.display_name, RESET)


async def check_reset_password(db: Database, identity: Identity, data: ResetBody) -> dict[str, Any]:
    """Use a reset link: the new password, every session ended, the address counted as verified."""
    await check_password_strength(identity, data.password)
    new_hash = await identity.passwords.hash(data.password)
    async with account_unit(db, user_id=None) as unit:
        found = await access_link(unit, data.token, RESET)
        user = await do_reset_password(unit, found, new_hash)
    log.info("account.password_reset", user_id=str(user.id))
    return session_answer(identity, user)


async def do_reset_password(unit: Unit, found: AccountTokenRow, new_hash: str) -> UserRow:
    user = await account.new_session_generation(unit.conn, found.user_id, password_hash=new_hash)
    await account.use_account_tokens(unit.conn, found.user_id, RESET)
    return await account.mark_email_verified(unit.conn, found.user_id, found.email) or user


async def check_request_verification(db: Database, mailer: Mailer, limiter: RateLimiter,
                                     principal: Principal) -> dict[str, Any]:
    async with db.transaction(user_id=principal.user_id) as conn:
        user = await users.get_user(conn, principal.user_id)
    if user is None:
        raise UnauthorizedError("The account for this token no longer exists.")
    if user.email_verified_at is not None:
        raise ConflictError("This e-mail address is already verified.")
    wait = await limiter.hit(f"mail:{VERIFY}:{user.id}", MAILS_PER_ACCOUNT, MAIL_WINDOW)
    if wait is not None:
        raise RateLimitedError("A verification mail was sent recently; try again later.", retry_after=wait)
    expires_at = await _send_link(db, mailer, user.id, user.email, user.display_name, VERIFY)
    return {"email": user.email, "expires_at": expires_at}


async def send_first_verification(db: Database, mailer: Mailer, limiter: RateLimiter, user: dict[str, Any]) -> None:
    """At registration: the first verification mail (counted against the same limit); `user` is the
    registration's answer (the user view)."""
    if await limiter.hit(f"mail:{VERIFY}:{user['id']}", MAILS_PER_ACCOUNT, MAIL_WINDOW) is None:
        await _send_link(db, mailer, user["id"], user["email"], user["display_name"], VERIFY)


async def check_verify_email(db: Database, data: VerifyBody) -> dict[str, Any]:
    async with account_unit(db, user_id=None) as unit:
        found = await access_link(unit, data.token, VERIFY)
        user = await do_verify_email(unit, found)
    return user_view(user)


async def do_verify_email(unit: Unit, found: AccountTokenRow) -> UserRow:
    user = await account.mark_email_verified(unit.conn, found.user_id, found.email)
    if user is None:
        raise GoneError("This link was sent to an address the account no longer uses.")
    await account.use_account_tokens(unit.conn, found.user_id, VERIFY)
    return user


async def check_sign_out(db: Database, claims: Claims, token: str, user_id: UUID) -> None:
    """This token stops working on every node (until it would have expired anyway)."""
    async with account_unit(db, user_id=user_id) as unit:
        await do_sign_out(unit, claims, hash_token(token))


async def do_sign_out(unit: Unit, claims: Claims, token_hash: bytes) -> None:
    assert unit.actor_id is not None
    await account.revoke_token(unit.conn, token_hash=token_hash, user_id=unit.actor_id, expires_at=claims.expires_at)


async def check_sign_out_everywhere(db: Database, principal: Principal) -> None:
    async with account_unit(db, user_id=principal.user_id) as unit:
        await do_sign_out_everywhere(unit, principal)
    log.info("account.signed_out_everywhere", user_id=str(principal.user_id))


async def do_sign_out_everywhere(unit: Unit, principal: Principal) -> None:
    await account.new_session_generation(unit.conn, principal.user_id)


async def access_link(unit: Unit, token: str, purpose: str) -> AccountTokenRow:
    """The only loader of a mailed link's token, locked: unknown is 404, used or expired 410."""
    found = await account.lock_account_token(unit.conn, hash_token(token), purpose)
    if found is None:
        raise NotFoundError("This link is not valid.")
    if found.used_at is not None:
        raise GoneError("This link was already used.")
    if found.expires_at <= datetime.now(UTC):
        raise GoneError("This link has expired; ask for a new one.")
    return found


async def _send_link(db: Database, mailer: Mailer, user_id: UUID, email: str, display_name: str,
                     purpose: str) -> datetime:
    token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + TTL[purpose]
    async with account_unit(db, user_id=user_id) as unit:
        await do_issue_link(unit, user_id, email, purpose, hash_token(token), expires_at)
    link = f"{mailer.settings.next_public_app_url.rstrip('/')}/{_PAGES[purpose]}?token={token}"
    subject, body = _message(purpose, display_name, link)
    if mailer.enabled:
        mailer.send_nowait(email, subject, body)
    elif is_loopback(mailer.settings.next_public_app_url):
        # No SMTP on a local install: the link goes whole to the operator's own log instead of a mailbox.
        log.warning("account.mail_link", purpose=purpose, user_id=str(user_id), **{DELIVERED_LINK: link},
                    note="SMTP_HOST is not set: open this link in the browser (it was not mailed)")
    else:
        # A deployment without SMTP: its logs go to other people's machines, so the token is redacted.
        log.warning("account.mail_link", purpose=purpose, user_id=str(user_id), link=link,
                    note="SMTP_HOST is not set: this link was not mailed; set SMTP_HOST to send it")
    return expires_at


async def do_issue_link(unit: Unit, user_id: UUID, email: str, purpose: str, token_hash: bytes,
                        expires_at: datetime) -> None:
    await account.insert_account_token(unit.conn, user_id=user_id, purpose=purpose, token_hash=token_hash,
                                       email=email, expires_at=expires_at)


def _message(purpose: str, name: str, link: str) -> tuple[str, str]:
    if purpose == RESET:
        return "Reset your Community password", (
            f"Hi {name},\n\nSomeone (hopefully you) asked to reset your password. Choose a new one here:\n\n"
            f"{link}\n\nThe link works once, for an hour. If you did not ask, ignore this mail.")
    return "Verify your e-mail address", (
        f"Hi {name},\n\nConfirm that this address is yours:\n\n{link}\n\nThe link works once, for 3 days.")
