"""Matrix cases for billing (billing off in the matrix: checkout and the portal answer 409 for the owner)."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import MatrixContext, everyone, expect


def _acme(ctx: MatrixContext, _: dict[str, Any]) -> str:
    return ctx.personas.acme.slug


CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": "/api/orgs/<org>/billing", "path": lambda c, p: f"/api/orgs/{_acme(c, p)}/billing",
     "expect": expect(200, 200, 403, 403, 403, 401, 404)},
    {"method": "POST", "rule": "/api/orgs/<org>/billing/checkout",
     "path": lambda c, p: f"/api/orgs/{_acme(c, p)}/billing/checkout", "body": {"tier": "organization"},
     "expect": expect(409, 403, 403, 403, 403, 401, 404)},
    {"method": "POST", "rule": "/api/orgs/<org>/billing/portal",
     "path": lambda c, p: f"/api/orgs/{_acme(c, p)}/billing/portal",
     "expect": expect(409, 403, 403, 403, 403, 401, 404)},
    {"method": "POST", "rule": "/api/billing/webhook", "path": lambda c, p: "/api/billing/webhook", "body": {},
     "expect": everyone(409)},
]
