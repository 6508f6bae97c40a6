"""Matrix cases for integrations (admin+). A public IP literal, disabled: nothing is ever sent."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import MatrixContext, expect

_URL = "https://93.184.215.14/matrix-hook"
_ADMINS = expect(200, 200, 403, 403, 403, 401, 404)


def _base(ctx: MatrixContext) -> str:
    return f"/api/orgs/{ctx.personas.acme.slug}/integrations"


async def _integration(ctx: MatrixContext) -> dict[str, Any]:
    r = await ctx.client.post(_base(ctx), json={"kind": "webhook", "url": _URL, "events": ["topic_created"],
                                                "enabled": False}, headers=ctx.personas.acme.owner.auth)
    return {"id": r.json()["integration"]["id"]}


async def _shared(ctx: MatrixContext) -> dict[str, Any]:
    """One integration for the cases that leave it in place (an org holds a bounded number)."""
    extra = ctx.personas.acme.extra
    if "integration" not in extra:
        extra["integration"] = await _integration(ctx)
    found: dict[str, Any] = extra["integration"]
    return found


async def _delivery(ctx: MatrixContext) -> dict[str, Any]:
    found = await _shared(ctx)
    r = await ctx.client.post(f"{_base(ctx)}/{found['id']}/test", headers=ctx.personas.acme.owner.auth)
    return {**found, "delivery": r.json()["delivery"]["id"]}


CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": "/api/orgs/<org>/integrations", "path": lambda c, p: _base(c), "expect": _ADMINS},
    {"method": "POST", "rule": "/api/orgs/<org>/integrations", "path": lambda c, p: _base(c),
     "body": {"kind": "webhook", "url": _URL, "events": ["topic_created"], "enabled": False},
     "expect": expect(201, 201, 403, 403, 403, 401, 404)},
    {"method": "PATCH", "rule": "/api/orgs/<org>/integrations/<uuid:integration_id>", "setup": _shared,
     "path": lambda c, p: f"{_base(c)}/{p['id']}", "body": {"name": "Renamed"}, "expect": _ADMINS},
    {"method": "DELETE", "rule": "/api/orgs/<org>/integrations/<uuid:integration_id>", "setup": _integration,
     "path": lambda c, p: f"{_base(c)}/{p['id']}", "expect": expect(204, 204, 403, 403, 403, 401, 404)},
    {"method": "POST", "rule": "/api/orgs/<org>/integrations/<uuid:integration_id>/secret", "setup": _shared,
     "path": lambda c, p: f"{_base(c)}/{p['id']}/secret", "expect": _ADMINS},
    {"method": "POST", "rule": "/api/orgs/<org>/integrations/<uuid:integration_id>/test", "setup": _shared,
     "path": lambda c, p: f"{_base(c)}/{p['id']}/test", "expect": expect(202, 202, 403, 403, 403, 401, 404)},
    {"method": "GET", "rule": "/api/orgs/<org>/integrations/<uuid:integration_id>/deliveries", "setup": _shared,
     "path": lambda c, p: f"{_base(c)}/{p['id']}/deliveries", "expect": _ADMINS},
    {"method": "POST", "rule": "/api/orgs/<org>/integrations/<uuid:integration_id>/deliveries/<uuid:delivery_id>/redeliver",
     "setup": _delivery, "path": lambda c, p: f"{_base(c)}/{p['id']}/deliveries/{p['delivery']}/redeliver",
     "expect": expect(202, 202, 403, 403, 403, 401, 404)},
]
