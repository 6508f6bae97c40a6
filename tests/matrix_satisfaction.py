"""Matrix cases for satisfaction: event ratings (attendees of an ended occurrence; managers read
them) and the quarterly CSAT (every member; answered or dismissed once a quarter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.matrix_support import MatrixContext, expect

ORG = "/api/orgs/<org>"
EVENT = ORG + "/events/<uuid:event_id>"
MEMBERS = expect(200, 200, 200, 200, 200, 401, 404)


async def past_event(ctx: MatrixContext) -> dict[str, Any]:
    """A public event of acme that ended yesterday, every acme persona was going (no check-ins)."""
    acme, conn = ctx.personas.acme, ctx.factory.conn
    start = datetime.now(UTC) - timedelta(days=1, hours=2)
    end = start + timedelta(hours=1)
    event_id = await conn.fetchval(
        "INSERT INTO events (org_id, title, start_time, end_time, timezone, created_by) "
        "VALUES ($1, 'Past meetup', $2, $3, 'UTC', $4) RETURNING id", acme.id, start, end, acme.owner.user_id)
    occurrence_id = await conn.fetchval(
        "INSERT INTO event_occurrences (org_id, event_id, recurrence_id, start_time, end_time) "
        "VALUES ($1, $2, $3, $3, $4) RETURNING id", acme.id, event_id, start, end)
    for person in acme.people.values():
        await conn.execute("INSERT INTO event_registrations (org_id, event_id, occurrence_id, user_id, status) "
                           "VALUES ($1, $2, $3, $4, 'going')", acme.id, event_id, occurrence_id, person.user_id)
    await conn.execute("UPDATE event_occurrences SET going_count = $2 WHERE id = $1", occurrence_id,
                       len(acme.people))
    return {"event_id": event_id, "occurrence_id": occurrence_id}


async def _fresh_quarter(ctx: MatrixContext) -> dict[str, Any]:
    await ctx.factory.conn.execute("DELETE FROM csat_responses WHERE org_id = $1", ctx.personas.acme.id)
    return {}


def _org(ctx: MatrixContext) -> str:
    return f"/api/orgs/{ctx.personas.acme.slug}"


CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": EVENT + "/rating", "setup": past_event,
     "path": lambda c, p: f"{_org(c)}/events/{p['event_id']}/rating", "expect": MEMBERS},
    {"method": "PUT", "rule": EVENT + "/rating", "setup": past_event,
     "path": lambda c, p: f"{_org(c)}/events/{p['event_id']}/rating", "body": {"score": 4, "comment": "Good"},
     "expect": MEMBERS},
    {"method": "GET", "rule": EVENT + "/ratings", "setup": past_event,
     "path": lambda c, p: f"{_org(c)}/events/{p['event_id']}/ratings",
     "expect": expect(200, 200, 200, 403, 403, 401, 404)},
    {"method": "GET", "rule": ORG + "/csat", "path": lambda c, p: f"{_org(c)}/csat", "expect": MEMBERS},
    {"method": "POST", "rule": ORG + "/csat", "setup": _fresh_quarter, "path": lambda c, p: f"{_org(c)}/csat",
     "body": {"score": 5}, "expect": expect(201, 201, 201, 201, 201, 401, 404)},
    {"method": "POST", "rule": ORG + "/csat/dismiss", "setup": _fresh_quarter,
     "path": lambda c, p: f"{_org(c)}/csat/dismiss", "expect": MEMBERS},
]
