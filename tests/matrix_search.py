"""Matrix cases for search: every member role searches (guests see public forums only)."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import MatrixContext, expect

_MEMBERS = expect(200, 200, 200, 200, 200, 401, 404)


async def _fresh_org(ctx: MatrixContext) -> dict[str, Any]:
    # A fresh org per call: earlier cases (accepting an invitation) may have made other_org_owner an acme member.
    return {"org": (await ctx.fresh_org()).slug}


CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": "/api/orgs/<org>/search", "setup": _fresh_org,
     "path": lambda c, p: f"/api/orgs/{p['org']}/search?q=hello", "body": None, "expect": _MEMBERS},
    {"method": "GET", "rule": "/api/orgs/<org>/search/suggest", "setup": _fresh_org,
     "path": lambda c, p: f"/api/orgs/{p['org']}/search/suggest?q=hel", "body": None, "expect": _MEMBERS},
]
