"""Who is calling: the bearer token -> Principal; `{org}` -> the caller's place in it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from quart import g, request

from community.db.pool import Database
from community.domain.errors import UnauthorizedError
from community.domain.principal import Caller, OrgMember, Principal
from community.http.context import current_handles
from community.services.identity import caller_in_org, caller_of, principal_from_token
from community.services.orgs import access_org, read_as

T = TypeVar("T")


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def optional_principal() -> Principal | None:
    h = current_handles()
    if "principal" not in g:
        token = bearer_token()
        g.principal = await principal_from_token(h.db, h.identity, token) if token else None
    principal: Principal | None = g.principal
    return principal


async def require_principal() -> Principal:
    principal = await optional_principal()
    if principal is None:
        raise UnauthorizedError("Sign in: this call needs a bearer token.")
    return principal


async def token_caller() -> Caller | None:
    """The verified caller for a one-handoff read page; None sends the route down `org_member`."""
    token = bearer_token()
    if token is None or "principal" in g:
        return None
    return await caller_of(current_handles().identity, token)


async def read_page(ref: str, read: Callable[[Database, OrgMember], Awaitable[T]], *,
                    allow_anonymous: bool = False) -> T:
    """A read in `{org}`: `read(db, member)`. For a bearer token, who the caller is and the read go to
    the database in one handoff (`services.orgs.read_as`: `read` runs on the database's thread and
    must use only the `db` it is given); otherwise `org_member`, then `read`."""
    h = current_handles()
    caller = await token_caller()
    if caller is not None:
        answered = await read_as(h.db, caller, ref, read)
        if answered is not None:
            g.principal, result = answered
            return result
    return await read(h.db, await org_member(ref, allow_anonymous=allow_anonymous))


async def org_member(ref: str, *, allow_anonymous: bool = False) -> OrgMember:
    h = current_handles()
    token = bearer_token()
    if token is None or "principal" in g:
        principal = await (optional_principal() if allow_anonymous else require_principal())
        return await access_org(h.db, principal, ref)
    g.principal, member = await caller_in_org(h.db, h.identity, token, ref)
    return member
