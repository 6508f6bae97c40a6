"""Helpers for the event tests: call the API as a persona of acme (or globex), insist on the status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import trio

from tests.factories import Personas


def at(days: float = 0, hours: float = 0) -> datetime:
    """A moment relative to now, whole minutes, UTC."""
    moment = datetime.now(UTC) + timedelta(days=days, hours=hours)
    return moment.replace(second=0, microsecond=0)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class Api:
    def __init__(self, client: httpx.AsyncClient, personas: Personas) -> None:
        self.client, self.personas = client, personas

    def base(self, org: str = "acme") -> str:
        return f"/api/orgs/{getattr(self.personas, org).slug}"

    async def call(self, method: str, path: str, who: str = "member", *, json: Any = None,
                   expect: int | tuple[int, ...] = 200, org: str = "acme", params: Any = None) -> Any:
        people = getattr(self.personas, org)
        headers = {} if who == "anonymous" else getattr(people, who).auth
        r = await self.client.request(method, self.base(org) + path, json=json, headers=headers, params=params)
        allowed = expect if isinstance(expect, tuple) else (expect,)
        assert r.status_code in allowed, (method, path, who, r.status_code, r.text)
        return r.json() if r.content and r.headers["content-type"].endswith("json") else r

    async def event(self, who: str = "moderator", org: str = "acme", **fields: Any) -> dict[str, Any]:
        start = fields.pop("start", at(days=3))
        body = {"title": "Monthly meetup", "description": "Bring *snacks*", "start_time": iso(start),
                "end_time": iso(start + timedelta(hours=2)), "timezone": "Europe/Berlin",
                "location": "Room 1", "meeting_url": "https://meet.example.com/abc", **fields}
        return dict((await self.call("POST", "/events", who, json=body, expect=201, org=org))["event"])

    async def register(self, event_id: object, who: str = "member", status: str = "going", *,
                       occurrence: str | None = None, expect: int = 200, org: str = "acme") -> dict[str, Any]:
        body: dict[str, Any] = {"status": status}
        if occurrence:
            body["occurrence"] = occurrence
        found = await self.call("PUT", f"/events/{event_id}/registration", who, json=body, expect=expect, org=org)
        return dict(found.get("registration") or found)


@pytest.fixture
async def api(client: httpx.AsyncClient, personas: Personas) -> Api:
    return Api(client, personas)


async def notifications(client: httpx.AsyncClient, auth: dict[str, str], n: int,
                        kind: str | None = None) -> list[dict[str, Any]]:
    """Wait (bounded) until the person has at least `n` notifications (of `kind`)."""
    with trio.fail_after(5):
        while True:
            found = (await client.get("/api/notifications", headers=auth)).json()["notifications"]
            found = [f for f in found if kind is None or f["kind"] == kind]
            if len(found) >= n:
                return list(found)
            await trio.sleep(0.05)
