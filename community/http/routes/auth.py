"""Identity: register, log in, who am I, and the JWKS of built-in tokens."""

from __future__ import annotations

from typing import Any

from pydantic import EmailStr, Field
from quart import Blueprint, request
from quart_schema import validate_request

from community.http.auth import require_principal
from community.http.context import current_handles
from community.http.models import Body
from community.services import identity

blueprint = Blueprint("auth", __name__)


class RegisterBody(Body):
    email: EmailStr = Field(max_length=320)
    password: str = Field(min_length=10, max_length=256)
    display_name: str = Field(min_length=1, max_length=100)


class LoginBody(Body):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=256)


@blueprint.post("/api/auth/register")
@validate_request(RegisterBody)
async def register(data: RegisterBody) -> tuple[dict[str, Any], int]:
    h = current_handles()
    result = await identity.do_register(h.db, h.identity, email=str(data.email), password=data.password,
                                        display_name=data.display_name)
    return result, 201


@blueprint.post("/api/auth/login")
@validate_request(LoginBody)
async def login(data: LoginBody) -> dict[str, Any]:
    h = current_handles()
    address = request.remote_addr or "unknown"
    return await identity.do_login(h.db, h.identity, email=data.email, password=data.password, address=address)


@blueprint.get("/.well-known/jwks.json")
async def jwks() -> dict[str, object]:
    return current_handles().identity.keys.jwks()


@blueprint.get("/api/me")
async def me() -> dict[str, Any]:
    h = current_handles()
    return await identity.get_me(h.db, await require_principal())
