"""Matrix cases for the core, identity and membership routes."""

from __future__ import annotations

from typing import Any

from tests.factories import PASSWORD
from tests.matrix_support import MatrixContext, everyone, expect, unique_email


async def _fresh_org(ctx: MatrixContext) -> dict[str, Any]:
    return {"org": (await ctx.fresh_org()).slug}


async def _fresh_member(ctx: MatrixContext) -> dict[str, Any]:
    person = await ctx.factory.user("Target")
    await ctx.factory.join(ctx.personas.acme, person, "member")
    return {"user_id": person.user_id}


async def _fresh_invitation(ctx: MatrixContext) -> dict[str, Any]:
    r = await ctx.client.post(f"/api/orgs/{ctx.personas.acme.slug}/invitations",
                              json={"email": "x@example.com", "role": "member"}, headers=ctx.personas.acme.owner.auth)
    return {"id": r.json()["invitation"]["id"], "token": r.json()["invitation"]["token"]}


async def _scratch_invitation(ctx: MatrixContext, persona: str) -> dict[str, Any]:
    """Accepting joins an org: use a scratch one, so the caller's other cases stay as they were.

    The invitation is to the caller's own e-mail (an invitation is bound to it)."""
    org = await ctx.fresh_org()
    email = ctx.email(persona) or "x@example.com"
    r = await ctx.client.post(f"/api/orgs/{org.slug}/invitations", json={"email": email, "role": "member"},
                              headers=ctx.personas.acme.owner.auth)
    return {"token": r.json()["invitation"]["token"]}


def _acme(ctx: MatrixContext, _: dict[str, Any]) -> str:
    return ctx.personas.acme.slug


CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": "/healthz", "path": lambda c, p: "/healthz", "expect": everyone(200)},
    {"method": "GET", "rule": "/readyz", "path": lambda c, p: "/readyz", "expect": everyone(200)},
    {"method": "GET", "rule": "/metrics", "path": lambda c, p: "/metrics", "expect": everyone(200)},
    {"method": "GET", "rule": "/api/config", "path": lambda c, p: "/api/config", "expect": everyone(200)},
    {"method": "GET", "rule": "/openapi.json", "path": lambda c, p: "/openapi.json", "expect": everyone(200)},
    {"method": "GET", "rule": "/docs", "path": lambda c, p: "/docs", "expect": everyone(200)},
    {"method": "GET", "rule": "/.well-known/jwks.json", "path": lambda c, p: "/.well-known/jwks.json",
     "expect": everyone(200)},
    {"method": "POST", "rule": "/api/auth/register", "path": lambda c, p: "/api/auth/register",
     "body": lambda c, p: {"email": unique_email(), "password": PASSWORD, "display_name": "New"},
     "expect": everyone(201)},
    {"method": "POST", "rule": "/api/auth/login", "path": lambda c, p: "/api/auth/login",
     "body": lambda c, p: {"email": c.personas.acme.member.email, "password": PASSWORD}, "expect": everyone(200)},
    {"method": "GET", "rule": "/api/me", "path": lambda c, p: "/api/me", "expect": expect(200, 200, 200, 200, 200, 401, 200)},
    {"method": "POST", "rule": "/api/orgs", "path": lambda c, p: "/api/orgs", "body": {"name": "Matrix Org"},
     "expect": expect(201, 201, 201, 201, 201, 401, 201)},
    {"method": "GET", "rule": "/api/orgs/<org>", "path": lambda c, p: f"/api/orgs/{_acme(c, p)}",
     "expect": expect(200, 200, 200, 200, 200, 404, 404)},
    {"method": "PATCH", "rule": "/api/orgs/<org>", "path": lambda c, p: f"/api/orgs/{_acme(c, p)}",
     "body": {"description": "Updated"}, "expect": expect(200, 200, 403, 403, 403, 401, 404)},
    {"method": "DELETE", "rule": "/api/orgs/<org>", "setup": _fresh_org, "path": lambda c, p: f"/api/orgs/{p['org']}",
     "expect": expect(204, 403, 403, 403, 403, 401, 404)},
    {"method": "GET", "rule": "/api/orgs/<org>/members", "path": lambda c, p: f"/api/orgs/{_acme(c, p)}/members",
     "expect": expect(200, 200, 200, 200, 403, 401, 404)},
    {"method": "PATCH", "rule": "/api/orgs/<org>/members/<uuid:user_id>", "setup": _fresh_member,
     "path": lambda c, p: f"/api/orgs/{_acme(c, p)}/members/{p['user_id']}", "body": {"status": "suspended"},
     "expect": expect(200, 200, 200, 403, 403, 401, 404)},
    {"method": "DELETE", "rule": "/api/orgs/<org>/members/<uuid:user_id>", "setup": _fresh_member,
     "path": lambda c, p: f"/api/orgs/{_acme(c, p)}/members/{p['user_id']}",
     "expect": expect(204, 204, 403, 403, 403, 401, 404)},
    {"method": "POST", "rule": "/api/orgs/<org>/invitations", "path": lambda c, p: f"/api/orgs/{_acme(c, p)}/invitations",
     "body": {"email": "invitee@example.com", "role": "member"}, "expect": expect(201, 201, 403, 403, 403, 401, 404)},
    {"method": "GET", "rule": "/api/orgs/<org>/invitations", "path": lambda c, p: f"/api/orgs/{_acme(c, p)}/invitations",
     "expect": expect(200, 200, 403, 403, 403, 401, 404)},
    {"method": "DELETE", "rule": "/api/orgs/<org>/invitations/<uuid:invitation_id>", "setup": _fresh_invitation,
     "path": lambda c, p: f"/api/orgs/{_acme(c, p)}/invitations/{p['id']}",
     "expect": expect(204, 204, 403, 403, 403, 401, 404)},
    {"method": "GET", "rule": "/api/invitations/<token>", "setup": _fresh_invitation,
     "path": lambda c, p: f"/api/invitations/{p['token']}", "expect": everyone(200)},
    {"method": "POST", "rule": "/api/invitations/<token>/accept", "setup_as": _scratch_invitation,
     "path": lambda c, p: f"/api/invitations/{p['token']}/accept", "expect": expect(409, 409, 409, 409, 409, 401, 200)},
]
