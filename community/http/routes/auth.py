"""Identity: register, log in, who am I, and the JWKS of built-in tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import EmailStr, Field
from quart import Blueprint
from quart_schema import validate_request

from community.domain.input import EMAIL_SCHEMA, PASSWORD_FORMAT
from community.domain.permissions import Role
from community.http.auth import require_principal
from community.http.client import client_address
from community.http.context import current_handles
from community.http.models import Answer, Body, MemberStatus, OrgRef, Session, User
from community.http.openapi import answers, problems, public
from community.services import account, identity

blueprint = Blueprint("auth", __name__)


class RegisterBody(Body):
    email: EmailStr = Field(max_length=320, json_schema_extra=EMAIL_SCHEMA)
    password: str = Field(min_length=10, max_length=256, json_schema_extra=PASSWORD_FORMAT)
    display_name: str = Field(min_length=1, max_length=100)


class LoginBody(Body):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=256)


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
@validate_request(RegisterBody)
async def register(data: RegisterBody) -> tuple[dict[str, Any], int]:
    h = current_handles()
    result = await identity.do_register(h.db, h.identity, email=str(data.email), password=data.password,
                                        display_name=data.display_name)
    await account.send_first_verification(h.db, h.mailer, h.limiter, result["user"])
    return result, 201


@blueprint.post("/api/auth/login")
@answers(Session)
@problems(429)
@public
@validate_request(LoginBody)
async def login(data: LoginBody) -> dict[str, Any]:
    h = current_handles()
    address = client_address(h.settings.proxy_hops)
    return await identity.do_login(h.db, h.identity, email=data.email, password=data.password, address=address)


@blueprint.get("/.well-known/jwks.json")
@answers(Jwks)
async def jwks() -> dict[str, object]:
    return current_handles().identity.keys.jwks()


@blueprint.get("/api/me")
@answers(Me)
async def me() -> dict[str, Any]:
    h = current_handles()
    return await identity.get_me(h.db, await require_principal())
