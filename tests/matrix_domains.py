"""Matrix cases for custom domains: owner and admin (billing off in the matrix, so no plan gate).
Verification asks the tests' loopback DNS server, which knows no record here: 200, still pending."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import MatrixContext, expect

_NAME = "matrix.acme.example"


def _url(ctx: MatrixContext, suffix: str = "") -> str:
    return f"/api/orgs/{ctx.personas.acme.slug}/domain{suffix}"


async def _asked(ctx: MatrixContext) -> dict[str, Any]:
    r = await ctx.client.put(_url(ctx), json={"domain": _NAME}, headers=ctx.personas.acme.owner.auth)
    assert r.status_code == 200, r.text
    return {}


_ADMINS = expect(200, 200, 403, 403, 403, 401, 404)
CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": "/api/orgs/<org>/domain", "setup": _asked, "path": lambda c, p: _url(c),
     "expect": _ADMINS},
    {"method": "PUT", "rule": "/api/orgs/<org>/domain", "path": lambda c, p: _url(c), "body": {"domain": _NAME},
     "expect": _ADMINS},
    {"method": "POST", "rule": "/api/orgs/<org>/domain/verify", "setup": _asked,
     "path": lambda c, p: _url(c, "/verify"), "expect": _ADMINS},
    {"method": "DELETE", "rule": "/api/orgs/<org>/domain", "setup": _asked, "path": lambda c, p: _url(c),
     "expect": expect(204, 204, 403, 403, 403, 401, 404)},
]
