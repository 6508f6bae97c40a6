"""Built-in identity: registration, login (argon2id, rate-limited), and principals from tokens."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from pydantic import EmailStr, Field

from community.db.pool import Database, UniqueViolation
from community.db.queries import account, members, users
from community.db.queries.conversations import unread_total
from community.db.queries.notifications import count_unread
from community.db.queries.users import UserRow
from community.domain.errors import ConflictError, RateLimitedError, UnauthorizedError, ValidationFailedError
from community.domain.input import EMAIL_SCHEMA, PASSWORD_FORMAT, Body
from community.domain.principal import Caller, OrgMember, Principal, SessionKey
from community.identity import Claims, Identity
from community.services.orgs import SIGNED_OUT, access_org, load_caller
from community.services.unit import Unit, account_unit
from community.services.views import user_view

_BAD_LOGIN = "Email or password is incorrect."


async def check_password_strength(identity: Identity, password: str, *user_inputs: str,
                                  field: str = "password") -> None:
    """422 naming `field` when the password is common or built from the user's own e-mail or name."""
    if (weak := await identity.passwords.weakness(password, *user_inputs)) is not None:
        raise ValidationFailedError(f"{field}: too easy to guess", [
            {"loc": ["body", field], "msg": weak, "type": "weak_password"}])


class RegisterBody(Body):
    email: EmailStr = Field(max_length=320, json_schema_extra=EMAIL_SCHEMA)
    password: str = Field(min_length=10, max_length=256, json_schema_extra=PASSWORD_FORMAT)
    display_name: str = Field(min_length=1, max_length=100)


class LoginBody(Body):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=256)


async def check_register(db: Database, identity: Identity, data: RegisterBody) -> dict[str, Any]:
    """A password that is not easy to guess; an e-mail address no account uses yet (409)."""
    email = str(data.email)
    await check_password_strength(identity, data.password, email, data.display_name)
    password_hash = await identity.passwords.hash(data.password)
    try:
        async with account_unit(db, user_id=None) as unit:
            user = await do_register(unit, email=email, display_name=data.display_name, password_hash=password_hash)
    except UniqueViolation:
        raise ConflictError("An account with this email already exists.", field="email") from None
    return session_answer(identity, user)


def session_answer(identity: Identity, user: UserRow) -> dict[str, Any]:
    """What signing up, signing in, a password change and a reset answer: the user and a token of
    their current session generation."""
    return {"user": user_view(user), "token": identity.issue(str(user.id), generation=user.session_generation)}


async def do_register(unit: Unit, *, email: str, display_name: str, password_hash: str) -> UserRow:
    return await users.insert_user(unit.conn, email=email, display_name=display_name, password_hash=password_hash)


async def check_login(db: Database, identity: Identity, data: LoginBody, *, address: str) -> dict[str, Any]:
    """A session for the right password; failures count per e-mail and per address (429 past the limit)."""
    email_key = data.email.strip().lower()
    limits = identity.login_limits
    if (wait := await limits.retry_after(email_key, address)) is not None:
        raise RateLimitedError("Too many failed sign-in attempts; try again later.", retry_after=wait)
    async with db.transaction() as conn:
        user = await users.get_user_by_email(conn, email_key)
    if not await identity.passwords.verify(user.password_hash if user else None, data.password) or user is None:
        await limits.failed(email_key, address)
        raise UnauthorizedError(_BAD_LOGIN)
    await limits.succeeded(email_key, address)
    return session_answer(identity, user)


async def principal_from_token(db: Database, identity: Identity, token: str) -> Principal:
    """Verify the token, then find (or, for Auth0, provision) the user it names."""
    claims = await identity.verifier.verify(token)
    token_hash, generation, issued_at = session_key(claims, token)
    async with db.transaction() as conn:
        user = await (_auth0_user(conn, claims) if claims.provider == "auth0" else _builtin_user(conn, claims))
        revoked = user is not None and await account.session_revoked(
            conn, user_id=user.id, subject=None, token_hash=token_hash, generation=generation, issued_at=issued_at)
    if user is None:
        raise UnauthorizedError("The account for this token no longer exists.")
    if revoked:
        raise UnauthorizedError(SIGNED_OUT)
    return Principal(user_id=user.id, email=user.email, display_name=user.display_name)


async def _builtin_user(conn: Any, claims: Claims) -> UserRow | None:
    return await users.get_user(conn, _builtin_user_id(claims))


async def _auth0_user(conn: Any, claims: Claims) -> UserRow | None:
    user = await users.get_user_by_subject(conn, claims.subject)
    if user is not None:
        return user
    email = claims.email or f"{claims.subject.replace('|', '.')}@users.invalid"
    name = claims.name or email.split("@")[0]
    try:
        return await users.provision_user(conn, subject=claims.subject, email=email, display_name=name[:100])
    except UniqueViolation:
        raise UnauthorizedError("This email belongs to another account; sign in with it.") from None


async def get_me(db: Database, principal: Principal) -> dict[str, Any]:
    async with db.transaction(user_id=principal.user_id) as conn:
        user = await users.get_user(conn, principal.user_id)
        memberships = await members.list_user_memberships(conn, principal.user_id)
        unread = await count_unread(conn, principal.user_id)
        unread_messages = await unread_total(conn)
    if user is None:
        raise UnauthorizedError("The account for this token no longer exists.")
    return {"user": user_view(user), "memberships": [
        {"organization": {"id": m["id"], "slug": m["slug"], "name": m["name"]}, "role": m["role"],
         "status": m["status"], "joined_at": m["joined_at"]} for m in memberships],
        "unread_notifications": unread, "unread_messages": unread_messages}


async def caller_in_org(db: Database, identity: Identity, token: str, ref: str) -> tuple[Principal, OrgMember]:
    """Token -> user and their place in `{org}`: one statement on the hot path."""
    caller = await caller_of(identity, token)
    principal, member = await load_caller(db, user_id=caller.user_id, subject=caller.subject, ref=ref,
                                          session=caller.session)
    if principal is None and caller.auth0:
        principal = await principal_from_token(db, identity, token)  # first sight: provision the user
        member = await access_org(db, principal, ref)
    if principal is None:
        raise UnauthorizedError("The account for this token no longer exists.")
    return principal, member


async def caller_of(identity: Identity, token: str) -> Caller:
    """Who a token names (verified; 401 when it does not verify), before any database lookup."""
    claims = await identity.verifier.verify(token)
    if claims.provider == "auth0":
        return Caller(user_id=None, subject=claims.subject, auth0=True, session=session_key(claims, token))
    return Caller(user_id=_builtin_user_id(claims), subject=None, session=session_key(claims, token))


def session_key(claims: Claims, token: str) -> SessionKey:
    """Built-in tokens are judged by their session generation; Auth0's by when they were issued."""
    return (hashlib.sha256(token.encode()).digest(), claims.generation,
            claims.issued_at if claims.provider == "auth0" else None)


def _builtin_user_id(claims: Claims) -> UUID:
    try:
        return UUID(claims.subject)
    except ValueError:
        raise UnauthorizedError("invalid token subject") from None
