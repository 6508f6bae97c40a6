"""Matrix cases for moderator assignments."""

from __future__ import annotations

from typing import Any

from tests.matrix_forums import forum_setup
from tests.matrix_support import MatrixContext, expect


async def _moderator_and_forum(ctx: MatrixContext) -> dict[str, Any]:
    return {**await forum_setup(ctx), "user_id": ctx.personas.acme.moderator.user_id}


async def _assigned(ctx: MatrixContext) -> dict[str, Any]:
    params = await _moderator_and_forum(ctx)
    r = await ctx.client.put(f"/api/orgs/{ctx.personas.acme.slug}/moderators/{params['user_id']}/forums/"
                             f"{params['forum_id']}", headers=ctx.personas.acme.owner.auth)
    assert r.status_code == 200, r.text
    return params


def _forums(ctx: MatrixContext, p: dict[str, Any]) -> str:
    return f"/api/orgs/{ctx.personas.acme.slug}/moderators/{p['user_id']}/forums"


CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": "/api/orgs/<org>/moderators/<uuid:user_id>/forums", "setup": _moderator_and_forum,
     "path": _forums, "expect": expect(200, 200, 200, 403, 403, 401, 404)},
    {"method": "PUT", "rule": "/api/orgs/<org>/moderators/<uuid:user_id>/forums/<uuid:forum_id>",
     "setup": _moderator_and_forum, "path": lambda c, p: f"{_forums(c, p)}/{p['forum_id']}",
     "expect": expect(200, 200, 403, 403, 403, 401, 404)},
    {"method": "DELETE", "rule": "/api/orgs/<org>/moderators/<uuid:user_id>/forums/<uuid:forum_id>",
     "setup": _assigned, "path": lambda c, p: f"{_forums(c, p)}/{p['forum_id']}",
     "expect": expect(204, 204, 403, 403, 403, 401, 404)},
]
