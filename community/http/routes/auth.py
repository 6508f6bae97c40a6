"""Identity: register, log in, who am I, and the JWKS of built-in tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quart import Blueprint
from quart_schema import validate_request

from community.domain.permissions import Role
from community.http.auth import require_principal
from community.http.client import client_address
from community.http.context import current_handles
from community.http.models import Answer, MemberStatus, OrgRef, Session, User
from community.http.openapi import answers, problems, public
from community.services import account, identity

blueprint = Blueprint("auth", __name__)


class MyMembership(Answer):
    organization: OrgRef
    role: Role
    status: MemberStatus
    joined_at: datetime


class Me(Answer):
    user: User
    memberships: list[MyMembership]
    unread_notifications: int
    unread_messages: int


class Jwk(Answer):
    kty: str
    n: str
    e: str
    kid: str
    alg: str
    use: str


class Jwks(Answer):
    keys: list[Jwk]


@blueprint.post("/api/auth/register")
@answers(Session, 201)
@problems(409)
@public
@validate_request(identity.RegisterBody)
async def register(data: identity.RegisterBody) -> tuple[dict[str, Any], int]:
    h = current_handles()
    result = await identity.check_register(h.db, h.identity, data)
    await account.send_first_verification(h.db, h.mailer, h.limiter, result["user"])
    return result, 201


@blueprint.post("/api/auth/login")
@answers(Session)
@problems(429)
@public
@validate_request(identity.LoginBody)
async def login(data: identity.LoginBody) -> dict[str, Any]:
    h = current_handles()
    address = client_address(h.settings.proxy_hops)
    return await identity.check_login(h.db, h.identity, data, address=address)


@blueprint.get("/.well-known/jwks.json")
@answers(Jwks)
async def jwks() -> dict[str, object]:
    return current_handles().identity.keys.jwks()


@blueprint.get("/api/me")
@answers(Me)
async def me() -> dict[str, Any]:
    h = current_handles()
    return await identity.get_me(h.db, await require_principal())
