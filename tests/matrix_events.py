"""Authorization matrix cases for the events and calendar routes (read by tests/test_matrix.py).

acme is a private org: anonymous readers get 404 where a public org would answer, and its
calendar.ics is 404 for everyone; a public scratch org shows the other side.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.matrix_support import MatrixContext, everyone, expect

ORG = "/api/orgs/<org>"
EVENT = ORG + "/events/<uuid:event_id>"
READERS = expect(200, 200, 200, 200, 200, 404, 404)
MANAGERS = expect(200, 200, 200, 403, 403, 401, 404)
USERS = expect(200, 200, 200, 200, 200, 401, 200)


def _when(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def _event_body(**extra: Any) -> dict[str, Any]:
    return {"title": "Matrix event", "start_time": _when(3), "end_time": _when(4), "timezone": "Europe/Berlin",
            "max_attendees": 50, **extra}


async def _event(ctx: MatrixContext, org: str | None = None) -> dict[str, Any]:
    acme = ctx.personas.acme
    r = await ctx.client.post(f"/api/orgs/{org or acme.slug}/events", json=_event_body(), headers=acme.owner.auth)
    assert r.status_code == 201, r.text
    return {"event_id": r.json()["event"]["id"]}


async def _registered(ctx: MatrixContext) -> dict[str, Any]:
    """Every acme persona registered, so each may withdraw; the member is going (to be checked in)."""
    params = await _event(ctx)
    for person in ctx.personas.acme.people.values():
        r = await ctx.client.put(f"/api/orgs/{ctx.personas.acme.slug}/events/{params['event_id']}/registration",
                                 json={"status": "going"}, headers=person.auth)
        assert r.status_code == 200, r.text
    return {**params, "user_id": ctx.personas.acme.member.user_id}


async def _public_org(ctx: MatrixContext) -> dict[str, Any]:
    org = await ctx.fresh_org()
    await ctx.factory.conn.execute("UPDATE organizations SET is_public = true WHERE id = $1", org.id)
    await _event(ctx, org.slug)
    return {"slug": org.slug}


async def _feeds(ctx: MatrixContext) -> dict[str, Any]:
    people = [*ctx.personas.acme.people.values(), ctx.personas.globex.owner]
    for person in people:
        assert (await ctx.client.post("/api/me/calendar-feed", headers=person.auth)).status_code == 200
    return {}


async def _feed_token(ctx: MatrixContext) -> dict[str, Any]:
    params = await _registered(ctx)
    r = await ctx.client.post("/api/me/calendar-feed", headers=ctx.personas.acme.member.auth)
    return {**params, "query": r.json()["url"].split("?", 1)[1]}


def _org(ctx: MatrixContext, p: dict[str, Any]) -> str:
    return f"/api/orgs/{ctx.personas.acme.slug}"


def _event_path(suffix: str = "") -> Any:
    return lambda c, p: f"{_org(c, p)}/events/{p['event_id']}{suffix}"


CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": ORG + "/events", "path": lambda c, p: f"{_org(c, p)}/events", "expect": READERS},
    {"method": "POST", "rule": ORG + "/events", "path": lambda c, p: f"{_org(c, p)}/events",
     "body": lambda c, p: _event_body(), "expect": expect(201, 201, 201, 403, 403, 401, 404)},
    {"method": "GET", "rule": EVENT, "setup": _event, "path": _event_path(), "expect": READERS},
    {"method": "PATCH", "rule": EVENT, "setup": _event, "path": _event_path(), "body": {"title": "Renamed"},
     "expect": MANAGERS},
    {"method": "DELETE", "rule": EVENT, "setup": _event, "path": _event_path(),
     "expect": expect(204, 204, 204, 403, 403, 401, 404)},
    {"method": "POST", "rule": EVENT + "/cancel", "setup": _event, "path": _event_path("/cancel"),
     "body": {"reason": "Matrix"}, "expect": MANAGERS},
    {"method": "PUT", "rule": EVENT + "/registration", "setup": _event, "path": _event_path("/registration"),
     "body": {"status": "going"}, "expect": expect(200, 200, 200, 200, 200, 401, 404)},
    {"method": "DELETE", "rule": EVENT + "/registration", "setup": _registered, "path": _event_path("/registration"),
     "expect": expect(204, 204, 204, 204, 204, 401, 404)},
    {"method": "GET", "rule": EVENT + "/attendees", "setup": _registered, "path": _event_path("/attendees"),
     "expect": MANAGERS},
    {"method": "POST", "rule": EVENT + "/attendees/<uuid:user_id>/check-in", "setup": _registered,
     "path": lambda c, p: f"{_org(c, p)}/events/{p['event_id']}/attendees/{p['user_id']}/check-in",
     "expect": MANAGERS},
    {"method": "DELETE", "rule": EVENT + "/attendees/<uuid:user_id>/check-in", "setup": _registered,
     "path": lambda c, p: f"{_org(c, p)}/events/{p['event_id']}/attendees/{p['user_id']}/check-in",
     "expect": MANAGERS},
    {"method": "GET", "rule": EVENT + "/event.ics", "setup": _event, "path": _event_path("/event.ics"),
     "expect": READERS},
    {"method": "GET", "rule": ORG + "/calendar.ics", "path": lambda c, p: f"{_org(c, p)}/calendar.ics",
     "expect": everyone(404)},
    {"method": "GET", "rule": ORG + "/calendar.ics", "setup": _public_org,
     "path": lambda c, p: f"/api/orgs/{p['slug']}/calendar.ics", "expect": everyone(200)},
    {"method": "POST", "rule": "/api/me/calendar-feed", "path": lambda c, p: "/api/me/calendar-feed",
     "expect": USERS},
    {"method": "GET", "rule": "/api/me/calendar-feed", "path": lambda c, p: "/api/me/calendar-feed",
     "expect": USERS},
    {"method": "DELETE", "rule": "/api/me/calendar-feed", "setup": _feeds, "path": lambda c, p: "/api/me/calendar-feed",
     "expect": expect(204, 204, 204, 204, 204, 401, 204)},
    {"method": "GET", "rule": "/api/calendar-feed.ics", "setup": _feed_token,
     "path": lambda c, p: f"/api/calendar-feed.ics?{p['query']}", "expect": everyone(200)},
]
