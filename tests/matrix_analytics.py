"""Matrix cases for analytics: admin+ (billing off in the matrix, so no plan gate)."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import MatrixContext, expect


def _acme(ctx: MatrixContext, _: dict[str, Any]) -> str:
    return ctx.personas.acme.slug


CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": "/api/orgs/<org>/analytics", "path": lambda c, p: f"/api/orgs/{_acme(c, p)}/analytics",
     "expect": expect(200, 200, 403, 403, 403, 401, 404)},
    {"method": "GET", "rule": "/api/orgs/<org>/analytics.csv",
     "path": lambda c, p: f"/api/orgs/{_acme(c, p)}/analytics.csv",
     "expect": expect(200, 200, 403, 403, 403, 401, 404)},
]
